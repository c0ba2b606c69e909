"""Shape primitives: broadcast, reshape, transpose, concatenate, pad, slice, rev, iota,
dynamic slices. All are linear; each is followed by its transpose and batching rules."""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitive import Primitive, ShapeError
from ..transforms import ad_rules as ad
from ..transforms.ad_rules import Zero, deflinear, defnondiff, instantiate
from ..transforms.batching_rules import batch_rules, bdim_to_front, moveaxis
from ._operands import operands, typed_scalar

builtin_slice = builtins.slice  # this module defines lax.slice


def _ints(xs: Any) -> tuple[int, ...]:
    return tuple(int(x) for x in xs)


# --- broadcast_in_dim ------------------------------------------------------------------------

broadcast_in_dim_p = Primitive("broadcast_in_dim")


def _broadcast_in_dim_impl(xp: Any, x: Any, *, shape: tuple, broadcast_dimensions: tuple) -> Any:
    if isinstance(x, np.generic):
        return xp.full(shape, x, dtype=x.dtype)  # a host scalar filling an array (lax.full)
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return xp.broadcast_to(xp.reshape(x, expanded), shape)


def _broadcast_in_dim_shape(x: ShapedArray, *, shape: tuple, broadcast_dimensions: tuple):
    if len(broadcast_dimensions) != x.ndim:
        raise ShapeError(
            f"broadcast_dimensions {broadcast_dimensions} must name one output axis for each of "
            f"the operand's {x.ndim} axes"
        )
    if any(b >= len(shape) for b in broadcast_dimensions) or list(broadcast_dimensions) != sorted(
            set(broadcast_dimensions)):
        raise ShapeError(
            f"broadcast_dimensions {broadcast_dimensions} must be strictly increasing axes of "
            f"the output shape {shape}"
        )
    for i, d in enumerate(broadcast_dimensions):
        if x.shape[i] not in (1, shape[d]):
            raise ShapeError(f"cannot broadcast operand of shape {x.shape} to {shape}")
    return ShapedArray(shape, x.dtype, x.weak_type)


def _broadcast_in_dim_transpose(ct: Any, x: Any, *, shape: tuple, broadcast_dimensions: tuple):
    in_shape = x.aval.shape
    new_axes = tuple(i for i in range(len(shape)) if i not in broadcast_dimensions)
    ones = tuple(d for i, d in enumerate(broadcast_dimensions)
                 if in_shape[i] == 1 and shape[d] != 1)
    summed = reduce_sum(ct, tuple(sorted(new_axes + ones))) if new_axes or ones else ct
    return [reshape(summed, in_shape)]


def _broadcast_in_dim_batch(args, dims, *, shape, broadcast_dimensions):
    (x,), (d,) = args, dims
    x = moveaxis(x, d, 0)
    out = broadcast_in_dim_p.bind(x, shape=(x.shape[0], *shape),
                                  broadcast_dimensions=(0, *(b + 1 for b in broadcast_dimensions)))
    return [out], [0]


broadcast_in_dim_p.def_impl(_broadcast_in_dim_impl)
broadcast_in_dim_p.def_abstract_eval(_broadcast_in_dim_shape)
deflinear(broadcast_in_dim_p, _broadcast_in_dim_transpose)
batch_rules[broadcast_in_dim_p] = _broadcast_in_dim_batch


def broadcast_in_dim(x: Any, shape: Sequence[int], broadcast_dimensions: Sequence[int]) -> Any:
    """Broadcast ``x`` to ``shape``; operand axis ``i`` becomes output axis
    ``broadcast_dimensions[i]`` (as ``jax.lax.broadcast_in_dim``)."""
    (x,) = operands(x)
    shape, bdims = _ints(shape), _ints(broadcast_dimensions)
    if x.shape == shape and bdims == tuple(range(len(shape))):
        return x
    return broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=bdims)


def broadcast_to(x: Any, shape: Sequence[int]) -> Any:
    """NumPy-style ``broadcast_to``."""
    (x,) = operands(x)
    shape = _ints(shape)
    if x.ndim > len(shape):
        raise ShapeError(f"cannot broadcast an array of shape {x.shape} to the shorter {shape}")
    return broadcast_in_dim(x, shape, tuple(range(len(shape) - x.ndim, len(shape))))


