"""The public contract of DESIGN.md §1, tested the way a JAX or PyTorch user meets it in the
first hour: only the public imports, PyTorch's layer arguments and layouts, ``jax.nn``'s
activations, ``torch.nn.functional``'s losses, optax-style optimizers, checkpoints, keys,
and the seed example's training loop. Reference numbers come from the closed-form
definitions, written here in NumPy."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import data, lax, nn, optim, random, tree


def host(x):
    return np.asarray(fd.device_get(x))


def close(got, want, tol=1e-5):
    np.testing.assert_allclose(host(got), want, rtol=tol, atol=tol)


KEY = random.key(0)

# --- the public names -----------------------------------------------------------------------

NAMES = {
    fd: "Array grad value_and_grad jvp vjp linearize jacfwd jacrev hessian vmap jit make_jaxpr "
        "custom_jvp custom_vjp stop_gradient checkpoint devices device_put device_get config "
        "save load check_grads",
    fnp: "array asarray zeros ones full zeros_like ones_like full_like arange linspace eye sum "
         "mean max min prod var std argmax argmin all any reshape transpose swapaxes moveaxis "
         "expand_dims squeeze concatenate stack split tile repeat broadcast_to pad flip where "
         "take take_along_axis matmul dot tensordot einsum outer cumsum sort argsort clip "
         "maximum minimum float32 float64 int32",
    fnp.linalg: "norm inv solve det cholesky",
    lax: "add mul dot_general conv_general_dilated reduce_window select cond switch scan "
         "while_loop fori_loop",
    random: "key PRNGKey split fold_in uniform normal truncated_normal bernoulli randint "
            "categorical permutation choice",
    tree: "map leaves structure flatten unflatten reduce register_pytree_node "
          "register_dataclass flatten_with_path map_with_path",
    nn: "Module Linear Conv1d Conv2d MaxPool2d AvgPool2d BatchNorm LayerNorm Dropout Embedding "
        "MultiheadAttention Sequential relu gelu silu sigmoid tanh softmax log_softmax "
        "logsumexp one_hot mse_loss cross_entropy binary_cross_entropy init",
    nn.init: "glorot_uniform he_normal",
    optim: "GradientTransformation apply_updates chain sgd adam adamw rmsprop adagrad lion clip "
           "clip_by_global_norm add_decayed_weights scale_by_adam masked constant_schedule "
           "exponential_decay cosine_decay_schedule warmup_cosine_decay_schedule "
           "piecewise_constant_schedule",
    data: "Dataset ArrayDataset DataLoader datasets",
}


@pytest.mark.parametrize("module", list(NAMES), ids=lambda m: m.__name__)
def test_every_promised_name_exists(module):
    missing = [n for n in NAMES[module].split() if not hasattr(module, n)]
    assert not missing, f"{module.__name__} lacks {missing}"


# --- models are pytrees ----------------------------------------------------------------------


class MLP(nn.Module):
    def __init__(self, sizes, *, key, name="mlp"):
        keys = random.split(key, len(sizes) - 1)
        self.layers = [nn.Linear(a, b, key=k) for a, b, k in zip(sizes[:-1], sizes[1:], keys)]
        self.activation = nn.relu
        self.name = name
        self.depth = len(sizes) - 1

    def __call__(self, x):
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)


def test_module_attributes_become_children_and_settings_stay_static():
    model = MLP([3, 4, 2], key=KEY)
    paths = [tree.keystr(p) for p, _ in tree.flatten_with_path(model)[0]]
    assert paths == [".layers[0].weight", ".layers[0].bias", ".layers[1].weight",
                     ".layers[1].bias"]
    assert all(isinstance(leaf, fd.Array) for leaf in tree.leaves(model))
    # Static settings are part of the structure, not leaves.
    assert tree.structure(model) == tree.structure(MLP([3, 4, 2], key=random.key(1)))
    assert tree.structure(model) != tree.structure(MLP([3, 4, 2], key=KEY, name="other"))
    grads = fd.grad(lambda m, x: m(x).sum())(model, fnp.ones((5, 3)))
    assert type(grads) is MLP and grads.name == "mlp" and grads.depth == 2
    assert grads.layers[0].weight.shape == (4, 3)
    zeros = tree.map(fnp.zeros_like, model)
    assert type(zeros) is MLP and float(host(zeros.layers[1].bias).sum()) == 0.0
    assert tree.map_with_path(lambda p, x: tree.keystr(p), model).layers[1].bias == (
        ".layers[1].bias")


def test_module_is_frozen_after_init_with_a_clear_error():
    model = MLP([3, 4, 2], key=KEY)
    with pytest.raises(AttributeError, match=r"cannot assign attribute 'depth' of MLP.*frozen"
                                             r".*model\.replace\(depth=new_value\)"):
        model.depth = 3
    with pytest.raises(AttributeError, match="cannot assign attribute 'extra' of MLP"):
        model.extra = fnp.ones(2)
    with pytest.raises(AttributeError, match="cannot delete attribute 'name'"):
        del model.name
    with pytest.raises(AttributeError, match=r"tree_at\(lambda m: m\.path\.to\.weight"):
        model.layers[0].weight = fnp.zeros((4, 3))
    renamed = model.replace(name="renamed")
    assert renamed.name == "renamed" and model.name == "mlp"
    new = nn.tree_at(lambda m: m.layers[1].bias, model, fnp.ones(2))
    close(new.layers[1].bias, [1.0, 1.0])
    assert new.layers[0] is model.layers[0]
    # Copies stay frozen pytrees.
    for other in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        close(other.layers[0].weight, host(model.layers[0].weight))
        with pytest.raises(AttributeError, match="frozen"):
            other.depth = 1


def test_module_repr_is_readable():
    assert repr(MLP([3, 4, 2], key=KEY)) == (
        "MLP(\n"
        "  layers=[\n"
        "    Linear(in_features=3, out_features=4, weight=f32[4,3], bias=f32[4]),\n"
        "    Linear(in_features=4, out_features=2, weight=f32[2,4], bias=f32[2]),\n"
        "  ],\n"
        "  activation=relu,\n"
        "  name='mlp',\n"
        "  depth=2,\n"
        ")")


def test_dataclass_style_and_subclassed_modules():
    class Affine(nn.Module):
        w: fd.Array
        b: fd.Array

        def __call__(self, x):
            return x @ self.w + self.b

    aff = Affine(fnp.ones((2, 2)), fnp.zeros(2))
    close(aff(fnp.array([1.0, 2.0])), [3.0, 3.0])
    assert repr(aff) == "Affine(w=f32[2,2], b=f32[2])"
    with pytest.raises(AttributeError, match="frozen"):
        aff.w = None

    class Base(nn.Module):
        def __init__(self, *, key):
            super().__init__()
            self.fc = nn.Linear(2, 2, key=key)

    class Child(Base):
        def __init__(self, *, key):
            super().__init__(key=key)  # still building: the child may add fields
            self.scale = fnp.ones(2)

    child = Child(key=KEY)
    assert [tree.keystr(p) for p, _ in tree.flatten_with_path(child)[0]] == [
        ".fc.weight", ".fc.bias", ".scale"]


# --- layers: PyTorch's arguments, names and layouts ----------------------------------------


@pytest.mark.parametrize("lead", [(), (5,), (2, 3)])
def test_linear_layout_and_leading_axes(lead):
    lin = nn.Linear(3, 2, key=KEY)
    assert lin.weight.shape == (2, 3) and lin.bias.shape == (2,)
    assert (lin.in_features, lin.out_features) == (3, 2)
    x = np.random.default_rng(0).normal(size=(*lead, 3)).astype(np.float32)
    close(lin(fnp.asarray(x)), x @ host(lin.weight).T + host(lin.bias))
    assert nn.Linear(3, 2, bias=False, key=KEY).bias is None
    with pytest.raises(TypeError, match="key"):
        nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"Linear needs a PRNG key.*fd\.random\.key"):
        nn.Linear(3, 2, key=None)


def conv2d_reference(x, w, b, stride, padding, groups):
    """Naive NCHW cross-correlation, as torch.nn.functional.conv2d."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, [(0, 0), (0, 0), (padding, padding), (padding, padding)])
    ho, wo = (h + 2 * padding - kh) // stride + 1, (wd + 2 * padding - kw) // stride + 1
    out = np.zeros((n, o, ho, wo))
    per = o // groups
    for oc in range(o):
        g = oc // per
        for i in range(ho):
            for j in range(wo):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride:i * stride + kh,
                           j * stride:j * stride + kw]
                out[:, oc, i, j] = np.sum(patch * w[oc], axis=(1, 2, 3)) + b[oc]
    return out


