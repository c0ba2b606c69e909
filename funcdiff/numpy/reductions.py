"""Reductions of ``funcdiff.numpy``: ``sum``, ``mean``, ``max``, ``var``, ``argmax``, the
cumulative ones and their NaN-ignoring twins (``nansum``, ``nanmean``…).

Every reduction takes JAX's arguments: ``axis`` (None, an int or a tuple), ``keepdims``,
and where NumPy has them ``dtype``, ``initial`` and a boolean ``where`` mask.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from .. import lax
from ..backend import get_backend
from ..core import dtypes
from ..core.array import Array
from ..core.convert import as_operand
from ..core.tracing import get_aval
from ._promote import asarray_op, axis1, value_error
from ._promote import axes as _axes


def _prep(name: str, a: Any, axis: Any, out: Any = None) -> tuple[Any, tuple[int, ...]]:
    if out is not None:
        raise NotImplementedError(f"{name}: the `out` argument is not supported (arrays are "
                                  "immutable); use the returned array")
    a = asarray_op(a, f"an argument of {name}")
    aval = get_aval(a)
    if aval.weak_type:  # reductions give strongly typed results, as in JAX
        a = lax.convert_element_type(a, aval.dtype)
    return a, _axes(name, axis, aval.ndim, aval.shape)


def _keep(out: Any, shape: tuple, axes: tuple, keepdims: bool) -> Any:
    if not keepdims:
        return out
    return lax.reshape(out, tuple(1 if i in axes else d for i, d in enumerate(shape)))


def _mask(name: str, where: Any, shape: tuple) -> Any:
    from .ufuncs import _bool

    w = _bool(where)
    try:
        np.broadcast_shapes(get_aval(w).shape, shape)
    except ValueError:
        raise value_error(f"{name}: the where mask of shape {get_aval(w).shape} does not "
                          f"broadcast to the array's shape {shape}") from None
    return lax.broadcast_to(w, shape)


def _masked(name: str, a: Any, where: Any, fill: Any) -> Any:
    if where is None:
        return a
    shape = get_aval(a).shape
    return lax.select(_mask(name, where, shape), a, lax.full(shape, fill, get_aval(a).dtype))


def _sum_dtype(dt: Any, promote_integers: bool = True) -> Any:
    # Booleans and narrow integers accumulate in the default integer, as in JAX.
    if dt.kind == "b":
        return dtypes.default_int()
    if promote_integers and dt.kind in "iu" and dt.itemsize < dtypes.default_int().itemsize:
        return dtypes.default_int() if dt.kind == "i" else dtypes.canonicalize("uint64")
    return dt


def _out_dtype(name: str, dtype: Any, default: Any) -> Any:
    return default if dtype is None else dtypes.canonicalize(dtype, explicit=True, op=name)


def sum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
        initial: Any = None, where: Any = None, promote_integers: bool = True) -> Any:
    """Sum of elements over ``axis`` (all axes when None).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.sum(fnp.array([[1, 2], [3, 4]]), axis=0)
        Array([4, 6], dtype=int32)
        >>> fnp.sum(fnp.array([1.0, 2.0, 3.0]), where=fnp.array([True, False, True]))
        Array(4., dtype=float32)
    """
    if (dtype is None and out is None and initial is None and where is None and not keepdims
            and isinstance(a, Array)):
        aval = a.aval
        if aval.dtype.kind in "fc" and not aval.weak_type:  # the common case, in one bind
            axes = _fast_axes("sum", axis, aval)
            return lax.reduce_sum_p.bind(a, axes=axes) if axes else a
    a, axes = _prep("sum", a, axis, out)
    aval = get_aval(a)
    dt = _out_dtype("sum", dtype, _sum_dtype(aval.dtype, promote_integers))
    a = lax.convert_element_type(a, dt)
    r = lax.reduce_sum(_masked("sum", a, where, 0), axes)
    if initial is not None:
        r = lax.add(r, lax.convert_element_type(asarray_op(initial), dt))
    return _keep(r, aval.shape, axes, keepdims)


def prod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
         initial: Any = None, where: Any = None, promote_integers: bool = True) -> Any:
    """Product of elements over ``axis``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.prod(fnp.array([[1.0, 2.0], [3.0, 4.0]]), axis=1)
        Array([ 2., 12.], dtype=float32)
    """
    a, axes = _prep("prod", a, axis, out)
    aval = get_aval(a)
    dt = _out_dtype("prod", dtype, _sum_dtype(aval.dtype, promote_integers))
    a = lax.convert_element_type(a, dt)
    r = lax.reduce_prod(_masked("prod", a, where, 1), axes)
    if initial is not None:
        r = lax.mul(r, lax.convert_element_type(asarray_op(initial), dt))
    return _keep(r, aval.shape, axes, keepdims)


def _lowest(dt: np.dtype, highest: bool) -> Any:
    if dt.kind == "b":
        return highest
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return info.max if highest else info.min
    return np.inf if highest else -np.inf


def _extremum(name: str, reducer: Any, combine: Any, highest: bool, a: Any, axis: Any,
              out: Any, keepdims: bool, initial: Any, where: Any) -> Any:
    a, axes = _prep(name, a, axis, out)
    aval = get_aval(a)
    if initial is None:
        if where is not None:
            raise value_error(f"{name}: a `where` mask needs an `initial` value (the reduction "
                              "has no identity for rows where the mask is all False)")
        if builtins.any(aval.shape[i] == 0 for i in axes):
            raise value_error(f"{name}: zero-size array (shape {aval.shape}) has no {name} "
                              "along the reduced axes; pass `initial=`")
    init = None if initial is None else lax.convert_element_type(asarray_op(initial),
                                                                 aval.dtype)
    if builtins.any(aval.shape[i] == 0 for i in axes):
        kept = tuple(d for i, d in enumerate(aval.shape) if i not in axes)
        return _keep(lax.broadcast_to(init, kept), aval.shape, axes, keepdims)
    r = reducer(_masked(name, a, where, _lowest(aval.dtype, highest)), axes)
    if init is not None:
        r = combine(r, init)
    return _keep(r, aval.shape, axes, keepdims)


def max(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, initial: Any = None,
        where: Any = None) -> Any:
    """Maximum over ``axis``; gradients split evenly between tied maxima.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.max(fnp.array([[1.0, 5.0], [3.0, 2.0]]), axis=1)
        Array([5., 3.], dtype=float32)
    """
    return _extremum("max", lax.reduce_max, lax.max, False, a, axis, out, keepdims, initial,
                     where)


def min(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, initial: Any = None,
        where: Any = None) -> Any:
    """Minimum over ``axis``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.min(fnp.array([[1.0, 5.0], [3.0, 2.0]]), axis=0)
        Array([1., 2.], dtype=float32)
    """
    return _extremum("min", lax.reduce_min, lax.min, True, a, axis, out, keepdims, initial,
                     where)


amax, amin = max, min


def all(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, *,
        where: Any = None) -> Any:
    """Whether all elements over ``axis`` are true.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.all(fnp.array([[1, 0], [1, 1]]), axis=1)
        Array([False,  True], dtype=bool)
    """
    from .ufuncs import _bool

    a, axes = _prep("all", a, axis, out)
    b = _masked("all", _bool(a), where, True)
    return _keep(lax.reduce_and(b, axes), get_aval(a).shape, axes, keepdims)


def any(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, *,
        where: Any = None) -> Any:
    """Whether any element over ``axis`` is true.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.any(fnp.array([[1, 0], [0, 0]]), axis=1)
        Array([ True, False], dtype=bool)
    """
    from .ufuncs import _bool

    a, axes = _prep("any", a, axis, out)
    b = _masked("any", _bool(a), where, False)
    return _keep(lax.reduce_or(b, axes), get_aval(a).shape, axes, keepdims)


def _fast_axes(name: str, axis: Any, aval: Any) -> tuple[int, ...]:
    if axis is None:
        return _ALL_AXES[aval.ndim] if aval.ndim < len(_ALL_AXES) else tuple(range(aval.ndim))
    return _axes(name, axis, aval.ndim, aval.shape)


_ALL_AXES = [tuple(range(n)) for n in range(8)]
# The element counts means divide by, as strongly typed scalar arrays: made once per count,
# dtype and backend (arrays are immutable), not copied from the host at every call.
_counts: dict[tuple, Any] = {}


def _count_array(n: int, dt: np.dtype) -> Any:
    key = (n, dt, get_backend())
    c = _counts.get(key)
    if c is None:
        if len(_counts) > 1024:
            _counts.clear()
        c = _counts[key] = as_operand(np.array(n, dtype=dt))
    return c


def _count(name: str, shape: tuple, axes: tuple, where: Any, dt: Any, keepdims: bool) -> Any:
    if where is None:
        return np.array(math.prod(shape[i] for i in axes), dtype=dt)
    w = lax.convert_element_type(_mask(name, where, shape), dt)
    return _keep(lax.reduce_sum(w, axes), shape, axes, keepdims)


def _float_dtype(name: str, dtype: Any, dt: np.dtype) -> np.dtype:
    from ._promote import inexact_dtype

    return _out_dtype(name, dtype, inexact_dtype(dt))


def mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
         *, where: Any = None) -> Any:
    """Arithmetic mean over ``axis`` (integers average as the default float).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.mean(fnp.array([1, 2, 3, 4]))
        Array(2.5, dtype=float32)
    """
    if dtype is None and out is None and where is None and not keepdims and isinstance(a, Array):
        aval = a.aval
        if aval.dtype.kind in "fc" and not aval.weak_type:  # the common case, in two binds
            axes = _fast_axes("mean", axis, aval)
            total = lax.reduce_sum_p.bind(a, axes=axes) if axes else a
            shape = aval.shape
            return lax.div_p.bind(total, _count_array(math.prod(shape[i] for i in axes),
                                                      aval.dtype))
    a, axes = _prep("mean", a, axis, out)
    aval = get_aval(a)
    if where is not None:
        _mask("mean", where, aval.shape)
    dt = _float_dtype("mean", dtype, aval.dtype)
    total = sum(lax.convert_element_type(a, dt), axis=axes, keepdims=keepdims, where=where)
    return lax.div(total, _count("mean", aval.shape, axes, where, dt, keepdims))


def var(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
        keepdims: bool = False, *, where: Any = None, correction: Any = None) -> Any:
    """Variance over ``axis`` with ``ddof`` (or ``correction``) delta degrees of freedom.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.var(fnp.array([1.0, 2.0, 3.0, 4.0]), ddof=1)
        Array(1.6666666, dtype=float32)
    """
    a, axes = _prep("var", a, axis, out)
    if correction is not None:
        ddof = correction
    aval = get_aval(a)
    if where is not None:
        _mask("var", where, aval.shape)
    dt = _float_dtype("var", dtype, aval.dtype)
    a = lax.convert_element_type(a, dt)
    centered = lax.sub(a, mean(a, axis=axes, keepdims=True, where=where))
    ss = sum(lax.mul(centered, centered), axis=axes, keepdims=keepdims, where=where)
    n = _count("var", aval.shape, axes, where, dt, keepdims)
    return lax.div(ss, lax.max(lax.sub(n, np.array(ddof, dt)), np.array(0, dt)))


def std(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
        keepdims: bool = False, *, where: Any = None, correction: Any = None) -> Any:
    """Standard deviation over ``axis``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.std(fnp.array([1.0, 3.0]))
        Array(1., dtype=float32)
    """
    return lax.sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, correction=correction))


def argmax(a: Any, axis: Any = None, out: Any = None, keepdims: bool | None = None) -> Any:
    """Index of the (first) maximum; over the flattened array when ``axis`` is None.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.argmax(fnp.array([1.0, 3.0, 2.0]))
        Array(1, dtype=int32)
    """
    return _arg("argmax", lax.argmax, a, axis, out, keepdims)


def argmin(a: Any, axis: Any = None, out: Any = None, keepdims: bool | None = None) -> Any:
    """Index of the (first) minimum; over the flattened array when ``axis`` is None.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.argmin(fnp.array([[1.0, 3.0], [0.0, 2.0]]), axis=1)
        Array([0, 0], dtype=int32)
    """
    return _arg("argmin", lax.argmin, a, axis, out, keepdims)


def _arg(name: str, fn: Any, a: Any, axis: Any, out: Any, keepdims: Any) -> Any:
    a, _ = _prep(name, a, None, out)
    shape = get_aval(a).shape
    if 0 in shape and (axis is None or shape[axis1(name, axis, len(shape), shape)] == 0):
        raise value_error(f"{name}: attempt to get {name} of an empty sequence (shape {shape})")
    if axis is None:
        r = fn(lax.reshape(a, (-1,)), 0)
        return lax.reshape(r, (1,) * len(shape)) if keepdims else r
    ax = axis1(name, axis, len(shape), shape)
    return _keep(fn(a, ax), shape, (ax,), bool(keepdims))


def _cum(name: str, fn: Any, a: Any, axis: Any, dtype: Any, out: Any) -> Any:
    a, _ = _prep(name, a, None, out)
    if axis is None:
        a, axis = lax.reshape(a, (-1,)), 0
    aval = get_aval(a)
    ax = axis1(name, axis, aval.ndim, aval.shape)
    # Cumulative sums keep integer widths (only booleans widen), as in JAX.
    default = dtypes.default_int() if aval.dtype.kind == "b" else aval.dtype
    return fn(lax.convert_element_type(a, _out_dtype(name, dtype, default)), ax)


def cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative sum along ``axis`` (of the flattened array when None).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.cumsum(fnp.array([[1, 2], [3, 4]]), axis=1)
        Array([[1, 3],
               [3, 7]], dtype=int32)
    """
    return _cum("cumsum", lax.cumsum, a, axis, dtype, out)


def cumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative product along ``axis`` (of the flattened array when None).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.cumprod(fnp.array([1.0, 2.0, 3.0]))
        Array([1., 2., 6.], dtype=float32)
    """
    return _cum("cumprod", lax.cumprod, a, axis, dtype, out)


def _cumulative(name: str, fn: Any, identity: int, x: Any, axis: Any, dtype: Any,
                include_initial: bool) -> Any:
    x = asarray_op(x, f"an argument of {name}")
    shape = get_aval(x).shape
    if axis is None:
        if len(shape) > 1:
            raise value_error(f"{name}: axis must be given for arrays of more than one "
                              f"dimension (shape {shape})")
        axis = 0
    r = fn(x, axis=axis, dtype=dtype)
    if not include_initial:
        return r
    ax = axis1(name, axis, len(shape), shape)
    first = lax.full(tuple(1 if i == ax else d for i, d in enumerate(shape)), identity,
                     get_aval(r).dtype)
    return lax.concatenate([first, r], ax)


def cumulative_sum(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                   include_initial: bool = False) -> Any:
    """Cumulative sum (the array API's spelling; ``include_initial`` prepends a 0).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.cumulative_sum(fnp.array([1, 2, 3]), include_initial=True)
        Array([0, 1, 3, 6], dtype=int32)
    """
    return _cumulative("cumulative_sum", cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                    include_initial: bool = False) -> Any:
    """Cumulative product (the array API's spelling; ``include_initial`` prepends a 1).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.cumulative_prod(fnp.array([1, 2, 3]))
        Array([1, 2, 6], dtype=int32)
    """
    return _cumulative("cumulative_prod", cumprod, 1, x, axis, dtype, include_initial)


def count_nonzero(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Number of non-zero elements over ``axis``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.count_nonzero(fnp.array([[1, 0], [2, 0]]), axis=0)
        Array([2, 0], dtype=int32)
    """
    from .ufuncs import _bool

    a, axes = _prep("count_nonzero", a, axis)
    return sum(_bool(a), axis=axes, keepdims=keepdims)


def ptp(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    """Range (maximum minus minimum) over ``axis``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.ptp(fnp.array([[1, 5], [0, 2]]), axis=1)
        Array([4, 2], dtype=int32)
    """
    return lax.sub(max(a, axis, out, keepdims), min(a, axis, out, keepdims))


# --- NaN-ignoring reductions ------------------------------------------------------------------


def _nan_fill(name: str, a: Any, fill: Any) -> tuple[Any, Any]:
    """``a`` with NaNs replaced by ``fill``, and the mask of non-NaN elements (or None)."""
    from .ufuncs import isnan

    a = asarray_op(a, f"an argument of {name}")
    if not dtypes.is_inexact(get_aval(a).dtype):
        return a, None
    ok = lax.bitwise_not(isnan(a))
    return lax.select(ok, a, lax.full(get_aval(a).shape, fill, get_aval(a).dtype)), ok


def nansum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Any:
    """Sum over ``axis`` treating NaNs as zero.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nansum(fnp.array([1.0, fnp.nan, 2.0]))
        Array(3., dtype=float32)
    """
    filled, _ = _nan_fill("nansum", a, 0)
    return sum(filled, axis, dtype, out, keepdims, initial, where)


def nanprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """Product over ``axis`` treating NaNs as one.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nanprod(fnp.array([3.0, fnp.nan, 2.0]))
        Array(6., dtype=float32)
    """
    filled, _ = _nan_fill("nanprod", a, 1)
    return prod(filled, axis, dtype, out, keepdims, initial, where)


def _nan_extremum(name: str, fn: Any, highest: bool, a: Any, axis: Any, out: Any,
                  keepdims: bool, initial: Any, where: Any) -> Any:
    filled, ok = _nan_fill(name, a, _lowest(get_aval(asarray_op(a)).dtype, highest))
    r = fn(filled, axis, out, keepdims, initial, where)
    if ok is None:
        return r
    # All-NaN slices give NaN, as in NumPy.
    seen = any(ok, axis=axis, keepdims=keepdims, where=where)
    return lax.select(seen, r, lax.full(get_aval(r).shape, np.nan, get_aval(r).dtype))


def nanmax(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Any:
    """Maximum over ``axis`` ignoring NaNs (NaN where a slice is all NaN).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nanmax(fnp.array([1.0, fnp.nan, 2.0]))
        Array(2., dtype=float32)
    """
    return _nan_extremum("nanmax", max, False, a, axis, out, keepdims, initial, where)


def nanmin(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Any:
    """Minimum over ``axis`` ignoring NaNs (NaN where a slice is all NaN).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nanmin(fnp.array([1.0, fnp.nan, 2.0]))
        Array(1., dtype=float32)
    """
    return _nan_extremum("nanmin", min, True, a, axis, out, keepdims, initial, where)


def _nan_arg(name: str, fn: Any, highest: bool, a: Any, axis: Any, keepdims: Any) -> Any:
    filled, ok = _nan_fill(name, a, _lowest(get_aval(asarray_op(a)).dtype, highest))
    r = fn(filled, axis, keepdims=keepdims)
    if ok is None:
        return r
    seen = any(ok, axis=axis, keepdims=bool(keepdims))
    return lax.select(seen, r, lax.full(get_aval(r).shape, -1, get_aval(r).dtype))


def nanargmax(a: Any, axis: Any = None, out: Any = None, keepdims: bool | None = None) -> Any:
    """Index of the maximum ignoring NaNs (-1 where a slice is all NaN).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nanargmax(fnp.array([1.0, fnp.nan, 2.0]))
        Array(2, dtype=int32)
    """
    return _nan_arg("nanargmax", argmax, False, a, axis, keepdims)


def nanargmin(a: Any, axis: Any = None, out: Any = None, keepdims: bool | None = None) -> Any:
    """Index of the minimum ignoring NaNs (-1 where a slice is all NaN).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nanargmin(fnp.array([fnp.nan, 2.0, 1.0]))
        Array(2, dtype=int32)
    """
    return _nan_arg("nanargmin", argmin, True, a, axis, keepdims)


def nancumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative sum treating NaNs as zero.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nancumsum(fnp.array([1.0, fnp.nan, 2.0]))
        Array([1., 1., 3.], dtype=float32)
    """
    return cumsum(_nan_fill("nancumsum", a, 0)[0], axis, dtype, out)


def nancumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative product treating NaNs as one.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nancumprod(fnp.array([2.0, fnp.nan, 2.0]))
        Array([2., 2., 4.], dtype=float32)
    """
    return cumprod(_nan_fill("nancumprod", a, 1)[0], axis, dtype, out)


def _nan_where(ok: Any, where: Any) -> Any:
    if ok is None:
        return where
    return ok if where is None else lax.bitwise_and(ok, lax.broadcast_to(
        asarray_op(where), get_aval(ok).shape))


def nanmean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False, where: Any = None) -> Any:
    """Mean over ``axis`` ignoring NaNs.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nanmean(fnp.array([1.0, fnp.nan, 2.0]))
        Array(1.5, dtype=float32)
    """
    filled, ok = _nan_fill("nanmean", a, 0)
    return mean(filled, axis, dtype, out, keepdims, where=_nan_where(ok, where))


def nanvar(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
           keepdims: bool = False, where: Any = None) -> Any:
    """Variance over ``axis`` ignoring NaNs.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nanvar(fnp.array([1.0, fnp.nan, 3.0]))
        Array(1., dtype=float32)
    """
    filled, ok = _nan_fill("nanvar", a, 0)
    return var(filled, axis, dtype, out, ddof, keepdims, where=_nan_where(ok, where))


def nanstd(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
           keepdims: bool = False, where: Any = None) -> Any:
    """Standard deviation over ``axis`` ignoring NaNs.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nanstd(fnp.array([1.0, fnp.nan, 3.0]))
        Array(1., dtype=float32)
    """
    return lax.sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where))