def broadcast(x: Any, sizes: Sequence[int]) -> Any:
    """Add leading axes of ``sizes`` to ``x`` (as ``jax.lax.broadcast``)."""
    (x,) = operands(x)
    sizes = _ints(sizes)
    return broadcast_in_dim(x, sizes + x.shape, tuple(range(len(sizes), len(sizes) + x.ndim)))


def full(shape: Sequence[int], fill_value: Any, dtype: Any = None) -> Any:
    """An array of ``shape`` filled with ``fill_value`` (as ``jax.lax.full``)."""
    shape = _ints(shape) if not isinstance(shape, (int, np.integer)) else (int(shape),)
    if dtype is None:
        (v,) = operands(fill_value)
    else:
        dt = dtypes.canonicalize(dtype)
        v = (typed_scalar(fill_value, dt, weak=False)
             if isinstance(fill_value, (bool, int, float, complex, np.generic))
             else convert_element_type_(fill_value, dt))
    if not isinstance(v, (np.generic, np.ndarray)) and v.ndim != 0:
        raise ShapeError(f"full's fill_value must be a scalar, got shape {v.shape}")
    return broadcast_in_dim_p.bind(v, shape=shape, broadcast_dimensions=())


def convert_element_type_(x: Any, dt: Any) -> Any:
    from .elementwise import convert_element_type

    return convert_element_type(x, dt)


# --- reshape --------------------------------------------------------------------------------

reshape_p = Primitive("reshape")
reshape_p.def_impl(lambda xp, x, *, new_sizes: xp.reshape(x, new_sizes))


def _reshape_shape(x: ShapedArray, *, new_sizes: tuple) -> ShapedArray:
    if math.prod(new_sizes) != x.size or any(d < 0 for d in new_sizes):
        raise ShapeError(f"cannot reshape an array of shape {x.shape} into shape {new_sizes}")
    return ShapedArray(new_sizes, x.dtype, x.weak_type)


def _reshape_batch(args, dims, *, new_sizes):
    (x,), (d,) = args, dims
    x = moveaxis(x, d, 0)
    return [reshape_p.bind(x, new_sizes=(x.shape[0], *new_sizes))], [0]


reshape_p.def_abstract_eval(_reshape_shape)
deflinear(reshape_p, lambda ct, x, *, new_sizes: [reshape(ct, x.aval.shape)])
batch_rules[reshape_p] = _reshape_batch


def reshape(x: Any, new_sizes: Sequence[int], dimensions: Sequence[int] | None = None) -> Any:
    """``x`` with shape ``new_sizes`` (one ``-1`` is inferred); ``dimensions`` transposes first."""
    (x,) = operands(x)
    if dimensions is not None:
        x = transpose(x, dimensions)
    sizes = list(_ints(new_sizes) if not isinstance(new_sizes, (int, np.integer))
                 else (int(new_sizes),))
    if sizes.count(-1) > 1:
        raise ShapeError(f"reshape: only one -1 allowed in {tuple(sizes)}")
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        if known == 0 or x.size % known:
            raise ShapeError(f"cannot reshape an array of shape {x.shape} into {tuple(sizes)}")
        sizes[sizes.index(-1)] = x.size // known
    if tuple(sizes) == x.shape:
        return x
    return reshape_p.bind(x, new_sizes=tuple(sizes))


# --- transpose ------------------------------------------------------------------------------

transpose_p = Primitive("transpose")
transpose_p.def_impl(lambda xp, x, *, permutation: xp.transpose(x, permutation))


def _transpose_shape(x: ShapedArray, *, permutation: tuple) -> ShapedArray:
    if sorted(permutation) != list(range(x.ndim)):
        raise ShapeError(f"permutation {permutation} is not a permutation of {x.ndim} axes")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


def _transpose_batch(args, dims, *, permutation):
    (x,), (d,) = args, dims
    x = moveaxis(x, d, 0)
    return [transpose_p.bind(x, permutation=(0, *(p + 1 for p in permutation)))], [0]


