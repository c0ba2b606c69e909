"""Gather and scatter: integer-array indexing and its functional updates.

``gather_p(x, *indices, axes)`` picks ``x[i_0, i_1, …]`` along ``axes`` with index arrays of
one shape ``B``; the result has shape ``B + (the axes of x not indexed)``. Negative indices
count from the end, and out-of-range ones are clamped, as JAX does for retrieval.
``scatter_p(x, updates, *indices, axes, mode)`` writes ``updates`` (of the gather's output
shape) into ``x`` with ``mode`` set/add/mul/min/max; out-of-range updates are dropped.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import extras
from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitive import Primitive, ShapeError
from ..transforms import ad_rules as ad
from ..transforms.ad_rules import Zero, instantiate
from ..transforms.batching_rules import batch_rules, bdim_to_front, moveaxis
from ._operands import operands

gather_p = Primitive("gather")
scatter_p = Primitive("scatter")
SCATTER_MODES = ("set", "add", "mul", "min", "max")


def _front(xp: Any, x: Any, axes: tuple) -> Any:
    return xp.moveaxis(x, axes, tuple(range(len(axes)))) if axes != tuple(
        range(len(axes))) else x


def _normalized(xp: Any, idx: Any, n: int) -> Any:
    return xp.where(idx < 0, idx + n, idx)


def _gather_impl(xp: Any, x: Any, *indices: Any, axes: tuple) -> Any:
    xt = _front(xp, x, axes)
    idx = tuple(xp.clip(_normalized(xp, i, x.shape[a]), 0, max(x.shape[a] - 1, 0))
                for i, a in zip(indices, axes))
    return xt[idx]


def _index_shape(x: ShapedArray, indices: Sequence[ShapedArray], axes: tuple) -> tuple:
    if len(indices) != len(axes) or not indices:
        raise ShapeError(f"needs one index array per axis in {axes}, got {len(indices)}")
    if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise ValueError(f"axes {axes} are not distinct axes of an array of rank {x.ndim}")
    shapes = {i.shape for i in indices}
    if len(shapes) != 1:
        raise ShapeError(f"index arrays must have one shape, got {sorted(shapes)}")
    for i in indices:
        if i.dtype.kind not in "iu":
            raise TypeError(f"index arrays must be integers, got {i.dtype}")
    rest = tuple(d for k, d in enumerate(x.shape) if k not in axes)
    return indices[0].shape + rest


def _gather_shape(x: ShapedArray, *indices: ShapedArray, axes: tuple) -> ShapedArray:
    shape = _index_shape(x, indices, axes)
    # No index into an empty axis can be clamped into range; no index at all is fine.
    if any(x.shape[a] == 0 for a in axes) and math.prod(indices[0].shape):
        raise ShapeError(f"cannot index into an empty axis of shape {x.shape}")
    return ShapedArray(shape, x.dtype, x.weak_type)


def _gather_jvp(primals, tangents, *, axes):
    x, *idx = primals
    ans = gather_p.bind(x, *idx, axes=axes)
    if type(tangents[0]) is Zero:
        return [ans], [Zero(ans.aval)]
    return [ans], [gather_p.bind(tangents[0], *idx, axes=axes)]


def _gather_transpose(ct, x, *idx, axes):
    # Gather clamps out-of-range indices, so their cotangents go to the clamped elements.
    zeros = _zeros(x.aval)
    idx_c = [_clamped(i, x.aval.shape[a]) for i, a in zip(idx, axes)]
    return [scatter_p.bind(zeros, ct, *idx_c, axes=axes, mode="add")] + [None] * len(idx)


def _normalized_op(i: Any, n: int) -> Any:
    from .elementwise import add, lt, select

    return select(lt(i, 0), add(i, n), i)


def _clamped(i: Any, n: int) -> Any:
    """Index array ``i`` (negative from the end) clamped into ``[0, n)``, in lax ops."""
    from .elementwise import max, min

    return min(max(_normalized_op(i, n), 0), builtins.max(n - 1, 0))


def _in_range(idx: Sequence[Any], shape: tuple, axes: tuple, out_shape: tuple) -> Any:
    """Where each index tuple is in range (scatter keeps it), broadcast to ``out_shape``."""
    from .elementwise import bitwise_and, ge, lt
    from .shapes import broadcast_in_dim

    ok = None
    for i, a in zip(idx, axes):
        k = _normalized_op(i, shape[a])
        here = bitwise_and(ge(k, 0), lt(k, shape[a]))
        ok = here if ok is None else bitwise_and(ok, here)
    return broadcast_in_dim(ok, out_shape, tuple(range(len(idx[0].shape))))


def _masked_gather(ct: Any, idx: Sequence[Any], axes: tuple) -> Any:
    """``gather(ct)`` with zeros where the index is out of range (the dropped updates)."""
    from .elementwise import select

    g = gather_p.bind(ct, *idx, axes=axes)
    return select(_in_range(idx, ct.shape, axes, g.shape), g, _zeros(g.aval))


def _zeros(aval: ShapedArray) -> Any:
    from .shapes import full

    return full(aval.shape, 0, aval.dtype)


def _batch_indices(x: Any, dx: Any, idx: Sequence[Any], didx: Sequence[Any], axes: tuple,
                   size: int) -> tuple[Any, list, tuple]:
    """Batch an indexing operation: x's batch axis first and indexed by an iota."""
    from .shapes import broadcasted_iota

    if all(d is None for d in didx):
        x = moveaxis(x, dx, 0)
        return x, list(idx), tuple(a + 1 for a in axes)
    idx = [bdim_to_front(i, d, size) for i, d in zip(idx, didx)]
    if dx is None:
        return x, idx, axes
    x = moveaxis(x, dx, 0)
    shape = idx[0].shape
    b = broadcasted_iota(idx[0].dtype, shape, 0)
    return x, [b, *idx], (0, *(a + 1 for a in axes))