def test_conv2d_layout_values_and_unbatched_input():
    conv = nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, groups=2, key=KEY)
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias.shape == (6,)
    x = np.random.default_rng(1).normal(size=(2, 4, 7, 6)).astype(np.float32)
    want = conv2d_reference(x, host(conv.weight), host(conv.bias), 2, 1, 2)
    got = conv(fnp.asarray(x))
    assert got.shape == (2, 6, 4, 4)
    close(got, want, 1e-4)
    close(conv(fnp.asarray(x[1])), want[1], 1e-4)  # unbatched CHW
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 4, H, W\) or "
                                         r"\(4, H, W\), got shape \(2, 3, 7, 6\)"):
        conv(fnp.ones((2, 3, 7, 6)))


def test_pooling_and_embedding():
    x = fnp.arange(16.0).reshape(1, 1, 4, 4)
    close(nn.MaxPool2d(2)(x), [[[[5.0, 7.0], [13.0, 15.0]]]])
    close(nn.AvgPool2d(2)(x), [[[[2.5, 4.5], [10.5, 12.5]]]])
    assert nn.MaxPool2d(2)(x[0]).shape == (1, 2, 2)
    emb = nn.Embedding(10, 3, key=KEY)
    assert emb.weight.shape == (10, 3)
    idx = np.array([[1, 2], [9, 1]])
    close(emb(fnp.asarray(idx)), host(emb.weight)[idx])
    g = fd.grad(lambda e: e(fnp.array([1, 1, 3])).sum())(emb)
    close(g.weight[:4], [[0, 0, 0], [2, 2, 2], [0, 0, 0], [1, 1, 1]])