transpose_p.def_abstract_eval(_transpose_shape)
deflinear(transpose_p, lambda ct, x, *, permutation: [
    transpose(ct, tuple(np.argsort(permutation)))])
batch_rules[transpose_p] = _transpose_batch


def transpose(x: Any, permutation: Sequence[int]) -> Any:
    """Permute the axes of ``x`` (as ``jax.lax.transpose``)."""
    (x,) = operands(x)
    perm = tuple(int(p) % x.ndim if x.ndim else int(p) for p in permutation)
    if perm == tuple(range(x.ndim)):
        return x
    return transpose_p.bind(x, permutation=perm)


# --- concatenate ----------------------------------------------------------------------------

concatenate_p = Primitive("concatenate")
concatenate_p.def_impl(lambda xp, *xs, dimension: xp.concatenate(xs, axis=dimension))


def _concatenate_shape(*xs: ShapedArray, dimension: int) -> ShapedArray:
    if not xs:
        raise ValueError("concatenate needs at least one array")
    first = xs[0]
    for x in xs:
        if x.dtype != first.dtype:
            raise TypeError(f"concatenate needs one dtype, got {[a.dtype.name for a in xs]}")
        if x.ndim != first.ndim or any(
                a != b for i, (a, b) in enumerate(zip(x.shape, first.shape)) if i != dimension):
            raise ShapeError(
                f"concatenate along axis {dimension} needs equal other axes, got shapes "
                f"{[a.shape for a in xs]}"
            )
    if not 0 <= dimension < first.ndim:
        raise ValueError(f"concatenate: axis {dimension} out of bounds for rank {first.ndim}")
    shape = list(first.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(tuple(shape), first.dtype, all(x.weak_type for x in xs))


def _concatenate_transpose(ct: Any, *xs: Any, dimension: int) -> list:
    outs, start = [], 0
    for x in xs:
        n = (x.aval if ad.is_undefined(x) else x).shape[dimension]
        if ad.is_undefined(x):
            lo = [0] * ct.ndim
            hi = list(ct.shape)
            lo[dimension], hi[dimension] = start, start + n
            outs.append(slice(ct, lo, hi))
        else:
            outs.append(None)
        start += n
    return outs


def _concatenate_batch(args, dims, *, dimension):
    size = next(x.shape[d] for x, d in zip(args, dims) if d is not None)
    moved = [bdim_to_front(x, d, size) for x, d in zip(args, dims)]
    return [concatenate_p.bind(*moved, dimension=dimension + 1)], [0]


concatenate_p.def_abstract_eval(_concatenate_shape)
deflinear(concatenate_p, _concatenate_transpose)
batch_rules[concatenate_p] = _concatenate_batch


def concatenate(operands_: Sequence[Any], dimension: int) -> Any:
    """Join arrays along axis ``dimension`` (as ``jax.lax.concatenate``)."""
    xs = operands(*operands_)
    if len(xs) == 1:
        return xs[0]
    return concatenate_p.bind(*xs, dimension=int(dimension))


# --- pad ------------------------------------------------------------------------------------

pad_p = Primitive("pad")


def _pad_impl(xp: Any, x: Any, value: Any, *, padding_config: tuple) -> Any:
    # Interior padding first (into a bigger buffer), then edges, cropping where negative.
    inner = tuple(n + max(n - 1, 0) * i for n, (_, _, i) in zip(x.shape, padding_config))
    buf = xp.full(inner, value, dtype=x.dtype)
    buf[tuple(builtin_slice(None, None, i + 1) for (_, _, i) in padding_config)] = x
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi, _ in padding_config]
    if any(w != (0, 0) for w in widths):
        out = xp.full(tuple(n + a + b for n, (a, b) in zip(inner, widths)), value, dtype=x.dtype)
        out[tuple(builtin_slice(a, a + n) for n, (a, _) in zip(inner, widths))] = buf
        buf = out
    crop = tuple(builtin_slice(max(-lo, 0), buf.shape[k] - max(-hi, 0))
                 for k, (lo, hi, _) in enumerate(padding_config))
    return buf[crop]


