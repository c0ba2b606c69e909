"""Linear-algebra primitives, as ``jax.lax.linalg``: ``cholesky``, ``triangular_solve``,
``solve`` and ``slogdet`` here, and the decompositions ``eigh``, ``svd`` and ``qr`` (declared
in :mod:`funcdiff.lax.decompositions`, re-exported here).

Each primitive works on the last two axes and is batched over the leading ones by
``xp.linalg`` itself, so its batching rule only moves the batch axis to the front. Each has
its shape rule, a closed-form JVP written in lax operations (reverse mode transposes it,
and higher orders differentiate it again), and, where it is linear in an argument
(``triangular_solve`` and ``solve`` in ``b``), a transpose rule and a direct VJP.

Conventions:

* Real floating matrices only (float32, float64); the derivative formulas assume real data.
* ``cholesky`` and ``eigh`` read one triangle of the input (the lower one by default), and
  their derivatives are taken with respect to exactly what they read; the public wrappers
  symmetrize the input first (``symmetrize_input=True``, as JAX), so the gradient of a
  symmetric input is symmetric.
* A matrix that cannot be factored (not positive definite for ``cholesky``, singular for
  ``solve``, no convergence) gives NaN for that matrix, as JAX does, instead of raising.
* ``eigh`` and ``svd`` derivatives divide by differences of eigenvalues (squared singular
  values): they are infinite or NaN where those repeat, as in JAX and PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..backend import extras
from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitive import Primitive, ShapeError
from ..transforms import ad_rules as ad
from ..transforms.ad_rules import Zero, instantiate
from ..transforms.batching_rules import batch_rules, batch_size, bdim_to_front, moveaxis
from ._operands import operands
from .dot import dot_general
from .elementwise import (
    add,
    bitwise_or,
    div,
    eq,
    ge,
    le,
    mul,
    neg,
    select,
    sub,
)
from .reductions import reduce_sum
from .shapes import broadcast_in_dim, broadcasted_iota, full, reshape
from .shapes import transpose as _transpose

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# ---------------------------------------------------------------------------------------
# Helpers: matrix algebra on the last two axes, written in lax operations


def _mT(x: Any) -> Any:
    """Swap the last two axes."""
    n = x.ndim
    return _transpose(x, (*range(n - 2), n - 1, n - 2))


def _mm(a: Any, b: Any) -> Any:
    """Matrix product over the last two axes, batched over equal leading axes."""
    nb = a.ndim - 2
    batch = tuple(range(nb))
    return dot_general(a, b, (((nb + 1,), (nb,)), (batch, batch)))


def _iotas(n: int, m: int) -> tuple[Any, Any]:
    return (broadcasted_iota(dtypes.int32, (n, m), 0), broadcasted_iota(dtypes.int32, (n, m), 1))


def _keep(x: Any, mask: Any) -> Any:
    return select(mask, x, full(x.shape, 0, x.dtype))


def _tri(x: Any, lower: bool, k: int = 0) -> Any:
    """``tril(x, k)`` (``lower``) or ``triu(x, k)`` on the last two axes."""
    rows, cols = _iotas(*x.shape[-2:])
    rows = add(rows, k) if k else rows
    return _keep(x, ge(rows, cols) if lower else le(rows, cols))


def _eye_mask(n: int, m: int | None = None) -> Any:
    rows, cols = _iotas(n, n if m is None else m)
    return eq(rows, cols)


def _diag(x: Any) -> Any:
    """The main diagonal of the last two axes (as the last axis)."""
    return reduce_sum(_keep(x, _eye_mask(*x.shape[-2:])), (x.ndim - 1,))


def _row(v: Any) -> Any:
    """``v`` of shape ``(..., n)`` as ``(..., n, n)`` with ``out[..., i, j] = v[..., j]``."""
    nb = v.ndim - 1
    return broadcast_in_dim(v, (*v.shape, v.shape[-1]), (*range(nb), nb + 1))


def _col(v: Any, rows: int | None = None) -> Any:
    """``v`` of shape ``(..., n)`` as ``(..., n, m)`` with ``out[..., i, j] = v[..., i]``."""
    nb = v.ndim - 1
    m = v.shape[-1] if rows is None else rows
    return broadcast_in_dim(v, (*v.shape, m), tuple(range(nb + 1)))


def _sym_from(t: Any, lower: bool) -> Any:
    """The symmetric matrix a primitive reading only one triangle of ``t`` actually sees."""
    return add(_tri(t, lower), _mT(_tri(t, lower, -1 if lower else 1)))


def _inv_diffs(d: Any) -> Any:
    """``1 / d`` off the diagonal and 0 on it (the diagonal of ``d`` is ignored).

    A zero off the diagonal (a repeated eigenvalue) gives ``inf`` without dividing by zero,
    so the backend warns only if that entry is ever used.
    """
    off = eq(_eye_mask(*d.shape[-2:]), False)
    zero = eq(d, 0)
    one = full(d.shape, 1, d.dtype)
    inv = div(one, select(bitwise_or(zero, eq(off, False)), one, d))
    return _keep(select(zero, full(d.shape, np.inf, d.dtype), inv), off)


def _symmetrize(x: Any) -> Any:
    return mul(add(x, _mT(x)), 0.5)


# ---------------------------------------------------------------------------------------
# Shared pieces of the rules


# Shape rules' messages get the primitive's name from Primitive.abstract_eval; wrappers
# that check before binding pass it as ``prefix``.


def _check_float(x: ShapedArray, prefix: str = "") -> None:
    if x.dtype not in _FLOATS:
        raise TypeError(
            f"{prefix}needs a float32 or float64 array, got {x.str_short()}; convert it "
            "first, e.g. x.astype(fnp.float32)"
        )


def _check_matrix(x: ShapedArray, square: bool = True, prefix: str = "") -> None:
    _check_float(x, prefix)
    if x.ndim < 2 or (square and x.shape[-1] != x.shape[-2]):
        what = "square matrices" if square else "matrices"
        raise ShapeError(
            f"{prefix}needs {what} in the last two axes (shape (..., n, n)), got "
            f"{x.str_short()}"
        )


def _guarded(xp: Any, fn: Callable[..., tuple], args: Sequence[Any],
             out_shapes: Sequence[tuple]) -> tuple:
    """``fn(*args)``; where the backend raises for some matrices, NaN for just those.

    JAX returns NaN for a matrix it cannot factor rather than raising; NumPy raises for
    the whole batch, so on failure we redo it matrix by matrix (an error path only).
    """
    try:
        with extras.linalg_errors(xp):
            return fn(*args)
    except np.linalg.LinAlgError:
        pass
    dt = args[0].dtype
    outs = [xp.full(s, np.nan, dtype=dt) for s in out_shapes]
    for idx in np.ndindex(*args[0].shape[:-2]):
        try:
            with extras.linalg_errors(xp):
                got = fn(*(a[idx] for a in args))
        except np.linalg.LinAlgError:
            continue
        for o, g in zip(outs, got, strict=True):
            o[idx] = g
    return tuple(outs)


def _batch_front(prim: Primitive) -> None:
    """One-operand primitives batched over leading axes: the batch axis goes first."""

    def rule(args: Sequence[Any], dims: Sequence[Any], **params: Any):
        (x,), (d,) = args, dims
        out = prim.bind(moveaxis(x, d, 0), **params)
        outs = out if prim.multiple_results else [out]
        return outs, [0] * len(outs)

    batch_rules[prim] = rule


def _solve_like_batch(prim: Primitive, left_side: Callable[[dict], bool]) -> None:
    """Batching for ``prim(a, b, ...)``: an unbatched ``a`` folds the batch into ``b``'s
    columns (left side) or rows (right side), so one factorization serves the batch."""

    def rule(args: Sequence[Any], dims: Sequence[Any], **params: Any):
        (a, b), (da, db) = args, dims
        if da is None:
            left = left_side(params)
            dst = b.ndim - 1 if left else b.ndim - 3
            b = moveaxis(b, db, dst)
            shape = b.shape
            if left:
                folded = (*shape[:-2], shape[-2] * shape[-1])
            else:
                folded = (*shape[:-3], shape[-3] * shape[-2], shape[-1])
            out = prim.bind(a, reshape(b, folded), **params)
            return [reshape(out, shape)], [dst]
        size = batch_size(args, dims)
        out = prim.bind(bdim_to_front(a, da, size), bdim_to_front(b, db, size), **params)
        return [out], [0]

    batch_rules[prim] = rule


def _check_pair(a: ShapedArray, b: ShapedArray, rows_axis: int) -> None:
    _check_matrix(a)
    _check_float(b)
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2]:
        raise ShapeError(
            f"needs a and b with the same leading (batch) axes and rank, got a "
            f"{a.str_short()} and b {b.str_short()}; broadcast them first"
        )
    if b.shape[rows_axis] != a.shape[-1]:
        raise ShapeError(
            f"b {b.str_short()} axis {rows_axis} must have a's size {a.shape[-1]} "
            f"(a is {a.str_short()})"
        )
    if a.dtype != b.dtype:
        raise TypeError(f"needs a and b of one dtype, got {a.dtype} and {b.dtype}")


# ---------------------------------------------------------------------------------------
# cholesky

cholesky_p = Primitive("cholesky")


def _cholesky_impl(xp: Any, x: Any) -> Any:
    (out,) = _guarded(xp, lambda m: (xp.linalg.cholesky(m),), [x], [x.shape])
    return out


def _cholesky_shape(x: ShapedArray) -> ShapedArray:
    _check_matrix(x)
    return ShapedArray(x.shape, x.dtype)


def _cholesky_jvp(primals: Sequence[Any], tangents: Sequence[Any]):
    # dL = L Φ(L⁻¹ dA L⁻ᵀ), Φ = the lower triangle with its diagonal halved.
    (x,), (t,) = primals, tangents
    L = cholesky_p.bind(x)
    if type(t) is Zero:
        return [L], [Zero(ShapedArray(L.shape, L.dtype))]
    dA = _sym_from(t, lower=True)
    tmp = triangular_solve(L, dA, left_side=True, lower=True)
    phi = triangular_solve(L, tmp, left_side=False, lower=True, transpose_a=True)
    phi = sub(_tri(phi, True), mul(_keep(phi, _eye_mask(*phi.shape[-2:])), 0.5))
    return [L], [_mm(L, phi)]


cholesky_p.def_impl(_cholesky_impl)
cholesky_p.def_abstract_eval(_cholesky_shape)
ad.defjvp(cholesky_p, _cholesky_jvp)
_batch_front(cholesky_p)


def cholesky(x: Any, *, symmetrize_input: bool = True) -> Any:
    """The lower Cholesky factor ``L`` of symmetric positive-definite ``x`` (``L @ L.T == x``).

    Args:
        x: float array of shape ``(..., n, n)``.
        symmetrize_input: use ``(x + x.T) / 2``, so the result (and its gradient) depends
            on both triangles; with False only the lower triangle is read.

    Returns:
        ``L`` of shape ``(..., n, n)``; NaN for a matrix that is not positive definite.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> lax.linalg.cholesky(fnp.array([[4.0, 2.0], [2.0, 5.0]]))
        Array([[2., 0.],
               [1., 2.]], dtype=float32)
    """
    (x,) = operands(x)
    _check_matrix(x.aval, prefix="cholesky: ")
    return cholesky_p.bind(_symmetrize(x) if symmetrize_input else x)


# ---------------------------------------------------------------------------------------
# triangular_solve: linear in b


triangular_solve_p = Primitive("triangular_solve")


def _triangular_solve_impl(xp: Any, a: Any, b: Any, *, left_side: bool, lower: bool,
                           transpose_a: bool, conjugate_a: bool, unit_diagonal: bool) -> Any:
    # NumPy has no triangular solver: a general solve of the masked triangle is exact and
    # batched (O(n³) instead of O(n²) per matrix).
    a = xp.tril(a) if lower else xp.triu(a)
    if unit_diagonal:
        a = xp.where(xp.eye(a.shape[-1], dtype=bool), xp.ones((), a.dtype), a)
    if conjugate_a:
        a = xp.conj(a)
    if transpose_a:
        a = xp.swapaxes(a, -1, -2)
    if left_side:
        (out,) = _guarded(xp, lambda m, r: (xp.linalg.solve(m, r),), [a, b], [b.shape])
        return out
    # X a = b  <=>  aᵀ Xᵀ = bᵀ
    (out,) = _guarded(xp, lambda m, r: (xp.linalg.solve(xp.swapaxes(m, -1, -2),
                                                        xp.swapaxes(r, -1, -2)),),
                      [a, b], [b.shape[:-2] + b.shape[-2:][::-1]])
    return xp.swapaxes(out, -1, -2)


def _triangular_solve_shape(a: ShapedArray, b: ShapedArray, *, left_side: bool, **_: Any):
    _check_pair(a, b, -2 if left_side else -1)
    return ShapedArray(b.shape, b.dtype)


def _ts_mask(t: Any, lower: bool, unit_diagonal: bool) -> Any:
    # Only the triangle the solver reads has a derivative (no diagonal if it is taken as 1).
    return _tri(t, lower, 0 if not unit_diagonal else (-1 if lower else 1))


def _triangular_solve_jvp(primals: Sequence[Any], tangents: Sequence[Any], **p: Any):
    (a, b), (ta, tb) = primals, tangents
    x = triangular_solve_p.bind(a, b, **p)
    out = None if type(tb) is Zero else triangular_solve_p.bind(a, tb, **p)
    if type(ta) is not Zero:
        op_da = _ts_mask(ta, p["lower"], p["unit_diagonal"])
        op_da = _mT(op_da) if p["transpose_a"] else op_da
        # d(op(A)⁻¹ B) = -op(A)⁻¹ op(dA) X;   d(B op(A)⁻¹) = -X op(dA) op(A)⁻¹
        rhs = _mm(op_da, x) if p["left_side"] else _mm(x, op_da)
        term = neg(triangular_solve_p.bind(a, rhs, **p))
        out = term if out is None else add(out, term)
    return [x], [Zero(ShapedArray(x.shape, x.dtype)) if out is None else out]


def _ts_transposed(**p: Any) -> dict:
    return {**p, "transpose_a": not p["transpose_a"]}


def _triangular_solve_transpose(ct: Any, a: Any, b: Any, **p: Any) -> list:
    if ad.is_undefined(a):
        raise TypeError("triangular_solve is linear in b only; a must be a known value")
    if type(ct) is Zero:
        return [None, None]
    return [None, triangular_solve_p.bind(a, ct, **_ts_transposed(**p))]


def _triangular_solve_vjp(needs: Sequence[bool], ct: Any, x: Any, a: Any, b: Any, **p: Any):
    ct = instantiate(ct)
    ct_b = triangular_solve_p.bind(a, ct, **_ts_transposed(**p))
    ct_a = None
    if needs[0]:
        ct_op = neg(_mm(ct_b, _mT(x)) if p["left_side"] else _mm(_mT(x), ct_b))
        ct_a = _ts_mask(_mT(ct_op) if p["transpose_a"] else ct_op, p["lower"],
                        p["unit_diagonal"])
    return [ct_a, ct_b if needs[1] else None]


triangular_solve_p.def_impl(_triangular_solve_impl)
triangular_solve_p.def_abstract_eval(_triangular_solve_shape)
ad.defjvp(triangular_solve_p, _triangular_solve_jvp)
ad.transpose_rules[triangular_solve_p] = _triangular_solve_transpose
ad.vjp_rules[triangular_solve_p] = _triangular_solve_vjp
_solve_like_batch(triangular_solve_p, lambda p: p["left_side"])


def triangular_solve(a: Any, b: Any, *, left_side: bool = False, lower: bool = False,
                     transpose_a: bool = False, conjugate_a: bool = False,
                     unit_diagonal: bool = False) -> Any:
    """Solve ``op(a) @ x = b`` (``left_side``) or ``x @ op(a) = b`` for triangular ``a``.

    As ``jax.lax.linalg.triangular_solve``: ``op(a)`` is ``a`` or its transpose
    (``transpose_a``); only the ``lower`` (or upper) triangle of ``a`` is read, and its
    diagonal is taken as ones with ``unit_diagonal``.

    Args:
        a: ``(..., m, m)``.
        b: ``(..., m, n)`` if ``left_side`` else ``(..., n, m)``, same leading axes as ``a``.

    Returns:
        ``x`` with the shape of ``b``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> a = fnp.array([[2.0, 0.0], [1.0, 1.0]])
        >>> lax.linalg.triangular_solve(a, fnp.array([[2.0], [3.0]]), left_side=True,
        ...                             lower=True)
        Array([[1.],
               [2.]], dtype=float32)
    """
    a, b = operands(a, b)
    return triangular_solve_p.bind(a, b, left_side=bool(left_side), lower=bool(lower),
                                   transpose_a=bool(transpose_a),
                                   conjugate_a=bool(conjugate_a),
                                   unit_diagonal=bool(unit_diagonal))


# ---------------------------------------------------------------------------------------
# solve: a general square solve, linear in b

solve_p = Primitive("solve")


def _solve_impl(xp: Any, a: Any, b: Any) -> Any:
    (out,) = _guarded(xp, lambda m, r: (xp.linalg.solve(m, r),), [a, b], [b.shape])
    return out


def _solve_shape(a: ShapedArray, b: ShapedArray) -> ShapedArray:
    _check_pair(a, b, -2)
    return ShapedArray(b.shape, b.dtype)


def _solve_jvp(primals: Sequence[Any], tangents: Sequence[Any]):
    # d(A⁻¹B) = A⁻¹ (dB - dA X)
    (a, b), (ta, tb) = primals, tangents
    x = solve_p.bind(a, b)
    if type(ta) is Zero and type(tb) is Zero:
        return [x], [Zero(ShapedArray(x.shape, x.dtype))]
    rhs = None if type(tb) is Zero else tb
    if type(ta) is not Zero:
        term = neg(_mm(ta, x))
        rhs = term if rhs is None else add(rhs, term)
    return [x], [solve_p.bind(a, rhs)]


def _solve_transpose(ct: Any, a: Any, b: Any) -> list:
    if ad.is_undefined(a):
        raise TypeError("solve is linear in b only; a must be a known value")
    if type(ct) is Zero:
        return [None, None]
    return [None, solve_p.bind(_mT(a), ct)]


def _solve_vjp(needs: Sequence[bool], ct: Any, x: Any, a: Any, b: Any):
    ct_b = solve_p.bind(_mT(a), instantiate(ct))
    ct_a = neg(_mm(ct_b, _mT(x))) if needs[0] else None
    return [ct_a, ct_b if needs[1] else None]


solve_p.def_impl(_solve_impl)
solve_p.def_abstract_eval(_solve_shape)
ad.defjvp(solve_p, _solve_jvp)
ad.transpose_rules[solve_p] = _solve_transpose
ad.vjp_rules[solve_p] = _solve_vjp
_solve_like_batch(solve_p, lambda p: True)


def solve(a: Any, b: Any) -> Any:
    """Solve ``a @ x = b`` for square ``a`` (a funcdiff extra; JAX composes it from LU).

    Args:
        a: ``(..., n, n)``.
        b: ``(..., n, k)`` with the same leading axes (``funcdiff.numpy.linalg.solve``
            broadcasts and accepts vectors).

    Returns:
        ``x`` with the shape of ``b``; NaN for a singular matrix.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> lax.linalg.solve(fnp.array([[2.0, 0.0], [0.0, 4.0]]), fnp.array([[2.0], [2.0]]))
        Array([[1. ],
               [0.5]], dtype=float32)
    """
    a, b = operands(a, b)
    return solve_p.bind(a, b)


# ---------------------------------------------------------------------------------------
# slogdet: (sign, log|det|)

slogdet_p = Primitive("slogdet", multiple_results=True)


def _slogdet_impl(xp: Any, a: Any) -> tuple:
    sign, logdet = xp.linalg.slogdet(a)
    return sign, logdet


def _slogdet_shape(a: ShapedArray) -> list:
    _check_matrix(a)
    out = ShapedArray(a.shape[:-2], a.dtype)
    return [out, out]


def _slogdet_jvp(primals: Sequence[Any], tangents: Sequence[Any]):
    # d log|det A| = tr(A⁻¹ dA); the sign is piecewise constant.
    (a,), (t,) = primals, tangents
    sign, logdet = slogdet_p.bind(a)
    zero = Zero(ShapedArray(sign.shape, sign.dtype))
    if type(t) is Zero:
        return [sign, logdet], [zero, zero]
    return [sign, logdet], [zero, reduce_sum(_diag(solve_p.bind(a, t)), (a.ndim - 2,))]


slogdet_p.def_impl(_slogdet_impl)
slogdet_p.def_abstract_eval(_slogdet_shape)
ad.defjvp(slogdet_p, _slogdet_jvp)
_batch_front(slogdet_p)


def slogdet(a: Any) -> tuple[Any, Any]:
    """``(sign, log|det a|)`` of square matrices (a funcdiff extra to ``jax.lax.linalg``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> lax.linalg.slogdet(fnp.array([[-2.0, 0.0], [0.0, 1.0]]))[0]
        Array(-1., dtype=float32)
    """
    (a,) = operands(a)
    sign, logdet = slogdet_p.bind(a)
    return sign, logdet


# The decompositions use the helpers above; importing them last keeps one public module.
from .decompositions import eigh, eigh_p, qr, qr_p, svd, svd_p  # noqa: E402

__all__ = [
    "cholesky", "cholesky_p", "eigh", "eigh_p", "qr", "qr_p", "slogdet", "slogdet_p", "solve",
    "solve_p", "svd", "svd_p", "triangular_solve", "triangular_solve_p",
]