def test_dropout_needs_a_key_outside_inference():
    drop = nn.Dropout(0.5)
    x = fnp.ones(1000)
    with pytest.raises(ValueError, match=r"Dropout\(p=0.5\) needs a PRNG key.*inference=True"):
        drop(x)
    y = host(drop(x, key=KEY))
    assert set(np.unique(y)) == {0.0, 2.0}  # kept elements are scaled by 1 / (1 - p)
    assert 400 < np.count_nonzero(y) < 600
    np.testing.assert_array_equal(host(drop(x, key=KEY)), y)  # the key decides the mask
    np.testing.assert_array_equal(host(fd.jit(lambda x, k: drop(x, key=k))(x, KEY)), y)
    close(drop(x, inference=True), np.ones(1000))


def test_batchnorm_state_goes_in_and_comes_out():
    bn = nn.BatchNorm(3)
    state = bn.init_state()
    close(state.running_mean, [0, 0, 0])
    close(state.running_var, [1, 1, 1])
    x = np.random.default_rng(2).normal(size=(8, 3, 2, 2)).astype(np.float32) * 3 + 1
    y, new = bn(fnp.asarray(x), state, training=True)
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    close(y, (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5), 1e-4)
    close(new.running_mean, 0.1 * mean)
    close(new.running_var, 0.9 + 0.1 * var * 32 / 31, 1e-5)  # unbiased, as PyTorch
    assert int(host(new.num_batches_tracked)) == 1
    y_eval, same = bn(fnp.asarray(x), new, training=False)
    close(y_eval, (x - host(new.running_mean)[:, None, None])
          / np.sqrt(host(new.running_var)[:, None, None] + 1e-5), 1e-4)
    assert same is new
    with pytest.raises(TypeError, match=r"state = bn\.init_state\(\)"):
        bn(fnp.asarray(x))


def test_batchnorm_in_a_jitted_training_step():
    model = nn.Sequential(nn.Linear(3, 4, key=KEY), nn.BatchNorm(4), nn.relu,
                          nn.Linear(4, 1, key=random.key(1)))
    opt = optim.sgd(0.1)

    @fd.jit
    def step(model, opt_state, bn_state, x, y):
        def loss_fn(m):
            pred, new_state = m(x, bn_state)
            return nn.mse_loss(pred, y), new_state

        (loss, bn_state), grads = fd.value_and_grad(loss_fn, has_aux=True)(model)
        updates, opt_state = opt.update(grads, opt_state, model)
        return optim.apply_updates(model, updates), opt_state, bn_state, loss

    x = random.normal(random.key(2), (16, 3))
    y = x.sum(axis=1, keepdims=True)
    state, opt_state = model.init_state(), opt.init(model)
    losses = []
    for _ in range(20):
        model, opt_state, state, loss = step(model, opt_state, state, x, y)
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]
    assert int(host(state[1].num_batches_tracked)) == 20
    pred, unchanged = model(x, state, inference=True)
    assert pred.shape == (16, 1) and unchanged[1] is state[1]


