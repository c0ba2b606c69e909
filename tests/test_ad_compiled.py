"""Eager grad's compiled backward pass (funcdiff/transforms/ad_compiled.py).

From the second time a tape structure is seen, its backward pass runs as generated code.
It must give what walking the tape gives, for every op-table row, and must step aside
wherever its key cannot capture what the backward pass depends on: under an enclosing
trace, with residual-keeping rules, with debug_nans, with values that change between calls.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import host
from op_table import all_rows, put
from test_op_grads import _differentiable

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.transforms import ad_compiled

ROWS = [r for r in all_rows() if r.grad]


@pytest.fixture(autouse=True)
def fresh_cache():
    ad_compiled.clear()
    yield
    ad_compiled.clear()


def _keyable(jaxpr) -> bool:
    """Whether every equation's parameters can key the cache (no sub-jaxprs, no arrays)."""
    for eqn in jaxpr.eqns:
        try:
            hash(tuple(eqn.params.items()))
        except TypeError:
            return False
    return True


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_compiled_backward_matches_the_tape_walk(row, x64):
    rng = np.random.default_rng(0)
    g, xs = _differentiable(row, rng)
    fxs = tuple(put(x) for x in xs)
    cs = tuple(put(rng.normal(size=host(o).shape)) for o in g(*fxs))
    with fd.config.override(eager_backward_compile=False):
        want = fd.vjp(g, *fxs)[1](cs)
    runs = ad_compiled.info()["runs"]
    for k in range(3):  # walked, compiled and run, run from the cache
        got = fd.vjp(g, *fxs)[1](cs)
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape, f"{row.name} call {k}"
            np.testing.assert_allclose(host(a), host(b), rtol=1e-12, atol=1e-12,
                                       err_msg=f"{row.name}: call {k}")
    jaxpr = fd.make_jaxpr(g)(*fxs)
    custom = any(e.prim.name.startswith("custom") for e in jaxpr.eqns)
    if _keyable(jaxpr) and not custom:
        assert ad_compiled.info()["runs"] - runs == 2, f"{row.name} did not run compiled"


def _grads(g, x, n=3):
    return [host(g(x)) for _ in range(n)]


def test_first_call_walks_then_code_runs():
    g = fd.grad(lambda x: fnp.sum(fnp.tanh(x) ** 2))
    x = fnp.linspace(-1.0, 1.0, 5)
    want = 2 * np.tanh(host(x)) * (1 - np.tanh(host(x)) ** 2)
    for k, got in enumerate(_grads(g, x)):
        np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=f"call {k}")
    assert ad_compiled.info() == {"compiled": 1, "unsupported": 0, "runs": 2}


def test_a_captured_scalar_array_is_read_each_call():
    # A 0-d array closed over is a literal of the tape: its value must not be baked in.
    x = fnp.ones(3)
    for c in (2.0, 3.0, 5.0, 7.0):
        s = fnp.asarray(c)
        got = fd.grad(lambda x, s=s: fnp.sum(x * s))(x)
        np.testing.assert_allclose(host(got), [c] * 3)
    assert ad_compiled.info()["runs"] == 3  # all calls but the first


def test_python_constants_key_the_code():
    # A Python scalar given to lax stays a literal of the tape: part of the key, one
    # program per value. (funcdiff.numpy turns it into a 0-d array: an input, one program.)
    x = fnp.ones(2)
    for c in (2.0, 3.0, 2.0, 3.0, 2.0, 3.0):
        got = fd.grad(lambda x, c=c: fnp.sum(lax.mul(x, c) ** 2))(x)
        np.testing.assert_allclose(host(got), [2 * c * c] * 2)
    assert ad_compiled.info() == {"compiled": 2, "unsupported": 0, "runs": 4}
    for c in (2.0, 3.0, 5.0):
        got = fd.grad(lambda x, c=c: fnp.sum(x ** 2 * c))(x)
        np.testing.assert_allclose(host(got), [2 * c] * 2)
    assert ad_compiled.info()["compiled"] == 3


def test_python_control_flow_follows_each_call():
    def f(x):
        return fnp.sum(fnp.sin(x)) if float(x[0]) > 0 else fnp.sum(fnp.cos(x))

    g = fd.grad(f)
    for sign in (1, -1) * 3:
        x = fnp.asarray([sign * 0.5, 0.25])
        want = np.cos(host(x)) if sign > 0 else -np.sin(host(x))
        np.testing.assert_allclose(host(g(x)), want, rtol=1e-6)


