"""Op-table rows for linear algebra (``funcdiff/lax/linalg.py``, ``funcdiff/numpy/linalg.py``)
and ``einsum`` (``funcdiff/numpy/einsum.py``).

Each primitive — ``cholesky``, ``triangular_solve`` (every side/triangle/transpose/unit
combination that changes its rules), ``solve``, ``slogdet``, ``eigh``, ``svd`` and ``qr``
(tall and wide) — plus the ``funcdiff.numpy.linalg`` functions built on them (norms of every
order, ``inv``, ``det``…) and a few einsum expressions. Matrices that must be invertible
are drawn symmetric positive definite (``domain="spd"``); where symmetry would hide a
transposition mistake, a fixed non-symmetric matrix is added inside both ``fn`` and ``ref``.
"""

from __future__ import annotations

import numpy as np
from op_table import Arg, OpRow

import funcdiff.numpy as fnp
from funcdiff import lax

ROWS: list[OpRow] = []

_SPD = dict(domain="spd")


def _skew_np(n: int) -> np.ndarray:
    # A fixed strictly-upper-triangular shift: keeps SPD draws invertible, breaks symmetry.
    return np.triu(np.ones((n, n)), 1)


def _nonsym(a):
    """``a`` plus the fixed shift, in funcdiff (for ``fn``)."""
    n = a.shape[-1]
    return a + fnp.asarray(_skew_np(n).astype(a.dtype))


def _nonsym_np(a: np.ndarray) -> np.ndarray:
    return a + _skew_np(a.shape[-1]).astype(a.dtype)


def _sym_np(a: np.ndarray) -> np.ndarray:
    return (a + np.swapaxes(a, -1, -2)) * a.dtype.type(0.5)


def _tri_solve_np(a, b, *, left_side, lower, transpose_a, unit_diagonal):
    a = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        a = np.where(np.eye(a.shape[-1], dtype=bool), 1, a).astype(b.dtype)
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if left_side:
        return np.linalg.solve(a, b)
    return np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)


# --- cholesky ---------------------------------------------------------------------------------

ROWS += [
    OpRow("cholesky", lax.linalg.cholesky, lambda x: np.linalg.cholesky(_sym_np(x)),
          [Arg((3, 3), **_SPD)], prims=("cholesky",), atol=1e-4, rtol=1e-4),
    OpRow("cholesky_batched_lower_only",
          lambda x: lax.linalg.cholesky(x, symmetrize_input=False), np.linalg.cholesky,
          [Arg((2, 3, 3), **_SPD)], prims=("cholesky",), atol=1e-4, rtol=1e-4),
    OpRow("linalg.cholesky_upper", lambda x: fnp.linalg.cholesky(x, upper=True),
          lambda x: np.swapaxes(np.linalg.cholesky(_sym_np(x)), -1, -2),
          [Arg((3, 3), **_SPD)], prims=("cholesky",), atol=1e-4, rtol=1e-4),
]


# --- triangular_solve ---------------------------------------------------------------------------

for _left, _lower, _trans, _unit in ((True, True, False, False), (True, False, True, False),
                                     (False, True, True, False), (False, False, False, True),
                                     (True, True, True, True)):
    _kw = dict(left_side=_left, lower=_lower, transpose_a=_trans, unit_diagonal=_unit)
    _name = "triangular_solve_" + "_".join(k for k, v in _kw.items() if v) if any(
        _kw.values()) else "triangular_solve"
    ROWS.append(OpRow(
        _name.replace("_side", "").replace("_a", "").replace("_diagonal", ""),
        lambda a, b, **kw: lax.linalg.triangular_solve(_nonsym(a), b, **kw),
        lambda a, b, **kw: _tri_solve_np(_nonsym_np(a), b, **kw),
        [Arg((2, 3, 3), **_SPD), Arg((2, 3, 2) if _left else (2, 2, 3))],
        prims=("triangular_solve",), static=_kw, atol=1e-4, rtol=1e-4))


# --- solve, inv, slogdet, det --------------------------------------------------------------------