def test_nested_sequential_without_state_needs_none():
    inner = nn.Sequential(nn.Linear(4, 4, key=KEY), nn.gelu)
    model = nn.Sequential(nn.Linear(3, 4, key=KEY), nn.relu, inner, nn.Dropout(0.1))
    assert model.init_state() == (None, None, None, None)
    assert model(fnp.ones((2, 3)), inference=True).shape == (2, 4)
    grads = fd.grad(lambda m: m(fnp.ones(3), key=KEY).sum())(model)
    assert grads[2][0].weight.shape == (4, 4)
    # A nested Sequential that holds a BatchNorm does keep state.
    stateful = nn.Sequential(nn.Sequential(nn.Linear(3, 4, key=KEY), nn.BatchNorm(4)), nn.relu)
    state = stateful.init_state()
    assert state[1] is None and isinstance(state[0][1], nn.BatchNormState)
    _, state = stateful(fnp.arange(6.0).reshape(2, 3), state)
    assert int(host(state[0][1].num_batches_tracked)) == 1


def test_multihead_attention_layouts_agree():
    mha = nn.MultiheadAttention(8, 2, batch_first=True, key=KEY)
    assert mha.in_proj_weight.shape == (24, 8) and mha.out_proj.weight.shape == (8, 8)
    x = random.normal(random.key(3), (3, 5, 8))  # (N, L, E)
    out, weights = mha(x, x, x)
    assert out.shape == (3, 5, 8) and weights.shape == (3, 5, 5)
    close(weights.sum(axis=-1), np.ones((3, 5)))
    seq_first = mha.replace(batch_first=False)  # PyTorch's default layout (L, N, E)
    xt = fnp.swapaxes(x, 0, 1)
    out_t, _ = seq_first(xt, xt, xt)
    close(fnp.swapaxes(out_t, 0, 1), host(out), 1e-5)


# --- activations (jax.nn) and losses (torch.nn.functional) ---------------------------------


def test_gelu_defaults_to_tanh_and_exact_on_request():
    xs = np.linspace(-3, 3, 13).astype(np.float32)
    tanh_form = 0.5 * xs * (1 + np.tanh(np.sqrt(2 / np.pi) * (xs + 0.044715 * xs**3)))
    erf_form = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in xs])
    close(nn.gelu(fnp.asarray(xs)), tanh_form, 1e-6)
    close(nn.gelu(fnp.asarray(xs), approximate=False), erf_form, 1e-6)
    assert np.abs(tanh_form - erf_form).max() > 1e-4  # the two really differ


def test_softmax_one_hot_and_friends():
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, -1.0]], np.float32)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    close(nn.softmax(fnp.asarray(x)), e / e.sum(axis=-1, keepdims=True))
    e0 = np.exp(x - x.max(axis=0))
    close(nn.softmax(fnp.asarray(x), axis=0), e0 / e0.sum(axis=0))
    close(nn.log_softmax(fnp.asarray(x)), np.log(e / e.sum(axis=-1, keepdims=True)))
    close(nn.logsumexp(fnp.asarray(x), axis=1), np.log(np.exp(x).sum(axis=1)))
    close(nn.softmax(fnp.array([1000.0, 0.0])), [1.0, 0.0])  # stable
    oh = nn.one_hot(fnp.array([0, 2, 3]), 3)  # 3 is out of range: a zero row, as jax.nn
    assert oh.dtype == np.float32
    close(oh, [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    v = np.array([-2.0, 0.0, 1.5], np.float32)
    close(nn.relu(fnp.asarray(v)), np.maximum(v, 0))
    close(nn.sigmoid(fnp.asarray(v)), 1 / (1 + np.exp(-v)))
    close(nn.silu(fnp.asarray(v)), v / (1 + np.exp(-v)))
    close(nn.tanh(fnp.asarray(v)), np.tanh(v))


def test_losses_follow_torch_functional():
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [0.5, 0.5, 3.0]], np.float32)
    labels = np.array([0, 1, 1])
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    per_sample = -logp[np.arange(3), labels]
    close(nn.cross_entropy(fnp.asarray(logits), fnp.asarray(labels)), per_sample.mean())
    close(nn.cross_entropy(fnp.asarray(logits), labels, reduction="sum"), per_sample.sum())
    close(nn.cross_entropy(fnp.asarray(logits), labels, reduction="none"), per_sample)
    close(nn.cross_entropy(fnp.asarray(logits), nn.one_hot(fnp.asarray(labels), 3)),
          per_sample.mean())
    with pytest.raises(ValueError, match=r"integer target must have shape \(3,\), got "
                                         r"\(3, 1\)"):
        nn.cross_entropy(fnp.asarray(logits), fnp.asarray(labels[:, None]))
    pred, target = np.array([1.0, 2.0, 4.0]), np.array([0.0, 2.0, 2.0])
    close(nn.mse_loss(fnp.asarray(pred), fnp.asarray(target)), 5.0 / 3)
    close(nn.mse_loss(fnp.asarray(pred), fnp.asarray(target), reduction="sum"), 5.0)
    with pytest.raises(ValueError, match=r"same shape, got input \(3, 1\) and target \(3,\)"):
        nn.mse_loss(fnp.ones((3, 1)), fnp.ones(3))
    p, t = np.array([0.9, 0.2]), np.array([1.0, 0.0])
    close(nn.binary_cross_entropy(fnp.asarray(p), fnp.asarray(t)),
          -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))


