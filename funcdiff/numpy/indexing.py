"""Indexing: ``x[idx]`` with NumPy's rules and JAX's bounds, ``x.at[idx]`` updates, ``take``.

``x[idx]`` becomes static slices and reversals for ints, slices, ``None`` and ``...``, and
one gather for integer arrays (boolean masks with concrete values become integer arrays;
traced integer indices gather too, so they work under every transform). As in JAX,
retrieval clamps out-of-range indices and updates drop them.

Functional updates find the flat position of every selected element by indexing an iota
the same way, then scatter into the flattened array: one code path for every index kind.
The iota is padded with one "outside" element per axis holding the array's size, so an
out-of-range index lands there and its update is dropped by the scatter (mode ``"drop"``),
and a ``"fill"`` gather can tell which elements were out of range.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.array import Array, ArrayImpl
from ..core.source import at_user_line
from ..core.tracing import ConcretizationTypeError, get_aval, to_host
from ._promote import asarray_op, axis1, type_error, value_error

_INT_TYPES = (int, np.integer)


def _index_error(msg: str) -> IndexError:
    return IndexError(f"{msg}{at_user_line()}")


def _entry(i: Any) -> Any:
    """One index entry as None, Ellipsis, a slice, an int, or an integer/bool array."""
    if i is None or i is Ellipsis or isinstance(i, slice):
        return i
    if isinstance(i, (bool, np.bool_)):
        return bool(i)
    if isinstance(i, _INT_TYPES):
        return int(i)
    if isinstance(i, (list, tuple, np.ndarray, np.generic)):
        try:
            host = np.asarray(i)
        except ValueError:
            raise _index_error("index lists must be rectangular") from None
        if host.size == 0 and host.dtype.kind == "f":
            host = host.astype(np.int32)  # `x[[]]` selects nothing, as in NumPy
        if host.dtype.kind not in "iub":
            raise _index_error(f"arrays used as indices must be of integer or boolean type, "
                               f"got {host.dtype}")
        i = asarray_op(host)
    if isinstance(i, Array):
        aval = get_aval(i)
        if aval.dtype.kind not in "iub":
            raise _index_error(f"arrays used as indices must be of integer or boolean type, "
                               f"got {aval.str_short()}")
        if aval.dtype == dtypes.bool_ and aval.ndim == 0:
            return bool(_mask_to_host(i))  # a 0-d mask acts like the scalar True or False
        return i
    raise _index_error(
        "only integers, slices (`:`), ellipsis (`...`), None (`fnp.newaxis`) and integer or "
        f"boolean arrays are valid indices, got {type(i).__name__} {i!r:.40}"
    )


def _normalize(idx: Any, shape: tuple) -> list:
    """Index entries with masks turned into integer arrays, bool scalars into new axes and
    ``...`` expanded; one entry per axis of the result before advanced indexing."""
    raw = idx if isinstance(idx, tuple) else (idx,)
    entries = [_entry(i) for i in raw]
    used = sum(_consumed(i) for i in entries)
    if used > len(shape):
        raise _index_error(f"too many indices for array: array of shape {shape} is "
                           f"{len(shape)}-dimensional, but {used} were indexed")
    n_ell = sum(i is Ellipsis for i in entries)
    if n_ell > 1:
        raise _index_error("an index can only have a single ellipsis ('...')")
    if n_ell:
        k = entries.index(Ellipsis)
        entries[k:k + 1] = [slice(None)] * (len(shape) - used)
    else:
        entries += [slice(None)] * (len(shape) - used)
    out, dim = [], 0
    for i in entries:
        if isinstance(i, bool):
            if not i:
                raise _index_error("indexing with the scalar False (an empty selection) is not "
                                   "supported; use an empty index array instead")
            out.append(None)  # `x[True]` adds an axis, as in NumPy
        elif isinstance(i, Array) and get_aval(i).dtype == dtypes.bool_:
            mshape = get_aval(i).shape
            if mshape != shape[dim:dim + len(mshape)]:
                raise _index_error(f"boolean index of shape {mshape} does not match the indexed "
                                   f"axes {shape[dim:dim + len(mshape)]} of shape {shape}")
            out.extend(_mask_to_indices(i))
            dim += len(mshape)
        else:
            out.append(i)
            dim += i is not None
    return out


def _consumed(i: Any) -> int:
    if i is None or i is Ellipsis or isinstance(i, bool):
        return 0
    if isinstance(i, Array) and get_aval(i).dtype == dtypes.bool_:
        return get_aval(i).ndim  # a mask covers as many axes as it has
    return 1


def _mask_to_host(mask: Any) -> np.ndarray:
    try:
        return to_host(mask)
    except ConcretizationTypeError:
        raise IndexError(
            f"boolean indexing needs a concrete mask: the result's shape "
            f"({get_aval(mask).str_short()} mask) would depend on its values, which are "
            f"not known while tracing{at_user_line()}. Use fnp.where(mask, x, 0) to keep "
            "the shape, or nonzero(mask, size=...) for a fixed number of elements."
        ) from None


def _mask_to_indices(mask: Any) -> list:
    return [asarray_op(n.astype(np.int32)) for n in np.nonzero(_mask_to_host(mask))]


def getitem(x: Any, idx: Any) -> Any:
    """``x[idx]`` with NumPy's semantics; out-of-range integers are clamped, as in JAX."""
    x = asarray_op(x)
    return _getitem(x, _normalize(idx, get_aval(x).shape), get_aval(x).shape)


