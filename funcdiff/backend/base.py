"""The interface every array backend implements, and device objects.

A backend owns one array type and its namespace ``xp`` (``numpy``, ``cupy`` or the strict
test namespace). Primitive implementations receive ``xp`` and call only it, so one
implementation serves every backend.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np


class Device:
    """A place where arrays live: ``platform`` is ``"cpu"`` or ``"gpu"``; ``str(d)`` is ``cpu:0``.

    Examples:
        >>> import funcdiff as fd
        >>> str(fd.devices()[0])
        'cpu:0'
    """

    __slots__ = ("platform", "id", "backend_name")

    def __init__(self, platform: str, id: int, backend_name: str) -> None:
        self.platform = platform
        self.id = id
        self.backend_name = backend_name

    def __str__(self) -> str:
        return f"{self.platform}:{self.id}"

    def __repr__(self) -> str:
        return f"{self.platform.capitalize()}Device(id={self.id})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Device)
            and (self.platform, self.id, self.backend_name)
            == (other.platform, other.id, other.backend_name)
        )

    def __hash__(self) -> int:
        return hash((self.platform, self.id, self.backend_name))


class Backend:
    """One array library: its namespace, array type, devices and host transfers."""

    name: str
    xp: Any
    array_types: tuple[type, ...]
    # Whether arrays of this backend may live on different devices (then operations check
    # that theirs share one, and run there). A plain attribute: eager dispatch reads it.
    multi_device: bool = False

    def devices(self) -> list[Device]:
        raise NotImplementedError

    def device_of(self, x: Any) -> Device:
        return self.devices()[0]

    def current_device(self) -> Device:
        """Where new arrays go now (CuPy's current device)."""
        return self.devices()[0]

    def on_device(self, device: Device) -> Any:
        """A context in which computation and new arrays are on ``device``."""
        return contextlib.nullcontext()

    def from_host(self, x: np.ndarray, device: Device | None = None) -> Any:
        """Copy a host NumPy array onto this backend (onto ``device`` when given)."""
        raise NotImplementedError

    def from_host_overlapped(self, x: np.ndarray, device: Device | None = None) -> Any:
        """``from_host`` from a background thread, overlapping the copy with the compute of
        other threads where the backend can (CuPy: pinned memory and a side stream). The
        result is ready to use when this returns."""
        return self.from_host(x, device)

    def to_host(self, x: Any) -> np.ndarray:
        """Copy one of this backend's arrays to a host NumPy array."""
        raise NotImplementedError
