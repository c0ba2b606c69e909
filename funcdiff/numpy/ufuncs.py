"""Elementwise functions of ``funcdiff.numpy``: arithmetic, math, comparisons, logic.

Each promotes its arguments (JAX's lattice; Python scalars weakly typed) and calls one
lax primitive; NumPy broadcasting happens inside the primitives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.tracing import get_aval
from ._promote import asarray_op, promote_dtypes, promote_inexact, type_error, value_error


def _unary_inexact(fn: Any, name: str, doc: str):
    def op(x: Any, /) -> Any:
        (x,) = promote_inexact(x, op=name)
        return fn(x)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _binary(fn: Any, name: str, doc: str, inexact: bool = False):
    def op(x: Any, y: Any, /) -> Any:
        x, y = promote_inexact(x, y, op=name) if inexact else promote_dtypes(x, y, op=name)
        return fn(x, y)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


exp = _unary_inexact(lax.exp, "exp", "Elementwise e**x.")
exp2 = _unary_inexact(lambda x: lax.exp(lax.mul(x, np.log(2).astype(x.dtype))), "exp2",
                      "Elementwise 2**x.")
expm1 = _unary_inexact(lax.expm1, "expm1", "Elementwise exp(x) - 1, accurate near 0.")
log = _unary_inexact(lax.log, "log", "Elementwise natural logarithm.")
log1p = _unary_inexact(lax.log1p, "log1p", "Elementwise log(1 + x), accurate near 0.")
log2 = _unary_inexact(lambda x: lax.div(lax.log(x), np.log(2).astype(x.dtype)), "log2",
                      "Elementwise base-2 logarithm.")
log10 = _unary_inexact(lambda x: lax.div(lax.log(x), np.log(10).astype(x.dtype)), "log10",
                       "Elementwise base-10 logarithm.")
sqrt = _unary_inexact(lax.sqrt, "sqrt", "Elementwise square root.")
cbrt = _unary_inexact(lax.cbrt, "cbrt", "Elementwise cube root.")
sin = _unary_inexact(lax.sin, "sin", "Elementwise sine.")
cos = _unary_inexact(lax.cos, "cos", "Elementwise cosine.")
tan = _unary_inexact(lax.tan, "tan", "Elementwise tangent.")
arcsin = _unary_inexact(lax.asin, "arcsin", "Elementwise inverse sine.")
arccos = _unary_inexact(lax.acos, "arccos", "Elementwise inverse cosine.")
arctan = _unary_inexact(lax.atan, "arctan", "Elementwise inverse tangent.")
sinh = _unary_inexact(lax.sinh, "sinh", "Elementwise hyperbolic sine.")
cosh = _unary_inexact(lax.cosh, "cosh", "Elementwise hyperbolic cosine.")
tanh = _unary_inexact(lax.tanh, "tanh", "Elementwise hyperbolic tangent.")
arcsinh = _unary_inexact(lax.asinh, "arcsinh", "Elementwise inverse hyperbolic sine.")
arccosh = _unary_inexact(lax.acosh, "arccosh", "Elementwise inverse hyperbolic cosine.")
arctanh = _unary_inexact(lax.atanh, "arctanh", "Elementwise inverse hyperbolic tangent.")
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh
rint = _unary_inexact(lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN), "rint",
                      "Elementwise rounding to the nearest integer (halves to even).")
isfinite = _unary_inexact(lax.is_finite, "isfinite", "Elementwise test for finiteness.")


def _int_passthrough(fn: Any, name: str, doc: str):
    def op(x: Any, /) -> Any:
        (x,) = promote_dtypes(x)
        if not dtypes.is_inexact(get_aval(x).dtype):
            return x
        return fn(x)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


floor = _int_passthrough(lax.floor, "floor", "Elementwise floor (integers unchanged).")
ceil = _int_passthrough(lax.ceil, "ceil", "Elementwise ceiling (integers unchanged).")
trunc = _int_passthrough(lambda x: lax.mul(lax.sign(x), lax.floor(lax.abs(x))), "trunc",
                         "Elementwise rounding toward zero (integers unchanged).")


def round(a: Any, decimals: int = 0) -> Any:
    """Round half to even to ``decimals`` places, as ``numpy.round``."""
    (a,) = promote_dtypes(a)
    if not dtypes.is_inexact(get_aval(a).dtype):
        return a if decimals >= 0 else _round_int(a, decimals)
    even = lax.RoundingMethod.TO_NEAREST_EVEN
    if decimals == 0:
        return lax.round(a, even)
    f = np.array(10.0 ** decimals).astype(get_aval(a).dtype)[()]
    return lax.div(lax.round(lax.mul(a, f), even), f)


def _round_int(a: Any, decimals: int) -> Any:
    # Integers to a multiple of 10**-decimals, half to even (numpy.round(17, -1) == 20).
    dtype = get_aval(a).dtype
    if dtype == dtypes.bool_:
        return a
    step = 10 ** -decimals
    if step > np.iinfo(dtype).max:
        return lax.full_like(a, 0)
    q = floor_divide(a, step)
    r = lax.sub(a, lax.mul(q, lax.full_like(q, step)))  # in [0, step)
    half = step // 2
    odd = lax.ne(remainder(q, 2), lax.full_like(q, 0))
    up = lax.bitwise_or(lax.gt(r, lax.full_like(r, half)),
                        lax.bitwise_and(lax.eq(r, lax.full_like(r, half)), odd))
    q = lax.add(q, lax.convert_element_type(up, dtype))
    return lax.mul(q, lax.full_like(q, step))


around = round


def isnan(x: Any, /) -> Any:
    """Elementwise test for NaN."""
    (x,) = promote_dtypes(x)
    if not dtypes.is_inexact(get_aval(x).dtype):
        return lax.full(get_aval(x).shape, False, dtypes.bool_)
    return lax.ne(x, x)


def isinf(x: Any, /) -> Any:
    """Elementwise test for positive or negative infinity."""
    (x,) = promote_dtypes(x)
    if not dtypes.is_inexact(get_aval(x).dtype):
        return lax.full(get_aval(x).shape, False, dtypes.bool_)
    return lax.eq(lax.abs(x), np.inf)


def negative(x: Any, /) -> Any:
    """Elementwise ``-x``."""
    (x,) = promote_dtypes(x, op="negative")
    if _is_bool(x):
        raise type_error("negative: `-` is not supported on booleans; use fnp.logical_not or "
                         "`~` instead")
    return lax.neg(x)


def positive(x: Any, /) -> Any:
    """Elementwise ``+x``."""
    (x,) = promote_dtypes(x)
    return x


def abs(x: Any, /) -> Any:
    """Elementwise absolute value."""
    (x,) = promote_dtypes(x)
    if get_aval(x).dtype.kind in "ub":
        return x
    return lax.abs(x)


absolute = abs


def sign(x: Any, /) -> Any:
    """Elementwise sign: -1, 0 or 1."""
    (x,) = promote_dtypes(x)
    return lax.sign(x)


def square(x: Any, /) -> Any:
    """Elementwise ``x * x``."""
    (x,) = promote_dtypes(x)
    return lax.integer_pow(x, 2)


def reciprocal(x: Any, /) -> Any:
    """Elementwise ``1 / x``."""
    (x,) = promote_inexact(x)
    return lax.div(1, x)


def _is_bool(x: Any) -> bool:
    return get_aval(x).dtype == dtypes.bool_


def _add(x: Any, y: Any) -> Any:
    # On booleans, + is `or` (as in NumPy and JAX).
    return lax.bitwise_or(x, y) if _is_bool(x) else lax.add(x, y)


def _mul(x: Any, y: Any) -> Any:
    return lax.bitwise_and(x, y) if _is_bool(x) else lax.mul(x, y)


def _sub(x: Any, y: Any) -> Any:
    if _is_bool(x):
        raise type_error("subtract: boolean subtraction (`-` on bool arrays) is not supported; "
                         "use fnp.logical_xor or fnp.not_equal instead")
    return lax.sub(x, y)


add = _binary(_add, "add", "Elementwise ``x + y`` with broadcasting (``or`` for booleans).")
subtract = _binary(_sub, "subtract", "Elementwise ``x - y`` with broadcasting.")
multiply = _binary(_mul, "multiply",
                   "Elementwise ``x * y`` with broadcasting (``and`` for booleans).")
true_divide = _binary(lax.div, "true_divide", "Elementwise ``x / y`` (always inexact).",
                      inexact=True)
divide = true_divide
arctan2 = _binary(lax.atan2, "arctan2", "Elementwise angle of ``(x2, x1)``.", inexact=True)
atan2 = arctan2
maximum = _binary(lax.max, "maximum", "Elementwise maximum (ties split gradients evenly).")
minimum = _binary(lax.min, "minimum", "Elementwise minimum (ties split gradients evenly).")
equal = _binary(lax.eq, "equal", "Elementwise ``x == y``.")
not_equal = _binary(lax.ne, "not_equal", "Elementwise ``x != y``.")
less = _binary(lax.lt, "less", "Elementwise ``x < y``.")
less_equal = _binary(lax.le, "less_equal", "Elementwise ``x <= y``.")
greater = _binary(lax.gt, "greater", "Elementwise ``x > y``.")
greater_equal = _binary(lax.ge, "greater_equal", "Elementwise ``x >= y``.")
bitwise_and = _binary(lax.bitwise_and, "bitwise_and", "Elementwise ``x & y``.")
bitwise_or = _binary(lax.bitwise_or, "bitwise_or", "Elementwise ``x | y``.")
bitwise_xor = _binary(lax.bitwise_xor, "bitwise_xor", "Elementwise ``x ^ y``.")
left_shift = _binary(lax.shift_left, "left_shift", "Elementwise ``x << y``.")
right_shift = _binary(lax.shift_right_arithmetic, "right_shift", "Elementwise ``x >> y``.")


def logical_and(x: Any, y: Any, /) -> Any:
    """Elementwise logical and."""
    return lax.bitwise_and(*(_bool(a) for a in (x, y)))


def logical_or(x: Any, y: Any, /) -> Any:
    """Elementwise logical or."""
    return lax.bitwise_or(*(_bool(a) for a in (x, y)))


def logical_xor(x: Any, y: Any, /) -> Any:
    """Elementwise logical xor."""
    return lax.bitwise_xor(*(_bool(a) for a in (x, y)))


def logical_not(x: Any, /) -> Any:
    """Elementwise logical not."""
    return lax.bitwise_not(_bool(x))


def invert(x: Any, /) -> Any:
    """Elementwise bitwise not (logical not for booleans)."""
    (x,) = promote_dtypes(x)
    return lax.bitwise_not(x)


bitwise_not = invert


def _bool(x: Any) -> Any:
    x = asarray_op(x)
    if get_aval(x).dtype == dtypes.bool_:
        return x
    return lax.ne(x, lax.full((), 0, get_aval(x).dtype))


def power(x: Any, y: Any, /) -> Any:
    """Elementwise ``x ** y``; a static integer exponent uses exact repeated multiplication."""
    if isinstance(y, int) and not isinstance(y, bool):
        (x,) = promote_dtypes(x, op="power")
        if dtypes.is_inexact(get_aval(x).dtype) or y >= 0:
            return lax.integer_pow(x, y)
        raise value_error(
            f"power: integers cannot be raised to the negative power {y} (the result is not an "
            "integer); convert the base to a float first, e.g. x.astype(float) ** y"
        )
    x, y = promote_dtypes(x, y, op="power")
    if not dtypes.is_inexact(get_aval(x).dtype):
        return _int_power(x, y)
    return lax.pow(x, y)


pow = power


def _int_power(x: Any, y: Any) -> Any:
    # Integer ** integer array: square-and-multiply over the exponent's bits (up to 32).
    acc = lax.full_like(x, 1)
    base = x
    for _ in range(32):
        bit = lax.ne(lax.bitwise_and(y, lax.full_like(y, 1)), lax.full_like(y, 0))
        acc = lax.select(bit, lax.mul(acc, base), acc)
        base = lax.mul(base, base)
        y = lax.shift_right_logical(y, lax.full_like(y, 1))
    return acc


def floor_divide(x: Any, y: Any, /) -> Any:
    """Elementwise ``x // y`` (rounding toward negative infinity, as NumPy)."""
    x, y = promote_dtypes(x, y)
    if dtypes.is_inexact(get_aval(x).dtype):
        return lax.floor(lax.div(x, y))
    q = lax.div(x, y)
    r = lax.rem(x, y)
    zero = lax.full_like(r, 0)
    fix = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, lax.full_like(y, 0))))
    return lax.select(fix, lax.sub(q, lax.full_like(q, 1)), q)


