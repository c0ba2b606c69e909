"""Issue #4 (vmap and control flow), checked the way a user of the DESIGN.md contract would.

Written as a JAX user porting code writes it (``fd`` in place of ``jax``). Expected numbers
were computed once with JAX 0.10 in float64 and pasted here; the project never imports JAX.
Where JAX is not needed, results are compared with plain Python loops.
"""

from __future__ import annotations

import numpy as np
import pytest
from jax_reference import assert_same, to_py

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax


def host(x):
    return np.asarray(fd.device_get(x))


def vmap_cases(fd, fnp, lax):
    """vmap and control flow as a JAX user writes them (``fd`` = jax or funcdiff), float64."""
    a = fnp.arange(6.0).reshape(2, 3)
    b = fnp.arange(12.0).reshape(3, 4)
    xs = fnp.arange(1.0, 5.0)
    w0 = fnp.array([0.5, -1.0, 2.0])

    def sq_err(w, x, y):
        return (fnp.dot(w, x) - y) ** 2

    def cumsum_step(c, x):
        c = c + x
        return c, c * 2

    branches = [lambda z: z, lambda z: z * 2, lambda z: -z]
    return {
        "vmap": lambda: fd.vmap(fnp.sum)(a),
        "in_axes_1": lambda: fd.vmap(fnp.sum, in_axes=1)(a),
        "in_axes_negative": lambda: fd.vmap(fnp.sum, in_axes=-1)(a),
        "in_axes_none": lambda: fd.vmap(lambda p, q: p @ q, in_axes=(0, None))(a, b),
        "in_axes_list": lambda: fd.vmap(lambda p, q: p @ q, in_axes=[0, None])(a, b),
        "out_axes_1": lambda: fd.vmap(lambda p: p * 2, out_axes=1)(b),
        "out_axes_negative": lambda: fd.vmap(lambda p: fnp.outer(p, p), out_axes=-1)(a),
        "out_axes_none": lambda: fd.vmap(lambda p, s: (p + 1, s * 2), in_axes=(0, None),
                                         out_axes=(0, None))(a, 3.0),
        "in_axes_dict": lambda: fd.vmap(lambda d: d["a"] * d["b"],
                                        in_axes=({"a": 0, "b": None},))(
            {"a": a, "b": fnp.array([1.0, 2.0, 3.0])}),
        "in_axes_prefix": lambda: fd.vmap(lambda d, s: d["a"] + d["b"] * s,
                                          in_axes=(0, None))({"a": a, "b": a}, 2.0),
        "output_tree": lambda: fd.vmap(lambda p: {"s": fnp.sum(p), "m": p.max()})(a),
        "out_axes_dict": lambda: fd.vmap(lambda p: {"o": fnp.outer(p, p), "p": p},
                                         out_axes={"o": 2, "p": 0})(a),
        "kwargs_mapped": lambda: fd.vmap(lambda p, scale=1.0: p * scale)(
            a, scale=fnp.array([1.0, 2.0])),
        "nested": lambda: fd.vmap(fd.vmap(lambda p, q: p * q, in_axes=(0, None)),
                                  in_axes=(None, 0))(fnp.arange(3.0), fnp.arange(2.0)),
        "nested_dot": lambda: fd.vmap(fd.vmap(fnp.dot, (0, None)), (None, 1))(a, b),
        "constant_output": lambda: fd.vmap(lambda p: fnp.ones(2))(a),
        "axis_size": lambda: fd.vmap(lambda: fnp.ones(2), axis_size=3)(),
        "per_example_grads": lambda: fd.vmap(fd.grad(sq_err), in_axes=(None, 0, 0))(
            w0, b.T[:3, :3], fnp.array([1.0, 2.0, 3.0])),
        "vmap_jacrev": lambda: fd.vmap(fd.jacrev(lambda p: fnp.sin(p) * p[0]))(a),
        "jacrev_vmap": lambda: fd.jacrev(fd.vmap(fnp.sin))(fnp.array([0.1, 0.2])),
        "grad_vmap": lambda: fd.grad(lambda p: fnp.sum(fd.vmap(lambda r: fnp.dot(r, r))(p)))(a),
        "vmap_hessian": lambda: fd.vmap(fd.hessian(lambda p: fnp.sum(p ** 3)))(a),
        "vmap_jacfwd": lambda: fd.vmap(fd.jacfwd(lambda p: fnp.cumsum(p) ** 2))(a),
        "cond_true": lambda: lax.cond(True, lambda z: z + 1, lambda z: z - 1, 2.0),
        "cond_false_array_pred": lambda: lax.cond(fnp.array(False), lambda z: z + 1,
                                                  lambda z: z - 1, 2.0),
        "cond_two_operands": lambda: lax.cond(True, lambda p, q: p * q, lambda p, q: p + q,
                                              2.0, 3.0),
        "cond_operand_tree": lambda: lax.cond(False, lambda d: d["a"], lambda d: d["b"],
                                              {"a": 1.0, "b": 2.0}),
        "cond_grad_true": lambda: fd.grad(lambda z: lax.cond(z > 1, lambda u: u ** 3,
                                                             fnp.sin, z))(2.0),
        "cond_grad_false": lambda: fd.grad(lambda z: lax.cond(z > 1, lambda u: u ** 3,
                                                              fnp.sin, z))(0.5),
        "cond_batched_predicate": lambda: fd.vmap(
            lambda z: lax.cond(z > 0, lambda u: u * 2, lambda u: -u, z))(
            fnp.array([1.0, -2.0, 3.0])),
        "cond_batched_predicate_grad": lambda: fd.vmap(fd.grad(
            lambda z: lax.cond(z > 0, lambda u: u ** 2, fnp.sin, z)))(fnp.array([1.0, -2.0, 3.0])),
        "cond_closure_grad": lambda: fd.grad(
            lambda z: lax.cond(True, lambda _: z * 2, lambda _: z, None))(2.0),
        "switch_clamps": lambda: fnp.stack([lax.switch(i, branches, 5.0)
                                            for i in (0, 1, 2, 7, -1)]),
        "switch_vmap": lambda: fd.vmap(lambda i, z: lax.switch(i, branches, z))(
            fnp.array([0, 1, 2, 5]), fnp.arange(4.0)),
        "switch_grad": lambda: fd.grad(lambda z: lax.switch(1, [fnp.sin, fnp.cos], z))(0.3),
        "switch_vmap_grad": lambda: fd.vmap(fd.grad(
            lambda z, i: lax.switch(i, [fnp.sin, fnp.cos, lambda u: u ** 2], z)))(
            w0, fnp.array([0, 1, 2])),
        "scan": lambda: lax.scan(cumsum_step, 0.0, xs),
        "scan_reverse": lambda: lax.scan(cumsum_step, 0.0, xs, reverse=True),
        "scan_length_no_xs": lambda: lax.scan(lambda c, _: (c * 2, c), 1.0, None, length=4),
        "scan_trees": lambda: lax.scan(lambda c, x: ({"a": c["a"] + x[0]}, x[1] * c["a"]),
                                       {"a": 0.0}, (xs, xs * 10)),
        "scan_no_output": lambda: lax.scan(lambda c, x: (c + x, None), 0.0, xs),
        "scan_grad_carry": lambda: fd.grad(
            lambda w: lax.scan(lambda c, x: (fnp.sin(c * w + x), c), 0.5, xs)[0])(0.7),
        "scan_grad_xs": lambda: fd.grad(
            lambda v: fnp.sum(lax.scan(lambda c, x: (c * x, c * x), 1.0, v)[1]))(xs),
        "scan_grad_reverse": lambda: fd.grad(lambda w: fnp.sum(lax.scan(
            lambda c, x: (c * w + x, c * x), 1.0, xs, reverse=True)[1]))(0.5),
        "scan_vmap_init": lambda: fd.vmap(lambda x0: lax.scan(cumsum_step, x0, xs))(
            fnp.array([0.0, 1.0])),
        "scan_vmap_xs": lambda: fd.vmap(lambda v: lax.scan(cumsum_step, 0.0, v)[1])(
            fnp.stack([xs, -xs])),
        "while_loop": lambda: lax.while_loop(lambda c: c[0] < 10,
                                             lambda c: (c[0] + 1, c[1] * 2.0), (0, 1.0)),
        "while_vmap_batched_cond": lambda: fd.vmap(lambda n: lax.while_loop(
            lambda c: c < n, lambda c: c + 1.0, 0.0))(fnp.array([1.0, 3.0, 5.0])),
        "while_jvp": lambda: fd.jvp(lambda z: lax.while_loop(
            lambda c: c < 10.0, lambda c: c * z, 1.0), (2.0,), (1.0,)),
        "while_vmap_jvp": lambda: fd.vmap(lambda z: fd.jvp(lambda u: lax.while_loop(
            lambda c: c < 5.0, lambda c: c * u, 1.0), (z,), (1.0,)))(fnp.array([1.5, 2.0, 3.0])),
        "fori_loop": lambda: lax.fori_loop(0, 5, lambda i, c: c + i, 0),
        "fori_loop_float": lambda: lax.fori_loop(1, 4, lambda i, c: c * i, 1.0),
        "fori_loop_tree": lambda: lax.fori_loop(0, 3, lambda i, c: (c[0] + 1, c[1] * 2), (0, 1.0)),
        "fori_grad": lambda: fd.grad(lambda z: lax.fori_loop(
            0, 3, lambda i, c: fnp.sin(c) * z, z))(0.8),
        "fori_grad_affine": lambda: fd.grad(lambda z: lax.fori_loop(
            0, 4, lambda i, c: c * z + i, 1.0))(1.5),
        "fori_vmap": lambda: fd.vmap(lambda z: lax.fori_loop(
            0, 3, lambda i, c: c * z + i, 1.0))(fnp.array([1.0, 2.0])),
        "lax_map": lambda: lax.map(lambda r: {"s": r @ r, "d": r * 2}, b),
        "lax_map_batch_size": lambda: lax.map(lambda r: fnp.sin(r) * r[0], b, batch_size=2),
        "lax_map_grad": lambda: fd.grad(lambda z: fnp.sum(lax.map(
            lambda r: fnp.tanh(r * z), b, batch_size=2)))(0.3),
        "jit_cond": lambda: fd.jit(lambda z: lax.cond(z > 0, lambda u: u, lambda u: -u, z))(-3.0),
        "jit_grad_scan": lambda: fd.jit(fd.grad(lambda w: lax.scan(
            lambda c, x: (c * w + x, None), 0.0, xs)[0]))(0.5),
    }


