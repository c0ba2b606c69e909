"""custom_jvp and custom_vjp: rules are used, compose with jvp/grad/vmap/nesting, errors teach."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.testing import check_grads

# --- a numerically stable log(1 + exp(x)) -----------------------------------------------------


@fd.custom_jvp
def log1pexp(x):
    return fnp.log1p(fnp.exp(x))


@log1pexp.defjvp
def log1pexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return log1pexp(x), t * (1 - 1 / (1 + fnp.exp(x)))


def naive_log1pexp(x):
    return fnp.log1p(fnp.exp(x))


def test_custom_jvp_fixes_the_nan_gradient():
    x = fnp.array([0.0, 10.0, 100.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = host(fd.vmap(fd.grad(naive_log1pexp))(x))
        stable = host(fd.vmap(fd.grad(log1pexp))(x))
    assert np.isnan(naive[2])
    np.testing.assert_allclose(stable, [0.5, 1 - 1 / (1 + math.exp(10.0)), 1.0], rtol=1e-6)


def test_custom_jvp_in_every_mode(x64):
    x = fnp.asarray(np.array([-1.0, 0.5, 3.0]))
    want = 1 / (1 + np.exp(-host(x)))
    _, t = fd.jvp(log1pexp, (x,), (fnp.ones(3),))
    np.testing.assert_allclose(host(t), want)
    np.testing.assert_allclose(host(fd.grad(lambda x: fnp.sum(log1pexp(x)))(x)), want)
    np.testing.assert_allclose(host(fd.jacfwd(log1pexp)(x)), np.diag(want))
    np.testing.assert_allclose(host(fd.jacrev(log1pexp)(x)), np.diag(want))
    np.testing.assert_allclose(host(fd.vmap(fd.grad(log1pexp))(x)), want)
    np.testing.assert_allclose(host(fd.grad(lambda x: fnp.sum(fd.vmap(log1pexp)(x)))(x)), want)
    second = want * (1 - want)
    np.testing.assert_allclose(host(fd.vmap(fd.grad(fd.grad(log1pexp)))(x)), second)
    np.testing.assert_allclose(host(fd.hessian(lambda x: fnp.sum(log1pexp(x)))(x)),
                               np.diag(second))
    check_grads(log1pexp, (x,), order=2)


def test_the_rule_is_used_not_the_function():
    calls = []

    @fd.custom_jvp
    def f(x):
        return fnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        calls.append(1)
        return f(primals[0]), 10.0 * tangents[0]  # deliberately not cos

    assert float(fd.grad(f)(0.3)) == 10.0
    assert float(fd.jvp(f, (0.3,), (1.0,))[1]) == 10.0
    assert float(f(0.3)) == pytest.approx(math.sin(0.3))
    n = len(calls)
    fd.grad(f)(0.3)
    assert len(calls) == n + 1  # the rule is linearized once per reverse pass


def test_custom_jvp_jaxpr_shows_the_call_and_reuses_the_rule():
    jaxpr = fd.make_jaxpr(log1pexp)(fnp.ones(3))
    assert [e.prim.name for e in jaxpr.eqns] == ["custom_jvp_call"]
    inner = jaxpr.eqns[0].params["call_jaxpr"]
    assert [e.prim.name for e in inner.eqns] == ["exp", "log1p"]
    grad_jaxpr = fd.make_jaxpr(fd.grad(lambda x: fnp.sum(log1pexp(x))))(fnp.ones(3))
    names = [e.prim.name for e in grad_jaxpr.eqns]
    assert "log1p" not in names and names.count("exp") == 1  # only the rule's tangent part


def test_defjvps(x64):
    f = fd.custom_jvp(lambda x, y: fnp.sin(x) * y)
    f.defjvps(lambda t, ans, x, y: fnp.cos(x) * y * t, lambda t, ans, x, y: fnp.sin(x) * t)
    gx, gy = fd.grad(f, argnums=(0, 1))(0.4, 2.0)
    assert float(gx) == pytest.approx(math.cos(0.4) * 2.0)
    assert float(gy) == pytest.approx(math.sin(0.4))
    g = fd.custom_jvp(lambda x, y: x * y)
    g.defjvps(None, lambda t, ans, x, y: x * t)
    assert fd.grad(g, argnums=(0, 1))(3.0, 2.0)[0] == 0.0


def test_nondiff_argnums_and_kwargs():
    @functools.partial(fd.custom_jvp, nondiff_argnums=(0,))
    def apply(fn, x, scale=2.0):
        return fn(x) * scale

    @apply.defjvp
    def apply_jvp(fn, primals, tangents):
        x, scale = primals
        tx, tscale = tangents
        return apply(fn, x, scale), fd.jvp(fn, (x,), (tx,))[1] * scale + fn(x) * tscale

    assert float(fd.grad(lambda x: apply(fnp.sin, x))(0.0)) == 2.0
    assert float(fd.grad(lambda x: apply(fnp.sin, x, scale=3.0))(0.0)) == 3.0
    assert float(fd.grad(lambda s: apply(fnp.sin, 0.5, s))(1.0)) == pytest.approx(
        math.sin(0.5))
    assert host(fd.vmap(lambda x: apply(fnp.sin, x))(fnp.zeros(3))).tolist() == [0.0] * 3


def test_custom_jvp_pytree_arguments_and_outputs(x64):
    @fd.custom_jvp
    def f(p):
        return {"s": p["a"] * p["b"], "d": p["a"] - p["b"]}

    @f.defjvp
    def f_jvp(primals, tangents):
        (p,), (t,) = primals, tangents
        return f(p), {"s": t["a"] * p["b"] + p["a"] * t["b"], "d": t["a"] - t["b"]}

    p = {"a": fnp.asarray(np.array(2.0)), "b": fnp.asarray(np.array(3.0))}
    g = fd.grad(lambda p: f(p)["s"] + 2 * f(p)["d"])(p)
    assert float(g["a"]) == 5.0 and float(g["b"]) == 0.0
    check_grads(f, (p,), order=2)


def test_integer_arguments_and_outputs():
    @fd.custom_jvp
    def f(x, n):
        return x * n, fnp.argmax(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x, n), (tx, _) = primals, tangents
        return f(x, n), (tx * n, None)

    g = fd.grad(lambda x: f(x, fnp.array(3))[0].sum())(fnp.ones(2))
    np.testing.assert_allclose(host(g), [3.0, 3.0])


def test_custom_jvp_without_transforms_just_calls():
    called = []

    @fd.custom_jvp
    def f(x):
        called.append(1)
        if x > 0:  # Python control flow works when nothing traces
            return x
        return -x

    f.defjvp(lambda p, t: (f(p[0]), t[0]))
    assert float(f(-2.0)) == 2.0 and called


# --- custom_vjp: gradient clipping ------------------------------------------------------------


@fd.custom_vjp
def clip_gradient(lo, hi, x):
    return x


def clip_fwd(lo, hi, x):
    return x, (lo, hi)


def clip_bwd(res, g):
    lo, hi = res
    return None, None, fnp.clip(g, lo, hi)


clip_gradient.defvjp(clip_fwd, clip_bwd)


def test_custom_vjp_clips_gradients():
    f = lambda x: fnp.sum(5.0 * clip_gradient(-1.0, 1.0, x))
    x = fnp.array([1.0, 2.0])
    np.testing.assert_allclose(host(fd.grad(f)(x)), [1.0, 1.0])
    np.testing.assert_allclose(host(clip_gradient(-1.0, 1.0, x)), [1.0, 2.0])
    small = lambda x: fnp.sum(0.5 * clip_gradient(-1.0, 1.0, x))
    np.testing.assert_allclose(host(fd.grad(small)(x)), [0.5, 0.5])


def test_custom_vjp_under_vmap_both_orders():
    f = lambda x: 3.0 * clip_gradient(-1.0, 1.0, x)
    xs = fnp.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(host(fd.vmap(fd.grad(f))(xs)), [1.0, 1.0, 1.0])
    g = fd.grad(lambda xs: fnp.sum(fd.vmap(f)(xs)))(xs)
    np.testing.assert_allclose(host(g), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(host(fd.jacrev(f)(xs)), np.eye(3))
    np.testing.assert_allclose(host(fd.vmap(f)(xs)), [3.0, -6.0, 1.5])


def test_vmap_of_custom_vjp_with_unbatched_argument():
    @fd.custom_vjp
    def scale(w, x):
        return w * x

    scale.defvjp(lambda w, x: (w * x, (w, x)), lambda res, g: (fnp.sum(res[1] * g), res[0] * g))
    w, xs = fnp.array(2.0), fnp.array([1.0, 2.0, 3.0])
    loss = lambda w: fnp.sum(fd.vmap(scale, in_axes=(None, 0))(w, xs))
    assert float(fd.grad(loss)(w)) == 6.0
    gx = fd.grad(lambda xs: fnp.sum(fd.vmap(scale, in_axes=(None, 0))(w, xs)))(xs)
    np.testing.assert_allclose(host(gx), [2.0, 2.0, 2.0])
    nested = fd.vmap(fd.vmap(lambda x: scale(w, x)))(fnp.ones((2, 3)))
    assert nested.shape == (2, 3)


def test_fwd_runs_in_the_forward_pass_only():
    fwd_calls, bwd_calls = [], []

    @fd.custom_vjp
    def f(x):
        return fnp.sin(x)

    def fwd(x):
        fwd_calls.append(1)
        return fnp.sin(x), fnp.cos(x)

    def bwd(cos_x, g):
        bwd_calls.append(1)
        return (g * cos_x,)

    f.defvjp(fwd, bwd)
    assert float(fd.grad(f)(0.0)) == 1.0
    assert (len(fwd_calls), len(bwd_calls)) == (1, 1)
    _, pullback = fd.vjp(f, 0.0)
    pullback(1.0)
    pullback(2.0)
    assert (len(fwd_calls), len(bwd_calls)) == (2, 3)


def test_custom_vjp_higher_order(x64):
    @fd.custom_vjp
    def cube(x):
        return x**3

    cube.defvjp(lambda x: (x**3, x), lambda x, g: (3 * x**2 * g,))
    assert float(fd.grad(cube)(2.0)) == 12.0
    assert float(fd.grad(fd.grad(cube))(2.0)) == 12.0
    np.testing.assert_allclose(host(fd.jacrev(fd.jacrev(cube))(fnp.asarray(np.ones(2)))),
                               np.diag([6.0, 6.0])[:, :, None] * np.eye(2)[:, None, :])
    check_grads(cube, (fnp.asarray(np.array([0.5, -1.0])),), order=2, modes=("rev",))


def test_custom_vjp_pytrees(x64):
    @fd.custom_vjp
    def f(p):
        return p["a"] * p["b"]

    f.defvjp(lambda p: (f(p), p), lambda p, g: ({"a": g * p["b"], "b": None},))
    g = fd.grad(f)({"a": fnp.asarray(np.array(2.0)), "b": fnp.asarray(np.array(5.0))})
    assert float(g["a"]) == 5.0 and float(g["b"]) == 0.0


def test_custom_vjp_make_jaxpr():
    jaxpr = fd.make_jaxpr(lambda x: clip_gradient(-1.0, 1.0, fnp.sin(x)))(fnp.ones(2))
    assert [e.prim.name for e in jaxpr.eqns] == ["sin", "custom_vjp_call"]
    assert jaxpr.eqns[1].params["bwd"].__name__ == "clip_bwd"


# --- nesting ----------------------------------------------------------------------------------


def test_custom_functions_nest():
    @fd.custom_jvp
    def outer(x):
        return log1pexp(x) * 2.0

    outer.defjvp(lambda p, t: (outer(p[0]), 2.0 * fd.jvp(log1pexp, p, t)[1]))
    want = 2.0 / (1.0 + math.exp(-0.5))
    assert float(fd.grad(outer)(0.5)) == pytest.approx(want, rel=1e-6)
    clipped = lambda x: 5.0 * clip_gradient(-1.0, 1.0, outer(x))  # clipped to 1, times outer'
    assert float(fd.grad(clipped)(0.5)) == pytest.approx(want, rel=1e-6)


# --- errors -----------------------------------------------------------------------------------


def test_forward_mode_of_custom_vjp_is_an_error():
    f = lambda x: clip_gradient(-1.0, 1.0, x)
    with pytest.raises(TypeError, match=r"forward-mode.*custom_vjp function clip_gradient.*"
                                        r"fd.grad.*custom_jvp"):
        fd.jvp(f, (1.0,), (1.0,))
    with pytest.raises(TypeError, match=r"forward-mode"):
        fd.jacfwd(f)(fnp.ones(2))


def test_forward_over_reverse_of_custom_vjp_works(x64):
    # As in JAX: the outer forward mode differentiates fwd and bwd as ordinary functions.
    @fd.custom_vjp
    def f(x):
        return fnp.sin(x)

    f.defvjp(lambda x: (fnp.sin(x), fnp.cos(x)), lambda c, g: (g * c,))
    x = fnp.asarray(np.array([0.3, 1.0]))
    np.testing.assert_allclose(host(fd.hessian(lambda x: fnp.sum(f(x)))(x)),
                               np.diag(-np.sin(host(x))))


def test_missing_rules():
    f = fd.custom_jvp(lambda x: x)
    with pytest.raises(AttributeError, match=r"no JVP rule is defined for custom_jvp function "
                                             r"<lambda>.*defjvp"):
        f(1.0)
    g = fd.custom_vjp(lambda x: x)
    with pytest.raises(AttributeError, match=r"no VJP.*defvjp\(fwd, bwd\)"):
        g(1.0)


def _with_rule(rule):
    def f(x):
        return fnp.sin(x)

    f = fd.custom_jvp(f)
    f.defjvp(rule)
    return f


def test_jvp_rule_returning_the_wrong_structure():
    f = _with_rule(lambda p, t: fnp.sin(p[0]))
    with pytest.raises(TypeError, match=r"JVP rule <lambda> of custom_jvp function f must "
                                        r"return a pair.*got an array f32\[\]"):
        fd.grad(f)(1.0)
    f = _with_rule(lambda p, t: (fnp.sin(p[0]), (t[0], t[0])))
    with pytest.raises(TypeError, match=r"tangent output whose structure does not match"):
        fd.jvp(f, (1.0,), (1.0,))
    f = _with_rule(lambda p, t: ((fnp.sin(p[0]),), t[0]))
    with pytest.raises(TypeError, match=r"returned a primal output with structure "
                                        r"PyTreeDef\(\(\*,\)\).*function returns PyTreeDef\(\*\)"):
        fd.jvp(f, (1.0,), (1.0,))


def test_jvp_rule_returning_the_wrong_shape():
    f = _with_rule(lambda p, t: (fnp.sin(p[0]), fnp.ones(3)))
    with pytest.raises(TypeError, match=r"tangent of type f32\[3\] for the primal output of "
                                        r"type f32\[2\]"):
        fd.jvp(f, (fnp.ones(2),), (fnp.ones(2),))
    f = _with_rule(lambda p, t: (fnp.ones(3), t[0]))
    with pytest.raises(TypeError, match=r"returned a primal output of type f32\[3\] at output, "
                                        r"but the function returns f32\[2\]"):
        fd.grad(lambda x: fnp.sum(f(x)))(fnp.ones(2))


def test_bwd_rule_errors():
    def make(fwd, bwd):
        f = fd.custom_vjp(lambda x, y: x * y)
        f.defvjp(fwd, bwd)
        return f

    ok_fwd = lambda x, y: (x * y, (x, y))
    f = make(ok_fwd, lambda res, g: (g,))
    with pytest.raises(TypeError, match=r"bwd rule <lambda>.*one cotangent per differentiable "
                                        r"argument \(2\), got a tuple of length 1"):
        fd.grad(f)(1.0, 2.0)
    f = make(ok_fwd, lambda res, g: (fnp.ones(3), None))
    with pytest.raises(TypeError, match=r"cotangent of type f32\[3\] for argument 0 of type "
                                        r"f32\[2\]"):
        fd.grad(lambda x: fnp.sum(f(x, x)))(fnp.ones(2))
    f = make(ok_fwd, lambda res, g: ({"a": g}, None))
    with pytest.raises(TypeError, match=r"argument 0 whose structure does not match"):
        fd.grad(f)(1.0, 2.0)
    f = make(lambda x, y: x * y, lambda res, g: (g, g))
    with pytest.raises(TypeError, match=r"fwd rule <lambda>.*must return a pair \(output, "
                                        r"residuals\)"):
        fd.grad(f)(1.0, 2.0)
    f = make(lambda x, y: ((x, y), None), lambda res, g: (g, g))
    with pytest.raises(TypeError, match=r"fwd rule.*structure"):
        fd.grad(f)(1.0, 2.0)


def test_closing_over_a_differentiated_value_is_an_error():
    def loss(w):
        @fd.custom_jvp
        def f(x):
            return x * w

        f.defjvp(lambda p, t: (f(p[0]), t[0] * w))
        return f(2.0)

    with pytest.raises(TypeError, match=r"closes over a value that is being differentiated.*"
                                        r"Pass the value as an argument"):
        fd.grad(loss)(3.0)
    with pytest.raises(TypeError, match=r"closes over a value"):
        fd.jvp(loss, (3.0,), (1.0,))

    def loss_vjp(w):
        f = fd.custom_vjp(lambda x: x * w)
        f.defvjp(lambda x: (x * w, None), lambda r, g: (g * w,))
        return f(2.0)

    with pytest.raises(TypeError, match=r"custom_vjp function <lambda> closes over"):
        fd.grad(loss_vjp)(3.0)


def test_closing_over_constants_is_fine():
    table = fnp.array([1.0, 2.0, 3.0])

    @fd.custom_jvp
    def f(x):
        return fnp.sum(x * table)

    f.defjvp(lambda p, t: (f(p[0]), fnp.sum(t[0] * table)))
    np.testing.assert_allclose(host(fd.grad(f)(fnp.ones(3))), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(host(fd.vmap(fd.grad(f))(fnp.ones((2, 3)))),
                               [[1.0, 2.0, 3.0]] * 2)


def test_non_array_argument_names_nondiff_argnums():
    f = fd.custom_jvp(lambda x, name: x)
    f.defjvp(lambda p, t: (p[0], t[0]))
    with pytest.raises(TypeError, match=r"nondiff_argnums"):
        fd.grad(lambda x: f(x, "label"))(1.0)
    with pytest.raises(ValueError, match=r"nondiff_argnums=\(3,\).*2 positional"):
        g = fd.custom_jvp(lambda x, y: x, nondiff_argnums=(3,))
        g.defjvp(lambda *a: None)
        fd.grad(lambda x: g(x, 1.0))(1.0)


# --- jit ---------------------------------------------------------------------------------------


def test_custom_rules_and_checkpoint_compose_with_jit():
    if not hasattr(fd, "jit"):
        pytest.skip("fd.jit is not available")
    x = fnp.array([0.5, 1.0])
    want = 1 / (1 + np.exp(-host(x)))
    f = lambda x: fnp.sum(log1pexp(x))
    np.testing.assert_allclose(host(fd.jit(fd.grad(f))(x)), want, rtol=1e-6)
    np.testing.assert_allclose(host(fd.grad(lambda x: fnp.sum(fd.jit(log1pexp)(x)))(x)), want,
                               rtol=1e-6)
    clipped = lambda x: fnp.sum(5.0 * clip_gradient(-1.0, 1.0, x))
    np.testing.assert_allclose(host(fd.jit(fd.grad(clipped))(x)), [1.0, 1.0])
    np.testing.assert_allclose(host(fd.jit(fd.vmap(fd.grad(log1pexp)))(x)), want, rtol=1e-6)
    block = fd.checkpoint(lambda x: fnp.sin(fnp.sin(x)))
    g = fd.jit(fd.grad(lambda x: fnp.sum(block(x))))(x)
    np.testing.assert_allclose(host(g), np.cos(np.sin(host(x))) * np.cos(host(x)), rtol=1e-6)


def test_keyword_only_arguments_are_an_error():
    @fd.custom_jvp
    def f(x, *, scale=2.0):
        return x * scale

    f.defjvp(lambda p, t: (f(p[0]), 2.0 * t[0]))
    assert float(fd.grad(f)(1.0)) == 2.0
    with pytest.raises(TypeError, match=r"custom_jvp function f got keyword-only arguments "
                                        r"\['scale'\].*positional"):
        fd.grad(lambda x: f(x, scale=3.0))(1.0)


def test_python_control_flow_inside_a_custom_function_under_a_transform():
    @fd.custom_jvp
    def f(x):
        if x > 0:
            return x
        return -x

    f.defjvp(lambda p, t: (f(p[0]), t[0]))
    assert float(f(-2.0)) == 2.0  # no transform: the function is just called
    with pytest.raises(fd.ConcretizationTypeError, match=r"custom_jvp function f is traced.*"
                                                          r"fd.numpy.where.*nondiff_argnums"):
        fd.grad(f)(1.0)