def remainder(x: Any, y: Any, /) -> Any:
    """Elementwise remainder with the sign of ``y`` (as ``numpy.remainder``)."""
    x, y = promote_dtypes(x, y)
    r = lax.rem(x, y)
    zero = lax.full_like(r, 0)
    fix = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, lax.full_like(y, 0))))
    return lax.select(fix, lax.add(r, y), r)


mod = remainder


def fmod(x: Any, y: Any, /) -> Any:
    """Elementwise remainder with the sign of ``x`` (C's fmod)."""
    x, y = promote_dtypes(x, y)
    return lax.rem(x, y)


def divmod(x: Any, y: Any, /) -> tuple[Any, Any]:
    """``(floor_divide(x, y), remainder(x, y))``."""
    return floor_divide(x, y), remainder(x, y)


def logaddexp(x: Any, y: Any, /) -> Any:
    """``log(exp(x) + exp(y))`` without overflow."""
    x, y = promote_inexact(x, y)
    m = lax.max(x, y)
    m = lax.stop_gradient(lax.select(lax.is_finite(m), m, lax.full_like(m, 0)))
    return lax.add(m, lax.log(lax.add(lax.exp(lax.sub(x, m)), lax.exp(lax.sub(y, m)))))


def hypot(x: Any, y: Any, /) -> Any:
    """Elementwise ``sqrt(x**2 + y**2)``."""
    x, y = promote_inexact(x, y)
    return lax.sqrt(lax.add(lax.mul(x, x), lax.mul(y, y)))


