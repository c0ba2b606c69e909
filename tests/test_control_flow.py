"""Control flow (``lax.cond``, ``switch``, ``scan``, ``while_loop``, ``fori_loop``): values and
derivatives against the unrolled Python program (and float64 finite differences), every
composition with ``vmap`` and ``grad``, the NaN-safety of batched conditionals, the nested
printing of their jaxprs, and the errors they raise.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.lax.control_flow import WhileLoopReverseModeError

EPS = 1e-6


def numerical_grad(f, x: np.ndarray) -> np.ndarray:
    """Central differences of a scalar function of a float64 host array."""
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = EPS
        g[i] = (float(host(f(fnp.asarray(x + e)))) - float(host(f(fnp.asarray(x - e))))) / (
            2 * EPS)
    return g


def check_grad(f, unrolled, x) -> None:
    """``grad(f)`` against ``grad(unrolled)`` and against finite differences of ``f``."""
    x = np.asarray(x, np.float64)
    got = host(fd.grad(f)(fnp.asarray(x)))
    np.testing.assert_allclose(host(f(fnp.asarray(x))), host(unrolled(fnp.asarray(x))),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, host(fd.grad(unrolled)(fnp.asarray(x))), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(got, numerical_grad(f, x), rtol=1e-6, atol=1e-8)


# --- cond / switch ------------------------------------------------------------------------------


def test_cond_runs_the_branch_taken(x64):
    x = fnp.array([1.0, 2.0])
    assert host(lax.cond(True, lambda x: x * 2, lambda x: x - 1, x)).tolist() == [2.0, 4.0]
    assert host(lax.cond(False, lambda x: x * 2, lambda x: x - 1, x)).tolist() == [0.0, 1.0]
    # Several operands, pytrees in and out, and no operands at all.
    out = lax.cond(fnp.array(True), lambda a, d: {"s": a + d["b"], "t": (a,)},
                   lambda a, d: {"s": a - d["b"], "t": (-a,)}, x, {"b": x})
    assert host(out["s"]).tolist() == [2.0, 4.0] and host(out["t"][0]).tolist() == [1.0, 2.0]
    assert float(lax.cond(False, lambda: 1.0, lambda: 2.0)) == 2.0


def test_cond_only_runs_one_branch():
    calls = []

    def loud(x):
        calls.append(1)
        return x

    lax.cond(True, lambda x: x, lambda x: fnp.log(x - 100.0), fnp.ones(2))  # no NaN warning
    with fd.config.override(debug_nans=True):
        out = lax.cond(True, lambda x: x, lambda x: fnp.log(x - 100.0), fnp.ones(2))
    assert host(out).tolist() == [1.0, 1.0]
    lax.cond(True, loud, loud, 1.0)
    assert len(calls) == 2  # both are traced once, to check their types


def test_switch_clamps_its_index():
    fs = [lambda x: x + 1.0, lambda x: x * 10.0, lambda x: -x]
    got = [float(lax.switch(i, fs, 2.0)) for i in (-3, 0, 1, 2, 3, 100)]
    assert got == [3.0, 3.0, 20.0, -2.0, -2.0, -2.0]
    assert float(lax.switch(fnp.array(1, dtype="uint8"), fs, 2.0)) == 20.0
    assert float(lax.switch(5, [lambda x: x * 3.0], 2.0)) == 6.0


def test_cond_gradients_match_python(x64):
    def f(x):
        return fnp.sum(lax.cond(fnp.sum(x) > 0, lambda x: fnp.sin(x) * x,
                                lambda x: fnp.exp(x) ** 2, x))

    def unrolled(x):
        return fnp.sum(fnp.sin(x) * x if float(fnp.sum(x)) > 0 else fnp.exp(x) ** 2)

    check_grad(f, unrolled, [0.3, -0.2, 1.1])
    check_grad(f, unrolled, [-0.3, -0.2, 0.1])
    h = host(fd.hessian(f)(fnp.array([0.3, -0.2, 1.1])))
    np.testing.assert_allclose(h, host(fd.hessian(unrolled)(fnp.array([0.3, -0.2, 1.1]))),
                               rtol=1e-10)


def test_switch_and_closures_differentiate(x64):
    w = fnp.array([0.5, -1.5])

    def f(i, w):
        # w is closed over by the branches: it becomes an explicit operand.
        return fnp.sum(lax.switch(i, [lambda x: x * w, lambda x: fnp.sin(x + w), lambda x: x],
                                  fnp.array([1.0, 2.0])))

    assert host(fd.grad(f, argnums=1)(0, w)).tolist() == [1.0, 2.0]
    np.testing.assert_allclose(host(fd.grad(f, argnums=1)(1, w)),
                               np.cos(np.array([1.5, 0.5])))
    assert host(fd.grad(f, argnums=1)(7, w)).tolist() == [0.0, 0.0]
    _, t = fd.jvp(lambda w: f(1, w), (w,), (fnp.ones(2),))
    np.testing.assert_allclose(float(t), np.cos(1.5) + np.cos(0.5))


# --- batched predicates: select, and gradients that never see the branch not taken -------------


def _sqrt_or_zero(x):
    return lax.cond(x > 0, fnp.sqrt, lambda x: 0.0 * x, x)


def test_vmap_of_cond_with_batched_predicate(x64):
    x = fnp.array([4.0, 0.0, -1.0, 9.0])
    assert host(fd.vmap(_sqrt_or_zero)(x)).tolist() == [2.0, 0.0, 0.0, 3.0]
    jaxpr = str(fd.make_jaxpr(fd.vmap(_sqrt_or_zero))(x))
    assert "batched_cond[" in jaxpr and " cond[" not in jaxpr


def test_batched_cond_gradients_are_nan_free(x64):
    """JAX's ``where`` pitfall: the not-taken sqrt's derivative is inf at 0 and NaN below;
    multiplied by a zero mask it would give NaN. funcdiff selects, so gradients are finite."""
    x = fnp.array([4.0, 0.0, -1.0, 9.0])
    total = lambda x: fnp.sum(fd.vmap(_sqrt_or_zero)(x))
    g = host(fd.grad(total)(x))
    np.testing.assert_allclose(g, [0.25, 0.0, 0.0, 1 / 6])
    np.testing.assert_allclose(host(fd.vmap(fd.grad(_sqrt_or_zero))(x)), g)
    _, t = fd.jvp(fd.vmap(_sqrt_or_zero), (x,), (fnp.ones(4),))
    np.testing.assert_allclose(host(t), g)
    hess = host(fd.hessian(total)(x))
    assert np.isfinite(hess).all()
    np.testing.assert_allclose(np.diag(hess), [-1 / 32, 0.0, 0.0, -1 / 108])
    np.testing.assert_allclose(host(fd.jacrev(fd.vmap(_sqrt_or_zero))(x)), np.diag(g))


def test_batched_cond_with_shared_operand(x64):
    """An unbatched operand gets the sum of per-example cotangents, each from its branch."""
    w = fnp.array([0.0, 2.0])

    def f(w, xs):
        per = fd.vmap(lambda x: lax.cond(x > 0, lambda w: fnp.sum(fnp.sqrt(w)) * x,
                                          lambda w: fnp.sum(w) * x, w))(xs)
        return fnp.sum(per)

    xs = fnp.array([-1.0, -2.0])  # the sqrt branch is never taken: d sqrt(0) never counts
    np.testing.assert_allclose(host(fd.grad(f)(w, xs)), [-3.0, -3.0])
    xs = fnp.array([1.0, -2.0])
    g = host(fd.grad(f)(fnp.array([1.0, 4.0]), xs))
    np.testing.assert_allclose(g, [0.5 - 2.0, 0.25 - 2.0])


def test_debug_nans_ignores_branches_not_taken():
    with fd.config.override(debug_nans=True):
        out = fd.vmap(lambda x: lax.cond(x > 0, fnp.log, lambda x: x, x))(fnp.array([1.0, -1.0]))
    assert host(out).tolist() == [0.0, -1.0]


def test_nested_vmap_of_cond(x64):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=4)

    def g(a, b):
        return lax.cond(a > b, lambda a, b: a * b, lambda a, b: a - b, a, b)

    want = np.where(a > b, a * b, a - b)
    got = fd.vmap(fd.vmap(g, in_axes=(0, 0)), in_axes=(0, None))(fnp.asarray(a), fnp.asarray(b))
    np.testing.assert_allclose(host(got), want)
    got = fd.vmap(fd.vmap(g, in_axes=(0, None)), in_axes=(1, 0))(fnp.asarray(a), fnp.asarray(b))
    np.testing.assert_allclose(host(got), want.T)
    ga, gb = fd.grad(lambda a, b: fnp.sum(fd.vmap(fd.vmap(g, (0, 0)), (0, None))(a, b)),
                     argnums=(0, 1))(fnp.asarray(a), fnp.asarray(b))
    np.testing.assert_allclose(host(ga), np.where(a > b, b, 1.0))
    np.testing.assert_allclose(host(gb), np.where(a > b, a, -1.0).sum(0))


def test_vmap_of_cond_with_unbatched_predicate():
    f = lambda p, x: lax.cond(p, lambda x: x * 2.0, lambda x: -x, x)
    xs = fnp.arange(3.0)
    assert host(fd.vmap(f, in_axes=(None, 0))(True, xs)).tolist() == [0.0, 2.0, 4.0]
    jaxpr = str(fd.make_jaxpr(fd.vmap(f, in_axes=(None, 0)))(True, xs))
    assert " cond[" in jaxpr and "batched_cond" not in jaxpr  # still runs one branch
    # A branch output that does not depend on the batch stays unbatched.
    g = lambda p, x: lax.cond(p, lambda x: (x, 1.0), lambda x: (-x, 2.0), x)
    out, k = fd.vmap(g, in_axes=(None, 0), out_axes=(0, None))(False, xs)
    assert host(out).tolist() == [-0.0, -1.0, -2.0] and float(k) == 2.0


# --- scan ---------------------------------------------------------------------------------------


def _rnn(params, xs):
    def step(h, x):
        h = fnp.tanh(params["w"] @ h + x * params["u"])
        return h, fnp.sum(h * h)

    return lax.scan(step, fnp.zeros(2, dtype=xs.dtype), xs)


def _rnn_unrolled(params, xs):
    h, ys = fnp.zeros(2, dtype=xs.dtype), []
    for t in range(xs.shape[0]):
        h = fnp.tanh(params["w"] @ h + xs[t] * params["u"])
        ys.append(fnp.sum(h * h))
    return h, fnp.stack(ys)


def test_scan_matches_python_loop(x64):
    rng = np.random.default_rng(0)
    params = {"w": fnp.asarray(rng.normal(size=(2, 2))), "u": fnp.asarray(rng.normal(size=2))}
    xs = fnp.asarray(rng.normal(size=(5, 2)))
    for got, want in zip(_rnn(params, xs), _rnn_unrolled(params, xs)):
        np.testing.assert_allclose(host(got), host(want), rtol=1e-12)
    loss = lambda xs: fnp.sum(_rnn(params, xs)[1]) + fnp.sum(_rnn(params, xs)[0])
    loss_u = lambda xs: fnp.sum(_rnn_unrolled(params, xs)[1]) + fnp.sum(
        _rnn_unrolled(params, xs)[0])
    check_grad(loss, loss_u, host(xs))
    gp = fd.grad(lambda p: fnp.sum(_rnn(p, xs)[1]))(params)
    gp_u = fd.grad(lambda p: fnp.sum(_rnn_unrolled(p, xs)[1]))(params)
    for k in params:
        np.testing.assert_allclose(host(gp[k]), host(gp_u[k]), rtol=1e-10)


def test_scan_reverse_length_and_no_outputs():
    xs = fnp.arange(1.0, 5.0)
    c, ys = lax.scan(lambda c, x: (c * 10 + x, c), 0.0, xs, reverse=True)
    assert float(c) == 4321.0 and host(ys).tolist() == [432.0, 43.0, 4.0, 0.0]
    c, ys = lax.scan(lambda c, _: (c + 1, None), 0, length=4)
    assert int(c) == 4 and ys is None
    c, ys = lax.scan(lambda c, x: (c, x), 0.0, fnp.zeros((0, 3)))
    assert host(ys).shape == (0, 3)
    # unroll is accepted (JAX compatibility) and does not change the result.
    assert float(lax.scan(lambda c, x: (c + x, None), 0.0, xs, unroll=2)[0]) == 10.0


def test_scan_higher_order_and_jacobians(x64):
    def f(x):
        c, ys = lax.scan(lambda c, x: (c * fnp.sin(x), c + x), 1.0, x)
        return c + fnp.sum(ys ** 2)

    def unrolled(x):
        c, total = 1.0, 0.0
        for t in range(x.shape[0]):
            total = total + (c + x[t]) ** 2
            c = c * fnp.sin(x[t])
        return c + total

    x = fnp.array([0.4, -1.2, 0.7])
    check_grad(f, unrolled, host(x))
    for d in (fd.hessian, lambda f: fd.jacfwd(fd.grad(f)), lambda f: fd.jacrev(fd.grad(f))):
        np.testing.assert_allclose(host(d(f)(x)), host(fd.hessian(unrolled)(x)), rtol=1e-10)
    lin_y, lin = fd.linearize(f, x)
    np.testing.assert_allclose(float(lin(fnp.ones(3))), float(fd.jvp(f, (x,), (fnp.ones(3),))[1]))


def test_vmap_of_scan_and_per_example_gradients(x64):
    rng = np.random.default_rng(1)
    params = {"w": fnp.asarray(rng.normal(size=(2, 2))), "u": fnp.asarray(rng.normal(size=2))}
    batch = fnp.asarray(rng.normal(size=(4, 3, 2)))
    loss = lambda p, xs: fnp.sum(_rnn(p, xs)[1])
    got = fd.vmap(loss, in_axes=(None, 0))(params, batch)
    np.testing.assert_allclose(host(got), [float(loss(params, b)) for b in batch], rtol=1e-12)
    # Scanning along axis 1 of the batch: in_axes=1 maps the other axis.
    got1 = fd.vmap(loss, in_axes=(None, 1))(params, fnp.moveaxis(batch, 0, 1))
    np.testing.assert_allclose(host(got1), host(got), rtol=1e-12)
    per_example = fd.vmap(fd.grad(loss), in_axes=(None, 0))(params, batch)
    for k in params:
        loop = np.stack([host(fd.grad(loss)(params, b)[k]) for b in batch])
        np.testing.assert_allclose(host(per_example[k]), loop, rtol=1e-10)
    total = fd.grad(lambda p: fnp.sum(fd.vmap(loss, in_axes=(None, 0))(p, batch)))(params)
    for k in params:
        np.testing.assert_allclose(host(total[k]), host(per_example[k]).sum(0), rtol=1e-10)


def test_vmap_of_scan_carry_batched_by_the_body():
    # The carry starts unbatched; the body mixes in a batched constant.
    f = lambda w: lax.scan(lambda c, x: (c + w * x, c), 0.0, fnp.arange(3.0))
    c, ys = fd.vmap(f)(fnp.array([1.0, 2.0]))
    assert host(c).tolist() == [3.0, 6.0] and host(ys).tolist() == [[0, 0, 1], [0, 0, 2]]


# --- while_loop / fori_loop ----------------------------------------------------------------------


def _newton_sqrt(a):
    body = lambda c: (c[0] + 1, 0.5 * (c[1] + a / c[1]))
    return lax.while_loop(lambda c: c[0] < 6, body, (0, a))[1]


def test_while_loop_values_and_forward_mode(x64):
    assert float(_newton_sqrt(fnp.float64(2.0))) == pytest.approx(np.sqrt(2.0), rel=1e-14)
    _, t = fd.jvp(_newton_sqrt, (fnp.float64(4.0),), (fnp.float64(1.0),))
    assert float(t) == pytest.approx(0.25, rel=1e-10)
    np.testing.assert_allclose(host(fd.jacfwd(lambda x: _newton_sqrt(x))(fnp.array([4.0, 9.0]))),
                               np.diag([0.25, 1 / 6]), rtol=1e-10)


def test_while_loop_reverse_mode_outside_jit(x64):
    def f(x):
        return fnp.sum(lax.while_loop(lambda c: fnp.sum(c) < 5.0, lambda c: c * 1.3 + fnp.sin(c),
                                      x))

    def unrolled(x):
        while float(fnp.sum(x)) < 5.0:
            x = x * 1.3 + fnp.sin(x)
        return fnp.sum(x)

    check_grad(f, unrolled, [0.2, 0.5])
    check_grad(lambda a: _newton_sqrt(a) * a, lambda a: _newton_sqrt(a) * a, 3.0)
    x = fnp.array([0.2, 0.5])
    np.testing.assert_allclose(host(fd.hessian(f)(x)), host(fd.hessian(unrolled)(x)), rtol=1e-9)
    g2 = fd.grad(fd.grad(lambda x: lax.while_loop(lambda c: c[0] < 3,
                                                   lambda c: (c[0] + 1, c[1] * x), (0, 1.0))[1]))
    assert float(g2(2.0)) == pytest.approx(12.0)


def test_while_loop_reverse_mode_under_tracing_says_what_to_do():
    f = lambda x: lax.while_loop(lambda c: c < 10.0, lambda c: c * x, 1.0)
    with pytest.raises(WhileLoopReverseModeError, match="fori_loop with static bounds"):
        fd.make_jaxpr(fd.grad(f))(2.0)
    assert isinstance(WhileLoopReverseModeError("x"), ValueError)
    fd.make_jaxpr(fd.jacfwd(f))(2.0)  # forward mode traces fine


def test_vmap_of_while_loop_runs_until_all_are_done(x64):
    halve = lambda x: lax.while_loop(lambda x: x > 1.0, lambda x: x / 2, x)
    xs = fnp.array([0.5, 3.0, 10.0])
    assert host(fd.vmap(halve)(xs)).tolist() == [0.5, 0.75, 0.625]
    jaxpr = str(fd.make_jaxpr(fd.vmap(halve))(xs))
    assert "reduce_or" in jaxpr and "batched_cond" in jaxpr
    want = [1.0, 0.25, 0.0625]
    assert host(fd.grad(lambda x: fnp.sum(fd.vmap(halve)(x)))(xs)).tolist() == want
    assert host(fd.vmap(fd.grad(halve))(xs)).tolist() == want
    # Finished examples keep their carry even where the body would make a NaN of it (at
    # 0.9) or has an infinite derivative (at 1.0, where the others stop).
    f = lambda x: lax.while_loop(lambda x: x > 1.0, lambda x: fnp.sqrt(x - 1.0), x)
    xs = fnp.array([0.9, 2.0, 5.0])
    assert host(fd.vmap(f)(xs)).tolist() == [0.9, 1.0, 1.0]
    g = host(fd.grad(lambda x: fnp.sum(fd.vmap(f)(x)))(xs))
    assert g.tolist() == [1.0, 0.5, 0.125]
    assert host(fd.vmap(fd.grad(f))(xs)).tolist() == [1.0, 0.5, 0.125]


def test_vmap_of_while_loop_with_unbatched_predicate():
    f = lambda x, n: lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 2.0), (0, x))
    out = fd.vmap(f, in_axes=(0, None))(fnp.array([1.0, 3.0]), 3)
    assert host(out[1]).tolist() == [8.0, 24.0] and host(out[0]).tolist() == [3, 3]
    assert "reduce_or" not in str(fd.make_jaxpr(fd.vmap(f, in_axes=(0, None)))(fnp.ones(2), 3))


def test_fori_loop_static_is_a_scan_and_traced_is_a_while(x64):
    body = lambda i, x: x * fnp.cos(x) + i
    assert "scan[" in str(fd.make_jaxpr(lambda x: lax.fori_loop(0, 3, body, x))(1.0))
    assert "while[" in str(fd.make_jaxpr(lambda n, x: lax.fori_loop(0, n, body, x))(3, 1.0))
    unrolled = lambda x: body(2, body(1, body(0, x)))
    check_grad(lambda x: lax.fori_loop(0, 3, body, x), unrolled, 0.7)
    check_grad(lambda x: lax.fori_loop(fnp.array(2), 5, body, x),
               lambda x: body(4, body(3, body(2, x))), 0.7)
    assert float(lax.fori_loop(3, 1, body, 5.0)) == 5.0  # an empty range
    counts = fd.vmap(lambda n: lax.fori_loop(0, n, lambda i, s: s + i, 0))(fnp.array([0, 3, 5]))
    assert host(counts).tolist() == [0, 3, 10]
    # Reverse mode of a static fori_loop traces (under make_jaxpr, as under jit).
    fd.make_jaxpr(fd.grad(lambda x: lax.fori_loop(0, 3, body, x)))(1.0)


def test_weakly_typed_carries_take_the_body_type():
    assert host(lax.fori_loop(0, 3, lambda i, x: x + 0.5, 0)) == 1.5
    c, _ = lax.scan(lambda c, x: (c + x, None), 0, fnp.arange(3.0))
    assert c.dtype == np.float32 and float(c) == 3.0
    out = lax.cond(True, lambda x: 1.0, lambda x: x, fnp.ones((), dtype="float16"))
    assert out.dtype == np.float16


# --- composition -------------------------------------------------------------------------------


def test_control_flow_nests_under_every_transform(x64):
    def f(x):
        def body(c, xi):
            c = lax.cond(xi > 0, lambda c: c * xi, lambda c: c + xi, c)
            c = lax.fori_loop(0, 2, lambda i, c: c * 0.9 + 0.1 * fnp.sin(c), c)
            return c, c
        return fnp.sum(lax.scan(body, fnp.float64(1.0), x)[1])

    def unrolled(x):
        c, total = 1.0, 0.0
        for t in range(x.shape[0]):
            c = c * x[t] if float(x[t]) > 0 else c + x[t]
            for _ in range(2):
                c = c * 0.9 + 0.1 * fnp.sin(c)
            total = total + c
        return total

    xs = np.array([[0.5, -0.3, 1.2], [-0.5, 0.3, -1.2], [2.0, 0.1, -0.1]])
    for x in xs:
        check_grad(f, unrolled, x)
    batch = fnp.asarray(xs)
    np.testing.assert_allclose(host(fd.vmap(f)(batch)), [float(unrolled(fnp.asarray(x)))
                                                         for x in xs], rtol=1e-12)
    per = host(fd.vmap(fd.grad(f))(batch))
    np.testing.assert_allclose(per, np.stack([host(fd.grad(unrolled)(fnp.asarray(x)))
                                              for x in xs]), rtol=1e-10)
    np.testing.assert_allclose(host(fd.grad(lambda b: fnp.sum(fd.vmap(f)(b)))(batch)), per,
                               rtol=1e-10)
    np.testing.assert_allclose(host(fd.vmap(fd.hessian(f))(batch)),
                               np.stack([host(fd.hessian(unrolled)(fnp.asarray(x)))
                                         for x in xs]), rtol=1e-9)


def test_closed_over_tracers_become_operands(x64):
    # Closed over from grad (outer tracer), and from vmap (a batched value).
    def f(w):
        return lax.scan(lambda c, x: (c + w * x, None), 0.0, fnp.arange(3.0))[0]

    assert float(fd.grad(f)(2.0)) == 3.0
    assert host(fd.vmap(f)(fnp.array([1.0, 2.0]))).tolist() == [3.0, 6.0]
    jaxpr = fd.make_jaxpr(f)(2.0)
    (eqn,) = [e for e in jaxpr.eqns if e.prim.name == "scan"]
    assert eqn.params["num_consts"] == 1 and eqn.invars[0] is jaxpr.invars[0]


# --- printing ------------------------------------------------------------------------------------


def test_make_jaxpr_prints_sub_jaxprs_nested():
    jaxpr = fd.make_jaxpr(lambda p, x: lax.cond(p, fnp.sin, lambda x: fnp.cos(x) * 2.0, x))(
        True, fnp.ones(3))
    assert str(jaxpr) == """\
{ lambda ; a:bool[] b:f32[3]. let
    c:i32[] = convert_element_type[new_dtype=int32, weak_type=False] a
    d:f32[3] = cond[
      branches=(
        { lambda ; e:f32[3]. let
            f:f32[3] = cos e
            g:f32[3] = mul f 2.0:f32[]
          in (g,) }
        { lambda ; h:f32[3]. let i:f32[3] = sin h in (i,) }
      )
    ] c b
  in (d,) }"""
    jaxpr = fd.make_jaxpr(lambda xs: lax.scan(lambda c, x: (c + x, c * x), 0.0, xs))(fnp.ones(3))
    assert str(jaxpr) == """\
{ lambda ; a:f32[3]. let
    b:f32[] c:f32[3] = scan[
      jaxpr={ lambda ; d:f32[] e:f32[]. let
          f:f32[] = add d e
          g:f32[] = mul d e
        in (f, g) }
      length=3
      num_carry=1
      num_consts=0
      reverse=False
      unroll=1
    ] 0.0:f32[] a
  in (b, c) }"""


def test_params_are_plain_data():
    jaxpr = fd.make_jaxpr(lambda x: lax.while_loop(lambda c: c < 3.0, lambda c: c + x, 0.0))(1.0)
    (eqn,) = jaxpr.eqns
    for k, v in eqn.params.items():
        if not k.endswith("jaxpr"):
            hash(v)
    assert not eqn.params["body_jaxpr"].constvars and not eqn.params["cond_jaxpr"].constvars


# --- errors --------------------------------------------------------------------------------------


def test_cond_predicate_errors():
    x = fnp.ones(2)
    with pytest.raises(TypeError, match=r"boolean scalar predicate, got f32\[\]: compare it"):
        lax.cond(fnp.float32(1.0), lambda x: x, lambda x: x, x)
    with pytest.raises(TypeError, match=r"boolean scalar predicate, got bool\[2\]: reduce it"):
        lax.cond(x > 0, lambda x: x, lambda x: x, x)
    with pytest.raises(TypeError, match="true_fun must be callable"):
        lax.cond(True, 1.0, lambda x: x, x)
    with pytest.raises(TypeError, match=r"integer scalar index, got f32\[\]"):
        lax.switch(1.0, [lambda x: x, lambda x: x], x)
    with pytest.raises(ValueError, match="at least one branch"):
        lax.switch(0, [], x)
    with pytest.raises(TypeError, match="sequence of branch functions"):
        lax.switch(0, lambda x: x, x)


def test_branches_must_agree():
    x = fnp.ones(3)
    with pytest.raises(TypeError, match=r"output is f32\[3\] from false_fun; f32\[2\] from "
                                        r"true_fun"):
        lax.cond(True, lambda x: x[:2], lambda x: x, x)
    with pytest.raises(TypeError, match=r"output\[1\] is f32\[\] from false_fun; i32\[\] from"):
        lax.cond(True, lambda x: (x, fnp.int32(1)), lambda x: (x, fnp.float32(1.0)), x)
    with pytest.raises(TypeError, match="must return the same structure"):
        lax.cond(True, lambda x: (x, x), lambda x: x, x)
    with pytest.raises(TypeError, match=r"branch 0.*branch 2"):
        lax.switch(0, [lambda x: x, lambda x: x, lambda x: x.sum()], x)


def test_loop_carry_errors():
    with pytest.raises(TypeError, match=r"carry enters as f32\[\] and comes out as f32\[2\]"):
        lax.scan(lambda c, x: (c * fnp.ones(2), None), fnp.float32(0.0), fnp.ones(3))
    with pytest.raises(TypeError, match=r"carry\[1\] enters as i32\[\] and comes out as f32\[\]"):
        lax.scan(lambda c, x: ((c[0], c[1] * x), None), (1.0, fnp.int32(1)), fnp.ones(3))
    with pytest.raises(TypeError, match="structure of its input"):
        lax.scan(lambda c, x: ((c, c), None), 0.0, fnp.ones(3))
    with pytest.raises(TypeError, match=r"must return a pair \(carry, y\)"):
        lax.scan(lambda c, x: c, 0.0, fnp.ones(3))
    with pytest.raises(TypeError, match=r"body_fun must keep the carry's type.*i32\[\].*f32"):
        lax.while_loop(lambda c: c < 3, lambda c: c * 1.5, fnp.int32(0))
    with pytest.raises(TypeError, match=r"cond_fun must return a boolean scalar, got f32\[\]"):
        lax.while_loop(lambda c: c, lambda c: c, 1.0)
    with pytest.raises(TypeError, match=r"got bool\[2\]: reduce it"):
        lax.while_loop(lambda c: c > 0, lambda c: c, fnp.ones(2))


def test_scan_length_errors():
    with pytest.raises(ValueError, match=r"leading axes agree, got xs\['a'\] of length 3; "
                                         r"xs\['b'\] of length 2"):
        lax.scan(lambda c, x: (c, None), 0.0, {"a": fnp.ones(3), "b": fnp.ones(2)})
    with pytest.raises(ValueError, match="got length=4 but xs have leading axis 3"):
        lax.scan(lambda c, x: (c, None), 0.0, fnp.ones(3), length=4)
    with pytest.raises(ValueError, match="xs to scan over, or an explicit length"):
        lax.scan(lambda c, x: (c, None), 0.0)
    with pytest.raises(ValueError, match=r"xs is a scalar"):
        lax.scan(lambda c, x: (c, None), 0.0, 1.0)
    with pytest.raises(TypeError, match="bounds must be integers"):
        lax.fori_loop(0.0, 3, lambda i, x: x, 1.0)
