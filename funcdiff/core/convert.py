"""Turning what users pass (Python scalars, NumPy arrays, lists) into operands."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend as _backend
from . import dtypes
from .array import Array, ArrayImpl
from .aval import ShapedArray
from .source import at_user_line


def array_from_host(x: Any, dtype: Any = None, *, weak: bool = False,
                    explicit: bool = False) -> ArrayImpl:
    """A new concrete array on the default backend from host data."""
    host = np.asarray(x) if dtype is None else np.asarray(x, dtype=np.dtype(dtype))
    if host.dtype.kind not in "biufc":
        raise TypeError(
            f"cannot make a funcdiff array from data of dtype {host.dtype} "
            f"({type(x).__name__}); funcdiff arrays hold booleans or numbers{at_user_line()}"
        )
    dt = dtypes.canonicalize(host.dtype, explicit=explicit and dtype is not None)
    if host.dtype != dt:
        host = host.astype(dt)
    elif host is x or not host.flags.owndata:
        # The caller's memory (a NumPy array, a view): copy, so that changing it later cannot
        # change this immutable array, and donating this array cannot overwrite it.
        host = host.copy()
    raw = _backend.get_backend().from_host(host)
    return ArrayImpl(raw, ShapedArray(host.shape, dt, weak))


def _holds_array(xs: Any) -> bool:
    return any(isinstance(x, Array) or (isinstance(x, (list, tuple)) and _holds_array(x))
               for x in xs)


def _check_int_range(x: Any) -> Any:
    if type(x) is int:
        info = np.iinfo(dtypes.default_int())
        if not info.min <= x <= info.max:
            raise OverflowError(
                f"Python int {x} is too large for {dtypes.default_int()} (funcdiff's default "
                "integer); use a float, or enable 64-bit types with "
                "fd.config.update('enable_x64', True)"
            )
    return x


def as_operand(x: Any, *, what: str = "an argument") -> Any:
    """``x`` as something ``bind`` accepts: arrays pass, scalars stay weak, data is placed."""
    if isinstance(x, Array):
        return x
    if type(x) in (bool, int, float, complex):
        # Python numbers are weakly typed; bools are not (as in JAX). NumPy scalars (even
        # np.float64, a float subclass) are strongly typed.
        return array_from_host(_check_int_range(x), dtypes.dtype_of_scalar(x),
                               weak=not isinstance(x, bool))
    if isinstance(x, (list, tuple)) and _holds_array(x):
        raise TypeError(
            f"{what} is a {type(x).__name__} holding funcdiff arrays; turn it into one array "
            "first with fnp.stack(...) or fnp.array(...)"
        )
    if isinstance(x, (np.ndarray, np.generic, list, tuple)):
        return array_from_host(x)
    if _backend.is_device_array(x) or type(x).__module__.startswith("cupy"):
        return ArrayImpl(x, ShapedArray(x.shape, dtypes.canonicalize(x.dtype)))
    raise TypeError(
        f"{what} must be an array or a number, got {type(x).__name__}: {x!r:.80}"
        f"{at_user_line()}"
    )
