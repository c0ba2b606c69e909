"""Shape manipulation in ``funcdiff.numpy``: reshape, transpose, stack, split, pad…"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import lax
from ..core.tracing import get_aval
from ._promote import asarray_op, axis1, promote_dtypes, shape_error, type_error, value_error
from ._promote import axes as canonical_axes


def _ax(name: str, axis: int, ndim: int) -> int:
    return axis1(name, axis, ndim)


def reshape(a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None,
            copy: bool | None = None) -> Any:
    """``a`` with a new shape (one entry may be -1).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.reshape(fnp.arange(6), (2, -1)).shape
        (2, 3)
    """
    if order not in ("C", "F"):
        raise NotImplementedError(f"reshape: order={order!r} is not supported; use 'C' or 'F'")
    shape = newshape if shape is None else shape
    if shape is None:
        raise type_error("reshape: missing the new shape")
    a = asarray_op(a, "an argument of reshape")
    sizes = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if order == "F":  # Fortran order is C order on the axes reversed
        try:
            flat = lax.reshape(lax.transpose(a, _reversed_axes(a)), sizes[::-1])
        except ValueError:
            raise shape_error(f"reshape: cannot reshape an array of shape {get_aval(a).shape} "
                              f"into shape {sizes}") from None
        return lax.transpose(flat, _reversed_axes(flat))
    try:
        return lax.reshape(a, sizes)
    except ValueError as e:  # ShapeError is a ValueError
        if "(at " in str(e):
            raise
        msg = str(e) if str(e).startswith("reshape") else f"reshape: {e}"
        raise shape_error(msg) from None


def _reversed_axes(a: Any) -> tuple[int, ...]:
    return tuple(range(len(get_aval(a).shape)))[::-1]


def ravel(a: Any, order: str = "C") -> Any:
    """``a`` flattened to one axis (in C or Fortran ``order``)."""
    return reshape(a, (-1,), order=order)


def transpose(a: Any, axes: Sequence[int] | None = None) -> Any:
    """Permute axes (reverse them when ``axes`` is None)."""
    a = asarray_op(a, "an argument of transpose")
    shape = get_aval(a).shape
    nd = len(shape)
    axes = tuple(reversed(range(nd))) if axes is None else tuple(axes)
    if len(axes) != nd or sorted(int(x) % builtins.max(nd, 1) for x in axes) != list(range(nd)):
        raise value_error(f"transpose: axes {axes} are not a permutation of the {nd} axes of "
                          f"an array of shape {shape}")
    for x in axes:
        axis1("transpose", x, nd, shape)
    return lax.transpose(a, axes)


def permute_dims(a: Any, axes: Sequence[int]) -> Any:
    """Array-API name for :func:`transpose`."""
    return transpose(a, axes)


def matrix_transpose(a: Any) -> Any:
    """Swap the last two axes."""
    return swapaxes(a, -1, -2)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    """Exchange two axes."""
    a = asarray_op(a)
    nd = get_aval(a).ndim
    i, j = _ax("swapaxes", axis1, nd), _ax("swapaxes", axis2, nd)
    perm = list(range(nd))
    perm[i], perm[j] = perm[j], perm[i]
    return lax.transpose(a, tuple(perm))


def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    """Move axes to new positions, keeping the others in order."""
    a = asarray_op(a)
    nd = get_aval(a).ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise value_error(f"moveaxis: source {source} and destination {destination} need the "
                          "same number of axes")
    src = [_ax("moveaxis", s, nd) for s in src]
    dst = [_ax("moveaxis", d, nd) for d in dst]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return lax.transpose(a, tuple(order))


def expand_dims(a: Any, axis: Any) -> Any:
    """Insert size-1 axes at ``axis`` (an int or a tuple)."""
    a = asarray_op(a)
    shape = get_aval(a).shape
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out_nd = len(shape) + len(axes)
    axes = canonical_axes("expand_dims", axes, out_nd)
    it = iter(shape)
    return lax.reshape(a, tuple(1 if i in axes else next(it) for i in range(out_nd)))


def squeeze(a: Any, axis: Any = None) -> Any:
    """Remove size-1 axes (all of them when ``axis`` is None)."""
    a = asarray_op(a)
    shape = get_aval(a).shape
    if axis is None:
        axes = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        axes = canonical_axes("squeeze", axis, len(shape))
        for i in axes:
            if shape[i] != 1:
                raise value_error(
                    f"squeeze: cannot squeeze axis {i} of size {shape[i]} (shape {shape}); "
                    "only size-1 axes can be removed"
                )
    return lax.reshape(a, tuple(d for i, d in enumerate(shape) if i not in axes))


def concatenate(arrays: Sequence[Any], axis: int | None = 0) -> Any:
    """Join arrays along an existing axis (flattened first when ``axis`` is None).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.concatenate([fnp.ones(2), fnp.zeros(1)])
        Array([1., 1., 0.], dtype=float32)
    """
    if not len(arrays):
        raise value_error("concatenate: need at least one array")
    xs = promote_dtypes(*arrays, op="concatenate")
    if axis is None:
        xs = [ravel(x) for x in xs]
        axis = 0
    nd = get_aval(xs[0]).ndim
    if nd == 0:
        raise value_error("concatenate: zero-dimensional arrays cannot be concatenated; use "
                          "fnp.stack for scalars")
    ranks = {get_aval(x).ndim for x in xs}
    if len(ranks) > 1:
        raise shape_error(f"concatenate: all arrays need the same number of dimensions, got "
                          f"shapes {[get_aval(x).shape for x in xs]}")
    return lax.concatenate(xs, _ax("concatenate", axis, nd))


concat = concatenate


def stack(arrays: Sequence[Any], axis: int = 0) -> Any:
    """Join arrays along a new axis.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.stack([fnp.ones(2), fnp.zeros(2)]).shape
        (2, 2)
    """
    if not len(arrays):
        raise value_error("stack: need at least one array")
    xs = promote_dtypes(*arrays, op="stack")
    shapes = [get_aval(x).shape for x in xs]
    if len(set(shapes)) != 1:
        raise shape_error(f"stack: all input arrays must have the same shape, got {shapes}")
    nd = get_aval(xs[0]).ndim + 1
    ax = _ax("stack", axis, nd)
    return lax.concatenate([expand_dims(x, ax) for x in xs], ax)


def hstack(arrays: Sequence[Any]) -> Any:
    """Stack horizontally (along axis 1, or 0 for 1-D arrays)."""
    xs = [atleast_1d(x) for x in arrays]
    return concatenate(xs, 0 if get_aval(xs[0]).ndim == 1 else 1)


def vstack(arrays: Sequence[Any]) -> Any:
    """Stack vertically (rows)."""
    return concatenate([atleast_2d(x) for x in arrays], 0)


def column_stack(arrays: Sequence[Any]) -> Any:
    """Stack 1-D arrays as columns of a 2-D array."""
    xs = [asarray_op(x) for x in arrays]
    xs = [lax.reshape(x, (-1, 1)) if get_aval(x).ndim < 2 else x for x in xs]
    return concatenate(xs, 1)


def atleast_1d(a: Any) -> Any:
    """``a`` with at least one axis."""
    a = asarray_op(a)
    return lax.reshape(a, (1,)) if get_aval(a).ndim == 0 else a


def atleast_2d(a: Any) -> Any:
    """``a`` with at least two axes (new ones in front)."""
    a = asarray_op(a)
    shape = get_aval(a).shape
    return lax.reshape(a, (1,) * (2 - len(shape)) + shape) if len(shape) < 2 else a


def atleast_3d(a: Any) -> Any:
    """``a`` with at least three axes."""
    a = asarray_op(a)
    shape = get_aval(a).shape
    if len(shape) == 0:
        return lax.reshape(a, (1, 1, 1))
    if len(shape) == 1:
        return lax.reshape(a, (1, shape[0], 1))
    if len(shape) == 2:
        return lax.reshape(a, (*shape, 1))
    return a


def split(a: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Split into equal sections (an int) or at the given indices.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> [x.tolist() for x in fnp.split(fnp.arange(6), 3)]
        [[0, 1], [2, 3], [4, 5]]
    """
    a = asarray_op(a)
    shape = get_aval(a).shape
    ax = _ax("split", axis, len(shape))
    n = shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise value_error(
                f"split: an axis of size {n} does not divide into {k} equal sections; use "
                "fnp.array_split for unequal ones"
            )
        bounds = [i * (n // k) for i in range(k + 1)]
    else:
        bounds = [0, *(int(i) for i in indices_or_sections), n]
    bounds = [builtins.min(builtins.max(b if b >= 0 else b + n, 0), n) for b in bounds]
    return [lax.slice_in_dim(a, s, builtins.max(s, e), axis=ax)
            for s, e in zip(bounds[:-1], bounds[1:])]


def array_split(a: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Like :func:`split`, but sections may differ in size by one."""
    if not isinstance(indices_or_sections, (int, np.integer)):
        return split(a, indices_or_sections, axis)
    a = asarray_op(a)
    n = get_aval(a).shape[_ax("array_split", axis, get_aval(a).ndim)]
    k = int(indices_or_sections)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    return split(a, list(np.cumsum(sizes)[:-1]), axis)


def tile(a: Any, reps: Any) -> Any:
    """Repeat the whole array ``reps`` times along each axis."""
    a = asarray_op(a)
    try:
        reps = (operator.index(reps),) if not isinstance(reps, Sequence) else tuple(
            operator.index(r) for r in reps)
    except TypeError:
        raise type_error(f"tile: reps must be an int or a sequence of ints, got {reps!r}"
                         ) from None
    shape = get_aval(a).shape
    nd = builtins.max(len(shape), len(reps))
    shape = (1,) * (nd - len(shape)) + shape
    reps = (1,) * (nd - len(reps)) + reps
    a = lax.reshape(a, shape)
    # Broadcast into interleaved (rep, size) axes, then merge each pair.
    big = tuple(x for r, s in zip(reps, shape) for x in (r, s))
    b = lax.broadcast_in_dim(a, big, tuple(range(1, 2 * nd, 2)))
    return lax.reshape(b, tuple(r * s for r, s in zip(reps, shape)))


def repeat(a: Any, repeats: Any, axis: int | None = None, *,
           total_repeat_length: int | None = None) -> Any:
    """Repeat each element ``repeats`` times (an int, or a sequence of concrete ints)."""
    a = asarray_op(a)
    if axis is None:
        a, axis = ravel(a), 0
    shape = get_aval(a).shape
    ax = _ax("repeat", axis, len(shape))
    if isinstance(repeats, (int, np.integer)):
        r = int(repeats)
        big = shape[:ax + 1] + (r,) + shape[ax + 1:]
        b = lax.broadcast_in_dim(a, big, tuple(i for i in range(len(big)) if i != ax + 1))
        return lax.reshape(b, shape[:ax] + (shape[ax] * r,) + shape[ax + 1:])
    if total_repeat_length is not None:
        return _repeat_traced(a, repeats, ax, total_repeat_length)
    counts = np.asarray(repeats if not hasattr(repeats, "tolist") else repeats.tolist())
    if counts.shape == () or counts.shape == (1,):
        return repeat(a, int(counts.reshape(())), axis=ax)
    if counts.shape != (shape[ax],):
        raise value_error(f"repeat: repeats has shape {counts.shape}, expected "
                          f"({shape[ax]},) for axis {ax} of shape {shape}")
    idx = np.repeat(np.arange(shape[ax]), counts)
    from .indexing import take

    return take(a, idx.astype(np.int32), axis=ax, mode="clip")


def _repeat_traced(a: Any, repeats: Any, ax: int, total: int) -> Any:
    # Output position j takes the element whose cumulative repeat count first exceeds j.
    from .indexing import take
    from .sorting import searchsorted

    n = get_aval(a).shape[ax]
    r = lax.broadcast_to(lax.convert_element_type(asarray_op(repeats), "int32"), (n,))
    ends = lax.cumsum(r, 0)
    src = searchsorted(ends, lax.iota("int32", total), side="right")
    return take(a, lax.min(src, lax.full_like(src, n - 1)), axis=ax, mode="clip")


def broadcast_to(a: Any, shape: Any) -> Any:
    """Broadcast ``a`` to ``shape`` (NumPy rules)."""
    a = asarray_op(a, "an argument of broadcast_to")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    ashape = get_aval(a).shape
    if len(ashape) > len(shape) or any(d not in (1, t) for d, t in zip(ashape[::-1],
                                                                       shape[::-1])):
        raise shape_error(f"broadcast_to: cannot broadcast an array of shape {ashape} to "
                          f"shape {shape}")
    return lax.broadcast_to(a, shape)


def broadcast_arrays(*args: Any) -> list:
    """Broadcast arrays against each other."""
    xs = [asarray_op(x) for x in args]
    shape = broadcast_shapes(*(get_aval(x).shape for x in xs))
    return [lax.broadcast_to(x, shape) for x in xs]


def broadcast_shapes(*shapes: Any) -> tuple:
    """The broadcast shape of ``shapes``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.broadcast_shapes((3,), (2, 1))
        (2, 3)
    """
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise shape_error(f"broadcast_shapes: incompatible shapes for broadcasting: "
                          f"{', '.join(map(str, shapes))}") from None


def flip(a: Any, axis: Any = None) -> Any:
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    a = asarray_op(a)
    return lax.rev(a, canonical_axes("flip", axis, get_aval(a).ndim))


def fliplr(a: Any) -> Any:
    """Reverse along axis 1."""
    return flip(a, 1)


def flipud(a: Any) -> Any:
    """Reverse along axis 0."""
    return flip(a, 0)


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """Shift elements cyclically along ``axis`` (of the flattened array when None)."""
    a = asarray_op(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), get_aval(a).shape)
    shifts = (shift,) if isinstance(shift, int) else tuple(shift)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for s, ax in zip(shifts, axes):
        ax = _ax("roll", ax, get_aval(a).ndim)
        n = get_aval(a).shape[ax]
        if n == 0:
            continue
        s = int(s) % n
        if s:
            a = lax.concatenate([lax.slice_in_dim(a, n - s, n, axis=ax),
                                 lax.slice_in_dim(a, 0, n - s, axis=ax)], ax)
    return a


_PAD_MODES = ("constant", "edge", "wrap", "reflect", "symmetric", "maximum", "minimum",
              "mean", "empty")


def _pairs(name: str, v: Any, nd: int, dtype: Any = np.int64) -> np.ndarray:
    """``v`` (a scalar, a pair, or one pair per axis) as an ``(nd, 2)`` host array."""
    h = np.asarray(v.tolist() if hasattr(v, "tolist") else v, dtype=dtype)
    try:
        return np.broadcast_to(h.reshape(-1, 2) if h.ndim == 2 or h.size == 2 else h, (nd, 2))
    except ValueError:
        raise value_error(f"pad: {name}={v!r} must be a scalar, a (before, after) pair or one "
                          f"pair per axis ({nd} axes)") from None


def pad(array: Any, pad_width: Any, mode: str = "constant", *, constant_values: Any = 0,
        stat_length: Any = None, end_values: Any = 0, reflect_type: str = "even") -> Any:
    """Pad an array (modes ``constant``, ``edge``, ``wrap``, ``reflect``, ``symmetric``,
    ``maximum``, ``minimum``, ``mean``, ``empty``), as ``numpy.pad``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.pad(fnp.array([1, 2]), 1)
        Array([0, 1, 2, 0], dtype=int32)
        >>> fnp.pad(fnp.array([1, 2, 3]), (2, 1), mode="reflect")
        Array([3, 2, 1, 2, 3, 2], dtype=int32)
    """
    a = asarray_op(array, "an argument of pad")
    nd = get_aval(a).ndim
    if mode not in _PAD_MODES:
        raise value_error(f"pad: mode {mode!r} is not supported; use one of {_PAD_MODES}")
    pw = _pairs("pad_width", pad_width, nd)
    if (pw < 0).any():
        raise value_error(f"pad: pad_width must be non-negative, got {pad_width}")
    if mode in ("constant", "empty"):
        cv = 0 if mode == "empty" else constant_values
        if np.ndim(cv) == 0 and not (hasattr(cv, "ndim") and cv.ndim):
            (a, v) = promote_dtypes(a, cv)
            return lax.pad(a, lax.convert_element_type(v, get_aval(a).dtype),
                           [(int(lo), int(hi), 0) for lo, hi in pw])
    for ax, (lo, hi) in enumerate(pw):
        if lo == 0 and hi == 0:
            continue
        parts = [_pad_side(a, ax, int(lo), True, mode, constant_values, stat_length, nd), a,
                 _pad_side(a, ax, int(hi), False, mode, constant_values, stat_length, nd)]
        a = lax.concatenate([p for p in parts if get_aval(p).shape[ax]], ax)
    return a


def _pad_side(a: Any, ax: int, k: int, before: bool, mode: str, constant_values: Any,
              stat_length: Any, nd: int) -> Any:
    from .indexing import take

    shape = get_aval(a).shape
    n = shape[ax]
    block = tuple(k if i == ax else d for i, d in enumerate(shape))
    if k == 0:
        return lax.full(block, 0, get_aval(a).dtype)
    if mode == "constant":
        v = _pairs("constant_values", constant_values, nd, np.float64)[ax][0 if before else 1]
        return lax.full(block, v.item() if get_aval(a).dtype.kind in "fc" else int(v),
                        get_aval(a).dtype)
    if n == 0:
        raise value_error(f"pad: mode {mode!r} cannot pad an empty axis {ax}")
    if mode in ("maximum", "minimum", "mean"):
        from . import reductions

        length = n if stat_length is None else int(
            _pairs("stat_length", stat_length, nd)[ax][0 if before else 1])
        length = builtins.max(builtins.min(length, n), 1)
        part = lax.slice_in_dim(a, 0, length, axis=ax) if before else lax.slice_in_dim(
            a, n - length, n, axis=ax)
        stat = {"maximum": reductions.max, "minimum": reductions.min,
                "mean": reductions.mean}[mode](part, axis=ax, keepdims=True)
        if mode == "mean" and get_aval(a).dtype.kind in "iub":
            from .ufuncs import round as _round

            stat = lax.convert_element_type(_round(stat), get_aval(a).dtype)
        return lax.broadcast_to(stat, block)
    pos = np.arange(-k, 0) if before else np.arange(n, n + k)
    if mode == "edge":
        idx = np.clip(pos, 0, n - 1)
    elif mode == "wrap":
        idx = pos % n
    elif mode == "reflect":
        period = builtins.max(2 * n - 2, 1)
        m = pos % period
        idx = np.where(m >= n, period - m, m) if n > 1 else np.zeros_like(pos)
    else:  # symmetric
        m = pos % (2 * n)
        idx = np.where(m >= n, 2 * n - 1 - m, m)
    return take(a, idx.astype(np.int32), axis=ax, mode="clip")


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """Roll ``axis`` backwards until it lies before position ``start``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.rollaxis(fnp.ones((2, 3, 4)), 2).shape
        (4, 2, 3)
    """
    a = asarray_op(a, "an argument of rollaxis")
    nd = get_aval(a).ndim
    ax = _ax("rollaxis", axis, nd)
    if not -nd <= start <= nd:
        raise value_error(f"rollaxis: start={start} is out of bounds for rank {nd}")
    start = start + nd if start < 0 else start
    if ax < start:
        start -= 1
    return moveaxis(a, ax, start)


def rot90(m: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Any:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes`` (counterclockwise).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.rot90(fnp.array([[1, 2], [3, 4]]))
        Array([[2, 4],
               [1, 3]], dtype=int32)
    """
    m = asarray_op(m, "an argument of rot90")
    nd = get_aval(m).ndim
    if len(axes) != 2 or nd < 2:
        raise value_error(f"rot90: needs two distinct axes of an array of rank >= 2, got "
                          f"axes={axes} for rank {nd}")
    a0, a1 = _ax("rot90", axes[0], nd), _ax("rot90", axes[1], nd)
    if a0 == a1:
        raise value_error(f"rot90: the axes must differ, got {axes}")
    k = int(k) % 4
    if k == 0:
        return m
    if k == 2:
        return lax.rev(m, (a0, a1))
    perm = list(range(nd))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return lax.transpose(lax.rev(m, (a1,)), tuple(perm))
    return lax.rev(lax.transpose(m, tuple(perm)), (a1,))


def dstack(tup: Sequence[Any]) -> Any:
    """Stack along the third axis (arrays become at least 3-D first).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.dstack([fnp.ones(2), fnp.zeros(2)]).shape
        (1, 2, 2)
    """
    return concatenate([atleast_3d(x) for x in tup], 2)


def hsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split horizontally (along axis 1, or 0 for 1-D arrays).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> [x.shape for x in fnp.hsplit(fnp.ones((2, 4)), 2)]
        [(2, 2), (2, 2)]
    """
    a = asarray_op(ary, "an argument of hsplit")
    return split(a, indices_or_sections, 1 if get_aval(a).ndim > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split vertically (along axis 0; needs at least 2-D).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> [x.shape for x in fnp.vsplit(fnp.ones((4, 2)), 2)]
        [(2, 2), (2, 2)]
    """
    a = asarray_op(ary, "an argument of vsplit")
    if get_aval(a).ndim < 2:
        raise value_error(f"vsplit needs an array of at least 2 dimensions, got shape "
                          f"{get_aval(a).shape}")
    return split(a, indices_or_sections, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the third axis (needs at least 3-D).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> [x.shape for x in fnp.dsplit(fnp.ones((1, 1, 4)), 2)]
        [(1, 1, 2), (1, 1, 2)]
    """
    a = asarray_op(ary, "an argument of dsplit")
    if get_aval(a).ndim < 3:
        raise value_error(f"dsplit needs an array of at least 3 dimensions, got shape "
                          f"{get_aval(a).shape}")
    return split(a, indices_or_sections, 2)


def unstack(x: Any, /, *, axis: int = 0) -> tuple:
    """The slices of ``x`` along ``axis``, as a tuple (the inverse of :func:`stack`).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> [v.tolist() for v in fnp.unstack(fnp.array([[1, 2], [3, 4]]), axis=1)]
        [[1, 3], [2, 4]]
    """
    x = asarray_op(x, "an argument of unstack")
    shape = get_aval(x).shape
    if not shape:
        raise value_error("unstack: a 0-d array has no axis to unstack")
    ax = _ax("unstack", axis, len(shape))
    rest = shape[:ax] + shape[ax + 1:]
    return tuple(lax.reshape(lax.slice_in_dim(x, i, i + 1, axis=ax), rest)
                 for i in range(shape[ax]))
