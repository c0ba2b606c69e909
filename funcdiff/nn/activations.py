"""Activation functions and their relatives, following ``jax.nn``.

This file owns the elementwise activations (``relu``, ``gelu``, ``silu``…), the normalizing
functions over an axis (``softmax``, ``log_softmax``, ``logsumexp``, ``standardize``) and
``one_hot``. Each takes the arguments of its ``jax.nn`` namesake and gives its numbers;
integer inputs become the default float. They are written in ``funcdiff.numpy``/``lax``
ops, so ``grad``, ``vmap`` and ``jit`` see through them. The ones with a kink pick the
derivative JAX picks at it (``relu'(0) = 0``).
"""

from __future__ import annotations

import math
import operator
from typing import Any

from .. import lax
from .. import numpy as fnp
from ..core import dtypes
from ..numpy._promote import promote_dtypes, promote_inexact
from ..transforms.custom import custom_jvp

__all__ = [
    "celu", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
    "leaky_relu", "log_sigmoid", "log_softmax", "logsumexp", "mish", "normalize", "one_hot",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_sign", "softmax", "softplus",
    "standardize", "swish", "tanh",
]


def _float(x: Any, op: str) -> Any:
    return promote_inexact(x, op=op)[0]


# --- elementwise -----------------------------------------------------------------------------


@custom_jvp
def _relu(x: Any) -> Any:
    return fnp.maximum(x, 0)


@_relu.defjvp
def _relu_jvp(primals: tuple, tangents: tuple) -> tuple:
    (x,), (t,) = primals, tangents
    return _relu(x), fnp.where(x > 0, t, fnp.zeros_like(t))


def relu(x: Any) -> Any:
    """Rectified linear unit, ``max(x, 0)``, with derivative 0 at 0 (as JAX).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.relu(fd.numpy.array([-1.0, 0.0, 2.0]))
        Array([0., 0., 2.], dtype=float32)
        >>> fd.grad(fd.nn.relu)(0.0)
        Array(0., dtype=float32, weak_type=True)
    """
    return _relu(promote_dtypes(x, op="relu")[0])


def relu6(x: Any) -> Any:
    """``min(max(x, 0), 6)``; the derivative is 0 at both kinks (as JAX).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.relu6(fd.numpy.array([-1.0, 3.0, 7.0]))
        Array([0., 3., 6.], dtype=float32)
    """
    x = _float(x, "relu6")
    return fnp.where(x >= 6, fnp.full_like(x, 6), relu(x))


