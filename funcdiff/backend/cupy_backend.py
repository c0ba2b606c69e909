"""The CuPy backend: arrays on NVIDIA GPUs. Imported only when CuPy is installed."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Backend, Device


class CupyBackend(Backend):
    name = "cupy"

    def __init__(self) -> None:
        import cupy

        self.xp = cupy
        self.array_types = (cupy.ndarray,)
        n = cupy.cuda.runtime.getDeviceCount()
        self._devices = [Device("gpu", i, self.name) for i in range(n)]

    def devices(self) -> list[Device]:
        return self._devices

    def device_of(self, x: Any) -> Device:
        return self._devices[x.device.id]

    def from_host(self, x: np.ndarray, device: Device | None = None) -> Any:
        if device is None:
            return self.xp.asarray(x)
        with self.xp.cuda.Device(device.id):
            return self.xp.asarray(x)

    def to_host(self, x: Any) -> np.ndarray:
        return x.get()
