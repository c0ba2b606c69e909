"""Scalar types of ``funcdiff.numpy`` (``fnp.float32``…), dtypes that can also be called,
and the dtype queries (``result_type``, ``promote_types``, ``can_cast``, ``issubdtype``…).

As in ``jax.numpy``, ``fnp.float32`` works wherever a dtype is expected
(``dtype=fnp.float32``, ``np.dtype(fnp.float32)``, ``fnp.float32 == np.float32``), and
calling it makes a funcdiff array of that dtype: ``fnp.float32(3)`` is
``Array(3., dtype=float32)``, never a NumPy scalar on the host.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class _ScalarMeta(type):
    """The metaclass of funcdiff's scalar types: equal and hashed as NumPy's, callable."""

    dtype: np.dtype

    def __hash__(cls) -> int:
        return hash(cls.dtype.type)

    def __eq__(cls, other: Any) -> bool:
        return cls is other or cls.dtype.type == other

    def __ne__(cls, other: Any) -> bool:
        return not cls == other

    def __call__(cls, x: Any) -> Any:
        from .creation import asarray

        return asarray(x, dtype=cls.dtype)

    def __instancecheck__(cls, instance: Any) -> bool:
        # NumPy scalars of this dtype are instances, as for JAX's scalar types.
        return isinstance(instance, cls.dtype.type)

    def __repr__(cls) -> str:
        return f"<class 'funcdiff.numpy.{cls.__name__}'>"


def _make(np_type: Any, name: str | None = None) -> _ScalarMeta:
    dt = np.dtype(np_type)
    name = name or dt.name
    doc = (f"The {dt.name} scalar type: a dtype (``dtype=fnp.{name}``), and callable: "
           f"``fnp.{name}(x)`` is ``fnp.asarray(x, dtype=fnp.{name})``.")
    return _ScalarMeta(name, (), {"dtype": dt, "__doc__": doc, "__module__": "funcdiff.numpy"})


bool_ = _make(np.bool_, "bool")
int8, int16, int32, int64 = (_make(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (_make(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
float16, float32, float64 = (_make(t) for t in (np.float16, np.float32, np.float64))
complex64, complex128 = _make(np.complex64), _make(np.complex128)

# NumPy's aliases, as jax.numpy spells them (the 64-bit ones truncate without x64).
float_, double, single = float64, float64, float32
int_, uint = int64, uint64
complex_, cdouble, csingle = complex128, complex128, complex64

SCALAR_TYPES = (bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32,
                float64, complex64, complex128)

# The abstract kinds are NumPy's own (jax.numpy does the same).
generic, number, integer, signedinteger, unsignedinteger = (
    np.generic, np.number, np.integer, np.signedinteger, np.unsignedinteger)
inexact, floating, complexfloating = np.inexact, np.floating, np.complexfloating


# --- dtype queries ---------------------------------------------------------------------------


def _typed(x: Any) -> tuple[np.dtype, bool]:
    """``(dtype, weak_type)`` of an array, a Python scalar (weak) or a dtype-like."""
    from ..core import dtypes
    from ..core.array import Array

    if isinstance(x, Array):
        return x.dtype, x.weak_type
    if isinstance(x, (np.ndarray, np.generic)):
        return dtypes.canonicalize(x.dtype), False
    if isinstance(x, (bool, int, float, complex)):
        return dtypes.dtype_of_scalar(x), not isinstance(x, bool)
    if any(x is t for t in (int, float, complex)):  # Python's types are weak, as in JAX
        return dtypes.canonicalize(x), True
    return dtypes.canonicalize(x), False


def result_type(*args: Any) -> np.dtype:
    """The dtype JAX's promotion gives ``args`` (arrays, dtypes or Python scalars).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.result_type(fnp.int8, fnp.uint8)
        dtype('int16')
        >>> fnp.result_type(fnp.ones(2, dtype=fnp.float16), 1.0)
        dtype('float16')
    """
    from ..core import dtypes

    if not args:
        raise ValueError("result_type needs at least one argument")
    return dtypes.result_type(*(_typed(a) for a in args))[0]


def promote_types(a: Any, b: Any) -> np.dtype:
    """The dtype two dtypes promote to (JAX's lattice, never value-dependent).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.promote_types(fnp.int32, fnp.float32)
        dtype('float32')
    """
    from ..core import dtypes

    return dtypes.promote_types(a, b)


def can_cast(from_: Any, to: Any, casting: str = "safe") -> bool:
    """Whether a cast between dtypes is allowed under NumPy's ``casting`` rule.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.can_cast(fnp.int32, fnp.float32)
        False
    """
    from ..core import dtypes

    src = _typed(from_)[0] if not isinstance(from_, type) else dtypes.canonicalize(from_)
    return bool(np.can_cast(src, dtypes.canonicalize(to), casting))


def issubdtype(arg1: Any, arg2: Any) -> bool:
    """Whether ``arg1`` is a sub-type of ``arg2`` (``fnp.floating``, ``fnp.int32``…).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.issubdtype(fnp.float32, fnp.floating), fnp.issubdtype(fnp.bool_, fnp.integer)
        (True, False)
    """
    return bool(np.issubdtype(plain_dtype(arg1), plain_dtype(arg2)))


_KINDS = {
    "bool": "b", "signed integer": "i", "unsigned integer": "u", "integral": "iu",
    "real floating": "f", "complex floating": "c", "numeric": "iufc",
}


def isdtype(dtype: Any, kind: Any) -> bool:
    """The array API's dtype test: ``kind`` is a dtype, a kind name or a tuple of them.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.isdtype(fnp.float32, "real floating"), fnp.isdtype(fnp.int8, ("bool", "integral"))
        (True, True)
    """
    from ..core import dtypes

    dt = dtypes.canonicalize(dtype) if not isinstance(dtype, np.dtype) else dtype
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str):
            if k not in _KINDS:
                raise ValueError(f"isdtype: unknown kind {k!r}; use one of {sorted(_KINDS)}")
            if dt.kind in _KINDS[k]:
                return True
        elif dt == np.dtype(plain_dtype(k)):
            return True
    return False


def plain_dtype(t: Any) -> Any:
    """A dtype-like with funcdiff's scalar types replaced by their NumPy dtypes."""
    return t.dtype if isinstance(t, _ScalarMeta) else t