ROWS += [
    OpRow("solve_prim", lambda a, b: lax.linalg.solve(_nonsym(a), b),
          lambda a, b: np.linalg.solve(_nonsym_np(a), b),
          [Arg((2, 3, 3), **_SPD), Arg((2, 3, 2))], prims=("solve",), atol=1e-4, rtol=1e-4),
    OpRow("linalg.solve_vector", lambda a, b: fnp.linalg.solve(_nonsym(a), b),
          lambda a, b: np.linalg.solve(_nonsym_np(a), b),
          [Arg((3, 3), **_SPD), Arg((3,))], prims=("solve",), atol=1e-4, rtol=1e-4),
    OpRow("linalg.solve_broadcast", lambda a, b: fnp.linalg.solve(_nonsym(a), b),
          lambda a, b: np.linalg.solve(_nonsym_np(a), b),
          [Arg((2, 3, 3), **_SPD), Arg((3, 4))], prims=("solve",), atol=1e-4, rtol=1e-4),
    OpRow("linalg.inv", lambda a: fnp.linalg.inv(_nonsym(a)),
          lambda a: np.linalg.inv(_nonsym_np(a)), [Arg((2, 3, 3), **_SPD)], prims=("solve",),
          atol=1e-4, rtol=1e-4),
    OpRow("slogdet_negative_det", lambda a: lax.linalg.slogdet(-_nonsym(a)),
          lambda a: np.linalg.slogdet(-_nonsym_np(a)),
          [Arg((2, 3, 3), **_SPD)], prims=("slogdet",), atol=1e-4, rtol=1e-4),
    OpRow("linalg.det", lambda a: fnp.linalg.det(_nonsym(a)),
          lambda a: np.linalg.det(_nonsym_np(a)), [Arg((3, 3), **_SPD)],
          prims=("slogdet",), atol=1e-3, rtol=1e-4),
    OpRow("linalg.matrix_power_neg", lambda a: fnp.linalg.matrix_power(_nonsym(a), -2),
          lambda a: np.linalg.matrix_power(_nonsym_np(a), -2), [Arg((3, 3), **_SPD)],
          prims=("solve", "dot_general"), atol=1e-4, rtol=1e-4),
]


# --- eigh, svd, qr ----------------------------------------------------------------------------
# An eigenvector, or a pair of singular vectors (a column of u with the matching row of vh),
# is unique only up to sign, and LAPACK, cuSOLVER and their batched routines choose signs
# differently. So both ``fn`` and ``ref`` flip each one to make its largest-magnitude entry
# (of the eigenvector, of u's column) positive, and the vectors are still compared in full.
# The flip is locally constant: derivatives and batching rules are checked through it.


def _column_signs(v):
    """The sign of each column's largest-magnitude entry, shaped (..., 1, k) (funcdiff)."""
    top = fnp.argmax(fnp.abs(v), axis=-2, keepdims=True)
    return fnp.sign(fnp.take_along_axis(v, top, axis=-2))


def _column_signs_np(v: np.ndarray) -> np.ndarray:
    top = np.argmax(np.abs(v), axis=-2, keepdims=True)
    return np.sign(np.take_along_axis(v, top, axis=-2))


def _eigh(x, **kw):
    v, w = lax.linalg.eigh(x, **kw)
    return v * _column_signs(v), w


def _eigh_np(x, uplo="L"):
    w, v = np.linalg.eigh(x, UPLO=uplo)
    return v * _column_signs_np(v), w


def _svd(x, **kw):
    u, s, vh = lax.linalg.svd(x, **kw)
    signs = _column_signs(u)
    return u * signs, s, vh * fnp.swapaxes(signs, -1, -2)


def _svd_np(x, full_matrices=False):
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    signs = _column_signs_np(u)
    return u * signs, s, vh * np.swapaxes(signs, -1, -2)


ROWS += [
    OpRow("eigh", _eigh, lambda x: _eigh_np(_sym_np(x)), [Arg((2, 4, 4))], prims=("eigh",),
          atol=1e-4, rtol=1e-4),
    OpRow("eigh_upper_only",
          lambda x: _eigh(x, lower=False, symmetrize_input=False),
          lambda x: _eigh_np(x, uplo="U"), [Arg((3, 3))], prims=("eigh",),
          atol=1e-4, rtol=1e-4),
    OpRow("linalg.eigvalsh", fnp.linalg.eigvalsh, lambda x: np.linalg.eigvalsh(x),
          [Arg((3, 3), **_SPD)], prims=("eigh",), atol=1e-4, rtol=1e-4),
    OpRow("svd_tall", lambda x: _svd(x, full_matrices=False), _svd_np,
          [Arg((4, 3))], prims=("svd",), atol=1e-4, rtol=1e-4),
    OpRow("svd_wide_batched", lambda x: _svd(x, full_matrices=False), _svd_np,
          [Arg((2, 3, 4))], prims=("svd",), atol=1e-4, rtol=1e-4),
    OpRow("svd_values", lambda x: lax.linalg.svd(x, compute_uv=False),
          lambda x: np.linalg.svd(x, compute_uv=False), [Arg((3, 5))], prims=("svd",),
          atol=1e-4, rtol=1e-4),
    OpRow("svd_square_full", _svd, lambda x: _svd_np(x, full_matrices=True),
          [Arg((3, 3))], prims=("svd",), atol=1e-4, rtol=1e-4),
    OpRow("qr_tall", lambda x: lax.linalg.qr(x, full_matrices=False),
          lambda x: np.linalg.qr(x), [Arg((4, 3))], prims=("qr",), atol=1e-4, rtol=1e-4),
    OpRow("qr_wide_batched", lambda x: lax.linalg.qr(x, full_matrices=False),
          lambda x: np.linalg.qr(x), [Arg((2, 3, 5))], prims=("qr",), atol=1e-4, rtol=1e-4),
    OpRow("linalg.qr_complete_square", lambda x: fnp.linalg.qr(x, mode="complete"),
          lambda x: np.linalg.qr(x, mode="complete"), [Arg((3, 3))], prims=("qr",),
          atol=1e-4, rtol=1e-4),
]


