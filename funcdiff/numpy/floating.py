"""More elementwise functions of ``funcdiff.numpy``: NaN-aware extrema (``fmax``, ``fmin``,
``nan_to_num``), sign and infinity tests, complex-number helpers for real arrays (``real``,
``imag``, ``conj``, ``angle``), ``ldexp``, ``modf``, ``float_power``, ``logaddexp2`` and
``bitwise_count`` — each composed of lax operations."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.tracing import get_aval
from ._promote import asarray_op, promote_dtypes, promote_inexact, type_error
from .ufuncs import (
    arctan2,
    invert,
    isnan,
    left_shift,
    logaddexp,
    multiply,
    rad2deg,
    right_shift,
    trunc,
    where,
)


def fabs(x: Any, /) -> Any:
    """Elementwise absolute value as a float.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.fabs(fnp.array([-2, 1]))
        Array([2., 1.], dtype=float32)
    """
    (x,) = promote_inexact(x, op="fabs")
    return lax.abs(x)


def fmax(x1: Any, x2: Any, /) -> Any:
    """Elementwise maximum that ignores NaNs (NaN only where both are NaN).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.fmax(fnp.array([1.0, fnp.nan]), fnp.array([fnp.nan, 2.0]))
        Array([1., 2.], dtype=float32)
    """
    x1, x2 = promote_dtypes(x1, x2, op="fmax")
    m = lax.max(x1, x2)
    return where(isnan(x1), x2, where(isnan(x2), x1, m))


def fmin(x1: Any, x2: Any, /) -> Any:
    """Elementwise minimum that ignores NaNs (NaN only where both are NaN).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.fmin(fnp.array([1.0, fnp.nan]), fnp.array([fnp.nan, 2.0]))
        Array([1., 2.], dtype=float32)
    """
    x1, x2 = promote_dtypes(x1, x2, op="fmin")
    m = lax.min(x1, x2)
    return where(isnan(x1), x2, where(isnan(x2), x1, m))


def signbit(x: Any, /) -> Any:
    """Whether the sign bit is set (true for negative numbers and for ``-0.0``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.signbit(fnp.array([-1.0, -0.0, 0.0, 2.0]))
        Array([ True,  True, False, False], dtype=bool)
    """
    (x,) = promote_dtypes(x, op="signbit")
    dt = get_aval(x).dtype
    if dt.kind in "bu":
        return lax.full(get_aval(x).shape, False, dtypes.bool_)
    neg = lax.lt(x, lax.full_like(x, 0))
    if dt.kind in "i":
        return neg
    # atan2(x, -1) is -pi for -0.0 and +pi for +0.0: the sign bit, without dividing by zero.
    return lax.lt(lax.atan2(x, lax.full_like(x, -1)), lax.full_like(x, 0))


def float_power(x: Any, y: Any, /) -> Any:
    """Elementwise ``x ** y`` computed in floating point.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.float_power(fnp.array([2, 3]), 2)
        Array([4., 9.], dtype=float32)
    """
    x, y = promote_inexact(x, y, op="float_power")
    return lax.pow(x, y)


def logaddexp2(x: Any, y: Any, /) -> Any:
    """``log2(2**x + 2**y)`` without overflow.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.logaddexp2(1.0, 1.0)
        Array(2., dtype=float32, weak_type=True)
    """
    x, y = promote_inexact(x, y, op="logaddexp2")
    ln2 = np.log(2)
    return lax.div(logaddexp(lax.mul(x, ln2), lax.mul(y, ln2)), ln2)


def nan_to_num(x: Any, copy: bool = True, nan: Any = 0.0, posinf: Any = None,
               neginf: Any = None) -> Any:
    """``x`` with NaN replaced by ``nan`` and infinities by ``posinf``/``neginf`` (by
    default the largest finite values of the dtype).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nan_to_num(fnp.array([fnp.nan, fnp.inf, 1.0]), posinf=9.0)
        Array([0., 9., 1.], dtype=float32)
    """
    (x,) = promote_dtypes(x, op="nan_to_num")
    dt = get_aval(x).dtype
    if not dtypes.is_inexact(dt):
        return x
    info = np.finfo(dt)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    out = where(isnan(x), lax.full_like(x, nan), x)
    out = where(isposinf(x), lax.full_like(x, hi), out)
    return where(isneginf(x), lax.full_like(x, lo), out)


def isposinf(x: Any, /) -> Any:
    """Elementwise test for positive infinity.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.isposinf(fnp.array([fnp.inf, -fnp.inf]))
        Array([ True, False], dtype=bool)
    """
    (x,) = promote_dtypes(x, op="isposinf")
    if not dtypes.is_inexact(get_aval(x).dtype):
        return lax.full(get_aval(x).shape, False, dtypes.bool_)
    return lax.eq(x, np.inf)


def isneginf(x: Any, /) -> Any:
    """Elementwise test for negative infinity.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.isneginf(fnp.array([fnp.inf, -fnp.inf]))
        Array([False,  True], dtype=bool)
    """
    (x,) = promote_dtypes(x, op="isneginf")
    if not dtypes.is_inexact(get_aval(x).dtype):
        return lax.full(get_aval(x).shape, False, dtypes.bool_)
    return lax.eq(x, -np.inf)


def _real_only(x: Any, name: str) -> Any:
    x = asarray_op(x, f"an argument of {name}")
    if get_aval(x).dtype.kind == "c":
        raise NotImplementedError(
            f"{name} of complex arrays is not supported yet: funcdiff's complex support covers "
            "arithmetic only"
        )
    return x


def real(val: Any, /) -> Any:
    """The real part (the array itself for real dtypes).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.real(fnp.array([1.0, 2.0]))
        Array([1., 2.], dtype=float32)
    """
    return _real_only(val, "real")


def imag(val: Any, /) -> Any:
    """The imaginary part (zeros for real dtypes).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.imag(fnp.array([1.0, 2.0]))
        Array([0., 0.], dtype=float32)
    """
    x = _real_only(val, "imag")
    return lax.full(get_aval(x).shape, 0, get_aval(x).dtype)


def conjugate(x: Any, /) -> Any:
    """The complex conjugate (the array itself for real dtypes).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.conj(fnp.array([1.0, -2.0]))
        Array([ 1., -2.], dtype=float32)
    """
    return _real_only(x, "conjugate")


conj = conjugate


def angle(z: Any, deg: bool = False) -> Any:
    """The argument of ``z`` (for real arrays: 0, or pi where negative).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.angle(fnp.array([-1.0, 2.0]), deg=True)
        Array([180.,   0.], dtype=float32)
    """
    (z,) = promote_inexact(_real_only(z, "angle"), op="angle")
    out = arctan2(lax.full_like(z, 0), z)
    return rad2deg(out) if deg else out


def isreal(x: Any, /) -> Any:
    """Elementwise test for a zero imaginary part (all true for real dtypes).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.isreal(fnp.array([1.0, 2.0]))
        Array([ True,  True], dtype=bool)
    """
    return lax.full(get_aval(_real_only(x, "isreal")).shape, True, dtypes.bool_)


def iscomplex(x: Any, /) -> Any:
    """Elementwise test for a non-zero imaginary part (all false for real dtypes).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.iscomplex(fnp.array([1.0, 2.0]))
        Array([False, False], dtype=bool)
    """
    return lax.full(get_aval(_real_only(x, "iscomplex")).shape, False, dtypes.bool_)


def iscomplexobj(x: Any) -> bool:
    """Whether ``x`` has a complex dtype.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.iscomplexobj(fnp.ones(2))
        False
    """
    return get_aval(asarray_op(x)).dtype.kind == "c"


def isrealobj(x: Any) -> bool:
    """Whether ``x`` has a non-complex dtype.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.isrealobj(fnp.ones(2))
        True
    """
    return not iscomplexobj(x)


def ldexp(x1: Any, x2: Any, /) -> Any:
    """``x1 * 2**x2`` elementwise (``x2`` integers).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.ldexp(fnp.array([1.0, 3.0]), fnp.array([2, 1]))
        Array([4., 6.], dtype=float32)
    """
    (x1,) = promote_inexact(x1, op="ldexp")
    x2 = asarray_op(x2, "an argument of ldexp")
    if get_aval(x2).dtype.kind not in "iub":
        raise type_error(f"ldexp: the exponents must be integers, got {get_aval(x2).dtype}")
    e = lax.convert_element_type(x2, get_aval(x1).dtype)
    return multiply(x1, lax.pow(lax.full_like(e, 2), e))


def modf(x: Any, /) -> tuple[Any, Any]:
    """Fractional and integral parts, both with the sign of ``x``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.modf(fnp.array([2.5, -1.25]))
        (Array([ 0.5 , -0.25], dtype=float32), Array([ 2., -1.], dtype=float32))
    """
    (x,) = promote_inexact(x, op="modf")
    whole = trunc(x)
    return lax.sub(x, whole), whole


def bitwise_count(x: Any, /) -> Any:
    """The number of 1 bits in ``|x|``, as uint8.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.bitwise_count(fnp.array([7, -3]))
        Array([3, 2], dtype=uint8)
    """
    (x,) = promote_dtypes(x, op="bitwise_count")
    if get_aval(x).dtype.kind == "i":
        x = lax.abs(x)
    return lax.convert_element_type(lax.population_count(x), dtypes.uint8)


bitwise_invert = invert
bitwise_left_shift = left_shift
bitwise_right_shift = right_shift
