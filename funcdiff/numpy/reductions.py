"""Reductions of ``funcdiff.numpy``: ``sum``, ``mean``, ``max``, ``var``, ``argmax``…"""

from __future__ import annotations

import builtins
import math
from typing import Any

from .. import lax
from ..core import dtypes
from ..core.tracing import get_aval
from ..lax._family import canonical_axes
from ._promote import asarray_op


def _prep(name: str, a: Any, axis: Any) -> tuple[Any, tuple[int, ...]]:
    a = asarray_op(a)
    return a, canonical_axes(name, axis, get_aval(a).ndim)


def _keep(out: Any, shape: tuple, axes: tuple, keepdims: bool) -> Any:
    if not keepdims:
        return out
    return lax.reshape(out, tuple(1 if i in axes else d for i, d in enumerate(shape)))


def _sum_dtype(dt: Any) -> Any:
    # Booleans and small integers accumulate in the default integer, as in JAX.
    if dt.kind == "b" or (dt.kind in "iu" and dt.itemsize < dtypes.default_int().itemsize):
        return dtypes.default_int() if dt.kind != "u" else dtypes.canonicalize("uint32")
    return dt


def sum(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """Sum of elements over ``axis`` (all axes when None).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.sum(fnp.array([[1, 2], [3, 4]]), axis=0)
        Array([4, 6], dtype=int32)
    """
    a, axes = _prep("sum", a, axis)
    aval = get_aval(a)
    dt = dtypes.canonicalize(dtype) if dtype is not None else _sum_dtype(aval.dtype)
    a = lax.convert_element_type(a, dt) if dt != aval.dtype else a
    return _keep(lax.reduce_sum(a, axes), aval.shape, axes, keepdims)


def prod(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """Product of elements over ``axis``."""
    a, axes = _prep("prod", a, axis)
    aval = get_aval(a)
    dt = dtypes.canonicalize(dtype) if dtype is not None else _sum_dtype(aval.dtype)
    a = lax.convert_element_type(a, dt) if dt != aval.dtype else a
    return _keep(lax.reduce_prod(a, axes), aval.shape, axes, keepdims)


def max(a: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Any:
    """Maximum over ``axis``; gradients split evenly between tied maxima.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.max(fnp.array([[1.0, 5.0], [3.0, 2.0]]), axis=1)
        Array([5., 3.], dtype=float32)
    """
    a, axes = _prep("max", a, axis)
    _nonempty("max", get_aval(a), axes, initial)
    out = lax.reduce_max(a, axes)
    if initial is not None:
        out = lax.max(out, lax.full((), initial, get_aval(a).dtype))
    return _keep(out, get_aval(a).shape, axes, keepdims)


def min(a: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Any:
    """Minimum over ``axis``."""
    a, axes = _prep("min", a, axis)
    _nonempty("min", get_aval(a), axes, initial)
    out = lax.reduce_min(a, axes)
    if initial is not None:
        out = lax.min(out, lax.full((), initial, get_aval(a).dtype))
    return _keep(out, get_aval(a).shape, axes, keepdims)


amax, amin = max, min


def _nonempty(name: str, aval: Any, axes: tuple, initial: Any) -> None:
    if initial is None and builtins.any(aval.shape[i] == 0 for i in axes):
        raise ValueError(f"zero-size array to reduction operation {name} which has no identity")


def all(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Whether all elements over ``axis`` are true."""
    from .ufuncs import _bool

    a, axes = _prep("all", a, axis)
    return _keep(lax.reduce_and(_bool(a), axes), get_aval(a).shape, axes, keepdims)


def any(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Whether any element over ``axis`` is true."""
    from .ufuncs import _bool

    a, axes = _prep("any", a, axis)
    return _keep(lax.reduce_or(_bool(a), axes), get_aval(a).shape, axes, keepdims)


def mean(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """Arithmetic mean over ``axis`` (integers average as the default float).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.mean(fnp.array([1, 2, 3, 4]))
        Array(2.5, dtype=float32)
    """
    a, axes = _prep("mean", a, axis)
    aval = get_aval(a)
    dt = dtypes.canonicalize(dtype) if dtype is not None else (
        aval.dtype if dtypes.is_inexact(aval.dtype) else dtypes.default_float())
    n = math.prod(aval.shape[i] for i in axes)
    total = sum(lax.convert_element_type(a, dt), axis=axes, keepdims=keepdims)
    return lax.div(total, n)


def var(a: Any, axis: Any = None, dtype: Any = None, ddof: int = 0,
        keepdims: bool = False) -> Any:
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom."""
    a, axes = _prep("var", a, axis)
    aval = get_aval(a)
    dt = dtypes.canonicalize(dtype) if dtype is not None else (
        aval.dtype if dtypes.is_inexact(aval.dtype) else dtypes.default_float())
    a = lax.convert_element_type(a, dt)
    centered = lax.sub(a, mean(a, axis=axes, keepdims=True))
    n = math.prod(aval.shape[i] for i in axes)
    ss = sum(lax.mul(centered, centered), axis=axes, keepdims=keepdims)
    return lax.div(ss, builtins.max(n - ddof, 0))


def std(a: Any, axis: Any = None, dtype: Any = None, ddof: int = 0,
        keepdims: bool = False) -> Any:
    """Standard deviation over ``axis``."""
    return lax.sqrt(var(a, axis, dtype, ddof, keepdims))


def argmax(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Index of the (first) maximum; over the flattened array when ``axis`` is None.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.argmax(fnp.array([1.0, 3.0, 2.0]))
        Array(1, dtype=int32)
    """
    return _arg(lax.argmax, a, axis, keepdims)


def argmin(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Index of the (first) minimum; over the flattened array when ``axis`` is None."""
    return _arg(lax.argmin, a, axis, keepdims)


def _arg(fn: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    a = asarray_op(a)
    shape = get_aval(a).shape
    if axis is None:
        out = fn(lax.reshape(a, (-1,)), 0)
        return lax.reshape(out, (1,) * len(shape)) if keepdims else out
    (ax,) = canonical_axes("argmax", axis, len(shape))
    return _keep(fn(a, ax), shape, (ax,), keepdims)


def cumsum(a: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Cumulative sum along ``axis`` (of the flattened array when None)."""
    a = asarray_op(a)
    if axis is None:
        a, axis = lax.reshape(a, (-1,)), 0
    dt = dtypes.canonicalize(dtype) if dtype is not None else _sum_dtype(get_aval(a).dtype)
    return lax.cumsum(lax.convert_element_type(a, dt), axis)


def cumprod(a: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Cumulative product along ``axis`` (of the flattened array when None)."""
    a = asarray_op(a)
    if axis is None:
        a, axis = lax.reshape(a, (-1,)), 0
    dt = dtypes.canonicalize(dtype) if dtype is not None else _sum_dtype(get_aval(a).dtype)
    return lax.cumprod(lax.convert_element_type(a, dt), axis)


def count_nonzero(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Number of non-zero elements over ``axis``."""
    from .ufuncs import _bool

    return sum(_bool(a), axis=axis, keepdims=keepdims)


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Range (maximum minus minimum) over ``axis``."""
    return lax.sub(max(a, axis, keepdims), min(a, axis, keepdims))
