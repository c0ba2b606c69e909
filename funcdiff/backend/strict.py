"""The strict test backend: NumPy arrays that refuse silent conversion to host NumPy.

CuPy arrays raise when NumPy tries to read them (``np.asarray(x)``); this backend does the
same on a CPU, so a test suite run with ``FUNCDIFF_BACKEND=strict`` catches every place
that would break on a GPU. Computation goes through :data:`strict_np`, a namespace that
unwraps, calls NumPy and wraps the results again, as ``cupy`` would compute on the device.

It also refuses what CuPy refuses (the tables are in :mod:`.cupy_api`): NumPy functions,
keyword arguments and ufunc methods CuPy does not have, host NumPy arrays passed where CuPy
wants device arrays, and ``operator.index`` of an array (CuPy arrays have no ``__index__``).

Like CuPy it can hold several devices (``StrictBackend(devices=2)``, or
``FUNCDIFF_STRICT_DEVICES=2``): each array remembers the device it was made on, new
results go to the *current* device (:meth:`StrictBackend.on_device` sets it, as
``cupy.cuda.Device`` does), and an operation given an array of another device raises, as
CuPy does without peer access. Tests of data placement run on a CPU that way.
"""

from __future__ import annotations

import contextlib
import operator
import os
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import cupy_api
from .base import Backend, Device


def _unwrap(x: Any) -> Any:
    if type(x) is StrictArray:
        return x._a
    if type(x) in (tuple, list):
        return type(x)(_unwrap(v) for v in x)
    return x


def _unwrap_kw(kwargs: dict) -> dict:
    return {k: _unwrap(v) for k, v in kwargs.items()}


class _Current(threading.local):
    dev = 0  # the current device of this thread (as cupy.cuda.Device's)


_current = _Current()


def _wrap(x: Any) -> Any:
    if isinstance(x, (np.ndarray, np.generic)) and not isinstance(x, np.dtype):
        return StrictArray(np.asarray(x), _current.dev)
    if type(x) in (tuple, list):
        return type(x)(_wrap(v) for v in x)
    return x


class StrictArray:
    """A device-like array: computes like NumPy, but ``np.asarray(x)`` raises, as for CuPy."""

    __slots__ = ("_a", "_dev")
    __array_priority__ = 100

    def __init__(self, a: np.ndarray, dev: int = 0) -> None:
        self._a = a
        self._dev = dev

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
        if name in cupy_api.NDARRAY_MISSING:
            raise AttributeError(f"CuPy arrays have no attribute {name!r} (strict backend)")
        if name == "flags":
            return _Flags(self._a.flags)
        attr = getattr(self._a, name)
        if callable(attr):
            return lambda *a, **k: _wrap(attr(*_unwrap(a), **_unwrap_kw(k)))
        return _wrap(attr) if isinstance(attr, np.ndarray) else attr

    def __getitem__(self, idx: Any) -> StrictArray:
        _check_devices("indexing", (self, idx), {})
        return _wrap(self._a[_unwrap(idx)])

    def __setitem__(self, idx: Any, value: Any) -> None:
        _check_devices("index assignment", (self, idx, value), {})
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
        # CuPy arrays have no __index__ (int(x) works, x as a Python index does not).
        raise TypeError(
            "a strict-backend array cannot be used as a Python index (CuPy arrays have no "
            "__index__): convert it explicitly with int(x)"
        )

    def __complex__(self) -> complex:
        return complex(self._a)

    def __iter__(self):
        raise TypeError("iterating a strict-backend array would copy it to the host element-wise")

    def __repr__(self) -> str:
        return f"StrictArray({self._a!r})"


