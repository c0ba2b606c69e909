"""Dtypes: canonicalization under ``enable_x64`` and JAX's type-promotion lattice.

Python scalars are *weakly typed*: they take the dtype of the array they meet
(``x_f32 * 2.0`` stays float32). Promotion follows JAX's lattice, so ``int32 + float32``
is float32 and ``uint8 + int8`` is int16, without NumPy's value-dependent rules.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

from .config import config
from .source import at_user_line

bool_ = np.dtype("bool")
int8, int16, int32, int64 = (np.dtype(f"int{b}") for b in (8, 16, 32, 64))
uint8, uint16, uint32, uint64 = (np.dtype(f"uint{b}") for b in (8, 16, 32, 64))
float16, float32, float64 = (np.dtype(f"float{b}") for b in (16, 32, 64))
complex64, complex128 = np.dtype("complex64"), np.dtype("complex128")

_X64_TO_X32 = {int64: int32, uint64: uint32, float64: float32, complex128: complex64}


# Python's own types name the default width of their kind: `dtype=float` is no explicit
# request for 64 bits, so it never warns (as in JAX).
_PYTHON_TYPES = (bool, int, float, complex)


def _is_python_type(t: Any) -> bool:
    # Identity, not equality: np.dtype("float64") == float holds.
    return any(t is p for p in _PYTHON_TYPES)


def _as_np_dtype(dtype: Any) -> np.dtype:
    if dtype is None:
        raise TypeError("dtype must be a dtype (like fnp.float32 or 'int32'), got None")
    # funcdiff.numpy's scalar types (fnp.float32) carry their NumPy dtype as `.dtype`.
    inner = getattr(dtype, "dtype", None)
    if isinstance(inner, np.dtype) and isinstance(dtype, type):
        return inner
    try:
        return np.dtype(dtype)
    except TypeError as e:
        raise TypeError(
            f"{dtype!r} is not a dtype funcdiff understands; use one like fnp.float32, "
            f"fnp.int32, fnp.bool_ or a name such as 'float32'{at_user_line()}"
        ) from e


def canonicalize(dtype: Any, *, explicit: bool = False, op: str = "") -> np.dtype:
    """The dtype funcdiff stores for a requested ``dtype``.

    Without ``enable_x64``, 64-bit types become 32-bit ones; when the request was
    ``explicit`` (a user passed ``dtype=float64``), that truncation warns, naming ``op`` and
    the user's source line. Python's ``int``, ``float`` and ``complex`` mean the default
    width of their kind and never warn.

    Examples:
        >>> canonicalize("float64")
        dtype('float32')
        >>> canonicalize(float, explicit=True)
        dtype('float32')
    """
    dt = _as_np_dtype(dtype)
    if dt.kind not in "biufc":
        raise TypeError(
            f"funcdiff arrays hold booleans or numbers; dtype {dt} is not supported "
            f"(use a bool, integer, float or complex dtype){at_user_line()}"
        )
    if not config.enable_x64 and dt in _X64_TO_X32:
        small = _X64_TO_X32[dt]
        if explicit and not _is_python_type(dtype):
            where = f" in {op}" if op else ""
            warnings.warn(
                f"Explicitly requested dtype {dt}{where} is not available and was truncated "
                f"to {small}. Enable 64-bit types with fd.config.update('enable_x64', True).",
                UserWarning,
                stacklevel=_user_stacklevel(),
            )
        return small
    return dt


def _user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first frame outside funcdiff."""
    import os
    import sys

    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    f, level = sys._getframe(1), 1
    while f is not None and f.f_code.co_filename.startswith(pkg):
        f, level = f.f_back, level + 1
    return level


def promote_types(a: Any, b: Any) -> np.dtype:
    """The dtype JAX's lattice gives two dtypes (Python ``int``/``float``/``complex`` weak).

    Examples:
        >>> promote_types("int8", "uint8")
        dtype('int16')
        >>> promote_types("float16", float)
        dtype('float16')
    """
    typed = [(canonicalize(t), _is_python_type(t) and t is not bool) for t in (a, b)]
    return result_type(*typed)[0]


