"""Devices and data placement: ``fd.devices()``, ``fd.device_put``, ``fd.device_get``."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend as _backend
from . import tree
from .core.array import Array, ArrayImpl
from .core.aval import ShapedArray
from .core.convert import as_operand
from .core.tracing import Tracer, to_host


def devices(backend: str | None = None) -> list[_backend.Device]:
    """The devices funcdiff can place arrays on: the CPU, then any GPUs CuPy sees.

    Examples:
        >>> import funcdiff as fd
        >>> [d.platform for d in fd.devices()][:1]
        ['cpu']
    """
    devs = _backend.all_devices()
    if backend is not None:
        devs = [d for d in devs if d.platform == backend or d.backend_name == backend]
    return devs


def device_put(x: Any, device: _backend.Device | str | None = None) -> Any:
    """Copy every array leaf of the pytree ``x`` to ``device`` (the default one when None).

    ``device`` may be a device object or its name (``"cpu:0"``, ``"gpu:0"``).

    Examples:
        >>> import funcdiff as fd
        >>> import numpy as np
        >>> fd.device_put(np.ones(2)).device
        CpuDevice(id=0)
    """
    dev = _resolve(device)

    def put(leaf: Any) -> Any:
        if isinstance(leaf, Tracer):
            return leaf  # placement of traced values follows their inputs
        arr = as_operand(leaf, what="a value to place on a device")
        if dev is None:
            return arr
        b = _backend.backend_for_device(dev)
        src = _backend.backend_of(arr._value)
        if src is b and arr.device == dev:
            return arr
        raw = b.from_host(src.to_host(arr._value), dev)
        return ArrayImpl(raw, arr.aval)

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


def _resolve(device: Any) -> _backend.Device | None:
    if device is None or isinstance(device, _backend.Device):
        return device
    if isinstance(device, str):
        for d in devices():
            if str(d) == device or (d.platform == device and d.id == 0):
                return d
        names = ", ".join(str(d) for d in devices())
        raise ValueError(f"no device named {device!r}; available: {names}")
    raise TypeError(f"device must be a Device or a name like 'cpu:0', got {device!r}")


del np, ShapedArray
