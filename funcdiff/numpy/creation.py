"""Array creation: ``array``, ``asarray``, ``zeros``, ``ones``, ``full``, ``*_like``,
``arange``, ``linspace``, ``logspace``, ``eye``, ``meshgrid``, ``tril``/``triu`` and the
index helpers (``indices``, ``tril_indices``…) — as in ``jax.numpy``."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend, lax
from ..core import dtypes
from ..core.array import Array, ArrayImpl
from ..core.convert import array_from_host
from ..core.source import at_user_line
from ..core.tracing import ConcretizationTypeError, Tracer, get_aval
from ._promote import asarray_op, promote_inexact

_PY_SCALARS = (bool, int, float, complex)


def _shape(shape: Any, op: str = "zeros") -> tuple[int, ...]:
    """A shape from an int, a sequence of ints or a concrete integer array."""
    if isinstance(shape, Tracer) or (isinstance(shape, Sequence) and any(
            isinstance(s, Tracer) for s in shape)):
        raise ConcretizationTypeError(
            f"{op}: the shape must be known while tracing, got a traced value{at_user_line()}. "
            "Shapes are static: pass Python ints (e.g. from x.shape) or mark the argument "
            "static with jit(f, static_argnums=...)."
        )
    try:
        if isinstance(shape, Array):
            shape = shape.tolist()
        out = (operator.index(shape),) if not isinstance(shape, (Sequence, np.ndarray)) else (
            tuple(operator.index(s) for s in shape))
    except TypeError:
        raise TypeError(
            f"{op}: shape must be an int or a sequence of ints, got {shape!r}{at_user_line()}"
        ) from None
    if any(s < 0 for s in out):
        raise ValueError(f"{op}: negative dimensions are not allowed, got shape {out}"
                         f"{at_user_line()}")
    return out


def _dtype(dtype: Any, default: Any, op: str = "") -> np.dtype:
    return dtypes.canonicalize(default if dtype is None else dtype, explicit=dtype is not None,
                               op=op)


def _place(x: Array, device: Any) -> Array:
    if device is None:
        return x
    from ..devices import device_put

    return device_put(x, device)


def array(object: Any, dtype: Any = None, copy: bool = True, order: str | None = "K",
          ndmin: int = 0, *, device: Any = None) -> Array:
    """An array from data: nested lists, scalars, NumPy arrays or funcdiff arrays.

    Python floats become float32 (float64 with ``enable_x64``) and Python ints int32; a
    lone Python scalar stays *weakly typed*, as in JAX. Lists may mix funcdiff arrays
    (traced ones too) and numbers.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.array([1, 2, 3])
        Array([1, 2, 3], dtype=int32)
        >>> fnp.array([1.0, 2.0], dtype=fnp.int32)
        Array([1, 2], dtype=int32)
        >>> fnp.array(2.0)
        Array(2., dtype=float32, weak_type=True)
    """
    if order not in (None, "K", "A", "C"):
        raise NotImplementedError(f"array: only C order is supported, got order={order!r}")
    dt = None if dtype is None else _dtype(dtype, None, "array")
    if isinstance(object, Array):
        out = object if dt is None else lax.convert_element_type(object, dt)
        if copy and out is object and isinstance(object, ArrayImpl):
            # A new buffer, as jnp.array gives: donating the copy must not change `object`.
            raw = object._value
            out = ArrayImpl(backend.backend_of(raw).xp.array(raw, copy=True), object.aval)
    elif isinstance(object, (list, tuple)) and _holds_array(object):
        from .shapes import stack

        out = stack([array(x) for x in object]) if object else array_from_host([])
        # A list makes a strongly typed array, whatever its (weak) elements.
        out = lax.convert_element_type(out, get_aval(out).dtype if dt is None else dt)
    elif type(object) in _PY_SCALARS and dt is None:
        out = asarray_op(object)  # weakly typed, like JAX's
    else:
        try:
            host = np.asarray(object)
        except ValueError:
            raise ValueError(f"array: nested lists must be rectangular (every row of one "
                             f"length), got {object!r:.60}{at_user_line()}") from None
        if host.dtype.kind == "O":  # `object` is the argument here, not the builtin
            raise TypeError(
                f"array: cannot make an array from {type(object).__name__} {object!r:.60}; "
                "funcdiff arrays hold booleans or numbers (nested lists must be rectangular)"
            )
        if dt is None and isinstance(object, (list, tuple)):
            dt = _list_dtype(object)
        if dt is not None:
            # Python data is range-checked (`fnp.uint8(300)` raises, as in JAX); NumPy
            # arrays convert with C casts.
            data = host.astype(dt) if isinstance(object, (np.ndarray, np.generic)) else (
                np.asarray(object, dtype=dt))
            out = array_from_host(data, dt)
        else:
            out = array_from_host(host)
    if ndmin > out.ndim:
        out = lax.reshape(out, (1,) * (ndmin - out.ndim) + out.shape)
    return _place(out, device)


def _list_dtype(xs: Any) -> np.dtype | None:
    """JAX's dtype for a list mixing NumPy scalars (strong) and Python numbers (weak)."""
    leaves = list(_leaves(xs))
    if not any(isinstance(x, (np.generic, np.ndarray)) for x in leaves):
        return None
    typed = [(dtypes.canonicalize(x.dtype), False) if isinstance(x, (np.generic, np.ndarray))
             else (dtypes.dtype_of_scalar(x), type(x) is not bool) for x in leaves]
    return dtypes.result_type(*typed)[0]


