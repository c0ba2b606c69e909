"""``funcdiff.numpy``: the ``jax.numpy``-like API, written in lax operations.

Importing this module also gives :class:`funcdiff.Array` its operators and methods.
"""

import numpy as _np

from ..core.array import Array as ndarray
from ..core.dtypes import finfo, iinfo
from . import array_methods as _array_methods
from .creation import (
    arange,
    array,
    asarray,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    identity,
    linspace,
    ones,
    ones_like,
    tri,
    zeros,
    zeros_like,
)
from .indexing import argwhere, flatnonzero, nonzero, take, take_along_axis
from .products import (
    diag,
    diagonal,
    dot,
    inner,
    kron,
    matmul,
    outer,
    tensordot,
    trace,
    vdot,
    vecdot,
)
from .reductions import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    count_nonzero,
    cumprod,
    cumsum,
    max,
    mean,
    min,
    prod,
    ptp,
    std,
    sum,
    var,
)
from .shapes import (
    array_split,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_arrays,
    broadcast_shapes,
    broadcast_to,
    column_stack,
    concat,
    concatenate,
    expand_dims,
    flip,
    fliplr,
    flipud,
    hstack,
    matrix_transpose,
    moveaxis,
    pad,
    permute_dims,
    ravel,
    repeat,
    reshape,
    roll,
    split,
    squeeze,
    stack,
    swapaxes,
    tile,
    transpose,
    vstack,
)
from .sorting import argsort, searchsorted, sort, unique
from .ufuncs import (
    abs,
    absolute,
    acos,
    acosh,
    add,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    around,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    cbrt,
    ceil,
    clip,
    copysign,
    cos,
    cosh,
    deg2rad,
    degrees,
    divide,
    divmod,
    equal,
    exp,
    exp2,
    expm1,
    floor,
    floor_divide,
    fmod,
    greater,
    greater_equal,
    heaviside,
    hypot,
    invert,
    isfinite,
    isinf,
    isnan,
    left_shift,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    mod,
    multiply,
    negative,
    not_equal,
    positive,
    pow,
    power,
    rad2deg,
    radians,
    reciprocal,
    remainder,
    right_shift,
    rint,
    round,
    sign,
    sin,
    sinc,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    true_divide,
    trunc,
    where,
)

_array_methods.install()

# Dtypes, as in jax.numpy: both `fnp.float32` and `dtype=fnp.float32` work.
bool_ = _np.bool_
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
float16, float32, float64 = _np.float16, _np.float32, _np.float64
complex64, complex128 = _np.complex64, _np.complex128
dtype = _np.dtype
pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, None
integer, floating, inexact, number, signedinteger, unsignedinteger = (
    _np.integer, _np.floating, _np.inexact, _np.number, _np.signedinteger, _np.unsignedinteger)
issubdtype = _np.issubdtype


def result_type(*args):
    """The dtype JAX's promotion gives ``args`` (arrays, dtypes or Python scalars)."""
    from ..core import dtypes
    from ..core.array import Array

    typed = []
    for a in args:
        if isinstance(a, Array):
            typed.append((a.dtype, a.weak_type))
        elif isinstance(a, (bool, int, float, complex)):
            typed.append((dtypes.dtype_of_scalar(a), True))
        else:
            typed.append((dtypes.canonicalize(a), False))
    return dtypes.result_type(*typed)[0]


def shape(a):
    """The shape of ``a``."""
    return asarray(a).shape


def ndim(a):
    """The number of axes of ``a``."""
    return asarray(a).ndim


def size(a):
    """The number of elements of ``a``."""
    return asarray(a).size


def isscalar(x):
    """Whether ``x`` is a Python scalar or a 0-d array."""
    return isinstance(x, (bool, int, float, complex)) or getattr(x, "ndim", None) == 0


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether all elements agree within tolerance."""
    return all(isclose(a, b, rtol, atol, equal_nan))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|a - b| <= atol + rtol * |b|``."""
    from ._promote import promote_inexact

    a, b = promote_inexact(a, b)
    close = less_equal(abs(subtract(a, b)), add(atol, multiply(rtol, abs(b))))
    close = logical_or(close, equal(a, b))
    if equal_nan:
        close = logical_or(close, logical_and(isnan(a), isnan(b)))
    return close


def array_equal(a1, a2):
    """Whether two arrays have one shape and equal elements."""
    a1, a2 = asarray(a1), asarray(a2)
    return a1.shape == a2.shape and bool(all(equal(a1, a2)))
