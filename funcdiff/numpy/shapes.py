"""Shape manipulation in ``funcdiff.numpy``: reshape, transpose, stack, split, pad…"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import lax
from ..core.primitive import ShapeError
from ..core.tracing import get_aval
from ..lax._family import canonical_axes
from ._promote import asarray_op, promote_dtypes


def _ax(name: str, axis: int, ndim: int) -> int:
    return canonical_axes(name, axis, ndim)[0]


def reshape(a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None) -> Any:
    """``a`` with a new shape (one entry may be -1).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.reshape(fnp.arange(6), (2, -1)).shape
        (2, 3)
    """
    if order != "C":
        raise NotImplementedError("funcdiff reshapes in C order only")
    shape = newshape if shape is None else shape
    return lax.reshape(asarray_op(a), shape)


def ravel(a: Any) -> Any:
    """``a`` flattened to one axis."""
    return lax.reshape(asarray_op(a), (-1,))


def transpose(a: Any, axes: Sequence[int] | None = None) -> Any:
    """Permute axes (reverse them when ``axes`` is None)."""
    a = asarray_op(a)
    nd = get_aval(a).ndim
    axes = tuple(reversed(range(nd))) if axes is None else tuple(axes)
    if sorted(int(x) % builtins.max(nd, 1) for x in axes) != list(range(nd)):
        raise ValueError(f"axes {axes} are not a permutation of the {nd} axes")
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
        raise ValueError("moveaxis: source and destination need the same number of axes")
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
                raise ValueError(
                    f"cannot squeeze axis {i} of size {shape[i]} (shape {shape}); only "
                    "size-1 axes can be removed"
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
        raise ValueError("need at least one array to concatenate")
    xs = promote_dtypes(*arrays)
    if axis is None:
        xs = [ravel(x) for x in xs]
        axis = 0
    nd = get_aval(xs[0]).ndim
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
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
        raise ValueError("need at least one array to stack")
    xs = promote_dtypes(*arrays)
    shapes = {get_aval(x).shape for x in xs}
    if len(shapes) != 1:
        raise ShapeError(f"all input arrays must have the same shape to stack, got {shapes}")
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
            raise ValueError(
                f"array split does not result in an equal division: axis of size {n} into {k}"
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
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
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
    counts = np.asarray(repeats if not hasattr(repeats, "tolist") else repeats.tolist())
    if counts.shape != (shape[ax],):
        raise ValueError(f"repeats has shape {counts.shape}, expected ({shape[ax]},)")
    idx = np.repeat(np.arange(shape[ax]), counts)
    from .indexing import take

    return take(a, idx.astype(np.int32), axis=ax)


def broadcast_to(a: Any, shape: Any) -> Any:
    """Broadcast ``a`` to ``shape`` (NumPy rules)."""
    a = asarray_op(a)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    np.broadcast_shapes(get_aval(a).shape, shape)  # NumPy's message on mismatch
    return lax.broadcast_to(a, shape)


def broadcast_arrays(*args: Any) -> list:
    """Broadcast arrays against each other."""
    xs = [asarray_op(x) for x in args]
    shape = np.broadcast_shapes(*(get_aval(x).shape for x in xs))
    return [lax.broadcast_to(x, shape) for x in xs]


def broadcast_shapes(*shapes: Any) -> tuple:
    """The broadcast shape of ``shapes``."""
    return np.broadcast_shapes(*shapes)


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


def pad(array: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Any:
    """Pad an array (modes ``constant``, ``edge``, ``reflect``, ``wrap``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.pad(fnp.array([1, 2]), 1)
        Array([0, 1, 2, 0], dtype=int32)
    """
    a = asarray_op(array)
    nd = get_aval(a).ndim
    pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64).reshape(-1, 2)
                         if np.ndim(pad_width) else np.full((1, 2), int(pad_width)), (nd, 2))
    if (pw < 0).any():
        raise ValueError(f"pad_width must be non-negative, got {pad_width}")
    if mode == "constant":
        (a, v) = promote_dtypes(a, constant_values)
        return lax.pad(a, v, [(int(lo), int(hi), 0) for lo, hi in pw])
    for ax, (lo, hi) in enumerate(pw):
        n = get_aval(a).shape[ax]
        parts = []
        if mode == "edge":
            parts = [_rep(lax.slice_in_dim(a, 0, 1, axis=ax), lo, ax), a,
                     _rep(lax.slice_in_dim(a, n - 1, n, axis=ax), hi, ax)]
        elif mode == "wrap":
            parts = [_take_range(a, np.arange(-lo, 0) % n, ax), a,
                     _take_range(a, np.arange(n, n + hi) % n, ax)]
        elif mode == "reflect":
            period = np.r_[np.arange(n), np.arange(n - 2, 0, -1)] if n > 1 else np.zeros(1, int)
            parts = [_take_range(a, period[np.arange(-lo, 0) % len(period)], ax), a,
                     _take_range(a, period[np.arange(n, n + hi) % len(period)], ax)]
        else:
            raise ValueError(f"pad mode {mode!r} is not supported: use constant, edge, "
                             "reflect or wrap")
        a = lax.concatenate([p for p in parts if get_aval(p).shape[ax]], ax)
    return a


def _rep(x: Any, k: int, ax: int) -> Any:
    return repeat(x, int(k), axis=ax)


def _take_range(a: Any, idx: np.ndarray, ax: int) -> Any:
    from .indexing import take

    return take(a, idx.astype(np.int32), axis=ax)
