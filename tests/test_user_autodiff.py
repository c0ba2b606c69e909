"""Issue #3 (autodiff), checked the way a user of the DESIGN.md contract would check it.

Written as a JAX user porting code writes it (``fd`` in place of ``jax``). Expected numbers
were computed once with JAX 0.10 in float64 (``jax_enable_x64``) and pasted here; the
project never imports JAX.
"""

from __future__ import annotations

import numpy as np
import pytest
from jax_reference import assert_same, to_py

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax


def ad_cases(fd, fnp, lax):
    """Autodiff as a JAX user writes it (``fd`` = jax or funcdiff), in float64."""
    x = fnp.array([0.5, -1.2, 2.0])
    w = fnp.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.2]])

    def loss(w, x):
        return fnp.sum(fnp.tanh(w @ x) ** 2)

    def g(a):
        return fnp.stack([a[0] * a[1], fnp.sin(a[2]), a[0] ** 2])

    def pyctrl(a):
        if a > 0:
            for _ in range(3):
                a = a * fnp.sin(a)
            return a
        return -a ** 2

    def pywhile(a):
        while a < 10.0:
            a = a * 2.0
        return a

    @fd.custom_jvp
    def log1pexp(x):
        return fnp.log(1.0 + fnp.exp(x))

    @log1pexp.defjvp
    def log1pexp_jvp(primals, tangents):
        (x,), (x_dot,) = primals, tangents
        return log1pexp(x), (1 - 1 / (1 + fnp.exp(x))) * x_dot

    @fd.custom_vjp
    def clip_gradient(lo, hi, x):
        return x

    def clip_gradient_fwd(lo, hi, x):
        return x, (lo, hi)

    def clip_gradient_bwd(res, g):
        lo, hi = res
        return (None, None, fnp.clip(g, lo, hi))

    clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)

    def clip_sin(x):
        return fnp.sin(clip_gradient(-0.75, 0.75, x))

    # The form of JAX's documentation: the bounds are non-differentiable arguments.
    def clip_gradient_nondiff(lo, hi, x):
        return x

    clip_gradient_nondiff = fd.custom_vjp(clip_gradient_nondiff, nondiff_argnums=(0, 1))
    clip_gradient_nondiff.defvjp(lambda lo, hi, x: (x, None),
                                 lambda lo, hi, _, g: (fnp.clip(g, lo, hi),))

    @fd.custom_jvp
    def f2(x, y):
        return fnp.sin(x) * y

    f2.defjvps(lambda x_dot, ans, x, y: fnp.cos(x) * x_dot * y,
               lambda y_dot, ans, x, y: fnp.sin(x) * y_dot)

    def vjp_pair():
        out, pullback = fd.vjp(lambda a, b: (a * b, fnp.sum(a)), x, 2.0)
        return out, pullback((fnp.ones(3), 1.0))

    def vjp_aux():
        out, pullback, aux = fd.vjp(lambda a: (a * 2, {"m": fnp.mean(a)}), x, has_aux=True)
        return out, pullback(fnp.array([1.0, 2.0, 3.0])), aux

    def linearized():
        y, f_jvp = fd.linearize(fnp.sin, x)
        return y, f_jvp(fnp.ones(3)), f_jvp(fnp.array([2.0, 0.0, -1.0]))

    params = {"w": w, "b": fnp.array([0.1, -0.2])}

    def model_loss(p, x):
        return fnp.mean((p["w"] @ x + p["b"]) ** 2)

    return {
        "grad": lambda: fd.grad(loss)(w, x),
        "grad_argnums_1": lambda: fd.grad(loss, argnums=1)(w, x),
        "grad_argnums_tuple": lambda: fd.grad(loss, argnums=(0, 1))(w, x),
        "grad_argnums_single_tuple": lambda: fd.grad(loss, argnums=(1,))(w, x),
        "value_and_grad": lambda: fd.value_and_grad(loss, argnums=(0, 1))(w, x),
        "grad_has_aux_int": lambda: fd.grad(lambda a: (fnp.sum(a ** 2), 3), has_aux=True)(x),
        "value_and_grad_has_aux_bool": lambda: fd.value_and_grad(
            lambda a: (fnp.sum(a ** 2), True), has_aux=True)(x),
        "value_and_grad_aux_tree": lambda: fd.value_and_grad(
            lambda a: (fnp.sum(a ** 3), {"n": a.shape[0], "m": fnp.mean(a)}), has_aux=True)(x),
        "grad_python_scalar": lambda: fd.grad(lambda a: a ** 3)(2.0),
        "grad_dict_params": lambda: fd.grad(model_loss)(params, x),
        "grad_kwargs_not_differentiated": lambda: fd.grad(lambda a, b=2.0: a * b)(3.0, b=5.0),
        "grad_none_leaf": lambda: fd.grad(lambda p: p["w"] ** 2)({"w": 3.0, "z": None}),
        "jvp": lambda: fd.jvp(fnp.sin, (x,), (fnp.ones(3),)),
        "jvp_tree": lambda: fd.jvp(lambda d: {"o": d["a"] * d["b"]}, ({"a": 2.0, "b": 3.0},),
                                   ({"a": 1.0, "b": 0.5},)),
        "jvp_has_aux": lambda: fd.jvp(lambda a: (a * 2, fnp.sum(a)), (x,), (x,), has_aux=True),
        "vjp": vjp_pair,
        "vjp_has_aux": vjp_aux,
        "linearize": linearized,
        "jacfwd": lambda: fd.jacfwd(g)(x),
        "jacrev": lambda: fd.jacrev(g)(x),
        "jacfwd_matrix_input": lambda: fd.jacfwd(lambda m: m @ x)(w),
        "jacrev_matrix_input": lambda: fd.jacrev(lambda m: m @ x)(w),
        "jacrev_argnums": lambda: fd.jacrev(lambda m, v: m @ v, argnums=(0, 1))(w, x),
        "jacfwd_dict": lambda: fd.jacfwd(lambda d: {"y": d["a"] * 2, "z": fnp.sum(d["b"])})(
            {"a": x, "b": fnp.ones(2)}),
        "jacrev_dict": lambda: fd.jacrev(lambda d: {"y": d["a"] * 2, "z": fnp.sum(d["b"])})(
            {"a": x, "b": fnp.ones(2)}),
        "jacrev_two_outputs": lambda: fd.jacrev(lambda a: (a * 2, fnp.sum(a)))(x),
        "jacrev_has_aux": lambda: fd.jacrev(lambda a: (fnp.sin(a), 7), has_aux=True)(x),
        "jacfwd_outer": lambda: fd.jacfwd(lambda a: fnp.outer(a, a))(fnp.array([1.0, 2.0])),
        "hessian": lambda: fd.hessian(lambda a: fnp.sum(a ** 3) + a[0] * a[1])(x),
        "hessian_dict": lambda: fd.hessian(lambda d: d["a"] ** 2 * d["b"])({"a": 1.5, "b": 2.0}),
        "hessian_argnums": lambda: fd.hessian(lambda a, b: fnp.sum(a * a * b), argnums=1)(x, 2.0),
        "stop_gradient": lambda: fd.grad(lambda a: a * lax.stop_gradient(a ** 2))(3.0),
        "stop_gradient_tree": lambda: fd.grad(
            lambda a: fnp.sum(lax.stop_gradient({"q": a})["q"] * a))(x),
        "grad_grad_grad_tanh": lambda: fd.grad(fd.grad(fd.grad(fnp.tanh)))(0.7),
        "grad4_sin": lambda: fd.grad(fd.grad(fd.grad(fd.grad(fnp.sin))))(0.7),
        "grad_python_if_positive": lambda: fd.grad(pyctrl)(1.3),
        "grad_python_if_negative": lambda: fd.grad(pyctrl)(-1.3),
        "grad_python_while": lambda: fd.grad(pywhile)(1.5),
        "log1pexp_grad_at_100": lambda: fd.grad(log1pexp)(100.0),
        "log1pexp_vmap_grad": lambda: fd.vmap(fd.grad(log1pexp))(fnp.array([0.0, 1.0, 2.0])),
        "log1pexp_second_derivative": lambda: fd.grad(fd.grad(log1pexp))(1.5),
        "log1pexp_jvp": lambda: fd.jvp(log1pexp, (1.0,), (2.0,)),
        "custom_jvp_defjvps": lambda: fd.grad(f2, argnums=(0, 1))(2.0, 3.0),
        "clip_gradient": lambda: fd.grad(clip_sin)(0.1),
        "clip_gradient_vmap": lambda: fd.vmap(fd.grad(clip_sin))(fnp.array([0.1, 0.5, 2.0])),
        "clip_gradient_nondiff_argnums": lambda: fd.grad(
            lambda a: fnp.sin(clip_gradient_nondiff(-0.75, 0.75, a)) * 2)(0.1),
        "checkpoint": lambda: fd.grad(fd.checkpoint(lambda a: fnp.sum(fnp.sin(fnp.sin(a)))))(x),
        "checkpoint_second_order": lambda: fd.grad(fd.grad(
            fd.checkpoint(lambda a: fnp.sin(fnp.sin(a)))))(0.3),
        "grad_max_ties": lambda: fd.grad(fnp.max)(fnp.array([1.0, 3.0, 3.0])),
        "grad_sort": lambda: fd.grad(lambda a: fnp.sort(a)[0] * 2 + fnp.sort(a)[2])(x),
        "grad_cumsum": lambda: fd.grad(lambda a: fnp.sum(fnp.cumsum(a) ** 2))(x),
        "grad_gather_repeated": lambda: fd.grad(lambda a: a[fnp.array([0, 0, 2])].sum())(x),
        "grad_at_set": lambda: fd.grad(lambda a: fnp.sum(a.at[1].set(5.0) ** 2))(x),
        "grad_det": lambda: fd.grad(fnp.linalg.det)(fnp.array([[2.0, 1.0], [0.5, 3.0]])),
        "grad_inv": lambda: fd.grad(lambda m: fnp.sum(fnp.linalg.inv(m)))(
            fnp.array([[2.0, 1.0], [0.5, 3.0]])),
        "grad_solve": lambda: fd.grad(lambda m: fnp.sum(fnp.linalg.solve(
            m, fnp.array([1.0, 2.0]))))(fnp.array([[2.0, 1.0], [0.5, 3.0]])),
        "grad_cholesky": lambda: fd.grad(lambda m: fnp.sum(fnp.linalg.cholesky(
            m @ m.T + fnp.eye(2))))(fnp.array([[2.0, 1.0], [0.5, 3.0]])),
        "grad_norm": lambda: fd.grad(fnp.linalg.norm)(fnp.array([3.0, 4.0])),
        "grad_einsum": lambda: fd.grad(lambda m: fnp.einsum("ij,jk->", m, m.T))(w),
        "grad_std": lambda: fd.grad(fnp.std)(x),
        "grad_prod_with_zero": lambda: fd.grad(fnp.prod)(fnp.array([2.0, 0.0, 3.0])),
        "grad_pow_both": lambda: fd.grad(lambda a, b: a ** b, argnums=(0, 1))(2.0, 3.0),
        "grad_relu_at_zero": lambda: fd.grad(lambda a: fnp.maximum(a, 0.0))(0.0),
        "grad_where_safe": lambda: fd.grad(lambda a: fnp.where(a > 0, a ** 2, 0.0))(-1.0),
    }



