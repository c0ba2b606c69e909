"""``funcdiff.numpy``: the ``jax.numpy``-like API, written in lax operations.

Importing this module also gives :class:`funcdiff.Array` its operators and methods.
The scalar types (``fnp.float32``…) are dtypes that can also be called, as in JAX:
``fnp.float32(3)`` is an array.
"""

import builtins as _builtins

import numpy as _np

from ..core.array import Array as ndarray
from ..core.dtypes import finfo, iinfo
from . import array_methods as _array_methods
from . import linalg
from .creation import (
    arange,
    array,
    asarray,
    astype,
    copy,
    diag_indices,
    diag_indices_from,
    empty,
    empty_like,
    eye,
    fromfunction,
    full,
    full_like,
    geomspace,
    identity,
    indices,
    linspace,
    logspace,
    meshgrid,
    ones,
    ones_like,
    tri,
    tril,
    tril_indices,
    tril_indices_from,
    triu,
    triu_indices,
    triu_indices_from,
    zeros,
    zeros_like,
)
from .einsum import einsum, einsum_path
from .floating import (
    angle,
    bitwise_count,
    bitwise_invert,
    bitwise_left_shift,
    bitwise_right_shift,
    conj,
    conjugate,
    fabs,
    float_power,
    fmax,
    fmin,
    imag,
    iscomplex,
    iscomplexobj,
    isneginf,
    isposinf,
    isreal,
    isrealobj,
    ldexp,
    logaddexp2,
    modf,
    nan_to_num,
    real,
    signbit,
)
from .indexing import (
    take,
    take_along_axis,
)
from .manipulation import (
    append,
    argwhere,
    block,
    choose,
    compress,
    delete,
    extract,
    flatnonzero,
    insert,
    ix_,
    nonzero,
    place,
    put,
    put_along_axis,
    ravel_multi_index,
    resize,
    select,
    trim_zeros,
    unravel_index,
)
from .products import (
    convolve,
    correlate,
    cross,
    diag,
    diagflat,
    diagonal,
    dot,
    inner,
    interp,
    kron,
    matmul,
    matvec,
    outer,
    polyval,
    tensordot,
    trace,
    vander,
    vdot,
    vecdot,
    vecmat,
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
    cumulative_prod,
    cumulative_sum,
    max,
    mean,
    min,
    nanargmax,
    nanargmin,
    nancumprod,
    nancumsum,
    nanmax,
    nanmean,
    nanmin,
    nanprod,
    nanstd,
    nansum,
    nanvar,
    prod,
    ptp,
    std,
    sum,
    var,
)
from .scalar_types import (
    bool_,
    can_cast,
    cdouble,
    complex64,
    complex128,
    complex_,
    complexfloating,
    csingle,
    double,
    float16,
    float32,
    float64,
    float_,
    floating,
    generic,
    inexact,
    int8,
    int16,
    int32,
    int64,
    int_,
    integer,
    isdtype,
    issubdtype,
    number,
    promote_types,
    result_type,
    signedinteger,
    single,
    uint,
    uint8,
    uint16,
    uint32,
    uint64,
    unsignedinteger,
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
    dsplit,
    dstack,
    expand_dims,
    flip,
    fliplr,
    flipud,
    hsplit,
    hstack,
    matrix_transpose,
    moveaxis,
    pad,
    permute_dims,
    ravel,
    repeat,
    reshape,
    roll,
    rollaxis,
    rot90,
    split,
    squeeze,
    stack,
    swapaxes,
    tile,
    transpose,
    unstack,
    vsplit,
    vstack,
)
from .sorting import (
    argsort,
    intersect1d,
    isin,
    lexsort,
    partition,
    searchsorted,
    setdiff1d,
    setxor1d,
    sort,
    union1d,
    unique,
    unique_all,
    unique_counts,
    unique_inverse,
    unique_values,
)
from .statistics import (
    average,
    bincount,
    corrcoef,
    cov,
    diff,
    digitize,
    ediff1d,
    histogram,
    median,
    nanmedian,
    nanpercentile,
    nanquantile,
    percentile,
    quantile,
    trapezoid,
)
from .ufuncs import (
    abs,
    absolute,
    acos,
    acosh,
    add,
    allclose,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    around,
    array_equal,
    array_equiv,
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
    isclose,
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

bool = bool_  # noqa: A001  (jax.numpy spells the boolean type both ways)
dtype = _np.dtype
pi, e, inf, nan, euler_gamma = _np.pi, _np.e, _np.inf, _np.nan, _np.euler_gamma
newaxis = None
index_exp, s_ = _np.index_exp, _np.s_
printoptions, set_printoptions, get_printoptions = (
    _np.printoptions, _np.set_printoptions, _np.get_printoptions)


def shape(a):
    """The shape of ``a`` (an array, a list or a scalar).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.shape([[1, 2, 3]])
        (1, 3)
    """
    return a.shape if isinstance(a, ndarray) else _np.shape(a)


def ndim(a):
    """The number of axes of ``a``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.ndim(fnp.ones((2, 3)))
        2
    """
    return len(shape(a))


def size(a, axis=None):
    """The number of elements of ``a`` (along ``axis`` when given).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.size(fnp.ones((2, 3))), fnp.size(fnp.ones((2, 3)), 1)
        (6, 3)
    """
    s = shape(a)
    if axis is not None:
        return s[axis]
    n = 1
    for d in s:
        n *= d
    return n


def isscalar(element):
    """Whether ``element`` is a Python or NumPy scalar, or a 0-d array.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.isscalar(1.0), fnp.isscalar(fnp.ones(())), fnp.isscalar(fnp.ones(2))
        (True, True, False)
    """
    if isinstance(element, (_builtins.bool, int, float, complex, _np.generic)):
        return True
    return isinstance(element, ndarray) and element.ndim == 0


def iterable(y):
    """Whether ``y`` can be iterated over (0-d arrays cannot).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.iterable(fnp.ones(2)), fnp.iterable(fnp.ones(()))
        (True, False)
    """
    try:
        iter(y)
    except TypeError:
        return False
    return True