def _getitem(x: Any, entries: list, sizes: tuple) -> Any:
    """Index ``x`` with normalized ``entries``; slices are resolved against ``sizes`` (the
    logical shape, which differs from ``x``'s for the padded iota of updates)."""
    advanced = any(isinstance(i, Array) for i in entries)
    starts, limits, strides, rev_dims, kept = [], [], [], [], []
    adv_pos, adv_idx, dim = [], [], 0
    shape = get_aval(x).shape
    for pos, i in enumerate(entries):
        if i is None:
            continue
        n = sizes[dim]
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            k = len(range(start, stop, step))
            if step < 0:
                rev_dims.append(dim)
                start, step = shape[dim] - 1 - start, -step
            starts.append(start)
            limits.append(start + (k - 1) * step + 1 if k else start)
            strides.append(step)
            kept.append(dim)
        elif isinstance(i, int):
            if shape[dim] == 0:
                raise _index_error(f"index {i} is out of bounds for axis {dim} with size 0")
            # Negative indices count from the end; out-of-range ones clamp (JAX's gather).
            i = min(max(i + n if i < 0 else i, 0), shape[dim] - 1)
            if advanced:
                adv_pos.append(pos)
                adv_idx.append(np.int32(i))
                starts.append(0), limits.append(shape[dim]), strides.append(1)
                kept.append(dim)
            else:
                starts.append(i), limits.append(i + 1), strides.append(1)
        else:
            if shape[dim] == 0:
                raise _index_error(f"cannot gather from axis {dim} of size 0 (shape {shape})")
            adv_pos.append(pos)
            adv_idx.append(i)  # the gather counts negative indices from the end
            starts.append(0), limits.append(shape[dim]), strides.append(1)
            kept.append(dim)
        dim += 1
    y = lax.rev(x, rev_dims) if rev_dims else x
    y = lax.slice(y, starts, limits, strides)
    yshape = get_aval(y).shape
    y = lax.reshape(y, tuple(yshape[d] for d in range(len(shape)) if d in kept))
    if not advanced:
        return _arrange(y, entries, [], 0)
    # One gather over the advanced axes; y has one axis per non-None entry.
    y_axes = [k for k, pos in enumerate(p for p, i in enumerate(entries) if i is not None)
              if pos in adv_pos]
    g = lax.index_take(y, adv_idx, y_axes)
    nb = get_aval(g).ndim - (get_aval(y).ndim - len(y_axes))
    return _arrange(g, entries, adv_pos, nb)


def _wrap_negative(i: Any, n: int) -> Any:
    # Against the logical size n (the padded iota of updates is one longer per axis).
    if get_aval(i).dtype.kind == "u":
        return i
    return lax.select(lax.lt(i, lax.full((), 0, get_aval(i).dtype)),
                      lax.add(i, lax.full((), n, get_aval(i).dtype)), i)


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
    target = tuple(1 if a == new else next(gshape) for a in layout)
    return g if target == get_aval(g).shape else lax.reshape(g, target)


# --- positions: where each selected element sits in the flattened array -----------------------