def _pad_shape(x: ShapedArray, value: ShapedArray, *, padding_config: tuple) -> ShapedArray:
    if len(padding_config) != x.ndim:
        raise ShapeError(f"padding_config has {len(padding_config)} entries for rank {x.ndim}")
    if value.shape != ():
        raise ShapeError(f"padding_value must be a scalar, got shape {value.shape}")
    if value.dtype != x.dtype:
        raise TypeError(f"padding_value dtype {value.dtype} differs from operand's {x.dtype}")
    shape = []
    for n, (lo, hi, interior) in zip(x.shape, padding_config):
        if interior < 0:
            raise ValueError(f"interior padding must be >= 0, got {interior}")
        size = lo + hi + n + max(n - 1, 0) * interior
        if size < 0:
            raise ShapeError(f"padding {padding_config} crops more than the shape {x.shape}")
        shape.append(size)
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _pad_operand_ct(ct: Any, x_aval: ShapedArray, padding_config: tuple) -> Any:
    # Undo negative padding with zeros, then take the operand's strided positions.
    unneg = tuple((max(-lo, 0), max(-hi, 0), 0) for lo, hi, _ in padding_config)
    if any(a or b for a, b, _ in unneg):
        ct = pad(ct, typed_scalar(0, ct.dtype), unneg)
    starts = [max(lo, 0) for lo, _, _ in padding_config]
    strides = [i + 1 for _, _, i in padding_config]
    limits = [s + (n - 1) * st + 1 if n else s
              for s, n, st in zip(starts, x_aval.shape, strides)]
    return slice(ct, starts, limits, strides)


def _pad_transpose(ct: Any, x: Any, value: Any, *, padding_config: tuple) -> list:
    from .elementwise import sub
    from .reductions import reduce_sum as rs

    x_aval = x.aval
    x_part = _pad_operand_ct(ct, x_aval, padding_config)
    cx = x_part if ad.is_undefined(x) else None
    cv = None
    if ad.is_undefined(value):
        everything = tuple(range(ct.ndim))
        cv = sub(rs(ct, everything), rs(x_part, everything))
    return [cx, cv]


def _pad_batch(args, dims, *, padding_config):
    from .elementwise import select

    (x, v), (dx, dv) = args, dims
    size = x.shape[dx] if dx is not None else v.shape[dv]
    x = bdim_to_front(x, dx, size)
    cfg = ((0, 0, 0), *padding_config)
    if dv is None:
        return [pad_p.bind(x, v, padding_config=cfg)], [0]
    zero = typed_scalar(0, x.dtype)
    padded = pad_p.bind(x, zero, padding_config=cfg)
    mask = pad_p.bind(full(x.shape, True, dtypes.bool_), np.bool_(False), padding_config=cfg)
    vb = broadcast_in_dim(moveaxis(v, dv, 0), padded.shape, (0,))
    return [select(mask, padded, vb)], [0]


pad_p.def_impl(_pad_impl)
pad_p.def_abstract_eval(_pad_shape)
deflinear(pad_p, _pad_transpose)
batch_rules[pad_p] = _pad_batch


def pad(x: Any, padding_value: Any, padding_config: Sequence[tuple[int, int, int]]) -> Any:
    """Pad ``x`` with ``(low, high, interior)`` per axis; negative low/high crop
    (as ``jax.lax.pad``)."""
    x, v = operands(x, padding_value)
    cfg = tuple(_ints(c) for c in padding_config)
    return pad_p.bind(x, v, padding_config=cfg)


# --- slice ----------------------------------------------------------------------------------

slice_p = Primitive("slice")
slice_p.def_impl(lambda xp, x, *, start_indices, limit_indices, strides: x[tuple(
    builtin_slice(s, e, st) for s, e, st in zip(start_indices, limit_indices, strides))])


