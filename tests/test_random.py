"""fd.random: JAX's numbers for the same key, distributions, transforms and errors.

Reference numbers come from ``jax.random`` 0.10 (threefry2x32, partitionable layout),
generated once; bits, keys, integers and permutations must agree exactly, floats to
float32 rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
import funcdiff.random as R

K7 = [0, 7]


def key7():
    return R.key(7)


# --- known values (from JAX) -------------------------------------------------------------------

EXACT = [
    ("key0", lambda: R.key(0), [0, 0]),
    ("key_neg", lambda: R.key(-1), [0, 4294967295]),
    ("key_big", lambda: R.PRNGKey(2**40 + 5), [0, 5]),
    ("split", lambda: R.split(key7(), 3),
     [[3625411723, 1954958720], [195045567, 4062205631], [966301609, 1948237315]]),
    ("fold_in", lambda: R.fold_in(key7(), 123456789), [3349933111, 58029761]),
    ("bits", lambda: R.bits(key7(), (4,)), [2895194379, 4185947648, 1300703658, 1906787632]),
    ("bits8", lambda: R.bits(key7(), (4,), np.uint8), [11, 0, 170, 48]),
    ("bits16", lambda: R.bits(key7(), (4,), np.uint16), [10507, 32256, 10666, 17712]),
    ("randint", lambda: R.randint(key7(), (8,), -3, 17), [16, -1, -3, 14, -1, 3, 1, 11]),
    ("randint_u8", lambda: R.randint(key7(), (6,), 0, 256, np.uint8),
     [31, 102, 124, 237, 222, 102]),
    ("randint_full", lambda: R.randint(key7(), (4,), -2**31, 2**31 - 1),
     [752193311, 1400917350, -455323268, -325042195]),
    ("permutation", lambda: R.permutation(key7(), 10), [9, 4, 2, 3, 5, 0, 7, 6, 1, 8]),
    ("permutation_2d", lambda: R.permutation(key7(), fnp.arange(12).reshape(3, 4), axis=1),
     [[2, 3, 0, 1], [6, 7, 4, 5], [10, 11, 8, 9]]),
    ("permutation_ind", lambda: R.permutation(key7(), fnp.arange(12).reshape(3, 4), axis=1,
                                              independent=True),
     [[2, 3, 0, 1], [4, 5, 7, 6], [10, 9, 11, 8]]),
    ("choice", lambda: R.choice(key7(), 50, (6,)), [49, 22, 0, 37, 22, 36]),
    ("choice_noreplace", lambda: R.choice(key7(), 10, (4,), replace=False), [9, 4, 2, 3]),
    ("choice_p", lambda: R.choice(key7(), 5, (8,), p=fnp.array([0.1, 0.2, 0.3, 0.0, 0.4])),
     [2, 0, 4, 2, 1, 2, 2, 2]),
    ("choice_p_noreplace", lambda: R.choice(key7(), 5, (3,), replace=False,
                                            p=fnp.array([0.1, 0.2, 0.3, 0.0, 0.4])),
     [1, 4, 0]),
    ("bernoulli", lambda: R.bernoulli(key7(), 0.7, (8,)),
     [True, False, True, True, False, True, True, True]),
    ("categorical", lambda: R.categorical(
        key7(), fnp.log(fnp.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])), axis=1, shape=(3, 2)),
     [[1, 1], [1, 2], [2, 0]]),
    ("categorical_noreplace", lambda: R.categorical(key7(), fnp.zeros((2, 6)), shape=(3, 2),
                                                    replace=False),
     [[1, 5], [4, 0], [0, 1]]),
]

CLOSE = [
    ("uniform", lambda: R.uniform(key7(), (6,)),
     [0.6740899085998535, 0.9746168851852417, 0.3028435707092285, 0.4439585208892822,
      0.7308865785598755, 0.6309295892715454]),
    ("uniform_bounds", lambda: R.uniform(key7(), (4,), minval=-2.0, maxval=3.0),
     [1.3704495429992676, 2.873084545135498, -0.4857821464538574, 0.21979260444641113]),
    ("normal", lambda: R.normal(key7(), (6,)),
     [0.4512351453304291, 1.9534509181976318, -0.5162394642829895, -0.14094029366970062,
      0.6154966950416565, 0.3343164920806885]),
    ("exponential", lambda: R.exponential(key7(), (4,)),
     [1.121133804321289, 3.673671007156372, 0.36074545979499817, 0.5869123935699463]),
    ("truncated_normal", lambda: R.truncated_normal(key7(), -1.5, 2.0, (4,)),
     [0.46917420625686646, 1.6863933801651, -0.4055710732936859, -0.0727413147687912]),
    ("gumbel", lambda: R.gumbel(key7(), (4,)),
     [0.9304105043411255, 3.6608431339263916, -0.17776018381118774, 0.20822525024414062]),
]


@pytest.mark.parametrize("name,fn,expected", EXACT, ids=[c[0] for c in EXACT])
def test_exact_values_match_jax(name, fn, expected):
    out = host(fn())
    np.testing.assert_array_equal(out, np.array(expected, dtype=out.dtype))


@pytest.mark.parametrize("name,fn,expected", CLOSE, ids=[c[0] for c in CLOSE])
def test_float_values_match_jax(name, fn, expected):
    out = host(fn())
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=2e-6, atol=1e-7)


def test_uniform_is_bit_exact_on_unit_interval():
    # The default range takes no arithmetic beyond JAX's own, so every bit agrees.
    out = host(R.uniform(key7(), (6,)))
    assert out.tolist() == np.array(CLOSE[0][2], np.float32).tolist()


def test_x64_values_match_jax(x64):
    np.testing.assert_array_equal(host(R.key(-1)), [4294967295, 4294967295])
    np.testing.assert_array_equal(host(R.key(2**40 + 5)), [256, 5])
    b = host(R.bits(key7(), (3,)))
    assert b.dtype == np.uint64
    np.testing.assert_array_equal(
        b, np.array([15571024786774969728, 837714335556982463, 4150233810675416579], np.uint64))
    u = host(R.uniform(key7(), (3,)))
    assert u.dtype == np.float64
    assert u.tolist() == [0.8441069450823528, 0.04541258512665647, 0.22498462569285382]
    np.testing.assert_allclose(host(R.normal(key7(), (3,))),
                               [1.0114813355590866, -1.6910609087906374, -0.7554662899926428],
                               rtol=1e-13)
    np.testing.assert_array_equal(host(R.randint(key7(), (3,), -10**12, 10**12)),
                                  [565873535173, 705619275709, -91019902590])


def test_dtypes_and_shapes():
    k = key7()
    assert R.uniform(k).shape == () and R.uniform(k).dtype == np.float32
    assert R.normal(k, (2, 3), fnp.float16).dtype == np.float16
    assert R.randint(k, (2,), 0, 5, fnp.int8).dtype == np.int8
    assert R.bernoulli(k, fnp.full((2, 2), 0.5)).shape == (2, 2)
    assert R.normal(k, 3).shape == (3,)  # an int shape means a 1-D shape, as in JAX
    assert R.uniform(k, (0, 4)).shape == (0, 4)
    assert R.split(k, (2, 3)).shape == (2, 3, 2)
    assert R.choice(k, fnp.arange(12).reshape(3, 4), (2,), axis=1).shape == (3, 2)
    assert R.choice(k, 5, (0,)).shape == (0,)
    assert R.truncated_normal(k, fnp.zeros(3), 1.0).shape == (3,)


# --- statistics ------------------------------------------------------------------------------


def _ks(samples, cdf):
    x = np.sort(samples.astype(np.float64))
    n = len(x)
    c = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - c), np.max(c - np.arange(n) / n))


N = 20000
KS_LIMIT = 1.63 / math.sqrt(N)  # the 1% critical value of the Kolmogorov-Smirnov statistic


def test_uniform_statistics():
    u = host(R.uniform(R.key(1), (N,)))
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005
    assert _ks(u, lambda x: x) < KS_LIMIT
    v = host(R.uniform(R.key(1), (N,), minval=-3.0, maxval=-1.0))
    assert v.min() >= -3 and v.max() < -1


def test_normal_statistics():
    z = host(R.normal(R.key(2), (N,)))
    assert abs(z.mean()) < 0.03 and abs(z.var() - 1) < 0.04
    phi = np.vectorize(lambda t: 0.5 * (1 + math.erf(t / math.sqrt(2))))
    assert _ks(z, phi) < KS_LIMIT


def test_truncated_normal_statistics():
    lo, hi = -0.5, 1.5
    x = host(R.truncated_normal(R.key(3), lo, hi, (N,)))
    assert x.min() > lo and x.max() < hi
    pdf = lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda t: 0.5 * (1 + math.erf(t / math.sqrt(2)))  # noqa: E731
    mean = (pdf(lo) - pdf(hi)) / (cdf(hi) - cdf(lo))
    assert abs(x.mean() - mean) < 0.02


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_nextafter_in_float_operations(dtype):
    from funcdiff.random.distributions import _nextafter

    x = np.array([1.0, -1.0, 2.0, -2.0, 0.75, -3.3, 1e-3, 0.0, np.inf, -np.inf, 65504.0 / 2],
                 dtype)
    for up, target in ((True, np.inf), (False, -np.inf)):
        got = host(_nextafter(fnp.array(x), up))
        want = np.where(np.isinf(x), x, np.nextafter(x, dtype(target)))
        np.testing.assert_array_equal(got, want)


def test_truncated_normal_stays_inside_tight_bounds():
    x = host(R.truncated_normal(R.key(0), 5.0, 5.001, (1000,)))
    assert (x > 5.0).all() and (x < 5.001).all()


def test_discrete_statistics():
    b = host(R.bernoulli(R.key(4), 0.2, (N,)))
    assert b.dtype == np.bool_ and abs(b.mean() - 0.2) < 0.01
    r = host(R.randint(R.key(5), (N,), 3, 8))
    assert r.min() == 3 and r.max() == 7
    counts = np.bincount(r - 3)
    assert np.all(np.abs(counts / N - 0.2) < 0.015)
    e = host(R.exponential(R.key(6), (N,)))
    assert e.min() >= 0 and abs(e.mean() - 1) < 0.03


def test_categorical_frequencies():
    p = np.array([0.1, 0.6, 0.3])
    s = host(R.categorical(R.key(8), fnp.log(fnp.array(p)), shape=(N,)))
    np.testing.assert_allclose(np.bincount(s, minlength=3) / N, p, atol=0.015)
    q = host(R.choice(R.key(9), 3, (N,), p=fnp.array(p)))
    np.testing.assert_allclose(np.bincount(q, minlength=3) / N, p, atol=0.015)


def test_permutation_and_choice_without_replacement():
    p = host(R.permutation(R.key(10), 1000))
    assert sorted(p.tolist()) == list(range(1000)) and (p != np.arange(1000)).any()
    c = host(R.choice(R.key(11), 100, (50,), replace=False))
    assert len(set(c.tolist())) == 50
    x = fnp.arange(20).reshape(4, 5)
    rows = host(R.permutation(R.key(12), x))
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, host(x).tolist()))


# --- keys -----------------------------------------------------------------------------------


def test_reproducible_and_independent():
    k = R.key(123)
    np.testing.assert_array_equal(host(R.normal(k, (5,))), host(R.normal(R.key(123), (5,))))
    k1, k2 = R.split(k)
    a, b = host(R.normal(k1, (N,))), host(R.normal(k2, (N,)))
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.03
    keys = host(R.split(k, 100))
    assert len({tuple(r) for r in keys.tolist()}) == 100
    folded = {tuple(host(R.fold_in(k, i)).tolist()) for i in range(50)}
    assert len(folded) == 50
    # fold_in(k, i) is the i-th key of a split, in JAX's layout.
    np.testing.assert_array_equal(host(R.fold_in(k, 3)), host(R.split(k, 4))[3])


def test_key_accepts_numpy_and_integer_arrays():
    k = np.array([0, 7], np.uint32)
    np.testing.assert_array_equal(host(R.uniform(k, (2,))), host(R.uniform(key7(), (2,))))
    np.testing.assert_array_equal(host(R.key(fnp.array(7))), K7)
    np.testing.assert_array_equal(host(R.key(np.uint32(7))), K7)
    np.testing.assert_array_equal(host(R.key_data(key7())), K7)
    np.testing.assert_array_equal(host(R.wrap_key_data(np.array(K7, np.uint32))), K7)
    np.testing.assert_array_equal(host(R.clone(key7())), K7)


# --- transforms ------------------------------------------------------------------------------


SAMPLERS = [
    ("uniform", lambda k: R.uniform(k, (3,))),
    ("normal", lambda k: R.normal(k, (3,))),
    ("split", lambda k: R.split(k, 3)),
    ("fold_in", lambda k: R.fold_in(k, 5)),
    ("randint", lambda k: R.randint(k, (4,), 0, 7)),
    ("permutation", lambda k: R.permutation(k, 6)),
    ("bernoulli", lambda k: R.bernoulli(k, 0.3, (5,))),
    ("categorical", lambda k: R.categorical(k, fnp.zeros((2, 3)))),
    ("choice", lambda k: R.choice(k, 5, (2,), p=fnp.array([0.1, 0.2, 0.3, 0.2, 0.2]))),
    ("truncated_normal", lambda k: R.truncated_normal(k, -1.0, 1.0, (3,))),
]


@pytest.mark.parametrize("name,fn", SAMPLERS, ids=[s[0] for s in SAMPLERS])
def test_vmap_over_keys_matches_a_loop(name, fn):
    keys = R.split(R.key(0), 4)
    batched = host(fd.vmap(fn)(keys))
    loop = np.stack([host(fn(keys[i])) for i in range(4)])
    np.testing.assert_array_equal(batched, loop)


def test_vmap_over_seeds_and_fold_in_data():
    keys = host(fd.vmap(R.key)(fnp.arange(3)))
    np.testing.assert_array_equal(keys, [[0, 0], [0, 1], [0, 2]])
    folded = host(fd.vmap(R.fold_in, in_axes=(None, 0))(key7(), fnp.arange(3)))
    np.testing.assert_array_equal(folded[2], host(R.fold_in(key7(), 2)))


@pytest.mark.parametrize("name,fn", SAMPLERS[:5], ids=[s[0] for s in SAMPLERS[:5]])
def test_traceable_into_a_jaxpr(name, fn):
    from funcdiff.core.tracing import eval_jaxpr

    k = R.key(3)
    closed = fd.make_jaxpr(fn)(k)
    assert "u32" in str(closed)
    jit = getattr(fd, "jit", None)
    expected = host(fn(k))
    if jit is not None:
        np.testing.assert_array_equal(host(jit(fn)(k)), expected)
    jaxpr = getattr(closed, "jaxpr", closed)
    consts = getattr(closed, "consts", getattr(closed, "literals", []))
    try:
        (out,) = eval_jaxpr(jaxpr, consts, k)
    except TypeError:
        pytest.skip("this Jaxpr keeps its constants elsewhere")
    np.testing.assert_array_equal(host(out), expected)


def test_gradients_through_parameters(x64):
    k = key7()
    g = fd.grad(lambda m: R.uniform(k, (3,), minval=m, maxval=5.0).sum())(1.0)
    u = host(R.uniform(k, (3,)))
    assert abs(float(g) - float((1 - u).sum())) < 1e-12
    # d/dlower of a truncated normal sample (JAX gives 0.9527300279563479 too).
    g = fd.grad(lambda lo: R.truncated_normal(R.key(0), lo, 2.0, (3,)).sum())(-1.0)
    assert abs(float(g) - 0.9527300279563479) < 1e-9


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad,match", [
    (lambda: R.uniform(fnp.zeros(2), (2,)), r"needs a PRNG key.*got f32\[2\].*key\(seed\)"),
    (lambda: R.normal(np.zeros(3, np.uint32)), r"got u32\[3\]"),
    (lambda: R.normal(R.split(R.key(0), 3)), r"batch of \(3,\) keys.*fd\.vmap"),
    (lambda: R.split(5), r"fd.random.split needs a PRNG key.*got int"),
    (lambda: R.key(1.5), "integer seed"),
    (lambda: R.key(fnp.arange(3)), "integer scalar seed.*fd.vmap"),
    (lambda: R.fold_in(R.key(0), fnp.arange(2)), "integer scalar"),
    (lambda: R.normal(R.key(0), (2.0,)), "shape must be a tuple of ints"),
    (lambda: R.choice(R.key(0), 5, 3), "shape must be a tuple"),
    (lambda: R.permutation(R.key(0), fnp.array(2.5)), "integer or an array"),
    (lambda: R.bernoulli(R.key(0), fnp.array([1, 0])), "p must be floating"),
    (lambda: R.randint(R.key(0), (2,), 0, 5, fnp.float32), "integer dtype"),
])
def test_type_errors(bad, match):
    with pytest.raises(TypeError, match=match):
        bad()


@pytest.mark.parametrize("bad,match", [
    (lambda: R.uniform(R.key(0), (2,), fnp.int32), "must be a float dtype, got int32"),
    (lambda: R.bits(R.key(0), (2,), fnp.int32), "unsigned integer dtype"),
    (lambda: R.normal(R.key(0), (-1,)), "negative dimension"),
    (lambda: R.uniform(R.key(0), (2,), minval=fnp.zeros(3)),
     r"parameter shapes \(3,\).*requested shape \(2,\)"),
    (lambda: R.randint(R.key(0), (2,), fnp.zeros((3, 2), fnp.int32), 5), "broadcast"),
    (lambda: R.choice(R.key(0), 3, (5,), replace=False), "cannot take 5 samples.*of 3"),
    (lambda: R.choice(R.key(0), 3, (2,), p=fnp.ones(4) / 4), r"p has shape \(4,\)"),
    (lambda: R.choice(R.key(0), 0, (2,)), "must be positive"),
    (lambda: R.categorical(R.key(0), fnp.zeros(3), shape=(4,), replace=False),
     "4 samples without replacement exceed the 3 categories"),
    (lambda: R.categorical(R.key(0), fnp.zeros(3), axis=2), "out of bounds"),
    (lambda: R.gumbel(R.key(0), (2,), mode="mid"), "mode must be"),
    (lambda: R.truncated_normal(R.key(0), fnp.zeros(2), fnp.zeros(3)), "do not broadcast"),
])
def test_value_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_overflow_errors():
    with pytest.raises(OverflowError, match="does not fit in 64 bits"):
        R.key(2**70)
    with pytest.raises(OverflowError, match="maxval=4294967296 does not fit in int32"):
        R.randint(R.key(0), (2,), 0, 2**32)
