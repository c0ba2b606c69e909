"""Type promotion and argument checking for ``funcdiff.numpy`` (JAX's rules).

Python scalars are weakly typed: they take the dtype their partners promote to, and are
made directly in that dtype (so ``x_int32 + 2**40`` overflows loudly instead of wrapping).
Errors raised here name the function, what was wrong and the user's source line.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import lax
from ..backend import get_backend
from ..core import dtypes
from ..core.array import Array
from ..core.convert import array_from_host, as_operand
from ..core.primitive import ShapeError
from ..core.source import at_user_line
from ..core.tracing import get_aval
from ..lax._family import canonical_axes

_SCALARS = (bool, int, float, complex)
_REAL_SCALARS = (bool, int, float)


def asarray_op(x: Any, what: str = "an argument") -> Any:
    """Arrays and Python scalars (kept weak) pass; other data becomes an array."""
    if isinstance(x, Array):
        return x
    if isinstance(x, (list, tuple)):
        from .creation import array

        return array(x)  # lists may hold (traced) arrays
    return as_operand(x, what=what)


def is_python_scalar(x: Any) -> bool:
    """Whether ``x`` is a Python number (weakly typed); NumPy scalars are not, even
    ``np.float64``, which subclasses ``float``."""
    return type(x) in _SCALARS


def _scalar_typed(x: Any) -> tuple[np.dtype, bool]:
    return dtypes.dtype_of_scalar(x), not isinstance(x, bool)


def scalar_array(x: Any, dt: np.dtype, weak: bool) -> Any:
    """The Python scalar ``x`` as a concrete array of ``dt``.

    As in JAX, an integer must fit the default integer type when the operation is on
    integers, and then converts with C's wrap-around to narrower types.
    """
    # Made for every `x + 1.0`: arrays are immutable, so equal requests share one array.
    key = _scalar_key(x, dt, weak)
    cached = _scalar_arrays.get(key) if key is not None else None
    if cached is not None:
        return cached
    out = _scalar_array(x, dt, weak)
    if key is not None:
        if len(_scalar_arrays) > 4096:
            _scalar_arrays.clear()
        _scalar_arrays[key] = out
    return out


_scalar_arrays: dict[tuple, Any] = {}


def _scalar_key(x: Any, dt: np.dtype, weak: bool) -> tuple | None:
    t = type(x)
    if t is float:
        if x != x:
            return None  # NaN never equals itself: not cacheable
        return (t, x, math.copysign(1.0, x), dt, weak, get_backend())  # -0.0 is not 0.0
    if t is int or t is bool:
        return (t, x, dt, weak, get_backend())
    return None


def _scalar_array(x: Any, dt: np.dtype, weak: bool) -> Any:
    if isinstance(x, complex) and dt.kind != "c":
        raise type_error(f"cannot use the complex number {x} in an operation on {dt} arrays")
    if type(x) is int and dt.kind in "iu":
        info = np.iinfo(dtypes.default_int())
        if not info.min <= x <= info.max:
            raise OverflowError(
                f"the Python int {x} does not fit in {dtypes.default_int()}, funcdiff's "
                f"default integer{at_user_line()}; use a float, or enable 64-bit types with "
                "fd.config.update('enable_x64', True)"
            )
        host = np.array(x, dtype=np.int64).astype(dt)
    else:
        host = np.array(x).astype(dt)
    return array_from_host(host, dt, weak=weak)


def promote_dtypes(*args: Any, op: str = "") -> list[Any]:
    """Convert arguments to their common dtype (Python scalars stay weakly typed).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> x, y = promote_dtypes(fnp.ones(2, dtype=fnp.int32), 2.0)
        >>> x.dtype, y.dtype, y.weak_type
        (dtype('float32'), dtype('float32'), True)
    """
    if args and isinstance(args[0], Array):
        # The common case first: arrays that all share one type need no conversion.
        aval = args[0].aval
        for a in args:
            if not isinstance(a, Array) or (a.aval is not aval and (
                    a.aval.dtype != aval.dtype or a.aval.weak_type != aval.weak_type)):
                break
        else:
            return list(args)
    if len(args) == 2:
        # A strongly typed float array and a Python number (`x * 2.0`, `1 - x`): the
        # number takes the array's dtype, which is the result's.
        x, y = args
        if type(y) in _REAL_SCALARS and isinstance(x, Array):
            aval = x.aval
            if aval.dtype.kind == "f" and not aval.weak_type:
                return [x, scalar_array(y, aval.dtype, False)]
        elif type(x) in _REAL_SCALARS and isinstance(y, Array):
            aval = y.aval
            if aval.dtype.kind == "f" and not aval.weak_type:
                return [scalar_array(x, aval.dtype, False), y]
    what = f"an argument of {op}" if op else "an argument"
    ops = [a if is_python_scalar(a) else asarray_op(a, what) for a in args]
    typed = [_scalar_typed(o) if is_python_scalar(o) else
             (get_aval(o).dtype, get_aval(o).weak_type) for o in ops]
    dt, weak = dtypes.result_type(*typed)
    out = []
    for o, (odt, oweak) in zip(ops, typed):
        if is_python_scalar(o):
            out.append(scalar_array(o, dt, weak))
        elif odt == dt and (oweak == weak or not weak):
            out.append(o)
        else:
            out.append(lax.convert_element_type(o, dt, weak_type=weak))
    return out


def inexact_dtype(dt: np.dtype) -> np.dtype:
    """The float an integer or boolean dtype computes in: float32 up to 32 bits, float64
    for 64-bit integers (with ``enable_x64``), as in JAX."""
    if dtypes.is_inexact(dt):
        return dt
    return dtypes.canonicalize(dtypes.float64 if dt.itemsize == 8 else dtypes.float32)


def promote_inexact(*args: Any, op: str = "") -> list[Any]:
    """Like :func:`promote_dtypes`, then integers and booleans become floats
    (:func:`inexact_dtype`)."""
    ops = promote_dtypes(*args, op=op)
    dt = get_aval(ops[0]).dtype if ops else dtypes.default_float()
    if dtypes.is_inexact(dt):
        return ops
    return [lax.convert_element_type(o, inexact_dtype(dt), weak_type=get_aval(o).weak_type)
            for o in ops]


def check_arraylike(name: str, *args: Any) -> None:
    """Raise a ``TypeError`` naming ``name`` when an argument is not array-like."""
    for i, a in enumerate(args):
        if not isinstance(a, (Array, np.ndarray, np.generic, list, tuple) + _SCALARS):
            raise TypeError(
                f"{name} requires array-like arguments (arrays, numbers or lists), got "
                f"{type(a).__name__} at position {i}{at_user_line()}"
            )


def axes(name: str, axis: Any, ndim: int, shape: tuple | None = None) -> tuple[int, ...]:
    """``axis`` (None, an int or a sequence) as sorted non-negative axes; bad axes raise a
    ``ValueError`` naming ``name``, the axis, the rank and the user's line."""
    try:
        return canonical_axes(name, axis, ndim)
    except (ValueError, TypeError) as e:
        what = f" (shape {shape})" if shape is not None else ""
        raise type(e)(f"{e}{what}; valid axes are {-ndim}..{ndim - 1}{at_user_line()}"
                      if ndim else f"{e}{what}; a 0-d array has no axes{at_user_line()}"
                      ) from None


def axis1(name: str, axis: Any, ndim: int, shape: tuple | None = None) -> int:
    """One axis as a non-negative int (see :func:`axes`)."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{name}: axis must be an int, got {axis!r}{at_user_line()}")
    return axes(name, axis, ndim, shape)[0]


def shape_error(msg: str) -> ShapeError:
    """A :class:`ShapeError` whose message ends with the user's source line."""
    return ShapeError(f"{msg}{at_user_line()}")


def value_error(msg: str) -> ValueError:
    """A ``ValueError`` whose message ends with the user's source line."""
    return ValueError(f"{msg}{at_user_line()}")


def type_error(msg: str) -> TypeError:
    """A ``TypeError`` whose message ends with the user's source line."""
    return TypeError(f"{msg}{at_user_line()}")