def leaky_relu(x: Any, negative_slope: float = 1e-2) -> Any:
    """``x`` where ``x >= 0``, else ``negative_slope * x``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.leaky_relu(fd.numpy.array([-2.0, 3.0]), negative_slope=0.5)
        Array([-1.,  3.], dtype=float32)
    """
    x = _float(x, "leaky_relu")
    return fnp.where(x >= 0, x, negative_slope * x)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit: ``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.elu(fd.numpy.array([-1.0, 2.0]))
        Array([-0.63212055,  2.        ], dtype=float32)
    """
    x = _float(x, "elu")
    safe = fnp.where(x > 0, fnp.zeros_like(x), x)  # expm1 of large x would overflow
    return fnp.where(x > 0, x, alpha * fnp.expm1(safe))


def celu(x: Any, alpha: float = 1.0) -> Any:
    """Continuously differentiable ELU: ``x`` where ``x > 0``, else
    ``alpha * (exp(x / alpha) - 1)``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.celu(fd.numpy.array([-1.0, 2.0]), alpha=2.0)
        Array([-0.78693867,  2.        ], dtype=float32)
    """
    x = _float(x, "celu")
    safe = fnp.where(x > 0, fnp.zeros_like(x), x)
    return fnp.where(x > 0, x, alpha * fnp.expm1(safe / alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Any) -> Any:
    """Scaled ELU, ``scale * elu(x, alpha)`` with the self-normalizing constants.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.selu(fd.numpy.array([-1.0, 1.0]))
        Array([-1.1113307,  1.050701 ], dtype=float32)
    """
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def gelu(x: Any, approximate: bool = True) -> Any:
    """Gaussian error linear unit.

    With ``approximate=True`` (the default, as ``jax.nn.gelu``) the tanh approximation
    ``x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))``; with ``approximate=False`` the
    exact ``x/2 * (1 + erf(x / sqrt(2)))`` (PyTorch's default, ``approximate='none'``).

    Examples:
        >>> import funcdiff as fd
        >>> x = fd.numpy.array([-1.0, 1.0])
        >>> fd.nn.gelu(x)
        Array([-0.158808,  0.841192], dtype=float32)
        >>> fd.nn.gelu(x, approximate=False)
        Array([-0.15865526,  0.8413447 ], dtype=float32)
    """
    x = _float(x, "gelu")
    if approximate:
        c = math.sqrt(2 / math.pi)
        return x * (0.5 * (1.0 + fnp.tanh(c * (x + 0.044715 * (x * x * x)))))
    return x * (lax.erf(x * (1 / math.sqrt(2))) + 1) / 2


def sigmoid(x: Any) -> Any:
    """The logistic function ``1 / (1 + exp(-x))``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.sigmoid(fd.numpy.array([0.0, 100.0]))
        Array([0.5, 1. ], dtype=float32)
    """
    return lax.logistic(_float(x, "sigmoid"))


def silu(x: Any) -> Any:
    """Sigmoid linear unit (swish), ``x * sigmoid(x)``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.silu(fd.numpy.array([-1.0, 1.0]))
        Array([-0.2689414 ,  0.73105854], dtype=float32)
    """
    x = _float(x, "silu")
    return x * lax.logistic(x)


swish = silu


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))``, computed without overflow.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.softplus(fd.numpy.array([-100.0, 0.0, 100.0]))
        Array([  0.       ,   0.6931472, 100.       ], dtype=float32)
    """
    x = _float(x, "softplus")
    return fnp.logaddexp(x, fnp.zeros_like(x))


def log_sigmoid(x: Any) -> Any:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.log_sigmoid(fd.numpy.array([-100.0, 0.0]))
        Array([-100.       ,   -0.6931472], dtype=float32)
    """
    return -softplus(-_float(x, "log_sigmoid"))


def soft_sign(x: Any) -> Any:
    """``x / (|x| + 1)``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.soft_sign(fd.numpy.array([-3.0, 1.0]))
        Array([-0.75,  0.5 ], dtype=float32)
    """
    x = _float(x, "soft_sign")
    return x / (fnp.abs(x) + 1)


def hard_tanh(x: Any) -> Any:
    """``x`` clipped to ``[-1, 1]``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.hard_tanh(fd.numpy.array([-2.0, 0.5, 2.0]))
        Array([-1. ,  0.5,  1. ], dtype=float32)
    """
    x = _float(x, "hard_tanh")
    return fnp.where(x > 1, fnp.ones_like(x), fnp.where(x < -1, -fnp.ones_like(x), x))


def hard_sigmoid(x: Any) -> Any:
    """``relu6(x + 3) / 6``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.hard_sigmoid(fd.numpy.array([-4.0, 0.0, 4.0]))
        Array([0. , 0.5, 1. ], dtype=float32)
    """
    return relu6(_float(x, "hard_sigmoid") + 3.0) / 6.0


def hard_silu(x: Any) -> Any:
    """``x * hard_sigmoid(x)`` (hard swish).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.hard_silu(fd.numpy.array([-4.0, 1.0]))
        Array([-0.       ,  0.6666667], dtype=float32)
    """
    x = _float(x, "hard_silu")
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def mish(x: Any) -> Any:
    """``x * tanh(softplus(x))``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.mish(fd.numpy.array([1.0]))
        Array([0.8650984], dtype=float32)
    """
    x = _float(x, "mish")
    return x * fnp.tanh(softplus(x))


def tanh(x: Any) -> Any:
    """The hyperbolic tangent (``funcdiff.numpy.tanh``).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.tanh(fd.numpy.array([0.0]))
        Array([0.], dtype=float32)
    """
    return fnp.tanh(_float(x, "tanh"))


def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: split ``x`` in two halves ``a, b`` along ``axis``, ``a * sigmoid(b)``.

    Raises:
        ValueError: if ``axis`` has odd length.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.glu(fd.numpy.array([2.0, 0.0]))
        Array([1.], dtype=float32)
    """
    x = _float(x, "glu")
    n = x.shape[axis]
    if n % 2:
        raise ValueError(f"glu: axis {axis} of x must have even length, got shape {x.shape}")
    a, b = fnp.split(x, 2, axis=axis)
    return a * lax.logistic(b)


# --- over an axis ---------------------------------------------------------------------------


def _stable_max(x: Any, axis: Any) -> Any:
    # Only shifts for stability, so no gradient flows through it; an all -inf (or inf)
    # slice shifts by 0 instead of giving NaN.
    m = fnp.max(x, axis=axis, keepdims=True)
    return lax.stop_gradient(fnp.where(fnp.isfinite(m), m, fnp.zeros_like(m)))


def softmax(x: Any, axis: Any = -1, where: Any = None) -> Any:
    """``exp(x) / sum(exp(x))`` along ``axis``, shifted by the maximum for stability.

    Args:
        x: the logits.
        axis: the axis (or tuple of axes) to normalize over; default the last.
        where: optional boolean mask; masked entries get probability 0 and take no part.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.softmax(fd.numpy.array([1.0, 2.0, 3.0]))
        Array([0.09003057, 0.24472846, 0.66524094], dtype=float32)
        >>> fd.nn.softmax(fd.numpy.array([1.0, 2.0, 1000.0]), where=fd.numpy.array([1, 1, 0]) > 0)
        Array([0.2689414, 0.7310586, 0.       ], dtype=float32)
    """
    x = _float(x, "softmax")
    if where is not None:
        x = fnp.where(where, x, -fnp.inf)
    e = fnp.exp(x - _stable_max(x, axis))
    out = e / fnp.sum(e, axis=axis, keepdims=True)
    return out if where is None else fnp.where(where, out, fnp.zeros_like(out))


def log_softmax(x: Any, axis: Any = -1, where: Any = None) -> Any:
    """``x - logsumexp(x)`` along ``axis``: log-probabilities, computed stably.

    Args:
        x: the logits.
        axis: the axis (or axes) to normalize over; default the last.
        where: optional boolean mask; masked entries give ``-inf``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.log_softmax(fd.numpy.array([0.0, 1000.0]))
        Array([-1000.,     0.], dtype=float32)
    """
    x = _float(x, "log_softmax")
    if where is not None:
        x = fnp.where(where, x, -fnp.inf)
    shifted = x - _stable_max(x, axis)
    out = shifted - fnp.log(fnp.sum(fnp.exp(shifted), axis=axis, keepdims=True))
    return out if where is None else fnp.where(where, out, fnp.full_like(out, -fnp.inf))


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """``log(sum(b * exp(a)))`` over ``axis``, without overflow (as ``jax.nn.logsumexp``).

    Args:
        a: the array.
        axis: the axis or axes to reduce; None for all.
        b: optional weights broadcastable to ``a``.
        keepdims: keep the reduced axes with length 1.
        return_sign: also return the sign of the sum (then the log of its absolute value).

    Returns:
        The reduction, or ``(value, sign)`` with ``return_sign``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.logsumexp(fd.numpy.array([1000.0, 1000.0]))
        Array(1000.6932, dtype=float32)
        >>> fd.nn.logsumexp(fd.numpy.array([0.0, 0.0]), b=fd.numpy.array([1.0, -2.0]),
        ...                 return_sign=True)
        (Array(0., dtype=float32), Array(-1., dtype=float32))
    """
    if b is None:
        a = _float(a, "logsumexp")
    else:
        a, b = promote_inexact(a, b, op="logsumexp")
    amax = _stable_max(a, axis)
    e = fnp.exp(a - amax)
    if b is not None:
        e = b * e
    s = fnp.sum(e, axis=axis, keepdims=True)
    sign = fnp.sign(s) if return_sign else None
    out = fnp.log(fnp.abs(s) if return_sign else s) + amax
    if not keepdims:
        out = fnp.squeeze(out, axis=axis)
        sign = None if sign is None else fnp.squeeze(sign, axis=axis)
    return (out, sign) if return_sign else out


def standardize(x: Any, axis: Any = -1, mean: Any = None, variance: Any = None,
                epsilon: float = 1e-5, where: Any = None) -> Any:
    """``(x - mean) / sqrt(variance + epsilon)`` along ``axis`` (computed when not given).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.standardize(fd.numpy.array([1.0, 3.0]))
        Array([-0.999995,  0.999995], dtype=float32)
    """
    x = _float(x, "standardize")
    if mean is None:
        mean = fnp.mean(x, axis=axis, keepdims=True, where=where)
    if variance is None:
        variance = fnp.mean(fnp.square(x - mean), axis=axis, keepdims=True, where=where)
    return (x - mean) * lax.rsqrt(variance + epsilon)


normalize = standardize


def one_hot(x: Any, num_classes: int, *, dtype: Any = None, axis: int = -1) -> Any:
    """One-hot encode ``x`` into a new axis of ``num_classes`` entries (as ``jax.nn``).

    Labels outside ``[0, num_classes)`` give a row of zeros.

    Args:
        x: integer class labels of any shape.
        num_classes: the number of classes (a Python int).
        dtype: the result's dtype (default float32, float64 with x64).
        axis: where the new axis goes.

    Raises:
        TypeError: if ``num_classes`` is not an int (e.g. a traced value).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.one_hot(fd.numpy.array([0, 2]), 3)
        Array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    try:
        n = operator.index(num_classes)
    except TypeError:
        raise TypeError(
            f"one_hot: num_classes must be a Python int (it fixes the result's shape), got "
            f"{type(num_classes).__name__}; under jit pass it as a static argument."
        ) from None
    x = fnp.asarray(x)
    dt = dtypes.canonicalize(float) if dtype is None else dtypes.canonicalize(dtype)
    out_ndim = x.ndim + 1
    if not -out_ndim <= axis < out_ndim:
        raise ValueError(f"one_hot: axis {axis} is out of range for a {out_ndim}-d result")
    axis %= out_ndim
    shape = [1] * out_ndim
    shape[axis] = n
    classes = fnp.arange(n, dtype=x.dtype).reshape(shape)
    return (fnp.expand_dims(x, axis) == classes).astype(dt)
