"""Array backends: which array library holds the data, and the devices it offers.

This package is the only place that touches ``numpy``/``cupy`` modules for computation on
device data. ``FUNCDIFF_BACKEND`` (``numpy`` — the default —, ``strict`` or ``cupy``) picks
where new arrays are placed.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .base import Backend, Device
from .numpy_backend import NumpyBackend
from .strict import StrictArray, StrictBackend, strict_np

_BACKENDS: dict[str, Backend] = {"numpy": NumpyBackend(), "strict": StrictBackend()}
_BY_TYPE: dict[type, Backend] = {t: b for b in _BACKENDS.values() for t in b.array_types}
_cupy_tried = False


def _load_cupy() -> Backend | None:
    global _cupy_tried
    if "cupy" in _BACKENDS or _cupy_tried:
        return _BACKENDS.get("cupy")
    _cupy_tried = True
    try:
        from .cupy_backend import CupyBackend

        b = CupyBackend()
    except Exception:  # no CuPy, or no usable GPU
        return None
    if not b.devices():
        return None
    _BACKENDS["cupy"] = b
    _BY_TYPE.update({t: b for t in b.array_types})
    return b


# The default backend is asked for on hot paths (every `x + 1.0`, every grad call), and
# reading os.environ decodes strings each time: keep the answer beside the raw value it came
# from (os.environ's own bytes, where CPython exposes them), so a changed variable (tests'
# monkeypatch.setenv) is still seen at the next call.
_ENV = "FUNCDIFF_BACKEND"
_env_data = getattr(os.environ, "_data", None)
try:
    _env_key: Any = os.environ.encodekey(_ENV)  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - not CPython's os.environ
    _env_data = None
_default: list = [object(), None, None]  # [raw environment value, its name, its backend]


def get_backend(name: str | None = None) -> Backend:
    """The backend called ``name``, or the default one (``FUNCDIFF_BACKEND``)."""
    if not name:
        raw = _env_data.get(_env_key) if _env_data is not None else os.environ.get(_ENV)
        cached = _default
        # Also checked against the registry, which tests may patch (a fresh strict backend).
        if raw == cached[0] and _BACKENDS.get(cached[1]) is cached[2]:
            return cached[2]
        name = os.environ.get(_ENV, "numpy")
        b = _get_backend(name)
        cached[:] = [raw, name, b]
        return b
    return _get_backend(name)


def _get_backend(name: str) -> Backend:
    if name == "cupy":
        b = _load_cupy()
        if b is None:
            raise RuntimeError(
                "FUNCDIFF_BACKEND=cupy but CuPy or a GPU is not available; install it with "
                "`pip install funcdiff[cuda]` or choose FUNCDIFF_BACKEND=numpy"
            )
        return b
    try:
        return _BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"unknown backend {name!r}: choose one of 'numpy', 'strict', 'cupy'"
        ) from None


def backend_of(raw: Any) -> Backend:
    """The backend owning a raw array value."""
    b = _BY_TYPE.get(type(raw))
    if b is None:
        if isinstance(raw, np.ndarray):
            return _BACKENDS["numpy"]
        if type(raw).__module__.startswith("cupy") and _load_cupy() is not None:
            return _BACKENDS["cupy"]
        raise TypeError(f"{type(raw).__name__} is not an array of any funcdiff backend")
    return b


def is_device_array(raw: Any) -> bool:
    """Whether ``raw`` is an array of a backend other than host NumPy (strict, CuPy)."""
    return type(raw) in _BY_TYPE and type(raw) is not np.ndarray


def all_devices() -> list[Device]:
    """Every device: the CPU first, then the GPUs that CuPy sees."""
    devs = list(_BACKENDS["numpy"].devices())
    default = get_backend()
    if default.name == "strict":
        devs = list(default.devices())
    cp = _load_cupy()
    if cp is not None:
        devs += cp.devices()
    return devs


def backend_for_device(device: Device) -> Backend:
    if device.backend_name == "cupy":
        return get_backend("cupy")
    return _BACKENDS[device.backend_name]


__all__ = [
    "Backend", "Device", "StrictArray", "all_devices", "backend_for_device", "backend_of",
    "get_backend", "is_device_array", "strict_np",
]
