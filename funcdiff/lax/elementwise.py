"""Elementwise primitives: math, comparisons, bitwise ops, ``select``, dtype conversion.

Each primitive is declared by its family (which gives its shape and batching rules) and
followed by the one line that is its own: its derivative.
"""

from __future__ import annotations

import enum
import math
from typing import Any

import numpy as np

from ..backend import extras
from ..core import dtypes
from ..core.array import Array
from ..core.aval import ShapedArray
from ..core.primitive import Primitive
from ..transforms import ad_rules as ad
from ..transforms.ad_rules import Zero, defderiv, defnondiff, instantiate, unbroadcast
from ..transforms.batching_rules import defbroadcasting, defvectorized
from ._family import (
    ANY,
    BOOL,
    FLOAT,
    INEXACT,
    INT,
    INT_OR_BOOL,
    NUMERIC,
    broadcast_shapes,
    check_dtype,
    naryop,
    unary,
)
from ._operands import operands, typed_scalar


def _u(p: Primitive):
    def op(x: Any) -> Any:
        if not isinstance(x, Array):  # arrays need no conversion (the rules' common case)
            (x,) = operands(x)
        return p.bind(x)

    op.__name__ = p.name
    op.__doc__ = f"Elementwise ``{p.name}``."
    return op


def _b(p: Primitive):
    def op(x: Any, y: Any) -> Any:
        if isinstance(x, Array) and isinstance(y, Array):
            return p.bind(x, y)  # nothing to convert: skip operands() (the rules' common case)
        return p.bind(*operands(x, y))

    op.__name__ = p.name
    op.__doc__ = f"Elementwise ``{p.name}`` with NumPy broadcasting (operands of one dtype)."
    return op


# --- arithmetic ----------------------------------------------------------------------------

neg_p = unary("neg", lambda xp, x: xp.negative(x), NUMERIC)
defderiv(neg_p, lambda ans, x: -1)
ad.transpose_rules[neg_p] = lambda ct, x: [neg(ct)]

add_p = naryop("add", lambda xp, x, y: xp.add(x, y), NUMERIC)
sub_p = naryop("sub", lambda xp, x, y: xp.subtract(x, y), NUMERIC)
mul_p = naryop("mul", lambda xp, x, y: xp.multiply(x, y), NUMERIC)
div_p = naryop("div", lambda xp, x, y: _div_impl(xp, x, y), NUMERIC)


def _rem_impl(xp: Any, x: Any, y: Any) -> Any:
    if x.dtype.kind not in "iu":
        return xp.fmod(x, y)
    # Integers: CuPy's fmod loops cast to double, inexact for 64-bit values past 2**53
    # (seen on a GPU), so take the floored remainder and move it to x's sign.
    r = xp.remainder(x, y)
    if x.dtype.kind == "u":
        return r
    wrong_sign = xp.logical_and(r != 0, xp.not_equal(r < 0, xp.less(x, 0)))
    return xp.subtract(r, xp.multiply(y, wrong_sign, dtype=r.dtype))


rem_p = naryop("rem", _rem_impl, NUMERIC)
pow_p = naryop("pow", lambda xp, x, y: xp.power(x, y), INEXACT)
max_p = naryop("max", lambda xp, x, y: xp.maximum(x, y), ANY)
min_p = naryop("min", lambda xp, x, y: xp.minimum(x, y), ANY)
atan2_p = naryop("atan2", lambda xp, x, y: xp.arctan2(x, y), FLOAT)


def _div_impl(xp: Any, x: Any, y: Any) -> Any:
    if x.dtype.kind in "iu":
        # C-style division, rounding toward zero, like lax.div (NumPy floors).
        q = xp.floor_divide(x, y)
        fix = (xp.remainder(x, y) != 0) & ((x < 0) != (y < 0))
        return q + fix.astype(q.dtype)
    return xp.true_divide(x, y)


def _linear_add_transpose(sign: int):
    def transpose(ct: Any, x: Any, y: Any) -> list:
        if type(ct) is Zero:
            return [None, None]
        cx = unbroadcast(ct, x.aval) if ad.is_undefined(x) else None
        cy = None
        if ad.is_undefined(y):
            cy = unbroadcast(ct if sign > 0 else neg(ct), y.aval)
        return [cx, cy]

    return transpose