# --- optimizers ------------------------------------------------------------------------------


def test_optimizer_is_a_pair_of_pure_functions():
    opt = optim.sgd(0.1, momentum=0.9)
    assert isinstance(opt, optim.GradientTransformation) and isinstance(opt, tuple)
    assert optim.GradientTransformation._fields == ("init", "update")
    model = MLP([3, 4, 2], key=KEY)
    state = opt.init(model)
    grads = fd.grad(lambda m: m(fnp.ones((2, 3))).sum())(model)
    updates, state2 = opt.update(grads, state, model)
    new = optim.apply_updates(model, updates)
    assert type(new) is MLP and new.name == "mlp"
    close(new.layers[0].weight, host(model.layers[0].weight) - 0.1 * host(grads.layers[0].weight))
    # Pure: the same call gives the same result, the old state is untouched.
    again, _ = opt.update(grads, state, model)
    close(again.layers[0].weight, host(updates.layers[0].weight))
    # A user-written transformation composes with the library's.
    flip = optim.GradientTransformation(lambda p: optim.EmptyState(),
                                        lambda u, s, p=None: (tree.map(lambda g: -g, u), s))
    u, _ = optim.chain(flip, optim.clip(0.5)).update(fnp.array([2.0, -0.1]),
                                                      (optim.EmptyState(), optim.EmptyState()))
    close(u, [-0.5, 0.1])


def test_masked_freezes_part_of_a_model():
    model = MLP([3, 4, 2], key=KEY)
    frozen = tree.map_with_path(lambda p, x: tree.keystr(p).startswith(".layers[0]"), model)
    opt = optim.chain(optim.masked(optim.set_to_zero(), frozen), optim.adam(0.05))
    state = opt.init(model)
    x, y = random.normal(KEY, (8, 3)), random.normal(random.key(1), (8, 2))
    start = model
    for _ in range(5):
        grads = fd.grad(lambda m: nn.mse_loss(m(x), y))(model)
        updates, state = opt.update(grads, state, model)
        model = optim.apply_updates(model, updates)
    np.testing.assert_array_equal(host(model.layers[0].weight), host(start.layers[0].weight))
    np.testing.assert_array_equal(host(model.layers[0].bias), host(start.layers[0].bias))
    assert np.abs(host(model.layers[1].weight) - host(start.layers[1].weight)).max() > 0.05
    # A mask may also be a function of the params: weight decay on matrices only.
    decay = optim.adamw(0.1, weight_decay=0.5, mask=lambda p: tree.map(lambda a: a.ndim > 1, p))
    zero = tree.map(fnp.zeros_like, model)
    u, _ = decay.update(zero, decay.init(model), model)
    close(u.layers[1].weight, -0.1 * 0.5 * host(model.layers[1].weight))
    close(u.layers[1].bias, np.zeros(2))


