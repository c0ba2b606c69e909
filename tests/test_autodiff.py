"""Autodiff behaviour: closed forms, pytrees, nesting, control flow, jaxprs, conventions, errors.

Per-primitive derivatives are checked by the op table (test_op_grads.py); here the
transforms themselves: grad, value_and_grad, vjp, jvp, linearize, jacfwd, jacrev, hessian.
"""

from __future__ import annotations

import collections
import dataclasses
import math

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.core.aval import ShapedArray
from funcdiff.core.primitive import Primitive
from funcdiff.transforms.ad import NoRuleError


def prim_names(jaxpr):
    return [e.prim.name for e in jaxpr.eqns]


def close(a, b, tol=1e-10):
    np.testing.assert_allclose(host(a), np.asarray(b, dtype=np.float64), rtol=tol, atol=tol)


# --- closed forms -----------------------------------------------------------------------------


def test_tanh_derivatives_to_third_order(x64):
    x = np.linspace(-2.0, 2.0, 9)
    t = np.tanh(x)
    d1 = fd.vmap(fd.grad(fnp.tanh))(fnp.asarray(x))
    d2 = fd.vmap(fd.grad(fd.grad(fnp.tanh)))(fnp.asarray(x))
    d3 = fd.vmap(fd.grad(fd.grad(fd.grad(fnp.tanh))))(fnp.asarray(x))
    close(d1, 1 - t**2)
    close(d2, -2 * t * (1 - t**2))
    close(d3, (1 - t**2) * (6 * t**2 - 2))


def test_third_derivative_scalar_loop(x64):
    for x in (-1.5, 0.0, 0.3):
        t = math.tanh(x)
        close(fd.grad(fd.grad(fd.grad(fnp.tanh)))(x), (1 - t**2) * (6 * t**2 - 2))


def test_hessian_of_quadratic_form(x64):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4))
    b = rng.normal(size=4)
    f = lambda x: x @ fnp.asarray(a) @ x + fnp.asarray(b) @ x
    x = fnp.asarray(rng.normal(size=4))
    close(fd.hessian(f)(x), a + a.T)
    close(fd.jacrev(fd.jacrev(f))(x), a + a.T)
    close(fd.jacfwd(fd.jacfwd(f))(x), a + a.T)
    close(fd.grad(f)(x), (a + a.T) @ host(x) + b)


def test_logistic_regression_gradient(x64):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    y = (rng.random(20) > 0.5).astype(np.float64)
    w = rng.normal(size=3)

    def loss(w, X, y):
        z = X @ w
        p = 1 / (1 + fnp.exp(-z))
        return -fnp.mean(y * fnp.log(p) + (1 - y) * fnp.log(1 - p))

    p = 1 / (1 + np.exp(-X @ w))
    close(fd.grad(loss)(fnp.asarray(w), fnp.asarray(X), fnp.asarray(y)), X.T @ (p - y) / 20)
    hess = (X.T * (p * (1 - p))) @ X / 20
    close(fd.hessian(loss)(fnp.asarray(w), fnp.asarray(X), fnp.asarray(y)), hess, 1e-8)


def test_value_and_grad_and_argnums(x64):
    f = lambda x, y: fnp.sin(x) * y**2
    v, g = fd.value_and_grad(f)(0.5, 3.0)
    close(v, math.sin(0.5) * 9)
    close(g, math.cos(0.5) * 9)
    gx, gy = fd.grad(f, argnums=(0, 1))(0.5, 3.0)
    close(gx, math.cos(0.5) * 9)
    close(gy, math.sin(0.5) * 6)
    (gy_only,) = fd.grad(f, argnums=(1,))(0.5, 3.0)
    close(gy_only, math.sin(0.5) * 6)
    close(fd.grad(f, argnums=-1)(0.5, 3.0), math.sin(0.5) * 6)


def test_keyword_arguments_are_not_differentiated():
    f = lambda x, scale=1.0: fnp.sum(x * scale)
    g = fd.grad(f)(fnp.ones(2), scale=3.0)
    np.testing.assert_allclose(host(g), [3.0, 3.0])