defderiv(add_p, lambda ans, x, y: 1, lambda ans, x, y: 1)
ad.transpose_rules[add_p] = _linear_add_transpose(1)
defderiv(sub_p, lambda ans, x, y: 1, lambda ans, x, y: -1)
ad.transpose_rules[sub_p] = _linear_add_transpose(-1)
ad.defbilinear(mul_p, lambda ct, xa, y: unbroadcast(mul(ct, y), xa),
               lambda ct, x, ya: unbroadcast(mul(x, ct), ya))
defderiv(div_p, lambda ans, x, y: div(1, y), lambda ans, x, y: neg(div(ans, y)))
ad.transpose_rules[div_p] = lambda ct, x, y: [unbroadcast(div(ct, y), x.aval), None]
defderiv(rem_p, lambda ans, x, y: 1,
         lambda ans, x, y: neg(mul(sign(div(x, y)), floor(abs(div(x, y))))))


def _pow_dx(ans: Any, x: Any, y: Any) -> Any:
    # y * x**(y-1), except 0 (not 0 * inf) at x == y == 0. Only that point is guarded: a
    # guard on y == 0 alone would also zero the slope in y of this derivative there (the
    # mixed second derivative, 1/x at y == 0).
    both_zero = bitwise_and(eq(x, 0), eq(y, 0))
    return select(both_zero, zeros_like(ans), mul(y, pow(x, sub(y, 1))))


def _pow_dy(ans: Any, x: Any, y: Any) -> Any:
    # log(x) * x**y with log(0) replaced by 0: 0**y has no slope in y.
    safe_x = select(eq(x, 0), ones_like(x), x)
    return mul(log(safe_x), ans)


defderiv(pow_p, _pow_dx, _pow_dy)


def _balanced(pick: Any, x: Any, y: Any) -> Any:
    # Ties split the gradient evenly between the operands, as in JAX.
    ans = max(x, y) if pick is max_p else min(x, y)
    return select(eq(x, y), full_like(ans, 0.5), convert_element_type(eq(ans, x), ans.dtype))


defderiv(max_p, lambda ans, x, y: _balanced(max_p, x, y),
         lambda ans, x, y: _balanced(max_p, y, x))
defderiv(min_p, lambda ans, x, y: _balanced(min_p, x, y),
         lambda ans, x, y: _balanced(min_p, y, x))
defderiv(atan2_p, lambda ans, x, y: div(y, add(mul(x, x), mul(y, y))),
         lambda ans, x, y: neg(div(x, add(mul(x, x), mul(y, y)))))

integer_pow_p = Primitive("integer_pow")
integer_pow_p.def_impl(lambda xp, x, *, y: _integer_pow_impl(xp, x, y))


def _integer_pow_shape(x: ShapedArray, *, y: int) -> ShapedArray:
    check_dtype("integer_pow", x, NUMERIC)
    if y < 0 and x.dtype.kind in "iu":
        # Checked while tracing (not only when run), so jit and make_jaxpr see it too.
        raise TypeError(
            f"integers cannot be raised to the negative power {y} ({x.str_short()}); "
            "convert to a float dtype first"
        )
    return x


integer_pow_p.def_abstract_eval(_integer_pow_shape)
defvectorized(integer_pow_p)
defderiv(integer_pow_p, lambda ans, x, *, y: (
    zeros_like(x) if y == 0 else mul(float(y), x if y == 2 else integer_pow(x, y - 1))))


def _integer_pow_impl(xp: Any, x: Any, y: int) -> Any:
    if y == 2:
        return x * x
    return xp.power(x, y)


# --- unary math ----------------------------------------------------------------------------

sign_p = unary("sign", lambda xp, x: xp.sign(x), NUMERIC)
floor_p = unary("floor", lambda xp, x: xp.floor(x), FLOAT)
ceil_p = unary("ceil", lambda xp, x: xp.ceil(x), FLOAT)


