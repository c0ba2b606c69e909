"""Convolution and windowed reductions: values against naive loops, derivatives against
finite differences (float64, first and second order), batching against Python loops, the
shape of the traced programs, and every error message."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from conftest import host
from op_rows_conv import naive_conv, naive_reduce_window

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import backend, lax

# the modules (``lax.conv`` is the function)
conv_mod = importlib.import_module("funcdiff.lax.conv")
windowed = importlib.import_module("funcdiff.lax.windowed")


def arr(x):
    return fnp.asarray(x)


def randn(rng, *shape):
    return rng.normal(size=shape)


# --- values --------------------------------------------------------------------------------

CONV_CASES = [
    ((2, 3, 7), (4, 3, 3), dict(window_strides=(2,), padding=[(1, 2)])),
    ((2, 2, 9), (2, 2, 3), dict(window_strides=(3,), padding="SAME", rhs_dilation=(2,))),
    ((1, 2, 6), (3, 2, 2), dict(window_strides=(2,), padding=[(0, 1)], lhs_dilation=(3,))),
    ((2, 2, 6, 5), (3, 2, 3, 2), dict(window_strides=(2, 1), padding="SAME_LOWER")),
    ((2, 4, 6, 5), (6, 2, 2, 3), dict(window_strides=(1, 2), padding=[(-1, 1), (2, 0)],
                                      feature_group_count=2, rhs_dilation=(2, 1))),
    ((6, 2, 5, 4), (6, 2, 2, 2), dict(window_strides=(1, 1), padding=[(0, 0), (0, 1)],
                                      batch_group_count=3, lhs_dilation=(1, 2))),
    ((2, 5, 4, 3), (3, 2, 3, 4), dict(window_strides=(2, 1), padding="SAME",
                                      dimension_numbers=("NHWC", "HWIO", "NHWC"))),
    ((1, 2, 3, 4, 3), (2, 1, 2, 2, 2), dict(window_strides=(1, 2, 1), padding="SAME",
                                            feature_group_count=2)),
    ((1, 2, 3), (2, 2, 5), dict(window_strides=(1,), padding="VALID")),  # no window fits
]


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv_matches_naive_loops(case):
    ls, rs, kw = CONV_CASES[case]
    rng = np.random.default_rng(case)
    x, w = randn(rng, *ls).astype(np.float32), randn(rng, *rs).astype(np.float32)
    out = lax.conv_general_dilated(arr(x), arr(w), **kw)
    want = naive_conv(x, w, **kw)
    assert out.shape == want.shape and out.dtype == np.float32
    np.testing.assert_allclose(host(out), want, rtol=1e-4, atol=1e-4)


def test_conv_dimension_number_forms_agree():
    rng = np.random.default_rng(1)
    x, w = arr(randn(rng, 2, 5, 4, 3)), arr(randn(rng, 3, 2, 3, 4))
    by_str = lax.conv_general_dilated(x, w, (1, 1), "SAME",
                                      dimension_numbers=("NHWC", "HWIO", "NHWC"))
    dn = lax.conv_dimension_numbers(x.shape, w.shape, ("NHWC", "HWIO", "NHWC"))
    assert dn == lax.ConvDimensionNumbers((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    by_dn = lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=dn)
    by_tuples = lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=tuple(dn))
    np.testing.assert_array_equal(host(by_str), host(by_dn))
    np.testing.assert_array_equal(host(by_str), host(by_tuples))


def test_conv_wrappers_and_dtypes():
    rng = np.random.default_rng(2)
    x, w = randn(rng, 1, 2, 5, 4), randn(rng, 3, 2, 2, 2)
    np.testing.assert_allclose(host(lax.conv(arr(x), arr(w), (1, 1), "SAME")),
                               naive_conv(x, w, (1, 1), "SAME"), rtol=1e-5, atol=1e-5)
    got = lax.conv_with_general_padding(arr(x), arr(w), (2, 1), [(1, 1), (0, 0)], (1, 2), (2, 1))
    want = naive_conv(x, w, (2, 1), [(1, 1), (0, 0)], lhs_dilation=(1, 2), rhs_dilation=(2, 1))
    np.testing.assert_allclose(host(got), want, rtol=1e-5, atol=1e-5)
    xi, wi = rng.integers(-3, 3, (1, 2, 5)), rng.integers(-3, 3, (2, 2, 2))
    got = lax.conv_general_dilated(arr(xi.astype(np.int8)), arr(wi.astype(np.int8)), (1,),
                                   "VALID", preferred_element_type=np.int32)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(host(got), naive_conv(xi, wi, (1,), "VALID"))


def test_padtype_to_pads():
    assert lax.padtype_to_pads((5, 6), (3, 3), (2, 2), "SAME") == [(1, 1), (0, 1)]
    assert lax.padtype_to_pads((6,), (4,), (1,), "SAME_LOWER") == [(2, 1)]
    assert lax.padtype_to_pads((6,), (4,), (1,), "same") == [(1, 2)]
    assert lax.padtype_to_pads((3, 3), (2, 2), (1, 1), "VALID") == [(0, 0), (0, 0)]


# --- derivatives -----------------------------------------------------------------------------


def _fd_check(f, args, rng, eps=1e-6, tol=1e-6):
    """``<grad f, v>`` and the JVP against a central difference along a random ``v``."""
    grads = fd.grad(f, tuple(range(len(args))))(*[arr(a) for a in args])
    vs = [randn(rng, *a.shape) for a in args]
    plus = f(*[arr(a + eps * v) for a, v in zip(args, vs)])
    minus = f(*[arr(a - eps * v) for a, v in zip(args, vs)])
    numeric = (float(host(plus)) - float(host(minus))) / (2 * eps)
    analytic = sum(float(np.vdot(host(g), v)) for g, v in zip(grads, vs))
    assert abs(analytic - numeric) <= tol * max(1.0, abs(numeric)), (analytic, numeric)
    _, t = fd.jvp(f, tuple(arr(a) for a in args), tuple(arr(v) for v in vs))
    assert abs(float(host(t)) - numeric) <= tol * max(1.0, abs(numeric))


def _second_order_check(f, args, rng, eps=1e-6, tol=1e-5):
    """The JVP of the gradient (forward over reverse) against differences of gradients."""
    argnums = tuple(range(len(args)))
    g = fd.grad(f, argnums)
    vs = [randn(rng, *a.shape) for a in args]
    _, hv = fd.jvp(lambda *a: g(*a), tuple(arr(a) for a in args), tuple(arr(v) for v in vs))
    plus = g(*[arr(a + eps * v) for a, v in zip(args, vs)])
    minus = g(*[arr(a - eps * v) for a, v in zip(args, vs)])
    for h, p, m in zip(hv, plus, minus):
        np.testing.assert_allclose(host(h), (host(p) - host(m)) / (2 * eps), rtol=tol, atol=tol)


@pytest.mark.parametrize("case", range(len(CONV_CASES) - 1))
def test_conv_grads_match_finite_differences(x64, case):
    ls, rs, kw = CONV_CASES[case]
    rng = np.random.default_rng(10 + case)
    x, w = randn(rng, *ls), randn(rng, *rs)
    r = arr(randn(rng, *naive_conv(x, w, **kw).shape))

    def f(x, w):
        y = lax.conv_general_dilated(x, w, **kw)
        return fnp.sum(y * y * r)

    _fd_check(f, [x, w], rng)
    _second_order_check(f, [x, w], rng)


def test_conv_transposes_are_convolutions():
    def backward(x, w, ct):
        _, pullback = fd.vjp(lambda x, w: lax.conv(x, w, (2,), "SAME"), x, w)
        return pullback(ct)

    jaxpr = fd.make_jaxpr(backward)(fnp.ones((1, 2, 5)), fnp.ones((3, 2, 2)), fnp.ones((1, 3, 3)))
    prims = [e.prim.name for e in jaxpr.eqns]
    # d/dx and d/dw (the unused forward is dead code)
    assert prims.count("conv_general_dilated") == 2 and "rev" in prims, jaxpr


# --- batching --------------------------------------------------------------------------------

VMAP_CASES = [
    dict(window_strides=(1,), padding=[(1, 0)]),
    dict(window_strides=(2,), padding="SAME", feature_group_count=2),
    dict(window_strides=(1,), padding="VALID", batch_group_count=2, rhs_dilation=(2,)),
    dict(window_strides=(1,), padding=[(0, 1)], dimension_numbers=("NWC", "WIO", "NWC")),
]


@pytest.mark.parametrize("case", range(len(VMAP_CASES)))
@pytest.mark.parametrize("axes", [(0, None), (None, 0), (0, 0), (2, 1)])
def test_conv_vmap_matches_loop(case, axes):
    kw = VMAP_CASES[case]
    rng = np.random.default_rng(case)
    nhwc = "dimension_numbers" in kw
    ls = (4, 6, 4) if nhwc else (4, 4, 6)
    rs = (2, 4 // kw.get("feature_group_count", 1), 4)
    if nhwc:
        rs = (rs[2], rs[1], rs[0])  # WIO
    x, w = randn(rng, 3, *ls), randn(rng, 3, *rs)
    xs = x if axes[0] is not None else x[0]
    ws = w if axes[1] is not None else w[0]
    if axes[0] not in (None, 0):
        xs = np.moveaxis(xs, 0, axes[0])
    if axes[1] not in (None, 0):
        ws = np.moveaxis(ws, 0, axes[1])

    def f(a, b):
        return lax.conv_general_dilated(a, b, **kw)

    got = fd.vmap(f, in_axes=axes)(arr(xs), arr(ws))
    want = np.stack([naive_conv(x[i] if axes[0] is not None else x[0],
                                w[i] if axes[1] is not None else w[0], **kw) for i in range(3)])
    np.testing.assert_allclose(host(got), want, rtol=1e-4, atol=1e-4)
    jaxpr = fd.make_jaxpr(fd.vmap(f, in_axes=axes))(arr(xs), arr(ws))
    assert [e.prim.name for e in jaxpr.eqns].count("conv_general_dilated") == 1


def test_vmap_of_grad_of_conv(x64):
    rng = np.random.default_rng(3)
    x, w = randn(rng, 3, 2, 2, 5), randn(rng, 3, 2, 2)

    def loss(w, x):
        return fnp.sum(lax.conv_general_dilated(x, w, (1,), "SAME", feature_group_count=1) ** 2)

    got = fd.vmap(fd.grad(loss), in_axes=(None, 0))(arr(w), arr(x))
    want = np.stack([host(fd.grad(loss)(arr(w), arr(x[i]))) for i in range(3)])
    np.testing.assert_allclose(host(got), want, rtol=1e-10)


# --- the device paths: one gather, one reduction (CuPy, strict) against NumPy's slices ------

GATHER_CASES = [
    *CONV_CASES,
    ((3, 2, 5, 4), (4, 2, 3, 3), dict(window_strides=(1, 1), padding=[(1, 1), (1, 1)])),
    ((1, 2, 4, 3), (2, 2, 2, 2), dict(window_strides=(2, 1), padding=[(2, 3), (0, 1)],
                                      lhs_dilation=(2, 3), rhs_dilation=(1, 2))),
    ((2, 2, 6), (3, 2, 2), dict(window_strides=(1,), padding=[(-2, -1)])),  # crops only
    ((2, 1, 0, 3), (2, 1, 1, 2), dict(window_strides=(1, 1), padding=[(1, 1), (0, 0)])),
]


def _conv_both_paths(monkeypatch, x, w, ct, kw):
    """Value and both gradients with the gather (True) and with NumPy's paths (False)."""
    def f(x, w):
        return fnp.sum(lax.conv_general_dilated(x, w, **kw) * ct)

    got = {}
    for gather in (True, False):
        monkeypatch.setattr(conv_mod, "few_calls", lambda xp, g=gather: g)
        out = lax.conv_general_dilated(arr(x), arr(w), **kw)
        gx, gw = fd.grad(f, (0, 1))(arr(x), arr(w))
        got[gather] = [host(out), host(gx), host(gw)]
    return got[True], got[False]