class _Flags:
    """CuPy's ``ndarray.flags``: contiguity and ownership only (no ``writeable``)."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, flags: Any) -> None:
        self.c_contiguous = flags.c_contiguous
        self.f_contiguous = flags.f_contiguous
        self.owndata = flags.owndata


def _binop(name: str):
    op = getattr(operator, name)

    def method(self, other):
        _check_devices(name, (self, other), {})
        return _wrap(op(self._a, _unwrap(other)))

    def rmethod(self, other):
        _check_devices(name, (self, other), {})
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


def _refuse_host(what: str, args: tuple, kwargs: dict) -> None:
    """CuPy does not take host NumPy arrays where it computes, nor arrays of a device other
    than the current one: neither does this backend."""
    for v in (*args, *kwargs.values()):
        for x in (v if type(v) in (tuple, list) else (v,)):
            if type(x) is np.ndarray:
                raise TypeError(
                    f"{what} got a host NumPy array: CuPy refuses those (no silent copy to "
                    "the device). Copy it first with xp.asarray(x), or keep it a Python/NumPy "
                    "scalar"
                )
            if type(x) is StrictArray and x._dev != _current.dev:
                _wrong_device(what, x._dev)


def _check_devices(what: str, args: tuple, kwargs: dict) -> None:
    for v in (*args, *kwargs.values()):
        for x in (v if type(v) in (tuple, list) else (v,)):
            if type(x) is StrictArray and x._dev != _current.dev:
                _wrong_device(what, x._dev)


def _wrong_device(what: str, dev: int) -> None:
    raise ValueError(
        f"{what}: an array resides on device {dev}, which differs from the current device "
        f"({_current.dev}) (strict backend, as CuPy without peer access)"
    )


def _checked(prefix: str, name: str, attr: Any) -> Any:
    """``attr`` (a NumPy function) as the strict namespace's, refusing what CuPy would."""
    what = f"xp.{prefix}{name}"
    ufunc = isinstance(attr, np.ufunc)
    inexact_int = cupy_api.UFUNC_INEXACT_INT.get(name) if ufunc and not prefix else None

    def fn(*args: Any, **kwargs: Any) -> Any:
        bad = cupy_api.bad_keywords(prefix, name, kwargs)
        if bad:
            raise TypeError(
                f"{what} was called with keyword arguments {bad} that CuPy's version does not "
                "take (strict backend); spell it so that both NumPy and CuPy accept it, or add "
                "a helper to funcdiff/backend/extras.py"
            )
        if name not in cupy_api.FROM_HOST:
            _refuse_host(what, args, kwargs)
        if name in cupy_api.ARRAY_FIRST and not prefix and args and (
                type(args[0]) is not StrictArray):
            raise TypeError(
                f"{what} got a {type(args[0]).__name__}, not a device array: CuPy's version "
                "would return a host NumPy result or raise. Make it a device array first "
                "(xp.asarray)"
            )
        if inexact_int:
            _refuse_inexact_int(what, attr, inexact_int, args, kwargs)
        return _wrap(attr(*_unwrap(args), **_unwrap_kw(kwargs)))

    fn.__name__ = name
    if ufunc:  # ufunc.at / reduce / accumulate, where CuPy has them
        fn.at = _ufunc_method(attr, "at", name in cupy_api.UFUNC_AT, what)
        fn.reduce = _ufunc_method(attr, "reduce", name in cupy_api.UFUNC_REDUCE, what)
        fn.accumulate = _ufunc_method(attr, "accumulate", name in cupy_api.UFUNC_REDUCE, what)
    return fn


def _refuse_inexact_int(what: str, ufunc: np.ufunc, dtypes: frozenset[str], args: tuple,
                        kwargs: dict) -> None:
    """Refuse a call whose loop CuPy computes through float64 on integers that do not fit.

    The loop is the one NumPy resolves, under NEP 50 as CuPy 14 does: a Python int takes
    the array's dtype (``fmod(int32_array, 7)`` stays int32 and exact), a NumPy scalar
    counts with its own (``np.int64(7)`` makes it int64). The table lists only dtypes whose
    values float64 cannot all hold (int64, uint64): on int8..int32 CuPy's float route gives
    NumPy's answer, so refusing them would flag correct code.
    """
    ins = []
    for x in _unwrap(args[:ufunc.nin]):
        if isinstance(x, (np.ndarray, np.generic)):
            ins.append(x.dtype)
        elif type(x) in (int, float, complex):
            ins.append(type(x))  # weak: the other operands' dtype decides
        else:
            ins.append(np.asarray(x).dtype)
    out = kwargs.get("dtype")
    sig = {} if out is None else {"signature": (*(None,) * ufunc.nin, np.dtype(out))}
    try:
        loop = ufunc.resolve_dtypes((*ins, *(None,) * ufunc.nout), **sig)
    except (TypeError, ValueError):
        return  # NumPy refuses the call itself, with its own message
    bad = sorted({t.name for t in loop[:ufunc.nin]} & dtypes)
    if bad:
        raise TypeError(
            f"{what} on {bad[0]} is inexact on CuPy: it computes in float64, which rounds "
            "integers past 2**53 (strict backend). Use an integer-exact formulation (as "
            "lax.rem does: xp.remainder, then a sign fix) or a helper of "
            "funcdiff/backend/extras.py"
        )


