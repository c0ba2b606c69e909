"""fd.nn layers against closed-form NumPy (PyTorch's formulas): parameter names, shapes and
init statistics, values (convolution strides/padding/dilation/groups, pooling, norms,
attention with masks), explicit keys/mode/state, every error message, and gradients against
finite differences in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import nn


def key(i=0):
    return fd.random.key(i)


def arr(x):
    return fnp.asarray(x)


def randn(seed, *shape):
    return np.random.default_rng(seed).normal(size=shape)


def close(got, want, tol=1e-5):
    np.testing.assert_allclose(host(got), want, rtol=tol, atol=tol)


# --- Linear --------------------------------------------------------------------------------


def test_linear_parameters_init_and_values():
    lin = nn.Linear(64, 300, key=key())
    assert lin.weight.shape == (300, 64) and lin.bias.shape == (300,)
    assert lin.weight.dtype == np.float32
    w, b = host(lin.weight), host(lin.bias)
    bound = 1 / math.sqrt(64)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.var() - bound**2 / 3) < 0.05 * bound**2  # uniform(-bound, bound)
    assert abs(w.mean()) < 0.02 * bound * 10
    x = randn(0, 5, 64).astype(np.float32)
    close(lin(arr(x)), x @ w.T + b, 1e-4)


@pytest.mark.parametrize("lead", [(), (7,), (2, 3, 4)])
def test_linear_takes_any_leading_axes(lead):
    lin = nn.Linear(3, 2, key=key())
    x = randn(1, *lead, 3).astype(np.float32)
    y = lin(arr(x))
    assert y.shape == (*lead, 2)
    close(y, x @ host(lin.weight).T + host(lin.bias))


def test_linear_without_bias_and_with_float64(x64):
    lin = nn.Linear(3, 2, bias=False, key=key(), dtype=fnp.float64)
    assert lin.bias is None and lin.weight.dtype == np.float64
    assert [fd.tree.keystr(p) for p, _ in fd.tree.leaves_with_path(lin)] == [".weight"]


def test_linear_errors():
    lin = nn.Linear(10, 20, key=key())
    with pytest.raises(ValueError, match=r"Linear\(in_features=10, out_features=20\) expected "
                                         r"input with last axis 10, got shape \(4, 3\)"):
        lin(fnp.ones((4, 3)))
    with pytest.raises(TypeError, match=r"Linear needs a PRNG key to initialize its "
                                        r"parameters: pass key="):
        nn.Linear(2, 3, key=None)
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'key'"):
        nn.Linear(2, 3)
    with pytest.raises(TypeError, match="Linear: in_features must be an int"):
        nn.Linear(2.5, 3, key=key())
    with pytest.raises(TypeError, match="parameters need a float dtype"):
        nn.Linear(2, 3, key=key(), dtype=fnp.int32)


# --- convolution ---------------------------------------------------------------------------


def np_conv(x, w, b, stride, pads, dilation, groups):
    """PyTorch's convolution, by loops: x (N, C, *sp), w (O, C/groups, *k)."""
    nsp = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0), *pads])
    ks = w.shape[2:]
    out_sp = [(xp.shape[2 + i] - dilation[i] * (ks[i] - 1) - 1) // stride[i] + 1
              for i in range(nsp)]
    o, cg = w.shape[0], w.shape[1]
    og = o // groups
    out = np.zeros((x.shape[0], o, *out_sp))
    for idx in np.ndindex(*out_sp):
        for kidx in np.ndindex(*ks):
            pos = tuple(idx[i] * stride[i] + kidx[i] * dilation[i] for i in range(nsp))
            patch = xp[(slice(None), slice(None), *pos)]
            for g in range(groups):
                wg = w[(slice(g * og, (g + 1) * og), slice(None), *kidx)]
                out[(slice(None), slice(g * og, (g + 1) * og), *idx)] += (
                    patch[:, g * cg:(g + 1) * cg] @ wg.T)
    return out if b is None else out + b.reshape((-1,) + (1,) * nsp)