@pytest.mark.parametrize("case", range(len(GATHER_CASES)))
def test_conv_gather_agrees_with_the_slices(x64, monkeypatch, case):
    ls, rs, kw = GATHER_CASES[case]
    rng = np.random.default_rng(40 + case)
    x, w = randn(rng, *ls), randn(rng, *rs)
    ct = arr(randn(rng, *naive_conv(x, w, **kw).shape))
    gathered, sliced = _conv_both_paths(monkeypatch, x, w, ct, kw)
    np.testing.assert_allclose(gathered[0], naive_conv(x, w, **kw), rtol=1e-12, atol=1e-12)
    for a, b in zip(gathered, sliced, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # inf * 0 in the matmul
def test_conv_gather_reads_no_input_into_padding(x64, monkeypatch):
    # Padded entries point at input element 0 before they are zeroed: an infinity there
    # must reach exactly the windows that hold it, as with explicit padding.
    rng = np.random.default_rng(7)
    x, w = randn(rng, 1, 2, 4, 4), randn(rng, 3, 2, 3, 3)
    x[0, :, 0, 0] = np.inf
    kw = dict(window_strides=(1, 1), padding=[(1, 1), (1, 1)])
    ct = arr(np.ones((1, 3, 4, 4)))
    (out, _, gw), (want, _, want_gw) = _conv_both_paths(monkeypatch, x, w, ct, kw)
    np.testing.assert_array_equal(np.isfinite(out), np.isfinite(want))
    assert np.isfinite(out[0, :, 2:, 2:]).all() and not np.isfinite(out[0, :, :2, :2]).any()
    np.testing.assert_allclose(out, want, rtol=1e-12)
    np.testing.assert_allclose(gw, want_gw, rtol=1e-12)


def test_conv_gather_indices_live_on_each_device(monkeypatch):
    # The index arrays are cached per device: a convolution on a second (simulated)
    # device, same geometry, gets its own.
    b = backend.StrictBackend(devices=2)
    monkeypatch.setitem(backend._BACKENDS, "strict", b)
    monkeypatch.setitem(backend._BY_TYPE, backend.StrictArray, b)
    monkeypatch.setenv("FUNCDIFF_BACKEND", "strict")
    rng = np.random.default_rng(8)
    x, w = randn(rng, 2, 2, 5, 5).astype(np.float32), randn(rng, 3, 2, 3, 3).astype(np.float32)
    want = naive_conv(x, w, (1, 1), "SAME")
    for dev in ("cpu:0", "cpu:1", "cpu:0"):
        with fd.default_device(dev):
            got = fd.jit(lambda x, w: lax.conv(x, w, (1, 1), "SAME"))(
                fd.device_put(x, dev), fd.device_put(w, dev))
        assert str(got.device) == dev
        np.testing.assert_allclose(host(got), want, rtol=1e-5, atol=1e-5)


# --- reduce_window ---------------------------------------------------------------------------

RW_CASES = [
    ((2, 5, 6), dict(window_dimensions=(1, 2, 2), window_strides=(1, 2, 2))),
    ((7,), dict(window_dimensions=(3,), window_strides=(2,), padding="SAME")),
    ((5, 6), dict(window_dimensions=(2, 3), window_strides=(1, 2), padding=[(1, 2), (2, 0)],
                  base_dilation=(2, 1), window_dilation=(1, 2))),
    ((6, 7), dict(window_dimensions=(2, 2), window_strides=(2, 1), padding=[(-1, 1), (1, -2)])),
    ((4, 5), dict(window_dimensions=(3, 2), window_strides=(1, 1), padding="SAME_LOWER",
                  window_dilation=(2, 1))),
]
KINDS = {"add": (lax.add, 0.0), "max": (lax.max, -np.inf), "min": (lax.min, np.inf)}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("case", range(len(RW_CASES)))
def test_reduce_window_matches_naive_loops(kind, case):
    shape, kw = RW_CASES[case]
    x = randn(np.random.default_rng(case), *shape).astype(np.float32)
    comp, init = KINDS[kind]
    got = lax.reduce_window(arr(x), init, comp, **kw)
    np.testing.assert_allclose(host(got), naive_reduce_window(x, kind, **kw), rtol=1e-6)
    got = lax.reduce_window(arr(x), 0.5, comp, **kw)  # not the identity: folded in once
    np.testing.assert_allclose(host(got), naive_reduce_window(x, kind, init=0.5, **kw),
                               rtol=1e-6)


def test_reduce_window_accepts_numpy_spellings_and_ints():
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    for comp, kind in ((fnp.add, "add"), (fnp.maximum, "max"), (fnp.minimum, "min")):
        init = {"add": 0, "max": -2**31, "min": 2**31 - 1}[kind]
        got = lax.reduce_window(arr(x), init, comp, (2, 2), (1, 2), "SAME")
        assert got.dtype == np.int32
        np.testing.assert_array_equal(host(got), naive_reduce_window(
            x, kind, (2, 2), (1, 2), "SAME"))


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("case", range(len(RW_CASES)))
def test_reduce_window_grads_match_finite_differences(x64, kind, case):
    shape, kw = RW_CASES[case]
    rng = np.random.default_rng(20 + case)
    x = randn(rng, *shape)
    comp, init = KINDS[kind]
    r = arr(randn(rng, *naive_reduce_window(x, kind, **kw).shape))

    def f(x):
        y = lax.reduce_window(x, init, comp, **kw)
        return fnp.sum(fnp.where(fnp.isfinite(y), y, 0.0) ** 2 * r)

    _fd_check(f, [x], rng)
    _second_order_check(f, [x], rng)


@pytest.mark.parametrize("kind", ["max", "min"])
def test_reduce_window_ties_pick_the_first(kind):
    x = arr([[1.0, 3.0, 3.0], [3.0, 3.0, 0.0]] if kind == "max" else
            [[1.0, -3.0, -3.0], [-3.0, -3.0, 0.0]])
    comp, init = KINDS[kind]

    def f(x):
        return fnp.sum(lax.reduce_window(x, init, comp, (2, 2), (1, 1), "VALID"))

    # window 0 holds (0,1),(1,0),(1,1) at the extremum: the first, (0,1), takes it; window 1
    # holds (0,1),(0,2),(1,1): again (0,1).
    np.testing.assert_array_equal(host(fd.grad(f)(x)), [[0.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    _, t = fd.jvp(f, (x,), (arr([[0.0, 1.0, 10.0], [100.0, 1000.0, 0.0]]),))
    assert float(host(t)) == 2.0


def test_reduce_window_sum_transpose_is_a_window_sum():
    def backward(x, ct):
        _, pullback = fd.vjp(lambda x: lax.reduce_window(x, 0.0, lax.add, (2, 2), (2, 1),
                                                         "SAME"), x)
        return pullback(ct)

    jaxpr = fd.make_jaxpr(backward)(fnp.ones((4, 5)), fnp.ones((2, 5)))
    prims = [e.prim.name for e in jaxpr.eqns]
    assert prims == ["pad", "reduce_window_sum"], jaxpr


@pytest.mark.parametrize("kind", list(KINDS))
def test_reduce_window_vmap_matches_loop(kind):
    x = randn(np.random.default_rng(4), 3, 5, 6).astype(np.float32)
    comp, init = KINDS[kind]

    def f(a):
        return lax.reduce_window(a, init, comp, (2, 3), (2, 1), [(1, 0), (1, 1)])

    for axis in (0, 1, 2):
        got = fd.vmap(f, in_axes=axis)(arr(np.moveaxis(x, 0, axis)))
        want = np.stack([naive_reduce_window(x[i], kind, (2, 3), (2, 1), [(1, 0), (1, 1)])
                         for i in range(3)])
        np.testing.assert_allclose(host(got), want, rtol=1e-5, atol=1e-6)
        jaxpr = fd.make_jaxpr(fd.vmap(f, in_axes=axis))(arr(np.moveaxis(x, 0, axis)))
        assert len([e for e in jaxpr.eqns if e.prim.name.startswith("reduce_window")]) == 1


@pytest.mark.parametrize("kind", list(KINDS))
def test_vmap_of_grad_of_reduce_window(x64, kind):
    x = randn(np.random.default_rng(5), 3, 4, 5)
    comp, init = KINDS[kind]

    def loss(a):
        return fnp.sum(lax.reduce_window(a, init, comp, (2, 2), (1, 2), "SAME") ** 2)

    got = fd.vmap(fd.grad(loss))(arr(x))
    want = np.stack([host(fd.grad(loss)(arr(x[i]))) for i in range(3)])
    np.testing.assert_allclose(host(got), want, rtol=1e-12)


@pytest.mark.parametrize("args, tiled", [
    (((1, 2, 2), (1, 2, 2), [(0, 0)] * 3, (1, 1, 1), (1, 1, 1)), True),  # 2x2 pooling
    (((3,), (3,), [(0, 0)], (1,), (1,)), True),
    (((2, 2), (2, 1), [(0, 0)] * 2, (1, 1), (1, 1)), False),  # overlapping windows
    (((2, 2), (2, 2), [(0, 1), (0, 0)], (1, 1), (1, 1)), False),  # padding
    (((2, 2), (2, 2), [(-1, 0), (0, 0)], (1, 1), (1, 1)), False),  # cropping
    (((2, 2), (2, 2), [(0, 0)] * 2, (1, 2), (1, 1)), False),  # base dilation
    (((2, 2), (2, 2), [(0, 0)] * 2, (1, 1), (2, 1)), False),  # window dilation
])
def test_reduce_window_tiles_only_without_padding_dilation_or_overlap(args, tiled):
    assert windowed.tiles(*args) is tiled


TILE_CASES = [
    ((2, 3, 8, 6), (1, 1, 2, 2)),  # the CNN's pooling
    ((2, 5, 7), (1, 2, 3)),  # rows and columns past the last whole window
    ((4, 9), (1, 3)),
    ((3, 4), (1, 1)),  # windows of one element
]


@pytest.mark.parametrize("kind", ["max", "min"])
@pytest.mark.parametrize("case", range(len(TILE_CASES)))
def test_reduce_window_one_reduction_agrees_with_the_slices(x64, monkeypatch, kind, case):
    shape, window = TILE_CASES[case]
    rng = np.random.default_rng(60 + case)
    x = np.round(randn(rng, *shape), 0)  # many ties
    x.flat[::7] = -np.inf if kind == "max" else np.inf
    x.flat[3] = np.nan
    comp, init = KINDS[kind]
    ct = arr(randn(rng, *naive_reduce_window(x, kind, window, window).shape))

    def f(x):
        y = lax.reduce_window(x, init, comp, window, window)
        return fnp.sum(fnp.where(fnp.isfinite(y), y, 0.0) * ct)

    got = {}
    for fast in (True, False):
        monkeypatch.setattr(windowed, "few_calls", lambda xp, f=fast: f)
        got[fast] = (host(lax.reduce_window(arr(x), init, comp, window, window)),
                     host(fd.grad(f)(arr(x))))
    np.testing.assert_array_equal(got[True][0], naive_reduce_window(x, kind, window, window))
    for a, b in zip(got[True], got[False]):
        np.testing.assert_array_equal(a, b)
    xi = rng.integers(-3, 3, shape).astype(np.int32)
    int_init = -2**31 if kind == "max" else 2**31 - 1
    for fast in (True, False):
        monkeypatch.setattr(windowed, "few_calls", lambda xp, f=fast: f)
        got[fast] = host(lax.reduce_window(arr(xi), int_init, comp, window, window))
    np.testing.assert_array_equal(got[True], got[False])
    np.testing.assert_array_equal(got[True], naive_reduce_window(xi, kind, window, window))


# --- errors ----------------------------------------------------------------------------------


def test_conv_errors():
    x, w = fnp.ones((2, 4, 5)), fnp.ones((3, 2, 2))
    with pytest.raises(ValueError, match=r"4 features but the kernel takes 2 per group x "
                                         r"feature_group_count 1"):
        lax.conv_general_dilated(x, w, (1,), "VALID")
    with pytest.raises(ValueError, match="output features do not split into "
                                         "feature_group_count=2"):
        lax.conv_general_dilated(x, w, (1,), "VALID", feature_group_count=2)
    with pytest.raises(ValueError, match="batch_group_count=3 must divide the batch size 2"):
        lax.conv_general_dilated(x, fnp.ones((3, 4, 2)), (1,), "VALID", batch_group_count=3)
    with pytest.raises(ValueError, match="at most one of them > 1"):
        lax.conv_general_dilated(x, fnp.ones((2, 2, 2)), (1,), "VALID", feature_group_count=2,
                                 batch_group_count=2)
    with pytest.raises(TypeError, match="needs one dtype"):
        lax.conv_general_dilated(x, fnp.ones((3, 4, 2), dtype=np.int32), (1,), "VALID")
    with pytest.raises(ValueError, match="same rank >= 2"):
        lax.conv_general_dilated(x, fnp.ones((3, 4)), (1,), "VALID")
    with pytest.raises(ValueError, match=r"window_strides \(1, 1\) has 2 entries, expected 1"):
        lax.conv_general_dilated(x, fnp.ones((3, 4, 2)), (1, 1), "VALID")
    with pytest.raises(ValueError, match=r"window_strides \(0,\) must all be >= 1"):
        lax.conv_general_dilated(x, fnp.ones((3, 4, 2)), (0,), "VALID")
    with pytest.raises(ValueError, match="unknown padding 'FULL'"):
        lax.conv_general_dilated(x, fnp.ones((3, 4, 2)), (1,), "FULL")
    with pytest.raises(ValueError, match="sequence of \\(low, high\\) integer pairs"):
        lax.conv_general_dilated(x, fnp.ones((3, 4, 2)), (1,), [1])
    with pytest.raises(ValueError, match="crops more than the input holds"):
        lax.conv_general_dilated(x, fnp.ones((3, 4, 2)), (1,), [(-4, -3)])
    with pytest.raises(ValueError, match="not defined with lhs_dilation"):
        lax.conv_general_dilated(x, fnp.ones((3, 4, 2)), (1,), "SAME", lhs_dilation=(2,))
    with pytest.raises(ValueError, match="feature_group_count must be a positive integer"):
        lax.conv_general_dilated(x, fnp.ones((3, 4, 2)), (1,), "SAME", feature_group_count=0)


def test_conv_dimension_number_errors():
    x, w = fnp.ones((2, 5, 4, 3)), fnp.ones((3, 2, 3, 4))
    with pytest.raises(TypeError, match="must name 'N' and 'C' once each"):
        lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWW", "HWIO", "NHWC"))
    with pytest.raises(TypeError, match="spatial letters of the input, kernel and output"):
        lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HDIO", "NHWC"))
    with pytest.raises(ValueError, match="has 3 letters for operands of rank 4"):
        lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHC", "HIO", "NHC"))
    with pytest.raises(TypeError, match="must be None, three layout strings"):
        lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers="NHWC")
    with pytest.raises(ValueError, match=r"lhs_spec \(0, 0, 1, 2\) is not a permutation"):
        lax.conv_general_dilated(x, w, (1, 1), "SAME",
                                 dimension_numbers=((0, 0, 1, 2), (0, 1, 2, 3), (0, 1, 2, 3)))


def test_reduce_window_errors():
    x = fnp.ones((4, 5))
    with pytest.raises(TypeError, match="supports computation=lax.add, lax.max or lax.min, "
                                        "got mul"):
        lax.reduce_window(x, 1.0, lax.mul, (2, 2))
    with pytest.raises(ValueError, match=r"window_dimensions \(2,\) has 1 entries, expected 2"):
        lax.reduce_window(x, 0.0, lax.add, (2,))
    with pytest.raises(ValueError, match=r"padding \[\(1, 1\)\] has 1 pairs, expected 2"):
        lax.reduce_window(x, 0.0, lax.add, (2, 2), (1, 1), [(1, 1)])
    with pytest.raises(TypeError, match="init_value must be a scalar"):
        lax.reduce_window(x, fnp.zeros(2), lax.add, (2, 2))
    with pytest.raises(TypeError, match="init_value has dtype int32 but the operand has float32"):
        lax.reduce_window(x, fnp.zeros((), dtype=np.int32), lax.add, (2, 2))
    with pytest.raises(TypeError, match="call it once per operand"):
        lax.reduce_window((x, x), (0.0, 0.0), lax.add, (2, 2))
    with pytest.raises(ValueError, match="crops more than the operand"):
        lax.reduce_window(x, 0.0, lax.add, (1, 1), (1, 1), [(-3, -2), (0, 0)])
    with pytest.raises(TypeError, match="reduce_window_max does not accept dtype bool"):
        lax.reduce_window(fnp.ones((2,), dtype=bool), False, lax.max, (1,))
