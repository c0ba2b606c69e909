"""Devices and placement, and the strict backend's model of CuPy, all without a GPU.

Several devices are simulated by the strict backend (``StrictBackend(devices=2)``): arrays
remember their device, results go to the current one and an operation reading another
device's array raises, as CuPy does. So placement (``device_put``, ``.to``,
``default_device``), the errors for mixed devices, jit's per-device constants and the data
loader's placement are tested here; ``test_gpu.py`` repeats the essentials on a real GPU.
"""

from __future__ import annotations

import operator

import numpy as np
import pytest
from conftest import BACKEND, host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import backend
from funcdiff.backend import extras, strict_np
from funcdiff.data import ArrayDataset, DataLoader


@pytest.fixture
def two_devices(monkeypatch):
    """The strict backend with two simulated devices, as the default backend."""
    b = backend.StrictBackend(devices=2)
    monkeypatch.setitem(backend._BACKENDS, "strict", b)
    monkeypatch.setitem(backend._BY_TYPE, backend.StrictArray, b)
    monkeypatch.setenv("FUNCDIFF_BACKEND", "strict")
    return b


# --- devices, device_put, device_get, .to / .cpu ------------------------------------------


def test_devices_start_with_the_cpu():
    devs = fd.devices()
    assert devs[0].platform == "cpu" and str(devs[0]) == "cpu:0"
    assert fd.devices("cpu") == [d for d in devs if d.platform == "cpu"]
    assert all(d.platform == "gpu" for d in fd.devices("gpu"))


def test_device_put_get_round_trip():
    x = fd.device_put(np.arange(4.0))
    assert isinstance(x, fd.Array) and x.dtype == np.float32
    assert x.device == fd.devices(BACKEND)[0]  # the default backend's first device
    got = fd.device_get({"x": x, "n": 3})
    assert isinstance(got["x"], np.ndarray) and got["n"] == 3
    np.testing.assert_array_equal(got["x"], np.arange(4.0, dtype=np.float32))


def test_to_and_cpu_return_arrays_on_the_device():
    x = fnp.arange(3.0)
    assert x.to("cpu").device.platform == "cpu"
    assert x.to(x.device) is x  # already there: nothing is copied
    assert x.cpu().device.platform == "cpu"
    np.testing.assert_array_equal(host(x.cpu()), [0.0, 1.0, 2.0])


def test_unknown_device_names_the_available_ones():
    with pytest.raises(ValueError, match=r"no device named 'tpu:3'; available: cpu:0"):
        fd.device_put(fnp.ones(2), "tpu:3")
    if not fd.devices("gpu"):
        with pytest.raises(ValueError, match=r"No GPU is visible.*funcdiff\[cuda\]"):
            fnp.ones(2).to("gpu")
    with pytest.raises(TypeError, match="device must be a Device or a name"):
        fd.device_put(fnp.ones(2), 0)


def test_default_device_rejects_another_backends_device(monkeypatch):
    monkeypatch.setenv("FUNCDIFF_BACKEND", "numpy")
    strict_dev = backend.get_backend("strict").devices()[0]
    with pytest.raises(ValueError, match="new arrays are made by the 'numpy' backend"):
        with fd.default_device(strict_dev):
            pass


def test_host_numpy_arrays_move_next_to_device_arrays():
    # A NumPy-backend array beside a strict (device) one is copied there, as constants are.
    host_arr = fd.device_put(np.ones(3), backend.get_backend("numpy").devices()[0])
    dev_arr = fd.device_put(np.ones(3), backend.get_backend("strict").devices()[0])
    out = host_arr + dev_arr
    assert type(out._value) is backend.StrictArray
    np.testing.assert_array_equal(host(out), [2.0, 2.0, 2.0])


# --- several devices ------------------------------------------------------------------------


def test_two_devices_listed_and_placed(two_devices):
    gpus = [str(d) for d in fd.devices("gpu")]  # a real GPU is listed too, after the CPUs
    assert [str(d) for d in fd.devices()] == ["cpu:0", "cpu:1", *gpus]
    x = fd.device_put(np.arange(3.0), "cpu:1")
    assert x.device == two_devices.devices()[1]
    y = fnp.sin(x) * 2.0 + 1  # scalars are placed with the array
    assert y.device == x.device
    np.testing.assert_allclose(host(y), np.sin(np.arange(3.0)) * 2 + 1, rtol=1e-6)
    z = x.to("cpu:0")
    assert z.device == two_devices.devices()[0]
    np.testing.assert_array_equal(host(z), host(x))