def _leaves(xs: Any):
    for x in xs:
        if isinstance(x, (list, tuple)):
            yield from _leaves(x)
        else:
            yield x


def _holds_array(xs: Any) -> bool:
    return any(isinstance(x, Array) or (isinstance(x, (list, tuple)) and _holds_array(x))
               for x in xs)


def asarray(a: Any, dtype: Any = None, order: str | None = None, *, copy: bool | None = None,
            device: Any = None) -> Array:
    """``a`` as a funcdiff array, without copying when it already is one.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.asarray([1.0, 2.0])
        Array([1., 2.], dtype=float32)
    """
    if isinstance(a, Array) and device is None and (
            dtype is None or dtypes.canonicalize(dtype) == a.dtype):
        return a
    return array(a, dtype, order=order, device=device)


def copy(a: Any, order: str | None = None) -> Array:
    """A copy of ``a`` (arrays are immutable, so this is ``asarray(a)``)."""
    return asarray(a)


def astype(x: Any, dtype: Any, /, *, copy: bool = False, device: Any = None) -> Array:
    """``x`` converted to ``dtype`` (the array API's function form of ``x.astype``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.astype(fnp.array([1.7, -1.7]), fnp.int32)
        Array([ 1, -1], dtype=int32)
    """
    out = lax.convert_element_type(asarray_op(x), _dtype(dtype, None, "astype"))
    return _place(out, device)