def _gather_batch(args, dims, *, axes):
    x, *idx = args
    dx, *didx = dims
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    x2, idx2, axes2 = _batch_indices(x, dx, idx, didx, axes, size)
    out = gather_p.bind(x2, *idx2, axes=axes2)
    # Indices batched: the batch axis leads B; only x batched: it is the first rest axis.
    out_dim = 0 if any(d is not None for d in didx) else len(idx[0].shape)
    return [out], [out_dim]


gather_p.def_impl(_gather_impl)
gather_p.def_abstract_eval(_gather_shape)
ad.jvp_rules[gather_p] = _gather_jvp
ad.transpose_rules[gather_p] = _gather_transpose
batch_rules[gather_p] = _gather_batch


def scatter_into(xp: Any, out: Any, updates: Any, *indices: Any, axes: tuple,
                 mode: str) -> Any:
    """``scatter`` written into ``out`` itself (jit uses it when ``out`` is dead)."""
    ot = _front(xp, out, axes)  # a view: writing into it writes into out
    idx = [_normalized(xp, i, out.shape[a]) for i, a in zip(indices, axes)]
    valid = None
    for i, a in zip(idx, axes):
        ok = (i >= 0) & (i < out.shape[a])
        valid = ok if valid is None else valid & ok
    if not bool(valid.all()):
        # Out-of-range updates are dropped, as in JAX.
        idx = [i[valid] for i in idx]
        updates = updates[valid]
    extras.scatter(xp, ot, tuple(idx), updates, mode)
    return out


def _scatter_impl(xp: Any, x: Any, updates: Any, *indices: Any, axes: tuple, mode: str) -> Any:
    return scatter_into(xp, x.copy(), updates, *indices, axes=axes, mode=mode)


def _scatter_shape(x: ShapedArray, updates: ShapedArray, *indices: ShapedArray, axes: tuple,
                   mode: str) -> ShapedArray:
    if mode not in SCATTER_MODES:
        raise ValueError(f"scatter mode must be one of {SCATTER_MODES}, got {mode!r}")
    expected = _index_shape(x, indices, axes)
    if updates.shape != expected:
        raise ShapeError(
            f"updates of shape {updates.shape} do not fit the indexed shape {expected} "
            f"of an array of shape {x.shape}"
        )
    if updates.dtype != x.dtype:
        raise TypeError(f"updates dtype {updates.dtype} differs from the array's {x.dtype}")
    return x


