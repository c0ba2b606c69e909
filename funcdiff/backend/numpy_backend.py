"""The default backend: plain NumPy arrays on the CPU."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Backend, Device


class NumpyBackend(Backend):
    name = "numpy"
    xp = np
    array_types = (np.ndarray,)

    def __init__(self) -> None:
        self._devices = [Device("cpu", 0, self.name)]

    def devices(self) -> list[Device]:
        return self._devices

    def from_host(self, x: np.ndarray, device: Device | None = None) -> Any:
        return np.asarray(x)

    def to_host(self, x: Any) -> np.ndarray:
        return np.asarray(x)