def zeros(shape: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """An array of zeros (float32 by default); ``shape`` is an int or a sequence of ints.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.zeros((2, 2))
        Array([[0., 0.],
               [0., 0.]], dtype=float32)
    """
    dt = _dtype(dtype, dtypes.default_float(), "zeros")
    return _place(lax.full(_shape(shape, "zeros"), 0, dt), device)


def ones(shape: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """An array of ones (float32 by default).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.ones(3, dtype=fnp.int32)
        Array([1, 1, 1], dtype=int32)
    """
    dt = _dtype(dtype, dtypes.default_float(), "ones")
    return _place(lax.full(_shape(shape, "ones"), 1, dt), device)


def empty(shape: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """Like :func:`zeros` (funcdiff arrays are never uninitialized).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.empty(2)
        Array([0., 0.], dtype=float32)
    """
    return zeros(shape, dtype, device=device)


def full(shape: Any, fill_value: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """An array of ``shape`` filled with ``fill_value`` (which broadcasts to ``shape``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.full((2,), 7, dtype=fnp.int32)
        Array([7, 7], dtype=int32)
    """
    shape = _shape(shape, "full")
    v = asarray_op(fill_value)
    if dtype is not None:
        v = lax.convert_element_type(v, _dtype(dtype, None, "full"))
    return _place(lax.broadcast_to(v, shape), device)


def _like(a: Any, dtype: Any, shape: Any, op: str) -> tuple[tuple[int, ...], np.dtype]:
    aval = get_aval(asarray_op(a))
    return (aval.shape if shape is None else _shape(shape, op),
            aval.dtype if dtype is None else _dtype(dtype, None, op))


def _weak_like(x: Any, a: Any, dtype: Any) -> Any:
    # Without a dtype, *_like keeps the weak type of `a` (as in JAX).
    if dtype is None and get_aval(asarray_op(a)).weak_type:
        return lax.convert_element_type(x, get_aval(x).dtype, weak_type=True)
    return x


def zeros_like(a: Any, dtype: Any = None, shape: Any = None, *, device: Any = None) -> Array:
    """Zeros with the shape and dtype of ``a``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.zeros_like(fnp.array([1, 2]))
        Array([0, 0], dtype=int32)
    """
    shape, dt = _like(a, dtype, shape, "zeros_like")
    return _place(_weak_like(lax.full(shape, 0, dt), a, dtype), device)


def ones_like(a: Any, dtype: Any = None, shape: Any = None, *, device: Any = None) -> Array:
    """Ones with the shape and dtype of ``a``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.ones_like(fnp.zeros(2))
        Array([1., 1.], dtype=float32)
    """
    shape, dt = _like(a, dtype, shape, "ones_like")
    return _place(_weak_like(lax.full(shape, 1, dt), a, dtype), device)


def full_like(a: Any, fill_value: Any, dtype: Any = None, shape: Any = None, *,
              device: Any = None) -> Array:
    """``fill_value`` with the shape and dtype of ``a``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.full_like(fnp.zeros(2), 3)
        Array([3., 3.], dtype=float32)
    """
    shape, dt = _like(a, dtype, shape, "full_like")
    v = lax.convert_element_type(asarray_op(fill_value), dt)
    return _place(_weak_like(lax.broadcast_to(v, shape), a, dtype), device)


def empty_like(a: Any, dtype: Any = None, shape: Any = None, *, device: Any = None) -> Array:
    """Like :func:`zeros_like`."""
    return zeros_like(a, dtype, shape, device=device)


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None, *,
           device: Any = None) -> Array:
    """Evenly spaced values in ``[start, stop)`` (bounds must be concrete numbers).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.arange(4)
        Array([0, 1, 2, 3], dtype=int32)
        >>> fnp.arange(0.0, 1.0, 0.25)
        Array([0.  , 0.25, 0.5 , 0.75], dtype=float32)
    """
    vals = [v for v in (start, stop, step) if v is not None]
    for name, v in zip(("start", "stop", "step"), (start, stop, step)):
        if isinstance(v, Tracer):
            raise ConcretizationTypeError(
                f"arange needs concrete bounds, got a traced {name}{at_user_line()}; its "
                "length decides the output shape, which must be known while tracing. Pass "
                "Python numbers (mark them static with jit(f, static_argnums=...))."
            )
        if isinstance(v, Array) and v.ndim:
            raise TypeError(f"arange: {name} must be a scalar, got an array of shape {v.shape}")
    host_vals = [v.item() if isinstance(v, Array) else v for v in vals]
    host = np.arange(*host_vals)
    if dtype is None:
        is_float = host.dtype.kind in "fc" or any(
            isinstance(v, Array) and dtypes.is_inexact(v.dtype) for v in vals)
        dt = dtypes.default_float() if is_float else dtypes.default_int()
    else:
        dt = _dtype(dtype, None, "arange")
    return _place(array_from_host(host.astype(dt), dt), device)


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0, *,
             device: Any = None) -> Any:
    """``num`` evenly spaced samples over ``[start, stop]``; start/stop may be traced.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.linspace(0.0, 1.0, 5)
        Array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"linspace: num must be non-negative, got {num}{at_user_line()}")
    start, stop = promote_inexact(start, stop)
    shape_b = np.broadcast_shapes(get_aval(start).shape, get_aval(stop).shape)
    start, stop = lax.broadcast_to(start, shape_b), lax.broadcast_to(stop, shape_b)
    dt = _dtype(dtype, get_aval(start).dtype, "linspace")
    work = dt if dtypes.is_inexact(dt) else dtypes.default_float()
    start = lax.convert_element_type(start, work)
    stop = lax.convert_element_type(stop, work)
    div = (num - 1) if endpoint else num
    step_t = lax.div(lax.sub(stop, start), max(div, 1))
    shape = (num, *shape_b)
    dims = tuple(range(1, len(shape)))
    iota = lax.convert_element_type(lax.broadcasted_iota(dtypes.int32, shape, 0), work)
    out = lax.add(lax.broadcast_in_dim(start, shape, dims),
                  lax.mul(iota, lax.broadcast_in_dim(step_t, shape, dims)))
    if endpoint and num > 1:
        # The last sample is exactly `stop`, as in NumPy.
        last = lax.broadcast_in_dim(stop, (1, *shape[1:]), dims)
        out = lax.concatenate([lax.slice_in_dim(out, 0, num - 1), last], 0)
    if axis != 0:
        from .shapes import moveaxis

        out = moveaxis(out, 0, axis)
    if dt != work:
        out = lax.convert_element_type(lax.floor(out) if dt.kind in "iu" else out, dt)
    out = _place(out, device)
    return (out, step_t) if retstep else out


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: Any = 10.0,
             dtype: Any = None, axis: int = 0) -> Array:
    """``base ** linspace(start, stop, num)``: samples evenly spaced on a log scale.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.logspace(0.0, 2.0, 3)
        Array([  1.,  10., 100.], dtype=float32)
    """
    from .ufuncs import power

    lin = linspace(start, stop, num, endpoint=endpoint, axis=axis)
    out = power(base, lin)
    return out if dtype is None else astype(out, dtype)


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Array:
    """Samples evenly spaced on a log scale from ``start`` to ``stop`` (same sign).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.geomspace(1.0, 1000.0, 4).round()
        Array([   1.,   10.,  100., 1000.], dtype=float32)
    """
    from .shapes import moveaxis
    from .ufuncs import abs, exp, log, sign

    start, stop = promote_inexact(start, stop)
    out = lax.mul(exp(linspace(log(abs(start)), log(abs(stop)), num, endpoint=endpoint)),
                  sign(start))
    # The ends are exact, as NumPy's.
    if num:
        out = out.at[0].set(start)
    if num > 1 and endpoint:
        out = out.at[-1].set(stop)
    out = moveaxis(out, 0, axis) if axis else out
    return out if dtype is None else astype(out, dtype)


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None, *,
        device: Any = None) -> Array:
    """A 2-D array with ones on the ``k``-th diagonal.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.eye(2)
        Array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    N, M = operator.index(N), operator.index(N if M is None else M)
    dt = _dtype(dtype, dtypes.default_float(), "eye")
    rows = lax.broadcasted_iota(dtypes.int32, (N, M), 0)
    cols = lax.broadcasted_iota(dtypes.int32, (N, M), 1)
    return _place(lax.convert_element_type(lax.eq(lax.add(rows, np.int32(k)), cols), dt),
                  device)


def identity(n: int, dtype: Any = None) -> Array:
    """The ``n`` by ``n`` identity matrix.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.identity(2, dtype=int)
        Array([[1, 0],
               [0, 1]], dtype=int32)
    """
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Array:
    """Ones at and below the ``k``-th diagonal.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.tri(2, dtype=int)
        Array([[1, 0],
               [1, 1]], dtype=int32)
    """
    N, M = operator.index(N), operator.index(N if M is None else M)
    rows = lax.broadcasted_iota(dtypes.int32, (N, M), 0)
    cols = lax.broadcasted_iota(dtypes.int32, (N, M), 1)
    return lax.convert_element_type(lax.le(cols, lax.add(rows, np.int32(k))),
                                    _dtype(dtype, dtypes.default_float(), "tri"))


def _tri_mask(m: Any, k: int, lower: bool, op: str) -> Any:
    m = asarray_op(m)
    shape = get_aval(m).shape
    if len(shape) < 2:
        raise ValueError(f"{op} needs an array of at least 2 dimensions, got shape {shape}"
                         f"{at_user_line()}")
    keep = tri(shape[-2], shape[-1], k if lower else k - 1, dtype=bool)
    if not lower:
        keep = lax.bitwise_not(keep)
    return lax.select(lax.broadcast_to(keep, shape), m, lax.full(shape, 0, get_aval(m).dtype))


def tril(m: Any, k: int = 0) -> Array:
    """``m`` with the elements above the ``k``-th diagonal zeroed (on the last two axes).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.tril(fnp.ones((2, 2)))
        Array([[1., 0.],
               [1., 1.]], dtype=float32)
    """
    return _tri_mask(m, k, True, "tril")


def triu(m: Any, k: int = 0) -> Array:
    """``m`` with the elements below the ``k``-th diagonal zeroed (on the last two axes).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.triu(fnp.ones((2, 2)))
        Array([[1., 1.],
               [0., 1.]], dtype=float32)
    """
    return _tri_mask(m, k, False, "triu")


def _index_arrays(arrays: Sequence[np.ndarray]) -> tuple:
    return tuple(array_from_host(a.astype(dtypes.default_int())) for a in arrays)


def tril_indices(n: int, k: int = 0, m: int | None = None) -> tuple:
    """Row and column indices of the lower triangle of an ``(n, m)`` array.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.tril_indices(2)
        (Array([0, 1, 1], dtype=int32), Array([0, 0, 1], dtype=int32))
    """
    return _index_arrays(np.tril_indices(n, k, m))


def triu_indices(n: int, k: int = 0, m: int | None = None) -> tuple:
    """Row and column indices of the upper triangle of an ``(n, m)`` array.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.triu_indices(2)
        (Array([0, 0, 1], dtype=int32), Array([0, 1, 1], dtype=int32))
    """
    return _index_arrays(np.triu_indices(n, k, m))


def tril_indices_from(arr: Any, k: int = 0) -> tuple:
    """:func:`tril_indices` for the shape of the 2-D ``arr``."""
    n, m = get_aval(asarray_op(arr)).shape[-2:]
    return tril_indices(n, k, m)


def triu_indices_from(arr: Any, k: int = 0) -> tuple:
    """:func:`triu_indices` for the shape of the 2-D ``arr``."""
    n, m = get_aval(asarray_op(arr)).shape[-2:]
    return triu_indices(n, k, m)


def diag_indices(n: int, ndim: int = 2) -> tuple:
    """Indices of the main diagonal of an ``n``-sided array of rank ``ndim``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.diag_indices(2)
        (Array([0, 1], dtype=int32), Array([0, 1], dtype=int32))
    """
    return _index_arrays(np.diag_indices(n, ndim))


def diag_indices_from(arr: Any) -> tuple:
    """:func:`diag_indices` for the (square) shape of ``arr``."""
    aval = get_aval(asarray_op(arr))
    return diag_indices(aval.shape[0], aval.ndim)


def indices(dimensions: Sequence[int], dtype: Any = None, sparse: bool = False) -> Any:
    """Grids of indices for an array of shape ``dimensions`` (stacked, or a sparse tuple).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.indices((2, 2))[1]
        Array([[0, 1],
               [0, 1]], dtype=int32)
    """
    dims = _shape(dimensions, "indices")
    dt = _dtype(dtype, dtypes.default_int(), "indices")
    if sparse:
        return tuple(lax.reshape(lax.iota(dt, d), tuple(d if j == i else 1
                                                        for j in range(len(dims))))
                     for i, d in enumerate(dims))
    grids = [lax.broadcasted_iota(dt, dims, i) for i in range(len(dims))]
    from .shapes import stack

    return stack(grids) if grids else lax.full((0,), 0, dt)


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> list:
    """Coordinate grids from 1-D coordinate arrays (``indexing`` ``"xy"`` or ``"ij"``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> xx, yy = fnp.meshgrid(fnp.array([1, 2, 3]), fnp.array([4, 5]))
        >>> xx.shape, yy.tolist()
        ((2, 3), [[4, 4, 4], [5, 5, 5]])
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [lax.reshape(asarray_op(x), (-1,)) for x in xi]
    n = len(xs)
    sizes = [get_aval(x).shape[0] for x in xs]
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, x in enumerate(xs):
        ax = {0: 1, 1: 0}.get(i, i) if indexing == "xy" and n >= 2 else i
        view = [1] * n
        view[ax] = get_aval(x).shape[0]
        g = lax.reshape(x, tuple(view))
        out.append(g if sparse else lax.broadcast_to(g, tuple(sizes)))
    return out


def fromfunction(function: Any, shape: Any, *, dtype: Any = float, **kwargs: Any) -> Any:
    """``function(*index_grids)`` for grids of ``shape`` (of ``dtype``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.fromfunction(lambda i, j: i + j, (2, 2), dtype=int)
        Array([[0, 1],
               [1, 2]], dtype=int32)
    """
    dims = _shape(shape, "fromfunction")
    dt = _dtype(dtype, None, "fromfunction")
    return function(*(lax.broadcasted_iota(dt, dims, i) for i in range(len(dims))), **kwargs)