class RoundingMethod(enum.IntEnum):
    """How :func:`round` breaks ties (as ``jax.lax.RoundingMethod``).

    Examples:
        >>> from funcdiff import lax
        >>> lax.round(2.5, lax.RoundingMethod.TO_NEAREST_EVEN)
        Array(2., dtype=float32, weak_type=True)
    """

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def _round_impl(xp: Any, x: Any, *, rounding_method: int) -> Any:
    if rounding_method == RoundingMethod.TO_NEAREST_EVEN:
        return xp.round(x)
    # x - trunc(x) is exact in floating point, so halves are found without rounding error
    # (floor(|x| + 0.5) would round 0.49999997 up).
    t = xp.trunc(x)
    return xp.where(xp.abs(x - t) >= 0.5, t + xp.sign(x), t)


round_p = unary("round", _round_impl, FLOAT)
for _p in (sign_p, floor_p, ceil_p, round_p):
    defderiv(_p, lambda ans, x, **params: zeros_like(ans))
is_finite_p = unary("is_finite", lambda xp, x: xp.isfinite(x), FLOAT, out_dtype=dtypes.bool_)
defnondiff(is_finite_p)

abs_p = unary("abs", lambda xp, x: xp.abs(x), NUMERIC)
# d|x|/dx is 1 for x >= 0 and -1 below: at 0 that is the subgradient JAX picks (1).
defderiv(abs_p, lambda ans, x: select(ge(x, 0), full_like(x, 1), full_like(x, -1)))
exp_p = unary("exp", lambda xp, x: xp.exp(x), INEXACT)
defderiv(exp_p, lambda ans, x: ans)
log_p = unary("log", lambda xp, x: xp.log(x), INEXACT)
defderiv(log_p, lambda ans, x: div(1, x))
log1p_p = unary("log1p", lambda xp, x: xp.log1p(x), INEXACT)
defderiv(log1p_p, lambda ans, x: div(1, add(x, 1)))
expm1_p = unary("expm1", lambda xp, x: xp.expm1(x), INEXACT)
defderiv(expm1_p, lambda ans, x: add(ans, 1))
sqrt_p = unary("sqrt", lambda xp, x: xp.sqrt(x), INEXACT)
defderiv(sqrt_p, lambda ans, x: div(0.5, ans))
rsqrt_p = unary("rsqrt", lambda xp, x: 1 / xp.sqrt(x), INEXACT)
defderiv(rsqrt_p, lambda ans, x: mul(div(ans, x), -0.5))
cbrt_p = unary("cbrt", lambda xp, x: xp.cbrt(x), FLOAT)
defderiv(cbrt_p, lambda ans, x: div(1.0 / 3.0, mul(ans, ans)))
sin_p = unary("sin", lambda xp, x: xp.sin(x), INEXACT)
defderiv(sin_p, lambda ans, x: cos(x))
cos_p = unary("cos", lambda xp, x: xp.cos(x), INEXACT)
defderiv(cos_p, lambda ans, x: neg(sin(x)))
tan_p = unary("tan", lambda xp, x: xp.tan(x), INEXACT)
defderiv(tan_p, lambda ans, x: add(1, mul(ans, ans)))
asin_p = unary("asin", lambda xp, x: xp.arcsin(x), INEXACT)
defderiv(asin_p, lambda ans, x: rsqrt(sub(1, mul(x, x))))
acos_p = unary("acos", lambda xp, x: xp.arccos(x), INEXACT)
defderiv(acos_p, lambda ans, x: neg(rsqrt(sub(1, mul(x, x)))))
atan_p = unary("atan", lambda xp, x: xp.arctan(x), INEXACT)
defderiv(atan_p, lambda ans, x: div(1, add(1, mul(x, x))))
sinh_p = unary("sinh", lambda xp, x: xp.sinh(x), INEXACT)
defderiv(sinh_p, lambda ans, x: cosh(x))
cosh_p = unary("cosh", lambda xp, x: xp.cosh(x), INEXACT)
defderiv(cosh_p, lambda ans, x: sinh(x))
tanh_p = unary("tanh", lambda xp, x: xp.tanh(x), INEXACT)
defderiv(tanh_p, lambda ans, x: sub(1, mul(ans, ans)))
asinh_p = unary("asinh", lambda xp, x: xp.arcsinh(x), INEXACT)
defderiv(asinh_p, lambda ans, x: rsqrt(add(mul(x, x), 1)))
acosh_p = unary("acosh", lambda xp, x: xp.arccosh(x), INEXACT)
defderiv(acosh_p, lambda ans, x: rsqrt(sub(mul(x, x), 1)))
atanh_p = unary("atanh", lambda xp, x: xp.arctanh(x), INEXACT)
defderiv(atanh_p, lambda ans, x: div(1, sub(1, mul(x, x))))
# logistic(x) = exp(-log(1 + exp(-x))): no overflow for large |x|, full precision in the tails.
logistic_p = unary("logistic", lambda xp, x: xp.exp(-xp.logaddexp(0, -x)), INEXACT)
defderiv(logistic_p, lambda ans, x: mul(ans, sub(1, ans)))
erf_p = unary("erf", lambda xp, x: extras.erf(xp, x), FLOAT)
defderiv(erf_p, lambda ans, x: mul(2 / math.sqrt(math.pi), exp(neg(mul(x, x)))))
erf_inv_p = unary("erf_inv", lambda xp, x: extras.erf_inv(xp, x), FLOAT)
defderiv(erf_inv_p, lambda ans, x: mul(math.sqrt(math.pi) / 2, exp(mul(ans, ans))))