def test_jvp_vjp_linearize_agree(x64):
    f = lambda x: fnp.sin(x) * fnp.exp(x)
    x = fnp.asarray(np.array([0.1, 0.7, -1.2]))
    t = fnp.asarray(np.array([1.0, -2.0, 0.5]))
    y, tj = fd.jvp(f, (x,), (t,))
    y2, f_jvp = fd.linearize(f, x)
    close(y2, host(y))
    close(f_jvp(t), host(tj))
    close(f_jvp(2 * t), 2 * host(tj))
    _, pullback = fd.vjp(f, x)
    (ct,) = pullback(t)
    d = np.cos(host(x)) * np.exp(host(x)) + np.sin(host(x)) * np.exp(host(x))
    close(tj, d * host(t))
    close(ct, d * host(t))


def test_vjp_pullback_reuse_and_has_aux():
    y, pullback, aux = fd.vjp(lambda x: (x * 2.0, {"n": fnp.argmax(x)}), fnp.ones(3),
                              has_aux=True)
    assert int(aux["n"]) == 0
    for c in (1.0, 2.0):
        (g,) = pullback(fnp.full(3, c))
        np.testing.assert_allclose(host(g), [2 * c] * 3)


def test_linearize_and_jvp_has_aux():
    f = lambda x: (fnp.sin(x), fnp.argmax(x))
    y, f_jvp, aux = fd.linearize(f, fnp.zeros(2), has_aux=True)
    np.testing.assert_allclose(host(f_jvp(fnp.ones(2))), [1.0, 1.0])
    assert int(aux) == 0
    y, t, aux = fd.jvp(f, (fnp.zeros(2),), (fnp.ones(2),), has_aux=True)
    np.testing.assert_allclose(host(t), [1.0, 1.0])


def test_jacobians_of_pytrees(x64):
    f = lambda p: {"a": p["u"] * p["v"], "b": fnp.sum(p["u"]) * p["v"]}
    p = {"u": fnp.asarray(np.array([1.0, 2.0])), "v": fnp.asarray(np.array(3.0))}
    for jac in (fd.jacfwd(f), fd.jacrev(f)):
        j = jac(p)
        close(j["a"]["u"], 3 * np.eye(2))
        close(j["a"]["v"], [1.0, 2.0])
        close(j["b"]["u"], [3.0, 3.0])
        close(j["b"]["v"], 3.0)


def test_jacobians_with_argnums_tuple_and_aux():
    f = lambda x, y: (x * y, fnp.argmax(x))
    x, y = fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0])
    for jac in (fd.jacfwd, fd.jacrev):
        (jx, jy), aux = jac(f, argnums=(0, 1), has_aux=True)(x, y)
        np.testing.assert_allclose(host(jx), np.diag([3.0, 4.0]))
        np.testing.assert_allclose(host(jy), np.diag([1.0, 2.0]))
        assert int(aux) == 1


def test_jacobian_shapes():
    f = lambda x: fnp.outer(x, x)
    x = fnp.ones(3)
    assert fd.jacfwd(f)(x).shape == (3, 3, 3)
    assert fd.jacrev(f)(x).shape == (3, 3, 3)
    assert fd.hessian(lambda m: fnp.sum(m**3))(fnp.ones((2, 2))).shape == (2, 2, 2, 2)


# --- pytrees ----------------------------------------------------------------------------------


class Params(collections.namedtuple("Params", "w b")):
    pass


@dataclasses.dataclass
class Layer:
    w: fd.Array
    b: fd.Array


fd.tree.register_dataclass(Layer, data_fields=["w", "b"], meta_fields=[])


class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b


fd.tree.register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda _, c: Pair(*c))


def _loss(params, x, y):
    w, b = (params["w"], params["b"]) if isinstance(params, dict) else (
        (params[0], params[1]) if isinstance(params, (list, tuple)) else
        ((params.a, params.b) if isinstance(params, Pair) else (params.w, params.b)))
    return fnp.mean((x @ w + b - y) ** 2)


@pytest.mark.parametrize("make", [
    lambda w, b: {"w": w, "b": b},
    lambda w, b: [w, b],
    lambda w, b: (w, b),
    lambda w, b: Params(w, b),
    lambda w, b: Layer(w, b),
    lambda w, b: Pair(w, b),
], ids=["dict", "list", "tuple", "namedtuple", "dataclass", "registered"])
def test_grad_keeps_the_structure_of_params(make, x64):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=8)
    w, b = rng.normal(size=3), 0.5
    params = make(fnp.asarray(w), fnp.asarray(b))
    g = fd.grad(_loss)(params, fnp.asarray(x), fnp.asarray(y))
    assert type(g) is type(params)
    r = x @ w + b - y
    got = fd.tree.leaves(g)
    close(got[0] if not isinstance(g, dict) else g["w"], 2 * x.T @ r / 8)
    close(got[1] if not isinstance(g, dict) else g["b"], 2 * r.mean())


