"""Turning what users pass (Python scalars, NumPy arrays, lists) into operands."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend as _backend
from . import dtypes
from .array import Array, ArrayImpl
from .aval import ShapedArray


def array_from_host(x: Any, dtype: Any = None, *, weak: bool = False,
                    explicit: bool = False) -> ArrayImpl:
    """A new concrete array on the default backend from host data."""
    host = np.asarray(x) if dtype is None else np.asarray(x, dtype=np.dtype(dtype))
    if host.dtype.kind not in "biufc":
        raise TypeError(
            f"cannot make a funcdiff array from data of dtype {host.dtype} "
            f"({type(x).__name__}); funcdiff arrays hold booleans or numbers"
        )
    dt = dtypes.canonicalize(host.dtype, explicit=explicit and dtype is not None)
    if host.dtype != dt:
        host = host.astype(dt)
    raw = _backend.get_backend().from_host(host)
    return ArrayImpl(raw, ShapedArray(host.shape, dt, weak))


def as_operand(x: Any, *, what: str = "an argument") -> Any:
    """``x`` as something ``bind`` accepts: arrays pass, scalars stay weak, data is placed."""
    if isinstance(x, Array):
        return x
    if isinstance(x, (bool, int, float, complex)):
        return array_from_host(x, dtypes.dtype_of_scalar(x), weak=True)
    if isinstance(x, (np.ndarray, np.generic, list, tuple)):
        return array_from_host(x)
    if _backend.is_device_array(x) or type(x).__module__.startswith("cupy"):
        return ArrayImpl(x, ShapedArray(x.shape, dtypes.canonicalize(x.dtype)))
    raise TypeError(
        f"{what} must be an array or a number, got {type(x).__name__}: {x!r:.80}"
    )
