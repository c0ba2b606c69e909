"""Sorting and set operations in ``funcdiff.numpy``: ``sort``, ``argsort``, ``lexsort``,
``searchsorted``, ``unique`` (and the array API's ``unique_*``), ``isin``, ``union1d``,
``intersect1d``, ``setdiff1d``, ``setxor1d``.

The set operations have a value-dependent output size: on concrete arrays it is found
from the data; under ``jit`` (or to batch them) pass a static ``size=`` (with an optional
``fill_value=``), as in JAX.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .. import lax
from ..core import dtypes
from ..core.source import at_user_line
from ..core.tracing import ConcretizationTypeError, get_aval, to_host
from ._promote import asarray_op, axis1, promote_dtypes, value_error


def _prep_axis(name: str, a: Any, axis: Any) -> tuple[Any, int]:
    a = asarray_op(a, f"an argument of {name}")
    if axis is None:
        return lax.reshape(a, (-1,)), 0
    shape = get_aval(a).shape
    if not shape:
        raise value_error(f"{name}: cannot sort a 0-d array; use axis=None or a 1-D array")
    return a, axis1(name, axis, len(shape), shape)


def sort(a: Any, axis: int | None = -1, *, kind: Any = None, order: Any = None,
         stable: bool = True, descending: bool = False) -> Any:
    """A sorted copy (stable; NaNs last); ``axis=None`` sorts the flattened array.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.sort(fnp.array([3, 1, 2]))
        Array([1, 2, 3], dtype=int32)
        >>> fnp.sort(fnp.array([3, 1, 2]), descending=True)
        Array([3, 2, 1], dtype=int32)
    """
    if order is not None:
        raise NotImplementedError("sort: `order` (structured arrays) is not supported")
    a, ax = _prep_axis("sort", a, axis)
    out = lax.sort(a, ax)
    return lax.rev(out, (ax,)) if descending else out


def argsort(a: Any, axis: int | None = -1, *, kind: Any = None, order: Any = None,
            stable: bool = True, descending: bool = False) -> Any:
    """Indices that sort ``a`` along ``axis`` (stable, also when ``descending``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.argsort(fnp.array([3.0, 1.0, 2.0]))
        Array([1, 2, 0], dtype=int32)
    """
    if order is not None:
        raise NotImplementedError("argsort: `order` (structured arrays) is not supported")
    a, ax = _prep_axis("argsort", a, axis)
    if not descending:
        return lax.argsort(a, ax)
    # Stable descending order: argsort the reversed array, then map indices back and reverse
    # (equal items keep their original order).
    n = get_aval(a).shape[ax]
    idx = lax.argsort(lax.rev(a, (ax,)), ax)
    return lax.rev(lax.sub(lax.full(get_aval(idx).shape, n - 1, get_aval(idx).dtype), idx),
                   (ax,))


def lexsort(keys: Any, axis: int = -1) -> Any:
    """Indices that sort by several keys: the last key is the primary one (as NumPy's).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.lexsort((fnp.array([1, 0, 2]), fnp.array([0, 0, 1])))
        Array([1, 0, 2], dtype=int32)
    """
    from .indexing import take_along_axis

    keys = [asarray_op(k, "a key of lexsort") for k in keys]
    if not keys:
        raise value_error("lexsort needs at least one key")
    shapes = {get_aval(k).shape for k in keys}
    if len(shapes) != 1:
        raise value_error(f"lexsort: all keys need one shape, got {sorted(shapes)}")
    shape = shapes.pop()
    ax = axis1("lexsort", axis, len(shape), shape)
    idx = lax.broadcasted_iota(dtypes.default_int(), shape, ax)
    # Stable sorts from the least to the most significant key.
    for k in keys:
        order = lax.argsort(take_along_axis(k, idx, ax, mode="clip"), ax)
        idx = take_along_axis(idx, order, ax, mode="clip")
    return idx


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None, *,
                 method: str = "scan") -> Any:
    """Insertion indices of ``v`` into the sorted 1-D ``a`` (a vectorized binary search).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.searchsorted(fnp.array([1, 2, 3]), fnp.array([2, 5]))
        Array([1, 3], dtype=int32)
        >>> fnp.searchsorted(fnp.array([1, 2, 3]), 2, side="right")
        Array(2, dtype=int32)
    """
    if side not in ("left", "right"):
        raise value_error(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    a, v = promote_dtypes(a, v, op="searchsorted")
    if get_aval(a).ndim != 1:
        raise value_error(f"searchsorted: a must be 1-D, got shape {get_aval(a).shape}")
    if sorter is not None:
        a = lax.index_take(a, [asarray_op(sorter)], (0,))
    n = get_aval(a).shape[0]
    it = dtypes.int32  # JAX's searchsorted returns int32 even with x64
    lo = lax.full(get_aval(v).shape, 0, it)
    if n == 0:
        return lo
    hi = lax.full(get_aval(v).shape, n, it)
    go_right = _nan_last_lt if side == "left" else _nan_last_le
    for _ in range(n.bit_length()):
        active = lax.lt(lo, hi)
        mid = lax.div(lax.add(lo, hi), lax.full_like(lo, 2))
        right = lax.bitwise_and(active, go_right(lax.index_take(a, [mid], (0,)), v))
        lo = lax.select(right, lax.add(mid, lax.full_like(mid, 1)), lo)
        hi = lax.select(lax.bitwise_and(active, lax.bitwise_not(right)), mid, hi)
    return lo


def _nan_last_lt(x: Any, y: Any) -> Any:
    # The order sort uses: NaN after every number.
    from .ufuncs import isnan

    if not dtypes.is_inexact(get_aval(x).dtype):
        return lax.lt(x, y)
    return lax.bitwise_or(lax.lt(x, y), lax.bitwise_and(lax.bitwise_not(isnan(x)), isnan(y)))


def _nan_last_le(x: Any, y: Any) -> Any:
    from .ufuncs import isnan

    if not dtypes.is_inexact(get_aval(x).dtype):
        return lax.le(x, y)
    return lax.bitwise_or(lax.le(x, y), isnan(y))


# --- unique and the set operations -------------------------------------------------------------


def _static_size(name: str, count: Any) -> int:
    try:
        return int(to_host(count))
    except ConcretizationTypeError:
        raise ConcretizationTypeError(
            f"{name}: the number of results depends on the values, which are not known while "
            f"tracing{at_user_line()}; pass a static `size=` (and optionally `fill_value=`)"
        ) from None


def _unique_sorted(flat: Any, valid: Any, equal_nan: bool) -> tuple[Any, Any, Any]:
    """Sort the valid elements of ``flat`` first (stably); mark each group's first one."""
    from .ufuncs import isnan

    n = get_aval(flat).shape[0]
    perm = lax.argsort(flat, 0)
    if valid is not None:
        bad_sorted = lax.bitwise_not(lax.index_take(valid, [perm], (0,)))
        perm = lax.index_take(perm, [lax.argsort(bad_sorted, 0)], (0,))
    s = lax.index_take(flat, [perm], (0,))
    if n == 0:
        return s, perm, lax.full((0,), True, dtypes.bool_)
    head, tail = lax.slice_in_dim(s, 1, n), lax.slice_in_dim(s, 0, n - 1)
    differs = lax.ne(head, tail)
    if equal_nan and dtypes.is_inexact(get_aval(s).dtype):
        differs = lax.bitwise_and(differs, lax.bitwise_not(
            lax.bitwise_and(isnan(head), isnan(tail))))
    first = lax.concatenate([lax.full((1,), True, dtypes.bool_), differs], 0)
    if valid is not None:
        first = lax.bitwise_and(first, lax.index_take(valid, [perm], (0,)))
    return s, perm, first


def _unique_impl(name: str, flat: Any, valid: Any, size: int | None, fill_value: Any,
                 equal_nan: bool = True) -> tuple[Any, Any, Any, Any, Any]:
    """Values, first indices, group positions (in sorted order), counts and the sort."""
    from .manipulation import nonzero

    n = get_aval(flat).shape[0]
    s, perm, first = _unique_sorted(flat, valid, equal_nan)
    if size is None:
        size = _static_size(name, lax.reduce_sum(lax.convert_element_type(first, "int32"),
                                                 (0,)))
    it = dtypes.default_int()
    (pos,) = nonzero(first, size=size, fill_value=n)
    ok = lax.lt(pos, lax.full((), n, get_aval(pos).dtype))
    safe = lax.min(pos, lax.full((), max(n - 1, 0), get_aval(pos).dtype))
    if n == 0:
        vals = lax.full((size,), 0 if fill_value is None else fill_value, get_aval(flat).dtype)
        return vals, lax.full((size,), 0, it), pos, lax.full((size,), 0, it), perm
    vals = lax.index_take(s, [safe], (0,))
    fill = lax.index_take(s, [lax.full((), 0, "int32")], (0,)) if fill_value is None else (
        lax.convert_element_type(asarray_op(fill_value), get_aval(s).dtype))
    vals = lax.select(ok, vals, lax.broadcast_to(fill, (size,)))
    index = lax.index_take(perm, [safe], (0,))
    # Missing entries repeat the index of the first value (JAX's choice).
    index = lax.select(ok, index, lax.broadcast_to(lax.slice_in_dim(index, 0, 1), (size,)))
    # Counts: each sorted element adds one to its group; groups past `size` are dropped.
    group = lax.sub(lax.cumsum(lax.convert_element_type(first, it), 0), lax.full((n,), 1, it))
    if valid is not None:
        kept = lax.index_take(valid, [perm], (0,))
        group = lax.select(kept, group, lax.full((n,), size, it))
    counts = lax.index_update(lax.full((size,), 0, it), [group], lax.full((n,), 1, it), (0,),
                              "add")
    return vals, index, first, counts, perm


class _UniqueAll(NamedTuple):
    values: Any
    indices: Any
    inverse_indices: Any
    counts: Any


class _UniqueCounts(NamedTuple):
    values: Any
    counts: Any


class _UniqueInverse(NamedTuple):
    values: Any
    inverse_indices: Any


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None, *, equal_nan: bool = True,
           size: int | None = None, fill_value: Any = None, sorted: bool = True) -> Any:
    """Sorted unique values of the flattened ``ar`` (and optionally the index of each
    value's first occurrence, the inverse mapping and the counts).

    Needs concrete input unless a static ``size`` is given; then missing entries are
    ``fill_value`` (the smallest value by default) with count 0.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.unique(fnp.array([3, 1, 3, 2]))
        Array([1, 2, 3], dtype=int32)
        >>> fnp.unique(fnp.array([3, 1, 3]), return_counts=True)
        (Array([1, 3], dtype=int32), Array([1, 2], dtype=int32))
    """
    if axis is not None:
        raise NotImplementedError("unique: only axis=None (the flattened array) is supported")
    a = asarray_op(ar, "an argument of unique")
    shape = get_aval(a).shape
    flat = lax.reshape(a, (-1,))
    vals, index, first, counts, perm = _unique_impl("unique", flat, None, size, fill_value,
                                                    equal_nan)
    out = [vals]
    if return_index:
        out.append(index)
    if return_inverse:
        it = dtypes.default_int()
        group = lax.sub(lax.cumsum(lax.convert_element_type(first, it), 0),
                        lax.full(get_aval(first).shape, 1, it))
        inverse = lax.index_update(lax.full((math.prod(shape),), 0, it), [perm],
                                   group, (0,), "set")
        out.append(lax.reshape(inverse, shape) if len(shape) != 1 else inverse)
    if return_counts:
        out.append(counts)
    return out[0] if len(out) == 1 else tuple(out)


def unique_values(x: Any, /, *, size: int | None = None, fill_value: Any = None) -> Any:
    """The sorted unique values (the array API's spelling).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.unique_values(fnp.array([2, 1, 2]))
        Array([1, 2], dtype=int32)
    """
    return unique(x, size=size, fill_value=fill_value)


def unique_counts(x: Any, /, *, size: int | None = None, fill_value: Any = None) -> Any:
    """``(values, counts)`` of the unique values, as a named tuple.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.unique_counts(fnp.array([2, 1, 2])).counts
        Array([1, 2], dtype=int32)
    """
    return _UniqueCounts(*unique(x, return_counts=True, size=size, fill_value=fill_value))


def unique_inverse(x: Any, /, *, size: int | None = None, fill_value: Any = None) -> Any:
    """``(values, inverse_indices)``: ``values[inverse_indices]`` rebuilds ``x``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.unique_inverse(fnp.array([2, 1, 2])).inverse_indices
        Array([1, 0, 1], dtype=int32)
    """
    return _UniqueInverse(*unique(x, return_inverse=True, size=size, fill_value=fill_value))


def unique_all(x: Any, /, *, size: int | None = None, fill_value: Any = None) -> Any:
    """``(values, indices, inverse_indices, counts)`` as a named tuple.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.unique_all(fnp.array([2, 1, 2])).indices
        Array([1, 0], dtype=int32)
    """
    return _UniqueAll(*unique(x, return_index=True, return_inverse=True, return_counts=True,
                              size=size, fill_value=fill_value))


def isin(element: Any, test_elements: Any, assume_unique: bool = False, invert: bool = False,
         *, method: str = "auto") -> Any:
    """Elementwise: whether each element of ``element`` occurs in ``test_elements``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.isin(fnp.array([1, 2, 3]), fnp.array([3, 1]))
        Array([ True, False,  True], dtype=bool)
    """
    e, t = promote_dtypes(element, test_elements, op="isin")
    t = lax.reshape(t, (-1,))
    eshape = get_aval(e).shape
    hit = lax.eq(lax.reshape(e, (*eshape, 1)), lax.reshape(t, (1,) * len(eshape) + (-1,)))
    found = lax.reduce_or(hit, (len(eshape),))
    return lax.bitwise_not(found) if invert else found


def _flat(name: str, x: Any) -> Any:
    return lax.reshape(asarray_op(x, f"an argument of {name}"), (-1,))


def union1d(ar1: Any, ar2: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """Sorted unique values found in either array.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.union1d(fnp.array([3, 1]), fnp.array([2, 1]))
        Array([1, 2, 3], dtype=int32)
    """
    a, b = promote_dtypes(_flat("union1d", ar1), _flat("union1d", ar2), op="union1d")
    return _unique_impl("union1d", lax.concatenate([a, b], 0), None, size, fill_value)[0]


def intersect1d(ar1: Any, ar2: Any, assume_unique: bool = False, return_indices: bool = False,
                *, size: int | None = None, fill_value: Any = None) -> Any:
    """Sorted unique values found in both arrays.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.intersect1d(fnp.array([3, 1, 2]), fnp.array([2, 3, 5]))
        Array([2, 3], dtype=int32)
    """
    if return_indices:
        raise NotImplementedError("intersect1d: return_indices is not supported")
    a, b = promote_dtypes(_flat("intersect1d", ar1), _flat("intersect1d", ar2),
                          op="intersect1d")
    return _unique_impl("intersect1d", a, isin(a, b), size, fill_value)[0]


def setdiff1d(ar1: Any, ar2: Any, assume_unique: bool = False, *, size: int | None = None,
              fill_value: Any = None) -> Any:
    """Sorted unique values of ``ar1`` that are not in ``ar2``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.setdiff1d(fnp.array([3, 1, 2]), fnp.array([2]))
        Array([1, 3], dtype=int32)
    """
    a, b = promote_dtypes(_flat("setdiff1d", ar1), _flat("setdiff1d", ar2), op="setdiff1d")
    fill = 0 if fill_value is None else fill_value  # JAX fills set differences with zeros
    return _unique_impl("setdiff1d", a, isin(a, b, invert=True), size, fill)[0]


def setxor1d(ar1: Any, ar2: Any, assume_unique: bool = False, *, size: int | None = None,
             fill_value: Any = None) -> Any:
    """Sorted unique values found in exactly one of the arrays.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.setxor1d(fnp.array([3, 1, 2]), fnp.array([2, 5]))
        Array([1, 3, 5], dtype=int32)
    """
    a, b = promote_dtypes(_flat("setxor1d", ar1), _flat("setxor1d", ar2), op="setxor1d")
    c = lax.concatenate([a, b], 0)
    only = lax.bitwise_xor(isin(c, a), isin(c, b))
    return _unique_impl("setxor1d", c, only, size, fill_value)[0]


def partition(a: Any, kth: int, axis: int = -1) -> Any:
    """``a`` rearranged so the ``kth`` element is in its sorted place, smaller ones before
    and larger ones after (here: fully sorted, which satisfies that).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.partition(fnp.array([3, 1, 2]), 1)[1]
        Array(2, dtype=int32)
    """
    a, ax = _prep_axis("partition", a, axis)
    n = get_aval(a).shape[ax]
    if not -n <= int(kth) < n:
        raise value_error(f"partition: kth={kth} is out of bounds for an axis of size {n}")
    return lax.sort(a, ax)