# --- comparisons and bitwise ops -------------------------------------------------------------

eq_p = naryop("eq", lambda xp, x, y: xp.equal(x, y), ANY, out_dtype=dtypes.bool_)
ne_p = naryop("ne", lambda xp, x, y: xp.not_equal(x, y), ANY, out_dtype=dtypes.bool_)
lt_p = naryop("lt", lambda xp, x, y: xp.less(x, y), ANY, out_dtype=dtypes.bool_)
le_p = naryop("le", lambda xp, x, y: xp.less_equal(x, y), ANY, out_dtype=dtypes.bool_)
gt_p = naryop("gt", lambda xp, x, y: xp.greater(x, y), ANY, out_dtype=dtypes.bool_)
ge_p = naryop("ge", lambda xp, x, y: xp.greater_equal(x, y), ANY, out_dtype=dtypes.bool_)
and_p = naryop("and", lambda xp, x, y: xp.bitwise_and(x, y), INT_OR_BOOL)
or_p = naryop("or", lambda xp, x, y: xp.bitwise_or(x, y), INT_OR_BOOL)
xor_p = naryop("xor", lambda xp, x, y: xp.bitwise_xor(x, y), INT_OR_BOOL)
not_p = unary("not", lambda xp, x: xp.invert(x), INT_OR_BOOL)
shift_left_p = naryop("shift_left", lambda xp, x, y: xp.left_shift(x, y), INT)
shift_right_logical_p = naryop(
    "shift_right_logical", lambda xp, x, y: _shift_right_logical(xp, x, y), INT)
shift_right_arithmetic_p = naryop(
    "shift_right_arithmetic", lambda xp, x, y: xp.right_shift(x, y), INT)
population_count_p = unary("population_count",
                           lambda xp, x: extras.population_count(xp, x), INT)
for _p in (eq_p, ne_p, lt_p, le_p, gt_p, ge_p, and_p, or_p, xor_p, not_p, shift_left_p,
           shift_right_logical_p, shift_right_arithmetic_p, population_count_p):
    defnondiff(_p)


def _shift_right_logical(xp: Any, x: Any, y: Any) -> Any:
    if x.dtype.kind == "u":
        return xp.right_shift(x, y)
    unsigned = np.dtype(f"uint{x.dtype.itemsize * 8}")
    return xp.right_shift(x.view(unsigned), y.astype(unsigned)).view(x.dtype)


# --- select, conversion, stop_gradient ----------------------------------------------------

select_p = Primitive("select")
select_p.def_impl(lambda xp, pred, on_true, on_false: xp.where(pred, on_true, on_false))


