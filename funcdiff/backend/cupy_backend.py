"""The CuPy backend: arrays on NVIDIA GPUs. Imported only when CuPy is installed.

Each GPU CuPy sees is a device ``gpu:0``, ``gpu:1``…; CuPy computes on its *current*
device, so operations on arrays of ``gpu:1`` run inside ``cupy.cuda.Device(1)``
(:meth:`CupyBackend.on_device`). Host copies are explicit (``.get()``): CuPy refuses to
turn a device array into a NumPy one silently, as the strict test backend does.

Copies made by the data loader's prefetch thread (:meth:`CupyBackend.from_host_overlapped`)
go through pinned (page-locked) host memory on a non-blocking stream of their own, so they
overlap the kernels the training step queues on the default stream after them.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .base import Backend, Device


class CupyBackend(Backend):
    """CuPy arrays on the GPUs CuPy sees (raises on import without CuPy or a driver)."""

    name = "cupy"

    def __init__(self) -> None:
        import cupy

        self.xp = cupy
        self.array_types = (cupy.ndarray,)
        n = cupy.cuda.runtime.getDeviceCount()
        self._devices = [Device("gpu", i, self.name) for i in range(n)]
        self.multi_device = n > 1
        self._streams = threading.local()  # one copy stream per thread and device

    def devices(self) -> list[Device]:
        return self._devices

    def device_of(self, x: Any) -> Device:
        return self._devices[x.device.id]

    def current_device(self) -> Device:
        return self._devices[self.xp.cuda.runtime.getDevice()]

    def on_device(self, device: Device) -> Any:
        return self.xp.cuda.Device(device.id)

    def from_host(self, x: np.ndarray, device: Device | None = None) -> Any:
        if device is None:
            return self.xp.asarray(x)
        with self.xp.cuda.Device(device.id):
            return self.xp.asarray(x)

    def from_host_overlapped(self, x: np.ndarray, device: Device | None = None) -> Any:
        """Copy through pinned memory on this thread's side stream, then wait for that
        stream only: the copy overlaps compute on the default stream, and the array is
        complete when returned (so any stream may read it)."""
        cp = self.xp
        dev = device.id if device is not None else cp.cuda.runtime.getDevice()
        x = np.ascontiguousarray(x)
        with cp.cuda.Device(dev):
            # Allocated from the default stream's pool, where the arrays are used and freed;
            # the copy waits for the work queued there so far (earlier readers of this memory).
            out = cp.empty(x.shape, dtype=x.dtype)
            stream = self._copy_stream(dev)
            stream.wait_event(cp.cuda.get_current_stream().record())
            pinned = _pinned_like(x)
            pinned[...] = x
            out.set(pinned, stream=stream)
            stream.synchronize()  # complete before use; pinned may be reused from here on
        return out

    def _copy_stream(self, dev: int) -> Any:
        streams = getattr(self._streams, "by_device", None)
        if streams is None:
            streams = self._streams.by_device = {}
        s = streams.get(dev)
        if s is None:
            # Non-blocking: it does not wait for (nor hold up) the legacy default stream.
            s = streams[dev] = self.xp.cuda.Stream(non_blocking=True)
        return s

    def to_host(self, x: Any) -> np.ndarray:
        return x.get()


def _pinned_like(x: np.ndarray) -> np.ndarray:
    import cupyx

    return cupyx.empty_pinned(x.shape, dtype=x.dtype)