def test_none_leaves_and_nested_containers():
    params = {"layers": [{"w": fnp.ones(2), "b": None}], "scale": (fnp.array(2.0),)}
    g = fd.grad(lambda p: fnp.sum(p["layers"][0]["w"]) * p["scale"][0])(params)
    assert g["layers"][0]["b"] is None
    np.testing.assert_allclose(host(g["layers"][0]["w"]), [2.0, 2.0])
    np.testing.assert_allclose(host(g["scale"][0]), 2.0)


def test_pytree_outputs_of_vjp():
    out, pullback = fd.vjp(lambda x: {"s": fnp.sum(x), "d": x * 2}, fnp.ones(2))
    (g,) = pullback({"s": fnp.array(1.0), "d": fnp.ones(2)})
    np.testing.assert_allclose(host(g), [3.0, 3.0])


# --- nesting and composition ------------------------------------------------------------------


def test_grad_of_grad_of_grad_polynomial():
    f = lambda x: x**4
    assert float(fd.grad(fd.grad(fd.grad(f)))(2.0)) == pytest.approx(48.0)
    assert float(fd.grad(fd.grad(fd.grad(fd.grad(f))))(2.0)) == pytest.approx(24.0)


def test_forward_over_reverse_and_reverse_over_forward(x64):
    f = lambda x: fnp.sum(fnp.sin(x) * x)
    x = fnp.asarray(np.array([0.3, -0.4]))
    h = np.diag(2 * np.cos(host(x)) - host(x) * np.sin(host(x)))
    close(fd.jacfwd(fd.jacrev(f))(x), h)
    close(fd.jacrev(fd.jacfwd(f))(x), h)
    close(fd.jacfwd(fd.grad(f))(x), h)
    hvp = lambda v: fd.jvp(fd.grad(f), (x,), (v,))[1]
    close(hvp(fnp.asarray(np.array([1.0, 0.0]))), h[:, 0])


def test_grad_and_vmap_compose(x64):
    f = lambda w, x: fnp.tanh(w @ x)
    w = fnp.asarray(np.array([0.5, -0.2]))
    xs = fnp.asarray(np.random.default_rng(3).normal(size=(5, 2)))
    per_example = fd.vmap(fd.grad(f), in_axes=(None, 0))(w, xs)
    loop = np.stack([host(fd.grad(f)(w, xs[i])) for i in range(5)])
    close(per_example, loop)
    total = fd.grad(lambda w: fnp.sum(fd.vmap(f, in_axes=(None, 0))(w, xs)))(w)
    close(total, loop.sum(0))


def test_closure_over_outer_tracer():
    def outer(y):
        return fd.grad(lambda x: x * y * x)(3.0)  # d/dx = 2xy, depends on y

    assert float(fd.grad(outer)(2.0)) == pytest.approx(6.0)


def test_python_control_flow_follows_the_branch():
    def f(x):
        if x > 0:
            return fnp.sin(x)
        for _ in range(3):
            x = x * 2.0
        return x

    assert float(fd.grad(f)(1.0)) == pytest.approx(math.cos(1.0))
    assert float(fd.grad(f)(-1.0)) == pytest.approx(8.0)
    assert float(fd.grad(fd.grad(f))(1.0)) == pytest.approx(-math.sin(1.0))
    steps = lambda x: fnp.sum(x) if int(fnp.argmax(x)) == 0 else fnp.sum(x**2)
    np.testing.assert_allclose(host(fd.grad(steps)(fnp.array([1.0, 3.0]))), [2.0, 6.0])


def test_while_loop_in_python_on_values():
    def newton_sqrt(a):
        x = a
        while abs(float(x * x - a)) > 1e-6:
            x = 0.5 * (x + a / x)
        return x

    assert float(fd.grad(newton_sqrt)(4.0)) == pytest.approx(0.25, rel=1e-4)


