"""checkpoint / remat: same derivatives, recomputation in the backward pass, composition."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core.tracing import current_interpreter, use_interpreter
from funcdiff.testing import check_grads
from funcdiff.transforms import ad
from funcdiff.transforms.checkpoint import checkpoint_p


def block(w, x):
    h = fnp.tanh(x @ w)
    return fnp.sin(h) * h


def names(jaxpr, recurse=True):
    out = []
    for e in jaxpr.eqns:
        out.append(e.prim.name)
        if recurse and e.prim is checkpoint_p:
            out += names(e.params["jaxpr"])
    return out


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return fnp.asarray(rng.normal(size=(3, 3))), fnp.asarray(rng.normal(size=(4, 3)))


def test_same_gradients_as_without(x64, data):
    w, x = data
    loss = lambda w, x, b: fnp.sum(b(w, b(w, x)) ** 2)
    plain = fd.grad(loss, argnums=(0, 1))(w, x, block)
    remat = fd.grad(loss, argnums=(0, 1))(w, x, fd.checkpoint(block))
    for a, b in zip(plain, remat):
        np.testing.assert_allclose(host(a), host(b), rtol=1e-12)
    check_grads(lambda w, x: loss(w, x, fd.checkpoint(block)), (w, x), order=2)


def test_remat_is_an_alias():
    assert fd.remat is fd.checkpoint


def test_values_and_pytrees(data):
    w, x = data
    f = fd.checkpoint(lambda p, x: {"y": block(p["w"], x), "n": fnp.argmax(x)})
    out = f({"w": w}, x)
    np.testing.assert_allclose(host(out["y"]), host(block(w, x)), rtol=1e-6)
    g = fd.grad(lambda p: fnp.sum(f(p, x)["y"]))({"w": w})
    np.testing.assert_allclose(host(g["w"]), host(fd.grad(lambda w: fnp.sum(block(w, x)))(w)),
                               rtol=1e-5)


def test_backward_pass_recomputes_the_forward():
    f = lambda x: fnp.sin(fnp.sin(x))
    plain = names(fd.make_jaxpr(fd.value_and_grad(f))(1.0))
    remat = names(fd.make_jaxpr(fd.value_and_grad(fd.checkpoint(f)))(1.0))
    assert plain.count("sin") == 2  # forward only: the backward pass reuses sin(x)
    assert remat.count("sin") == 3  # forward, then sin(x) again inside the backward pass
    top = fd.make_jaxpr(fd.grad(fd.checkpoint(f)))(1.0)
    assert [e.prim.name for e in top.eqns] == ["checkpoint"]
    assert top.eqns[0].params["differentiated"] is True
    assert names(top).count("sin") == 1 and names(top).count("cos") == 2


def test_forward_pass_keeps_only_inputs_and_outputs(data):
    _, x = data
    f = fd.checkpoint(lambda x: fnp.exp(fnp.sin(fnp.cos(x))))
    tape = ad.TapeBuilder(current_interpreter())
    arg = tape.new_arg(x.aval, x)
    with use_interpreter(tape):
        f(arg)
    assert [e.prim.name for e in tape.eqns] == ["checkpoint"]
    assert len(tape.env) == 2  # the input and the output: nothing from inside


def test_composes_with_vmap_and_higher_order(x64, data):
    w, x = data
    f = fd.checkpoint(lambda x: fnp.sum(fnp.sin(x) ** 2))
    g = fd.vmap(fd.grad(f))(x)
    np.testing.assert_allclose(host(g), np.sin(2 * host(x)), rtol=1e-12)
    g2 = fd.grad(lambda x: fnp.sum(fd.vmap(f)(x)))(x)
    np.testing.assert_allclose(host(g2), np.sin(2 * host(x)), rtol=1e-12)
    h = fd.hessian(f)(x[0])
    np.testing.assert_allclose(host(h), np.diag(2 * np.cos(2 * host(x[0]))), rtol=1e-12)
    gg = fd.grad(fd.grad(fd.checkpoint(fnp.sin)))(0.5)
    assert float(gg) == pytest.approx(-np.sin(0.5))
    _, t = fd.jvp(f, (x[0],), (fnp.ones(3),))
    assert float(t) == pytest.approx(float(np.sum(np.sin(2 * host(x[0])))))


def test_nested_checkpoints(x64):
    inner = fd.checkpoint(lambda x: fnp.sin(x) * x)
    outer = fd.checkpoint(lambda x: inner(inner(x)))
    x = fnp.asarray(np.array([0.2, -0.7]))
    plain = lambda x: (lambda y: fnp.sin(y) * y)(fnp.sin(x) * x)
    np.testing.assert_allclose(host(fd.grad(lambda x: fnp.sum(outer(x)))(x)),
                               host(fd.grad(lambda x: fnp.sum(plain(x)))(x)), rtol=1e-12)


def test_checkpoint_over_closures_and_python_values(data):
    w, x = data
    scale = 3.0
    f = fd.checkpoint(lambda x, n: fnp.sum(fnp.tanh(x @ w) * scale) * n, static_argnums=(1,))
    g = fd.grad(f)(x, 2)
    want = fd.grad(lambda x: fnp.sum(fnp.tanh(x @ w) * scale) * 2)(x)
    np.testing.assert_allclose(host(g), host(want), rtol=1e-6)
    # the closed-over w is differentiated too
    gw = fd.grad(lambda w: fd.checkpoint(lambda x: fnp.sum(fnp.tanh(x @ w)))(x))(w)
    np.testing.assert_allclose(host(gw), host(fd.grad(lambda w: fnp.sum(fnp.tanh(x @ w)))(w)),
                               rtol=1e-6)


def test_custom_rules_inside_checkpoint():
    @fd.custom_vjp
    def clip(x):
        return x

    clip.defvjp(lambda x: (x, None), lambda _, g: (fnp.clip(g, -1.0, 1.0),))
    f = fd.checkpoint(lambda x: 5.0 * clip(fnp.sin(x)))
    assert float(fd.grad(f)(0.0)) == pytest.approx(1.0)


def test_policy_is_not_supported():
    with pytest.raises(NotImplementedError, match=r"policy.*not supported.*smaller"):
        fd.checkpoint(fnp.sin, policy=lambda *a: True)
