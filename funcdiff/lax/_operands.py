"""Argument handling shared by the lax wrappers: conversions and weak scalars."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import dtypes
from ..core.array import Array
from ..core.convert import as_operand

_SCALARS = (bool, int, float, complex)


def operands(*args: Any) -> list[Any]:
    """Arrays pass through; data becomes arrays; Python scalars take a partner's dtype.

    A Python scalar is weakly typed: it becomes a typed scalar of the first array
    argument's dtype (``lax.mul(x_f32, 2)`` multiplies by ``float32(2)``).
    """
    for a in args:
        if not isinstance(a, Array):
            break
    else:
        return list(args)  # only arrays: nothing to convert (the common case)
    out = [a if isinstance(a, Array) or isinstance(a, _SCALARS) else as_operand(a) for a in args]
    ref = next((a for a in out if isinstance(a, Array)), None)
    if ref is None:
        dt = dtypes.result_type(*((dtypes.dtype_of_scalar(a), True) for a in out))[0]
    else:
        dt = ref.aval.dtype
    return [typed_scalar(a, dt) if isinstance(a, _SCALARS) else a for a in out]


def typed_scalar(x: Any, dtype: np.dtype, weak: bool = True) -> Any:
    """``x`` as a scalar of ``dtype``: weak (a NumPy scalar) or strong (a 0-d array)."""
    if weak:
        # Rules use a few constants (1, 0.5, 2.0…) over and over: NumPy scalars are
        # immutable, so each is made once per dtype. NaN and -0.0 are made every time.
        t = type(x)
        if (t is int or (t is float and x == x and x != 0.0)) and x in _SMALL_CONSTANTS:
            key = (t, x, dtype)
            out = _typed_scalars.get(key)
            if out is None:
                out = _typed_scalars[key] = _typed_scalar(x, dtype, True)
            return out
    return _typed_scalar(x, dtype, weak)


# Constants cached by typed_scalar (a fixed set, so the cache stays small).
_SMALL_CONSTANTS = frozenset([-2, -1, 0, 1, 2, 3, -0.5, 0.5, 1.0, -1.0, 2.0, 3.0, 1 / 3])
_typed_scalars: dict[tuple, Any] = {}


def _typed_scalar(x: Any, dtype: np.dtype, weak: bool) -> Any:
    if isinstance(x, complex) and dtype.kind != "c":
        raise TypeError(f"cannot use the complex scalar {x} in an operation on {dtype}")
    if isinstance(x, float) and dtype.kind in "biu" and not float(x).is_integer():
        raise TypeError(
            f"the Python float {x} would lose its fraction as {dtype}; convert the array "
            "to a float dtype first"
        )
    arr = np.array(x).astype(dtype)
    return arr[()] if weak else arr
