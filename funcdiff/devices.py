"""Devices and data placement: ``fd.devices()``, ``fd.device_put``, ``fd.device_get``.

An array lives on one device: the CPU (NumPy) or a GPU (CuPy). Computation runs where its
inputs live; host data (Python scalars, NumPy arrays) is placed next to them; arrays on two
different devices in one operation are an error naming both. ``x.to(device)`` and
``x.cpu()`` are PyTorch-style spellings of :func:`device_put` (they return a new array: an
``Array`` is immutable). :func:`default_device` chooses where new arrays go.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import backend as _backend
from . import tree
from .core import dtypes
from .core.array import Array, ArrayImpl
from .core.aval import ShapedArray
from .core.convert import as_operand
from .core.tracing import Tracer, to_host

Device = _backend.Device


def devices(backend: str | None = None) -> list[Device]:
    """The devices funcdiff can place arrays on: the CPU, then any GPUs CuPy sees.

    Args:
        backend: only the devices of this platform (``"cpu"``, ``"gpu"``) or backend
            (``"numpy"``, ``"strict"``, ``"cupy"``).

    Examples:
        >>> import funcdiff as fd
        >>> [d.platform for d in fd.devices()][:1]
        ['cpu']
        >>> fd.devices("tpu")
        []
    """
    devs = _backend.all_devices()
    if backend is not None:
        devs = [d for d in devs if d.platform == backend or d.backend_name == backend]
    return devs


def device_put(x: Any, device: Device | str | None = None) -> Any:
    """Copy every array leaf of the pytree ``x`` to ``device`` (the default one when None).

    Host data (NumPy arrays, lists, Python numbers) becomes funcdiff arrays on ``device``;
    arrays already there are returned as they are; traced values are left alone (under a
    transform, placement follows the inputs).

    Args:
        x: a pytree of arrays, NumPy arrays or numbers.
        device: a device from :func:`devices` or its name: ``"cpu:0"``, ``"gpu:1"``, or a
            platform alone (``"cpu"``, ``"gpu"``) for its first device.

    Returns:
        The pytree with every leaf an ``Array`` on ``device``.

    Raises:
        ValueError: no device has that name (the message lists the available ones).

    Examples:
        >>> import funcdiff as fd
        >>> import numpy as np
        >>> fd.device_put(np.ones(2)).device
        CpuDevice(id=0)
        >>> fd.device_put({"w": np.array([1.0, 2.0])}, "cpu")["w"]
        Array([1., 2.], dtype=float32)
    """
    dev = _resolve(device)

    def put(leaf: Any) -> Any:
        if isinstance(leaf, Tracer):
            return leaf  # placement of traced values follows their inputs
        if dev is None:
            return as_operand(leaf, what="a value to place on a device")
        if isinstance(leaf, ArrayImpl):
            return _move(leaf, dev)
        return _put_host(leaf, dev)

    return tree.map(put, x)


def device_get(x: Any) -> Any:
    """Copy every array leaf of the pytree ``x`` to a host NumPy array.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.device_get({"w": fnp.ones(2)})
        {'w': array([1., 1.], dtype=float32)}
    """
    return tree.map(lambda leaf: to_host(leaf) if isinstance(leaf, Array) else leaf, x)


@contextmanager
def default_device(device: Device | str) -> Iterator[Device]:
    """Within this block, new arrays (``fnp.ones``, host data, constants) go to ``device``
    and computation on them runs there (as ``jax.default_device``; for CuPy, the current
    ``cupy.cuda.Device``). Only devices of the default backend (``FUNCDIFF_BACKEND``) can
    be chosen.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> with fd.default_device(fd.devices()[0]) as d:
        ...     fnp.zeros(2).device == d
        True
    """
    dev = _resolve(device)
    b = _backend.get_backend()
    if dev is None or dev.backend_name != b.name:
        names = ", ".join(str(d) for d in b.devices())
        raise ValueError(
            f"default_device({device!r}): new arrays are made by the {b.name!r} backend, whose "
            f"devices are {names}; choose the backend with FUNCDIFF_BACKEND, and move single "
            "arrays elsewhere with fd.device_put(x, device)"
        )
    with b.on_device(dev):
        yield dev


# ---------------------------------------------------------------------------------------
# Array.to / Array.cpu


def _to(self: Array, device: Device | str) -> Array:
    """A copy of this array on ``device`` (``"cpu"``, ``"gpu"``, ``"gpu:1"``, a Device), as
    PyTorch's ``tensor.to(device)``; the same array when it is already there. Equivalent to
    ``fd.device_put(x, device)``.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fnp.arange(3).to("cpu").device.platform
        'cpu'
    """
    return device_put(self, device)


def _cpu(self: Array) -> Array:
    """A copy of this array on the CPU (as PyTorch's ``tensor.cpu()``); see :func:`_to`.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.ones(2).cpu().device.platform
        'cpu'
    """
    return device_put(self, _host_device())


Array.to = _to  # type: ignore[attr-defined]
Array.cpu = _cpu  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------
# Helpers


def _resolve(device: Any) -> Device | None:
    if device is None or isinstance(device, Device):
        return device
    if isinstance(device, str):
        devs = devices()
        for d in devs:
            if str(d) == device or (d.platform == device and d.id == 0):
                return d
        names = ", ".join(str(d) for d in devs)
        hint = (" No GPU is visible to funcdiff: install CuPy (pip install 'funcdiff[cuda]') "
                "on a machine with an NVIDIA GPU and its driver.") if device.startswith(
                    "gpu") and not any(d.platform == "gpu" for d in devs) else ""
        raise ValueError(f"no device named {device!r}; available: {names}.{hint}")
    raise TypeError(f"device must be a Device or a name like 'cpu:0', got {device!r}")


def _host_device() -> Device:
    default = _backend.get_backend()
    return default.devices()[0] if default.name == "strict" else _backend.get_backend(
        "numpy").devices()[0]


def _move(arr: ArrayImpl, dev: Device) -> ArrayImpl:
    b = _backend.backend_for_device(dev)
    src = _backend.backend_of(arr._value)
    if src is b and (not b.multi_device or src.device_of(arr._value) == dev):
        return arr
    return ArrayImpl(b.from_host(src.to_host(arr._value), dev), arr.aval)


def _put_host(x: Any, dev: Device, overlapped: bool = False) -> ArrayImpl:
    """Host data as an array on ``dev`` (one copy; ``overlapped`` from a prefetch thread)."""
    if isinstance(x, (bool, int, float, complex)):
        return _move(as_operand(x), dev)  # weakly typed scalars keep their type rules
    host = np.asarray(x)
    if host.dtype.kind not in "biufc":
        raise TypeError(f"cannot place data of dtype {host.dtype} on a device; funcdiff "
                        "arrays hold booleans or numbers")
    dt = dtypes.canonicalize(host.dtype)
    if host.dtype != dt:
        host = host.astype(dt)
    b = _backend.backend_for_device(dev)
    raw = b.from_host_overlapped(host, dev) if overlapped else b.from_host(host, dev)
    return ArrayImpl(raw, ShapedArray(host.shape, dt))