CONV2D_CASES = [
    dict(cin=3, cout=4, k=3, stride=1, padding=0, dilation=1, groups=1, size=(7, 6)),
    dict(cin=2, cout=4, k=(3, 2), stride=(2, 1), padding=(1, 2), dilation=1, groups=1,
         size=(8, 5)),
    dict(cin=4, cout=6, k=3, stride=2, padding=2, dilation=2, groups=2, size=(9, 9)),
    dict(cin=4, cout=4, k=3, stride=1, padding="same", dilation=1, groups=4, size=(5, 6)),
    dict(cin=2, cout=3, k=(2, 4), stride=1, padding="same", dilation=(1, 2), groups=1,
         size=(5, 8)),
    dict(cin=2, cout=2, k=2, stride=3, padding="valid", dilation=1, groups=1, size=(7, 8)),
]


def _pairs_for(case):
    k = case["k"] if isinstance(case["k"], tuple) else (case["k"],) * 2
    d = case["dilation"] if isinstance(case["dilation"], tuple) else (case["dilation"],) * 2
    p = case["padding"]
    if p == "same":
        tot = [dd * (kk - 1) for dd, kk in zip(d, k)]
        return [(t // 2, t - t // 2) for t in tot], d
    if p == "valid":
        return [(0, 0)] * 2, d
    p = p if isinstance(p, tuple) else (p, p)
    return [(q, q) for q in p], d


@pytest.mark.parametrize("i", range(len(CONV2D_CASES)))
def test_conv2d_matches_pytorch_formula(i):
    c = CONV2D_CASES[i]
    conv = nn.Conv2d(c["cin"], c["cout"], c["k"], stride=c["stride"], padding=c["padding"],
                     dilation=c["dilation"], groups=c["groups"], key=key(i))
    x = randn(i, 2, c["cin"], *c["size"]).astype(np.float32)
    pads, d = _pairs_for(c)
    s = c["stride"] if isinstance(c["stride"], tuple) else (c["stride"],) * 2
    want = np_conv(x, host(conv.weight), host(conv.bias), s, pads, d, c["groups"])
    got = conv(arr(x))
    assert got.shape == want.shape
    close(got, want, 1e-4)
    if c["padding"] == "same":
        assert got.shape[2:] == x.shape[2:]
    close(conv(arr(x[0])), want[0], 1e-4)  # unbatched CHW


def test_conv_parameters_and_init():
    conv = nn.Conv2d(6, 8, (3, 5), groups=2, key=key())
    assert conv.weight.shape == (8, 3, 3, 5) and conv.bias.shape == (8,)
    bound = 1 / math.sqrt(3 * 3 * 5)
    w = host(conv.weight)
    assert np.abs(w).max() <= bound and np.abs(host(conv.bias)).max() <= bound
    assert abs(w.var() - bound**2 / 3) < 0.15 * bound**2
    assert nn.Conv2d(2, 2, 3, bias=False, key=key()).bias is None
    assert conv.kernel_size == (3, 5) and conv.stride == (1, 1) and conv.padding == (0, 0)


def test_conv1d_and_conv3d_and_leading_axes():
    conv = nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2, key=key())
    x = randn(0, 4, 2, 9).astype(np.float32)
    want = np_conv(x, host(conv.weight), host(conv.bias), (2,), [(1, 1)], (2,), 1)
    close(conv(arr(x)), want, 1e-4)
    close(conv(arr(x.reshape(2, 2, 2, 9))), want.reshape(2, 2, *want.shape[1:]), 1e-4)
    conv3 = nn.Conv3d(1, 2, (2, 1, 2), key=key())
    x3 = randn(1, 1, 1, 3, 2, 3).astype(np.float32)
    want3 = np_conv(x3, host(conv3.weight), host(conv3.bias), (1, 1, 1), [(0, 0)] * 3,
                    (1, 1, 1), 1)
    close(conv3(arr(x3)), want3, 1e-4)


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                           ("circular", "wrap")])
def test_conv_padding_modes(mode, np_mode):
    conv = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode, key=key())
    x = randn(2, 1, 2, 5, 6).astype(np.float32)
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (2, 2)], mode=np_mode)
    want = np_conv(xp, host(conv.weight), host(conv.bias), (1, 1), [(0, 0)] * 2, (1, 1), 1)
    close(conv(arr(x)), want, 1e-4)