def default_float() -> np.dtype:
    return float64 if config.enable_x64 else float32


def default_int() -> np.dtype:
    return int64 if config.enable_x64 else int32


def default_complex() -> np.dtype:
    return complex128 if config.enable_x64 else complex64


def is_float(dt: np.dtype) -> bool:
    return dt.kind == "f"


def is_inexact(dt: np.dtype) -> bool:
    return dt.kind in "fc"


def is_integer(dt: np.dtype) -> bool:
    return dt.kind in "iu"


def short_name(dt: np.dtype) -> str:
    """``f32``, ``i32``, ``bool`` — the form used in avals and printed jaxprs."""
    if dt == bool_:
        return "bool"
    return f"{dt.kind}{dt.itemsize * 8}"


# The lattice: each type lists the types directly above it. "i*", "f*", "c*" are the weak
# (Python scalar) kinds, which sit below every concrete type of their kind.
_LATTICE: dict[Any, list[Any]] = {
    bool_: ["i*"],
    "i*": [uint8, int8],
    uint8: [uint16, int16], uint16: [uint32, int32], uint32: [uint64, int64], uint64: ["f*"],
    int8: [int16], int16: [int32], int32: [int64], int64: ["f*"],
    "f*": ["c*", float16],
    float16: [float32], float32: [float64, complex64], float64: [complex128],
    "c*": [complex64], complex64: [complex128], complex128: [],
}


def _upper_bounds(node: Any) -> frozenset:
    seen, stack = set(), [node]
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(_LATTICE[n])
    return frozenset(seen)


_UB = {n: _upper_bounds(n) for n in _LATTICE}


def _node(dt: np.dtype, weak: bool) -> Any:
    if weak:
        return {"i": "i*", "u": "i*", "f": "f*", "c": "c*"}.get(dt.kind, dt)
    return dt


@functools.lru_cache(maxsize=512)
def _join(nodes: tuple) -> Any:
    common = functools.reduce(frozenset.intersection, (_UB[n] for n in nodes))
    # The least upper bound is the common bound whose own bounds include all the others.
    for c in common:
        if _UB[c] >= common:
            return c
    raise TypeError(f"no common type for {nodes}")


def result_type(*typed: tuple[np.dtype, bool]) -> tuple[np.dtype, bool]:
    """Promote ``(dtype, weak_type)`` pairs; returns the joined ``(dtype, weak_type)``.

    Examples:
        >>> result_type((int32, False), (float32, False))
        (dtype('float32'), False)
        >>> result_type((float32, False), (float32, True))  # x_f32 * 2.0
        (dtype('float32'), False)
        >>> result_type((int32, False), (float32, True))    # x_i32 * 2.0
        (dtype('float32'), True)
    """
    nodes = tuple(_node(dt, weak) for dt, weak in typed)
    j = _join(nodes)
    if isinstance(j, str):
        # Only weak types joined: the result is weak, with the default width of that kind;
        # a weak type joined with a concrete one of the same kind keeps the concrete width.
        concrete = [dt for (dt, weak) in typed if not weak]
        kind = j[0]
        same = [dt for dt in concrete if (dt.kind in "iu" and kind == "i") or dt.kind == kind]
        if same:
            return canonicalize(max(same, key=lambda d: d.itemsize)), True
        dt = {"i": default_int, "f": default_float, "c": default_complex}[kind]()
        return dt, True
    return canonicalize(j), False


def dtype_of_scalar(x: Any) -> np.dtype:
    """The weak dtype funcdiff gives a Python scalar."""
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return default_int()
    if isinstance(x, float):
        return default_float()
    if isinstance(x, complex):
        return default_complex()
    raise TypeError(f"{type(x).__name__} is not a Python scalar")


def finfo(dtype: Any) -> np.finfo:
    """Machine limits of a floating dtype, like ``jnp.finfo``."""
    return np.finfo(canonicalize(dtype))


def iinfo(dtype: Any) -> np.iinfo:
    """Machine limits of an integer dtype, like ``jnp.iinfo``."""
    return np.iinfo(canonicalize(dtype))
