"""The strict test backend: NumPy arrays that refuse silent conversion to host NumPy.

CuPy arrays raise when NumPy tries to read them (``np.asarray(x)``); this backend does the
same on a CPU, so a test suite run with ``FUNCDIFF_BACKEND=strict`` catches every place
that would break on a GPU. Computation goes through :data:`strict_np`, a namespace that
unwraps, calls NumPy and wraps the results again, as ``cupy`` would compute on the device.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .base import Backend, Device


def _unwrap(x: Any) -> Any:
    if type(x) is StrictArray:
        return x._a
    if type(x) in (tuple, list):
        return type(x)(_unwrap(v) for v in x)
    return x


def _unwrap_kw(kwargs: dict) -> dict:
    return {k: _unwrap(v) for k, v in kwargs.items()}


def _wrap(x: Any) -> Any:
    if isinstance(x, (np.ndarray, np.generic)) and not isinstance(x, np.dtype):
        return StrictArray(np.asarray(x))
    if type(x) in (tuple, list):
        return type(x)(_wrap(v) for v in x)
    return x


class StrictArray:
    """A device-like array: computes like NumPy, but ``np.asarray(x)`` raises, as for CuPy."""

    __slots__ = ("_a",)
    __array_priority__ = 100

    def __init__(self, a: np.ndarray) -> None:
        self._a = a

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed on the strict backend "
            "(as on CuPy). Use .get() or funcdiff.device_get(x) to copy to the host."
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # NumPy ufuncs applied directly to a strict array are host computation in disguise.
        raise TypeError(
            f"numpy.{ufunc.__name__} was called on a strict-backend array: call the backend "
            "namespace (xp) instead of numpy inside funcdiff"
        )

    def get(self) -> np.ndarray:
        """Copy to a host NumPy array (CuPy's spelling)."""
        return self._a.copy()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            # Not the buffer protocols (`__array_interface__`…): NumPy would read the data
            # through them and the host copy would happen silently after all.
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if callable(attr):
            return lambda *a, **k: _wrap(attr(*_unwrap(a), **_unwrap_kw(k)))
        return _wrap(attr) if isinstance(attr, np.ndarray) else attr

    def __getitem__(self, idx: Any) -> StrictArray:
        return _wrap(self._a[_unwrap(idx)])

    def __setitem__(self, idx: Any, value: Any) -> None:
        self._a[_unwrap(idx)] = _unwrap(value)

    def __len__(self) -> int:
        return len(self._a)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __index__(self) -> int:
        return operator.index(self._a)

    def __complex__(self) -> complex:
        return complex(self._a)

    def __iter__(self):
        raise TypeError("iterating a strict-backend array would copy it to the host element-wise")

    def __repr__(self) -> str:
        return f"StrictArray({self._a!r})"


def _binop(name: str):
    op = getattr(operator, name)

    def method(self, other):
        return _wrap(op(self._a, _unwrap(other)))

    def rmethod(self, other):
        return _wrap(op(_unwrap(other), self._a))

    return method, rmethod


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and_",
              "or_", "xor", "lshift", "rshift", "lt", "le", "gt", "ge", "eq", "ne"):
    _m, _r = _binop(_name)
    _dunder = _name.rstrip("_")
    setattr(StrictArray, f"__{_dunder}__", _m)
    if _name not in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(StrictArray, f"__r{_dunder}__", _r)
for _name in ("neg", "pos", "abs", "invert"):
    setattr(StrictArray, f"__{_name}__",
            (lambda op: lambda self: _wrap(op(self._a)))(getattr(operator, _name)))
StrictArray.__hash__ = None  # type: ignore[assignment]


class _StrictNamespace:
    """``xp`` for the strict backend: every NumPy function, unwrapping and re-wrapping."""

    ndarray = StrictArray

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(np, name)
        if isinstance(attr, type) or not callable(attr):
            return attr  # dtypes, constants (np.float32, np.pi, np.newaxis)
        sub = getattr(attr, "at", None)

        def fn(*args: Any, **kwargs: Any) -> Any:
            return _wrap(attr(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))

        fn.__name__ = name
        if sub is not None:  # ufunc.at / ufunc.reduce etc. used for scatters
            fn.at = lambda a, idx, v=None: attr.at(_unwrap(a), _unwrap(idx), _unwrap(v))
            fn.reduce = lambda *a, **k: _wrap(attr.reduce(*_unwrap(a), **_unwrap(k)))
            fn.accumulate = lambda *a, **k: _wrap(attr.accumulate(*_unwrap(a), **_unwrap(k)))
        self.__dict__[name] = fn
        return fn

    @property
    def linalg(self) -> Any:
        return _SubNamespace(np.linalg)

    @property
    def fft(self) -> Any:
        return _SubNamespace(np.fft)


class _SubNamespace:
    def __init__(self, mod: Any) -> None:
        self._mod = mod

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._mod, name)
        return lambda *a, **k: _wrap(attr(*_unwrap(a), **{kk: _unwrap(v) for kk, v in k.items()}))


strict_np = _StrictNamespace()


class StrictBackend(Backend):
    name = "strict"
    xp = strict_np
    array_types = (StrictArray,)

    def __init__(self) -> None:
        # It stands in for a GPU, but lives on the CPU: report it as such.
        self._devices = [Device("cpu", 0, self.name)]

    def devices(self) -> list[Device]:
        return self._devices

    def from_host(self, x: np.ndarray, device: Device | None = None) -> StrictArray:
        return StrictArray(np.array(x, copy=True))

    def to_host(self, x: StrictArray) -> np.ndarray:
        return x.get()