def test_conv_errors():
    conv = nn.Conv2d(3, 8, 3, key=key())
    with pytest.raises(ValueError, match=r"Conv2d\(in_channels=3, out_channels=8, "
                                         r"kernel_size=\(3, 3\)\) expected input of shape "
                                         r"\(N, 3, H, W\) or \(3, H, W\), got shape "
                                         r"\(2, 4, 8, 8\)"):
        conv(fnp.ones((2, 4, 8, 8)))
    with pytest.raises(ValueError, match=r"got shape \(8, 8\)"):
        conv(fnp.ones((8, 8)))
    with pytest.raises(ValueError, match=r"spatial size \(2, 5\) \(padded: \(2, 5\)\) is "
                                         r"smaller than the dilated kernel \(3, 3\)"):
        conv(fnp.ones((3, 2, 5)))
    with pytest.raises(ValueError, match=r"must both be divisible by groups \(2\)"):
        nn.Conv2d(3, 4, 3, groups=2, key=key())
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same", key=key())
    with pytest.raises(ValueError, match="padding must be 'same', 'valid'"):
        nn.Conv2d(3, 4, 3, padding="full", key=key())
    with pytest.raises(ValueError, match=r"kernel_size must be an int or 2 ints"):
        nn.Conv2d(3, 4, (3, 3, 3), key=key())
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror", key=key())


# --- pooling -------------------------------------------------------------------------------


def torch_out_size(size, k, s, p, d, ceil):
    """PyTorch's pooling_output_shape."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def np_max_pool2d(x, k, s, p, d, ceil):
    hh, ww = x.shape[-2:]
    oh, ow = (torch_out_size(n, k[i], s[i], p[i], d[i], ceil) for i, n in enumerate((hh, ww)))
    out = np.empty(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            rows = [i * s[0] - p[0] + a * d[0] for a in range(k[0])]
            cols = [j * s[1] - p[1] + b * d[1] for b in range(k[1])]
            rows = [r for r in rows if 0 <= r < hh]
            cols = [c for c in cols if 0 <= c < ww]
            out[..., i, j] = x[..., rows, :][..., cols].max(axis=(-1, -2))
    return out


def np_avg_pool2d(x, k, s, p, ceil, count_include_pad, divisor_override=None):
    """PyTorch's avg_pool2d kernel, line by line."""
    hh, ww = x.shape[-2:]
    oh, ow = (torch_out_size(n, k[i], s[i], p[i], 1, ceil) for i, n in enumerate((hh, ww)))
    out = np.empty(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            h1, w1 = min(h0 + k[0], hh + p[0]), min(w0 + k[1], ww + p[1])
            pool_size = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, hh), min(w1, ww)
            total = x[..., h0:h1, w0:w1].sum(axis=(-1, -2))
            if divisor_override:
                div = divisor_override
            elif count_include_pad:
                div = pool_size
            else:
                div = (h1 - h0) * (w1 - w0)
            out[..., i, j] = total / div
    return out


MAX_CASES = [
    dict(k=2, s=None, p=0, d=1, ceil=False, size=(6, 6)),
    dict(k=3, s=2, p=1, d=1, ceil=False, size=(7, 6)),
    dict(k=(3, 2), s=(2, 1), p=(1, 0), d=1, ceil=True, size=(8, 5)),
    dict(k=3, s=2, p=1, d=2, ceil=False, size=(9, 9)),
    dict(k=2, s=2, p=0, d=1, ceil=True, size=(5, 7)),
    dict(k=3, s=3, p=1, d=1, ceil=True, size=(7, 8)),
]


def _two(v):
    return v if isinstance(v, tuple) else (v, v)


@pytest.mark.parametrize("i", range(len(MAX_CASES)))
def test_max_pool2d_matches_pytorch(i):
    c = MAX_CASES[i]
    pool = nn.MaxPool2d(c["k"], c["s"], c["p"], c["d"], c["ceil"])
    x = randn(i, 2, 3, *c["size"]).astype(np.float32)
    s = _two(c["k"] if c["s"] is None else c["s"])
    want = np_max_pool2d(x, _two(c["k"]), s, _two(c["p"]), _two(c["d"]), c["ceil"])
    got = pool(arr(x))
    assert got.shape == want.shape
    close(got, want)
    close(pool(arr(x[0])), want[0])