def test_schedules_are_learning_rates():
    sched = optim.warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=2, decay_steps=6)
    opt = optim.sgd(sched)
    p = fnp.zeros(1)
    state = opt.init(p)
    steps = []
    for _ in range(7):
        updates, state = opt.update(fnp.ones(1), state, p)
        steps.append(-float(host(updates)[0]))
    want = [0.0, 0.5, 1.0, 0.5 * (1 + math.cos(math.pi / 4)), 0.5, 0.5 * (1 - math.cos(
        math.pi / 4)), 0.0]
    np.testing.assert_allclose(steps, want, atol=1e-6)
    lr = optim.exponential_decay(0.1, transition_steps=10, decay_rate=0.5)
    assert float(host(lr(20))) == pytest.approx(0.025)
    clipped = optim.chain(optim.clip_by_global_norm(1.0), optim.sgd(1.0))
    u, _ = clipped.update([fnp.array([3.0]), fnp.array([4.0])], clipped.init([0.0, 0.0]))
    close(u[0], [-0.6])
    close(u[1], [-0.8])


# --- checkpoints -------------------------------------------------------------------------------


def test_save_and_load_a_model_and_its_optimizer_state(tmp_path):
    model = MLP([3, 4, 2], key=KEY)
    opt = optim.adam(0.01)
    x, y = random.normal(KEY, (8, 3)), random.normal(random.key(1), (8, 2))

    def step(model, state):
        grads = fd.grad(lambda m: nn.mse_loss(m(x), y))(model)
        updates, state = opt.update(grads, state, model)
        return optim.apply_updates(model, updates), state

    model, state = step(model, opt.init(model))
    path = tmp_path / "ckpt.fd"
    fd.save(path, {"model": model, "opt": state, "epoch": 1})
    fresh = MLP([3, 4, 2], key=random.key(9))
    loaded = fd.load(path, like={"model": fresh, "opt": opt.init(fresh), "epoch": 0})
    assert type(loaded["model"]) is MLP and loaded["epoch"] == 1
    assert type(loaded["opt"][0]) is optim.ScaleByAdamState
    assert int(host(loaded["opt"][0].count)) == 1
    for a, b in zip(tree.leaves((loaded["model"], loaded["opt"])), tree.leaves((model, state)),
                    strict=True):
        np.testing.assert_array_equal(host(a), host(b))
    # Resuming gives exactly what training on would have given.
    cont, _ = step(model, state)
    resumed, _ = step(loaded["model"], loaded["opt"])
    for a, b in zip(tree.leaves(cont), tree.leaves(resumed), strict=True):
        np.testing.assert_array_equal(host(a), host(b))
    # Without `like`: plain containers of arrays.
    raw = fd.load(path)
    assert sorted(raw) == ["epoch", "model", "opt"]
    assert raw["model"]["layers"][0]["weight"].shape == (4, 3)
    fd.save(tmp_path / "model.fd", model)
    with pytest.raises(ValueError, match=r"does not match `like` at \.layers\[0\]\.weight: "
                                         r"the checkpoint has float32\[4, 3\]"):
        fd.load(tmp_path / "model.fd", like=MLP([3, 5, 2], key=KEY))
    with pytest.raises(FileNotFoundError, match="directory .* does not exist.*makedirs"):
        fd.save(tmp_path / "missing" / "ckpt.fd", model)


# --- randomness ----------------------------------------------------------------------------


def test_random_is_deterministic_and_explicit():
    assert host(random.PRNGKey(0)).tolist() == host(random.key(0)).tolist()
    a = host(random.normal(KEY, (1000,)))
    np.testing.assert_array_equal(host(random.normal(KEY, (1000,))), a)
    np.testing.assert_array_equal(host(fd.jit(lambda k: random.normal(k, (1000,)))(KEY)), a)
    np.testing.assert_allclose(a[:3], [1.6226422, 2.0252647, -0.43359444], rtol=1e-6)  # JAX's
    assert abs(a.mean()) < 0.1 and abs(a.std() - 1) < 0.1
    k1, k2 = random.split(KEY)
    assert not np.array_equal(host(random.normal(k1, (4,))), host(random.normal(k2, (4,))))
    folded = [float(host(random.uniform(random.fold_in(KEY, i)))) for i in range(3)]
    assert len(set(folded)) == 3
    u = host(random.uniform(KEY, (500,), minval=2.0, maxval=3.0))
    assert u.min() >= 2.0 and u.max() < 3.0
    r = host(random.randint(KEY, (500,), 0, 10))
    assert r.dtype == np.int32 and set(r.tolist()) == set(range(10))
    assert sorted(host(random.permutation(KEY, 6)).tolist()) == list(range(6))
    assert len(set(host(random.choice(KEY, 10, (5,), replace=False)).tolist())) == 5
    t = host(random.truncated_normal(KEY, -1.0, 1.0, (500,)))
    assert t.min() >= -1.0 and t.max() <= 1.0
    assert host(random.bernoulli(KEY, 0.3, (1000,))).mean() == pytest.approx(0.3, abs=0.05)
    cat = host(random.categorical(KEY, fnp.log(fnp.array([0.1, 0.9])), shape=(1000,)))
    assert cat.mean() == pytest.approx(0.9, abs=0.05)