def _is_static(entries: list) -> bool:
    return all(not isinstance(i, Array) or isinstance(i, ArrayImpl) for i in entries)


def positions(shape: tuple, idx: Any, mode: str = "drop") -> Any:
    """The flat position in ``shape`` of each element ``x[idx]`` selects.

    With ``mode="drop"`` an out-of-range index gives the position ``size`` (one past the
    end); with ``"clip"`` it is clamped like a gather.
    """
    entries = _normalize(idx, shape)
    size = math.prod(shape)
    if mode == "clip":
        iota = lax.reshape(lax.iota(dtypes.int32, size), shape) if size else lax.full(
            shape, 0, dtypes.int32)
        return _getitem(iota, entries, shape)
    if not any(isinstance(i, Array) for i in entries):
        return _basic_positions(shape, entries)
    marked = [_mark_out_of_range(i, shape[d]) if d is not None else i
              for i, d in zip(entries, _entry_dims(entries))]
    if _is_static(marked):
        return asarray_op(_host_positions(shape, marked))
    iota = lax.pad(lax.reshape(lax.iota(dtypes.int32, size), shape), np.int32(size),
                   [(0, 1, 0)] * len(shape))
    return _getitem(iota, marked, shape)


def _basic_positions(shape: tuple, entries: list) -> Any:
    """Positions for ints, slices and None only: affine in each axis, so O(selection)."""
    strides = [math.prod(shape[d + 1:]) for d in range(len(shape))]
    offset, ranges, out_shape, dropped = 0, [], [], False
    for i, d in zip(entries, _entry_dims(entries)):
        if i is None:
            out_shape.append(1)
        elif isinstance(i, slice):
            r = np.arange(*i.indices(shape[d])) * strides[d]
            ranges.append(r)
            out_shape.append(len(r))
        elif -shape[d] <= i < shape[d]:
            offset += (i % shape[d]) * strides[d]
        else:
            dropped = True
    pos = np.asarray(offset + sum(np.ix_(*ranges)) if ranges else offset, dtype=np.int64)
    if dropped:
        pos = np.full(pos.shape, math.prod(shape))
    return asarray_op(pos.reshape(out_shape).astype(np.int32))


def _host_positions(shape: tuple, marked: list) -> np.ndarray:
    """Static positions in O(selection) memory: each axis's coordinate is read from a
    broadcast (zero-stride) view of a padded arange, never from a full-size iota."""
    padded = tuple(n + 1 for n in shape)
    sel = tuple(_host_entry(i, shape[d]) if d is not None else i
                for i, d in zip(marked, _entry_dims(marked)))
    pos, outside = 0, False
    for d, n in enumerate(shape):
        view = [1] * len(shape)
        view[d] = n + 1
        coord = np.broadcast_to(np.arange(n + 1).reshape(view), padded)[sel]
        pos = pos + coord.astype(np.int64) * math.prod(shape[d + 1:])
        outside = outside | (coord == n)
    return np.where(outside, math.prod(shape), pos).astype(np.int32)


def _entry_dims(entries: list) -> list:
    dims, d = [], 0
    for i in entries:
        dims.append(None if i is None else d)
        d += i is not None
    return dims


def _mark_out_of_range(i: Any, n: int) -> Any:
    """Index entry ``i`` of an axis of size ``n`` with out-of-range values replaced by ``n``
    (the padding); in-range negative values made non-negative."""
    if isinstance(i, int):
        return i % n if -n <= i < n else n
    if isinstance(i, Array):
        dt = get_aval(i).dtype
        if isinstance(i, ArrayImpl):
            h = to_host(i).astype(np.int64)
            return asarray_op(np.where((h >= -n) & (h < n), h % max(n, 1), n).astype(np.int32))
        i = lax.convert_element_type(i, dtypes.int32) if dt.kind == "u" else i
        i = _wrap_negative(i, n)
        zero, top = lax.full((), 0, get_aval(i).dtype), lax.full((), n, get_aval(i).dtype)
        ok = lax.bitwise_and(lax.ge(i, zero), lax.lt(i, top))
        return lax.select(ok, i, lax.broadcast_to(top, get_aval(i).shape))
    return i


def _host_entry(i: Any, n: int) -> Any:
    if isinstance(i, slice):
        start, stop, step = i.indices(n)
        return slice(start, None if stop < 0 else stop, step)
    return to_host(i) if isinstance(i, Array) else i