JAX_RESULTS = {
    "grad": (
        "float64",
        [
            [0.00109740807205, -0.00263377937292, 0.0043896322882],
            [0.0896350849747, -0.215124203939, 0.358540339899],
        ],
    ),
    "grad_argnums_1": ("float64", [0.0918299011188, -0.174880537661, 0.0424384824222]),
    "grad_argnums_tuple": (
        (
            "float64",
            [
                [0.00109740807205, -0.00263377937292, 0.0043896322882],
                [0.0896350849747, -0.215124203939, 0.358540339899],
            ],
        ),
        ("float64", [0.0918299011188, -0.174880537661, 0.0424384824222]),
    ),
    "grad_argnums_single_tuple": (
        ("float64", [0.0918299011188, -0.174880537661, 0.0424384824222]),
    ),
    "value_and_grad": (
        ("float64", 1.90472235593),
        (
            (
                "float64",
                [
                    [0.00109740807205, -0.00263377937292, 0.0043896322882],
                    [0.0896350849747, -0.215124203939, 0.358540339899],
                ],
            ),
            ("float64", [0.0918299011188, -0.174880537661, 0.0424384824222]),
        ),
    ),
    "grad_has_aux_int": (("float64", [1.0, -2.4, 4.0]), 3),
    "value_and_grad_has_aux_bool": ((("float64", 5.69), True), ("float64", [1.0, -2.4, 4.0])),
    "value_and_grad_aux_tree": (
        (("float64", 6.397), {"m": ("float64", 0.433333333333), "n": 3}),
        ("float64", [0.75, 4.32, 12.0]),
    ),
    "grad_python_scalar": ("float64", 12.0),
    "grad_dict_params": {
        "b": ("float64", [4.2, 1.65]),
        "w": ("float64", [[2.1, -5.04, 8.4], [0.825, -1.98, 3.3]]),
    },
    "grad_kwargs_not_differentiated": ("float64", 5.0),
    "grad_none_leaf": {"w": ("float64", 6.0), "z": None},
    "jvp": (
        ("float64", [0.479425538604, -0.932039085967, 0.909297426826]),
        ("float64", [0.87758256189, 0.362357754477, -0.416146836547]),
    ),
    "jvp_tree": ({"o": ("float64", 6.0)}, {"o": ("float64", 4.0)}),
    "jvp_has_aux": (
        ("float64", [1.0, -2.4, 4.0]),
        ("float64", [1.0, -2.4, 4.0]),
        ("float64", 1.3),
    ),
    "vjp": (
        (("float64", [1.0, -2.4, 4.0]), ("float64", 1.3)),
        (("float64", [3.0, 3.0, 3.0]), ("float64", 1.3)),
    ),
    "vjp_has_aux": (
        ("float64", [1.0, -2.4, 4.0]),
        (("float64", [2.0, 4.0, 6.0]),),
        {"m": ("float64", 0.433333333333)},
    ),
    "linearize": (
        ("float64", [0.479425538604, -0.932039085967, 0.909297426826]),
        ("float64", [0.87758256189, 0.362357754477, -0.416146836547]),
        ("float64", [1.75516512378, 0.0, 0.416146836547]),
    ),
    "jacfwd": ("float64", [[-1.2, 0.5, 0.0], [-0.0, -0.0, -0.416146836547], [1.0, 0.0, 0.0]]),
    "jacrev": ("float64", [[-1.2, 0.5, 0.0], [0.0, 0.0, -0.416146836547], [1.0, 0.0, 0.0]]),
    "jacfwd_matrix_input": (
        "float64",
        [[[0.5, -1.2, 2.0], [0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [0.5, -1.2, 2.0]]],
    ),
    "jacrev_matrix_input": (
        "float64",
        [[[0.5, -1.2, 2.0], [0.0, -0.0, 0.0]], [[0.0, -0.0, 0.0], [0.5, -1.2, 2.0]]],
    ),
    "jacrev_argnums": (
        ("float64", [[[0.5, -1.2, 2.0], [0.0, -0.0, 0.0]], [[0.0, -0.0, 0.0], [0.5, -1.2, 2.0]]]),
        ("float64", [[1.0, 2.0, 3.0], [0.5, -1.0, 0.2]]),
    ),
    "jacfwd_dict": {
        "y": {
            "a": ("float64", [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]),
            "b": ("float64", [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]),
        },
        "z": {"a": ("float64", [0.0, 0.0, 0.0]), "b": ("float64", [1.0, 1.0])},
    },
    "jacrev_dict": {
        "y": {
            "a": ("float64", [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]),
            "b": ("float64", [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]),
        },
        "z": {"a": ("float64", [0.0, 0.0, 0.0]), "b": ("float64", [1.0, 1.0])},
    },
    "jacrev_two_outputs": (
        ("float64", [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]),
        ("float64", [1.0, 1.0, 1.0]),
    ),
    "jacrev_has_aux": (
        (
            "float64",
            [[0.87758256189, 0.0, -0.0], [0.0, 0.362357754477, -0.0], [0.0, 0.0, -0.416146836547]],
        ),
        7,
    ),
    "jacfwd_outer": ("float64", [[[2.0, 0.0], [2.0, 1.0]], [[2.0, 1.0], [0.0, 4.0]]]),
    "hessian": ("float64", [[3.0, 1.0, 0.0], [1.0, -7.2, 0.0], [0.0, 0.0, 12.0]]),
    "hessian_dict": {
        "a": {"a": ("float64", 4.0), "b": ("float64", 3.0)},
        "b": {"a": ("float64", 3.0), "b": ("float64", 0.0)},
    },
    "hessian_argnums": ("float64", 0.0),
    "stop_gradient": ("float64", 9.0),
    "stop_gradient_tree": ("float64", [0.5, -1.2, 2.0]),
    "grad_grad_grad_tanh": ("float64", 0.121592277383),
    "grad4_sin": ("float64", 0.644217687238),
    "grad_python_if_positive": ("float64", 2.41158138548),
    "grad_python_if_negative": ("float64", 2.6),
    "grad_python_while": ("float64", 8.0),
    "log1pexp_grad_at_100": ("float64", 1.0),
    "log1pexp_vmap_grad": ("float64", [0.5, 0.73105857863, 0.880797077978]),
    "log1pexp_second_derivative": ("float64", 0.14914645207),
    "log1pexp_jvp": (("float64", 1.31326168752), ("float64", 1.46211715726)),
    "custom_jvp_defjvps": (("float64", -1.24844050964), ("float64", 0.909297426826)),
    "clip_gradient": ("float64", 0.75),
    "clip_gradient_vmap": ("float64", [0.75, 0.75, -0.416146836547]),
    "clip_gradient_nondiff_argnums": ("float64", 0.75),
    "checkpoint": ("float64", [0.778643948372, 0.216037029593, -0.255639119093]),
    "checkpoint_second_order": ("float64", -0.54851276488),
    "grad_max_ties": ("float64", [0.0, 0.5, 0.5]),
    "grad_sort": ("float64", [0.0, 2.0, 1.0]),
    "grad_cumsum": ("float64", [2.2, 1.2, 2.6]),
    "grad_gather_repeated": ("float64", [2.0, 0.0, 1.0]),
    "grad_at_set": ("float64", [1.0, 0.0, 4.0]),
    "grad_det": ("float64", [[3.0, -0.5], [-1.0, 2.0]]),
    "grad_inv": (
        "float64",
        [[-0.165289256198, -0.123966942149], [-0.0661157024793, -0.0495867768595]],
    ),
    "grad_solve": (
        "float64",
        [[-0.0826446280992, -0.289256198347], [-0.0330578512397, -0.115702479339]],
    ),
    "grad_cholesky": (
        "float64",
        [[0.678032183097, 0.795948604389], [0.513882814593, 1.2555668362]],
    ),
    "grad_norm": ("float64", [0.6, 0.8]),
    "grad_einsum": ("float64", [[3.0, 2.0, 6.4], [3.0, 2.0, 6.4]]),
    "grad_std": ("float64", [0.0169992817955, -0.41648240399, 0.399483122195]),
    "grad_prod_with_zero": ("float64", [0.0, 6.0, 0.0]),
    "grad_pow_both": (("float64", 12.0), ("float64", 5.54517744448)),
    "grad_relu_at_zero": ("float64", 0.5),
    "grad_where_safe": ("float64", -0.0),
}


@pytest.mark.parametrize("name", sorted(JAX_RESULTS))
def test_autodiff_matches_jax(name, x64):
    assert_same(to_py(ad_cases(fd, fnp, lax)[name]()), JAX_RESULTS[name], name)


# --- float32 by default, shapes as JAX lays them out --------------------------------------------


def test_gradients_keep_float32_and_jacobian_layouts():
    x = fnp.ones(3)
    assert fd.grad(lambda a: fnp.sum(a ** 2))(x).dtype == fnp.float32
    assert fd.grad(lambda a: a * 2.0)(2.0).dtype == fnp.float32
    w = fnp.ones((2, 3))
    assert fd.jacfwd(lambda m: m @ x)(w).shape == (2, 2, 3)  # out shape + in shape
    assert fd.jacrev(lambda m: m @ x)(w).shape == (2, 2, 3)
    assert fd.hessian(lambda m: fnp.sum(m ** 3))(w).shape == (2, 3, 2, 3)
    jac = fd.jacrev(lambda d: {"y": d["a"] * 2.0})({"a": x, "b": 1.0})
    assert jac["y"]["a"].shape == (3, 3) and jac["y"]["b"].shape == (3,)
    assert fd.grad(lambda a: a * fd.stop_gradient(a))(3.0).item() == 3.0


def test_check_grads_accepts_correct_and_rejects_wrong_derivatives(x64):
    fd.check_grads(lambda a: fnp.sum(fnp.sin(a) * a), (fnp.array([0.5, -1.2, 2.0]),), order=2)
    fd.check_grads(lambda a, b: a * fnp.exp(b), (0.3, 0.7), order=2, modes=["rev"])
    wrong = fd.custom_jvp(fnp.sin)
    wrong.defjvp(lambda p, t: (fnp.sin(p[0]), 2 * t[0]))
    with pytest.raises(AssertionError, match=r"check_grads: JVP does not match numerical "
                       r"differences for argument 0"):
        fd.check_grads(wrong, (0.3,), order=1)
    with pytest.raises(AssertionError, match="check_grads: VJP does not match"):
        fd.check_grads(wrong, (0.3,), order=1, modes=["rev"])


def test_grad_of_python_control_flow_follows_the_branch_taken(x64):
    def f(x):
        return x ** 3 if x > 1 else fnp.sin(x)

    assert fd.grad(f)(2.0).item() == pytest.approx(12.0)
    assert fd.grad(f)(0.5).item() == pytest.approx(np.cos(0.5))

    def loop(x, n):
        for _ in range(n):
            x = fnp.tanh(x) * 2.0
        return x

    eps = 1e-6
    fd_num = (loop(0.3 + eps, 4) - loop(0.3 - eps, 4)) / (2 * eps)
    assert fd.grad(loop)(0.3, 4).item() == pytest.approx(fd_num.item(), rel=1e-7)


def test_third_derivative_of_tanh(x64):
    t = np.tanh(0.7)
    expected = -2 * (1 - t ** 2) * (1 - 3 * t ** 2)  # d3/dx3 tanh
    assert fd.grad(fd.grad(fd.grad(fnp.tanh)))(0.7).item() == pytest.approx(expected, rel=1e-12)


def test_checkpoint_recomputes_in_the_backward_pass():
    f = fd.checkpoint(lambda a: fnp.sum(fnp.sin(fnp.sin(a))))
    jaxpr = str(fd.make_jaxpr(fd.grad(f))(fnp.ones(3)))
    assert "checkpoint[" in jaxpr and "differentiated=True" in jaxpr
    np.testing.assert_allclose(
        fd.device_get(fd.grad(f)(fnp.ones(3))),
        fd.device_get(fd.grad(lambda a: fnp.sum(fnp.sin(fnp.sin(a))))(fnp.ones(3))), rtol=1e-6)


def _uses(atom, eqns, outvars):
    return any(atom is v for e in eqns for v in e.invars) or any(atom is v for v in outvars)


@pytest.mark.parametrize("fun", [
    lambda a: fnp.sum(fnp.tanh(a)),
    lambda a: fnp.sum(fnp.tanh(a) * a) + fnp.mean(a ** 2),
    lambda a: fnp.max(fnp.sin(a)) * fnp.linalg.norm(a),
])
def test_jaxpr_of_grad_has_no_dead_code(fun):
    jaxpr = fd.make_jaxpr(fd.grad(fun))(fnp.ones(3))
    for k, eqn in enumerate(jaxpr.eqns):
        later = jaxpr.eqns[k + 1:]
        assert any(_uses(v, later, jaxpr.outvars) for v in eqn.outvars), (
            f"dead equation {eqn.primitive.name} in\n{jaxpr}")
    # JAX's own jaxpr for the first function leaves a dead reduce_sum of the forward pass.
    assert "reduce_sum" not in str(fd.make_jaxpr(fd.grad(lambda a: fnp.sum(fnp.tanh(a))))(
        fnp.ones(3)))


# --- errors --------------------------------------------------------------------------------------


def test_grad_of_a_non_scalar_output_is_an_error():
    with pytest.raises(TypeError, match=r"grad requires a scalar output, got f32\[3\] from "
                       r"<lambda>: reduce it \(`loss.sum\(\)` or `loss.mean\(\)`\) or use "
                       r"fd.jacrev"):
        fd.grad(lambda a: a * 2)(fnp.ones(3))
    with pytest.raises(TypeError, match="got a tuple from <lambda>: return one scalar \\(pass "
                       "has_aux=True"):
        fd.grad(lambda a: (a, a))(1.0)


def test_grad_with_respect_to_an_integer_is_an_error():
    with pytest.raises(TypeError, match=r"grad requires real- or complex-valued inputs, but "
                       r"argument 0 \(a\) of <lambda> has dtype int32.*allow_int=True"):
        fd.grad(lambda a: fnp.sum(a * 2.0))(fnp.arange(3))
    with pytest.raises(TypeError, match="argument 1 \\(n\\)"):
        fd.grad(lambda x, n: x * n, argnums=(0, 1))(1.0, 3)
    assert fd.grad(lambda x, n: x * n)(1.0, 3).item() == 3.0  # not differentiated: fine
    assert fd.grad(lambda x, n: x * n, argnums=1, allow_int=True)(2.0, 3).item() == 0


def test_argument_errors_name_what_to_fix():
    with pytest.raises(ValueError, match="argnums=2 is out of range: <lambda> was called with 1"):
        fd.grad(lambda a: a, argnums=2)(1.0)
    with pytest.raises(TypeError, match=r"jvp takes primals and tangents as tuples, e.g. "
                       r"jvp\(f, \(x,\), \(t,\)\)"):
        fd.jvp(fnp.sin, fnp.ones(3), fnp.ones(3))
    with pytest.raises(ValueError, match=r"jvp got a tangent of type f32\[2\] for a primal of "
                       r"type f32\[3\]"):
        fd.jvp(fnp.sin, (fnp.ones(3),), (fnp.ones(2),))
    _, pullback = fd.vjp(fnp.sin, fnp.ones(3))
    with pytest.raises(ValueError, match=r"cotangent of type f32\[2\] for an output of type "
                       r"f32\[3\]"):
        pullback(fnp.ones(2))


def test_wrong_custom_rules_are_reported():
    no_rule = fd.custom_jvp(lambda x: x * 2)
    with pytest.raises(AttributeError, match="no JVP rule is defined for custom_jvp function"):
        fd.grad(no_rule)(2.0)
    bad_tangent = fd.custom_jvp(lambda x: x * 2)
    bad_tangent.defjvp(lambda p, t: (p[0] * 2, fnp.ones(3)))
    with pytest.raises(TypeError, match=r"JVP rule <lambda> of custom_jvp function <lambda> "
                       r"returned a tangent of type f32\[3\] for the primal output of type "
                       r"f32\[\]"):
        fd.grad(bad_tangent)(2.0)
    too_few = fd.custom_vjp(lambda x, y: x * y)
    too_few.defvjp(lambda x, y: (x * y, None), lambda res, g: (g,))
    with pytest.raises(TypeError, match=r"must return a tuple with one cotangent per "
                       r"differentiable argument \(2\), got a tuple of length 1"):
        fd.grad(too_few)(2.0, 3.0)
    bad_shape = fd.custom_vjp(lambda x: x * 2)
    bad_shape.defvjp(lambda x: (x * 2, None), lambda res, g: (fnp.ones(3),))
    with pytest.raises(TypeError, match=r"returned a cotangent of type f32\[3\] for argument 0 "
                       r"of type f32\[\]"):
        fd.grad(bad_shape)(2.0)
    no_vjp = fd.custom_vjp(lambda x: x)
    with pytest.raises(AttributeError, match="no VJP is defined for custom_vjp function"):
        fd.grad(no_vjp)(1.0)
