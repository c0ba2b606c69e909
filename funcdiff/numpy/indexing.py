"""Indexing: ``x[idx]`` with NumPy's rules, ``x.at[idx].set(...)``, ``take`` and friends.

``x[idx]`` becomes static slices and reversals for ints, slices, ``None`` and ``...``, and
one gather for integer arrays (boolean masks with concrete values become integer arrays).
Functional updates find the flat position of every selected element by indexing an iota
the same way, then scatter into the flattened array: one code path for every index kind.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.array import Array, ArrayImpl
from ..core.tracing import ConcretizationTypeError, get_aval, to_host
from ._promote import asarray_op

_INT_TYPES = (int, np.integer)


def _is_int_array(i: Any) -> bool:
    return isinstance(i, Array) and get_aval(i).dtype.kind in "iu"


def _normalize(idx: Any, ndim: int) -> list:
    """Index entries with masks turned into integer arrays and ``...`` expanded."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    for i in idx:
        if isinstance(i, (list, np.ndarray)) or (isinstance(i, np.generic) and
                                                  not isinstance(i, np.integer)):
            i = np.asarray(i)
            if i.dtype.kind not in "iub":
                raise IndexError(
                    f"arrays used as indices must be of integer or boolean type, got {i.dtype}"
                )
            i = asarray_op(i)
        if isinstance(i, Array) and get_aval(i).dtype == dtypes.bool_:
            out.extend(_mask_to_indices(i))
            continue
        if isinstance(i, Array) and get_aval(i).dtype.kind not in "iu":
            raise IndexError(
                f"arrays used as indices must be of integer or boolean type, got "
                f"{get_aval(i).dtype}"
            )
        if isinstance(i, bool):
            raise IndexError("boolean scalars as indices are not supported; use a mask array")
        if not (i is None or i is Ellipsis or isinstance(i, (slice, Array) + _INT_TYPES)):
            raise IndexError(
                f"only integers, slices (`:`), ellipsis (`...`), None and integer or boolean "
                f"arrays are valid indices, got {type(i).__name__}"
            )
        out.append(i)
    n_ell = sum(i is Ellipsis for i in out)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(1 for i in out if i is not None and i is not Ellipsis)
    if used > ndim:
        raise IndexError(f"too many indices for array: array is {ndim}-dimensional, but {used} "
                         "were indexed")
    if n_ell:
        k = out.index(Ellipsis)
        out[k:k + 1] = [slice(None)] * (ndim - used)
    else:
        out += [slice(None)] * (ndim - used)
    return out


def _mask_to_indices(mask: Any) -> list:
    try:
        host = to_host(mask)
    except ConcretizationTypeError:
        raise IndexError(
            f"boolean indexing needs a concrete mask: the result's shape "
            f"({get_aval(mask).str_short()} mask) would depend on its values, which are not "
            "known while tracing. Use fnp.where(mask, x, 0) to keep the shape."
        ) from None
    return [asarray_op(n.astype(np.int32)) for n in np.nonzero(host)]


def getitem(x: Any, idx: Any) -> Any:
    """``x[idx]`` with NumPy's semantics (static ints out of range raise ``IndexError``)."""
    x = asarray_op(x)
    shape = get_aval(x).shape
    entries = _normalize(idx, len(shape))
    advanced = any(isinstance(i, Array) for i in entries)
    # Pass 1: static slicing; ints become advanced indices when arrays are present, as in NumPy.
    starts, limits, strides, rev_dims, kept = [], [], [], [], []
    adv_pos, adv_idx, dim = [], [], 0
    for pos, i in enumerate(entries):
        if i is None:
            continue
        n = shape[dim]
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            k = len(range(start, stop, step))
            if step < 0:
                rev_dims.append(dim)
                start, step = n - 1 - start, -step
            starts.append(start)
            limits.append(start + (k - 1) * step + 1 if k else start)
            strides.append(step)
            kept.append(dim)
        elif isinstance(i, _INT_TYPES):
            i = int(i)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {dim} with size {n}")
            i %= n
            if advanced:
                adv_pos.append(pos)
                adv_idx.append(np.int32(i))
                starts.append(0), limits.append(n), strides.append(1)
                kept.append(dim)
            else:
                starts.append(i), limits.append(i + 1), strides.append(1)
        else:
            adv_pos.append(pos)
            adv_idx.append(i)
            starts.append(0), limits.append(n), strides.append(1)
            kept.append(dim)
        dim += 1
    y = lax.rev(x, rev_dims) if rev_dims else x
    y = lax.slice(y, starts, limits, strides)
    y = lax.reshape(y, tuple(get_aval(y).shape[d] for d in range(len(shape)) if d in kept))
    if not advanced:
        return _arrange(y, entries, [], 0)
    # Pass 2: one gather over the advanced axes; y has one axis per non-None entry.
    y_axes = [k for k, pos in enumerate(p for p, i in enumerate(entries) if i is not None)
              if pos in adv_pos]
    g = lax.index_take(y, adv_idx, y_axes)
    nb = get_aval(g).ndim - (get_aval(y).ndim - len(y_axes))
    return _arrange(g, entries, adv_pos, nb)