AVG_CASES = [
    dict(k=2, s=None, p=0, ceil=False, cip=True, size=(6, 6)),
    dict(k=3, s=2, p=1, ceil=False, cip=True, size=(7, 6)),
    dict(k=3, s=2, p=1, ceil=False, cip=False, size=(7, 6)),
    dict(k=(3, 2), s=(2, 1), p=(1, 0), ceil=True, cip=True, size=(8, 5)),
    dict(k=2, s=2, p=1, ceil=True, cip=False, size=(5, 7)),
    dict(k=3, s=3, p=1, ceil=True, cip=True, size=(7, 8)),
]


@pytest.mark.parametrize("i", range(len(AVG_CASES)))
def test_avg_pool2d_matches_pytorch(i):
    c = AVG_CASES[i]
    pool = nn.AvgPool2d(c["k"], c["s"], c["p"], c["ceil"], c["cip"])
    x = randn(i, 2, 3, *c["size"]).astype(np.float32)
    s = _two(c["k"] if c["s"] is None else c["s"])
    want = np_avg_pool2d(x, _two(c["k"]), s, _two(c["p"]), c["ceil"], c["cip"])
    got = pool(arr(x))
    assert got.shape == want.shape
    close(got, want)


def test_avg_pool_divisor_override_and_1d_pools():
    x = randn(3, 2, 3, 5, 5).astype(np.float32)
    got = nn.AvgPool2d(2, 1, 1, divisor_override=3)(arr(x))
    close(got, np_avg_pool2d(x, (2, 2), (1, 1), (1, 1), False, True, divisor_override=3))
    x1 = randn(4, 2, 7).astype(np.float32)
    want = np_max_pool2d(x1[:, None], (1, 3), (1, 2), (0, 1), (1, 1), False)[:, 0]
    close(nn.MaxPool1d(3, 2, 1)(arr(x1)), want)
    want = np_avg_pool2d(x1[:, None], (1, 3), (1, 2), (0, 1), False, False)[:, 0]
    close(nn.AvgPool1d(3, 2, 1, count_include_pad=False)(arr(x1)), want)


def test_pool_errors_and_int_input():
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half"):
        nn.MaxPool2d(3, padding=2)
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=\(2, 2\), stride=\(2, 2\)\) "
                                         r"expected input of shape \(N, C, H, W\) or "
                                         r"\(C, H, W\), got shape \(4,\)"):
        nn.MaxPool2d(2)(fnp.ones(4))
    with pytest.raises(ValueError, match="too small for the kernel"):
        nn.AvgPool2d(4)(fnp.ones((1, 2, 2)))
    with pytest.raises(ValueError, match="divisor_override must be positive"):
        nn.AvgPool2d(2, divisor_override=0)
    xi = fnp.arange(16).reshape(1, 4, 4)
    assert nn.MaxPool2d(2, padding=1)(xi).dtype == np.int32
    assert nn.AvgPool2d(2)(xi).dtype == np.float32


# --- BatchNorm -----------------------------------------------------------------------------


def test_batchnorm_training_output_and_running_stats_like_pytorch():
    bn = nn.BatchNorm(3, momentum=0.1)
    assert bn.weight.shape == bn.bias.shape == (3,)
    state = bn.init_state()
    assert state._fields == ("running_mean", "running_var", "num_batches_tracked")
    rm, rv = np.zeros(3), np.ones(3)
    for step in range(3):
        x = randn(step, 4, 3, 2, 2) * (step + 1) + step
        y, state = bn(arr(x.astype(np.float32)), state, training=True)
        mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        want = (x - mean.reshape(1, 3, 1, 1)) / np.sqrt(var.reshape(1, 3, 1, 1) + 1e-5)
        close(y, want, 1e-4)
        n = x.size // 3
        rm = 0.9 * rm + 0.1 * mean
        rv = 0.9 * rv + 0.1 * var * n / (n - 1)  # unbiased in the running variance
        close(state.running_mean, rm, 1e-4)
        close(state.running_var, rv, 1e-4)
        assert int(host(state.num_batches_tracked)) == step + 1
    x = randn(9, 2, 3, 2, 2).astype(np.float32)
    y, same = bn(arr(x), state, training=False)
    close(y, (x - rm.reshape(1, 3, 1, 1)) / np.sqrt(rv.reshape(1, 3, 1, 1) + 1e-5), 1e-4)
    assert same is state