def clip(arr: Any = None, /, min: Any = None, max: Any = None, *, a: Any = None,
         a_min: Any = None, a_max: Any = None) -> Any:
    """Limit values to ``[min, max]`` (either bound may be None).

    ``a``, ``a_min`` and ``a_max`` are accepted as older spellings of the arguments.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.clip(fnp.array([-2.0, 0.5, 3.0]), -1.0, 1.0)
        Array([-1. ,  0.5,  1. ], dtype=float32)
        >>> fnp.clip(fnp.arange(4), max=2)
        Array([0, 1, 2, 2], dtype=int32)
    """
    x = arr if a is None else a
    if x is None:
        raise type_error("clip: missing the array to clip")
    lo = min if a_min is None else a_min
    hi = max if a_max is None else a_max
    if lo is not None:
        x = maximum(x, lo)
    if hi is not None:
        x = minimum(x, hi)
    return asarray_op(x)


def where(condition: Any, x: Any = None, y: Any = None, /, *, size: int | None = None,
          fill_value: Any = None) -> Any:
    """``x`` where ``condition`` holds, else ``y`` (broadcast together).

    With only ``condition``, the indices where it holds (:func:`nonzero`, which needs
    concrete values unless a static ``size`` is given).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.where(fnp.array([True, False]), fnp.ones(2), fnp.zeros(2))
        Array([1., 0.], dtype=float32)
        >>> fnp.where(fnp.array([0, 3, 0, 5]))
        (Array([1, 3], dtype=int32),)
    """
    if x is None or y is None:
        if x is None and y is None:
            from .manipulation import nonzero

            return nonzero(condition, size=size, fill_value=fill_value)
        raise value_error("where takes either 1 or 3 arguments (condition, x, y)")
    c = _bool(condition)
    x, y = promote_dtypes(x, y)
    return lax.select(c, x, y)