def _arrange(g: Any, entries: list, adv_pos: list, nb: int) -> Any:
    """Order ``g``'s axes (``nb`` gathered ones first, then one per slice) as NumPy does:
    the gathered block replaces adjacent advanced indices, or leads when they are apart;
    ``None`` entries add size-1 axes."""
    new = -1
    adjacent = adv_pos == list(range(adv_pos[0], adv_pos[0] + len(adv_pos))) if adv_pos else True
    layout = [] if adjacent else list(range(nb))
    rest = nb
    for pos, i in enumerate(entries):
        if i is None:
            layout.append(new)
        elif pos in adv_pos:
            if adjacent and pos == adv_pos[0]:
                layout += list(range(nb))
        elif isinstance(i, slice):
            layout.append(rest)
            rest += 1
    perm = [a for a in layout if a != new]
    if perm != list(range(len(perm))):
        g = lax.transpose(g, tuple(perm))
    gshape = iter(get_aval(g).shape)
    return lax.reshape(g, tuple(1 if a == new else next(gshape) for a in layout))


# --- functional updates: x.at[idx] -----------------------------------------------------------


def _flat_positions(shape: tuple, idx: Any) -> Any:
    """The flat index into ``shape`` of each element ``x[idx]`` selects."""
    size = int(np.prod(shape))
    if _all_static(idx):
        host = np.arange(size, dtype=np.int32).reshape(shape)[_host_index(idx)]
        return asarray_op(np.asarray(host, dtype=np.int32))
    iota = lax.reshape(lax.iota(dtypes.int32, size), shape)
    return getitem(iota, idx)


def _all_static(idx: Any) -> bool:
    entries = idx if isinstance(idx, tuple) else (idx,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, list, np.ndarray) + _INT_TYPES)
               or (isinstance(i, ArrayImpl)) for i in entries)


def _host_index(idx: Any) -> Any:
    entries = idx if isinstance(idx, tuple) else (idx,)
    return tuple(to_host(i) if isinstance(i, ArrayImpl) else i for i in entries)


def _update(x: Any, idx: Any, values: Any, mode: str) -> Any:
    x = asarray_op(x)
    shape = get_aval(x).shape
    pos = _flat_positions(shape, idx)
    pshape = get_aval(pos).shape
    v = asarray_op(values)
    vaval = get_aval(v)
    if vaval.dtype != get_aval(x).dtype:
        v = lax.convert_element_type(v, get_aval(x).dtype)
    try:
        np.broadcast_shapes(vaval.shape, pshape)
        if len(vaval.shape) > len(pshape):
            raise ValueError
    except ValueError:
        raise ValueError(
            f"cannot broadcast the update of shape {vaval.shape} to the indexed shape {pshape}"
        ) from None
    v = lax.broadcast_to(v, pshape)
    flat = lax.reshape(x, (-1,))
    out = lax.index_update(flat, [lax.reshape(pos, (-1,))], lax.reshape(v, (-1,)), (0,), mode)
    return lax.reshape(out, shape)


class _IndexUpdateRef:
    """``x.at[idx]``: the methods return a new array; ``x`` is never changed."""

    __slots__ = ("array", "index")

    def __init__(self, array: Any, index: Any) -> None:
        self.array = array
        self.index = index

    def get(self, **kwargs: Any) -> Any:
        """``x[idx]``."""
        return getitem(self.array, self.index)

    def set(self, values: Any, **kwargs: Any) -> Any:
        """A copy of ``x`` with ``x[idx] = values``."""
        return _update(self.array, self.index, values, "set")

    def add(self, values: Any, **kwargs: Any) -> Any:
        """A copy of ``x`` with ``x[idx] += values`` (repeated indices accumulate)."""
        return _update(self.array, self.index, values, "add")

    def subtract(self, values: Any, **kwargs: Any) -> Any:
        """A copy of ``x`` with ``x[idx] -= values``."""
        return _update(self.array, self.index, lax.neg(asarray_op(values)), "add")

    def mul(self, values: Any, **kwargs: Any) -> Any:
        """A copy of ``x`` with ``x[idx] *= values`` (gradients assume unique indices)."""
        return _update(self.array, self.index, values, "mul")

    multiply = mul

    def divide(self, values: Any, **kwargs: Any) -> Any:
        """A copy of ``x`` with ``x[idx] /= values``."""
        return _update(self.array, self.index, lax.div(1, asarray_op(values)), "mul")

    def min(self, values: Any, **kwargs: Any) -> Any:
        """A copy of ``x`` with ``x[idx] = minimum(x[idx], values)``."""
        return _update(self.array, self.index, values, "min")

    def max(self, values: Any, **kwargs: Any) -> Any:
        """A copy of ``x`` with ``x[idx] = maximum(x[idx], values)``."""
        return _update(self.array, self.index, values, "max")


class _IndexUpdateHelper:
    __slots__ = ("array",)

    def __init__(self, array: Any) -> None:
        self.array = array

    def __getitem__(self, index: Any) -> _IndexUpdateRef:
        return _IndexUpdateRef(self.array, index)


