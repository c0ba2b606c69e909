"""Products: ``matmul``, ``dot``, ``tensordot``, ``outer``, ``inner``, ``vdot`` — each one
``dot_general`` (batched where NumPy broadcasts), never a loop."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import lax
from ..core.primitive import ShapeError
from ..core.tracing import get_aval
from ._promote import promote_dtypes


def matmul(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None) -> Any:
    """Matrix product with NumPy's rules: 1-D operands are vectors, leading axes broadcast.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> (fnp.ones((4, 2, 3)) @ fnp.ones((3, 5))).shape
        (4, 2, 5)
    """
    a, b = promote_dtypes(a, b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if not sa or not sb:
        raise ValueError("matmul does not accept scalars; use multiply or `*`")
    va, vb = len(sa) == 1, len(sb) == 1
    if va:
        a = lax.reshape(a, (1, sa[0]))
    if vb:
        b = lax.reshape(b, (sb[0], 1))
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if sa[-1] != sb[-2]:
        raise ShapeError(
            f"matmul: the last axis of the first operand ({sa[-1]}, shape {sa}) must match the "
            f"second-to-last axis of the second ({sb[-2]}, shape {sb})"
        )
    if len(sb) == 2:
        out = lax.dot_general(a, b, (((len(sa) - 1,), (0,)), ((), ())), preferred_element_type)
    elif len(sa) == 2:
        # (n, k) @ (..., k, m): contract without copying the unbatched lhs, then reorder.
        out = lax.dot_general(a, b, (((1,), (len(sb) - 2,)), ((), ())), preferred_element_type)
        nd = len(sb)
        out = lax.transpose(out, (*range(1, nd - 1), 0, nd - 1))
    else:
        batch = np.broadcast_shapes(sa[:-2], sb[:-2])
        a = lax.broadcast_to(a, (*batch, *sa[-2:]))
        b = lax.broadcast_to(b, (*batch, *sb[-2:]))
        nb = len(batch)
        out = lax.dot_general(a, b, (((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb)))),
                              preferred_element_type)
    shape = get_aval(out).shape
    if va and vb:
        return lax.reshape(out, shape[:-2])
    if va:
        return lax.reshape(out, shape[:-2] + shape[-1:])
    if vb:
        return lax.reshape(out, shape[:-1])
    return out


def dot(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None) -> Any:
    """NumPy's ``dot``: products of scalars, vectors and matrices; for N-D, a sum over the
    last axis of ``a`` and the second-to-last of ``b``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.dot(fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0]))
        Array(11., dtype=float32)
    """
    a, b = promote_dtypes(a, b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if not sa or not sb:
        return lax.mul(a, b)
    if len(sb) == 1:
        return lax.dot_general(a, b, (((len(sa) - 1,), (0,)), ((), ())), preferred_element_type)
    return lax.dot_general(a, b, (((len(sa) - 1,), (len(sb) - 2,)), ((), ())),
                           preferred_element_type)


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """Sum products over ``axes`` (an int N: last N of ``a`` with first N of ``b``; or a
    pair of axis sequences)."""
    a, b = promote_dtypes(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        ca, cb = tuple(range(na - n, na)), tuple(range(n))
    else:
        ca, cb = axes
        ca = (ca,) if isinstance(ca, int) else tuple(ca)
        cb = (cb,) if isinstance(cb, int) else tuple(cb)
    return lax.dot_general(a, b, ((tuple(i % na for i in ca), tuple(i % nb for i in cb)),
                                  ((), ())))


def outer(a: Any, b: Any) -> Any:
    """Outer product of the flattened inputs."""
    a, b = promote_dtypes(a, b)
    a, b = lax.reshape(a, (-1, 1)), lax.reshape(b, (1, -1))
    return lax.mul(a, b)


def inner(a: Any, b: Any) -> Any:
    """Sum of products over the last axes."""
    a, b = promote_dtypes(a, b)
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if not na or not nb:
        return lax.mul(a, b)
    return lax.dot_general(a, b, (((na - 1,), (nb - 1,)), ((), ())))


def vdot(a: Any, b: Any) -> Any:
    """Dot product of the flattened inputs."""
    a, b = promote_dtypes(a, b)
    return lax.dot_general(lax.reshape(a, (-1,)), lax.reshape(b, (-1,)), (((0,), (0,)), ((), ())))


def vecdot(a: Any, b: Any, axis: int = -1) -> Any:
    """Dot product over ``axis`` with broadcasting of the other axes."""
    a, b = promote_dtypes(a, b)
    from .reductions import sum

    return sum(lax.mul(a, b), axis=axis)


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Sum along a diagonal."""
    from .reductions import sum

    return sum(diagonal(a, offset, axis1, axis2), axis=-1)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The ``offset`` diagonal over ``axis1`` and ``axis2``, as the last axis."""
    from .shapes import moveaxis

    (a,) = promote_dtypes(a)
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = get_aval(a).shape[-2:]
    rows = np.arange(max(0, -offset), min(n, m - offset)).astype(np.int32)
    cols = rows + offset
    from .indexing import getitem

    return getitem(a, (..., rows, cols)) if len(rows) else lax.slice_in_dim(
        lax.reshape(a, (*get_aval(a).shape[:-2], n * m)), 0, 0, axis=-1)


def diag(v: Any, k: int = 0) -> Any:
    """The diagonal of a matrix, or a matrix with ``v`` on its diagonal."""
    (v,) = promote_dtypes(v)
    shape = get_aval(v).shape
    if len(shape) == 2:
        return diagonal(v, k)
    if len(shape) != 1:
        raise ValueError(f"diag takes a 1-D or 2-D array, got shape {shape}")
    n = shape[0] + abs(k)
    from .creation import zeros

    out = zeros((n, n), get_aval(v).dtype)
    rows = np.arange(shape[0]).astype(np.int32) + max(0, -k)
    return out.at[rows, rows + k].set(v)


def kron(a: Any, b: Any) -> Any:
    """Kronecker product of two 2-D (or 1-D) arrays."""
    a, b = promote_dtypes(a, b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if len(sa) != len(sb):
        raise ValueError("kron needs operands of one rank")
    big = lax.mul(lax.reshape(a, tuple(x for s in sa for x in (s, 1))),
                  lax.reshape(b, tuple(x for s in sb for x in (1, s))))
    return lax.reshape(big, tuple(x * y for x, y in zip(sa, sb)))