def test_batchnorm_cumulative_average_channels_last_and_no_running_stats():
    bn = nn.BatchNorm(2, momentum=None, axis=-1)
    state = bn.init_state()
    xs = [randn(i, 5, 2) for i in range(3)]
    for x in xs:
        _, state = bn(arr(x.astype(np.float32)), state)
    close(state.running_mean, np.mean([x.mean(0) for x in xs], axis=0), 1e-5)
    close(state.running_var, np.mean([x.var(0, ddof=1) for x in xs], axis=0), 1e-5)
    free = nn.BatchNorm(2, track_running_stats=False, affine=False)
    assert free.init_state() is None and free.weight is None
    x = randn(4, 6, 2).astype(np.float32)
    y, s = free(arr(x), training=False)  # batch statistics in both modes
    assert s is None
    close(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), 1e-4)


def test_batchnorm_step_under_jit_and_grad():
    bn = nn.BatchNorm(2)

    @fd.jit
    def step(bn, state, x):
        def loss(bn):
            y, new_state = bn(x, state, training=True)
            return (y * fnp.arange(2.0)).sum() ** 2, new_state

        (val, new_state), g = fd.value_and_grad(loss, has_aux=True)(bn)
        return g, new_state

    x = arr(randn(0, 8, 2).astype(np.float32))
    g, state = step(bn, bn.init_state(), x)
    assert type(g) is nn.BatchNorm and g.weight.shape == (2,)
    close(state.running_mean, 0.1 * host(x).mean(0), 1e-5)


def test_batchnorm_errors():
    bn = nn.BatchNorm(3)
    with pytest.raises(TypeError, match=r"BatchNorm\(num_features=3, axis=1\) needs its "
                                        r"running statistics: make them with "
                                        r"`state = bn.init_state\(\)`"):
        bn(fnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"expected input with 3 features on axis 1, got "
                                         r"shape \(2, 4\)"):
        bn(fnp.ones((2, 4)), bn.init_state())
    with pytest.raises(ValueError, match="expected more than 1 value per feature when "
                                         "training"):
        bn(fnp.ones((1, 3)), bn.init_state(), training=True)


# --- LayerNorm -----------------------------------------------------------------------------


def test_layernorm_values_shapes_and_errors():
    ln = nn.LayerNorm((3, 4))
    assert ln.weight.shape == ln.bias.shape == (3, 4)
    x = randn(0, 2, 5, 3, 4)
    want = (x - x.mean(axis=(-1, -2), keepdims=True)) / np.sqrt(
        x.var(axis=(-1, -2), keepdims=True) + 1e-5)
    close(ln(arr(x.astype(np.float32))), want, 1e-4)
    ln2 = ln.replace(weight=fnp.full((3, 4), 2.0), bias=fnp.ones((3, 4)))
    close(ln2(arr(x.astype(np.float32))), 2 * want + 1, 1e-4)
    bare = nn.LayerNorm(4, elementwise_affine=False)
    assert bare.weight is None and fd.tree.leaves(bare) == []
    assert nn.LayerNorm(4, bias=False).bias is None
    with pytest.raises(ValueError, match=r"LayerNorm\(normalized_shape=\(3, 4\)\) expected "
                                         r"input ending in axes \(3, 4\), got shape \(4, 3\)"):
        ln(fnp.ones((4, 3)))


# --- Dropout -------------------------------------------------------------------------------


def test_dropout_rate_scale_and_modes():
    drop = nn.Dropout(0.3)
    x = fnp.ones((200, 100))
    y = host(drop(x, key=key()))
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert host(drop(x, key=key())).tolist() == y.tolist()  # same key, same mask
    assert not np.array_equal(host(drop(x, key=key(1))), y)
    assert drop(x, inference=True) is x
    assert nn.Dropout(0.0)(x) is x
    assert float(host(nn.Dropout(1.0)(x, key=key())).sum()) == 0.0
    out = fd.jit(lambda x, k: drop(x, key=k))(x, key())
    np.testing.assert_array_equal(host(out), y)


def test_dropout_errors():
    with pytest.raises(ValueError, match=r"Dropout\(p=0.3\) needs a PRNG key in training "
                                         r"mode: call it as `dropout\(x, key=key\)`.*"
                                         r"inference=True"):
        nn.Dropout(0.3)(fnp.ones(3))
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


# --- Embedding -----------------------------------------------------------------------------