# --- functional updates: x.at[idx] ---------------------------------------------------------


def _check_mode(mode: Any, allowed: tuple) -> str:
    if mode is None:
        return allowed[0]
    if mode not in allowed + ("promise_in_bounds",):
        raise value_error(f"invalid mode {mode!r} for this operation; expected one of "
                          f"{', '.join(map(repr, allowed + ('promise_in_bounds',)))}")
    return "clip" if mode == "promise_in_bounds" else mode


def _update(x: Any, idx: Any, values: Any, how: str, mode: Any = None) -> Any:
    x = asarray_op(x)
    shape, dt = get_aval(x).shape, get_aval(x).dtype
    pos = positions(shape, idx, _check_mode(mode, ("drop", "clip")))
    pshape = get_aval(pos).shape
    v = asarray_op(values, "the update value")
    vshape = get_aval(v).shape
    if get_aval(v).dtype != dt:
        v = lax.convert_element_type(v, dt)
    try:
        if len(vshape) > len(pshape):
            raise ValueError
        np.broadcast_shapes(vshape, pshape)
    except ValueError:
        raise value_error(f"x.at[...].{how}: cannot broadcast the update of shape {vshape} to "
                          f"the indexed shape {pshape} (array shape {shape})") from None
    v = lax.broadcast_to(v, pshape)
    flat = lax.reshape(x, (-1,))
    fpos = lax.reshape(pos, (-1,))
    out = lax.index_update(flat, [fpos], lax.reshape(v, (-1,)), (0,), how)
    return lax.reshape(out, shape)


def _get_fill(x: Any, idx: Any, fill_value: Any) -> Any:
    x = asarray_op(x)
    shape, dt = get_aval(x).shape, get_aval(x).dtype
    size = math.prod(shape)
    pos = positions(shape, idx, "drop")
    if size == 0:
        return lax.full(get_aval(pos).shape, _default_fill(dt) if fill_value is None
                        else fill_value, dt)
    safe = lax.min(pos, lax.full((), size - 1, dtypes.int32))
    vals = lax.index_take(lax.reshape(x, (-1,)), [safe], (0,))
    fill = _default_fill(dt) if fill_value is None else fill_value
    fill = lax.convert_element_type(asarray_op(fill), dt)
    return lax.select(lax.eq(pos, lax.full((), size, dtypes.int32)),
                      lax.broadcast_to(fill, get_aval(vals).shape), vals)


def _default_fill(dt: np.dtype) -> Any:
    # JAX's fill values: NaN, the most negative signed, the largest unsigned, True.
    if dt.kind in "fc":
        return np.nan
    if dt.kind == "i":
        return np.iinfo(dt).min
    if dt.kind == "u":
        return np.iinfo(dt).max
    return True