def _scatter_jvp(primals, tangents, *, axes, mode):
    from .elementwise import add, mul, sub

    x, u, *idx = primals
    tx, tu = tangents[:2]
    ans = scatter_p.bind(x, u, *idx, axes=axes, mode=mode)
    if type(tx) is Zero and type(tu) is Zero:
        return [ans], [Zero(ans.aval)]
    tx, tu = instantiate(tx), instantiate(tu)
    if mode in ("set", "add"):
        return [ans], [scatter_p.bind(tx, tu, *idx, axes=axes, mode=mode)]
    # mul/min/max: rules for unique indices (as documented for .at[].mul/min/max).
    xg = gather_p.bind(x, *idx, axes=axes)
    txg = gather_p.bind(tx, *idx, axes=axes)
    if mode == "mul":
        t_at = add(mul(txg, u), mul(xg, tu))
    else:
        w = _update_weight(xg, u, mode)
        t_at = add(mul(w, tu), mul(sub(1, w), txg))
    return [ans], [scatter_p.bind(tx, t_at, *idx, axes=axes, mode="set")]


def _update_weight(xg: Any, u: Any, mode: str) -> Any:
    """How much of max/min(x, u) follows ``u``: 1 where it wins, 0.5 on ties (as JAX)."""
    from .elementwise import convert_element_type, eq, full_like, gt, lt, select

    wins = gt(u, xg) if mode == "max" else lt(u, xg)
    return select(eq(u, xg), full_like(u, 0.5), convert_element_type(wins, u.dtype))


def _scatter_vjp(needs, ct, ans, x, u, *idx, axes, mode):
    """Reverse rule of every mode: linear modes transpose, the others use their own
    derivative (for unique indices, like the JVP)."""
    from .elementwise import mul, sub

    if mode in ("set", "add"):
        xa = ad.UndefinedPrimal(x.aval) if needs[0] else x
        ua = ad.UndefinedPrimal(u.aval) if needs[1] else u
        return _scatter_transpose(ct, xa, ua, *idx, axes=axes, mode=mode)
    ctg = gather_p.bind(ct, *idx, axes=axes)
    xg = gather_p.bind(x, *idx, axes=axes)
    if mode == "mul":
        dx, du = u, xg
    else:
        du = _update_weight(xg, u, mode)
        dx = sub(1, du)
    cx = scatter_p.bind(ct, mul(ctg, dx), *idx, axes=axes, mode="set") if needs[0] else None
    cu = None
    if needs[1]:
        cu = mul(_masked_gather(ct, idx, axes), du)
    return [cx, cu] + [None] * len(idx)


def _scatter_transpose(ct, x, u, *idx, axes, mode):
    if mode not in ("set", "add"):
        raise TypeError(f"scatter with mode={mode!r} is not linear")
    u_aval = u.aval
    cx = cu = None
    if ad.is_undefined(x):
        cx = ct if mode == "add" else scatter_p.bind(ct, _zeros(u_aval), *idx, axes=axes,
                                                     mode="set")
    if ad.is_undefined(u):
        cu = _masked_gather(ct, idx, axes)  # dropped updates get no cotangent
    return [cx, cu] + [None] * len(idx)


def _scatter_batch(args, dims, *, axes, mode):
    x, u, *idx = args
    dx, du, *didx = dims
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    x = bdim_to_front(x, dx, size)
    x2, idx2, axes2 = _batch_indices(x, 0, idx, didx, axes, size)
    if any(d is not None for d in didx):
        u = bdim_to_front(u, du, size)  # updates lead with the batch, like the indices
    else:
        nb = len(idx[0].shape)
        if du is None:
            u = bdim_to_front(u, None, size)
            du = 0
        u = moveaxis(u, du, nb)  # the batch axis is the first non-indexed axis
    return [scatter_p.bind(x2, u, *idx2, axes=axes2, mode=mode)], [0]


scatter_p.def_impl(_scatter_impl)
scatter_p.def_abstract_eval(_scatter_shape)
ad.jvp_rules[scatter_p] = _scatter_jvp
ad.transpose_rules[scatter_p] = _scatter_transpose
ad.vjp_rules[scatter_p] = _scatter_vjp
batch_rules[scatter_p] = _scatter_batch


