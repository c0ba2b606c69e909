"""Gradients of a small CNN (Conv2d → relu → MaxPool2d → Conv2d → AvgPool2d → Linear →
cross_entropy) against central finite differences in float64: every parameter and every
input coordinate, eagerly and under ``jit``, in reverse and forward mode.

The data are random normals, so no relu input sits within the difference step of 0 and no
max-pool window holds a tie: the loss is smooth at the points checked.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import nn

EPS = 1e-6
RTOL, ATOL = 1e-6, 1e-9


class SmallCNN(nn.Module):
    """(N, 2, 12, 12) → conv 3x3 pad 1 → relu → max 2x2 → conv 3x3 → avg 2x2 → 3 logits."""

    def __init__(self, *, key):
        k1, k2, k3 = fd.random.split(key, 3)
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1, key=k1)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 6, 3, key=k2)
        self.pool2 = nn.AvgPool2d(2)
        self.fc = nn.Linear(6 * 2 * 2, 3, key=k3)

    def __call__(self, x):
        x = self.pool1(nn.relu(self.conv1(x)))
        x = self.pool2(self.conv2(x))
        return self.fc(x.reshape(x.shape[0], -1))


def loss_fn(model, x, labels):
    return nn.cross_entropy(model(x), labels)


@pytest.fixture
def problem(x64):
    model = SmallCNN(key=fd.random.key(0))
    assert model.conv1.weight.dtype == np.float64  # x64: parameters default to float64
    rng = np.random.default_rng(0)
    x = fnp.asarray(rng.normal(size=(2, 2, 12, 12)))
    labels = fnp.array([0, 2])
    return model, x, labels


def central_differences(f, tree, eps=EPS):
    """d f / d leaf[i] for every coordinate of every leaf of ``tree``, as a tree."""
    leaves, treedef = fd.tree.flatten(tree)
    hosts = [host(leaf).astype(np.float64) for leaf in leaves]
    out = []
    for k, h in enumerate(hosts):
        g = np.zeros_like(h)
        for idx in np.ndindex(h.shape):
            vals = []
            for sign in (1.0, -1.0):
                moved = h.copy()
                moved[idx] += sign * eps
                parts = [fnp.asarray(moved) if j == k else leaf for j, leaf in enumerate(leaves)]
                vals.append(float(host(f(fd.tree.unflatten(treedef, parts)))))
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        out.append(g)
    return fd.tree.unflatten(treedef, out)


def assert_tree_close(got, want, rtol=RTOL, atol=ATOL):
    got_paths = fd.tree.leaves_with_path(got)
    want_leaves = fd.tree.leaves(want)
    assert len(got_paths) == len(want_leaves)
    for (path, g), w in zip(got_paths, want_leaves, strict=True):
        np.testing.assert_allclose(host(g), host(w), rtol=rtol, atol=atol,
                                   err_msg=fd.tree.keystr(path))


def test_parameter_gradients_match_central_differences(problem):
    model, x, labels = problem
    grads = fd.grad(loss_fn)(model, x, labels)
    assert type(grads) is SmallCNN
    assert [fd.tree.keystr(p) for p, _ in fd.tree.leaves_with_path(grads)] == [
        ".conv1.weight", ".conv1.bias", ".conv2.weight", ".conv2.bias", ".fc.weight",
        ".fc.bias"]
    assert all(g.dtype == np.float64 for g in fd.tree.leaves(grads))
    numeric = central_differences(lambda m: loss_fn(m, x, labels), model)
    assert_tree_close(grads, numeric)
    # Not vacuous: every parameter leaf gets a nonzero gradient.
    assert all(np.abs(host(g)).max() > 1e-4 for g in fd.tree.leaves(grads))


def test_input_gradient_matches_central_differences(problem):
    model, x, labels = problem
    gx = fd.grad(loss_fn, argnums=1)(model, x, labels)
    assert gx.shape == x.shape and gx.dtype == np.float64
    numeric = central_differences(lambda x_: loss_fn(model, x_, labels), x)
    np.testing.assert_allclose(host(gx), numeric, rtol=RTOL, atol=ATOL)
    # Max pooling passes the gradient to one conv1 output per window, but the 3x3 kernels
    # overlap, so (almost) every input pixel still gets some: the check covers them all.
    assert np.count_nonzero(host(gx)) > 0.9 * gx.size


def test_gradients_under_jit(problem):
    model, x, labels = problem
    eager_loss, eager = fd.value_and_grad(loss_fn, argnums=(0, 1))(model, x, labels)
    jit_vg = fd.jit(fd.value_and_grad(loss_fn, argnums=(0, 1)))
    for _ in range(2):  # the second call runs the cached, compiled step
        value, grads = jit_vg(model, x, labels)
        assert float(host(value)) == pytest.approx(float(host(eager_loss)), rel=1e-12)
        assert_tree_close(grads, eager, rtol=1e-10, atol=1e-12)
    # grad of a jitted loss differentiates the compiled function.
    assert_tree_close(fd.grad(fd.jit(loss_fn), argnums=(0, 1))(model, x, labels), eager,
                      rtol=1e-10, atol=1e-12)
    # And against central differences along random directions of the whole model.
    rng = np.random.default_rng(1)
    jit_loss = fd.jit(loss_fn)
    flat_grads = np.concatenate([host(g).ravel() for g in fd.tree.leaves(grads[0])])

    def along(direction, t):
        return fd.tree.map(lambda p, v: p + t * v, model, direction)

    for _ in range(3):
        direction = fd.tree.map(lambda p: fnp.asarray(rng.normal(size=p.shape)), model)
        flat_dir = np.concatenate([host(v).ravel() for v in fd.tree.leaves(direction)])
        numeric = (float(host(jit_loss(along(direction, EPS), x, labels)))
                   - float(host(jit_loss(along(direction, -EPS), x, labels)))) / (2 * EPS)
        assert float(flat_grads @ flat_dir) == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_forward_mode_matches_central_differences(problem):
    model, x, labels = problem
    rng = np.random.default_rng(2)
    t_model = fd.tree.map(lambda p: fnp.asarray(rng.normal(size=p.shape)), model)
    t_x = fnp.asarray(rng.normal(size=x.shape))

    def f(m, x_):
        return loss_fn(m, x_, labels)

    value, tangent = fd.jvp(f, (model, x), (t_model, t_x))
    shifted = [f(fd.tree.map(lambda p, t, s=s: p + s * EPS * t, model, t_model), x + s * EPS * t_x)
               for s in (1.0, -1.0)]
    numeric = (float(host(shifted[0])) - float(host(shifted[1]))) / (2 * EPS)
    assert float(host(tangent)) == pytest.approx(numeric, rel=1e-6, abs=1e-9)
    assert float(host(value)) == pytest.approx(float(host(f(model, x))), rel=1e-14)
    # jvp agrees with the reverse-mode gradient: <grad, t>.
    gm, gx = fd.grad(f, argnums=(0, 1))(model, x)
    inner = sum(float(np.sum(host(g) * host(t)))
                for g, t in zip(fd.tree.leaves((gm, gx)), fd.tree.leaves((t_model, t_x)),
                                strict=True))
    assert float(host(tangent)) == pytest.approx(inner, rel=1e-10)


def test_one_sgd_step_lowers_the_loss(problem):
    # The gradient is a descent direction: a small step along it lowers the loss (and a
    # jitted training step does the same as the eager one).
    model, x, labels = problem
    opt = fd.optim.sgd(0.05)

    def step(m, state):
        loss, g = fd.value_and_grad(loss_fn)(m, x, labels)
        updates, state = opt.update(g, state, m)
        return fd.optim.apply_updates(m, updates), state, loss

    state = opt.init(model)
    m1, _, loss0 = step(model, state)
    m1_jit, _, loss0_jit = fd.jit(step)(model, state)
    assert float(host(loss_fn(m1, x, labels))) < float(host(loss0))
    assert_tree_close(m1_jit, m1, rtol=1e-12, atol=1e-14)
    assert float(host(loss0_jit)) == pytest.approx(float(host(loss0)), rel=1e-12)