def _slice_shape(x: ShapedArray, *, start_indices, limit_indices, strides) -> ShapedArray:
    if not len(start_indices) == len(limit_indices) == len(strides) == x.ndim:
        raise ShapeError(f"slice needs one start, limit and stride per axis of {x.shape}")
    shape = []
    for n, s, e, st in zip(x.shape, start_indices, limit_indices, strides):
        if not 0 <= s <= e <= n or st < 1:
            raise ShapeError(
                f"slice [{s}:{e}:{st}] is out of bounds for an axis of size {n} (shape {x.shape})"
            )
        shape.append(max(0, -(-(e - s) // st)))
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _slice_transpose(ct: Any, x: Any, *, start_indices, limit_indices, strides) -> list:
    cfg = []
    for n, s, k, st in zip(x.aval.shape, start_indices, ct.shape, strides):
        last = s + (k - 1) * st + 1 if k else s
        cfg.append((s, n - last, st - 1) if k else (0, n - 0, 0))
    if any(k == 0 for k in ct.shape):
        return [full(x.aval.shape, 0, x.aval.dtype)]
    return [pad(ct, typed_scalar(0, ct.dtype), cfg)]


def _slice_batch(args, dims, *, start_indices, limit_indices, strides):
    (x,), (d,) = args, dims
    x = moveaxis(x, d, 0)
    out = slice_p.bind(x, start_indices=(0, *start_indices),
                       limit_indices=(x.shape[0], *limit_indices), strides=(1, *strides))
    return [out], [0]


slice_p.def_abstract_eval(_slice_shape)
deflinear(slice_p, _slice_transpose)
batch_rules[slice_p] = _slice_batch


def slice(x: Any, start_indices: Sequence[int], limit_indices: Sequence[int],
          strides: Sequence[int] | None = None) -> Any:
    """``x[start:limit:stride]`` per axis, with static bounds (as ``jax.lax.slice``)."""
    (x,) = operands(x)
    st = _ints(strides) if strides is not None else (1,) * x.ndim
    start, limit = _ints(start_indices), _ints(limit_indices)
    if start == (0,) * x.ndim and limit == x.shape and st == (1,) * x.ndim:
        return x
    return slice_p.bind(x, start_indices=start, limit_indices=limit, strides=st)


def slice_in_dim(x: Any, start_index: int | None, limit_index: int | None, stride: int = 1,
                 axis: int = 0) -> Any:
    """``lax.slice`` along one axis."""
    (x,) = operands(x)
    axis = axis % x.ndim
    start = [0] * x.ndim
    limit = list(x.shape)
    strides = [1] * x.ndim
    n = x.shape[axis]
    s, e, _ = builtin_slice(start_index, limit_index).indices(n)
    start[axis], limit[axis], strides[axis] = s, max(e, s), stride
    return slice(x, start, limit, strides)


# --- rev ------------------------------------------------------------------------------------

rev_p = Primitive("rev")
rev_p.def_impl(lambda xp, x, *, dimensions: xp.flip(x, dimensions) if dimensions else x)


def _rev_shape(x: ShapedArray, *, dimensions: tuple) -> ShapedArray:
    if any(not 0 <= d < x.ndim for d in dimensions):
        raise ValueError(f"rev: dimensions {dimensions} out of range for rank {x.ndim}")
    return x


rev_p.def_abstract_eval(_rev_shape)
deflinear(rev_p, lambda ct, x, *, dimensions: [rev(ct, dimensions)])
batch_rules[rev_p] = lambda args, dims, *, dimensions: (
    [rev_p.bind(args[0], dimensions=tuple(d + (d >= dims[0]) for d in dimensions))], [dims[0]])


def rev(x: Any, dimensions: Sequence[int]) -> Any:
    """Reverse ``x`` along ``dimensions`` (as ``jax.lax.rev``)."""
    (x,) = operands(x)
    return rev_p.bind(x, dimensions=tuple(sorted(int(d) % x.ndim for d in dimensions)))


# --- iota -----------------------------------------------------------------------------------

iota_p = Primitive("iota")


def _iota_impl(xp: Any, *, dtype: Any, shape: tuple, dimension: int) -> Any:
    ar = xp.arange(shape[dimension], dtype=dtype)
    view = [1] * len(shape)
    view[dimension] = shape[dimension]
    return xp.broadcast_to(xp.reshape(ar, view), shape)


def _iota_shape(*, dtype: Any, shape: tuple, dimension: int) -> ShapedArray:
    if not 0 <= dimension < len(shape):
        raise ValueError(f"iota: dimension {dimension} out of range for shape {shape}")
    return ShapedArray(shape, dtype)


iota_p.def_impl(_iota_impl)
iota_p.def_abstract_eval(_iota_shape)
defnondiff(iota_p)


def iota(dtype: Any, size: int) -> Any:
    """``[0, 1, …, size-1]`` (as ``jax.lax.iota``)."""
    return iota_p.bind(dtype=dtypes.canonicalize(dtype), shape=(int(size),), dimension=0)


def broadcasted_iota(dtype: Any, shape: Sequence[int], dimension: int) -> Any:
    """Indices along ``dimension`` broadcast to ``shape``."""
    return iota_p.bind(dtype=dtypes.canonicalize(dtype), shape=_ints(shape),
                       dimension=int(dimension))


# --- dynamic_slice / dynamic_update_slice ---------------------------------------------------

dynamic_slice_p = Primitive("dynamic_slice")


def _clamped_starts(xp: Any, shape: tuple, sizes: tuple, idx: Sequence[Any]) -> list[int]:
    # Start indices are clamped so the slice fits, as in XLA.
    return [min(max(int(i), 0), n - s) for i, n, s in zip(idx, shape, sizes)]


def _dynamic_slice_impl(xp: Any, x: Any, *idx: Any, slice_sizes: tuple) -> Any:
    starts = _clamped_starts(xp, x.shape, slice_sizes, idx)
    return x[tuple(builtin_slice(s, s + n) for s, n in zip(starts, slice_sizes))]


def _dynamic_slice_shape(x: ShapedArray, *idx: ShapedArray, slice_sizes: tuple) -> ShapedArray:
    if len(idx) != x.ndim or len(slice_sizes) != x.ndim:
        raise ShapeError(f"dynamic_slice needs {x.ndim} start indices and slice sizes")
    for i in idx:
        if i.shape != () or i.dtype.kind not in "iu":
            raise TypeError(f"dynamic_slice start indices must be integer scalars, got {i}")
    if any(not 0 <= s <= n for s, n in zip(slice_sizes, x.shape)):
        raise ShapeError(f"slice_sizes {slice_sizes} do not fit in shape {x.shape}")
    return ShapedArray(slice_sizes, x.dtype, x.weak_type)


def _dynamic_slice_jvp(primals, tangents, *, slice_sizes):
    x, *idx = primals
    ans = dynamic_slice_p.bind(x, *idx, slice_sizes=slice_sizes)
    if type(tangents[0]) is Zero:
        return [ans], [Zero(ans.aval)]
    return [ans], [dynamic_slice_p.bind(tangents[0], *idx, slice_sizes=slice_sizes)]


def _dynamic_slice_transpose(ct, x, *idx, slice_sizes):
    zeros = full(x.aval.shape, 0, x.aval.dtype)
    return [dynamic_update_slice_p.bind(zeros, ct, *idx)] + [None] * len(idx)


def _dynamic_slice_batch(args, dims, *, slice_sizes):
    x, *idx = args
    dx, *didx = dims
    if all(d is None for d in didx):
        x = moveaxis(x, dx, 0)
        zero = typed_scalar(0, idx[0].dtype if hasattr(idx[0], "dtype") else np.int32)
        out = dynamic_slice_p.bind(x, zero, *idx, slice_sizes=(x.shape[0], *slice_sizes))
        return [out], [0]
    from .indexing import batched_dynamic_slice

    return batched_dynamic_slice(x, dx, idx, didx, slice_sizes)


dynamic_slice_p.def_impl(_dynamic_slice_impl)
dynamic_slice_p.def_abstract_eval(_dynamic_slice_shape)
ad.jvp_rules[dynamic_slice_p] = _dynamic_slice_jvp
ad.transpose_rules[dynamic_slice_p] = _dynamic_slice_transpose
batch_rules[dynamic_slice_p] = _dynamic_slice_batch


def dynamic_slice(x: Any, start_indices: Sequence[Any], slice_sizes: Sequence[int]) -> Any:
    """A ``slice_sizes`` block of ``x`` starting at traced ``start_indices`` (clamped to fit)."""
    (x,) = operands(x)
    idx = [i if hasattr(i, "aval") else typed_scalar(int(i), dtypes.default_int())
           for i in start_indices]
    return dynamic_slice_p.bind(x, *idx, slice_sizes=_ints(slice_sizes))


dynamic_update_slice_p = Primitive("dynamic_update_slice")


def _dynamic_update_slice_impl(xp: Any, x: Any, update: Any, *idx: Any) -> Any:
    starts = _clamped_starts(xp, x.shape, update.shape, idx)
    out = x.copy()
    out[tuple(builtin_slice(s, s + n) for s, n in zip(starts, update.shape))] = update
    return out


def _dynamic_update_slice_shape(x: ShapedArray, update: ShapedArray, *idx: ShapedArray):
    if update.ndim != x.ndim or any(u > n for u, n in zip(update.shape, x.shape)):
        raise ShapeError(f"update of shape {update.shape} does not fit in {x.shape}")
    if update.dtype != x.dtype:
        raise TypeError(f"update dtype {update.dtype} differs from operand dtype {x.dtype}")
    if len(idx) != x.ndim:
        raise ShapeError(f"dynamic_update_slice needs {x.ndim} start indices, got {len(idx)}")
    return x


def _dynamic_update_slice_jvp(primals, tangents):
    x, u, *idx = primals
    tx, tu = tangents[:2]
    ans = dynamic_update_slice_p.bind(x, u, *idx)
    if type(tx) is Zero and type(tu) is Zero:
        return [ans], [Zero(ans.aval)]
    return [ans], [dynamic_update_slice_p.bind(instantiate(tx), instantiate(tu), *idx)]


def _dynamic_update_slice_transpose(ct, x, u, *idx):
    u_aval = u.aval if ad.is_undefined(u) else u.aval
    cx = cu = None
    if ad.is_undefined(x):
        cx = dynamic_update_slice_p.bind(ct, full(u_aval.shape, 0, u_aval.dtype), *idx)
    if ad.is_undefined(u):
        cu = dynamic_slice_p.bind(ct, *idx, slice_sizes=u_aval.shape)
    return [cx, cu] + [None] * len(idx)


def _dynamic_update_slice_batch(args, dims):
    x, u, *idx = args
    dx, du, *didx = dims
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    if all(d is None for d in didx):
        x, u = bdim_to_front(x, dx, size), bdim_to_front(u, du, size)
        zero = typed_scalar(0, idx[0].dtype if hasattr(idx[0], "dtype") else np.int32)
        return [dynamic_update_slice_p.bind(x, u, zero, *idx)], [0]
    from .indexing import batched_dynamic_update_slice

    return batched_dynamic_update_slice(x, dx, u, du, idx, didx, size)


dynamic_update_slice_p.def_impl(_dynamic_update_slice_impl)
dynamic_update_slice_p.def_abstract_eval(_dynamic_update_slice_shape)
ad.jvp_rules[dynamic_update_slice_p] = _dynamic_update_slice_jvp
ad.transpose_rules[dynamic_update_slice_p] = _dynamic_update_slice_transpose
batch_rules[dynamic_update_slice_p] = _dynamic_update_slice_batch


def dynamic_update_slice(x: Any, update: Any, start_indices: Sequence[Any]) -> Any:
    """``x`` with ``update`` written at traced ``start_indices`` (clamped to fit)."""
    x, update = operands(x, update)
    idx = [i if hasattr(i, "aval") else typed_scalar(int(i), dtypes.default_int())
           for i in start_indices]
    return dynamic_update_slice_p.bind(x, update, *idx)


def reduce_sum(x: Any, axes: Sequence[int]) -> Any:
    from .reductions import reduce_sum as rs

    return rs(x, axes)
