"""Sorting in ``funcdiff.numpy``: ``sort``, ``argsort``, ``unique`` (concrete)…"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import lax
from ..core.tracing import get_aval, to_host
from ._promote import asarray_op


def sort(a: Any, axis: int | None = -1, *, stable: bool = True, descending: bool = False) -> Any:
    """A sorted copy (stable; NaNs last); ``axis=None`` sorts the flattened array.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.sort(fnp.array([3, 1, 2]))
        Array([1, 2, 3], dtype=int32)
    """
    a = asarray_op(a)
    if axis is None:
        a, axis = lax.reshape(a, (-1,)), 0
    out = lax.sort(a, axis)
    return lax.rev(out, (axis,)) if descending else out


def argsort(a: Any, axis: int | None = -1, *, stable: bool = True,
            descending: bool = False) -> Any:
    """Indices that sort ``a`` along ``axis`` (stable).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.argsort(fnp.array([3.0, 1.0, 2.0]))
        Array([1, 2, 0], dtype=int32)
    """
    a = asarray_op(a)
    if axis is None:
        a, axis = lax.reshape(a, (-1,)), 0
    if descending:
        # Stable descending order: sort the negated ranks (keeps equal items in order).
        ax = axis % get_aval(a).ndim
        n = get_aval(a).shape[ax]
        flipped = lax.rev(a, (ax,))
        idx = lax.argsort(flipped, ax)
        return lax.rev(lax.sub(lax.full(get_aval(idx).shape, n - 1, get_aval(idx).dtype), idx),
                       (ax,))
    return lax.argsort(a, axis)


def unique(a: Any, return_counts: bool = False, *, size: int | None = None,
           fill_value: Any = None) -> Any:
    """Sorted unique values; needs concrete input unless a static ``size`` is given."""
    if size is None:
        host = to_host(asarray_op(a))
        vals, counts = np.unique(host, return_counts=True)
        out = asarray_op(vals)
        return (out, asarray_op(counts.astype(np.int32))) if return_counts else out
    a = lax.reshape(asarray_op(a), (-1,))
    s = lax.sort(a, 0)
    n = get_aval(s).shape[0]
    first = lax.concatenate([lax.full((1,), True, "bool"),
                             lax.ne(lax.slice_in_dim(s, 1, n), lax.slice_in_dim(s, 0, n - 1))], 0)
    from .indexing import nonzero

    (pos,) = nonzero(first, size=size, fill_value=n)
    fill = s if fill_value is None else None
    vals = lax.index_take(s, [lax.min(pos, lax.full_like(pos, n - 1))], (0,))
    if fill is None:
        vals = lax.select(lax.lt(pos, lax.full_like(pos, n)), vals,
                          lax.full_like(vals, fill_value))
    if not return_counts:
        return vals
    nxt = lax.concatenate([lax.slice_in_dim(pos, 1, size), lax.full((1,), n, get_aval(pos).dtype)],
                          0)
    counts = lax.sub(lax.min(nxt, lax.full_like(nxt, n)), lax.min(pos, lax.full_like(pos, n)))
    return vals, lax.max(counts, lax.full_like(counts, 0))


def searchsorted(a: Any, v: Any, side: str = "left") -> Any:
    """Insertion indices of ``v`` into the sorted 1-D ``a`` (a comparison count)."""
    from .reductions import sum
    from .ufuncs import less, less_equal

    a, v = asarray_op(a), asarray_op(v)
    va = lax.reshape(v, (*get_aval(v).shape, 1))
    cmp = less(a, va) if side == "left" else less_equal(a, va)
    return sum(cmp, axis=-1)
