"""Reductions (sum, max, min, prod, and, or, argmax, argmin) and cumulative ops."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import extras
from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitive import Primitive
from ..transforms import ad_rules as ad
from ..transforms.ad_rules import Zero, deflinear, defnondiff
from ..transforms.batching_rules import batch_rules
from ._family import ANY, BOOL, NUMERIC, canonical_axes, check_dtype
from ._operands import operands


def _reduced_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _kept_dims(ndim: int, axes: tuple) -> tuple:
    return tuple(i for i in range(ndim) if i not in axes)


def _reducer(name: str, impl: Any, accepted: frozenset, out_dtype: Any = None) -> Primitive:
    p = Primitive(name)
    p.def_impl(lambda xp, x, *, axes: impl(xp, x, axes))

    def shape_rule(x: ShapedArray, *, axes: tuple) -> ShapedArray:
        check_dtype(name, x, accepted)
        if any(not 0 <= a < x.ndim for a in axes):
            raise ValueError(f"axes {axes} out of range for an array of rank {x.ndim}")
        dt = x.dtype if out_dtype is None else out_dtype
        return ShapedArray(_reduced_shape(x.shape, axes), dt, x.weak_type and out_dtype is None)

    def batch(args: Sequence[Any], dims: Sequence[Any], *, axes: tuple):
        (x,), (d,) = args, dims
        new_axes = tuple(a + (a >= d) for a in axes)
        return [p.bind(x, axes=new_axes)], [d - sum(a < d for a in axes)]

    p.def_abstract_eval(shape_rule)
    batch_rules[p] = batch
    return p


def _expand(x: Any, shape: tuple, axes: tuple) -> Any:
    from .shapes import broadcast_in_dim

    return broadcast_in_dim(x, shape, _kept_dims(len(shape), axes))


reduce_sum_p = _reducer("reduce_sum", lambda xp, x, axes: xp.sum(x, axis=axes), NUMERIC)
deflinear(reduce_sum_p, lambda ct, x, *, axes: [_expand(ct, x.aval.shape, axes)])


def _extremum_impl(fn: str, sign: int) -> Any:
    # Reducing nothing gives the identity of max (-inf, the dtype's smallest value, False)
    # or of min, as in JAX; NumPy raises there instead.
    def impl(xp: Any, x: Any, axes: tuple) -> Any:
        if any(x.shape[a] == 0 for a in axes):
            return xp.full(_reduced_shape(x.shape, axes), _identity(x.dtype, sign), x.dtype)
        return getattr(xp, fn)(x, axis=axes)

    return impl


def _identity(dt: np.dtype, sign: int) -> Any:
    if dt.kind == "b":
        return sign < 0
    if dt.kind in "iu":
        return np.iinfo(dt).min if sign > 0 else np.iinfo(dt).max
    return -np.inf if sign > 0 else np.inf


reduce_max_p = _reducer("reduce_max", _extremum_impl("max", 1), ANY)
reduce_min_p = _reducer("reduce_min", _extremum_impl("min", -1), ANY)


def _extremum_rules(p: Primitive) -> None:
    # The derivative flows to the positions that attain the extremum, split evenly on ties.
    def weights(ans: Any, x: Any, axes: tuple) -> Any:
        from .elementwise import convert_element_type, div, eq

        where = convert_element_type(eq(x, _expand(ans, x.shape, axes)), x.dtype)
        return div(where, _expand(reduce_sum(where, axes), x.shape, axes))

    def jvp(primals, tangents, *, axes):
        from .elementwise import mul

        (x,), (t,) = primals, tangents
        ans = p.bind(x, axes=axes)
        if type(t) is Zero:
            return [ans], [Zero(ans.aval)]
        return [ans], [reduce_sum(mul(t, weights(ans, x, axes)), axes)]

    def vjp(needs, ct, ans, x, *, axes):
        from .elementwise import mul

        return [mul(_expand(ct, x.shape, axes), weights(ans, x, axes))]

    ad.jvp_rules[p] = jvp
    ad.vjp_rules[p] = vjp


_extremum_rules(reduce_max_p)
_extremum_rules(reduce_min_p)

reduce_prod_p = _reducer("reduce_prod", lambda xp, x, axes: xp.prod(x, axis=axes), NUMERIC)


def _prod_grad(x: Any, axes: tuple) -> Any:
    """d prod / d x_i = product of the others, via exclusive cumulative products (exact with
    zeros, where dividing the product by x_i would not be)."""
    from .elementwise import mul
    from .shapes import concatenate, full, reshape, slice, transpose

    kept = _kept_dims(x.ndim, axes)
    perm = kept + axes
    xt = transpose(x, perm)
    lead = tuple(x.shape[i] for i in kept)
    n = 1
    for a in axes:
        n *= x.shape[a]
    if n == 0:  # nothing was multiplied: x is empty and so is its gradient
        return full(x.shape, 0, x.dtype)
    flat = reshape(xt, (*lead, n))
    one = full((*lead, 1), 1, x.dtype)
    last = len(lead)

    def exclusive(v: Any, reverse: bool) -> Any:
        c = cumprod(v, last, reverse=reverse)
        if reverse:
            return concatenate([slice(c, (0,) * last + (1,), (*lead, n)), one], last)
        return concatenate([one, slice(c, (0,) * (last + 1), (*lead, n - 1))], last)

    g = mul(exclusive(flat, False), exclusive(flat, True))
    g = reshape(g, tuple(x.shape[i] for i in perm))
    return transpose(g, tuple(np.argsort(perm)))


def _prod_jvp(primals, tangents, *, axes):
    from .elementwise import mul

    (x,), (t,) = primals, tangents
    ans = reduce_prod_p.bind(x, axes=axes)
    if type(t) is Zero:
        return [ans], [Zero(ans.aval)]
    return [ans], [reduce_sum(mul(t, _prod_grad(x, axes)), axes)]


ad.jvp_rules[reduce_prod_p] = _prod_jvp
def _prod_vjp(needs, ct, ans, x, *, axes):
    from .elementwise import mul

    return [mul(_expand(ct, x.shape, axes), _prod_grad(x, axes))]


ad.vjp_rules[reduce_prod_p] = _prod_vjp

reduce_and_p = _reducer("reduce_and", lambda xp, x, axes: xp.all(x, axis=axes), BOOL)
reduce_or_p = _reducer("reduce_or", lambda xp, x, axes: xp.any(x, axis=axes), BOOL)
defnondiff(reduce_and_p)
defnondiff(reduce_or_p)


def _reduce(p: Primitive, x: Any, axes: Any) -> Any:
    (x,) = operands(x)
    axes = canonical_axes(p.name, axes, x.ndim)
    if not axes:
        return x
    return p.bind(x, axes=axes)


def reduce_sum(x: Any, axes: Sequence[int]) -> Any:
    """Sum over ``axes``."""
    return _reduce(reduce_sum_p, x, axes)


def reduce_max(x: Any, axes: Sequence[int]) -> Any:
    """Maximum over ``axes``."""
    return _reduce(reduce_max_p, x, axes)


def reduce_min(x: Any, axes: Sequence[int]) -> Any:
    """Minimum over ``axes``."""
    return _reduce(reduce_min_p, x, axes)


def reduce_prod(x: Any, axes: Sequence[int]) -> Any:
    """Product over ``axes``."""
    return _reduce(reduce_prod_p, x, axes)


def reduce_and(x: Any, axes: Sequence[int]) -> Any:
    """Logical and over ``axes`` (boolean input)."""
    return _reduce(reduce_and_p, x, axes)


def reduce_or(x: Any, axes: Sequence[int]) -> Any:
    """Logical or over ``axes`` (boolean input)."""
    return _reduce(reduce_or_p, x, axes)


# --- argmax / argmin ------------------------------------------------------------------------


def _arg_reducer(name: str, fn: str) -> Primitive:
    p = Primitive(name)
    p.def_impl(lambda xp, x, *, axis, index_dtype: getattr(xp, fn)(x, axis=axis).astype(
        index_dtype))

    def shape_rule(x: ShapedArray, *, axis: int, index_dtype: Any) -> ShapedArray:
        check_dtype(name, x, ANY)
        if not 0 <= axis < x.ndim:
            raise ValueError(f"axis {axis} out of range for an array of rank {x.ndim}")
        if x.shape[axis] == 0:
            raise ValueError(f"{name} of an empty axis is undefined")
        return ShapedArray(_reduced_shape(x.shape, (axis,)), index_dtype)

    def batch(args, dims, *, axis, index_dtype):
        (x,), (d,) = args, dims
        new_axis = axis + (axis >= d)
        return [p.bind(x, axis=new_axis, index_dtype=index_dtype)], [d - (axis < d)]

    p.def_abstract_eval(shape_rule)
    batch_rules[p] = batch
    defnondiff(p)
    return p


argmax_p = _arg_reducer("argmax", "argmax")
argmin_p = _arg_reducer("argmin", "argmin")


def argmax(x: Any, axis: int, index_dtype: Any = None) -> Any:
    """Index of the first maximum along ``axis``."""
    (x,) = operands(x)
    dt = dtypes.canonicalize(index_dtype or dtypes.default_int())
    return argmax_p.bind(x, axis=canonical_axes("argmax", axis, x.ndim)[0], index_dtype=dt)


def argmin(x: Any, axis: int, index_dtype: Any = None) -> Any:
    """Index of the first minimum along ``axis``."""
    (x,) = operands(x)
    dt = dtypes.canonicalize(index_dtype or dtypes.default_int())
    return argmin_p.bind(x, axis=canonical_axes("argmin", axis, x.ndim)[0], index_dtype=dt)


# --- cumulative ops -------------------------------------------------------------------------


def _cumulative(name: str, impl: Any, accepted: frozenset) -> Primitive:
    p = Primitive(name)

    def run(xp: Any, x: Any, *, axis: int, reverse: bool) -> Any:
        if reverse:
            return xp.flip(impl(xp, xp.flip(x, axis), axis), axis)
        return impl(xp, x, axis)

    def shape_rule(x: ShapedArray, *, axis: int, reverse: bool) -> ShapedArray:
        check_dtype(name, x, accepted)
        if not 0 <= axis < x.ndim:
            raise ValueError(f"axis {axis} out of range for an array of rank {x.ndim}")
        return x

    def batch(args, dims, *, axis, reverse):
        (x,), (d,) = args, dims
        return [p.bind(x, axis=axis + (axis >= d), reverse=reverse)], [d]

    p.def_impl(run)
    p.def_abstract_eval(shape_rule)
    batch_rules[p] = batch
    return p


cumsum_p = _cumulative("cumsum", lambda xp, x, a: xp.cumsum(x, axis=a, dtype=x.dtype), NUMERIC)
deflinear(cumsum_p, lambda ct, x, *, axis, reverse: [
    cumsum_p.bind(ct, axis=axis, reverse=not reverse)])
cumprod_p = _cumulative("cumprod", lambda xp, x, a: xp.cumprod(x, axis=a, dtype=x.dtype),
                        NUMERIC)
cummax_p = _cumulative("cummax", lambda xp, x, a: extras.cumulative_extremum(xp, x, a, "max"),
                       NUMERIC)
cummin_p = _cumulative("cummin", lambda xp, x, a: extras.cumulative_extremum(xp, x, a, "min"),
                       NUMERIC)


def _cumprod_jvp(primals, tangents, *, axis, reverse):
    # d out_i = sum_{j <= i} t_j * (prod_{k < j} x_k) * (prod_{j < k <= i} x_k): exact with
    # zeros (no division), at O(n^2) memory along the scanned axis.
    from .elementwise import ge, gt, mul, select
    from .shapes import broadcast_in_dim, broadcasted_iota, concatenate, full, rev, slice_in_dim

    (x,), (t,) = primals, tangents
    ans = cumprod_p.bind(x, axis=axis, reverse=reverse)
    if type(t) is Zero:
        return [ans], [Zero(ans.aval)]
    if reverse:
        x, t = rev(x, (axis,)), rev(t, (axis,))
    last = x.ndim - 1
    x, t = moveaxis_(x, axis, last), moveaxis_(t, axis, last)
    n = x.shape[-1]
    lead = x.shape[:-1]
    sq = (*lead, n, n)  # [..., j, i]
    j = broadcasted_iota(dtypes.int32, sq, last)
    i = broadcasted_iota(dtypes.int32, sq, last + 1)
    xi = broadcast_in_dim(x, sq, (*range(last), last + 1))
    after = cumprod_p.bind(select(gt(i, j), xi, ones_like_(xi)), axis=last + 1, reverse=False)
    before = concatenate([full((*lead, 1), 1, x.dtype),
                          slice_in_dim(cumprod_p.bind(x, axis=last, reverse=False), 0, n - 1,
                                       axis=last)], last)
    w = mul(broadcast_in_dim(before, sq, tuple(range(last + 1))), after)
    w = select(ge(i, j), w, full(sq, 0, x.dtype))
    out = reduce_sum(mul(broadcast_in_dim(t, sq, tuple(range(last + 1))), w), (last,))
    out = moveaxis_(out, last, axis)
    return [ans], [rev(out, (axis,)) if reverse else out]


def moveaxis_(x: Any, src: int, dst: int) -> Any:
    from ..transforms.batching_rules import moveaxis

    return moveaxis(x, src, dst)


def ones_like_(x: Any) -> Any:
    from .shapes import full

    return full(x.shape, 1, x.dtype)


def _cumext_jvp(p: Primitive):
    # The tangent follows the element that currently holds the running extremum.
    def jvp(primals, tangents, *, axis, reverse):
        from .elementwise import eq, select
        from .indexing import take_along_axis_
        from .shapes import broadcasted_iota, full

        (x,), (t,) = primals, tangents
        ans = p.bind(x, axis=axis, reverse=reverse)
        if type(t) is Zero:
            return [ans], [Zero(ans.aval)]
        pos = broadcasted_iota(dtypes.int32, x.shape, axis)
        hit = eq(x, ans)
        if reverse:
            fill = full(x.shape, x.shape[axis], dtypes.int32)
            src = cummin_p.bind(select(hit, pos, fill), axis=axis, reverse=True)
        else:
            src = cummax_p.bind(select(hit, pos, full(x.shape, -1, dtypes.int32)), axis=axis,
                                reverse=False)
        return [ans], [take_along_axis_(t, src, axis)]

    return jvp


ad.jvp_rules[cumprod_p] = _cumprod_jvp
ad.jvp_rules[cummax_p] = _cumext_jvp(cummax_p)
ad.jvp_rules[cummin_p] = _cumext_jvp(cummin_p)


def _cum(p: Primitive, x: Any, axis: int, reverse: bool) -> Any:
    (x,) = operands(x)
    return p.bind(x, axis=canonical_axes(p.name, axis, x.ndim)[0], reverse=bool(reverse))


def cumsum(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Cumulative sum along ``axis`` (as ``jax.lax.cumsum``)."""
    return _cum(cumsum_p, x, axis, reverse)


def cumprod(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Cumulative product along ``axis``."""
    return _cum(cumprod_p, x, axis, reverse)


def cummax(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Running maximum along ``axis``."""
    return _cum(cummax_p, x, axis, reverse)


def cummin(x: Any, axis: int = 0, reverse: bool = False) -> Any:
    """Running minimum along ``axis``."""
    return _cum(cummin_p, x, axis, reverse)