def sinc(x: Any, /) -> Any:
    """Normalized sinc: ``sin(pi x) / (pi x)``, 1 at 0."""
    (x,) = promote_inexact(x)
    pix = lax.mul(x, np.pi)
    zero = lax.eq(x, lax.full_like(x, 0))
    safe = lax.select(zero, lax.full_like(x, 1), pix)
    return lax.select(zero, lax.full_like(x, 1), lax.div(lax.sin(safe), safe))


def deg2rad(x: Any, /) -> Any:
    """Degrees to radians."""
    (x,) = promote_inexact(x)
    return lax.mul(x, np.pi / 180)


def rad2deg(x: Any, /) -> Any:
    """Radians to degrees."""
    (x,) = promote_inexact(x)
    return lax.mul(x, 180 / np.pi)


radians, degrees = deg2rad, rad2deg


def copysign(x: Any, y: Any, /) -> Any:
    """``|x|`` with the sign of ``y``."""
    x, y = promote_inexact(x, y)
    neg = lax.lt(y, lax.full_like(y, 0))
    return lax.select(neg, lax.neg(lax.abs(x)), lax.abs(x))


def heaviside(x: Any, h0: Any, /) -> Any:
    """0 for ``x < 0``, ``h0`` at 0, 1 for ``x > 0``."""
    x, h0 = promote_inexact(x, h0)
    zero = lax.full_like(x, 0)
    at_zero = lax.add(zero, h0)  # h0 broadcast against x
    return lax.select(lax.lt(x, 0), zero, lax.select(lax.gt(x, 0), lax.full_like(x, 1), at_zero))



