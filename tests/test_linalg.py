"""Linear algebra: ``funcdiff.lax.linalg`` primitives and ``funcdiff.numpy.linalg``.

The op table (``op_rows_linalg.py``) checks values, first and second derivatives; here:
batching against a Python loop for every linalg/einsum row, derivatives of compositions
(Hessians, grad of vmap), the choices finite differences cannot pin (norm at 0, repeated
eigenvalues, NaN for matrices that cannot be factored), and every error message.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import host
from op_rows_linalg import ROWS
from op_table import OpRow, put, sample

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.core.primitive import ShapeError

VMAP_ROWS = [r for r in ROWS if r.vmap]


def _spd(rng, n, *batch):
    a = rng.normal(size=(*batch, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


# --- batching: vmap against a loop, every in_axes combination --------------------------------


def _leaves(out) -> list:
    return [host(o) for o in fd.tree.leaves(out)]


@pytest.mark.parametrize("row", VMAP_ROWS, ids=str)
def test_vmap_matches_loop(row: OpRow, x64):
    rng = np.random.default_rng(3)
    base = [sample(a, rng, "float64" if a.dtype == "float32" else None) for a in row.args]
    size = 3
    for axes in itertools.product((0, 1, None), repeat=len(base)):
        if all(ax is None for ax in axes) or any(
                ax == 1 and b.ndim == 0 for ax, b in zip(axes, base, strict=True)):
            continue
        stacked = []
        for b, a, ax in zip(base, row.args, axes, strict=True):
            if ax is None:
                stacked.append(b)
                continue
            items = [b] + [sample(a, rng, str(b.dtype)) for _ in range(size - 1)]
            stacked.append(np.stack(items, axis=ax))

        def fn(*xs):
            return row.fn(*xs, **row.static)

        got = _leaves(fd.vmap(fn, in_axes=axes)(*[put(s) for s in stacked]))
        loop = [_leaves(fn(*[put(s if ax is None else np.take(s, i, axis=ax))
                             for s, ax in zip(stacked, axes, strict=True)]))
                for i in range(size)]
        for k, g in enumerate(got):
            want = np.stack([item[k] for item in loop])
            np.testing.assert_allclose(g, want, rtol=1e-9, atol=1e-9,
                                       err_msg=f"{row.name} in_axes={axes} output {k}")


def test_vmap_unbatched_matrix_folds_into_one_solve(x64):
    # An unbatched `a` is factored once: the batch goes into b's columns, not a loop.
    rng = np.random.default_rng(0)
    a, b = put(_spd(rng, 3)), put(rng.normal(size=(5, 3, 2)))
    jaxpr = fd.make_jaxpr(fd.vmap(lax.linalg.solve, in_axes=(None, 0)))(a, b)
    solves = [e for e in jaxpr.eqns if e.prim is lax.linalg.solve_p]
    assert len(solves) == 1 and solves[0].invars[0].aval.shape == (3, 3)
    want = np.linalg.solve(host(a), host(b))
    np.testing.assert_allclose(host(fd.vmap(lax.linalg.solve, in_axes=(None, 0))(a, b)), want)
    f = fd.vmap(lambda b: lax.linalg.triangular_solve(a, b, lower=True), in_axes=0)
    low = np.tril(host(a))
    b2 = rng.normal(size=(5, 2, 3))
    want = np.stack([x @ np.linalg.inv(low) for x in b2])
    np.testing.assert_allclose(host(f(put(b2))), want, rtol=1e-10)


# --- derivatives of compositions ------------------------------------------------------------


def test_hessian_of_logdet_is_minus_inv_kron_inv(x64):
    # d²/dA² log det A [E, F] = -tr(A⁻¹ E A⁻¹ F)
    rng = np.random.default_rng(1)
    a = _spd(rng, 3) + np.triu(np.ones((3, 3)), 1)
    h = host(fd.hessian(lambda x: fnp.linalg.slogdet(x).logabsdet)(put(a)))
    inv = np.linalg.inv(a)
    want = -np.einsum("li,jk->ijkl", inv, inv)
    np.testing.assert_allclose(h, want, rtol=1e-8, atol=1e-10)


def test_det_gradient_is_cofactor_matrix(x64):
    rng = np.random.default_rng(2)
    a = rng.normal(size=(4, 4))
    g = host(fd.grad(fnp.linalg.det)(put(a)))
    np.testing.assert_allclose(g, np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-9)


def test_grad_of_vmap_and_vmap_of_grad_agree(x64):
    rng = np.random.default_rng(4)
    xs = put(_spd(rng, 3, 4))

    def loss(x):
        return fnp.sum(fnp.linalg.cholesky(x) ** 2) + fnp.linalg.slogdet(x).logabsdet

    g1 = host(fd.grad(lambda xs: fnp.sum(fd.vmap(loss)(xs)))(xs))
    g2 = host(fd.vmap(fd.grad(loss))(xs))
    np.testing.assert_allclose(g1, g2, rtol=1e-10)


def test_inverse_gradient_closed_form(x64):
    # d inv(A) = -inv(A) dA inv(A)
    rng = np.random.default_rng(5)
    a = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    t = rng.normal(size=(3, 3))
    _, dt = fd.jvp(fnp.linalg.inv, (put(a),), (put(t),))
    inv = np.linalg.inv(a)
    np.testing.assert_allclose(host(dt), -inv @ t @ inv, rtol=1e-9)


def test_cholesky_gradient_is_symmetric(x64):
    rng = np.random.default_rng(6)
    g = host(fd.grad(lambda x: fnp.sum(fnp.sin(fnp.linalg.cholesky(x))))(put(_spd(rng, 4))))
    np.testing.assert_allclose(g, g.T, rtol=1e-12)


# --- where finite differences say nothing --------------------------------------------------------


@pytest.mark.parametrize("ord", [None, 2, 3])
def test_norm_gradient_at_zero_is_zero_not_nan(ord, x64):
    # JAX gives NaN here (sqrt differentiated at 0); a subgradient, 0, is more useful.
    g = host(fd.grad(lambda x: fnp.linalg.norm(x, ord=ord))(fnp.zeros(3)))
    np.testing.assert_array_equal(g, np.zeros(3))
    h = host(fd.hessian(lambda x: fnp.linalg.norm(x))(fnp.zeros(3)))
    assert np.isfinite(h).all()
    g = host(fd.grad(lambda x: fnp.linalg.norm(x, ord="fro"))(fnp.zeros((2, 2))))
    np.testing.assert_array_equal(g, np.zeros((2, 2)))


def test_norm_gradient_away_from_zero_unchanged(x64):
    x = np.array([3.0, -4.0])
    g = host(fd.grad(fnp.linalg.norm)(put(x)))
    np.testing.assert_allclose(g, x / 5.0)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_eigenvalue_gradient_finite_at_repeated_eigenvalues(x64):
    # Eigenvalue derivatives stay defined where eigenvalues repeat; eigenvectors' do not.
    g = host(fd.grad(lambda x: fnp.sum(fnp.linalg.eigvalsh(x) ** 2))(fnp.eye(3)))
    np.testing.assert_allclose(g, 2 * np.eye(3))
    _, (dw, dv) = fd.jvp(lambda x: tuple(fnp.linalg.eigh(x)), (fnp.eye(2),),
                         (put(np.array([[0.0, 1.0], [1.0, 0.0]])),))
    np.testing.assert_allclose(np.sort(host(dw)), [0.0, 0.0])
    assert not np.isfinite(host(dv)).all()


def test_svd_values_gradient_is_u_vt(x64):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4, 3))
    g = host(fd.grad(lambda a: fnp.sum(fnp.linalg.svdvals(a)))(put(x)))
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    np.testing.assert_allclose(g, u @ vh, rtol=1e-9)


def test_failed_factorizations_give_nan_per_matrix():
    batch = put(np.stack([np.eye(2), -np.eye(2)]).astype(np.float32))
    out = host(fnp.linalg.cholesky(batch))
    np.testing.assert_allclose(out[0], np.eye(2))
    assert np.isnan(out[1]).all()
    singular = put(np.stack([np.eye(2), np.zeros((2, 2))]).astype(np.float32))
    x = host(fnp.linalg.solve(singular, put(np.ones((2, 2, 1), np.float32))))
    np.testing.assert_allclose(x[0], np.ones((2, 1)))
    assert np.isnan(x[1]).all()


def test_det_and_slogdet_of_singular_matrix():
    a = put(np.array([[1.0, 2.0], [2.0, 4.0]], np.float32))
    assert float(host(fnp.linalg.det(a))) == 0.0
    sign, logdet = fnp.linalg.slogdet(a)
    assert float(host(sign)) == 0.0 and host(logdet) == -np.inf


def test_integer_input_becomes_float():
    out = fnp.linalg.inv(put(np.array([[2, 0], [0, 4]], np.int32)))
    assert out.dtype == np.float32
    assert fnp.linalg.norm(put(np.array([3, 4], np.int32))).dtype == np.float32


def test_results_are_named_tuples():
    x = put(np.array([[2.0, 1.0], [1.0, 2.0]], np.float32))
    assert fnp.linalg.eigh(x)._fields == ("eigenvalues", "eigenvectors")
    assert fnp.linalg.svd(x)._fields == ("U", "S", "Vh")
    assert fnp.linalg.qr(x)._fields == ("Q", "R")
    assert fnp.linalg.slogdet(x)._fields == ("sign", "logabsdet")
    assert fnp.linalg.qr(x, mode="r").shape == (2, 2)


def test_decompositions_reconstruct(x64):
    rng = np.random.default_rng(8)
    x = put(rng.normal(size=(2, 5, 3)))
    u, s, vh = fnp.linalg.svd(x, full_matrices=False)
    np.testing.assert_allclose(host((u * s[..., None, :]) @ vh), host(x), atol=1e-12)
    q, r = fnp.linalg.qr(x)
    np.testing.assert_allclose(host(q @ r), host(x), atol=1e-12)
    u, s, vh = fnp.linalg.svd(x)
    assert u.shape == (2, 5, 5) and vh.shape == (2, 3, 3)


def test_matrix_power_and_matmul():
    a = put(np.array([[1.0, 1.0], [0.0, 1.0]], np.float32))
    np.testing.assert_allclose(host(fnp.linalg.matrix_power(a, 0)), np.eye(2))
    np.testing.assert_allclose(host(fnp.linalg.matrix_power(a, 5)), [[1, 5], [0, 1]])
    np.testing.assert_allclose(host(fnp.linalg.matmul(a, a)), [[1, 2], [0, 1]])


@pytest.mark.parametrize("kw", [dict(), dict(axis=0), dict(axis=(0, 1), ord="nuc"),
                                dict(axis=-1, ord=1, keepdims=True)])
def test_norm_matches_numpy(kw):
    x = np.random.default_rng(9).normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(host(fnp.linalg.norm(put(x), **kw)), np.linalg.norm(x, **kw),
                               rtol=1e-5)


def test_vector_and_matrix_norm():
    x = np.random.default_rng(10).normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(host(fnp.linalg.vector_norm(put(x))), np.linalg.norm(x.ravel()),
                               rtol=1e-5)
    np.testing.assert_allclose(host(fnp.linalg.vector_norm(put(x), axis=(1, 2), ord=1)),
                               np.abs(x).sum(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(host(fnp.linalg.matrix_norm(put(x), ord=np.inf)),
                               np.linalg.norm(x, ord=np.inf, axis=(1, 2)), rtol=1e-5)


# --- errors -------------------------------------------------------------------------------


def test_error_not_square():
    with pytest.raises(ShapeError, match=r"cholesky: needs square matrices.*f32\[2,3\]"):
        lax.linalg.cholesky(fnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"linalg.inv needs square matrices.*\(3,\)"):
        fnp.linalg.inv(fnp.ones(3))


def test_error_dtype():
    with pytest.raises(TypeError, match=r"eigh: needs a float32 or float64 array, got i32"):
        lax.linalg.eigh(put(np.eye(2, dtype=np.int32)), symmetrize_input=False)


def test_error_solve_shapes():
    with pytest.raises(ShapeError, match=r"same leading \(batch\) axes"):
        lax.linalg.solve(fnp.ones((2, 3, 3)), fnp.ones((3, 3, 1)))
    with pytest.raises(ShapeError, match=r"axis -2 must have a's size 3"):
        lax.linalg.triangular_solve(fnp.eye(3), fnp.ones((2, 4)), left_side=True)
    with pytest.raises(ShapeError, match=r"b\[\.\.\., None\]"):
        fnp.linalg.solve(fnp.ones((2, 3, 3)), fnp.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"b of shape \(4,\) does not fit"):
        fnp.linalg.solve(fnp.eye(3), fnp.ones(4))
    with pytest.raises(ShapeError, match="do not broadcast"):
        fnp.linalg.solve(fnp.ones((2, 3, 3)), fnp.ones((4, 3, 1)))
    with fd.config.override(enable_x64=True), pytest.raises(
            TypeError, match="solve: needs a and b of one dtype, got float32 and float64"):
        lax.linalg.solve(fnp.eye(2, dtype=np.float32), put(np.ones((2, 1), np.float64)))


def test_error_norm_orders():
    with pytest.raises(ValueError, match=r"invalid norm order 'fro' for vectors"):
        fnp.linalg.norm(fnp.ones(3), ord="fro")
    with pytest.raises(ValueError, match=r"invalid norm order 3 for matrices.*'nuc'"):
        fnp.linalg.norm(fnp.ones((2, 2)), ord=3)
    with pytest.raises(ValueError, match=r"must be 1-D or 2-D, got 3 axes; pass axis="):
        fnp.linalg.norm(fnp.ones((2, 2, 2)), ord=1)
    with pytest.raises(ValueError, match="an int or a pair of ints"):
        fnp.linalg.norm(fnp.ones((2, 2, 2)), axis=(0, 1, 2))
    with pytest.raises(ValueError, match="axis 5 is out of bounds for rank 2"):
        fnp.linalg.norm(fnp.ones((2, 2)), axis=5)
    with pytest.raises(ValueError, match="repeated axis"):
        fnp.linalg.norm(fnp.ones((2, 2)), axis=(1, 1))


def test_error_modes():
    with pytest.raises(ValueError, match="mode must be 'reduced', 'complete' or 'r'"):
        fnp.linalg.qr(fnp.ones((2, 2)), mode="raw")
    with pytest.raises(ValueError, match="UPLO must be 'L' or 'U'"):
        fnp.linalg.eigh(fnp.eye(2), UPLO="X")
    with pytest.raises(ValueError, match="at least two arrays"):
        fnp.linalg.multi_dot([fnp.eye(2)])
    with pytest.raises(ShapeError, match="array 1 has 3 axes"):
        fnp.linalg.multi_dot([fnp.eye(2), fnp.ones((2, 2, 2)), fnp.eye(2)])


def test_error_undefined_derivatives():
    x = put(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        fd.grad(lambda a: fnp.sum(fnp.linalg.svd(a).U))(x)
    with pytest.raises(NotImplementedError, match=r"mode='reduced'"):
        fd.grad(lambda a: fnp.sum(fnp.linalg.qr(a, mode="complete").Q))(x)


def test_error_transposing_in_a():
    from funcdiff.transforms import ad_rules

    a = ad_rules.UndefinedPrimal(fd.core.aval.ShapedArray((2, 2), np.float32))
    with pytest.raises(TypeError, match="linear in b only"):
        ad_rules.transpose_rules[lax.linalg.solve_p](fnp.ones((2, 1)), a, fnp.ones((2, 1)))