def test_mixing_devices_is_an_error_naming_both(two_devices):
    a = fd.device_put(np.ones(3), "cpu:0")
    b = fd.device_put(np.ones(3), "cpu:1")
    with pytest.raises(ValueError, match=r"add got arrays on different devices: cpu:0, cpu:1"):
        a + b
    with pytest.raises(ValueError, match=r"jit of f got arrays on different devices"):
        fd.jit(_mul_named("f"))(a, b)


def _mul_named(name):
    def f(x, y):
        return x * y

    f.__name__ = f.__qualname__ = name
    return f


def test_default_device_places_new_arrays_and_constants(two_devices):
    x = fd.device_put(np.arange(3.0), "cpu:1")
    with fd.default_device("cpu:1") as d:
        y = x * fnp.ones(3) + np.full(3, 2.0)  # constants made here land on cpu:1
        g = fd.grad(lambda v: fnp.sum(v * v))(x)
    assert y.device == d and g.device == d
    np.testing.assert_allclose(host(g), 2 * np.arange(3.0))


def test_jit_places_captured_constants_on_the_inputs_device(two_devices):
    c = fnp.arange(3.0)  # made on cpu:0, captured by the traced function

    @fd.jit
    def f(x):
        return x * c + 1.0

    x0 = fd.device_put(np.ones(3), "cpu:0")
    x1 = fd.device_put(np.ones(3), "cpu:1")
    y0, y1 = f(x0), f(x1)
    assert y0.device == x0.device and y1.device == x1.device
    np.testing.assert_array_equal(host(y1), [1.0, 2.0, 3.0])
    assert f.trace_count == 1  # one trace, compiled once per device
    keys = list(next(iter(f._store.entries.values())).compiled)
    assert sorted(str(k[1]) for k in keys) == ["cpu:0", "cpu:1"]


def test_loader_places_batches_on_the_device(two_devices):
    ds = ArrayDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
    for prefetch in (0, 2):
        batches = list(DataLoader(ds, batch_size=2, device="cpu:1", prefetch=prefetch))
        assert all(x.device == two_devices.devices()[1] for b in batches for x in b)
        np.testing.assert_array_equal(np.concatenate([host(b[1]) for b in batches]),
                                      np.arange(5))


def test_loader_rejects_an_unknown_device_at_once():
    with pytest.raises(ValueError, match="no device named 'gpu:7'"):
        DataLoader(ArrayDataset(np.ones((4, 2))), batch_size=2, device="gpu:7")


def test_random_bits_are_the_same_on_every_backend(monkeypatch):
    key = fd.random.key(42)
    want = host(fd.random.normal(key, (5,)))
    monkeypatch.setenv("FUNCDIFF_BACKEND", "strict")
    got = fd.random.normal(fd.device_put(host(key)), (5,))
    assert type(got._value) is backend.StrictArray
    np.testing.assert_array_equal(host(got), want)


def test_save_writes_device_arrays_as_host_data(tmp_path, monkeypatch):
    monkeypatch.setenv("FUNCDIFF_BACKEND", "strict")
    tree = {"w": fnp.arange(4.0), "b": fnp.zeros(2)}
    fd.save(tmp_path / "ckpt", tree)
    back = fd.load(tmp_path / "ckpt")
    assert type(back["w"]._value) is backend.StrictArray
    np.testing.assert_array_equal(host(back["w"]), np.arange(4.0))


# --- the strict backend refuses what CuPy refuses ---------------------------------------------


def test_strict_refuses_numpy_functions_cupy_lacks():
    with pytest.raises(AttributeError, match="CuPy has no 'errstate'"):
        strict_np.errstate
    with pytest.raises(AttributeError, match="CuPy has no linalg.multi_dot"):
        strict_np.linalg.multi_dot
    assert not hasattr(strict_np, "bitwise_count")  # CuPy 13 has none


