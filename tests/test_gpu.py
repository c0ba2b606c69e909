"""On a real GPU through CuPy: placement, every op-table row, transforms, fused kernels.

Every test here is marked ``gpu`` and is skipped where CuPy sees no device (see
``conftest.py``). ``benchmarks/gpu_check.sh`` runs them with ``pytest -m gpu``, then the
whole suite with ``FUNCDIFF_BACKEND=cupy``. The tests switch the default backend to CuPy
themselves, so they also run from a plain ``pytest -m gpu tests``.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
from conftest import host
from op_table import all_rows, main_dtype
from test_op_values import assert_matches, run_row

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax, nn, optim
from funcdiff.backend import extras
from funcdiff.data import ArrayDataset, DataLoader
from funcdiff.transforms import fusion
from funcdiff.transforms.jit import jit

pytestmark = pytest.mark.gpu


@pytest.fixture
def cp(monkeypatch):
    """CuPy, with the CuPy backend the default one (new arrays go to gpu:0)."""
    cupy = pytest.importorskip("cupy")
    monkeypatch.setenv("FUNCDIFF_BACKEND", "cupy")
    return cupy


def on_cpu(fn, *args):
    """``fn`` evaluated on the NumPy backend (new arrays made on the host too), for reference."""
    prev = os.environ.get("FUNCDIFF_BACKEND")
    os.environ["FUNCDIFF_BACKEND"] = "numpy"
    try:
        return fn(*fd.tree.map(lambda a: a.cpu() if isinstance(a, fd.Array) else a, args))
    finally:
        os.environ["FUNCDIFF_BACKEND"] = prev or "numpy"


def close(a, b, rtol=1e-5, atol=1e-6):
    for x, y in zip(fd.tree.leaves(a), fd.tree.leaves(b), strict=True):
        np.testing.assert_allclose(host(x), host(y), rtol=rtol, atol=atol)


# --- devices and placement --------------------------------------------------------------------


def test_gpus_are_listed_and_arrays_live_there(cp):
    gpus = fd.devices("gpu")
    assert gpus and str(gpus[0]) == "gpu:0" and fd.devices()[0].platform == "cpu"
    x = fnp.arange(4.0)
    assert isinstance(x._value, cp.ndarray) and x.device == gpus[0]
    y = np.arange(4.0, dtype=np.float32)
    z = fd.device_put(y, "gpu").to("cpu")
    assert type(z._value) is np.ndarray
    assert isinstance((z + x)._value, cp.ndarray)  # host data moves next to device data
    np.testing.assert_array_equal(fd.device_get(x * 2.0), y * 2)
    with pytest.raises(TypeError):
        np.asarray(x)  # no silent host copies


def test_two_gpus_do_not_mix(cp):
    if len(fd.devices("gpu")) < 2:
        pytest.skip("one GPU")
    a, b = fnp.ones(3), fd.device_put(np.ones(3), "gpu:1")
    assert (b * 2.0).device == fd.devices("gpu")[1]
    with pytest.raises(ValueError, match="different devices: gpu:0, gpu:1"):
        a + b
    c = fnp.arange(3.0)
    f = jit(lambda x: x * c)
    np.testing.assert_array_equal(host(f(b)), [0.0, 1.0, 2.0])  # constant placed on gpu:1


# --- every primitive ----------------------------------------------------------------------------


@pytest.mark.parametrize("row", all_rows(), ids=str)
def test_op_row_value_on_gpu(cp, row):
    outs, refs = run_row(row, main_dtype(row))
    for k, (o, r) in enumerate(zip(outs, refs, strict=True)):
        if isinstance(o, fd.Array) and o.shape:
            assert isinstance(o._value, cp.ndarray), f"{row.name}: output {k} not on the GPU"
        assert_matches(o, r, x64=False, atol=max(row.atol, 1e-5), rtol=max(row.rtol, 1e-4),
                       what=f"{row.name} output {k}")


@pytest.mark.parametrize("row", [r for r in all_rows() if r.traceable], ids=str)
def test_op_row_under_jit_on_gpu(cp, row):
    """Compiled, with elementwise chains fused into CUDA kernels."""
    jitted = dataclasses.replace(
        row, fn=lambda *a, **kw: jit(lambda *b: row.fn(*b, **kw))(*a))
    with fusion.forced():
        outs, refs = run_row(jitted, main_dtype(row))
    for k, (o, r) in enumerate(zip(outs, refs, strict=True)):
        assert_matches(o, r, x64=False, atol=max(row.atol, 1e-5), rtol=max(row.rtol, 1e-4),
                       what=f"{row.name} (jit) output {k}")


@pytest.mark.parametrize("mode", ["add", "mul", "max", "min"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int8"])
def test_scatter_modes_and_dtypes(cp, mode, dtype):
    rng = np.random.default_rng(0)
    base = rng.integers(1, 4, (6, 2)).astype(dtype)
    idx = rng.integers(0, 6, 9)
    ups = rng.integers(1, 3, (9, 2)).astype(dtype)
    want = base.copy()
    getattr(np, {"add": "add", "mul": "multiply", "max": "maximum", "min": "minimum"}[mode]
            ).at(want, idx, ups)
    out = cp.asarray(base)
    extras.scatter(cp, out, (cp.asarray(idx),), cp.asarray(ups), mode)
    np.testing.assert_array_equal(out.get(), want)


def test_cummax_and_failed_factorizations(cp):
    x = fnp.asarray(np.array([1.0, 3.0, 2.0, 5.0], np.float32))
    np.testing.assert_array_equal(host(lax.cummax(x, 0)), [1, 3, 3, 5])
    bad = fnp.asarray(np.array([[1.0, 2.0], [2.0, 1.0]], np.float32))  # indefinite
    assert np.isnan(host(fnp.linalg.cholesky(bad))).all()


# --- transforms, nn, optim, random, save/load ----------------------------------------------------


class MLP(nn.Module):
    def __init__(self, *, key):
        k1, k2 = fd.random.split(key)
        self.fc1 = nn.Linear(20, 32, key=k1)
        self.fc2 = nn.Linear(32, 5, key=k2)

    def __call__(self, x):
        return self.fc2(nn.relu(self.fc1(x)))


def _step(opt):
    def step(model, state, x, y):
        loss, g = fd.value_and_grad(lambda m: nn.cross_entropy(m(x), y))(model)
        updates, state = opt.update(g, state, model)
        return optim.apply_updates(model, updates), state, loss

    return step


def test_training_step_matches_the_cpu_with_fused_kernels(cp):
    model = MLP(key=fd.random.key(0))
    opt = optim.adam(1e-2)
    state = opt.init(model)
    x = fnp.asarray(np.random.default_rng(0).normal(size=(16, 20)).astype(np.float32))
    y = fnp.asarray(np.arange(16) % 5)
    step = jit(_step(opt))
    lowered = step.lower(model, state, x, y)
    if os.environ.get("FUNCDIFF_FUSION") != "0":
        assert lowered.kernels, "jit on CuPy fuses elementwise chains"
    with fusion.forced():
        got = jit(_step(opt))(model, state, x, y)
    assert isinstance(fd.tree.leaves(got)[0]._value, cp.ndarray)
    close(got, on_cpu(_step(opt), model, state, x, y), rtol=1e-4, atol=1e-5)
    with fusion.forced(False):
        unfused = jit(_step(opt))(model, state, x, y)
    close(got, unfused, rtol=1e-5, atol=1e-6)


def test_fused_kernels_agree_with_eager(cp):
    import sys

    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from test_fusion import CORPUS

    for name, (fn, args) in CORPUS.items():
        args = [fd.device_put(host(a)) for a in args]
        with fusion.forced():
            got = jit(fn)(*args)
        close(got, fn(*args), rtol=2e-5, atol=2e-6)
        if fd.tree.leaves(got):
            assert isinstance(fd.tree.leaves(got)[0]._value, cp.ndarray), name


def test_vmap_grad_control_flow_on_gpu(cp):
    def f(x):
        def body(c, xi):
            return c * 0.5 + fnp.sin(xi), c

        c, ys = lax.scan(body, 0.0, x)
        return lax.cond(c > 0, lambda: c * 2.0, lambda: -c) + fnp.sum(ys)

    xs = fnp.asarray(np.random.default_rng(1).normal(size=(3, 6)).astype(np.float32))
    got = fd.vmap(fd.grad(f))(xs)
    close(got, on_cpu(lambda v: fd.vmap(fd.grad(f))(v), xs), rtol=1e-5)
    close(jit(fd.vmap(fd.grad(f)))(xs), got, rtol=1e-5)


def test_random_bits_equal_the_cpus(cp):
    key = fd.random.key(7)
    for draw in (lambda k: fd.random.normal(k, (100,)), lambda k: fd.random.uniform(k, (9,)),
                 lambda k: fd.random.randint(k, (50,), 0, 10),
                 lambda k: fd.random.permutation(k, 20)):
        got = draw(key)
        assert isinstance(got._value, cp.ndarray)
        np.testing.assert_array_equal(host(got), host(on_cpu(draw, key)))


def test_cnn_forward_and_grad_match_the_cpu(cp):
    conv = nn.Conv2d(1, 4, 3, padding=1, key=fd.random.key(0))
    x = fnp.asarray(np.random.default_rng(2).normal(size=(2, 1, 8, 8)).astype(np.float32))

    def loss(m, x):
        return fnp.mean(nn.MaxPool2d(2)(nn.relu(m(x))) ** 2)

    close(fd.grad(loss)(conv, x), on_cpu(fd.grad(loss), conv, x), rtol=1e-4, atol=1e-6)


def test_save_load_round_trip_from_the_gpu(cp, tmp_path):
    model = MLP(key=fd.random.key(3))
    fd.save(tmp_path / "m", model)
    back = fd.load(tmp_path / "m", like=model)
    assert isinstance(back.fc1.weight._value, cp.ndarray)
    close(back, model, rtol=0, atol=0)


def test_loader_prefetches_onto_the_gpu(cp):
    ds = ArrayDataset(np.arange(40.0, dtype=np.float32).reshape(20, 2), np.arange(20))
    loader = DataLoader(ds, batch_size=6, device="gpu", prefetch=2)
    batches = list(loader)
    assert all(isinstance(a._value, cp.ndarray) for b in batches for a in b)
    np.testing.assert_array_equal(np.concatenate([host(b[1]) for b in batches]), np.arange(20))