def test_embedding_lookup_init_and_padding_idx():
    emb = nn.Embedding(1000, 16, key=key())
    w = host(emb.weight)
    assert w.shape == (1000, 16)
    assert abs(w.mean()) < 0.03 and abs(w.std() - 1) < 0.03  # N(0, 1)
    idx = np.array([[1, 5], [999, 0]])
    close(emb(arr(idx)), w[idx])
    pad = nn.Embedding(4, 2, padding_idx=-1, key=key())
    assert pad.padding_idx == 3 and host(pad.weight)[3].tolist() == [0.0, 0.0]
    g = fd.grad(lambda e: (e(arr(np.array([0, 3, 3]))) ** 2 + e(arr(np.array([3]))).sum()).sum())(
        pad.replace(weight=fnp.ones((4, 2))))
    assert host(g.weight)[3].tolist() == [0.0, 0.0] and host(g.weight)[0].tolist() == [2.0, 2.0]


def test_embedding_errors():
    emb = nn.Embedding(4, 2, key=key())
    with pytest.raises(TypeError, match=r"Embedding\(num_embeddings=4, embedding_dim=2\) "
                                        r"expected integer indices, got dtype float32"):
        emb(fnp.ones(2))
    with pytest.raises(ValueError, match=r"padding_idx must be within \[-4, 4\), got 4"):
        nn.Embedding(4, 2, padding_idx=4, key=key())


# --- MultiheadAttention --------------------------------------------------------------------


def np_softmax(z):
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def np_mha(mha, q, k, v, attn_mask=None, key_padding_mask=None, average=True):
    """PyTorch's multi_head_attention_forward for batch-first (N, L, E) inputs."""
    e, h = mha.embed_dim, mha.num_heads
    d = e // h
    if mha.in_proj_weight is not None:
        w = host(mha.in_proj_weight)
        wq, wk, wv = w[:e], w[e:2 * e], w[2 * e:]
    else:
        wq, wk, wv = (host(mha.q_proj_weight), host(mha.k_proj_weight),
                      host(mha.v_proj_weight))
    b = host(mha.in_proj_bias) if mha.in_proj_bias is not None else np.zeros(3 * e)
    qp, kp, vp = q @ wq.T + b[:e], k @ wk.T + b[e:2 * e], v @ wv.T + b[2 * e:]
    n, lq, s = q.shape[0], q.shape[1], k.shape[1]
    qh = qp.reshape(n, lq, h, d).transpose(0, 2, 1, 3)
    kh = kp.reshape(n, s, h, d).transpose(0, 2, 1, 3)
    vh = vp.reshape(n, s, h, d).transpose(0, 2, 1, 3)
    scores = qh @ kh.transpose(0, 1, 3, 2) / math.sqrt(d)
    if attn_mask is not None:
        m = np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == bool else attn_mask
        scores = scores + (m.reshape(n, h, lq, s) if m.ndim == 3 else m)
    if key_padding_mask is not None:
        m = np.where(key_padding_mask, -np.inf, 0.0)
        scores = scores + m[:, None, None, :]
    attn = np_softmax(scores)
    out = (attn @ vh).transpose(0, 2, 1, 3).reshape(n, lq, e)
    out = out @ host(mha.out_proj.weight).T + host(mha.out_proj.bias)
    return out, attn.mean(1) if average else attn


def test_mha_parameters_and_init():
    mha = nn.MultiheadAttention(16, 4, batch_first=True, key=key())
    assert mha.in_proj_weight.shape == (48, 16) and mha.in_proj_bias.shape == (48,)
    assert mha.out_proj.weight.shape == (16, 16) and mha.out_proj.bias.shape == (16,)
    assert mha.q_proj_weight is None and mha.head_dim == 4
    bound = math.sqrt(6 / (16 + 48))  # xavier_uniform on (3E, E)
    w = host(mha.in_proj_weight)
    assert np.abs(w).max() <= bound and w.std() > 0.8 * bound / math.sqrt(3)
    assert not host(mha.in_proj_bias).any() and not host(mha.out_proj.bias).any()
    assert np.abs(host(mha.out_proj.weight)).max() <= 1 / 4
    paths = [fd.tree.keystr(p) for p, _ in fd.tree.leaves_with_path(mha)]
    assert paths == [".in_proj_weight", ".in_proj_bias", ".out_proj.weight", ".out_proj.bias"]
    sep = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False, batch_first=True, key=key())
    assert sep.in_proj_weight is None and sep.in_proj_bias is None
    assert sep.k_proj_weight.shape == (8, 3) and sep.v_proj_weight.shape == (8, 5)
    assert sep.out_proj.bias is None