def _select_shape(pred: ShapedArray, on_true: ShapedArray, on_false: ShapedArray) -> ShapedArray:
    check_dtype("select (predicate)", pred, BOOL)
    if on_true.dtype != on_false.dtype:
        raise TypeError(
            f"select branches must have one dtype, got {on_true.dtype} and {on_false.dtype}"
        )
    shape = broadcast_shapes("select", pred.shape, on_true.shape, on_false.shape)
    return ShapedArray(shape, on_true.dtype, on_true.weak_type and on_false.weak_type)


select_p.def_abstract_eval(_select_shape)
defbroadcasting(select_p)


def _select_jvp(primals: Any, tangents: Any) -> Any:
    pred, a, b = primals
    _, ta, tb = tangents
    ans = select_p.bind(pred, a, b)
    if type(ta) is Zero and type(tb) is Zero:
        return [ans], [Zero(ans.aval)]
    return [ans], [select_p.bind(pred, instantiate(ta), instantiate(tb))]


def _select_transpose(ct: Any, pred: Any, a: Any, b: Any) -> list:
    if type(ct) is Zero:
        return [None, None, None]
    zeros = zeros_like(ct)
    ca = unbroadcast(select(pred, ct, zeros), a.aval) if ad.is_undefined(a) else None
    cb = unbroadcast(select(pred, zeros, ct), b.aval) if ad.is_undefined(b) else None
    return [None, ca, cb]


ad.jvp_rules[select_p] = _select_jvp
ad.transpose_rules[select_p] = _select_transpose

convert_element_type_p = Primitive("convert_element_type")
convert_element_type_p.def_impl(lambda xp, x, *, new_dtype, weak_type=False: x.astype(new_dtype))
convert_element_type_p.def_abstract_eval(
    lambda x, *, new_dtype, weak_type=False: ShapedArray(x.shape, new_dtype, weak_type))
defvectorized(convert_element_type_p)


def _convert_jvp(primals: Any, tangents: Any, *, new_dtype: Any, weak_type: bool = False):
    (x,), (t,) = primals, tangents
    ans = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if type(t) is Zero or not (dtypes.is_inexact(new_dtype) and dtypes.is_inexact(x.dtype)):
        return [ans], [Zero(ans.aval)]
    return [ans], [convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)]


ad.jvp_rules[convert_element_type_p] = _convert_jvp
ad.transpose_rules[convert_element_type_p] = lambda ct, x, **p: [
    None if type(ct) is Zero else convert_element_type(ct, x.aval.dtype)]

stop_gradient_p = unary("stop_gradient", lambda xp, x: x)
defnondiff(stop_gradient_p)

# --- the functions users call -----------------------------------------------------------------

neg, sign, floor, ceil, is_finite, abs = map(
    _u, (neg_p, sign_p, floor_p, ceil_p, is_finite_p, abs_p))
exp, log, log1p, expm1, sqrt, rsqrt, cbrt = map(
    _u, (exp_p, log_p, log1p_p, expm1_p, sqrt_p, rsqrt_p, cbrt_p))
sin, cos, tan, asin, acos, atan = map(_u, (sin_p, cos_p, tan_p, asin_p, acos_p, atan_p))
sinh, cosh, tanh, asinh, acosh, atanh = map(
    _u, (sinh_p, cosh_p, tanh_p, asinh_p, acosh_p, atanh_p))
logistic, erf, erf_inv, bitwise_not, population_count = map(
    _u, (logistic_p, erf_p, erf_inv_p, not_p, population_count_p))
add, sub, mul, div, rem, pow, max, min, atan2 = map(
    _b, (add_p, sub_p, mul_p, div_p, rem_p, pow_p, max_p, min_p, atan2_p))
eq, ne, lt, le, gt, ge = map(_b, (eq_p, ne_p, lt_p, le_p, gt_p, ge_p))
bitwise_and, bitwise_or, bitwise_xor = map(_b, (and_p, or_p, xor_p))
shift_left, shift_right_logical, shift_right_arithmetic = map(
    _b, (shift_left_p, shift_right_logical_p, shift_right_arithmetic_p))


