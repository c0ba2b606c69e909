"""Operators and methods of :class:`funcdiff.Array`, defined with ``funcdiff.numpy``.

The core owns storage; this module gives arrays their NumPy-like behaviour, so one
definition serves concrete arrays and every kind of tracer.
"""

from __future__ import annotations

from typing import Any

from .. import lax
from ..core import dtypes
from ..core.array import Array
from . import indexing, products, reductions, shapes, ufuncs


def _swap(fn: Any) -> Any:
    return lambda self, other: fn(other, self)


def _defer(fn: Any) -> Any:
    # Let other array types (that are not funcdiff's or NumPy's) handle mixed operations.
    def op(self: Any, other: Any) -> Any:
        if not _accepts(other):
            return NotImplemented
        return fn(self, other)

    return op


def _accepts(x: Any) -> bool:
    import numpy as np

    return isinstance(x, (Array, np.ndarray, np.generic, bool, int, float, complex, list, tuple))


_BINARY = {
    "add": ufuncs.add, "sub": ufuncs.subtract, "mul": ufuncs.multiply,
    "truediv": ufuncs.true_divide, "floordiv": ufuncs.floor_divide, "mod": ufuncs.remainder,
    "pow": ufuncs.power, "matmul": products.matmul, "and": ufuncs.bitwise_and,
    "or": ufuncs.bitwise_or, "xor": ufuncs.bitwise_xor, "lshift": ufuncs.left_shift,
    "rshift": ufuncs.right_shift, "divmod": ufuncs.divmod,
}
_COMPARE = {"eq": ufuncs.equal, "ne": ufuncs.not_equal, "lt": ufuncs.less,
            "le": ufuncs.less_equal, "gt": ufuncs.greater, "ge": ufuncs.greater_equal}


def _astype(self: Any, dtype: Any, copy: bool = False) -> Any:
    """``self`` converted to ``dtype``."""
    return lax.convert_element_type(self, dtypes.canonicalize(dtype, explicit=True))


def _reshape(self: Any, *shape: Any, order: str = "C") -> Any:
    """``self`` with a new shape: ``x.reshape(2, 3)`` or ``x.reshape((2, 3))``."""
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return shapes.reshape(self, shape, order)


def _transpose(self: Any, *axes: Any) -> Any:
    """Permute axes: ``x.transpose()``, ``x.transpose(1, 0)`` or ``x.transpose((1, 0))``."""
    if len(axes) == 1 and not isinstance(axes[0], int):
        axes = axes[0]
    return shapes.transpose(self, axes or None)


def _sort(self: Any, axis: int = -1) -> Any:
    from .sorting import sort

    return sort(self, axis=axis)


def _argsort(self: Any, axis: int = -1) -> Any:
    from .sorting import argsort

    return argsort(self, axis=axis)


def install() -> None:
    for name, fn in _BINARY.items():
        setattr(Array, f"__{name}__", _defer(fn))
        setattr(Array, f"__r{name}__", _defer(_swap(fn)))
    for name, fn in _COMPARE.items():
        setattr(Array, f"__{name}__", _defer(fn))
    Array.__neg__ = ufuncs.negative
    Array.__pos__ = ufuncs.positive
    Array.__abs__ = ufuncs.abs
    Array.__invert__ = ufuncs.invert
    Array.__getitem__ = indexing.getitem
    Array.at = property(indexing._IndexUpdateHelper, doc="Functional updates: x.at[i].set(v).")
    Array.T = property(lambda self: shapes.transpose(self), doc="The transposed array.")
    Array.mT = property(lambda self: shapes.swapaxes(self, -1, -2),
                        doc="The array with its last two axes swapped.")
    Array.real = property(lambda self: self, doc="The real part (real arrays only).")
    methods = {
        "sum": reductions.sum, "mean": reductions.mean, "max": reductions.max,
        "min": reductions.min, "prod": reductions.prod, "var": reductions.var,
        "std": reductions.std, "argmax": reductions.argmax, "argmin": reductions.argmin,
        "all": reductions.all, "any": reductions.any, "cumsum": reductions.cumsum,
        "cumprod": reductions.cumprod, "ptp": reductions.ptp, "ravel": shapes.ravel,
        "flatten": shapes.ravel, "squeeze": shapes.squeeze, "swapaxes": shapes.swapaxes,
        "repeat": shapes.repeat, "clip": ufuncs.clip, "round": ufuncs.round,
        "dot": products.dot, "take": indexing.take, "nonzero": indexing.nonzero,
        "diagonal": products.diagonal, "trace": products.trace,
        "astype": _astype, "reshape": _reshape, "transpose": _transpose, "sort": _sort,
        "argsort": _argsort, "conj": lambda self: self, "conjugate": lambda self: self,
        "copy": lambda self: self,
    }
    for name, fn in methods.items():
        setattr(Array, name, fn)