def _randomized(mha, seed):
    # Non-zero biases so the test sees them.
    return fd.tree.map(lambda p: p + arr(0.1 * randn(seed, *p.shape).astype(np.float32)), mha)


def test_mha_matches_pytorch_formula_with_masks():
    mha = _randomized(nn.MultiheadAttention(8, 2, batch_first=True, key=key()), 1)
    q, kv = randn(0, 3, 4, 8), randn(1, 3, 5, 8)
    amask = np.triu(np.ones((4, 5), bool), k=2)
    kpm = np.zeros((3, 5), bool)
    kpm[1, 3:] = True
    out, w = mha(arr(q), arr(kv), arr(kv), key_padding_mask=arr(kpm), attn_mask=arr(amask))
    want_out, want_w = np_mha(mha, q, kv, kv, amask, kpm)
    close(out, want_out, 1e-4)
    close(w, want_w, 1e-4)
    fmask = randn(2, 6, 4, 5)  # float (N * heads, L, S) mask
    out, w = mha(arr(q), arr(kv), arr(kv), attn_mask=arr(fmask.astype(np.float32)),
                 average_attn_weights=False)
    want_out, want_w = np_mha(mha, q, kv, kv, fmask, average=False)
    close(out, want_out, 1e-4)
    assert w.shape == (3, 2, 4, 5)
    close(w, want_w, 1e-4)


def test_mha_causal_unbatched_sequence_first_and_kdim():
    mha = _randomized(nn.MultiheadAttention(6, 3, batch_first=True, key=key()), 2)
    x = randn(3, 2, 4, 6)
    causal = np.triu(np.ones((4, 4), bool), k=1)
    out, _ = mha(arr(x), arr(x), arr(x), is_causal=True, need_weights=False)
    close(out, np_mha(mha, x, x, x, causal)[0], 1e-4)
    out1, w1 = mha(arr(x[1]), arr(x[1]), arr(x[1]))
    want_out, want_w = np_mha(mha, x[1:2], x[1:2], x[1:2])
    close(out1, want_out[0], 1e-4)
    close(w1, want_w[0], 1e-4)
    seq_first = mha.replace(batch_first=False)
    out_sf, _ = seq_first(*(arr(x.transpose(1, 0, 2)),) * 3)
    close(out_sf, np_mha(mha, x, x, x)[0].transpose(1, 0, 2), 1e-4)
    cross = _randomized(nn.MultiheadAttention(4, 2, kdim=3, vdim=5, batch_first=True, key=key()), 3)
    q, k, v = randn(4, 2, 3, 4), randn(5, 2, 6, 3), randn(6, 2, 6, 5)
    close(cross(arr(q), arr(k), arr(v))[0], np_mha(cross, q, k, v)[0], 1e-4)


def test_mha_dropout_needs_a_key_and_inference_is_deterministic():
    mha = nn.MultiheadAttention(4, 2, dropout=0.5, batch_first=True, key=key())
    x = arr(randn(0, 2, 3, 4).astype(np.float32))
    with pytest.raises(ValueError, match=r"MultiheadAttention\(embed_dim=4, num_heads=2\) has "
                                         r"dropout=0.5 and needs a PRNG key"):
        mha(x, x, x)
    a, _ = mha(x, x, x, inference=True)
    close(a, np_mha(mha, host(x), host(x), host(x))[0], 1e-4)
    b, wb = mha(x, x, x, key=key(1))
    assert not np.allclose(host(a), host(b))
    assert (host(wb) == 0).any()