def test_stop_gradient():
    f = lambda x: x * fd.stop_gradient(x * x)
    assert float(fd.grad(f)(3.0)) == pytest.approx(9.0)
    g = fd.grad(lambda p: fnp.sum(fd.stop_gradient(p)["a"] * p["b"]))(
        {"a": fnp.ones(2), "b": fnp.full(2, 2.0)})
    np.testing.assert_allclose(host(g["a"]), [0.0, 0.0])
    np.testing.assert_allclose(host(g["b"]), [1.0, 1.0])


# --- the recorded programs --------------------------------------------------------------------


def test_grad_of_sin_is_one_cos_and_no_sin():
    names = prim_names(fd.make_jaxpr(fd.grad(fnp.sin))(1.0))
    assert names.count("cos") == 1
    assert "sin" not in names


def test_grad_of_exp_reuses_the_forward_value():
    names = prim_names(fd.make_jaxpr(fd.grad(fnp.exp))(1.0))
    assert names.count("exp") == 1
    names = prim_names(fd.make_jaxpr(fd.value_and_grad(fnp.exp))(1.0))
    assert names.count("exp") == 1


def test_grad_jaxpr_has_no_dead_code():
    f = lambda x: fnp.sum(fnp.tanh(x) * fnp.cos(x))
    jaxpr = fd.make_jaxpr(fd.grad(f))(fnp.ones(3))
    used = {v for e in jaxpr.eqns for v in e.invars} | set(jaxpr.outvars)
    for e in jaxpr.eqns:
        assert any(v in used for v in e.outvars), f"dead equation {e.prim.name}"
    names = prim_names(jaxpr)
    assert names.count("tanh") == 1 and names.count("cos") == 1 and "sin" in names


def test_higher_order_jaxpr_composes():
    jaxpr = fd.make_jaxpr(fd.grad(fd.grad(fnp.sin)))(1.0)
    assert prim_names(jaxpr).count("sin") == 1
    assert "cos" not in prim_names(jaxpr)


# --- non-differentiable points (JAX's conventions) --------------------------------------------


@pytest.mark.parametrize("f, x, want", [
    (fnp.abs, 0.0, 1.0),
    (lambda x: fnp.maximum(x, 0.0), 0.0, 0.5),
    (lambda x: fnp.minimum(x, 0.0), 0.0, 0.5),
    (lambda x: fnp.max(fnp.stack([x, x])), 1.0, 1.0),
    (fnp.sqrt, 0.0, math.inf),
    (fnp.floor, 1.5, 0.0),
    (fnp.ceil, 1.5, 0.0),
    (fnp.round, 0.5, 0.0),
    (fnp.sign, 1.0, 0.0),
    (lambda x: fnp.where(x > 0, x, 0.0), 0.0, 0.0),
    (lambda x: fnp.clip(x, 0.0, 1.0), 2.0, 0.0),
], ids=["abs", "max-tie", "min-tie", "reduce-max-tie", "sqrt", "floor", "ceil", "round",
        "sign", "relu-where", "clip"])
def test_conventions_at_nondifferentiable_points(f, x, want):
    with np.errstate(divide="ignore", invalid="ignore"):
        assert float(fd.grad(f)(x)) == want


def test_integer_outputs_have_no_gradient():
    f = lambda x: (fnp.sum(x), fnp.argmax(x))
    _, pullback = fd.vjp(f, fnp.ones(3))
    (g,) = pullback((fnp.array(1.0), fnp.array(7)))
    np.testing.assert_allclose(host(g), [1.0, 1.0, 1.0])
    g, aux = fd.grad(lambda x: (fnp.sum(x**2), (fnp.argmax(x), x > 1)), has_aux=True)(
        fnp.arange(3.0))
    np.testing.assert_allclose(host(g), [0.0, 2.0, 4.0])
    assert int(aux[0]) == 2 and host(aux[1]).tolist() == [False, False, True]
    g = fd.grad(lambda x: fnp.sum(x * fnp.floor(x).astype("int32")))(fnp.array([1.5, 2.5]))
    np.testing.assert_allclose(host(g), [1.0, 2.0])


def test_allow_int_gives_zero_gradients():
    g = fd.grad(lambda x, n: x * n, argnums=(0, 1), allow_int=True)(2.0, 3)
    assert float(g[0]) == 3.0 and int(g[1]) == 0


# --- errors -----------------------------------------------------------------------------------