# --- take and friends ----------------------------------------------------------------------


def take(a: Any, indices: Any, axis: int | None = None, mode: str | None = None) -> Any:
    """Elements of ``a`` at ``indices`` along ``axis`` (of the flattened array when None).

    Out-of-range indices are clamped (``mode="clip"``, JAX's default for gathers);
    negative ones count from the end.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.take(fnp.array([10, 20, 30]), fnp.array([2, 0]))
        Array([30, 10], dtype=int32)
    """
    a = asarray_op(a)
    if axis is None:
        a, axis = lax.reshape(a, (-1,)), 0
    idx = asarray_op(indices)
    if get_aval(idx).dtype.kind not in "iu":
        raise TypeError(f"take needs integer indices, got {get_aval(idx).dtype}")
    nd = get_aval(a).ndim
    ax = int(axis) % nd
    g = lax.index_take(a, [idx], (ax,))
    return g if ax == 0 else _move_block(g, get_aval(idx).ndim, ax)


def _move_block(g: Any, nb: int, ax: int) -> Any:
    # gather puts the index axes first; take puts them where `axis` was.
    nd = get_aval(g).ndim
    rest = list(range(nb, nd))
    order = rest[:ax] + list(range(nb)) + rest[ax:]
    return lax.transpose(g, tuple(order))


def take_along_axis(arr: Any, indices: Any, axis: int | None) -> Any:
    """Pick values along ``axis`` at ``indices`` of matching rank (as NumPy's).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> x = fnp.array([[10, 30, 20]])
        >>> fnp.take_along_axis(x, fnp.argsort(x, axis=1), axis=1)
        Array([[10, 20, 30]], dtype=int32)
    """
    arr = asarray_op(arr)
    idx = asarray_op(indices)
    if axis is None:
        arr, axis = lax.reshape(arr, (-1,)), 0
    nd = get_aval(arr).ndim
    if get_aval(idx).ndim != nd:
        raise ValueError(
            f"indices of rank {get_aval(idx).ndim} do not match the array's rank {nd}"
        )
    ax = int(axis) % nd
    shape = np.broadcast_shapes(
        tuple(1 if i == ax else d for i, d in enumerate(get_aval(arr).shape)),
        tuple(1 if i == ax else d for i, d in enumerate(get_aval(idx).shape)))
    out_shape = tuple(get_aval(idx).shape[i] if i == ax else shape[i] for i in range(nd))
    idx = lax.broadcast_to(idx, out_shape)
    idt = get_aval(idx).dtype
    grids = [idx if k == ax else lax.broadcasted_iota(idt, out_shape, k) for k in range(nd)]
    src = lax.broadcast_to(arr, tuple(get_aval(arr).shape[i] if i == ax else out_shape[i]
                                      for i in range(nd)))
    return lax.index_take(src, grids, tuple(range(nd)))


def nonzero(a: Any, *, size: int | None = None, fill_value: Any = None) -> tuple:
    """Indices of the non-zero elements; needs concrete values unless ``size`` is given."""
    a = asarray_op(a)
    if size is None:
        try:
            host = to_host(a)
        except ConcretizationTypeError:
            raise ConcretizationTypeError(
                "nonzero's output shape depends on the values; under jit pass a static "
                "`size=` (and optionally `fill_value=`)"
            ) from None
        return tuple(asarray_op(n.astype(np.int32)) for n in np.nonzero(host))
    flat = lax.reshape(lax.ne(a, lax.full((), 0, get_aval(a).dtype)) if get_aval(a).dtype
                       != dtypes.bool_ else a, (-1,))
    n = get_aval(flat).shape[0]
    pos = lax.iota(dtypes.int32, n)
    key = lax.select(flat, pos, lax.full((n,), n, dtypes.int32))
    from .sorting import sort

    chosen = lax.slice_in_dim(sort(key), 0, size) if size <= n else lax.concatenate(
        [sort(key), lax.full((size - n,), n, dtypes.int32)], 0)
    valid = lax.lt(chosen, lax.full((), n, dtypes.int32))
    fill = 0 if fill_value is None else fill_value
    out, rem = [], lax.select(valid, chosen, lax.full_like(chosen, 0))
    shape = get_aval(a).shape
    for d in reversed(range(len(shape))):
        out.append(lax.rem(rem, np.int32(shape[d])))
        rem = lax.div(rem, np.int32(shape[d]))
    out.reverse()
    return tuple(lax.select(valid, o, lax.full_like(o, fill)) for o in out)


def argwhere(a: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """Indices of non-zero elements, one row each."""
    from .shapes import stack

    idx = nonzero(a, size=size, fill_value=fill_value)
    return stack(idx, axis=1) if idx else asarray_op(np.zeros((0, 0), np.int32))


def flatnonzero(a: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """Indices of non-zero elements of the flattened array."""
    return nonzero(lax.reshape(asarray_op(a), (-1,)), size=size, fill_value=fill_value)[0]