def test_mha_errors():
    with pytest.raises(ValueError, match=r"embed_dim \(6\) must be divisible by num_heads "
                                         r"\(4\)"):
        nn.MultiheadAttention(6, 4, batch_first=True, key=key())
    mha = nn.MultiheadAttention(4, 2, batch_first=True, key=key())
    with pytest.raises(ValueError, match=r"expected query \(N, L, E\) or \(L, E\) with E=4.*"
                                         r"got query \(2, 3, 5\)"):
        mha(fnp.ones((2, 3, 5)), fnp.ones((2, 3, 4)), fnp.ones((2, 3, 4)))
    x = fnp.ones((2, 3, 4))
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(L, S\) = \(3, 3\) or "
                                         r"\(N \* num_heads, L, S\) = \(4, 3, 3\), got \(2, 3\)"):
        mha(x, x, x, attn_mask=fnp.zeros((2, 3), bool))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(N, S\) = "
                                         r"\(2, 3\)"):
        mha(x, x, x, key_padding_mask=fnp.zeros((3,), bool))


# --- gradients (float64, finite differences) -----------------------------------------------


def test_layer_gradients_match_finite_differences(x64):
    f64 = fnp.float64
    x = arr(randn(0, 2, 3, 6, 5))
    conv = nn.Conv2d(3, 4, 3, stride=(2, 1), padding=1, dilation=(1, 2), groups=1, key=key(),
                     dtype=f64)
    fd.check_grads(lambda c, x: c(x), (conv, x), order=1)
    grouped = nn.Conv2d(3, 3, 2, groups=3, key=key(), dtype=f64)
    fd.check_grads(lambda c, x: c(x), (grouped, x), order=1)
    lin = nn.Linear(5, 2, key=key(), dtype=f64)
    fd.check_grads(lambda m, x: m(x), (lin, arr(randn(1, 4, 5))), order=2)
    ln = nn.LayerNorm(5, dtype=f64)
    fd.check_grads(lambda m, x: m(x), (ln, arr(randn(2, 4, 5))), order=1)
    bn = nn.BatchNorm(3, dtype=f64)
    fd.check_grads(lambda m, x: m(x, bn.init_state(), training=True)[0], (bn, x), order=1)
    pool = nn.AvgPool2d(2, 1, 1, count_include_pad=False)
    fd.check_grads(pool, (x,), order=1)
    fd.check_grads(nn.MaxPool2d(2), (x,), order=1)


def test_attention_and_embedding_gradients_match_finite_differences(x64):
    mha = nn.MultiheadAttention(4, 2, batch_first=True, key=key(), dtype=fnp.float64)
    q, kv = arr(randn(0, 2, 3, 4)), arr(randn(1, 2, 5, 4))
    mask = arr(np.triu(np.ones((3, 5), bool), k=3))
    fd.check_grads(lambda m, q, kv: m(q, kv, kv, attn_mask=mask)[0], (mha, q, kv), order=1)
    emb = nn.Embedding(5, 3, key=key(), dtype=fnp.float64)
    idx = arr(np.array([[0, 4], [4, 2]]))
    fd.check_grads(lambda e: e(idx), (emb,), order=1)


def test_layers_under_vmap_and_jit_match_batched_calls():
    x = arr(randn(0, 4, 3, 8, 8).astype(np.float32))
    for layer in (nn.Conv2d(3, 5, 3, padding=1, key=key()), nn.MaxPool2d(2),
                  nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
                  nn.LayerNorm(8), nn.Linear(8, 2, key=key())):
        close(fd.vmap(layer)(x), host(layer(x)), 1e-5)
        close(fd.jit(lambda m, x: m(x))(layer, x), host(layer(x)), 1e-5)
    mha = nn.MultiheadAttention(8, 2, batch_first=True, key=key())
    s = arr(randn(1, 3, 5, 8).astype(np.float32))
    close(fd.vmap(lambda q: mha(q, q, q)[0])(s), host(mha(s, s, s)[0]), 1e-5)
    keys = fd.random.split(key(), 4)
    per_example = fd.vmap(lambda x, k: nn.Dropout(0.5)(x, key=k))(x, keys)
    close(per_example[2], host(nn.Dropout(0.5)(x[2], key=keys[2])))


def test_batchnorm_accepts_inference_like_dropout():
    bn = nn.BatchNorm(3)
    state = bn.init_state()
    x = fd.random.normal(fd.random.key(0), (4, 3))
    y_eval, s_eval = bn(x, state, training=False)
    y_inf, s_inf = bn(x, state, inference=True)
    np.testing.assert_array_equal(fd.device_get(y_eval), fd.device_get(y_inf))
    with pytest.raises(ValueError, match="give one of them"):
        bn(x, state, training=True, inference=True)