class _IndexUpdateRef:
    """``x.at[idx]``: each method returns a new array; ``x`` is never changed.

    Out-of-range indices are clamped by :meth:`get` and dropped by the updates (JAX's
    defaults); ``mode="clip"`` clamps updates too, ``get(mode="fill")`` returns
    ``fill_value`` for them.
    """

    __slots__ = ("array", "index")

    def __init__(self, array: Any, index: Any) -> None:
        self.array = array
        self.index = index

    def __repr__(self) -> str:
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted: bool = False, unique_indices: bool = False,
            mode: Any = None, fill_value: Any = None) -> Any:
        """``x[idx]`` (``mode="fill"`` gives ``fill_value`` for out-of-range indices)."""
        if _check_mode(mode, ("clip", "fill")) == "fill":
            return _get_fill(self.array, self.index, fill_value)
        return getitem(self.array, self.index)

    def set(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None) -> Any:
        """A copy of ``x`` with ``x[idx] = values`` (the last of repeated indices wins)."""
        return _update(self.array, self.index, values, "set", mode)

    def add(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None) -> Any:
        """A copy of ``x`` with ``x[idx] += values`` (repeated indices accumulate)."""
        return _update(self.array, self.index, values, "add", mode)

    def subtract(self, values: Any, *, indices_are_sorted: bool = False,
                 unique_indices: bool = False, mode: Any = None) -> Any:
        """A copy of ``x`` with ``x[idx] -= values``."""
        return _update(self.array, self.index, lax.neg(asarray_op(values)), "add", mode)

    def mul(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None) -> Any:
        """A copy of ``x`` with ``x[idx] *= values`` (gradients assume unique indices)."""
        return _update(self.array, self.index, values, "mul", mode)

    multiply = mul

    def divide(self, values: Any, *, indices_are_sorted: bool = False,
               unique_indices: bool = False, mode: Any = None) -> Any:
        """A copy of ``x`` with ``x[idx] /= values``."""
        if dtypes.is_inexact(get_aval(asarray_op(self.array)).dtype):
            recip = lax.div(1, lax.convert_element_type(asarray_op(values),
                                                        get_aval(self.array).dtype))
            return _update(self.array, self.index, recip, "mul", mode)
        return self.apply(lambda v: _true_divide(v, values), mode=mode)

    def power(self, values: Any, *, indices_are_sorted: bool = False,
              unique_indices: bool = False, mode: Any = None) -> Any:
        """A copy of ``x`` with ``x[idx] **= values``."""
        from .ufuncs import power

        return self.apply(lambda v: power(v, values), mode=mode)

    def min(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None) -> Any:
        """A copy of ``x`` with ``x[idx] = minimum(x[idx], values)``."""
        return _update(self.array, self.index, values, "min", mode)

    def max(self, values: Any, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: Any = None) -> Any:
        """A copy of ``x`` with ``x[idx] = maximum(x[idx], values)``."""
        return _update(self.array, self.index, values, "max", mode)

    def apply(self, func: Any, *, indices_are_sorted: bool = False,
              unique_indices: bool = False, mode: Any = None) -> Any:
        """A copy of ``x`` with ``x[idx] = func(x[idx])`` (assumes unique indices)."""
        current = getitem(self.array, self.index)
        return _update(self.array, self.index, func(current), "set", mode)


def _true_divide(a: Any, b: Any) -> Any:
    from .ufuncs import true_divide

    return true_divide(a, b)


class _IndexUpdateHelper:
    """``x.at``: index it (``x.at[idx]``) to update ``x`` functionally."""

    __slots__ = ("array",)

    def __init__(self, array: Any) -> None:
        self.array = array

    def __getitem__(self, index: Any) -> _IndexUpdateRef:
        return _IndexUpdateRef(self.array, index)

    def __repr__(self) -> str:
        return f"_IndexUpdateHelper({self.array!r})"


# --- take and friends ----------------------------------------------------------------------


def take(a: Any, indices: Any, axis: int | None = None, out: Any = None, mode: str | None = None,
         unique_indices: bool = False, indices_are_sorted: bool = False,
         fill_value: Any = None) -> Any:
    """Elements of ``a`` at ``indices`` along ``axis`` (of the flattened array when None).

    Negative indices count from the end. Out-of-range ones give ``fill_value`` (NaN for
    floats; ``mode="fill"``, JAX's default), are clamped (``"clip"``) or wrap (``"wrap"``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.take(fnp.array([10, 20, 30]), fnp.array([2, 0]))
        Array([30, 10], dtype=int32)
        >>> fnp.take(fnp.array([1.0, 2.0]), fnp.array([0, 5]))
        Array([ 1., nan], dtype=float32)
    """
    a = asarray_op(a, "an argument of take")
    if axis is None:
        a, axis = lax.reshape(a, (-1,)), 0
    idx = asarray_op(indices, "the indices of take")
    if get_aval(idx).dtype.kind not in "iu":
        raise type_error(f"take needs integer indices, got {get_aval(idx).str_short()}")
    shape = get_aval(a).shape
    ax = axis1("take", axis, len(shape), shape)
    mode = mode or "fill"
    if mode not in ("fill", "clip", "wrap", "promise_in_bounds"):
        raise value_error(f"take: mode must be 'fill', 'clip' or 'wrap', got {mode!r}")
    n = shape[ax]
    if mode == "wrap":
        idx = lax.rem(lax.add(lax.rem(idx, n), n), n) if n else idx
    if n == 0 and mode != "fill":
        raise _index_error(f"take: cannot take from an empty axis {ax} (shape {shape})")
    g = lax.index_take(a, [idx], (ax,)) if n else lax.full(
        get_aval(idx).shape + shape[:ax] + shape[ax + 1:], 0, get_aval(a).dtype)
    g = g if ax == 0 else _move_block(g, get_aval(idx).ndim, ax)
    if mode == "fill":
        ok = _in_range(idx, n)
        ni = get_aval(idx).ndim
        ok = lax.broadcast_in_dim(ok, get_aval(g).shape, tuple(range(ax, ax + ni)))
        g = _fill_where_not(ok, g, fill_value)
    return g