JAX_RESULTS = {
    "vmap": ("float64", [3.0, 12.0]),
    "in_axes_1": ("float64", [3.0, 5.0, 7.0]),
    "in_axes_negative": ("float64", [3.0, 5.0, 7.0]),
    "in_axes_none": ("float64", [[20.0, 23.0, 26.0, 29.0], [56.0, 68.0, 80.0, 92.0]]),
    "in_axes_list": ("float64", [[20.0, 23.0, 26.0, 29.0], [56.0, 68.0, 80.0, 92.0]]),
    "out_axes_1": (
        "float64",
        [[0.0, 8.0, 16.0], [2.0, 10.0, 18.0], [4.0, 12.0, 20.0], [6.0, 14.0, 22.0]],
    ),
    "out_axes_negative": (
        "float64",
        [
            [[0.0, 9.0], [0.0, 12.0], [0.0, 15.0]],
            [[0.0, 12.0], [1.0, 16.0], [2.0, 20.0]],
            [[0.0, 15.0], [2.0, 20.0], [4.0, 25.0]],
        ],
    ),
    "out_axes_none": (("float64", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), ("float64", 6.0)),
    "in_axes_dict": ("float64", [[0.0, 2.0, 6.0], [3.0, 8.0, 15.0]]),
    "in_axes_prefix": ("float64", [[0.0, 3.0, 6.0], [9.0, 12.0, 15.0]]),
    "output_tree": {"m": ("float64", [2.0, 5.0]), "s": ("float64", [3.0, 12.0])},
    "out_axes_dict": {
        "o": (
            "float64",
            [
                [[0.0, 9.0], [0.0, 12.0], [0.0, 15.0]],
                [[0.0, 12.0], [1.0, 16.0], [2.0, 20.0]],
                [[0.0, 15.0], [2.0, 20.0], [4.0, 25.0]],
            ],
        ),
        "p": ("float64", [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]),
    },
    "kwargs_mapped": ("float64", [[0.0, 1.0, 2.0], [6.0, 8.0, 10.0]]),
    "nested": ("float64", [[0.0, 0.0, 0.0], [0.0, 1.0, 2.0]]),
    "nested_dot": ("float64", [[20.0, 56.0], [23.0, 68.0], [26.0, 80.0], [29.0, 92.0]]),
    "constant_output": ("float64", [[1.0, 1.0], [1.0, 1.0]]),
    "axis_size": ("float64", [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]),
    "per_example_grads": (
        "float64",
        [[0.0, 88.0, 176.0], [23.0, 115.0, 207.0], [48.0, 144.0, 240.0]],
    ),
    "vmap_jacrev": (
        "float64",
        [
            [[0.0, 0.0, 0.0], [0.841470984808, 0.0, 0.0], [0.909297426826, 0.0, 0.0]],
            [
                [-2.82885748174, 0.0, 0.0],
                [-0.756802495308, -1.96093086259, 0.0],
                [-0.958924274663, 0.0, 0.85098655639],
            ],
        ],
    ),
    "jacrev_vmap": ("float64", [[0.995004165278, 0.0], [0.0, 0.980066577841]]),
    "grad_vmap": ("float64", [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]),
    "vmap_hessian": (
        "float64",
        [
            [[0.0, 0.0, 0.0], [0.0, 6.0, 0.0], [0.0, 0.0, 12.0]],
            [[18.0, 0.0, 0.0], [0.0, 24.0, 0.0], [0.0, 0.0, 30.0]],
        ],
    ),
    "vmap_jacfwd": (
        "float64",
        [
            [[0.0, 0.0, 0.0], [2.0, 2.0, 0.0], [6.0, 6.0, 6.0]],
            [[6.0, 0.0, 0.0], [14.0, 14.0, 0.0], [24.0, 24.0, 24.0]],
        ],
    ),
    "cond_true": ("float64", 3.0),
    "cond_false_array_pred": ("float64", 1.0),
    "cond_two_operands": ("float64", 6.0),
    "cond_operand_tree": ("float64", 2.0),
    "cond_grad_true": ("float64", 12.0),
    "cond_grad_false": ("float64", 0.87758256189),
    "cond_batched_predicate": ("float64", [2.0, 2.0, 6.0]),
    "cond_batched_predicate_grad": ("float64", [2.0, -0.416146836547, 6.0]),
    "cond_closure_grad": ("float64", 2.0),
    "switch_clamps": ("float64", [5.0, 10.0, -5.0, -5.0, 5.0]),
    "switch_vmap": ("float64", [0.0, 2.0, -2.0, -3.0]),
    "switch_grad": ("float64", -0.295520206661),
    "switch_vmap_grad": ("float64", [0.87758256189, 0.841470984808, 4.0]),
    "scan": (("float64", 10.0), ("float64", [2.0, 6.0, 12.0, 20.0])),
    "scan_reverse": (("float64", 10.0), ("float64", [20.0, 18.0, 14.0, 8.0])),
    "scan_length_no_xs": (("float64", 16.0), ("float64", [1.0, 2.0, 4.0, 8.0])),
    "scan_trees": ({"a": ("float64", 10.0)}, ("float64", [0.0, 20.0, 90.0, 240.0])),
    "scan_no_output": (("float64", 10.0), None),
    "scan_grad_carry": ("float64", 0.0126413768362),
    "scan_grad_xs": ("float64", [33.0, 16.0, 10.0, 6.0]),
    "scan_grad_reverse": ("float64", 20.75),
    "scan_vmap_init": (
        ("float64", [10.0, 11.0]),
        ("float64", [[2.0, 6.0, 12.0, 20.0], [4.0, 8.0, 14.0, 22.0]]),
    ),
    "scan_vmap_xs": ("float64", [[2.0, 6.0, 12.0, 20.0], [-2.0, -6.0, -12.0, -20.0]]),
    "while_loop": (("int64", 10), ("float64", 1024.0)),
    "while_vmap_batched_cond": ("float64", [1.0, 3.0, 5.0]),
    "while_jvp": (("float64", 16.0), ("float64", 32.0)),
    "while_vmap_jvp": (("float64", [5.0625, 8.0, 9.0]), ("float64", [13.5, 12.0, 6.0])),
    "fori_loop": ("int64", 10),
    "fori_loop_float": ("float64", 6.0),
    "fori_loop_tree": (("int64", 3), ("float64", 8.0)),
    "fori_grad": ("float64", 1.43630444901),
    "fori_grad_affine": ("float64", 18.5),
    "fori_vmap": ("float64", [4.0, 12.0]),
    "lax_map": {
        "d": (
            "float64",
            [[0.0, 2.0, 4.0, 6.0], [8.0, 10.0, 12.0, 14.0], [16.0, 18.0, 20.0, 22.0]],
        ),
        "s": ("float64", [14.0, 126.0, 366.0]),
    },
    "lax_map_batch_size": (
        "float64",
        [
            [0.0, 0.0, 0.0, 0.0],
            [-3.02720998123, -3.83569709865, -1.1176619928, 2.62794639488],
            [7.91486597299, 3.29694788193, -4.35216888711, -7.99992165241],
        ],
    ),
    "lax_map_grad": ("float64", 7.53013154481),
    "jit_cond": ("float64", 3.0),
    "jit_grad_scan": ("float64", 5.75),
}


