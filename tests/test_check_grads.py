"""fd.check_grads: passes for right derivatives, fails naming mode, argument and error."""

from __future__ import annotations

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.testing import check_grads


def _wrong_jvp(scale):
    @fd.custom_jvp
    def f(x, y):
        return fnp.sin(x) * y

    @f.defjvp
    def f_jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        return f(x, y), scale * fnp.cos(x) * y * tx + fnp.sin(x) * ty

    return f


def test_passes_on_correct_derivatives(x64):
    x = fnp.asarray(np.array([0.3, -1.2, 2.0]))
    check_grads(fnp.sin, (x,), order=3)
    check_grads(lambda x, y: fnp.sum(fnp.tanh(x * y)), (x, x + 1), order=2)
    check_grads(lambda p: {"a": p["w"] @ p["w"], "b": fnp.exp(p["w"])},
                ({"w": x},), order=2, modes=("fwd",))
    check_grads(_wrong_jvp(1.0), (x, x), order=2)


def test_public_name_and_float32_defaults():
    assert fd.check_grads is check_grads
    check_grads(lambda x: x * x, (fnp.array([0.5, 2.0]),), order=1)


def test_skips_integer_inputs_and_outputs(x64):
    f = lambda x, n: (x * n, fnp.argmax(x))
    check_grads(f, (fnp.asarray(np.array([0.5, 1.5])), fnp.array([2, 3])), order=2)


def test_wrong_jvp_rule_fails_in_forward_mode(x64):
    x = fnp.asarray(np.array([0.3, 0.7]))
    with pytest.raises(AssertionError, match=r"check_grads: JVP does not match numerical "
                                             r"differences for argument 0 \(x\), output: max abs "
                                             r"error .* \(autodiff .*, numerical .*atol=1e-05"):
        check_grads(_wrong_jvp(2.0), (x, x), order=1, modes=("fwd",))


def test_wrong_rule_fails_in_reverse_mode(x64):
    x = fnp.asarray(np.array([0.3, 0.7]))
    with pytest.raises(AssertionError, match=r"check_grads: VJP does not match.*argument 0 "
                                             r"\(x\), the inner product <ct, J t>"):
        check_grads(_wrong_jvp(2.0), (x, x), order=1, modes=("rev",))


def test_wrong_custom_vjp_names_the_argument(x64):
    @fd.custom_vjp
    def f(a, b):
        return a * b

    f.defvjp(lambda a, b: (a * b, (a, b)), lambda r, g: (g * r[1], g * r[1]))  # b's is wrong
    a, b = fnp.asarray(np.array(2.0)), fnp.asarray(np.array(3.0))
    with pytest.raises(AssertionError, match=r"VJP .*argument 1 \(b\)"):
        check_grads(f, (a, b), order=1, modes=("rev",))


def test_second_order_errors_name_the_nesting(x64):
    @fd.custom_jvp
    def f(x):
        return x**3

    # Right first derivative at every x, but the rule's own derivative is wrong: the tangent
    # uses stop_gradient, so its derivative in x is lost.
    f.defjvp(lambda p, t: (f(p[0]), 3 * fd.stop_gradient(p[0]) ** 2 * t[0]))
    x = fnp.asarray(np.array([0.5, 1.5]))
    check_grads(f, (x,), order=1)
    with pytest.raises(AssertionError, match=r"JVP of JVP .*argument 0 \(primals\)\[0\]"):
        check_grads(f, (x,), order=2, modes=("fwd",))
    with pytest.raises(AssertionError, match=r"VJP of VJP .*argument 0 \(x\)"):
        check_grads(f, (x,), order=2, modes=("rev",))


def test_pytree_argument_names(x64):
    @fd.custom_vjp
    def f(p):
        return p["a"] * p["b"]

    f.defvjp(lambda p: (f(p), p), lambda p, g: ({"a": g * p["b"], "b": 0.0 * g},))
    p = {"a": fnp.asarray(np.array(2.0)), "b": fnp.asarray(np.array(3.0))}
    with pytest.raises(AssertionError, match=r"argument 0 \(p\)\['b'\]"):
        check_grads(f, (p,), order=1, modes=("rev",))


def test_tolerances_and_eps_are_used(x64):
    x = fnp.asarray(np.array([0.3, 0.7]))
    check_grads(_wrong_jvp(1.001), (x, x), order=1, atol=1e-2, rtol=1e-2)
    with pytest.raises(AssertionError, match=r"eps=0.001"):
        check_grads(_wrong_jvp(1.5), (x, x), order=1, eps=1e-3)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"modes must be 'fwd' and/or 'rev', got \('up',\)"):
        check_grads(fnp.sin, (1.0,), order=1, modes=("up",))
    with pytest.raises(ValueError, match=r"order must be an integer >= 1, got 0"):
        check_grads(fnp.sin, (1.0,), order=0)
    with pytest.raises(TypeError, match=r"arguments as a tuple"):
        check_grads(fnp.sin, fnp.ones(2), order=1)
