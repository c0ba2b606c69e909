"""Matrix decompositions of :mod:`funcdiff.lax.linalg`: ``eigh``, ``svd`` and ``qr``.

Declared here, re-exported by ``funcdiff.lax.linalg`` (use them from there); the helpers
and conventions (real float matrices, batching over leading axes, NaN where the backend
fails) are that module's. Derivatives of ``eigh``'s vectors and of ``svd``'s singular
vectors divide by differences of eigenvalues (squared singular values): infinite or NaN
where those repeat, as in JAX and PyTorch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.aval import ShapedArray
from ..core.primitive import Primitive
from ..transforms import ad_rules as ad
from ..transforms.ad_rules import Zero
from ._operands import operands
from .elementwise import add, div, integer_pow, mul, sub
from .linalg import (
    _batch_front,
    _check_matrix,
    _col,
    _diag,
    _guarded,
    _inv_diffs,
    _mm,
    _mT,
    _row,
    _sym_from,
    _symmetrize,
    _tri,
    triangular_solve,
)
from .shapes import broadcast_in_dim, concatenate
from .shapes import slice_in_dim as _slice

# ---------------------------------------------------------------------------------------
# eigh: symmetric eigendecomposition, outputs (v, w) as jax.lax.linalg.eigh

eigh_p = Primitive("eigh", multiple_results=True)


def _eigh_impl(xp: Any, x: Any, *, lower: bool) -> tuple:
    def fn(m: Any) -> tuple:
        w, v = xp.linalg.eigh(m, UPLO="L" if lower else "U")
        return v, w

    return _guarded(xp, fn, [x], [x.shape, x.shape[:-1]])


def _eigh_shape(x: ShapedArray, *, lower: bool) -> list:
    _check_matrix(x)
    return [ShapedArray(x.shape, x.dtype), ShapedArray(x.shape[:-1], x.dtype)]


def _eigh_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, lower: bool):
    # With M = Vᵀ dA V: dw = diag(M), dV = V (F ∘ M), F_ij = 1 / (w_j - w_i) off the diagonal.
    (x,), (t,) = primals, tangents
    v, w = eigh_p.bind(x, lower=lower)
    if type(t) is Zero:
        return [v, w], [Zero(ShapedArray(v.shape, v.dtype)), Zero(ShapedArray(w.shape, w.dtype))]
    m = _mm(_mT(v), _mm(_sym_from(t, lower), v))
    f = _inv_diffs(sub(_row(w), _col(w)))
    return [v, w], [_mm(v, mul(f, m)), _diag(m)]


eigh_p.def_impl(_eigh_impl)
eigh_p.def_abstract_eval(_eigh_shape)
ad.defjvp(eigh_p, _eigh_jvp)
_batch_front(eigh_p)


def eigh(x: Any, *, lower: bool = True, symmetrize_input: bool = True,
         sort_eigenvalues: bool = True) -> tuple[Any, Any]:
    """Eigenvectors and eigenvalues ``(v, w)`` of symmetric ``x`` (``x @ v == v * w``).

    As ``jax.lax.linalg.eigh``: eigenvalues ascend; ``lower`` picks the triangle read when
    ``symmetrize_input`` is False. Derivatives of ``v`` are undefined (NaN or infinite)
    where eigenvalues repeat; those of ``w`` stay finite.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> v, w = lax.linalg.eigh(fnp.array([[2.0, 1.0], [1.0, 2.0]]))
        >>> w
        Array([1., 3.], dtype=float32)
    """
    del sort_eigenvalues  # always sorted (ascending), as LAPACK returns them
    (x,) = operands(x)
    _check_matrix(x.aval, prefix="eigh: ")
    v, w = eigh_p.bind(_symmetrize(x) if symmetrize_input else x, lower=bool(lower))
    return v, w


# ---------------------------------------------------------------------------------------
# svd: outputs [s, u, vh] (or [s])

svd_p = Primitive("svd", multiple_results=True)


def _svd_impl(xp: Any, x: Any, *, full_matrices: bool, compute_uv: bool) -> tuple:
    m, n = x.shape[-2:]
    k, batch = min(m, n), x.shape[:-2]
    if not compute_uv:
        return _guarded(xp, lambda a: (xp.linalg.svd(a, compute_uv=False),), [x],
                        [(*batch, k)])
    um, vn = (m, n) if full_matrices else (k, k)

    def fn(a: Any) -> tuple:
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        return s, u, vh

    return _guarded(xp, fn, [x], [(*batch, k), (*batch, m, um), (*batch, vn, n)])


def _svd_shape(x: ShapedArray, *, full_matrices: bool, compute_uv: bool) -> list:
    _check_matrix(x, square=False)
    m, n = x.shape[-2:]
    k, batch = min(m, n), x.shape[:-2]
    s = ShapedArray((*batch, k), x.dtype)
    if not compute_uv:
        return [s]
    um, vn = (m, n) if full_matrices else (k, k)
    return [s, ShapedArray((*batch, m, um), x.dtype), ShapedArray((*batch, vn, n), x.dtype)]


def _svd_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, full_matrices: bool,
             compute_uv: bool):
    (x,), (t,) = primals, tangents
    m, n = x.shape[-2:]
    outs = svd_p.bind(x, full_matrices=full_matrices, compute_uv=compute_uv)
    if type(t) is Zero:
        return outs, [Zero(ShapedArray(o.shape, o.dtype)) for o in outs]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError(
            f"the derivative of svd with full_matrices=True is not defined for a non-square "
            f"matrix ({x.shape[-2:]}): the extra singular vectors are arbitrary. Use "
            "full_matrices=False (or compute_uv=False)."
        )
    s, u, vh = svd_p.bind(x, full_matrices=False, compute_uv=True)
    v = _mT(vh)
    dp = _mm(_mT(u), _mm(t, v))  # Uᵀ dA V, k×k
    ds = _diag(dp)
    if not compute_uv:
        return outs, [ds]
    # Townsend (2016): F_ij = 1 / (s_j² - s_i²) off the diagonal.
    s_row, s_col = _row(s), _col(s)
    f = _inv_diffs(sub(integer_pow(s_row, 2), integer_pow(s_col, 2)))
    du = _mm(u, mul(f, add(mul(dp, s_row), mul(s_col, _mT(dp)))))
    dv = _mm(v, mul(f, add(mul(s_col, dp), mul(_mT(dp), s_row))))
    if m > n:
        dav = _mm(t, v)
        du = add(du, div(sub(dav, _mm(u, _mm(_mT(u), dav))), _col_div(s, m)))
    if n > m:
        dau = _mm(_mT(t), u)
        dv = add(dv, div(sub(dau, _mm(v, _mm(vh, dau))), _col_div(s, n)))
    return outs, [ds, du, _mT(dv)]


def _col_div(s: Any, rows: int) -> Any:
    # s of shape (..., k) broadcast to (..., rows, k): column j is divided by s_j.
    nb = s.ndim - 1
    return broadcast_in_dim(s, (*s.shape[:-1], rows, s.shape[-1]), (*range(nb), nb + 1))


svd_p.def_impl(_svd_impl)
svd_p.def_abstract_eval(_svd_shape)
ad.defjvp(svd_p, _svd_jvp)
_batch_front(svd_p)


def svd(x: Any, *, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """Singular value decomposition ``x = u @ diag(s) @ vh``, as ``jax.lax.linalg.svd``.

    Returns ``(u, s, vh)``, or ``s`` alone (descending) with ``compute_uv=False``.
    Derivatives of ``u``/``vh`` need ``full_matrices=False`` for non-square ``x`` and are
    undefined where singular values repeat (or vanish, for non-square ``x``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> lax.linalg.svd(fnp.array([[3.0, 0.0], [0.0, -4.0]]), compute_uv=False)
        Array([4., 3.], dtype=float32)
    """
    (x,) = operands(x)
    outs = svd_p.bind(x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    if not compute_uv:
        return outs[0]
    s, u, vh = outs
    return u, s, vh


# ---------------------------------------------------------------------------------------
# qr: outputs [q, r]

qr_p = Primitive("qr", multiple_results=True)


def _qr_impl(xp: Any, x: Any, *, full_matrices: bool) -> tuple:
    q, r = xp.linalg.qr(x, mode="complete" if full_matrices else "reduced")
    return q, r


def _qr_shape(x: ShapedArray, *, full_matrices: bool) -> list:
    _check_matrix(x, square=False)
    m, n = x.shape[-2:]
    k = m if full_matrices else min(m, n)
    b = x.shape[:-2]
    return [ShapedArray((*b, m, k), x.dtype), ShapedArray((*b, k, n), x.dtype)]


def _qr_square_jvp(q: Any, r: Any, t: Any) -> tuple[Any, Any]:
    # m >= n: with C = Qᵀ dA R⁻¹ and Ω = tril(C, -1) - tril(C, -1)ᵀ (skew),
    # dQ = Q Ω + (I - Q Qᵀ) dA R⁻¹ and dR = (C - Ω) R.
    da_rinv = triangular_solve(r, t, left_side=False, lower=False)
    c = _mm(_mT(q), da_rinv)
    low = _tri(c, True, -1)
    omega = sub(low, _mT(low))
    dq = add(_mm(q, omega), sub(da_rinv, _mm(q, c)))
    return dq, _mm(sub(c, omega), r)


def _qr_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, full_matrices: bool):
    (x,), (t,) = primals, tangents
    q, r = qr_p.bind(x, full_matrices=full_matrices)
    if type(t) is Zero:
        return [q, r], [Zero(ShapedArray(q.shape, q.dtype)), Zero(ShapedArray(r.shape, r.dtype))]
    m, n = x.shape[-2:]
    if full_matrices and m > n:
        raise NotImplementedError(
            f"the derivative of qr with full_matrices=True (mode='complete') is not defined "
            f"for a tall matrix ({m}x{n}): the extra columns of q are arbitrary. Use "
            "full_matrices=False (mode='reduced')."
        )
    if m >= n:
        dq, dr = _qr_square_jvp(q, r, t)
        return [q, r], [dq, dr]
    # Wide: A = Q [R1 | R2] with square R1; differentiate Q R1 = A1, then R2 = Qᵀ A2.
    dq, dr1 = _qr_square_jvp(q, _slice(r, 0, m, axis=r.ndim - 1),
                             _slice(t, 0, m, axis=t.ndim - 1))
    r2, t2 = _slice(r, m, n, axis=r.ndim - 1), _slice(t, m, n, axis=t.ndim - 1)
    dr2 = _mm(_mT(q), sub(t2, _mm(dq, r2)))
    return [q, r], [dq, concatenate([dr1, dr2], r.ndim - 1)]


qr_p.def_impl(_qr_impl)
qr_p.def_abstract_eval(_qr_shape)
ad.defjvp(qr_p, _qr_jvp)
_batch_front(qr_p)


def qr(x: Any, *, full_matrices: bool = True) -> tuple[Any, Any]:
    """QR decomposition ``x = q @ r`` (``q`` orthonormal columns, ``r`` upper triangular).

    As ``jax.lax.linalg.qr``; ``full_matrices=False`` gives the reduced factors. Derivatives
    need ``r``'s diagonal to be nonzero (full rank).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> q, r = lax.linalg.qr(fnp.ones((3, 2)), full_matrices=False)
        >>> q.shape, r.shape
        ((3, 2), (2, 2))
    """
    (x,) = operands(x)
    q, r = qr_p.bind(x, full_matrices=bool(full_matrices))
    return q, r