# --- norms ----------------------------------------------------------------------------------------

_NORM_PRIMS = {np.inf: ("reduce_max",), -np.inf: ("reduce_min",), "nuc": ("svd",),
               2: ("svd", "reduce_max"), -2: ("svd", "reduce_min")}
for _ord in (None, 1, 2, np.inf, -np.inf, 3, 0.5, -1.5):
    ROWS.append(OpRow(
        f"linalg.norm_vector_ord{_ord}", fnp.linalg.norm, np.linalg.norm,
        [Arg((2, 5), domain="nonzero")], static={"ord": _ord, "axis": 1},
        prims=("reduce_sum",) if _ord in (None, 1, 2, 3, 0.5, -1.5) else _NORM_PRIMS[_ord],
        atol=1e-4, rtol=1e-4))
for _ord in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
    ROWS.append(OpRow(
        f"linalg.norm_matrix_ord{_ord}", fnp.linalg.norm, np.linalg.norm,
        [Arg((3, 4), domain="nonzero")], static={"ord": _ord},
        prims=_NORM_PRIMS[_ord] if _ord in (2, -2, "nuc") else ("reduce_sum",),
        atol=1e-4, rtol=1e-4))
ROWS += [
    OpRow("linalg.norm_all_axes_keepdims", fnp.linalg.norm, np.linalg.norm,
          [Arg((2, 3, 2))], static={"keepdims": True}, prims=("reduce_sum",),
          atol=1e-4, rtol=1e-4),
    OpRow("linalg.norm_matrix_axes_keepdims", fnp.linalg.norm, np.linalg.norm,
          [Arg((3, 2, 4))], static={"ord": 2, "axis": (2, 0), "keepdims": True},
          prims=("svd",), atol=1e-4, rtol=1e-4),
    OpRow("linalg.norm_ord0", fnp.linalg.norm, np.linalg.norm, [Arg((6,))],
          static={"ord": 0}, prims=("reduce_sum",), grad=False,
          why="the count of nonzeros is piecewise constant"),
]


# --- einsum ---------------------------------------------------------------------------------------

def _einsum_row(subscripts: str, *shapes: tuple[int, ...], prims=("dot_general",)) -> OpRow:
    return OpRow(f"einsum[{subscripts}]", lambda *xs: fnp.einsum(subscripts, *xs),
                 lambda *xs: np.einsum(subscripts, *xs), [Arg(s) for s in shapes],
                 prims=prims, atol=1e-4, rtol=1e-4)


ROWS += [
    _einsum_row("ij,jk->ik", (2, 3), (3, 4)),
    _einsum_row("bij,bjk->bik", (2, 2, 3), (2, 3, 4)),
    _einsum_row("ii->i", (3, 3), prims=("slice",)),
    _einsum_row("ij->", (2, 3), prims=("reduce_sum",)),
    _einsum_row("...ij,...jk", (2, 1, 2, 3), (3, 3, 2)),
    _einsum_row("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
    _einsum_row("iij,jk->ki", (2, 2, 3), (3, 2)),
    _einsum_row("i,j->ij", (3,), (2,)),
    OpRow("linalg.multi_dot", lambda a, b, c: fnp.linalg.multi_dot([a, b, c]),
          lambda a, b, c: np.linalg.multi_dot([a, b, c]),
          [Arg((3,)), Arg((3, 4)), Arg((4, 2))], prims=("dot_general",),
          atol=1e-4, rtol=1e-4),
]