def isclose(a: Any, b: Any, rtol: Any = 1e-05, atol: Any = 1e-08, equal_nan: bool = False) -> Any:
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (infinities equal only to themselves).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.isclose(fnp.array([1.0, 2.0]), fnp.array([1.0 + 1e-9, 2.1]))
        Array([ True, False], dtype=bool)
    """
    a, b = promote_inexact(a, b, op="isclose")
    close = lax.le(lax.abs(lax.sub(a, b)), add(atol, multiply(rtol, lax.abs(b))))
    close = lax.bitwise_and(close, lax.bitwise_and(isfinite(a), isfinite(b)))
    close = lax.bitwise_or(close, lax.eq(a, b))
    if equal_nan:
        close = lax.bitwise_or(close, lax.bitwise_and(isnan(a), isnan(b)))
    return close


def allclose(a: Any, b: Any, rtol: Any = 1e-05, atol: Any = 1e-08, equal_nan: bool = False) -> Any:
    """Whether all elements agree within tolerance (a 0-d boolean array).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.allclose(fnp.ones(2), fnp.ones(2) + 1e-9)
        Array(True, dtype=bool)
    """
    return lax.reduce_and(isclose(a, b, rtol, atol, equal_nan), None)


def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> Any:
    """Whether two arrays have one shape and equal elements (a 0-d boolean array).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.array_equal(fnp.array([1, 2]), fnp.array([1, 2]))
        Array(True, dtype=bool)
    """
    a1, a2 = asarray_op(a1), asarray_op(a2)
    if get_aval(a1).shape != get_aval(a2).shape:
        return asarray_op(np.bool_(False))
    a1, a2 = promote_dtypes(a1, a2)
    eq = lax.eq(a1, a2)
    if equal_nan:
        eq = lax.bitwise_or(eq, lax.bitwise_and(isnan(a1), isnan(a2)))
    return lax.reduce_and(eq, None)


def array_equiv(a1: Any, a2: Any) -> Any:
    """Whether two arrays are equal after broadcasting (a 0-d boolean array).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.array_equiv(fnp.array([1, 2]), fnp.array([[1, 2], [1, 2]]))
        Array(True, dtype=bool)
    """
    a1, a2 = promote_dtypes(a1, a2)
    try:
        np.broadcast_shapes(get_aval(a1).shape, get_aval(a2).shape)
    except ValueError:
        return asarray_op(np.bool_(False))
    return lax.reduce_and(lax.eq(a1, a2), None)