@pytest.mark.parametrize("name", sorted(JAX_RESULTS))
def test_vmap_and_control_flow_match_jax(name, x64):
    assert_same(to_py(vmap_cases(fd, fnp, lax)[name]()), JAX_RESULTS[name], name)


# --- against Python loops ----------------------------------------------------------------------


def test_per_example_gradients_equal_a_loop(x64):
    rng = np.random.default_rng(0)
    params = {"w": fnp.asarray(rng.normal(size=(3, 4))), "b": fnp.asarray(rng.normal(size=3))}
    xs, ys = fnp.asarray(rng.normal(size=(5, 4))), fnp.asarray(rng.normal(size=(5, 3)))

    def loss(p, x, y):
        return fnp.sum((fnp.tanh(p["w"] @ x + p["b"]) - y) ** 2)

    batched = fd.vmap(fd.grad(loss), in_axes=(None, 0, 0))(params, xs, ys)
    for i in range(5):
        one = fd.grad(loss)(params, xs[i], ys[i])
        for k in ("w", "b"):
            np.testing.assert_allclose(host(batched[k][i]), host(one[k]), rtol=1e-12)
    jac = fd.vmap(fd.jacrev(lambda x: fnp.sin(x) * fnp.sum(x)))(xs)
    for i in range(5):
        np.testing.assert_allclose(host(jac[i]),
                                   host(fd.jacfwd(lambda x: fnp.sin(x) * fnp.sum(x))(xs[i])),
                                   rtol=1e-12)