def test_strict_refuses_ufunc_methods_cupy_lacks():
    x = strict_np.asarray(np.array([3.0, 1.0, 2.0]))
    with pytest.raises(NotImplementedError, match=r"xp.maximum.accumulate does not exist"):
        strict_np.maximum.accumulate(x)
    with pytest.raises(NotImplementedError, match=r"xp.multiply.at does not exist"):
        strict_np.multiply.at(x, strict_np.asarray(np.array([0])), 2.0)
    strict_np.add.at(x, strict_np.asarray(np.array([0, 0])), 1.0)  # CuPy has scatter_add
    assert x.get().tolist() == [5.0, 1.0, 2.0]


def test_strict_refuses_keywords_cupy_lacks():
    x = strict_np.asarray(np.ones(3))
    with pytest.raises(TypeError, match=r"xp.add was called with keyword arguments \['where'\]"):
        strict_np.add(x, x, where=True)
    with pytest.raises(TypeError, match=r"\['kind'\]"):
        strict_np.cumsum(x, kind="x")


def test_strict_refuses_host_arrays_and_python_indices():
    x = strict_np.asarray(np.ones(3))
    with pytest.raises(TypeError, match="got a host NumPy array: CuPy refuses those"):
        strict_np.add(x, np.ones(3))
    strict_np.add(x, np.float32(1.0))  # NumPy scalars are fine, as on CuPy
    with pytest.raises(TypeError, match="cannot be used as a Python index"):
        operator.index(strict_np.asarray(np.array(1)))
    assert int(strict_np.asarray(np.array(1))) == 1
    flags = x.flags
    assert flags.c_contiguous and not hasattr(flags, "writeable")


def test_strict_refuses_arrays_of_another_device():
    b = backend.StrictBackend(devices=2)
    x = b.from_host(np.ones(2), b.devices()[1])
    with pytest.raises(ValueError, match=r"resides on device 1, which differs from the current"):
        strict_np.add(x, 1.0)
    with b.on_device(b.devices()[1]):
        assert b.device_of(strict_np.add(x, 1.0)) == b.devices()[1]


def test_strict_refuses_64_bit_integer_fmod_cupy_computes_in_float64():
    big = np.array([2**53 + 1, -(2**53 + 1), 7])
    x, y = strict_np.asarray(big), strict_np.asarray(np.array([2, 2, 3]))
    inexact = r"xp.fmod on int64 is inexact on CuPy: it computes in float64"
    with pytest.raises(TypeError, match=inexact):
        strict_np.fmod(x, y)
    with pytest.raises(TypeError, match=inexact):
        strict_np.fmod(x, 2)  # a Python int takes the array's dtype
    with pytest.raises(TypeError, match=inexact):  # a NumPy scalar counts with its own
        strict_np.fmod(strict_np.asarray(np.array([5], np.int32)), np.int64(3))
    with pytest.raises(TypeError, match=r"xp.fmod on uint64 is inexact"):
        strict_np.fmod(strict_np.asarray(big[2:].astype(np.uint64)), 2)
    # int32 fits float64 exactly, so CuPy's answer is NumPy's: allowed, as are floats
    x32 = strict_np.asarray(np.array([2**31 - 1, -7], np.int32))
    assert strict_np.fmod(x32, 3).get().tolist() == [1, -1]
    assert strict_np.fmod(x32, strict_np.asarray(np.array([3, 3], np.int32))).dtype == np.int32
    assert strict_np.fmod(x, 2.0).dtype == np.float64
    assert strict_np.remainder(x, y).get().tolist() == [1, 1, 1]  # exact on CuPy


def test_strict_refuses_ufunc_at_kernels_cupy_lacks_or_rounds():
    idx = strict_np.asarray(np.array([0, 0, 2]))
    x64 = strict_np.asarray(np.array([0.1, 0.2, 0.3]))
    with pytest.raises(TypeError, match=r"xp.maximum.at on float64 is inexact on CuPy"):
        strict_np.maximum.at(x64, idx, x64)
    with pytest.raises(TypeError, match=r"xp.minimum.at on float64 is inexact on CuPy"):
        strict_np.minimum.at(x64, idx, x64)
    with pytest.raises(TypeError, match=r"xp.add.at has no int8 kernel on CuPy"):
        strict_np.add.at(strict_np.asarray(np.zeros(3, np.int8)), idx, 1)
    with pytest.raises(TypeError, match=r"xp.subtract.at has no float32 kernel on CuPy"):
        strict_np.subtract.at(strict_np.asarray(np.zeros(3, np.float32)), idx, 1.0)
    x32 = strict_np.asarray(np.zeros(3, np.float32))
    strict_np.maximum.at(x32, idx, strict_np.asarray(np.array([1.0, 3.0, 2.0], np.float32)))
    assert x32.get().tolist() == [3.0, 0.0, 2.0]
    # extras.scatter avoids both: float64 max goes round by round, exactly
    extras.scatter(strict_np, x64, (idx,), strict_np.asarray(np.array([0.05, 0.25, 0.3])),
                   "max")
    assert x64.get().tolist() == [0.25, 0.2, 0.3]


