"""Array creation: ``array``, ``asarray``, ``zeros``, ``ones``, ``full``, ``*_like``,
``arange``, ``linspace``, ``eye`` — as in ``jax.numpy``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.array import Array
from ..core.convert import array_from_host
from ..core.tracing import get_aval
from ._promote import asarray_op


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        out = tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"shape must be an int or a sequence of ints, got {shape!r}") from None
    if any(s < 0 for s in out):
        raise ValueError(f"negative dimensions are not allowed, got shape {out}")
    return out


def _dtype(dtype: Any, default: Any) -> np.dtype:
    return dtypes.canonicalize(default if dtype is None else dtype, explicit=dtype is not None)


def array(object: Any, dtype: Any = None, copy: bool = True) -> Array:
    """An array from data: nested lists, scalars, NumPy arrays or funcdiff arrays.

    Python floats become float32 (float64 with ``enable_x64``), Python ints int32.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.array([1, 2, 3])
        Array([1, 2, 3], dtype=int32)
        >>> fnp.array([1.0, 2.0], dtype=fnp.int32)
        Array([1, 2], dtype=int32)
    """
    if isinstance(object, Array):
        return object if dtype is None else lax.convert_element_type(
            object, _dtype(dtype, object.dtype))
    if isinstance(object, (list, tuple)) and any(isinstance(x, Array) for x in _flat(object)):
        return stack_([array(x, dtype) for x in object]) if object else array_from_host([])
    host = np.asarray(object)
    if dtype is None and host.dtype.kind == "f" and not isinstance(object, np.ndarray):
        host = host.astype(dtypes.default_float())
    if dtype is not None:
        dt = _dtype(dtype, None)
        return array_from_host(host.astype(dt), dt)
    return array_from_host(host)


def _flat(xs: Any):
    for x in xs:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def stack_(xs: Sequence[Any]) -> Array:
    from .shapes import stack

    return stack(xs)


def asarray(a: Any, dtype: Any = None) -> Array:
    """``a`` as a funcdiff array, without copying when it already is one.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.asarray(2.0)
        Array(2., dtype=float32)
    """
    if isinstance(a, Array) and (dtype is None or dtypes.canonicalize(dtype) == a.dtype):
        return a
    return array(a, dtype)


def zeros(shape: Any, dtype: Any = None) -> Array:
    """An array of zeros (float32 by default).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.zeros((2, 2))
        Array([[0., 0.],
               [0., 0.]], dtype=float32)
    """
    return lax.full(_shape(shape), 0, _dtype(dtype, dtypes.default_float()))


def ones(shape: Any, dtype: Any = None) -> Array:
    """An array of ones (float32 by default).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.ones(3, dtype=fnp.int32)
        Array([1, 1, 1], dtype=int32)
    """
    return lax.full(_shape(shape), 1, _dtype(dtype, dtypes.default_float()))


def empty(shape: Any, dtype: Any = None) -> Array:
    """Like :func:`zeros` (funcdiff arrays are never uninitialized)."""
    return zeros(shape, dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Array:
    """An array of ``shape`` filled with ``fill_value``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.full((2,), 7, dtype=fnp.int32)
        Array([7, 7], dtype=int32)
    """
    if dtype is None:
        v = asarray_op(fill_value)
        aval = get_aval(v)
        if aval.ndim:
            return lax.broadcast_to(v, _shape(shape))
        return lax.full(_shape(shape), v if isinstance(v, Array) else fill_value,
                        None if isinstance(v, Array) else aval.dtype)
    return lax.full(_shape(shape), fill_value, _dtype(dtype, None))


def zeros_like(a: Any, dtype: Any = None, shape: Any = None) -> Array:
    """Zeros with the shape and dtype of ``a``."""
    aval = get_aval(asarray_op(a))
    return zeros(aval.shape if shape is None else shape, dtype or aval.dtype)


def ones_like(a: Any, dtype: Any = None, shape: Any = None) -> Array:
    """Ones with the shape and dtype of ``a``."""
    aval = get_aval(asarray_op(a))
    return ones(aval.shape if shape is None else shape, dtype or aval.dtype)


def full_like(a: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> Array:
    """``fill_value`` with the shape and dtype of ``a``."""
    aval = get_aval(asarray_op(a))
    return full(aval.shape if shape is None else shape, fill_value, dtype or aval.dtype)


def empty_like(a: Any, dtype: Any = None, shape: Any = None) -> Array:
    """Like :func:`zeros_like`."""
    return zeros_like(a, dtype, shape)


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Array:
    """Evenly spaced values in ``[start, stop)`` (bounds must be concrete numbers).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.arange(4)
        Array([0, 1, 2, 3], dtype=int32)
        >>> fnp.arange(0.0, 1.0, 0.25)
        Array([0.  , 0.25, 0.5 , 0.75], dtype=float32)
    """
    vals = [v for v in (start, stop, step) if v is not None]
    for v in vals:
        if isinstance(v, Array) and not hasattr(v, "_value"):
            raise TypeError(
                "arange needs concrete bounds, got a traced value; its length decides the "
                "output shape, which must be known while tracing (use static_argnums)"
            )
    host_vals = [v.item() if isinstance(v, Array) else v for v in vals]
    host = np.arange(*host_vals)
    if dtype is None:
        kind_float = any(isinstance(v, float) or (isinstance(v, np.generic) and
                                                  np.issubdtype(type(v), np.floating))
                         for v in host_vals)
        dt = dtypes.default_float() if kind_float else dtypes.default_int()
    else:
        dt = _dtype(dtype, None)
    return array_from_host(host.astype(dt), dt)


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0) -> Any:
    """``num`` evenly spaced samples over ``[start, stop]``; start/stop may be traced.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linspace(0.0, 1.0, 5)
        Array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    from ._promote import promote_inexact

    num = int(num)
    if num < 0:
        raise ValueError(f"linspace needs num >= 0, got {num}")
    start, stop = promote_inexact(start, stop)
    dt = _dtype(dtype, get_aval(start).dtype)
    if not dtypes.is_inexact(dt):
        work = dtypes.default_float()
    else:
        work = dt
    start = lax.convert_element_type(start, work)
    stop = lax.convert_element_type(stop, work)
    div = (num - 1) if endpoint else num
    step_t = lax.div(lax.sub(stop, start), max(div, 1))
    shape = (num, *get_aval(start).shape)
    iota = lax.convert_element_type(lax.broadcasted_iota(dtypes.int32, shape, 0), work)
    bstart = lax.broadcast_in_dim(start, shape, tuple(range(1, len(shape))))
    bstep = lax.broadcast_in_dim(step_t, shape, tuple(range(1, len(shape))))
    out = lax.add(bstart, lax.mul(iota, bstep))
    if endpoint and num > 1:
        # The last sample is exactly `stop`, as in NumPy.
        last = lax.broadcast_in_dim(stop, (1, *shape[1:]), tuple(range(1, len(shape))))
        out = lax.concatenate([lax.slice_in_dim(out, 0, num - 1), last], 0)
    if axis != 0:
        from .shapes import moveaxis

        out = moveaxis(out, 0, axis)
    out = lax.convert_element_type(out, dt) if dt != work else out
    return (out, step_t) if retstep else out


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Array:
    """A 2-D array with ones on the ``k``-th diagonal.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.eye(2)
        Array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    M = N if M is None else M
    dt = _dtype(dtype, dtypes.default_float())
    rows = lax.broadcasted_iota(dtypes.int32, (N, M), 0)
    cols = lax.broadcasted_iota(dtypes.int32, (N, M), 1)
    return lax.convert_element_type(lax.eq(lax.add(rows, np.int32(k)), cols), dt)


def identity(n: int, dtype: Any = None) -> Array:
    """The ``n`` by ``n`` identity matrix."""
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Array:
    """Ones at and below the ``k``-th diagonal."""
    M = N if M is None else M
    rows = lax.broadcasted_iota(dtypes.int32, (N, M), 0)
    cols = lax.broadcasted_iota(dtypes.int32, (N, M), 1)
    return lax.convert_element_type(lax.le(cols, lax.add(rows, np.int32(k))),
                                     _dtype(dtype, dtypes.default_float()))