def test_grad_of_non_scalar_names_shape_and_fixes():
    with pytest.raises(TypeError, match=r"scalar output, got f32\[3\].*\.sum\(\).*jacrev"):
        fd.grad(lambda x: x * 2)(fnp.ones(3))
    with pytest.raises(TypeError, match=r"scalar output, got a tuple.*has_aux"):
        fd.grad(lambda x: (x, x))(1.0)
    with pytest.raises(TypeError, match=r"real-valued output, got i32\[\]"):
        fd.grad(lambda x: fnp.argmax(x))(fnp.ones(2))


def test_grad_of_integer_input_names_argument_and_dtype():
    def loss(w, n):
        return w * n

    with pytest.raises(TypeError, match=r"argument 1 \(n\) of loss has dtype int32.*allow_int"):
        fd.grad(loss, argnums=1)(2.0, fnp.array(3))
    with pytest.raises(TypeError, match=r"argument 0 \(p\)\['k'\] of <lambda> has dtype int32"):
        fd.grad(lambda p: p["k"] * 1.0)({"k": fnp.array(1)})


def test_grad_of_non_array_argument():
    with pytest.raises(TypeError, match=r"str .abc. as argument 0 \(x\).*not an array.*argnums"):
        fd.grad(lambda x: 1.0)("abc")


def test_argnums_out_of_range():
    with pytest.raises(ValueError, match=r"argnums=2 is out of range.*2 positional"):
        fd.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


def test_has_aux_needs_a_pair():
    with pytest.raises(TypeError, match=r"has_aux=True.*pair"):
        fd.grad(lambda x: x * 2.0, has_aux=True)(1.0)
    with pytest.raises(TypeError, match=r"has_aux=True.*pair"):
        fd.jvp(lambda x: x, (1.0,), (1.0,), has_aux=True)


def test_jvp_argument_errors():
    with pytest.raises(TypeError, match=r"jvp takes primals and tangents as tuples"):
        fd.jvp(fnp.sin, 1.0, 1.0)
    with pytest.raises(TypeError, match=r"structure"):
        fd.jvp(lambda x, y: x, (1.0, 2.0), (1.0,))
    with pytest.raises(ValueError, match=r"tangent of type f32\[2\] for a primal of type f32\[3\]"):
        fd.jvp(fnp.sin, (fnp.ones(3),), (fnp.ones(2),))


def test_jvp_tangent_dtype_mismatch(x64):
    with pytest.raises(TypeError, match=r"tangent of dtype float64 for a primal of dtype float32"):
        fd.jvp(fnp.sin, (fnp.ones(2, dtype="float32"),), (fnp.ones(2, dtype="float64"),))


def test_vjp_cotangent_errors():
    _, pullback = fd.vjp(lambda x: {"a": x}, fnp.ones(2))
    with pytest.raises(TypeError, match=r"cotangent of structure.*output has structure"):
        pullback(fnp.ones(2))
    with pytest.raises(ValueError, match=r"cotangent of type f32\[3\] for an output of type"):
        pullback({"a": fnp.ones(3)})


def test_jacobian_of_integers_is_an_error():
    with pytest.raises(TypeError, match=r"jacfwd requires real-valued inputs.*int32"):
        fd.jacfwd(lambda x: x)(fnp.arange(2))
    with pytest.raises(TypeError, match=r"jacrev requires real-valued outputs.*int32"):
        fd.jacrev(lambda x: fnp.argmax(x))(fnp.ones(2))


_norule_p = Primitive("norule_test")
_norule_p.def_impl(lambda xp, x: x * 2)
_norule_p.def_abstract_eval(lambda x: ShapedArray(x.shape, x.dtype, x.weak_type))


def test_primitive_without_rule_names_it_and_the_transform():
    f = lambda x: fnp.sum(_norule_p.bind(x))
    assert float(f(fnp.ones(2))) == 4.0
    with pytest.raises(NoRuleError, match=r"'norule_test' has no VJP \(reverse-mode\) rule"):
        fd.grad(f)(fnp.ones(2))
    with pytest.raises(NotImplementedError, match=r"'norule_test' has no JVP \(forward-mode\)"):
        fd.jvp(f, (fnp.ones(2),), (fnp.ones(2),))


def test_lax_level_grad():
    assert float(fd.grad(lambda x: lax.mul(lax.sin(x), 2.0))(0.0)) == 2.0