def test_strict_refuses_scalars_where_cupy_calls_the_arrays_method():
    s = np.float32(1.5)
    with pytest.raises(TypeError, match=r"xp.reshape got a float32, not a device array"):
        strict_np.reshape(s, (1,))  # CuPy: a host numpy.ndarray
    with pytest.raises(TypeError, match=r"xp.sum got a float32, not a device array"):
        strict_np.sum(s)  # CuPy: a host numpy.float32
    with pytest.raises(TypeError, match=r"xp.expand_dims got a float, not a device array"):
        strict_np.expand_dims(1.5, 0)
    x = strict_np.asarray(s)
    assert strict_np.reshape(x, (1,)).shape == (1,)
    assert float(strict_np.sum(x)) == 1.5


# --- helpers of backend/extras.py on the strict backend -----------------------------------


@pytest.mark.parametrize("mode", ["add", "mul", "max", "min"])
@pytest.mark.parametrize("dtype", ["float32", "int8", "bool"])
def test_scatter_without_ufunc_at_matches_numpy(mode, dtype):
    if dtype == "bool" and mode == "mul":
        pytest.skip("multiply has no boolean loop")
    rng = np.random.default_rng(0)
    base = (rng.integers(1, 4, (5, 3)) if dtype != "bool" else rng.random((5, 3)) > 0.5)
    base = base.astype(dtype)
    rows = rng.integers(0, 5, (4, 2))
    cols = rng.integers(0, 3, (4, 2))
    ups = (rng.integers(1, 3, (4, 2)) if dtype != "bool" else rng.random((4, 2)) > 0.5)
    ups = ups.astype(dtype)
    want = base.copy()
    getattr(np, {"add": "add", "mul": "multiply", "max": "maximum", "min": "minimum"}[mode]
            ).at(want, (rows, cols), ups)
    out = strict_np.asarray(base)
    idx = (strict_np.asarray(rows), strict_np.asarray(cols))
    extras.scatter(strict_np, out, idx, strict_np.asarray(ups), mode)
    np.testing.assert_array_equal(out.get(), want)


def test_scatter_rows_with_trailing_axes():
    out = strict_np.asarray(np.ones((4, 3), np.float32))
    idx = (strict_np.asarray(np.array([1, 1, 3])),)
    ups = strict_np.asarray(np.array([[2.0] * 3, [3.0] * 3, [4.0] * 3], np.float32))
    extras.scatter(strict_np, out, idx, ups, "mul")
    np.testing.assert_array_equal(out.get()[:, 0], [1.0, 6.0, 1.0, 4.0])


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("mode", ["max", "min"])
def test_cumulative_extremum_matches_accumulate(axis, mode):
    x = np.random.default_rng(1).normal(size=(7, 5)).astype(np.float32)
    fn = np.maximum if mode == "max" else np.minimum
    got = extras.cumulative_extremum(strict_np, strict_np.asarray(x), axis, mode)
    np.testing.assert_array_equal(got.get(), fn.accumulate(x, axis=axis))


def test_population_count_without_bitwise_count():
    x = np.array([0, 1, 7, -1, 2**30], np.int32)
    got = extras.population_count(strict_np, strict_np.asarray(x))
    assert got.get().tolist() == [0, 1, 3, 32, 1]


def test_overlapped_copy_defaults_to_a_plain_one():
    b = backend.get_backend("strict")
    raw = b.from_host_overlapped(np.arange(3.0), b.devices()[0])
    assert raw.get().tolist() == [0.0, 1.0, 2.0]