def test_control_flow_equals_unrolled_python(x64):
    xs = fnp.array([0.3, -0.5, 1.2, 0.7])

    def step(c, x):
        c = fnp.sin(c) * 0.9 + x * c
        return c, c ** 2

    def unrolled(c0, xs, reverse=False):
        ys = []
        for x in (reversed(list(xs)) if reverse else xs):
            c0, y = step(c0, x)
            ys.append(y)
        return c0, fnp.stack(ys[::-1] if reverse else ys)

    for reverse in (False, True):
        scanned = lambda c0, v, r=reverse: lax.scan(step, c0, v, reverse=r)  # noqa: E731
        loop = lambda c0, v, r=reverse: unrolled(c0, v, r)  # noqa: E731
        for got, want in zip(scanned(0.4, xs), loop(0.4, xs), strict=True):
            np.testing.assert_allclose(host(got), host(want), rtol=1e-12)
        total = lambda f: lambda c0, v: f(c0, v)[0] + fnp.sum(f(c0, v)[1])  # noqa: E731
        for got, want in zip(fd.grad(total(scanned), argnums=(0, 1))(0.4, xs),
                             fd.grad(total(loop), argnums=(0, 1))(0.4, xs), strict=True):
            np.testing.assert_allclose(host(got), host(want), rtol=1e-12)

    def body(i, c):
        return c * fnp.cos(c) + i * 0.1

    def fori(z):
        return lax.fori_loop(0, 5, body, z)

    def python_for(z):
        for i in range(5):
            z = body(i, z)
        return z

    np.testing.assert_allclose(host(fori(0.6)), host(python_for(0.6)), rtol=1e-12)
    np.testing.assert_allclose(host(fd.grad(fori)(0.6)), host(fd.grad(python_for)(0.6)),
                               rtol=1e-12)

    def branchy(z):
        return lax.cond(z > 0, lambda u: u ** 3, lambda u: fnp.exp(u), z)

    def python_if(z):
        return z ** 3 if z > 0 else fnp.exp(z)

    for z in (-0.7, 0.7):
        assert fd.grad(branchy)(z).item() == pytest.approx(fd.grad(python_if)(z).item())
    zs = fnp.array([-0.7, 0.7, 2.0])
    np.testing.assert_allclose(host(fd.vmap(fd.grad(branchy))(zs)),
                               [fd.grad(python_if)(z).item() for z in (-0.7, 0.7, 2.0)])

    def collatz_steps(n):
        return lax.while_loop(lambda c: c[0] != 1, lambda c: (
            lax.cond(c[0] % 2 == 0, lambda m: m // 2, lambda m: 3 * m + 1, c[0]), c[1] + 1),
            (n, 0))[1]

    def python_collatz(n):
        k = 0
        while n != 1:
            n, k = (n // 2 if n % 2 == 0 else 3 * n + 1), k + 1
        return k

    ns = [6, 7, 27]
    assert host(fd.vmap(collatz_steps)(fnp.array(ns))).tolist() == [python_collatz(n) for n in ns]


def test_nested_vmap_equals_a_double_loop():
    a, b = fnp.arange(6.0).reshape(2, 3), fnp.arange(12.0).reshape(4, 3)
    got = fd.vmap(fd.vmap(fnp.dot, in_axes=(None, 0)), in_axes=(0, None))(a, b)
    want = [[fnp.dot(a[i], b[j]).item() for j in range(4)] for i in range(2)]
    np.testing.assert_allclose(host(got), want)


# --- errors --------------------------------------------------------------------------------------


def test_vmap_axis_errors():
    a = fnp.ones((2, 3))
    with pytest.raises(ValueError, match=r"vmap got inconsistent sizes for the mapped axes: size "
                       r"2: args\[0\] \(axis 0\); size 3: args\[1\] \(axis 0\)"):
        fd.vmap(lambda p, q: p + q)(a, fnp.ones((3, 3)))
    with pytest.raises(ValueError, match=r"vmap in_axes has 3 entries but the function got 2 "
                       r"positional arguments"):
        fd.vmap(lambda p, q: p + q, in_axes=(0, 0, 0))(a, a)
    with pytest.raises(ValueError, match=r"vmap in_axes=2 is out of range for argument args\[0\] "
                       r"of rank 2 \(shape \(2, 3\)\)"):
        fd.vmap(fnp.sum, in_axes=2)(a)
    with pytest.raises(ValueError, match=r"vmap in_axes=-3 is out of range"):
        fd.vmap(fnp.sum, in_axes=-3)(a)
    with pytest.raises(ValueError, match="a scalar cannot be mapped: use in_axes=None for it"):
        fd.vmap(lambda p, s: p * s)(a, 2.0)
    with pytest.raises(ValueError, match="needs at least one mapped argument"):
        fd.vmap(fnp.sum, in_axes=None)(a)
    with pytest.raises(ValueError, match="out_axes=None was given for output, which varies"):
        fd.vmap(lambda p: p, out_axes=None)(a)


def test_python_branch_on_a_batched_value_is_an_error():
    with pytest.raises(fd.ConcretizationTypeError, match=r"a batched value bool\[\] cannot "
                       r"choose a Python branch under vmap \(at .*test_user_vmap\.py:\d+ "
                       r"\(<lambda>\)\).*fd.numpy.where.*fd.lax.cond"):
        fd.vmap(lambda z: z if z > 0 else -z)(fnp.array([1.0, -2.0]))
    with pytest.raises(TypeError):  # a ConcretizationTypeError is a TypeError, as in JAX
        fd.vmap(lambda z: z if z > 0 else -z)(fnp.array([1.0, -2.0]))


def test_control_flow_type_errors():
    x = fnp.ones(2)
    with pytest.raises(TypeError, match=r"lax.cond: the branches must return the same shapes and "
                       r"dtypes, but output is i32\[2\] from false_fun; f32\[2\] from true_fun"):
        lax.cond(True, lambda z: z, lambda z: z.astype(fnp.int32), x)
    with pytest.raises(TypeError, match=r"output is f32\[1\] from false_fun; f32\[2\]"):
        lax.cond(True, lambda z: z, lambda z: z[:1], x)
    with pytest.raises(TypeError, match="false_fun and true_fun must return the same structure"):
        lax.cond(True, lambda z: (z, z), lambda z: z, x)
    with pytest.raises(TypeError, match=r"lax.switch: .*same shapes and dtypes"):
        lax.switch(0, [lambda z: z, lambda z: z.sum()], x)
    with pytest.raises(TypeError, match=r"lax.scan: the scanned function must keep the carry's "
                       r"type, but carry enters as f32\[\] and comes out as i32\[\]"):
        lax.scan(lambda c, v: (c.astype(fnp.int32), v), 0.0, x)
    with pytest.raises(TypeError, match=r"lax.while_loop: body_fun must return a carry with the "
                       r"structure of its input carry"):
        lax.while_loop(lambda c: c < 3, lambda c: (c, c), 0)
    with pytest.raises(ValueError, match=r"lax.scan needs xs whose leading axes agree"):
        lax.scan(lambda c, v: (c, v), 0.0, (fnp.ones(4), fnp.ones(3)))
    with pytest.raises(ValueError, match=r"lax.scan needs xs to scan over, or an explicit length="):
        lax.scan(lambda c, v: (c, c), 1.0, None)
    with pytest.raises(ValueError, match="lax.map: batch_size must be a positive int, got 0"):
        lax.map(fnp.sin, x, batch_size=0)


def test_non_boolean_predicates_are_errors():
    # A deliberate difference from JAX (docs/vmap.md): JAX's cond also takes a number as its
    # predicate (non-zero is true); funcdiff asks for a comparison, so that `cond(x, ...)` on a
    # float is not silently "x != 0".
    with pytest.raises(TypeError, match=r"lax.cond needs a boolean scalar predicate, got i32\[\]: "
                       r"compare it, e.g. `x > 0`"):
        lax.cond(1, lambda z: z + 1, lambda z: z - 1, 2.0)
    with pytest.raises(TypeError, match=r"got bool\[1\]: reduce it with fnp.all / fnp.any"):
        lax.cond(fnp.array([True]), lambda z: z + 1, lambda z: z - 1, 2.0)
    with pytest.raises(TypeError, match=r"lax.while_loop: cond_fun must return a boolean scalar, "
                       r"got i32\[\]"):
        lax.while_loop(lambda c: c, lambda c: c - 1, 3)
    with pytest.raises(TypeError, match=r"lax.switch needs an integer scalar index, got f32\[\]"):
        lax.switch(1.0, [fnp.sin, fnp.cos], 0.3)
    with pytest.raises(TypeError, match=r"lax.fori_loop's bounds must be integers, got 0.0"):
        lax.fori_loop(0.0, 3, lambda i, c: c + 1, 0)