def _broadcast_indices(indices: Sequence[Any]) -> list:
    from .shapes import broadcast_to

    idx = operands(*indices)
    shape = np.broadcast_shapes(*(i.shape for i in idx))
    return [broadcast_to(i, shape) if i.shape != shape else i for i in idx]


def index_take(x: Any, indices: Sequence[Any], axes: Sequence[int]) -> Any:
    """``x`` indexed by integer arrays along ``axes``; result shape ``B + rest``."""
    (x,) = operands(x)
    idx = _broadcast_indices(indices)
    return gather_p.bind(x, *idx, axes=tuple(int(a) % x.ndim for a in axes))


def index_update(x: Any, indices: Sequence[Any], updates: Any, axes: Sequence[int],
                 mode: str = "set") -> Any:
    """``x`` with ``updates`` written at integer ``indices`` along ``axes`` (``mode``:
    set/add/mul/min/max); updates broadcast to the indexed shape."""
    from .elementwise import convert_element_type
    from .shapes import broadcast_to

    (x,) = operands(x)
    axes = tuple(int(a) % x.ndim for a in axes)
    idx = _broadcast_indices(indices)
    target = _index_shape(x.aval, [i.aval for i in idx], axes)
    (updates,) = operands(updates) if not isinstance(updates, (int, float, bool)) else (
        operands(x, updates)[1],)
    if updates.dtype != x.dtype:
        updates = convert_element_type(updates, x.dtype)
    if updates.shape != target:
        updates = broadcast_to(updates, target)
    return scatter_p.bind(x, updates, *idx, axes=axes, mode=mode)


def take_along_axis_(x: Any, idx: Any, axis: int) -> Any:
    """``x`` picked along ``axis`` at ``idx`` of ``x``'s shape (other axes aligned)."""
    from .shapes import broadcasted_iota

    grids = [idx if k == axis else broadcasted_iota(idx.dtype, idx.shape, k)
             for k in range(x.ndim)]
    return gather_p.bind(x, *grids, axes=tuple(range(x.ndim)))


def batched_dynamic_slice(x, dx, idx, didx, slice_sizes):
    """``dynamic_slice`` with batched start indices, as one gather."""
    from .elementwise import add, convert_element_type, max, min
    from .shapes import broadcast_in_dim, broadcasted_iota, full

    size = next(i.shape[d] for i, d in zip(idx, didx) if d is not None)
    x = bdim_to_front(x, dx, size)
    out_shape = (size, *slice_sizes)
    grids = [broadcasted_iota(dtypes.int32, out_shape, 0)]
    for k, (i, d) in enumerate(zip(idx, didx)):
        i = convert_element_type(bdim_to_front(i, d, size), dtypes.int32)
        hi = x.shape[k + 1] - slice_sizes[k]
        start = min(max(i, full(i.shape, 0, dtypes.int32)), full(i.shape, hi, dtypes.int32))
        grids.append(add(broadcast_in_dim(start, out_shape, (0,)),
                         broadcasted_iota(dtypes.int32, out_shape, k + 1)))
    return [gather_p.bind(x, *grids, axes=tuple(range(x.ndim)))], [0]


def batched_dynamic_update_slice(x, dx, u, du, idx, didx, size):
    """``dynamic_update_slice`` with batched start indices, as one scatter."""
    from .elementwise import add, convert_element_type, max, min
    from .shapes import broadcast_in_dim, broadcasted_iota, full

    x, u = bdim_to_front(x, dx, size), bdim_to_front(u, du, size)
    grids = [broadcasted_iota(dtypes.int32, u.shape, 0)]
    for k, (i, d) in enumerate(zip(idx, didx)):
        i = convert_element_type(bdim_to_front(i, d, size), dtypes.int32)
        hi = x.shape[k + 1] - u.shape[k + 1]
        start = min(max(i, full(i.shape, 0, dtypes.int32)), full(i.shape, hi, dtypes.int32))
        grids.append(add(broadcast_in_dim(start, u.shape, (0,)),
                         broadcasted_iota(dtypes.int32, u.shape, k + 1)))
    return [scatter_p.bind(x, u, *grids, axes=tuple(range(x.ndim)), mode="set")], [0]
