"""Products: ``matmul``, ``dot``, ``tensordot``, ``outer``, ``inner``, ``vdot`` — each one
``dot_general`` (batched where NumPy broadcasts), never a loop."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import lax
from ..core.convert import array_from_host
from ..core.tracing import get_aval
from ._promote import asarray_op, axis1, promote_dtypes, promote_inexact, shape_error, value_error


def matmul(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None) -> Any:
    """Matrix product with NumPy's rules: 1-D operands are vectors, leading axes broadcast.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> (fnp.ones((4, 2, 3)) @ fnp.ones((3, 5))).shape
        (4, 2, 5)
    """
    a, b = promote_dtypes(a, b, op="matmul")
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if not sa or not sb:
        raise value_error(f"matmul: operands must have at least one dimension, got shapes {sa} "
                          f"and {sb}; for scalars use multiply or `*`")
    va, vb = len(sa) == 1, len(sb) == 1
    if vb and sa[-1] == sb[0]:
        # (..., k) @ (k,): one contraction, no reshapes (as JAX records it).
        return lax.dot_general(a, b, (((len(sa) - 1,), (0,)), ((), ())), preferred_element_type)
    if va and len(sb) == 2 and sa[0] == sb[0]:
        return lax.dot_general(a, b, (((0,), (0,)), ((), ())), preferred_element_type)
    if sa[-1] != (sb[0] if vb else sb[-2]):  # name the shapes the user gave, not reshaped ones
        raise shape_error(
            f"matmul: the last axis of the first operand ({sa[-1]}, shape {sa}) must match the "
            f"{'only' if vb else 'second-to-last'} axis of the second "
            f"({sb[0] if vb else sb[-2]}, shape {sb})"
        )
    if va:
        a = lax.reshape(a, (1, sa[0]))
    if vb:
        b = lax.reshape(b, (sb[0], 1))
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if len(sb) == 2:
        out = lax.dot_general(a, b, (((len(sa) - 1,), (0,)), ((), ())), preferred_element_type)
    elif len(sa) == 2:
        # (n, k) @ (..., k, m): contract without copying the unbatched lhs, then reorder.
        out = lax.dot_general(a, b, (((1,), (len(sb) - 2,)), ((), ())), preferred_element_type)
        nd = len(sb)
        out = lax.transpose(out, (*range(1, nd - 1), 0, nd - 1))
    else:
        try:
            batch = np.broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            raise shape_error(f"matmul: the batch axes of shapes {sa} and {sb} do not "
                              "broadcast") from None
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
    a, b = promote_dtypes(a, b, op="dot")
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if not sa or not sb:
        return lax.mul(a, b)
    if sa[-1] != sb[max(len(sb) - 2, 0)]:
        raise shape_error(f"dot: shapes {sa} and {sb} are not aligned: axis {len(sa) - 1} of "
                          f"the first ({sa[-1]}) differs from axis {max(len(sb) - 2, 0)} of the "
                          f"second ({sb[max(len(sb) - 2, 0)]})")
    if len(sb) == 1:
        return lax.dot_general(a, b, (((len(sa) - 1,), (0,)), ((), ())), preferred_element_type)
    return lax.dot_general(a, b, (((len(sa) - 1,), (len(sb) - 2,)), ((), ())),
                           preferred_element_type)


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """Sum products over ``axes`` (an int N: last N of ``a`` with first N of ``b``; or a
    pair of axis sequences)."""
    a, b = promote_dtypes(a, b, op="tensordot")
    sa, sb = get_aval(a).shape, get_aval(b).shape
    na, nb = len(sa), len(sb)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if not 0 <= n <= min(na, nb):
            raise value_error(f"tensordot: axes={n} needs 0 <= axes <= min(ranks) for shapes "
                              f"{sa} and {sb}")
        ca, cb = tuple(range(na - n, na)), tuple(range(n))
    else:
        ca, cb = axes
        ca = (ca,) if isinstance(ca, (int, np.integer)) else tuple(ca)
        cb = (cb,) if isinstance(cb, (int, np.integer)) else tuple(cb)
    ca = tuple(axis1("tensordot", i, na, sa) for i in ca)
    cb = tuple(axis1("tensordot", i, nb, sb) for i in cb)
    if len(ca) != len(cb) or any(sa[i] != sb[j] for i, j in zip(ca, cb)):
        raise shape_error(f"tensordot: contracted axes {ca} of shape {sa} and {cb} of shape "
                          f"{sb} do not match in number or size")
    if not ca:
        return lax.mul(lax.reshape(a, sa + (1,) * nb), lax.reshape(b, (1,) * na + sb))
    return lax.dot_general(a, b, ((ca, cb), ((), ())))


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


def matvec(x1: Any, x2: Any, /) -> Any:
    """Batched matrix-vector products: ``x1 @ x2`` over the last axes, with broadcasting.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.matvec(fnp.eye(2), fnp.array([1.0, 2.0]))
        Array([1., 2.], dtype=float32)
    """
    x2 = asarray_op(x2)
    out = matmul(x1, lax.reshape(x2, (*get_aval(x2).shape, 1)))
    return lax.reshape(out, get_aval(out).shape[:-1])


def vecmat(x1: Any, x2: Any, /) -> Any:
    """Batched vector-matrix products: ``x1 @ x2`` over the last axes, with broadcasting.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.vecmat(fnp.array([1.0, 2.0]), fnp.eye(2))
        Array([1., 2.], dtype=float32)
    """
    x1 = asarray_op(x1)
    out = matmul(lax.reshape(x1, (*get_aval(x1).shape[:-1], 1, get_aval(x1).shape[-1])), x2)
    return lax.reshape(out, get_aval(out).shape[:-2] + get_aval(out).shape[-1:])


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Any:
    """Cross product of 2- or 3-element vectors along the given axes.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.cross(fnp.array([1.0, 0.0, 0.0]), fnp.array([0.0, 1.0, 0.0]))
        Array([0., 0., 1.], dtype=float32)
    """
    from .shapes import broadcast_arrays, moveaxis, stack

    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = promote_dtypes(a, b, op="cross")
    a = moveaxis(a, axis1("cross", axisa, get_aval(a).ndim), -1)
    b = moveaxis(b, axis1("cross", axisb, get_aval(b).ndim), -1)
    na, nb = get_aval(a).shape[-1], get_aval(b).shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise value_error(f"cross: vectors must have 2 or 3 components, got {na} and {nb}")

    def comp(x: Any, i: int, n: int) -> Any:
        if i >= n:
            return lax.full(get_aval(x).shape[:-1], 0, get_aval(x).dtype)
        return lax.reshape(lax.slice_in_dim(x, i, i + 1, axis=-1), get_aval(x).shape[:-1])

    a0, a1, a2 = (comp(a, i, na) for i in range(3))
    b0, b1, b2 = (comp(b, i, nb) for i in range(3))
    a0, a1, a2, b0, b1, b2 = broadcast_arrays(a0, a1, a2, b0, b1, b2)
    z = lax.sub(lax.mul(a0, b1), lax.mul(a1, b0))
    if na == 2 and nb == 2:
        return z
    out = stack([lax.sub(lax.mul(a1, b2), lax.mul(a2, b1)),
                 lax.sub(lax.mul(a2, b0), lax.mul(a0, b2)), z], axis=-1)
    return moveaxis(out, -1, axis1("cross", axisc, get_aval(out).ndim))


def _conv_full(a: Any, v: Any) -> Any:
    """Full 1-D convolution of ``a`` (length n) and ``v`` (length m): sliding windows of the
    zero-padded ``a`` (one gather) times the reversed ``v``."""
    n, m = get_aval(a).shape[0], get_aval(v).shape[0]
    padded = lax.pad(a, lax.full((), 0, get_aval(a).dtype), [(m - 1, m - 1, 0)])
    windows = (np.arange(n + m - 1)[:, None] + np.arange(m)[None, :]).astype(np.int32)
    w = lax.index_take(padded, [windows], (0,))
    return lax.dot_general(w, lax.rev(v, (0,)), (((1,), (0,)), ((), ())))


def _conv(name: str, a: Any, v: Any, mode: str, flip: bool) -> Any:
    a, v = promote_inexact(a, v, op=name)
    if get_aval(a).ndim != 1 or get_aval(v).ndim != 1:
        raise value_error(f"{name}: needs 1-D inputs, got shapes {get_aval(a).shape} and "
                          f"{get_aval(v).shape}")
    n, m = get_aval(a).shape[0], get_aval(v).shape[0]
    if n == 0 or m == 0:
        raise value_error(f"{name}: inputs cannot be empty")
    if flip:
        v = lax.rev(v, (0,))
    full = _conv_full(a, v) if n >= m else _conv_full(v, a)
    big, small = max(n, m), min(n, m)
    if mode == "full":
        return full
    if mode == "same":
        # NumPy's correlate swaps its inputs when the second is longer and reverses the
        # result, which shifts the centred window to the other side.
        start = (small - 1) // 2
        if flip and m > n:
            start = small - 1 - start
        return lax.slice_in_dim(full, start, start + big)
    if mode == "valid":
        return lax.slice_in_dim(full, small - 1, big)
    raise value_error(f"{name}: mode must be 'full', 'same' or 'valid', got {mode!r}")


def convolve(a: Any, v: Any, mode: str = "full", *, precision: Any = None,
             preferred_element_type: Any = None) -> Any:
    """Discrete linear convolution of two 1-D arrays (``mode`` full, same or valid).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.convolve(fnp.array([1.0, 2.0, 3.0]), fnp.array([0.0, 1.0, 0.5]))
        Array([0. , 1. , 2.5, 4. , 1.5], dtype=float32)
    """
    return _conv("convolve", a, v, mode, flip=False)


def correlate(a: Any, v: Any, mode: str = "valid", *, precision: Any = None,
              preferred_element_type: Any = None) -> Any:
    """Cross-correlation of two 1-D arrays (``mode`` valid, same or full).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.correlate(fnp.array([1.0, 2.0, 3.0]), fnp.array([0.0, 1.0, 0.5]))
        Array([3.5], dtype=float32)
    """
    return _conv("correlate", a, v, mode, flip=True)


def polyval(p: Any, x: Any, *, unroll: int = 16) -> Any:
    """The polynomial with coefficients ``p`` (highest degree first) at ``x`` (Horner).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.polyval(fnp.array([1.0, 0.0, -1.0]), fnp.array([2.0, 3.0]))
        Array([3., 8.], dtype=float32)
    """
    p, x = promote_dtypes(p, x, op="polyval")
    if get_aval(p).ndim != 1:
        raise value_error(f"polyval: p must be 1-D, got shape {get_aval(p).shape}")
    out = lax.full(get_aval(x).shape, 0, get_aval(x).dtype)
    for i in range(get_aval(p).shape[0]):
        c = lax.reshape(lax.slice_in_dim(p, i, i + 1), ())
        out = lax.add(lax.mul(out, x), c)
    return out


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> Any:
    """Piecewise-linear interpolation of the points ``(xp, fp)`` (``xp`` increasing) at ``x``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.interp(fnp.array([0.5, 1.5, 5.0]), fnp.array([0.0, 1.0, 2.0]),
        ...            fnp.array([0.0, 10.0, 20.0]))
        Array([ 5., 15., 20.], dtype=float32)
    """
    from .sorting import searchsorted

    x, xp, fp = promote_inexact(x, xp, fp, op="interp")
    if get_aval(xp).ndim != 1 or get_aval(xp).shape != get_aval(fp).shape:
        raise value_error(f"interp: xp and fp must be 1-D of one length, got shapes "
                          f"{get_aval(xp).shape} and {get_aval(fp).shape}")
    n = get_aval(xp).shape[0]
    if n == 0:
        raise value_error("interp: xp and fp cannot be empty")
    if period is not None:
        x = lax.rem(lax.add(lax.rem(x, period), period), period)
        xp = lax.rem(lax.add(lax.rem(xp, period), period), period)
        order = lax.argsort(xp, 0)
        xp, fp = lax.index_take(xp, [order], (0,)), lax.index_take(fp, [order], (0,))
        xp = lax.concatenate([lax.sub(lax.slice_in_dim(xp, n - 1, n), period), xp,
                              lax.add(lax.slice_in_dim(xp, 0, 1), period)], 0)
        fp = lax.concatenate([lax.slice_in_dim(fp, n - 1, n), fp, lax.slice_in_dim(fp, 0, 1)], 0)
        n += 2
    i = lax.min(lax.max(searchsorted(xp, x, side="right"), lax.full((), 1, "int32")),
                lax.full((), max(n - 1, 1), "int32"))
    x0 = lax.index_take(xp, [lax.sub(i, lax.full_like(i, 1))], (0,))
    x1 = lax.index_take(xp, [i], (0,))
    f0 = lax.index_take(fp, [lax.sub(i, lax.full_like(i, 1))], (0,))
    f1 = lax.index_take(fp, [i], (0,))
    dx = lax.sub(x1, x0)
    safe = lax.select(lax.eq(dx, lax.full_like(dx, 0)), lax.full_like(dx, 1), dx)
    t = lax.div(lax.sub(x, x0), safe)
    out = lax.add(f0, lax.mul(t, lax.sub(f1, f0)))
    out = lax.select(lax.eq(dx, lax.full_like(dx, 0)), f1, out) if n > 1 else lax.broadcast_to(
        lax.reshape(fp, ()), get_aval(x).shape)
    if period is None:
        lo = lax.reshape(lax.slice_in_dim(fp, 0, 1), ()) if left is None else left
        hi = lax.reshape(lax.slice_in_dim(fp, n - 1, n), ()) if right is None else right
        lo, hi = (lax.convert_element_type(asarray_op(v), get_aval(out).dtype) for v in (lo, hi))
        out = lax.select(lax.lt(x, lax.reshape(lax.slice_in_dim(xp, 0, 1), ())),
                         lax.broadcast_to(lo, get_aval(out).shape), out)
        out = lax.select(lax.gt(x, lax.reshape(lax.slice_in_dim(xp, n - 1, n), ())),
                         lax.broadcast_to(hi, get_aval(out).shape), out)
    return out


def diagflat(v: Any, k: int = 0) -> Any:
    """A 2-D array with the flattened ``v`` on its ``k``-th diagonal.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.diagflat(fnp.array([1, 2]))
        Array([[1, 0],
               [0, 2]], dtype=int32)
    """
    return diag(lax.reshape(asarray_op(v), (-1,)), k)


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:
    """The Vandermonde matrix: columns are powers of ``x`` (decreasing by default).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.vander(fnp.array([1, 2, 3]), 3)
        Array([[1, 1, 1],
               [4, 2, 1],
               [9, 3, 1]], dtype=int32)
    """
    from .ufuncs import power

    x = asarray_op(x)
    if get_aval(x).ndim != 1:
        raise ValueError(f"vander: x must be 1-D, got shape {get_aval(x).shape}")
    n = get_aval(x).shape[0] if N is None else operator.index(N)
    exps = np.arange(n)[::1 if increasing else -1].astype(np.int32)
    return power(lax.reshape(x, (-1, 1)), array_from_host(exps))
