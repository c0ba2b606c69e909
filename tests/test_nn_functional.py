"""fd.nn activations (against NumPy formulas and jax.nn's conventions), losses (against
NumPy implementations of torch.nn.functional's formulas), initializers (statistics and JAX's
numbers), their error messages, and gradients against finite differences in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import nn


def arr(x):
    return fnp.asarray(x)


def close(got, want, tol=1e-5):
    np.testing.assert_allclose(host(got), want, rtol=tol, atol=tol)


X = np.array([-20.0, -3.0, -1.0, -0.5, 0.0, 0.25, 1.0, 2.5, 7.0, 30.0])
ERF = np.vectorize(math.erf)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_softplus(x):
    return np.logaddexp(x, 0)


ACTIVATIONS = {
    "relu": (nn.relu, lambda x: np.maximum(x, 0)),
    "relu6": (nn.relu6, lambda x: np.clip(x, 0, 6)),
    "leaky_relu": (lambda x: nn.leaky_relu(x, 0.2), lambda x: np.where(x >= 0, x, 0.2 * x)),
    "elu": (lambda x: nn.elu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    "celu": (lambda x: nn.celu(x, 2.0), lambda x: np.where(x > 0, x, 2 * np.expm1(x / 2))),
    "selu": (nn.selu, lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * np.expm1(x))),
    "gelu_tanh": (nn.gelu, lambda x: 0.5 * x * (1 + np.tanh(
        math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))),
    "gelu_erf": (lambda x: nn.gelu(x, approximate=False),
                 lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2)))),
    "sigmoid": (nn.sigmoid, np_sigmoid),
    "silu": (nn.silu, lambda x: x * np_sigmoid(x)),
    "swish": (nn.swish, lambda x: x * np_sigmoid(x)),
    "softplus": (nn.softplus, np_softplus),
    "log_sigmoid": (nn.log_sigmoid, lambda x: -np_softplus(-x)),
    "soft_sign": (nn.soft_sign, lambda x: x / (np.abs(x) + 1)),
    "hard_tanh": (nn.hard_tanh, lambda x: np.clip(x, -1, 1)),
    "hard_sigmoid": (nn.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    "hard_silu": (nn.hard_silu, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "mish": (nn.mish, lambda x: x * np.tanh(np_softplus(x))),
    "tanh": (nn.tanh, np.tanh),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values(name, x64):
    f, ref = ACTIVATIONS[name]
    y = f(arr(X))
    assert y.dtype == np.float64 and y.shape == X.shape
    close(y, ref(X), 1e-10)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradients(name, x64):
    f, _ = ACTIVATIONS[name]
    pts = arr(np.array([-2.3, -0.7, 0.4, 1.3, 3.1]))  # away from kinks
    fd.check_grads(f, (pts,), order=2)


def test_float32_activations_keep_dtype_and_ints_become_float():
    x = fnp.array([-1.0, 2.0])
    assert all(f(x).dtype == np.float32 for f, _ in ACTIVATIONS.values())
    assert nn.gelu(fnp.array([1, 2])).dtype == np.float32
    assert nn.relu(fnp.array([-1, 2])).dtype == np.int32  # relu keeps integers, as jax.nn


def test_kinks_take_jax_derivatives():
    assert float(fd.grad(nn.relu)(0.0)) == 0.0
    assert float(fd.grad(nn.relu)(1.0)) == 1.0
    assert float(fd.grad(nn.relu6)(0.0)) == 0.0 and float(fd.grad(nn.relu6)(6.0)) == 0.0
    g = fd.vmap(fd.grad(nn.relu))(fnp.array([-1.0, 0.0, 2.0]))
    close(g, [0.0, 0.0, 1.0])
    close(fd.jit(fd.grad(nn.relu))(0.0), 0.0)


def test_gelu_forms_differ_and_match_their_formulas():
    x = fnp.linspace(-3, 3, 13)
    approx, exact = host(nn.gelu(x)), host(nn.gelu(x, approximate=False))
    assert 1e-4 < np.abs(approx - exact).max() < 1e-2


def test_stable_large_inputs():
    big = fnp.array([1000.0, -1000.0])
    close(nn.softplus(big), [1000.0, 0.0])
    close(nn.log_sigmoid(big), [0.0, -1000.0])
    close(nn.sigmoid(big), [1.0, 0.0])
    assert np.isfinite(host(nn.elu(fnp.array([100.0])))).all()


# --- softmax and friends -------------------------------------------------------------------


def np_log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def test_softmax_log_softmax_logsumexp_values(x64):
    x = np.random.default_rng(0).normal(size=(3, 4, 5)) * 10
    for axis in (-1, 0, (1, 2)):
        close(nn.log_softmax(arr(x), axis=axis), np_log_softmax(x, axis), 1e-10)
        close(nn.softmax(arr(x), axis=axis), np.exp(np_log_softmax(x, axis)), 1e-10)
    m = x.max()
    close(nn.logsumexp(arr(x)), m + np.log(np.exp(x - m).sum()), 1e-10)
    lse = nn.logsumexp(arr(x), axis=1, keepdims=True)
    assert lse.shape == (3, 1, 5)
    close(lse, (x - np_log_softmax(x, 1))[:, :1], 1e-10)
    b = np.random.default_rng(1).normal(size=(5,))
    val, sign = nn.logsumexp(arr(x), axis=-1, b=arr(b), return_sign=True)
    s = (b * np.exp(x)).sum(-1)
    close(val, np.log(np.abs(s)), 1e-8)
    close(sign, np.sign(s))


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # log(0) = -inf is right
def test_softmax_is_stable_and_handles_masks_and_all_minus_inf():
    close(nn.softmax(fnp.array([1e4, 1e4 + math.log(3)])), [0.25, 0.75])
    close(nn.log_softmax(fnp.array([0.0, 1e4])), [-1e4, 0.0])
    inf = fnp.array([-fnp.inf, -fnp.inf])
    assert float(nn.logsumexp(inf)) == -np.inf
    mask = fnp.array([True, False, True])
    close(nn.softmax(fnp.array([0.0, 50.0, 0.0]), where=mask), [0.5, 0.0, 0.5])
    out = host(nn.log_softmax(fnp.array([0.0, 50.0, 0.0]), where=mask))
    close(out[[0, 2]], [-math.log(2)] * 2)
    assert out[1] == -np.inf
    g = fd.grad(lambda x: (nn.softmax(x, where=mask) * fnp.arange(3.0)).sum())(
        fnp.array([0.0, 50.0, 1.0]))
    assert np.isfinite(host(g)).all() and float(host(g)[1]) == 0.0


def test_softmax_gradients(x64):
    x = arr(np.random.default_rng(2).normal(size=(2, 4)))
    fd.check_grads(nn.softmax, (x,), order=2)
    fd.check_grads(lambda x: nn.log_softmax(x, axis=0), (x,), order=2)
    fd.check_grads(lambda x: nn.logsumexp(x, axis=1), (x,), order=2)


def test_one_hot_and_standardize():
    close(nn.one_hot(fnp.array([0, 2, 3, -1]), 3),
          [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])  # out of range: zeros
    oh = nn.one_hot(fnp.array([[1, 0]]), 2, axis=0, dtype=fnp.int32)
    assert oh.shape == (2, 1, 2) and oh.dtype == np.int32
    close(oh[:, 0, :], [[0, 1], [1, 0]])
    with pytest.raises(TypeError, match="one_hot: num_classes must be a Python int"):
        nn.one_hot(fnp.array([1]), 2.5)
    with pytest.raises(ValueError, match="axis 3 is out of range for a 2-d result"):
        nn.one_hot(fnp.array([1]), 2, axis=3)
    x = np.random.default_rng(3).normal(size=(4, 6))
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    close(nn.standardize(arr(x.astype(np.float32))), want, 1e-4)
    assert nn.normalize is nn.standardize
    with pytest.raises(ValueError, match=r"glu: axis -1 of x must have even length, got shape "
                                         r"\(3,\)"):
        nn.glu(fnp.ones(3))
    close(nn.glu(fnp.array([[1.0, 2.0, 0.0, 3.0]])), [[0.5, 2 * np_sigmoid(3.0)]])


# --- losses --------------------------------------------------------------------------------

RNG = np.random.default_rng(42)
P = RNG.normal(size=(6, 3))
T = RNG.normal(size=(6, 3))


@pytest.mark.parametrize("fn,ref", [
    (nn.mse_loss, lambda d: d**2),
    (nn.l1_loss, np.abs),
    (lambda a, b, r: nn.smooth_l1_loss(a, b, r, beta=0.5),
     lambda d: np.where(np.abs(d) < 0.5, 0.5 * d**2 / 0.5, np.abs(d) - 0.25)),
    (lambda a, b, r: nn.huber_loss(a, b, r, delta=0.5),
     lambda d: np.where(np.abs(d) <= 0.5, 0.5 * d**2, 0.5 * (np.abs(d) - 0.25))),
])
def test_regression_losses_and_reductions(fn, ref):
    elem = ref(P - T)
    close(fn(arr(P), arr(T), "none"), elem, 1e-5)
    close(fn(arr(P), arr(T), "sum"), elem.sum(), 1e-4)
    close(fn(arr(P), arr(T), "mean"), elem.mean(), 1e-5)


def test_regression_loss_defaults_and_errors():
    close(nn.mse_loss(arr(P), arr(T)), ((P - T) ** 2).mean())
    with pytest.raises(ValueError, match=r"mse_loss: input and target must have the same shape,"
                                         r" got input \(4, 1\) and target \(4,\); reshape one"):
        nn.mse_loss(fnp.ones((4, 1)), fnp.ones(4))
    with pytest.raises(ValueError, match=r"l1_loss: reduction must be one of \('mean', 'sum', "
                                         r"'none'\), got 'avg'"):
        nn.l1_loss(fnp.ones(2), fnp.ones(2), reduction="avg")
    assert float(nn.smooth_l1_loss(fnp.array([2.0]), fnp.array([0.0]), beta=0.0)) == 2.0


def np_cross_entropy(logits, target, weight=None, ignore_index=-100, reduction="mean",
                     label_smoothing=0.0):
    """torch.nn.functional.cross_entropy, class axis 1 (or 0 for 1-d input)."""
    axis = 0 if logits.ndim == 1 else 1
    logp = np_log_softmax(logits, axis)
    c = logits.shape[axis]
    w = np.ones(c) if weight is None else weight
    wshape = [1] * logits.ndim
    wshape[axis] = c
    if np.issubdtype(target.dtype, np.floating):
        t = target * (1 - label_smoothing) + label_smoothing / c
        loss = -(t * logp * w.reshape(wshape)).sum(axis)
        return {"none": loss, "sum": loss.sum(), "mean": loss.sum() / (logits.size / c)}[
            reduction]
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    picked = np.take_along_axis(logp, np.expand_dims(safe, axis), axis).squeeze(axis)
    wi = np.where(valid, w[safe], 0.0)
    nll = -picked * wi
    smooth = np.where(valid, -(logp * w.reshape(wshape)).sum(axis), 0.0)
    loss = (1 - label_smoothing) * nll + label_smoothing / c * smooth
    return {"none": loss, "sum": loss.sum(), "mean": loss.sum() / wi.sum()}[reduction]


CE_CASES = [
    dict(shape=(5, 4), kw={}),
    dict(shape=(4,), kw={}),
    dict(shape=(3, 4, 2, 2), kw={}),  # classes on axis 1
    dict(shape=(6, 3), kw=dict(weight=np.array([0.2, 1.0, 3.0]))),
    dict(shape=(6, 3), kw=dict(ignore_index=1)),
    dict(shape=(6, 3), kw=dict(label_smoothing=0.2)),
    dict(shape=(6, 3), kw=dict(label_smoothing=0.1, weight=np.array([0.5, 2.0, 1.0]),
                               ignore_index=0)),
    dict(shape=(3, 4, 5), kw=dict(label_smoothing=0.3, weight=np.array([1.0, 2, 3, 4]))),
]


@pytest.mark.parametrize("i", range(len(CE_CASES)))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_class_indices(i, reduction):
    case = CE_CASES[i]
    rng = np.random.default_rng(i)
    shape = case["shape"]
    axis = 0 if len(shape) == 1 else 1
    logits = rng.normal(size=shape) * 3
    target = rng.integers(0, shape[axis], size=shape[:axis] + shape[axis + 1:])
    kw = dict(case["kw"])
    want = np_cross_entropy(logits, target, reduction=reduction, **kw)
    if "weight" in kw:
        kw["weight"] = arr(kw["weight"].astype(np.float32))
    got = nn.cross_entropy(arr(logits.astype(np.float32)), arr(target.astype(np.int32)),
                           reduction=reduction, **kw)
    assert got.shape == np.shape(want)
    close(got, want, 1e-4)


@pytest.mark.parametrize("kw", [{}, dict(label_smoothing=0.25),
                                dict(weight=np.array([1.0, 0.5, 2.0]))])
def test_cross_entropy_with_probabilities(kw):
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(4, 3, 2))
    probs = np.exp(np_log_softmax(rng.normal(size=(4, 3, 2)), 1))
    want = np_cross_entropy(logits, probs, **kw)
    if "weight" in kw:
        kw = dict(weight=arr(kw["weight"].astype(np.float32)))
    close(nn.cross_entropy(arr(logits.astype(np.float32)), arr(probs.astype(np.float32)), **kw),
          want, 1e-5)


def test_cross_entropy_is_stable_and_matches_one_hot_and_nll():
    logits = fnp.array([[1e4, 0.0], [0.0, -1e4]])
    close(nn.cross_entropy(logits, fnp.array([1, 1])), (1e4 + 1e4) / 2)
    close(nn.cross_entropy(logits, nn.one_hot(fnp.array([1, 1]), 2)), (1e4 + 1e4) / 2)
    x = arr(np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32))
    t = arr(np.array([0, 3, 1, 1, 2]))
    close(nn.cross_entropy(x, t), host(nn.nll_loss(nn.log_softmax(x), t)))


def test_nll_loss_values():
    rng = np.random.default_rng(7)
    logp = np_log_softmax(rng.normal(size=(6, 4)))
    t = np.array([0, 3, 1, -100, 2, 2])
    w = np.array([1.0, 2.0, 0.5, 1.5])
    valid = t != -100
    picked = np.where(valid, -logp[np.arange(6), np.where(valid, t, 0)], 0)
    wi = np.where(valid, w[np.where(valid, t, 0)], 0)
    close(nn.nll_loss(arr(logp.astype(np.float32)), arr(t), weight=arr(w.astype(np.float32))),
          (picked * wi).sum() / wi.sum(), 1e-5)
    close(nn.nll_loss(arr(logp.astype(np.float32)), arr(t), reduction="none"), picked, 1e-5)


def test_classification_loss_errors():
    with pytest.raises(ValueError, match=r"cross_entropy: for input of shape \(4, 3\) \(classes "
                                         r"on axis 1\), integer target must have shape \(4,\), "
                                         r"got \(4, 1\)"):
        nn.cross_entropy(fnp.ones((4, 3)), fnp.zeros((4, 1), fnp.int32))
    with pytest.raises(ValueError, match=r"class-probability target must have input's shape "
                                         r"\(4, 3\), got \(4,\)"):
        nn.cross_entropy(fnp.ones((4, 3)), fnp.zeros(4))
    with pytest.raises(ValueError, match=r"weight must have shape \(C,\) = \(3,\), got \(2,\)"):
        nn.cross_entropy(fnp.ones((4, 3)), fnp.zeros(4, fnp.int32), weight=fnp.ones(2))
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 2"):
        nn.cross_entropy(fnp.ones((4, 3)), fnp.zeros(4, fnp.int32), label_smoothing=2)
    with pytest.raises(ValueError, match="input must have a class axis, got a scalar"):
        nn.cross_entropy(fnp.ones(()), fnp.zeros((), fnp.int32))
    with pytest.raises(TypeError, match="nll_loss: target must hold integer class indices"):
        nn.nll_loss(fnp.ones((2, 3)), fnp.ones(2))


def test_binary_cross_entropy_forms():
    rng = np.random.default_rng(9)
    z = rng.normal(size=(5, 3)) * 4
    t = rng.uniform(size=(5, 3))
    p = np_sigmoid(z)
    w = rng.uniform(size=(3,))
    want = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    close(nn.binary_cross_entropy(arr(p.astype(np.float32)), arr(t.astype(np.float32))),
          want.mean(), 1e-5)
    close(nn.binary_cross_entropy(arr(p.astype(np.float32)), arr(t.astype(np.float32)),
                                  weight=arr(w.astype(np.float32)), reduction="sum"),
          (want * w).sum(), 1e-4)
    close(nn.binary_cross_entropy_with_logits(arr(z.astype(np.float32)),
                                              arr(t.astype(np.float32)), reduction="none"),
          want, 1e-5)
    pw = np.array([2.0, 0.5, 1.0])
    want_pw = -(pw * t * np.log(p) + (1 - t) * np.log(1 - p))
    close(nn.binary_cross_entropy_with_logits(arr(z.astype(np.float32)),
                                              arr(t.astype(np.float32)),
                                              pos_weight=arr(pw.astype(np.float32))),
          want_pw.mean(), 1e-5)
    # PyTorch clamps each log at -100; the logits form needs no clamp.
    close(nn.binary_cross_entropy(fnp.array([0.0, 1.0]), fnp.array([1.0, 0.0]), reduction="none"),
          [100.0, 100.0])
    close(nn.binary_cross_entropy_with_logits(fnp.array([-200.0]), fnp.array([1.0])), 200.0)


def test_loss_gradients(x64):
    rng = np.random.default_rng(11)
    logits = arr(rng.normal(size=(4, 3, 2)))
    idx = arr(rng.integers(0, 3, size=(4, 2)))
    w = arr(np.array([0.5, 1.0, 2.0]))
    fd.check_grads(lambda x: nn.cross_entropy(x, idx, weight=w, label_smoothing=0.1),
                   (logits,), order=2)
    probs = arr(np.exp(np_log_softmax(rng.normal(size=(4, 3, 2)), 1)))
    fd.check_grads(lambda x, t: nn.cross_entropy(x, t), (logits, probs), order=1)
    z, t = arr(rng.normal(size=(5,))), arr(rng.uniform(size=(5,)))
    fd.check_grads(nn.binary_cross_entropy_with_logits, (z, t), order=2)
    fd.check_grads(lambda z: nn.binary_cross_entropy_with_logits(z, t), (arr(np.zeros(5)),),
                   order=1)
    fd.check_grads(nn.binary_cross_entropy, (arr(rng.uniform(0.1, 0.9, size=5)), t), order=1)
    fd.check_grads(nn.mse_loss, (z, t), order=2)
    fd.check_grads(lambda a, b: nn.huber_loss(a, b, delta=0.3), (z, t), order=1)
    # the gradient of the logits form is sigmoid(z) - t, as PyTorch's
    close(fd.grad(lambda z: nn.binary_cross_entropy_with_logits(z, t, reduction="sum"))(z),
          np_sigmoid(host(z)) - host(t), 1e-10)


# --- initializers --------------------------------------------------------------------------


def test_initializers_match_jax_numbers():
    k = fd.random.key(0)
    # jax.nn.initializers.*(...)(jax.random.PRNGKey(0), ...) with jax 0.10
    close(nn.init.glorot_uniform()(k, (2, 3)),
          [[0.9807893, 1.048516, -0.36743096], [-0.06864396, 0.1531185, -0.7328462]])
    close(nn.init.he_normal()(k, (2, 3)),
          [[1.6552032, 1.9494075, -0.46914884], [-0.08530156, 0.19099149, -1.0375029]])
    close(nn.init.orthogonal()(k, (2, 3)),
          [[0.96083665, -0.25675002, 0.10427104], [0.18604839, 0.3188112, -0.92937905]])
    close(nn.init.normal(1.0)(k, (2,)), [1.6226422, 2.0252647])
    close(nn.init.uniform(2.0)(k, (2,)), [1.895334, 1.9571598])


@pytest.mark.parametrize("name,scale,fan,dist", [
    ("glorot_uniform", 1.0, "avg", "uniform"), ("glorot_normal", 1.0, "avg", "normal"),
    ("he_uniform", 2.0, "in", "uniform"), ("he_normal", 2.0, "in", "normal"),
    ("lecun_uniform", 1.0, "in", "uniform"), ("lecun_normal", 1.0, "in", "normal"),
])
def test_variance_scaling_statistics(name, scale, fan, dist):
    shape = (300, 200, 2)  # in_axis=-2, out_axis=-1, receptive field 300
    fan_in, fan_out = 200 * 300, 2 * 300
    var = scale / (fan_in if fan == "in" else (fan_in + fan_out) / 2)
    w = host(getattr(nn.init, name)()(fd.random.key(1), shape))
    assert w.shape == shape and w.dtype == np.float32
    assert abs(w.var() / var - 1) < 0.03
    if dist == "uniform":
        assert np.abs(w).max() <= math.sqrt(3 * var) * (1 + 1e-6)
    else:
        assert np.abs(w).max() <= 2 * math.sqrt(var) / 0.8796256610342398 * (1 + 1e-6)


def test_initializer_axes_aliases_and_simple_ones(x64):
    w = host(nn.init.he_uniform(in_axis=1, out_axis=0)(fd.random.key(0), (64, 100)))
    assert np.abs(w).max() <= math.sqrt(6 / 100) and w.dtype == np.float64
    assert nn.init.xavier_uniform is nn.init.glorot_uniform
    assert nn.init.kaiming_normal is nn.init.he_normal
    assert nn.init.kaiming_uniform is nn.init.he_uniform
    assert nn.init.xavier_normal is nn.init.glorot_normal
    close(nn.init.zeros(None, (2, 2)), np.zeros((2, 2)))
    close(nn.init.ones(None, 3), np.ones(3))
    close(nn.init.constant(-2.0)(None, (2,)), [-2.0, -2.0])
    t = host(nn.init.truncated_normal(0.5)(fd.random.key(0), (5000,)))
    assert np.abs(t).max() < 1.0 and 0.4 < t.std() < 0.5
    q = host(nn.init.orthogonal(scale=2.0, column_axis=0)(fd.random.key(0), (3, 4, 5)))
    flat = np.moveaxis(q, 0, -1).reshape(20, 3)
    np.testing.assert_allclose(flat.T @ flat, 4 * np.eye(3), atol=1e-10)
    u = host(nn.init.uniform(1.0)(fd.random.key(0), (1000,)))
    assert u.min() >= 0 and u.max() < 1


def test_initializer_errors():
    with pytest.raises(ValueError, match=r"cannot tell the fan-in and fan-out of a 1-d shape "
                                         r"\(3,\)"):
        nn.init.glorot_uniform()(fd.random.key(0), (3,))
    with pytest.raises(ValueError, match="mode must be one of"):
        nn.init.variance_scaling(1.0, "fan_middle", "normal")
    with pytest.raises(ValueError, match="distribution must be one of"):
        nn.init.variance_scaling(1.0, "fan_in", "cauchy")
    with pytest.raises(TypeError, match="shape must be a tuple of ints"):
        nn.init.zeros(None, "abc")
    with pytest.raises(ValueError, match="orthogonal: needs a shape of at least 2 axes"):
        nn.init.orthogonal()(fd.random.key(0), (4,))


def test_cross_entropy_out_of_range_label_is_nan_and_ignore_index_is_skipped():
    logits = fnp.zeros((3, 4))
    labels = fnp.array([1, 7, -100])
    loss = nn.cross_entropy(logits, labels, reduction="none")
    got = fd.device_get(loss)
    assert np.isnan(got[1]) and got[2] == 0.0 and np.isclose(got[0], np.log(4))