def test_not_under_an_enclosing_trace():
    f = lambda x: fnp.sum(fnp.sin(x) * x)
    _grads(fd.grad(f), fnp.ones(3))
    text = str(fd.make_jaxpr(fd.grad(f))(fnp.ones(3)))
    assert "cos" in text and "pjit" not in text  # the rules, recorded, not a call of code
    np.testing.assert_allclose(host(fd.jit(fd.grad(f))(fnp.ones(3))), host(fd.grad(f)(
        fnp.ones(3))), rtol=1e-6)
    second = fd.grad(fd.grad(lambda x: fnp.sin(x) * x))
    got = _grads(second, fnp.asarray(0.3))
    np.testing.assert_allclose(got, [2 * np.cos(0.3) - 0.3 * np.sin(0.3)] * 3, rtol=1e-6)


def test_custom_vjp_rules_run_every_call():
    calls = []

    @fd.custom_vjp
    def clip(x):
        return x

    clip.defvjp(lambda x: (x, None), lambda _, ct: (calls.append(1) or fnp.clip(ct, -1, 1),))
    g = fd.grad(lambda x: fnp.sum(clip(x) * 5.0))
    for got in _grads(g, fnp.ones(2)):
        np.testing.assert_allclose(got, [1.0, 1.0])
    assert len(calls) == 3


def test_debug_nans_still_names_the_equation():
    g = fd.grad(lambda x: fnp.sum(fnp.sqrt(x)))
    _grads(g, fnp.ones(2))
    with fd.config.override(debug_nans=True), pytest.raises(FloatingPointError):
        g(fnp.asarray([-1.0, 1.0]))


def test_switched_off():
    with fd.config.override(eager_backward_compile=False):
        _grads(fd.grad(lambda x: fnp.sum(x * x)), fnp.ones(2))
    assert ad_compiled.info() == {"compiled": 0, "unsupported": 0, "runs": 0}


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(ad_compiled, "CAPACITY", 3)
    for n in range(1, 8):
        x = fnp.ones(n)
        got = _grads(fd.grad(lambda x: fnp.sum(fnp.exp(x))), x)
        np.testing.assert_allclose(got, [np.full(n, np.e)] * 3, rtol=1e-6)
    assert ad_compiled.info()["compiled"] <= 3


def test_training_loop_matches_the_walk():
    from funcdiff import nn, optim

    model = nn.Sequential([nn.Linear(4, 8, key=fd.random.key(0)), nn.Lambda(fd.nn.tanh),
                           nn.Linear(8, 1, key=fd.random.key(1))])
    x = fd.random.normal(fd.random.key(2), (16, 4))
    y = fnp.sum(x, axis=1, keepdims=True)

    def loss(m):
        return fnp.mean((m(x) - y) ** 2)

    def train(compiled: bool):
        opt = optim.adam(1e-2)
        m, state = model, opt.init(model)
        with fd.config.override(eager_backward_compile=compiled):
            for _ in range(5):
                g = fd.grad(loss)(m)
                upd, state = opt.update(g, state, m)
                m = optim.apply_updates(m, upd)
        return host(loss(m))

    np.testing.assert_allclose(train(True), train(False), rtol=1e-5)
    assert ad_compiled.info()["runs"] >= 4


def test_a_captured_numpy_scalar_array_is_read_each_call():
    x = fnp.ones(2)
    for c in (2.0, 3.0, 5.0):
        s = np.asarray(c, dtype=np.float32)  # 0-d host array: a literal of the tape
        got = fd.grad(lambda x, s=s: fnp.sum(lax.mul(x, s)))(x)
        np.testing.assert_allclose(host(got), [c] * 2)
    if os.environ.get("FUNCDIFF_BACKEND", "numpy") == "numpy":
        assert ad_compiled.info()["runs"] == 2  # a host array is an input of NumPy code


def test_signed_zero_constants_are_told_apart():
    x = fnp.ones(2)
    for c in (0.0, -0.0, 0.0, -0.0, 0.0, -0.0):
        got = host(fd.grad(lambda x, c=c: fnp.sum(lax.mul(x, c)))(x))
        assert np.array_equal(np.signbit(got), np.signbit([c, c])), (c, got)
