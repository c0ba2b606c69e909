"""Searching and editing arrays in ``funcdiff.numpy``: ``nonzero``/``argwhere``, ``append``,
``insert``, ``delete``, ``select``, ``choose``, ``compress``, ``extract``, ``place``,
``put``, ``put_along_axis``, ``resize``, ``trim_zeros``, ``block``, ``unravel_index``,
``ravel_multi_index`` and ``ix_``.

Arrays are immutable, so the "in-place" NumPy functions (``place``, ``put``…) return a new
array and refuse ``inplace=True``. Where the output size depends on values (``nonzero``,
``compress``…), the values must be concrete unless a static ``size=`` is given.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.source import at_user_line
from ..core.tracing import ConcretizationTypeError, get_aval, to_host
from ._promote import asarray_op, axis1, promote_dtypes, value_error


def _concrete(name: str, x: Any, what: str) -> np.ndarray:
    try:
        return to_host(asarray_op(x))
    except ConcretizationTypeError:
        raise ConcretizationTypeError(
            f"{name}: {what} must be concrete (its values decide the output shape), got a "
            f"traced value{at_user_line()}; pass a static `size=` where {name} takes one, or "
            "use fnp.where to keep the shape"
        ) from None


def nonzero(a: Any, *, size: int | None = None, fill_value: Any = None) -> tuple:
    """Indices of the non-zero elements; needs concrete values unless ``size`` is given.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nonzero(fnp.array([0, 3, 0, 5]))
        (Array([1, 3], dtype=int32),)
        >>> fnp.nonzero(fnp.array([0, 3, 0, 5]), size=3, fill_value=-1)
        (Array([ 1,  3, -1], dtype=int32),)
    """
    a = asarray_op(a, "an argument of nonzero")
    shape = get_aval(a).shape
    if not shape:
        raise value_error("nonzero of a 0-d array is not defined; use fnp.atleast_1d(x) first")
    if size is None:
        try:
            host = to_host(a)
        except ConcretizationTypeError:
            raise ConcretizationTypeError(
                f"nonzero's output shape depends on the values, which are not known while "
                f"tracing{at_user_line()}; pass a static `size=` (and optionally `fill_value=`)"
            ) from None
        it = dtypes.default_int()
        return tuple(asarray_op(n.astype(it)) for n in np.nonzero(host))
    flat = lax.reshape(lax.ne(a, lax.full((), 0, get_aval(a).dtype)) if get_aval(a).dtype
                       != dtypes.bool_ else a, (-1,))
    n = get_aval(flat).shape[0]
    it = dtypes.default_int()
    pos = lax.iota(it, n)
    key = lax.select(flat, pos, lax.full((n,), n, it))
    skey = lax.sort(key, 0)
    chosen = lax.slice_in_dim(skey, 0, size) if size <= n else lax.concatenate(
        [skey, lax.full((size - n,), n, it)], 0)
    valid = lax.lt(chosen, lax.full((), n, it))
    fills = fill_value if isinstance(fill_value, (tuple, list)) else (fill_value,) * len(shape)
    out, rem = [], lax.select(valid, chosen, lax.full_like(chosen, 0))
    for d in reversed(range(len(shape))):
        out.append(lax.rem(rem, lax.full((), shape[d], it)))
        rem = lax.div(rem, lax.full((), shape[d], it))
    out.reverse()
    return tuple(lax.select(valid, o, lax.full_like(o, 0 if f is None else f))
                 for o, f in zip(out, fills))


def argwhere(a: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """Indices of non-zero elements, one row each.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.argwhere(fnp.array([[1, 0], [0, 3]]))
        Array([[0, 0],
               [1, 1]], dtype=int32)
    """
    from .shapes import stack

    a = asarray_op(a, "an argument of argwhere")
    if get_aval(a).ndim == 0:
        a = lax.reshape(a, (1,))
        rows = nonzero(a, size=size, fill_value=fill_value)[0]
        return lax.reshape(rows, (get_aval(rows).shape[0], 0))
    return stack(nonzero(a, size=size, fill_value=fill_value), axis=1)


def flatnonzero(a: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """Indices of non-zero elements of the flattened array.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.flatnonzero(fnp.array([[1, 0], [0, 3]]))
        Array([0, 3], dtype=int32)
    """
    return nonzero(lax.reshape(asarray_op(a), (-1,)), size=size, fill_value=fill_value)[0]


def _no_inplace(name: str, inplace: bool) -> None:
    if inplace:
        raise ValueError(f"{name}: funcdiff arrays are immutable, so inplace=True is not "
                         f"supported; use the returned array (x = fnp.{name}(x, ...))")


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    """``values`` appended to ``arr`` (both flattened when ``axis`` is None).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.append(fnp.array([1, 2]), fnp.array([3]))
        Array([1, 2, 3], dtype=int32)
    """
    from .shapes import concatenate

    if axis is None:
        return concatenate([lax.reshape(asarray_op(arr), (-1,)),
                            lax.reshape(asarray_op(values), (-1,))])
    return concatenate([arr, values], axis)


def _axis_len(name: str, a: Any, axis: Any) -> tuple[Any, int, int]:
    a = asarray_op(a, f"an argument of {name}")
    if axis is None:
        a, axis = lax.reshape(a, (-1,)), 0
    shape = get_aval(a).shape
    ax = axis1(name, axis, len(shape), shape)
    return a, ax, shape[ax]


def delete(arr: Any, obj: Any, axis: int | None = None, *,
           assume_unique_indices: bool = False) -> Any:
    """``arr`` without the entries ``obj`` (an int, a slice or concrete indices) along
    ``axis`` (of the flattened array when None).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.delete(fnp.array([1, 2, 3, 4]), fnp.array([0, 2]))
        Array([2, 4], dtype=int32)
    """
    from .indexing import take

    a, ax, n = _axis_len("delete", arr, axis)
    gone = np.arange(n)[obj] if isinstance(obj, slice) else _concrete("delete", obj, "obj")
    gone = np.asarray(gone)
    if gone.dtype == bool:
        if gone.shape != (n,):
            raise value_error(f"delete: a boolean obj needs shape ({n},), got {gone.shape}")
        gone = np.nonzero(gone)[0]
    if gone.size and ((gone < -n) | (gone >= n)).any():
        raise IndexError(f"delete: index {gone[(gone < -n) | (gone >= n)][0]} is out of bounds "
                         f"for axis {ax} with size {n}{at_user_line()}")
    keep = np.setdiff1d(np.arange(n), gone % n if n else gone).astype(np.int32)
    return take(a, keep, axis=ax, mode="clip")


def insert(arr: Any, obj: Any, values: Any, axis: int | None = None) -> Any:
    """``arr`` with ``values`` inserted before the index or indices ``obj`` along ``axis``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.insert(fnp.array([1, 2, 3]), 1, 9)
        Array([1, 9, 2, 3], dtype=int32)
    """
    from .indexing import take
    from .shapes import broadcast_to, concatenate, moveaxis

    a, ax, n = _axis_len("insert", arr, axis)
    idx = np.arange(n + 1)[obj] if isinstance(obj, slice) else _concrete("insert", obj, "obj")
    scalar = np.ndim(idx) == 0
    idx = np.atleast_1d(idx).astype(np.int64)
    if ((idx < -n) | (idx > n)).any():
        raise IndexError(f"insert: index {idx[(idx < -n) | (idx > n)][0]} is out of bounds for "
                         f"axis {ax} with size {n}{at_user_line()}")
    idx = np.where(idx < 0, idx + n, idx)
    v = lax.convert_element_type(asarray_op(values, "the values of insert"), get_aval(a).dtype)
    shape, vshape = get_aval(a).shape, get_aval(v).shape
    if len(vshape) < len(shape):
        v = lax.reshape(v, (1,) * (len(shape) - len(vshape)) + vshape)
    if scalar:
        # A single position inserts `values` as one block whose first axis lies along `axis`.
        v = moveaxis(v, 0, ax)
        k = get_aval(v).shape[ax]
        pos = np.full(k, idx[0])
    else:
        k, pos = len(idx), idx
    v = broadcast_to(v, tuple(k if i == ax else d for i, d in enumerate(shape)))
    # Inserted items go before the original element at their position, in their own order.
    keys = np.concatenate([2 * np.arange(n) + 1, 2 * pos])
    order = np.argsort(keys, kind="stable").astype(np.int32)
    return take(concatenate([a, v], ax), order, axis=ax, mode="clip")


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """Elementwise, the choice of the first true condition (``default`` where none is).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> x = fnp.arange(5)
        >>> fnp.select([x < 2, x > 3], [x, x * 10], default=-1)
        Array([ 0,  1, -1, -1, 40], dtype=int32)
    """
    from .ufuncs import _bool, where

    if len(condlist) != len(choicelist):
        raise value_error(f"select: condlist has {len(condlist)} entries but choicelist has "
                          f"{len(choicelist)}")
    out = default
    for c, v in reversed(list(zip(condlist, choicelist))):
        out = where(_bool(c), v, out)
    return asarray_op(out)


def choose(a: Any, choices: Sequence[Any], out: Any = None, mode: str = "raise") -> Any:
    """Elementwise, ``choices[a]`` (indices out of range raise on concrete input with
    ``mode="raise"``, and are clipped or wrapped otherwise).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.choose(fnp.array([0, 1, 0]), [fnp.array([1, 2, 3]), fnp.array([10, 20, 30])])
        Array([ 1, 20,  3], dtype=int32)
    """
    from .indexing import take_along_axis
    from .shapes import broadcast_arrays, stack

    idx = asarray_op(a, "the index array of choose")
    n = len(choices)
    if mode == "raise":
        try:
            h = to_host(idx)
            if h.size and (h.min() < 0 or h.max() >= n):
                raise value_error(f"choose: index out of range for {n} choices")
        except ConcretizationTypeError:
            pass
        mode = "clip"
    if mode == "wrap":
        idx = lax.rem(lax.add(lax.rem(idx, n), n), n)
    elif mode != "clip":
        raise value_error(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    *cs, idx = broadcast_arrays(*promote_dtypes(*choices), idx)
    stacked = stack(cs, axis=0)
    idx = lax.min(lax.max(idx, lax.full_like(idx, 0)), lax.full_like(idx, n - 1))
    return lax.reshape(take_along_axis(stacked, lax.reshape(idx, (1, *get_aval(idx).shape)),
                                       0, mode="clip"), get_aval(idx).shape)


def compress(condition: Any, a: Any, axis: int | None = None, *, size: int | None = None,
             fill_value: Any = 0, out: Any = None) -> Any:
    """The slices of ``a`` along ``axis`` where ``condition`` (1-D) is true.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.compress(fnp.array([True, False, True]), fnp.array([1, 2, 3]))
        Array([1, 3], dtype=int32)
    """
    from .indexing import take

    arr, ax, n = _axis_len("compress", a, axis)
    cond = asarray_op(condition, "the condition of compress")
    if get_aval(cond).ndim != 1:
        raise value_error(f"compress: condition must be 1-D, got shape {get_aval(cond).shape}")
    m = get_aval(cond).shape[0]
    if m < n:
        cond = lax.concatenate([cond, lax.full((n - m,), False, get_aval(cond).dtype)], 0)
    cond = lax.slice_in_dim(cond, 0, n)
    if size is None:
        (idx,) = nonzero(cond)
        return take(arr, idx, axis=ax, mode="clip")
    (idx,) = nonzero(cond, size=size, fill_value=n)
    return take(arr, idx, axis=ax, mode="fill", fill_value=fill_value)


def extract(condition: Any, arr: Any, *, size: int | None = None, fill_value: Any = 0) -> Any:
    """The elements of ``arr`` where ``condition`` is true (both flattened).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> x = fnp.arange(6)
        >>> fnp.extract(x % 2 == 0, x)
        Array([0, 2, 4], dtype=int32)
    """
    from .ufuncs import _bool

    return compress(lax.reshape(_bool(condition), (-1,)), lax.reshape(asarray_op(arr), (-1,)),
                    size=size, fill_value=fill_value)


def place(arr: Any, mask: Any, vals: Any, *, inplace: bool = False) -> Any:
    """``arr`` with the elements where ``mask`` holds replaced, in order, by ``vals``
    (repeated as needed).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.place(fnp.arange(4), fnp.arange(4) > 1, fnp.array([9]))
        Array([0, 1, 9, 9], dtype=int32)
    """
    _no_inplace("place", inplace)
    a = asarray_op(arr, "an argument of place")
    m = _concrete("place", mask, "mask").astype(bool).reshape(-1)
    k = int(m.sum())
    v = lax.reshape(asarray_op(vals), (-1,))
    nv = get_aval(v).shape[0]
    if k == 0:
        return a
    if nv == 0:
        raise value_error("place: cannot place an empty vals where the mask selects elements")
    pick = (np.arange(k) % nv).astype(np.int32)
    flat = lax.reshape(a, (-1,))
    vals_k = lax.index_take(v, [pick], (0,))
    out = lax.index_update(flat, [np.nonzero(m)[0].astype(np.int32)], vals_k, (0,), "set")
    return lax.reshape(out, get_aval(a).shape)


def put(a: Any, ind: Any, v: Any, mode: str | None = None, *, inplace: bool = False) -> Any:
    """``a`` with the flat positions ``ind`` set to ``v`` (repeated as needed).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.put(fnp.zeros(4, dtype=int), fnp.array([0, 2]), fnp.array([5, 6]))
        Array([5, 0, 6, 0], dtype=int32)
    """
    _no_inplace("put", inplace)
    a = asarray_op(a, "an argument of put")
    size = get_aval(a).size
    idx = lax.reshape(asarray_op(ind), (-1,))
    vals = lax.reshape(asarray_op(v), (-1,))
    k, nv = get_aval(idx).shape[0], get_aval(vals).shape[0]
    if nv != k and nv:
        vals = lax.index_take(vals, [(np.arange(k) % nv).astype(np.int32)], (0,))
    if mode == "wrap":
        idx = lax.rem(lax.add(lax.rem(idx, size), size), size)
    elif mode == "clip":
        idx = lax.min(lax.max(idx, lax.full_like(idx, 0)), lax.full_like(idx, size - 1))
    flat = lax.index_update(lax.reshape(a, (-1,)), [idx], vals, (0,), "set")
    return lax.reshape(flat, get_aval(a).shape)


def put_along_axis(arr: Any, indices: Any, values: Any, axis: int | None,
                   inplace: bool = False, *, mode: str | None = None) -> Any:
    """``arr`` with ``values`` written at ``indices`` along ``axis`` (the inverse of
    :func:`take_along_axis`).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.put_along_axis(fnp.zeros((2, 2)), fnp.array([[1], [0]]), 5.0, axis=1)
        Array([[0., 5.],
               [5., 0.]], dtype=float32)
    """
    _no_inplace("put_along_axis", inplace)
    a = asarray_op(arr, "an argument of put_along_axis")
    idx = asarray_op(indices, "the indices of put_along_axis")
    shape = get_aval(a).shape
    if axis is None:
        flat = put_along_axis(lax.reshape(a, (-1,)), lax.reshape(idx, (-1,)), values, 0)
        return lax.reshape(flat, shape)
    ax = axis1("put_along_axis", axis, len(shape), shape)
    if get_aval(idx).ndim != len(shape):
        raise value_error(f"put_along_axis: indices of rank {get_aval(idx).ndim} do not match "
                          f"the array's rank {len(shape)}")
    ishape = get_aval(idx).shape
    grids = [idx if k == ax else lax.broadcasted_iota(get_aval(idx).dtype, ishape, k)
             for k in range(len(shape))]
    return lax.index_update(a, grids, values, tuple(range(len(shape))), "set")


def resize(a: Any, new_shape: Any) -> Any:
    """``a`` flattened and repeated cyclically to fill ``new_shape``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.resize(fnp.array([1, 2, 3]), (2, 2))
        Array([[1, 2],
               [3, 1]], dtype=int32)
    """
    a = lax.reshape(asarray_op(a, "an argument of resize"), (-1,))
    shape = (operator.index(new_shape),) if not isinstance(new_shape, Sequence) else tuple(
        operator.index(s) for s in new_shape)
    total, n = math.prod(shape), get_aval(a).shape[0]
    if n == 0:
        return lax.full(shape, 0, get_aval(a).dtype)
    reps = -(-total // n)
    tiled = lax.reshape(lax.broadcast_in_dim(a, (reps, n), (1,)), (-1,))
    return lax.reshape(lax.slice_in_dim(tiled, 0, total), shape)


def trim_zeros(filt: Any, trim: str = "fb") -> Any:
    """The 1-D ``filt`` without leading (``"f"``) and/or trailing (``"b"``) zeros.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.trim_zeros(fnp.array([0, 1, 2, 0]))
        Array([1, 2], dtype=int32)
    """
    a = asarray_op(filt, "an argument of trim_zeros")
    nz = np.nonzero(_concrete("trim_zeros", a, "the array"))[0]
    n = get_aval(a).shape[0]
    if not nz.size:
        return lax.slice_in_dim(a, 0, 0)
    lo = int(nz[0]) if "f" in trim.lower() else 0
    hi = int(nz[-1]) + 1 if "b" in trim.lower() else n
    return lax.slice_in_dim(a, lo, hi)


def block(arrays: Any) -> Any:
    """Assemble an array from nested lists of blocks (the innermost joined last axis first).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.block([[fnp.eye(2), fnp.zeros((2, 1))]]).shape
        (2, 3)
    """
    from .shapes import concatenate

    def depth(x: Any) -> int:
        return 1 + depth(x[0]) if isinstance(x, list) and x else int(isinstance(x, list))

    d = depth(arrays)

    def build(x: Any, level: int) -> Any:
        if not isinstance(x, list):
            return asarray_op(x)
        parts = [build(p, level + 1) for p in x]
        nd = max(d, *(get_aval(p).ndim for p in parts))
        parts = [lax.reshape(p, (1,) * (nd - get_aval(p).ndim) + get_aval(p).shape)
                 for p in parts]
        return concatenate(parts, axis=-(d - level))

    if not isinstance(arrays, list):
        return asarray_op(arrays)
    return build(arrays, 0)


def unravel_index(indices: Any, shape: Sequence[int]) -> tuple:
    """The multi-indices into ``shape`` of the flat ``indices`` (as NumPy's, but clamped
    instead of raising for out-of-range values, as in JAX).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.unravel_index(fnp.array([5, 1]), (2, 3))
        (Array([1, 0], dtype=int32), Array([2, 1], dtype=int32))
    """
    idx = asarray_op(indices, "the indices of unravel_index")
    dt = get_aval(idx).dtype
    size = math.prod(shape)
    idx = lax.select(lax.lt(idx, lax.full_like(idx, 0)), lax.add(idx, lax.full_like(idx, size)),
                     idx)
    idx = lax.min(lax.max(idx, lax.full_like(idx, 0)), lax.full_like(idx, max(size - 1, 0)))
    out = []
    for d in reversed(tuple(shape)):
        out.append(lax.rem(idx, lax.full((), d, dt)))
        idx = lax.div(idx, lax.full((), d, dt))
    return tuple(reversed(out))


def ravel_multi_index(multi_index: Sequence[Any], dims: Sequence[int], mode: str = "raise",
                      order: str = "C") -> Any:
    """The flat indices of the multi-indices into an array of shape ``dims``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.ravel_multi_index((fnp.array([1, 0]), fnp.array([2, 1])), (2, 3))
        Array([5, 1], dtype=int32)
    """
    if order != "C":
        raise NotImplementedError("ravel_multi_index: only order='C' is supported")
    if len(multi_index) != len(dims):
        raise value_error(f"ravel_multi_index: {len(multi_index)} index arrays for "
                          f"{len(dims)} dimensions")
    idx = promote_dtypes(*multi_index)
    out = None
    for i, d in zip(idx, dims):
        if mode == "wrap":
            i = lax.rem(lax.add(lax.rem(i, d), d), d)
        elif mode == "clip":
            i = lax.min(lax.max(i, lax.full_like(i, 0)), lax.full_like(i, d - 1))
        elif mode == "raise":
            try:
                h = to_host(i)
                if h.size and (h.min() < 0 or h.max() >= d):
                    raise value_error("ravel_multi_index: invalid entry in coordinates array")
            except ConcretizationTypeError:
                pass
        out = i if out is None else lax.add(lax.mul(out, lax.full_like(out, d)), i)
    return out


def ix_(*args: Any) -> tuple:
    """Open meshes from 1-D index arrays: ``x[fnp.ix_(rows, cols)]`` picks a sub-grid.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> [i.shape for i in fnp.ix_(fnp.array([0, 1]), fnp.array([2, 0, 1]))]
        [(2, 1), (1, 3)]
    """
    n = len(args)
    out = []
    for k, a in enumerate(args):
        a = asarray_op(a, "an argument of ix_")
        if get_aval(a).ndim != 1:
            raise value_error(f"ix_: arguments must be 1-D, got shape {get_aval(a).shape}")
        if get_aval(a).dtype == dtypes.bool_:
            (a,) = nonzero(a)
        out.append(lax.reshape(a, tuple(-1 if j == k else 1 for j in range(n))))
    return tuple(out)