def round(x: Any, rounding_method: int = RoundingMethod.AWAY_FROM_ZERO) -> Any:
    """``x`` rounded to the nearest integer; halves go away from zero unless
    ``rounding_method`` is ``RoundingMethod.TO_NEAREST_EVEN`` (as ``jax.lax.round``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> lax.round(fnp.array([0.5, 1.5, -2.5]))
        Array([ 1.,  2., -3.], dtype=float32)
        >>> lax.round(fnp.array([0.5, 1.5, -2.5]), lax.RoundingMethod.TO_NEAREST_EVEN)
        Array([ 0.,  2., -2.], dtype=float32)
    """
    (x,) = operands(x)
    method = int(rounding_method)
    if method not in (0, 1):
        raise ValueError(
            f"round: rounding_method must be RoundingMethod.AWAY_FROM_ZERO (0) or "
            f"RoundingMethod.TO_NEAREST_EVEN (1), got {rounding_method!r}"
        )
    return round_p.bind(x, rounding_method=method)


def integer_pow(x: Any, y: int) -> Any:
    """``x ** y`` for a static Python integer ``y`` (one multiplication chain, exact grads)."""
    (x,) = operands(x)
    return integer_pow_p.bind(x, y=int(y))


def square(x: Any) -> Any:
    """``x * x``."""
    return integer_pow(x, 2)


def select(pred: Any, on_true: Any, on_false: Any) -> Any:
    """``on_true`` where ``pred`` holds, else ``on_false`` (NumPy broadcasting)."""
    # A Python scalar branch takes the other branch's dtype (not the predicate's bool).
    (pred,) = operands(pred)
    on_true, on_false = operands(on_true, on_false)
    return select_p.bind(pred, on_true, on_false)


def convert_element_type(x: Any, new_dtype: Any, weak_type: bool = False) -> Any:
    """``x`` as ``new_dtype`` (canonicalized: float64 becomes float32 without x64)."""
    (x,) = operands(x)
    dt = dtypes.canonicalize(new_dtype)
    if x.aval.dtype == dt and x.aval.weak_type == weak_type:
        return x
    return convert_element_type_p.bind(x, new_dtype=dt, weak_type=weak_type)


def stop_gradient(x: Any) -> Any:
    """``x``, but with no derivative flowing through it (applies to every leaf of a pytree).

    Examples:
        >>> import funcdiff as fd
        >>> fd.grad(lambda x: x * fd.stop_gradient(x))(3.0)
        Array(3., dtype=float32, weak_type=True)
    """
    from .. import tree

    def one(v: Any) -> Any:
        (v,) = operands(v)
        return stop_gradient_p.bind(v)

    return tree.map(one, x)


def zeros_like(x: Any) -> Any:
    from .shapes import full

    return full(x.shape, 0, x.dtype)


def ones_like(x: Any) -> Any:
    from .shapes import full

    return full(x.shape, 1, x.dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> Any:
    """An array like ``x`` (its shape and dtype unless given) filled with ``fill_value``;
    without ``dtype`` it keeps ``x``'s weak type, as ``jax.lax.full_like``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> lax.full_like(fnp.ones((2,), dtype=fnp.int32), 7)
        Array([7, 7], dtype=int32)
        >>> lax.full_like(fnp.asarray(1.0), 0)
        Array(0., dtype=float32, weak_type=True)
    """
    from .shapes import broadcast_in_dim_p, full

    (x,) = operands(x)
    shape = x.shape if shape is None else shape
    if dtype is not None or not x.aval.weak_type:
        return full(shape, fill_value, x.dtype if dtype is None else dtype)
    v = typed_scalar(fill_value, x.dtype, weak=True)
    return broadcast_in_dim_p.bind(v, shape=tuple(int(n) for n in shape),
                                   broadcast_dimensions=())

# Operations that divide by zero or leave their domain return inf/NaN silently, as in JAX:
# NumPy's warnings are turned off around their implementations (about 1 us each, so only
# where a warning is likely; overflow in exp or mul still warns on the NumPy backend).
for _p in (div_p, rem_p, pow_p, log_p, log1p_p, sqrt_p, rsqrt_p, asin_p, acos_p, acosh_p,
           atanh_p, erf_inv_p):
    _p.def_impl(extras.quiet(_p.impl))
