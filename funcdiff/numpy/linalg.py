"""``funcdiff.numpy.linalg``: the ``jax.numpy.linalg`` API over the primitives of
:mod:`funcdiff.lax.linalg` (``norm``, ``inv``, ``solve``, ``det``, ``slogdet``,
``cholesky``, ``eigh``, ``svd``, ``qr``…).

Everything here is composed of lax operations, so it is differentiable (forward and
reverse, to any order) and batchable wherever the primitives are. Matrices live in the
last two axes; leading axes are a batch. Integer inputs become the default float.

Where the 2-norm (or a p-norm) is taken of an all-zero vector, its gradient is 0 (a
subgradient) instead of JAX's NaN: the square root is never differentiated at 0.
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

import numpy as np

from .. import lax
from ..core.primitive import ShapeError
from ..core.tracing import get_aval
from ..lax import linalg as lax_linalg
from . import reductions as _red
from . import shapes as _shapes
from . import ufuncs as _uf
from ._promote import promote_inexact
from .products import matmul
from .shapes import matrix_transpose


class EighResult(NamedTuple):
    """What :func:`eigh` returns: ascending ``eigenvalues``, matching ``eigenvectors``."""

    eigenvalues: Any
    eigenvectors: Any


class SlogdetResult(NamedTuple):
    """What :func:`slogdet` returns: ``sign`` and ``logabsdet`` (det = sign * e**logabsdet)."""

    sign: Any
    logabsdet: Any


class SVDResult(NamedTuple):
    """What :func:`svd` returns: ``U``, the singular values ``S`` (descending) and ``Vh``."""

    U: Any
    S: Any
    Vh: Any


class QRResult(NamedTuple):
    """What :func:`qr` returns: ``Q`` (orthonormal columns) and upper-triangular ``R``."""

    Q: Any
    R: Any


def _matrix(name: str, a: Any, square: bool = True) -> Any:
    (a,) = promote_inexact(a)
    shape = get_aval(a).shape
    if len(shape) < 2 or (square and shape[-1] != shape[-2]):
        what = "square matrices" if square else "matrices"
        raise ShapeError(
            f"linalg.{name} needs {what} in the last two axes (shape (..., n, n)), got an "
            f"array of shape {shape}"
        )
    return a


# ---------------------------------------------------------------------------------------
# Factorizations


def cholesky(a: Any, *, upper: bool = False, symmetrize_input: bool = True) -> Any:
    """Cholesky factor of symmetric positive-definite matrices: ``a = L @ L.T``.

    Args:
        a: ``(..., n, n)``.
        upper: return the upper factor ``L.T`` instead.
        symmetrize_input: use ``(a + a.T) / 2`` (as JAX), so both triangles matter.

    Returns:
        ``L`` (or ``L.T``); NaN for matrices that are not positive definite.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.cholesky(fnp.array([[4.0, 2.0], [2.0, 2.0]]))
        Array([[2., 0.],
               [1., 1.]], dtype=float32)
    """
    a = _matrix("cholesky", a)
    L = lax_linalg.cholesky(a, symmetrize_input=symmetrize_input)
    return matrix_transpose(L) if upper else L


def eigh(a: Any, UPLO: str | None = None, symmetrize_input: bool = True) -> EighResult:
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices.

    Args:
        a: ``(..., n, n)``.
        UPLO: ``"L"`` (default) or ``"U"``: the triangle read when not symmetrizing.
        symmetrize_input: use ``(a + a.T) / 2`` (as JAX).

    Returns:
        ``EighResult(eigenvalues, eigenvectors)``; column ``i`` of ``eigenvectors`` goes with
        ``eigenvalues[..., i]``. Eigenvector derivatives are NaN where eigenvalues repeat.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.eigh(fnp.array([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
        Array([1., 3.], dtype=float32)
    """
    a = _matrix("eigh", a)
    if UPLO not in (None, "L", "U"):
        raise ValueError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    v, w = lax_linalg.eigh(a, lower=UPLO != "U", symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a: Any, UPLO: str | None = "L") -> Any:
    """Eigenvalues (ascending) of symmetric matrices.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.eigvalsh(fnp.array([[2.0, 0.0], [0.0, 1.0]]))
        Array([1., 2.], dtype=float32)
    """
    return eigh(a, UPLO).eigenvalues


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True,
        hermitian: bool = False) -> Any:
    """Singular value decomposition ``a = U @ diag(S) @ Vh`` (``S`` descending).

    Args:
        a: ``(..., m, n)``.
        full_matrices: square ``U`` (m×m) and ``Vh`` (n×n); else ``k = min(m, n)`` columns.
            Derivatives of ``U``/``Vh`` need ``full_matrices=False`` for non-square ``a``.
        compute_uv: return ``SVDResult(U, S, Vh)``; with False only ``S``.
        hermitian: accepted for compatibility; the general algorithm is used.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.svd(fnp.array([[0.0, 2.0], [1.0, 0.0]]), compute_uv=False)
        Array([2., 1.], dtype=float32)
    """
    del hermitian
    a = _matrix("svd", a, square=False)
    out = lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    return SVDResult(*out) if compute_uv else out


