"""``fd.nn.init``: parameter initializers in the style of ``jax.nn.initializers``.

An initializer is a function ``init(key, shape, dtype=None) -> array``. The parametrized ones
(``glorot_uniform()``, ``normal(stddev)``, ``orthogonal()``…) are factories that return it,
with JAX's arguments and numbers: the same key gives the same values as JAX. ``zeros`` and
``ones`` are initializers themselves. ``dtype=None`` means the default float (float32, or
float64 with x64).

Fans follow JAX's convention of ``in_axis=-2, out_axis=-1`` (a kernel of shape
``(in, out)``). For PyTorch-layout weights ``(out, in, *kernel)`` pass
``in_axis=1, out_axis=0``:
``fd.nn.init.glorot_uniform(in_axis=1, out_axis=0)(key, (out, in))``.

This module also holds the PyTorch default used by the layers (``kaiming_uniform`` with
``a=sqrt(5)`` for weights and ``uniform(±1/sqrt(fan_in))`` for biases: both are
``uniform(±1/sqrt(fan_in))``).

Examples:
    >>> import funcdiff as fd
    >>> init = fd.nn.init.he_normal()
    >>> init(fd.random.key(0), (3, 2)).shape
    (3, 2)
    >>> fd.nn.init.zeros(fd.random.key(0), (2,))
    Array([0., 0.], dtype=float32)
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import numpy as fnp
from .. import random
from ..core import dtypes

__all__ = [
    "Initializer", "constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
    "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "normal", "ones",
    "orthogonal", "truncated_normal", "uniform", "variance_scaling", "xavier_normal",
    "xavier_uniform", "zeros",
]

Initializer = Callable[..., Any]  # (key, shape, dtype=None) -> array


def _dtype(dtype: Any) -> np.dtype:
    if dtype is None:
        return dtypes.canonicalize(float)
    return dtypes.canonicalize(dtype, explicit=True, op="fd.nn.init")


def _shape(name: str, shape: Any) -> tuple[int, ...]:
    try:
        return tuple(operator.index(d) for d in ((shape,) if isinstance(shape, int) else shape))
    except TypeError:
        raise TypeError(
            f"fd.nn.init.{name}: shape must be a tuple of ints, got {shape!r}") from None


def zeros(key: Any, shape: Sequence[int], dtype: Any = None) -> Any:
    """An initializer: all zeros (``key`` is unused).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.init.zeros(None, (2,), fd.numpy.int32)
        Array([0, 0], dtype=int32)
    """
    del key
    return fnp.zeros(_shape("zeros", shape), _dtype(dtype))


def ones(key: Any, shape: Sequence[int], dtype: Any = None) -> Any:
    """An initializer: all ones (``key`` is unused).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.init.ones(None, (2,))
        Array([1., 1.], dtype=float32)
    """
    del key
    return fnp.ones(_shape("ones", shape), _dtype(dtype))


def constant(value: Any, dtype: Any = None) -> Initializer:
    """An initializer filling with ``value``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.init.constant(0.5)(None, (2,))
        Array([0.5, 0.5], dtype=float32)
    """

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        del key
        return fnp.full(_shape("constant", shape), value, _dtype(dtype))

    return init


def normal(stddev: float = 1e-2, dtype: Any = None) -> Initializer:
    """An initializer drawing from ``N(0, stddev**2)``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.init.normal(1.0)(fd.random.key(0), (2,))
        Array([1.6226422, 2.0252647], dtype=float32)
    """

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        dt = _dtype(dtype)
        return random.normal(key, _shape("normal", shape), dt) * dt.type(stddev)

    return init


def uniform(scale: float = 1e-2, dtype: Any = None) -> Initializer:
    """An initializer drawing uniformly from ``[0, scale)`` (as JAX's).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.init.uniform(2.0)(fd.random.key(0), (2,))
        Array([1.895334 , 1.9571598], dtype=float32)
    """

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        dt = _dtype(dtype)
        return random.uniform(key, _shape("uniform", shape), dt) * dt.type(scale)

    return init


def truncated_normal(stddev: float = 1e-2, dtype: Any = None, lower: float = -2.0,
                     upper: float = 2.0) -> Initializer:
    """An initializer drawing ``stddev * x`` with ``x`` standard normal in ``(lower, upper)``.

    Examples:
        >>> import funcdiff as fd
        >>> w = fd.nn.init.truncated_normal(1.0)(fd.random.key(0), (1000,))
        >>> bool(abs(w).max() < 2.0)
        True
    """

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        dt = _dtype(dtype)
        x = random.truncated_normal(key, lower, upper, _shape("truncated_normal", shape), dt)
        return x * dt.type(stddev)

    return init


def _axes_size(shape: tuple[int, ...], axes: int | Sequence[int]) -> int:
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    return math.prod(shape[a] for a in axes)


def _fans(name: str, shape: tuple[int, ...], in_axis: Any, out_axis: Any,
          batch_axis: Any) -> tuple[float, float]:
    if len(shape) < 2:
        raise ValueError(
            f"fd.nn.init.{name}: cannot tell the fan-in and fan-out of a {len(shape)}-d shape "
            f"{shape}; fan-based initializers need weights of at least 2 axes (use zeros, "
            f"normal or uniform for biases)."
        )
    in_size = _axes_size(shape, in_axis)
    out_size = _axes_size(shape, out_axis)
    batch = _axes_size(shape, batch_axis)
    receptive = math.prod(shape) / (in_size * out_size * batch) if in_size * out_size else 0
    return in_size * receptive, out_size * receptive


_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def variance_scaling(scale: float, mode: str, distribution: str, in_axis: Any = -2,
                     out_axis: Any = -1, batch_axis: Any = (), dtype: Any = None) -> Initializer:
    """An initializer with variance ``scale / fan`` (as ``jax.nn.initializers``).

    Args:
        scale: the variance's numerator.
        mode: ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` or ``"fan_geo_avg"``: the ``fan``.
        distribution: ``"truncated_normal"`` (in ±2 standard deviations, rescaled to keep
            the variance), ``"normal"`` or ``"uniform"``.
        in_axis: the input axis (or axes) of the weight; default -2.
        out_axis: the output axis (or axes); default -1.
        batch_axis: axes that are neither (counted out of the receptive field).
        dtype: the default dtype.

    Returns:
        ``init(key, shape, dtype=None)``.

    Raises:
        ValueError: for an unknown ``mode`` or ``distribution``, or (when called) a shape of
            fewer than 2 axes.

    Examples:
        >>> import funcdiff as fd
        >>> init = fd.nn.init.variance_scaling(2.0, "fan_in", "normal")
        >>> w = init(fd.random.key(0), (400, 300))
        >>> round(float(w.var() * 400), 1)
        2.0
    """
    if mode not in _MODES:
        raise ValueError(f"variance_scaling: mode must be one of {_MODES}, got {mode!r}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(
            f"variance_scaling: distribution must be one of {_DISTRIBUTIONS}, got "
            f"{distribution!r}"
        )

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        dt = _dtype(dtype)
        shape = _shape("variance_scaling", shape)
        fan_in, fan_out = _fans("variance_scaling", shape, in_axis, out_axis, batch_axis)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
               "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
        variance = scale / max(1.0, fan)
        if distribution == "truncated_normal":
            std = math.sqrt(variance) / 0.87962566103423978  # std of N(0,1) cut at ±2
            return random.truncated_normal(key, -2.0, 2.0, shape, dt) * dt.type(std)
        if distribution == "normal":
            return random.normal(key, shape, dt) * dt.type(math.sqrt(variance))
        return random.uniform(key, shape, dt, -1.0) * dt.type(math.sqrt(3 * variance))

    return init


def _scheme(doc_name: str, scale: float, mode: str, distribution: str) -> Callable:
    def factory(in_axis: Any = -2, out_axis: Any = -1, batch_axis: Any = (),
                dtype: Any = None) -> Initializer:
        return variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis, dtype)

    factory.__name__ = factory.__qualname__ = doc_name
    return factory


glorot_uniform = _scheme("glorot_uniform", 1.0, "fan_avg", "uniform")
glorot_uniform.__doc__ = """Glorot/Xavier uniform: ``variance_scaling(1, "fan_avg", "uniform")``.

    Examples:
        >>> import funcdiff as fd
        >>> w = fd.nn.init.glorot_uniform()(fd.random.key(0), (20, 30))
        >>> bool(abs(w).max() <= (6 / 50) ** 0.5)
        True
    """
glorot_normal = _scheme("glorot_normal", 1.0, "fan_avg", "truncated_normal")
glorot_normal.__doc__ = """Glorot/Xavier normal: ``variance_scaling(1, "fan_avg",
    "truncated_normal")``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.init.glorot_normal()(fd.random.key(0), (2, 3)).shape
        (2, 3)
    """
he_uniform = _scheme("he_uniform", 2.0, "fan_in", "uniform")
he_uniform.__doc__ = """He/Kaiming uniform: ``variance_scaling(2, "fan_in", "uniform")``.

    Examples:
        >>> import funcdiff as fd
        >>> w = fd.nn.init.he_uniform()(fd.random.key(0), (8, 4))
        >>> bool(abs(w).max() <= (6 / 8) ** 0.5)
        True
    """
he_normal = _scheme("he_normal", 2.0, "fan_in", "truncated_normal")
he_normal.__doc__ = """He/Kaiming normal: ``variance_scaling(2, "fan_in", "truncated_normal")``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.init.he_normal()(fd.random.key(0), (2, 3)).dtype
        dtype('float32')
    """
lecun_uniform = _scheme("lecun_uniform", 1.0, "fan_in", "uniform")
lecun_uniform.__doc__ = """LeCun uniform: ``variance_scaling(1, "fan_in", "uniform")``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.init.lecun_uniform()(fd.random.key(0), (2, 3)).shape
        (2, 3)
    """
lecun_normal = _scheme("lecun_normal", 1.0, "fan_in", "truncated_normal")
lecun_normal.__doc__ = """LeCun normal: ``variance_scaling(1, "fan_in", "truncated_normal")``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.init.lecun_normal()(fd.random.key(0), (2, 3)).shape
        (2, 3)
    """

# The PyTorch names, as jax.nn.initializers also spells them.
xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


def orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """An initializer of (semi-)orthogonal matrices, from the QR decomposition of a normal
    sample (as JAX's); the other axes are flattened into rows.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> q = fd.nn.init.orthogonal()(fd.random.key(0), (4, 4))
        >>> bool(fnp.allclose(q.T @ q, fnp.eye(4), atol=1e-5))
        True
    """

    def init(key: Any, shape: Sequence[int], dtype: Any = dtype) -> Any:
        dt = _dtype(dtype)
        shape = _shape("orthogonal", shape)
        if len(shape) < 2:
            raise ValueError(
                f"fd.nn.init.orthogonal: needs a shape of at least 2 axes, got {shape}")
        n_cols = shape[column_axis]
        n_rows = math.prod(shape) // n_cols if n_cols else 0
        wide = n_rows < n_cols
        a = random.normal(key, (n_cols, n_rows) if wide else (n_rows, n_cols), dt)
        q, r = fnp.linalg.qr(a)
        q = q * fnp.sign(fnp.diagonal(r))
        if wide:
            q = q.T
        rest = tuple(np.delete(np.array(shape), column_axis % len(shape)))
        q = fnp.moveaxis(q.reshape(*rest, n_cols), -1, column_axis)
        return q * dt.type(scale)

    return init


def default_uniform(key: Any, shape: Sequence[int], fan_in: int, dtype: Any = None) -> Any:
    """PyTorch's default layer init, ``uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))``.

    It is what ``kaiming_uniform_(a=sqrt(5))`` gives for weights and what PyTorch draws for
    biases; a zero ``fan_in`` gives zeros, as in PyTorch.

    Examples:
        >>> import funcdiff as fd
        >>> w = default_uniform(fd.random.key(0), (3, 4), fan_in=4)
        >>> bool(abs(w).max() <= 0.5)
        True
    """
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return random.uniform(key, tuple(shape), _dtype(dtype), -bound, bound)