def _in_range(idx: Any, n: int) -> Any:
    dt = get_aval(idx).dtype
    info, shape = np.iinfo(dt), get_aval(idx).shape
    hi = lax.lt(idx, lax.full((), n, dt)) if n <= info.max else lax.full(shape, True, "bool")
    if dt.kind == "u" or -n < info.min:
        return hi
    return lax.bitwise_and(lax.ge(idx, lax.full((), -n, dt)), hi)


def _fill_where_not(ok: Any, vals: Any, fill_value: Any) -> Any:
    dt = get_aval(vals).dtype
    fill = lax.convert_element_type(
        asarray_op(_default_fill(dt) if fill_value is None else fill_value), dt)
    return lax.select(ok, vals, lax.broadcast_to(fill, get_aval(vals).shape))


def _move_block(g: Any, nb: int, ax: int) -> Any:
    # gather puts the index axes first; take puts them where `axis` was.
    nd = get_aval(g).ndim
    rest = list(range(nb, nd))
    order = rest[:ax] + list(range(nb)) + rest[ax:]
    return lax.transpose(g, tuple(order))


def take_along_axis(arr: Any, indices: Any, axis: int | None, mode: str | None = None,
                    fill_value: Any = None) -> Any:
    """Pick values along ``axis`` at ``indices`` of matching rank (as NumPy's; other axes
    broadcast). Out-of-range indices give ``fill_value`` (``mode="fill"``, the default) or
    are clamped (``"clip"``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> x = fnp.array([[10, 30, 20]])
        >>> fnp.take_along_axis(x, fnp.argsort(x, axis=1), axis=1)
        Array([[10, 20, 30]], dtype=int32)
    """
    arr = asarray_op(arr, "an argument of take_along_axis")
    idx = asarray_op(indices, "the indices of take_along_axis")
    if get_aval(idx).dtype.kind not in "iu":
        raise type_error(f"take_along_axis needs integer indices, got "
                         f"{get_aval(idx).str_short()}")
    if axis is None:
        arr, idx, axis = lax.reshape(arr, (-1,)), lax.reshape(idx, (-1,)), 0
    nd = get_aval(arr).ndim
    if get_aval(idx).ndim != nd:
        raise value_error(f"take_along_axis: indices of rank {get_aval(idx).ndim} (shape "
                          f"{get_aval(idx).shape}) do not match the array's rank {nd}")
    ax = axis1("take_along_axis", axis, nd, get_aval(arr).shape)
    ashape, ishape = get_aval(arr).shape, get_aval(idx).shape
    try:
        shape = np.broadcast_shapes(tuple(1 if i == ax else d for i, d in enumerate(ashape)),
                                    tuple(1 if i == ax else d for i, d in enumerate(ishape)))
    except ValueError:
        raise value_error(f"take_along_axis: indices of shape {ishape} do not broadcast "
                          f"against the array's shape {ashape} off axis {ax}") from None
    out_shape = tuple(ishape[i] if i == ax else shape[i] for i in range(nd))
    idx = lax.broadcast_to(idx, out_shape)
    n = ashape[ax]
    src = lax.broadcast_to(arr, tuple(n if i == ax else out_shape[i] for i in range(nd)))
    mode = mode or "fill"
    if mode not in ("fill", "clip", "promise_in_bounds"):
        raise value_error(f"take_along_axis: mode must be 'fill' or 'clip', got {mode!r}")
    if n == 0:
        if mode != "fill":
            raise _index_error(f"take_along_axis: cannot take from an empty axis {ax}")
        return _fill_where_not(lax.full(out_shape, False, dtypes.bool_),
                               lax.full(out_shape, 0, get_aval(arr).dtype), fill_value)
    grids = [idx if k == ax else lax.broadcasted_iota(get_aval(idx).dtype, out_shape, k)
             for k in range(nd)]
    g = lax.index_take(src, grids, tuple(range(nd)))
    return _fill_where_not(_in_range(idx, n), g, fill_value) if mode == "fill" else g
