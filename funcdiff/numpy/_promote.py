"""Type promotion and argument conversion for ``funcdiff.numpy`` (JAX's rules)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.array import Array
from ..core.convert import as_operand
from ..core.tracing import get_aval

_SCALARS = (bool, int, float, complex)


def asarray_op(x: Any, what: str = "an argument") -> Any:
    """Arrays and Python scalars (kept weak) pass; other data becomes an array."""
    if isinstance(x, Array):
        return x
    return as_operand(x, what=what)


def promote_dtypes(*args: Any) -> list[Any]:
    """Convert arguments to their common dtype (Python scalars stay weakly typed)."""
    ops = [asarray_op(a) for a in args]
    avals = [get_aval(o) for o in ops]
    dt, weak = dtypes.result_type(*((a.dtype, a.weak_type) for a in avals))
    return [o if (a.dtype == dt and a.weak_type == weak) or (a.dtype == dt and not weak)
            else lax.convert_element_type(o, dt, weak_type=weak)
            for o, a in zip(ops, avals)]


def promote_inexact(*args: Any) -> list[Any]:
    """Like :func:`promote_dtypes`, then integers and booleans become the default float."""
    ops = promote_dtypes(*args)
    dt = get_aval(ops[0]).dtype if ops else dtypes.default_float()
    if dtypes.is_inexact(dt):
        return ops
    return [lax.convert_element_type(o, dtypes.default_float(), weak_type=get_aval(o).weak_type)
            for o in ops]


def check_arraylike(name: str, *args: Any) -> None:
    for a in args:
        if not isinstance(a, (Array, np.ndarray, np.generic, list, tuple) + _SCALARS):
            raise TypeError(f"{name} requires array-like arguments, got {type(a).__name__}")
