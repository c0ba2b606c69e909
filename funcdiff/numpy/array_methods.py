"""Operators and methods of :class:`funcdiff.Array`, defined with ``funcdiff.numpy``.

The core owns storage; this module gives arrays their NumPy-like behaviour, so one
definition serves concrete arrays and every kind of tracer. Methods take the arguments of
the ``funcdiff.numpy`` function of the same name (``x.sum(axis=0, keepdims=True)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.array import Array
from . import (
    floating,
    indexing,
    manipulation,
    products,
    reductions,
    shapes,
    sorting,
    ufuncs,
)


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


def _astype(self: Any, dtype: Any, copy: bool = False, device: Any = None) -> Any:
    """``self`` converted to ``dtype`` (64-bit requests warn without ``enable_x64``)."""
    from .creation import astype

    return astype(self, dtype, device=device)


def _reshape(self: Any, *shape: Any, order: str = "C") -> Any:
    """``self`` with a new shape: ``x.reshape(2, 3)`` or ``x.reshape((2, 3))``."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    return shapes.reshape(self, shape, order)


def _transpose(self: Any, *axes: Any) -> Any:
    """Permute axes: ``x.transpose()``, ``x.transpose(1, 0)`` or ``x.transpose((1, 0))``."""
    if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], (int, np.integer))):
        axes = axes[0]
    return shapes.transpose(self, axes or None)


def _flatten(self: Any, order: str = "C") -> Any:
    """``self`` flattened to one axis."""
    return shapes.reshape(self, (-1,), order)


def _round_method(self: Any, ndigits: int | None = None) -> Any:
    # Python's round(x) gives an integer; round(x, n) keeps the dtype (as for JAX arrays).
    if ndigits is None:
        return lax.convert_element_type(ufuncs.round(self), dtypes.default_int())
    return ufuncs.round(self, ndigits)


def _compress(self: Any, condition: Any, axis: Any = None, **kwargs: Any) -> Any:
    """The slices of ``self`` along ``axis`` where ``condition`` holds."""
    return manipulation.compress(condition, self, axis, **kwargs)


def _choose(self: Any, choices: Any, out: Any = None, mode: str = "raise") -> Any:
    """Elementwise, ``choices[self]``."""
    return manipulation.choose(self, choices, out, mode)


def _searchsorted(self: Any, v: Any, side: str = "left", sorter: Any = None, **kw: Any) -> Any:
    """Insertion indices of ``v`` into ``self`` (sorted, 1-D)."""
    return sorting.searchsorted(self, v, side, sorter, **kw)


def _tobytes(self: Any, order: str = "C") -> bytes:
    """The raw bytes of the array's data (an explicit copy to the host)."""
    from ..core.tracing import to_host

    return to_host(self).tobytes(order)


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
    Array.__round__ = _round_method
    Array.__getitem__ = indexing.getitem
    Array.at = property(indexing._IndexUpdateHelper, doc="Functional updates: x.at[i].set(v).")
    Array.T = property(lambda self: shapes.transpose(self), doc="The transposed array.")
    Array.mT = property(lambda self: shapes.swapaxes(self, -1, -2),
                        doc="The array with its last two axes swapped.")
    Array.real = property(floating.real, doc="The real part.")
    Array.imag = property(floating.imag, doc="The imaginary part.")
    methods = {
        "sum": reductions.sum, "mean": reductions.mean, "max": reductions.max,
        "min": reductions.min, "prod": reductions.prod, "var": reductions.var,
        "std": reductions.std, "argmax": reductions.argmax, "argmin": reductions.argmin,
        "all": reductions.all, "any": reductions.any, "cumsum": reductions.cumsum,
        "cumprod": reductions.cumprod, "ptp": reductions.ptp, "ravel": _flatten,
        "flatten": _flatten, "squeeze": shapes.squeeze, "swapaxes": shapes.swapaxes,
        "repeat": shapes.repeat, "clip": ufuncs.clip, "round": ufuncs.round,
        "dot": products.dot, "take": indexing.take, "nonzero": manipulation.nonzero,
        "diagonal": products.diagonal, "trace": products.trace, "sort": sorting.sort,
        "argsort": sorting.argsort, "astype": _astype, "reshape": _reshape,
        "transpose": _transpose, "conj": floating.conjugate, "conjugate": floating.conjugate,
        "copy": lambda self: self, "compress": _compress, "choose": _choose,
        "searchsorted": _searchsorted, "tobytes": _tobytes,
    }
    for name, fn in methods.items():
        setattr(Array, name, fn)