def _ufunc_method(ufunc: np.ufunc, method: str, supported: bool, what: str) -> Any:
    bound = getattr(ufunc, method)

    def call(*args: Any, **kwargs: Any) -> Any:
        if not supported:
            raise NotImplementedError(
                f"{what}.{method} does not exist on CuPy (strict backend): use a helper of "
                "funcdiff/backend/extras.py (scatter, cumulative_extremum…) instead"
            )
        _refuse_host(f"{what}.{method}", args, kwargs)
        target = _unwrap(args[0]) if method == "at" and args else None
        dtype = str(target.dtype) if hasattr(target, "dtype") else None
        kernels = cupy_api.UFUNC_AT_DTYPES.get(ufunc.__name__)
        if dtype and kernels is not None and dtype not in kernels:
            raise TypeError(
                f"{what}.at has no {dtype} kernel on CuPy, which raises (it takes "
                f"{', '.join(sorted(kernels))}; strict backend): use "
                "funcdiff.backend.extras.scatter, which goes round by round on the others"
            )
        if dtype and (ufunc.__name__, dtype) in cupy_api.UFUNC_AT_INEXACT:
            raise TypeError(
                f"{what}.at on {dtype} is inexact on CuPy (its kernel rounds through "
                "float32): use funcdiff.backend.extras.scatter, which avoids it"
            )
        out = bound(*_unwrap(args), **_unwrap_kw(kwargs))
        return None if method == "at" else _wrap(out)

    return call


class _StrictNamespace:
    """``xp`` for the strict backend: NumPy's functions that CuPy also has, unwrapping and
    re-wrapping."""

    ndarray = StrictArray
    __name__ = "strict_np"

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if cupy_api.missing("", name):
            raise AttributeError(
                f"CuPy has no {name!r}, so the strict backend has none either: route the "
                "NumPy/CuPy difference through funcdiff/backend/extras.py"
            )
        attr = getattr(np, name)
        if isinstance(attr, type) or not callable(attr):
            return attr  # dtypes, constants (np.float32, np.pi, np.newaxis)
        fn = _checked("", name, attr)
        self.__dict__[name] = fn
        return fn

    @property
    def linalg(self) -> Any:
        return _SubNamespace(np.linalg, "linalg.")

    @property
    def fft(self) -> Any:
        return _SubNamespace(np.fft, "fft.")


class _SubNamespace:
    def __init__(self, mod: Any, prefix: str) -> None:
        self._mod = mod
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        if cupy_api.missing(self._prefix, name):
            raise AttributeError(
                f"CuPy has no {self._prefix}{name}, so the strict backend has none either"
            )
        attr = getattr(self._mod, name)
        if isinstance(attr, type) or not callable(attr):
            return attr  # LinAlgError
        return _checked(self._prefix, name, attr)


strict_np = _StrictNamespace()


class StrictBackend(Backend):
    """NumPy computing behind CuPy's restrictions, on ``devices`` simulated devices."""

    name = "strict"
    xp = strict_np
    array_types = (StrictArray,)

    def __init__(self, devices: int | None = None) -> None:
        # It stands in for a GPU, but lives on the CPU: report it as such.
        n = devices if devices is not None else int(os.environ.get("FUNCDIFF_STRICT_DEVICES",
                                                                   "1"))
        self._devices = [Device("cpu", i, self.name) for i in range(max(n, 1))]
        self.multi_device = len(self._devices) > 1

    def devices(self) -> list[Device]:
        return self._devices

    def device_of(self, x: StrictArray) -> Device:
        return self._devices[x._dev]

    def current_device(self) -> Device:
        return self._devices[_current.dev]

    @contextlib.contextmanager
    def on_device(self, device: Device) -> Iterator[None]:
        prev, _current.dev = _current.dev, device.id
        try:
            yield
        finally:
            _current.dev = prev

    def from_host(self, x: np.ndarray, device: Device | None = None) -> StrictArray:
        return StrictArray(np.array(x, copy=True), _current.dev if device is None
                           else device.id)

    def to_host(self, x: StrictArray) -> np.ndarray:
        return x.get()