def svdvals(x: Any, /) -> Any:
    """Singular values (descending) of ``(..., m, n)`` matrices.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.svdvals(fnp.array([[3.0, 0.0], [0.0, 4.0]]))
        Array([4., 3.], dtype=float32)
    """
    return svd(x, compute_uv=False)


def qr(a: Any, mode: str = "reduced") -> Any:
    """QR decomposition ``a = Q @ R`` with orthonormal ``Q`` and upper-triangular ``R``.

    Args:
        a: ``(..., m, n)``.
        mode: ``"reduced"`` (k = min(m, n) columns), ``"complete"`` (square ``Q``) or
            ``"r"`` (only ``R``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> q, r = fnp.linalg.qr(fnp.ones((3, 2)))
        >>> q.shape, r.shape
        ((3, 2), (2, 2))
    """
    a = _matrix("qr", a, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(
            f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}"
        )
    q, r = lax_linalg.qr(a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


# ---------------------------------------------------------------------------------------
# Solving and inverting


def solve(a: Any, b: Any) -> Any:
    """Solve ``a @ x = b``.

    Args:
        a: ``(..., n, n)``.
        b: a vector ``(n,)``, or matrices ``(..., n, k)`` whose leading axes broadcast with
            ``a``'s (NumPy 2 rules: only a 1-D ``b`` is a vector).

    Returns:
        ``x``; NaN for a singular ``a``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.solve(fnp.array([[2.0, 0.0], [0.0, 4.0]]), fnp.array([2.0, 2.0]))
        Array([1. , 0.5], dtype=float32)
    """
    a = _matrix("solve", a)
    _, b = promote_inexact(a, b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    n = sa[-1]
    if len(sb) == 1:
        if sb[0] != n:
            raise ShapeError(f"linalg.solve: b of shape {sb} does not fit a of shape {sa}")
        b = lax.broadcast_in_dim(b, (*sa[:-1], 1), (len(sa) - 2,))
        return lax.reshape(lax_linalg.solve(a, b), sa[:-1])
    if len(sb) < 2 or sb[-2] != n:
        raise ShapeError(
            f"linalg.solve: b must be (n,) or (..., n, k) with n = {n} (a is {sa}), got {sb}; "
            "for a batch of vectors use solve(a, b[..., None])[..., 0]"
        )
    try:
        batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ShapeError(
            f"linalg.solve: the batch axes of a {sa} and b {sb} do not broadcast") from None
    a = lax.broadcast_to(a, (*batch, n, n))
    b = lax.broadcast_to(b, (*batch, *sb[-2:]))
    return lax_linalg.solve(a, b)


def inv(a: Any) -> Any:
    """The inverse of square matrices (NaN where singular).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.inv(fnp.array([[2.0, 0.0], [0.0, 4.0]]))
        Array([[0.5 , 0.  ],
               [0.  , 0.25]], dtype=float32)
    """
    a = _matrix("inv", a)
    return lax_linalg.solve(a, lax.broadcast_to(_eye_like(a), get_aval(a).shape))


def slogdet(a: Any, *, method: str | None = None) -> SlogdetResult:
    """Sign and natural log of the absolute determinant (``sign * exp(logabsdet)``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.slogdet(fnp.array([[-2.0, 0.0], [0.0, 1.0]])).logabsdet
        Array(0.6931472, dtype=float32)
    """
    del method
    a = _matrix("slogdet", a)
    return SlogdetResult(*lax_linalg.slogdet(a))


def det(a: Any) -> Any:
    """Determinant of square matrices, as ``sign * exp(log|det|)``.

    Its derivative is ``det(a) * inv(a).T``: finite wherever ``a`` is invertible, NaN at an
    exactly singular ``a`` (where JAX's LU-based rule gives the adjugate).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.det(fnp.array([[1.0, 2.0], [3.0, 4.0]]))
        Array(-2., dtype=float32)
    """
    sign, logabsdet = slogdet(a)
    return lax.mul(sign, lax.exp(logabsdet))


def matrix_power(a: Any, n: int) -> Any:
    """``a`` multiplied by itself ``n`` times (``n < 0`` inverts first; ``n = 0`` is ``I``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.matrix_power(fnp.array([[1.0, 1.0], [0.0, 1.0]]), 3)
        Array([[1., 3.],
               [0., 1.]], dtype=float32)
    """
    a = _matrix("matrix_power", a)
    n = operator.index(n)
    if n < 0:
        a, n = inv(a), -n
    result, base = None, a
    while n:  # binary powering: O(log n) products
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    if result is None:
        return lax.broadcast_to(_eye_like(a), get_aval(a).shape)
    return result


def _eye_like(a: Any) -> Any:
    n = get_aval(a).shape[-1]
    return lax.convert_element_type(
        lax.eq(lax.broadcasted_iota(np.int32, (n, n), 0),
               lax.broadcasted_iota(np.int32, (n, n), 1)), get_aval(a).dtype)


def multi_dot(arrays: Any, *, precision: Any = None) -> Any:
    """The product of a chain of matrices, in the cheapest order (found by ``einsum``).

    The first array may be 1-D (a row vector) and the last 1-D (a column vector).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.multi_dot([fnp.ones((2, 3)), fnp.ones((3, 4)), fnp.ones(4)])
        Array([12., 12.], dtype=float32)
    """
    from opt_einsum import get_symbol as letter

    from .einsum import einsum

    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError(f"linalg.multi_dot needs at least two arrays, got {len(arrays)}")
    terms = []
    for i, x in enumerate(arrays):
        nd = get_aval(promote_inexact(x)[0]).ndim
        first, last = i == 0, i == len(arrays) - 1
        if nd != 2 and not ((first or last) and nd == 1):
            raise ShapeError(
                f"linalg.multi_dot: array {i} has {nd} axes; all must be 2-D (the first "
                "and last may be 1-D)"
            )
        if nd == 1:
            terms.append(letter(i + 1) if first else letter(i))
        else:
            terms.append(letter(i) + letter(i + 1))
    out = "".join(sorted(set(terms[0][:1]) - set("".join(terms[1:]))))
    out += "".join(sorted(set(terms[-1][-1:]) - set("".join(terms[:-1]))))
    return einsum(",".join(terms) + "->" + out, *arrays, precision=precision)


# ---------------------------------------------------------------------------------------
# Norms


def _norm_axes(name: str, axis: Any, ndim: int) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for ax in axes:
        ax = operator.index(ax)
        if not -ndim <= ax < ndim:
            raise ValueError(f"linalg.{name}: axis {ax} is out of bounds for rank {ndim}")
        out.append(ax % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"linalg.{name}: repeated axis in {axis}")
    return tuple(out)


def _sqrt_of_sum(sq: Any, axis: Any, keepdims: bool, power: float = 2.0) -> Any:
    # The root is never taken (nor differentiated) at 0: a zero vector has norm 0 and
    # gradient 0 rather than 0 * inf = NaN.
    s = _red.sum(sq, axis=axis, keepdims=keepdims)
    zero = _uf.equal(s, 0)
    safe = _uf.where(zero, 1, s)
    root = _uf.sqrt(safe) if power == 2.0 else _uf.power(safe, 1.0 / power)
    return _uf.where(zero, 0, root)


def _abs_sq(x: Any) -> Any:
    return _uf.square(_uf.abs(x)) if get_aval(x).dtype.kind == "c" else _uf.multiply(x, x)


def _vector_norm(x: Any, ord: Any, axis: Any, keepdims: bool) -> Any:
    if isinstance(ord, str):
        raise ValueError(f"linalg.norm: invalid norm order {ord!r} for vectors")
    if ord is None or ord == 2:
        return _sqrt_of_sum(_abs_sq(x), axis, keepdims)
    if ord == np.inf:
        return _red.max(_uf.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return _red.min(_uf.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        nonzero = lax.convert_element_type(_uf.not_equal(x, 0), get_aval(x).dtype)
        return _red.sum(nonzero, axis=axis, keepdims=keepdims)
    if ord == 1:
        return _red.sum(_uf.abs(x), axis=axis, keepdims=keepdims)
    p = float(ord)
    return _sqrt_of_sum(_uf.power(_uf.abs(x), p), axis, keepdims, power=p)


def _matrix_norm(x: Any, ord: Any, axes: tuple[int, int], keepdims: bool) -> Any:
    r, c = axes
    if ord is None or ord == "fro":
        return _sqrt_of_sum(_abs_sq(x), axes, keepdims)
    if ord in ("nuc", 2, -2):
        s = svdvals(_shapes.moveaxis(x, axes, (-2, -1)))
        reduce = {"nuc": _red.sum, 2: _red.max, -2: _red.min}[ord]
        out = reduce(s, axis=-1)
        return _shapes.expand_dims(out, tuple(sorted(axes))) if keepdims else out
    if ord in (1, -1, np.inf, -np.inf):
        # 1: the largest column sum (sum down the rows); inf: the largest row sum.
        first = r if ord in (1, -1) else c
        second = c if ord in (1, -1) else r
        sums = _red.sum(_uf.abs(x), axis=first, keepdims=True)
        reduce = _red.max if ord in (1, np.inf) else _red.min
        out = reduce(sums, axis=second, keepdims=True)
        return out if keepdims else _shapes.squeeze(out, axis=axes)
    raise ValueError(
        f"linalg.norm: invalid norm order {ord!r} for matrices; use None, 'fro', 'nuc', "
        "1, -1, 2, -2, inf or -inf"
    )


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Vector or matrix norm, as ``numpy.linalg.norm``.

    Args:
        x: an array.
        ord: for vectors ``None``/2 (Euclidean), 1, ``inf``, ``-inf``, 0 (count of nonzeros)
            or any real p; for matrices ``None``/``"fro"``, ``"nuc"``, 1, -1, 2, -2, ``inf``,
            ``-inf``.
        axis: an int (vector norms), a pair (matrix norms), or None: a 1-D ``x`` takes a
            vector norm, a 2-D ``x`` a matrix norm, and with ``ord=None`` any ``x`` the
            2-norm of all its elements.
        keepdims: keep the reduced axes with size 1.

    Raises:
        ValueError: for an ``ord`` that does not fit, or ``axis=None`` with a non-None
            ``ord`` on an array of more than 2 axes.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.norm(fnp.array([3.0, 4.0]))
        Array(5., dtype=float32)
        >>> fnp.linalg.norm(fnp.array([[1.0, -2.0], [3.0, 4.0]]), ord=1)
        Array(6., dtype=float32)
    """
    (x,) = promote_inexact(x)
    nd = get_aval(x).ndim
    if axis is None:
        if ord is None:
            return _sqrt_of_sum(_abs_sq(x), None, keepdims)
        if nd not in (1, 2):
            raise ValueError(
                f"linalg.norm: with axis=None and ord={ord!r} the input must be 1-D or 2-D, "
                f"got {nd} axes; pass axis= to pick the vector (int) or matrix (pair) axes"
            )
        axis = tuple(range(nd))
    axes = _norm_axes("norm", axis, nd)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"linalg.norm: axis must be an int or a pair of ints, got {axis!r}")


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:
    """Vector norm over ``axis`` (all axes, flattened, when None), as the array API.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.vector_norm(fnp.ones((2, 2)), ord=1)
        Array(4., dtype=float32)
    """
    (x,) = promote_inexact(x)
    nd = get_aval(x).ndim
    axes = tuple(range(nd)) if axis is None else _norm_axes("vector_norm", axis, nd)
    return _vector_norm(x, ord, axes, keepdims)


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    """Matrix norm over the last two axes, as the array API.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linalg.matrix_norm(fnp.array([[3.0, 0.0], [0.0, 4.0]]), ord=2)
        Array(4., dtype=float32)
    """
    x = _matrix("matrix_norm", x, square=False)
    nd = get_aval(x).ndim
    return _matrix_norm(x, ord, (nd - 2, nd - 1), keepdims)


__all__ = [
    "EighResult", "QRResult", "SVDResult", "SlogdetResult", "cholesky", "det", "eigh",
    "eigvalsh", "inv", "matmul", "matrix_norm", "matrix_power", "matrix_transpose",
    "multi_dot", "norm", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm",
]