# --- the seed example and the first hour -----------------------------------------------------


class SimpleNN(nn.Module):
    def __init__(self, *, key):
        key1, key2 = random.split(key)
        self.fc1 = nn.Linear(10, 20, key=key1)
        self.fc2 = nn.Linear(20, 1, key=key2)

    def __call__(self, x):
        return self.fc2(nn.relu(self.fc1(x)))


def test_seed_example_flow():
    key_x, key_y, key_model = random.split(random.key(0), 3)
    x, y = random.normal(key_x, (100, 10)), random.normal(key_y, (100, 1))
    model = SimpleNN(key=key_model)
    optimizer = optim.sgd(learning_rate=0.01)
    opt_state = optimizer.init(model)

    def loss_fn(model, x, y):
        return nn.mse_loss(model(x), y)

    def train_step(model, opt_state, x, y):
        loss, grads = fd.value_and_grad(loss_fn)(model, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, model)
        return optim.apply_updates(model, updates), opt_state, loss

    jitted = fd.jit(train_step)
    eager_model, _, eager_loss = train_step(model, opt_state, x, y)
    jit_model, _, jit_loss = jitted(model, opt_state, x, y)
    assert float(jit_loss) == pytest.approx(float(eager_loss), rel=1e-5)
    close(jit_model.fc1.weight, host(eager_model.fc1.weight))
    losses = []
    for _ in range(100):
        model, opt_state, loss = jitted(model, opt_state, x, y)
        losses.append(float(loss))
    assert losses[-1] < losses[0] and all(np.isfinite(losses))


def test_first_hour_errors_and_idioms():
    x = fnp.arange(4.0)
    with pytest.raises(TypeError, match=r"x = x\.at\[0\]\.set\(y\)"):
        x[0] = 1.0
    close(x.at[0].set(10.0), [10, 1, 2, 3])
    assert (x * 2.0).dtype == np.float32 and (fnp.arange(3) + fnp.ones(3)).dtype == np.float32
    with pytest.raises(TypeError, match=r"scalar output.*loss\.sum\(\).*jacrev"):
        fd.grad(lambda v: v * 2)(x)

    def branchy(v):
        return v if v.sum() > 0 else -v

    close(fd.grad(lambda v: branchy(v).sum())(x), np.ones(4))  # Python control flow in grad
    with pytest.raises(TypeError, match=r"static_argnums.*lax\.cond"):
        fd.jit(branchy)(x)
    # Per-example gradients: vmap over the batch, the model shared.
    model = nn.Linear(3, 2, key=KEY)
    per_example = fd.vmap(fd.grad(lambda m, xi: m(xi).sum()), in_axes=(None, 0))(
        model, fnp.ones((5, 3)))
    assert per_example.weight.shape == (5, 2, 3)
    # A DataLoader epoch visits every sample once, in a reproducible order.
    ds = data.ArrayDataset(np.arange(10, dtype=np.float32)[:, None], np.arange(10))
    loader = data.DataLoader(ds, batch_size=4, shuffle=True, key=KEY)
    epoch = [host(yb).tolist() for _, yb in loader]
    assert [len(b) for b in epoch] == [4, 4, 2]
    assert sorted(sum(epoch, [])) == list(range(10))
    assert [host(yb).tolist() for _, yb in loader] != epoch  # the next epoch
    assert fd.devices()[0].platform == "cpu" and str(fd.devices()[0]) == "cpu:0"
    with fd.config.override(enable_x64=True):
        assert fnp.ones(2).dtype == np.float64
    assert fnp.ones(2).dtype == np.float32
