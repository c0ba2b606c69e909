"""``funcdiff.numpy`` as a jax.numpy user meets it: every name of the contract exists, values
match NumPy, and the functions composed here differentiate (against finite differences in
float64) and batch (against a Python loop)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp

# The fd.numpy list of DESIGN.md, and common jax.numpy names a port relies on.
CONTRACT = """
array asarray zeros ones full zeros_like ones_like full_like empty empty_like arange linspace
eye sum mean max min prod var std argmax argmin all any reshape transpose swapaxes moveaxis
expand_dims squeeze concatenate stack split tile repeat broadcast_to pad flip where take
take_along_axis matmul dot tensordot einsum outer cumsum sort argsort clip maximum minimum
linalg float32 float64 int32 int8 uint8 bool_ float16 complex64 exp log sin cos tanh sqrt abs
add subtract multiply divide power equal less greater logical_and isnan isfinite
nansum nanmean nanmax nanmin nanstd nanvar average median quantile percentile meshgrid tril
triu diff interp cross logspace geomspace cov corrcoef histogram bincount searchsorted unique
isin delete insert append select nonzero argwhere count_nonzero round floor ceil trunc sign
allclose isclose array_equal result_type promote_types issubdtype finfo iinfo newaxis pi inf
nan ndarray dtype identity tri hstack vstack column_stack atleast_1d atleast_2d ravel roll
rot90 kron trace diagonal diag convolve correlate polyval vander indices ix_ unravel_index
ravel_multi_index nan_to_num fmax fmin signbit logaddexp hypot arctan2 float_power ptp
cumprod nancumsum cumulative_sum block unstack lexsort partition put_along_axis
""".split()


def test_contract_names_exist():
    missing = [n for n in CONTRACT if not hasattr(fnp, n)]
    assert not missing, f"funcdiff.numpy lacks {missing}"


RNG = np.random.default_rng(0)
M = RNG.normal(size=(3, 4)).astype(np.float32)
V = RNG.normal(size=5).astype(np.float32)
W = RNG.uniform(0.5, 2.0, size=4).astype(np.float32)
N = M.copy()
N[0, 1] = N[2, 3] = np.nan
K = np.array([3, 1, 4, 1, 5, 9, 2, 6], np.int32)
S = np.sort(RNG.normal(size=6)).astype(np.float32)

# (id, call with module `m` and its arrays, the NumPy arrays); each is compared with NumPy.
CASES = [
    ("nansum", lambda m, a: m.nansum(a, axis=0), [N]),
    ("nanmean", lambda m, a: m.nanmean(a, axis=1), [N]),
    ("nanmax", lambda m, a: m.nanmax(a), [N]),
    ("nanmin_keep", lambda m, a: m.nanmin(a, axis=0, keepdims=True), [N]),
    ("nanvar", lambda m, a: m.nanvar(a, axis=1, ddof=1), [N]),
    ("nanstd", lambda m, a: m.nanstd(a), [N]),
    ("nanprod", lambda m, a: m.nanprod(a, axis=1), [N]),
    ("nanargmax", lambda m, a: m.nanargmax(a, axis=1), [N]),
    ("nancumsum", lambda m, a: m.nancumsum(a, axis=1), [N]),
    ("nanmedian", lambda m, a: m.nanmedian(a, axis=1), [N]),
    ("nanquantile", lambda m, a: m.nanquantile(a, 0.3, axis=0), [N]),
    ("median", lambda m, a: m.median(a, axis=0), [M]),
    ("median_all", lambda m, a: m.median(a), [M]),
    ("quantile_q_array", lambda m, a, q: m.quantile(a, q, axis=1, keepdims=True),
     [M, np.array([0.1, 0.5, 0.9], np.float32)]),
    ("quantile_methods", lambda m, a: [m.quantile(a, 0.3, method=k) for k in
                                       ("linear", "lower", "higher", "midpoint", "nearest")],
     [V]),
    ("percentile", lambda m, a: m.percentile(a, 75, axis=(0, 1)), [M]),
    ("average", lambda m, a, w: m.average(a, axis=1, weights=w), [M, W]),
    ("average_returned", lambda m, a, w: m.average(a, axis=1, weights=w, returned=True),
     [M, W]),
    ("cov", lambda m, a: m.cov(a), [M]),
    ("cov_cols_ddof0", lambda m, a: m.cov(a, rowvar=False, ddof=0), [M]),
    ("cov_aweights", lambda m, a, w: m.cov(a, aweights=w), [M, W]),
    ("corrcoef", lambda m, a: m.corrcoef(a), [M]),
    ("diff", lambda m, a: m.diff(a, n=2, axis=1), [M]),
    ("diff_prepend", lambda m, a: m.diff(a, prepend=0.0), [V]),
    ("ediff1d", lambda m, a: m.ediff1d(a, to_begin=m.array([9.0])), [V]),
    ("trapezoid_x", lambda m, y, x: m.trapezoid(y, x), [V, S[:5]]),
    ("interp", lambda m, x, xp, fp: m.interp(x, xp, fp), [V, S, W[:2].repeat(3)]),
    ("cross", lambda m, a, b: m.cross(a, b), [M[:, :3], M[::-1, 1:]]),
    ("convolve_same", lambda m, a, b: m.convolve(a, b, mode="same"), [V, W]),
    ("correlate_full", lambda m, a, b: m.correlate(a, b, mode="full"), [V, W]),
    ("tril", lambda m, a: m.tril(a, -1), [M]),
    ("triu", lambda m, a: m.triu(a, 1), [M]),
    ("meshgrid_xy", lambda m, a, b: m.meshgrid(a, b), [V, W]),
    ("meshgrid_ij", lambda m, a, b: m.meshgrid(a, b, indexing="ij"), [V, W]),
    ("logspace", lambda m: m.logspace(0.0, 2.0, 5), []),
    ("logspace_base2", lambda m: m.logspace(1.0, 4.0, 4, base=2.0, endpoint=False), []),
    ("geomspace", lambda m: m.geomspace(1.0, 256.0, 9), []),
    ("linspace", lambda m: m.linspace(-1.0, 1.0, 7, endpoint=False), []),
    ("histogram", lambda m, a: m.histogram(a, bins=4), [V]),
    ("bincount_weights", lambda m, k, w: m.bincount(k, weights=w), [K, K.astype(np.float32)]),
    ("digitize", lambda m, x, b: m.digitize(x, b), [V, S]),
    ("searchsorted_right", lambda m, a, v: m.searchsorted(a, v, side="right"), [S, V]),
    ("unique_counts", lambda m, k: m.unique(k, return_counts=True, return_index=True), [K]),
    ("isin", lambda m, k: m.isin(k, [1, 5, 7]), [K]),
    ("union1d", lambda m, a, b: m.union1d(a, b), [K, K[::2] + 1]),
    ("intersect1d", lambda m, a, b: m.intersect1d(a, b), [K, K[::2] + 1]),
    ("setdiff1d", lambda m, a, b: m.setdiff1d(a, b), [K, K[::2] + 1]),
    ("lexsort", lambda m, a, b: m.lexsort((a, b)), [K, K % 3]),
    ("delete", lambda m, a: m.delete(a, [0, 2], axis=1), [M]),
    ("insert", lambda m, a: m.insert(a, 1, 5.0, axis=0), [M]),
    ("append", lambda m, a, b: m.append(a, b), [M, V]),
    ("select", lambda m, a: m.select([a < -0.5, a > 0.5], [a, 2 * a], -1.0), [M]),
    ("resize", lambda m, a: m.resize(a, (5, 3)), [V]),
    ("rot90", lambda m, a: m.rot90(a, -1), [M]),
    ("roll", lambda m, a: m.roll(a, (1, -2), axis=(0, 1)), [M]),
    ("pad_reflect", lambda m, a: m.pad(a, ((1, 2), (3, 0)), mode="reflect"), [M]),
    ("pad_symmetric", lambda m, a: m.pad(a, 2, mode="symmetric"), [M]),
    ("pad_mean", lambda m, a: m.pad(a, (1, 2), mode="mean"), [V]),
    ("block", lambda m, a: m.block([[a, a], [a, a]]), [M]),
    ("kron", lambda m, a, b: m.kron(a, b), [M[:2, :2], M[1:, 2:]]),
    ("vander", lambda m, a: m.vander(a, 4), [V]),
    ("polyval", lambda m, p, x: m.polyval(p, x), [W, V]),
    ("nan_to_num", lambda m, a: m.nan_to_num(a), [np.array([np.nan, np.inf, -np.inf, 1], "f")]),
    ("fmax", lambda m, a, b: m.fmax(a, b), [N, M[::-1]]),
    ("signbit", lambda m: m.signbit(m.array([-1.0, -0.0, 0.0, 2.0])), []),
    ("ldexp_modf", lambda m, a: [m.ldexp(a, 3), *m.modf(a)], [V]),
    ("float_power", lambda m, a: m.float_power(m.abs(a), 1.5), [V]),
    ("logaddexp2", lambda m, a, b: m.logaddexp2(a, b), [V, V[::-1]]),
    ("tensordot_axes0", lambda m, a, b: m.tensordot(a, b, axes=0), [V[:2], W]),
    ("take_wrap", lambda m, a: m.take(a, [0, 7, -9], mode="wrap"), [V]),
    ("indices", lambda m: m.indices((2, 3)), []),
    ("tri_indices", lambda m: [*m.tril_indices(3, -1), *m.triu_indices(3, 1, 4)], []),
    ("unravel", lambda m: m.unravel_index(m.array([5, 11]), (3, 4)), []),
    ("ravel_multi", lambda m: m.ravel_multi_index((m.array([1, 2]), m.array([3, 0])), (3, 4)),
     []),
    ("ix", lambda m, a: a[m.ix_(m.array([0, 2]), m.array([3, 1]))], [M]),
    ("put_along_axis", lambda m, a: _put_along(m, a), [M]),
    ("cumulative_sum", lambda m, k: m.cumulative_sum(k, include_initial=True), [K]),
    ("sort_descending", lambda m, a: _descending(m, a, sort=True), [M]),
    ("argsort_descending_stable", lambda m, k: _descending(m, k, sort=False), [K]),
]


def _descending(m, a, sort):
    if m is np:  # NumPy has no `descending`: a stable sort of the negated keys
        return np.sort(a, axis=0)[::-1] if sort else np.argsort(-a, kind="stable")
    return m.sort(a, axis=0, descending=True) if sort else m.argsort(a, descending=True)


def _put_along(m, a):
    idx = m.argmax(a, axis=1, keepdims=True)
    if m is np:
        out = a.copy()
        np.put_along_axis(out, idx, 0.0, axis=1)
        return out
    return m.put_along_axis(a, idx, 0.0, axis=1, inplace=False)


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [y for v in x for y in _flat(v)]
    return [x]


@pytest.mark.parametrize("name, call, data", CASES, ids=[c[0] for c in CASES])
def test_values_match_numpy(name, call, data):
    want = call(np, *data)
    got = call(fnp, *[fnp.asarray(d) for d in data])
    w, g = _flat(want), _flat(got)
    assert len(w) == len(g)
    for a, b in zip(g, w):
        assert isinstance(a, fd.Array)
        np.testing.assert_allclose(host(a), b, rtol=2e-5, atol=2e-5, equal_nan=True)


def test_zeros_and_ones_accept_every_shape_form():
    for shape in (3, (3,), [3], (2, 3), [], (), np.int64(3), (np.int32(2), 3), fnp.array(3),
                  fnp.array([2, 3]), fnp.ones((2, 3)).shape):
        want = np.zeros(np.asarray(shape).tolist() if not isinstance(shape, fd.Array)
                        else shape.tolist()).shape
        assert fnp.zeros(shape).shape == want and fnp.ones(shape, dtype=int).shape == want
        assert fnp.full(shape, 7).shape == want and fnp.empty(shape).shape == want


def test_creation_defaults():
    assert fnp.zeros(3).dtype == np.float32 and fnp.arange(3).dtype == np.int32
    assert fnp.arange(3.0).dtype == np.float32 and fnp.eye(2, 3, k=1).tolist() == [
        [0, 1, 0], [0, 0, 1]]
    assert fnp.full((2,), fnp.array([1, 2])).tolist() == [1, 2]
    assert fnp.array([fnp.array(1.0), 2.0]).tolist() == [1.0, 2.0]
    assert fnp.asarray([[1, 2]], dtype=fnp.float16).dtype == np.float16
    assert fnp.array([[1]], ndmin=4).shape == (1, 1, 1, 1)
    assert fnp.copy(fnp.ones(2)).tolist() == [1.0, 1.0]
    assert fnp.linspace(0, 10, 5, dtype=int).tolist() == [0, 2, 5, 7, 10]


def test_reduction_keywords():
    x = fnp.asarray(M)
    mask = M > 0
    np.testing.assert_allclose(host(fnp.sum(x, axis=1, where=mask, initial=1.0)),
                               np.sum(M, axis=1, where=mask, initial=1.0), rtol=1e-6)
    np.testing.assert_allclose(host(fnp.max(x, axis=0, where=mask, initial=-5.0)),
                               np.max(M, axis=0, where=mask, initial=-5.0))
    np.testing.assert_allclose(host(fnp.mean(x, axis=1, where=mask)),
                               np.mean(M, axis=1, where=mask), rtol=1e-6)
    np.testing.assert_allclose(host(fnp.var(x, where=mask, ddof=1)),
                               np.var(M, where=mask, ddof=1), rtol=1e-5)
    assert fnp.max(fnp.zeros(0), initial=1.0).tolist() == 1.0
    assert fnp.sum(fnp.ones(3, dtype=fnp.uint8), promote_integers=False).dtype == np.uint8
    assert fnp.cumsum(fnp.ones(3, dtype=fnp.int8)).dtype == np.int8  # as in JAX
    assert fnp.cumsum(fnp.ones(3, dtype=bool)).dtype == np.int32


def test_set_operations_with_static_size():
    k = fnp.asarray(K)
    assert fnp.unique(k, size=8).tolist() == [1, 2, 3, 4, 5, 6, 9, 1]
    assert fnp.unique(k, size=3, fill_value=0).tolist() == [1, 2, 3]
    vals, counts = fnp.unique(k, return_counts=True, size=3)
    assert counts.tolist() == [2, 1, 1]
    assert fnp.setdiff1d(k, fnp.array([1, 2]), size=7).tolist() == [3, 4, 5, 6, 9, 0, 0]
    assert fnp.nonzero(fnp.array([0, 2, 0, 3]), size=3, fill_value=-1)[0].tolist() == [1, 3, -1]
    assert fnp.unique_all(k).counts.tolist() == [2, 1, 1, 1, 1, 1, 1]
    inverse = fnp.unique_inverse(k).inverse_indices
    assert fnp.unique(k)[inverse].tolist() == K.tolist()


def test_set_operations_under_jit_need_a_size():
    f = fd.jit(lambda k: fnp.unique(k, size=4))
    assert f(fnp.asarray(K)).tolist() == [1, 2, 3, 4]
    with pytest.raises(fd.ConcretizationTypeError, match="static `size=`"):
        fd.jit(lambda k: fnp.unique(k))(fnp.asarray(K))


_GRADS = [
    ("quantile", lambda x: fnp.quantile(x, fnp.array([0.2, 0.7]), axis=1)),
    ("median", lambda x: fnp.median(x, axis=0)),
    ("nanmean", lambda x: fnp.nanmean(fnp.where(x > 1.5, fnp.nan, x), axis=1)),
    ("nanvar", lambda x: fnp.nanvar(fnp.where(x > 1.5, fnp.nan, x))),
    ("nanmax", lambda x: fnp.nanmax(fnp.where(x > 1.5, fnp.nan, x), axis=0)),
    ("average", lambda x: fnp.average(x, axis=0, weights=fnp.array([1.0, 2.0, 3.0]))),
    ("cov", lambda x: fnp.cov(x)),
    ("corrcoef", lambda x: fnp.corrcoef(x)),
    ("diff", lambda x: fnp.diff(x, n=2)),
    ("interp", lambda x: fnp.interp(x[0], fnp.array([-1.0, 0.0, 2.0]), fnp.array([1.0, 3.0, 2.0]))),
    ("cross", lambda x: fnp.cross(x[:, :3], x[:, 1:])),
    ("convolve", lambda x: fnp.convolve(x[0], x[1, :2], mode="same")),
    ("tril_triu", lambda x: fnp.tril(x) * fnp.triu(x, 1)),
    ("trapezoid", lambda x: fnp.trapezoid(x, dx=0.5)),
    ("logspace", lambda x: fnp.logspace(x[0, 0], x[0, 1], 4)),
    ("polyval", lambda x: fnp.polyval(x[0], x[1])),
    ("cumulative_sum", lambda x: fnp.cumulative_sum(x, axis=1, include_initial=True)),
    ("fmax", lambda x: fnp.fmax(x, x[::-1])),
    ("var_where", lambda x: fnp.var(x, where=x > 0.0)),
    ("pad_edge_reflect", lambda x: fnp.pad(fnp.pad(x, 1, mode="edge"), 2, mode="reflect")),
    ("insert_delete", lambda x: fnp.delete(fnp.insert(x, 1, x[0] * 2, axis=0), 0, axis=1)),
    ("select", lambda x: fnp.select([x < 0, x > 1], [x * x, fnp.sin(x)], 0.5)),
]


@pytest.mark.parametrize("name, f", _GRADS, ids=[g[0] for g in _GRADS])
def test_gradients_match_finite_differences(name, f, x64):
    x = fnp.asarray(np.array([[0.3, -0.7, 1.1, 2.4], [1.9, 0.2, -1.3, 0.8],
                              [-0.4, 1.6, 0.5, -2.2]]))
    fd.check_grads(f, (x,), order=2)


_VMAPS = [
    lambda r: fnp.median(r), lambda r: fnp.quantile(r, 0.3), lambda r: fnp.nanmean(r),
    lambda r: fnp.searchsorted(fnp.array([-1.0, 0.0, 1.0]), r), lambda r: fnp.diff(r),
    lambda r: fnp.interp(r, fnp.array([-1.0, 1.0]), fnp.array([0.0, 2.0])),
    lambda r: fnp.unique(r, size=3), lambda r: r.at[fnp.argmax(r)].set(0.0),
    lambda r: fnp.take(r, fnp.array([3, 0, 9])),
    lambda r: fnp.bincount(fnp.abs(fnp.nan_to_num(r)).astype(int), length=3),
]


@pytest.mark.parametrize("f", _VMAPS, ids=[str(i) for i in range(len(_VMAPS))])
def test_vmap_matches_a_loop(f):
    x = fnp.asarray(N)
    batched = fd.vmap(f)(x)
    looped = np.stack([host(f(x[i])) for i in range(x.shape[0])])
    np.testing.assert_allclose(host(batched), looped, rtol=1e-6, equal_nan=True)


def test_functions_trace_into_clean_jaxprs():
    jaxpr = fd.make_jaxpr(lambda x: fnp.nanmean(x, axis=0))(fnp.asarray(M))
    text = str(jaxpr)
    assert "reduce_sum" in text and "ne" in text
    assert str(fd.make_jaxpr(lambda x: fnp.sum(x ** 2))(fnp.ones(3))) == (
        "{ lambda ; a:f32[3]. let\n"
        "    b:f32[3] = integer_pow[y=2] a\n"
        "    c:f32[] = reduce_sum[axes=(0,)] b\n"
        "  in (c,) }"
    )
