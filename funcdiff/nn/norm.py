"""Normalization layers: ``BatchNorm`` (running statistics as explicit state) and ``LayerNorm``.

Batch statistics are state, not hidden buffers: ``state = bn.init_state()`` makes them and
``y, state = bn(x, state, training=True)`` returns them updated, so a step function stays
pure and works under ``grad``/``jit``. ``training=False`` uses the running statistics and
returns the state unchanged.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .. import lax
from .. import numpy as fnp
from ._checks import as_input, param_dtype, positive_int
from .module import Module

__all__ = ["BatchNorm", "BatchNormState", "LayerNorm"]


class BatchNormState(NamedTuple):
    """The running statistics of a :class:`BatchNorm` (PyTorch's buffer names)."""

    running_mean: Any  # (num_features,), starts at 0
    running_var: Any  # (num_features,), starts at 1; unbiased batch variances
    num_batches_tracked: Any  # int32 scalar: training calls so far


class BatchNorm(Module):
    """Batch normalization over every axis but the feature ``axis`` (as PyTorch's
    ``BatchNorm1d/2d/3d``, whose layouts ``(N, C)``, ``(N, C, L)``, ``(N, C, H, W)`` all
    have the features at ``axis=1``).

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``. With ``training=True`` the mean
    and (biased) variance are those of the batch, and the running statistics are updated as
    PyTorch does: ``running = (1 - momentum) * running + momentum * batch_stat``, with the
    *unbiased* batch variance (``momentum=None``: a cumulative average). With
    ``training=False`` the running statistics normalize and the state comes back unchanged.

    The statistics are explicit state::

        bn = nn.BatchNorm(3)
        state = bn.init_state()
        y, state = bn(x, state, training=True)     # in the training step; keep the state
        y, _ = bn(x, state, training=False)        # at evaluation

    Inside a model, thread the state through ``__call__`` and return it (with
    ``fd.value_and_grad(loss, has_aux=True)`` returning it as the aux output); a
    :class:`Sequential` does it for its layers. Statistics are over the axes of the array it
    is given, so call it on the whole batch, not under ``vmap`` of single examples.

    Args:
        num_features: the length of ``axis``.
        eps: added to the variance.
        momentum: the running statistics' update factor, or None for a cumulative average.
        affine: learn ``weight`` (ones) and ``bias`` (zeros) of shape ``(num_features,)``.
        track_running_stats: keep running statistics; without them (``init_state()`` is
            None) batch statistics are used in both modes.
        axis: the feature axis (1 for ``NC…``; -1 for channels-last).
        dtype: the parameters' and statistics' float dtype.

    Raises:
        ValueError: when the input's ``axis`` is not ``num_features``, or a training batch
            has one value per feature.
        TypeError: when the state is missing but needed.

    Examples:
        >>> import funcdiff as fd
        >>> bn = fd.nn.BatchNorm(2)
        >>> state = bn.init_state()
        >>> x = fd.numpy.array([[1.0, 10.0], [3.0, 30.0]])
        >>> y, state = bn(x, state, training=True)
        >>> y
        Array([[-0.999995, -1.      ],
               [ 0.999995,  1.      ]], dtype=float32)
        >>> state.running_mean, state.running_var
        (Array([0.2, 2. ], dtype=float32), Array([ 1.1, 20.9], dtype=float32))
        >>> bn(x, state, training=False)[0].shape
        (2, 2)
        >>> bn(x, state, inference=True)[0].shape  # the same switch as on Dropout
        (2, 2)
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, axis: int = 1, *,
                 dtype: Any = None) -> None:
        self.num_features = positive_int("BatchNorm", "num_features", num_features)
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.axis = int(axis)
        self.track_running_stats = bool(track_running_stats)
        dt = param_dtype(dtype, "BatchNorm")
        self.weight = fnp.ones(self.num_features, dt) if affine else None
        self.bias = fnp.zeros(self.num_features, dt) if affine else None

    def init_state(self) -> BatchNormState | None:
        """Fresh running statistics (mean 0, variance 1, count 0), or None without them.

        Examples:
            >>> import funcdiff as fd
            >>> fd.nn.BatchNorm(2).init_state().running_var
            Array([1., 1.], dtype=float32)
        """
        if not self.track_running_stats:
            return None
        dt = self.weight.dtype if self.weight is not None else param_dtype(None, "BatchNorm")
        return BatchNormState(fnp.zeros(self.num_features, dt), fnp.ones(self.num_features, dt),
                              fnp.zeros((), fnp.int32))

    def _describe(self) -> str:
        return f"BatchNorm(num_features={self.num_features}, axis={self.axis})"

    def __call__(self, x: Any, state: BatchNormState | None = None, *,
                 training: bool | None = None,
                 inference: bool | None = None) -> tuple[Any, BatchNormState | None]:
        """Normalize ``x``; returns ``(y, new_state)`` (see the class).

        The mode is ``training=True`` (the default) or ``training=False``; ``inference=True``
        is accepted as the same switch as on ``Dropout`` and ``MultiheadAttention``.
        """
        if training is not None and inference is not None and training == inference:
            raise ValueError(
                f"{self._describe()} got training={training} and inference={inference}; give "
                "one of them (inference=True is training=False)"
            )
        training = (not inference) if training is None and inference is not None else (
            True if training is None else bool(training))
        x = as_input(x)
        if not fnp.issubdtype(x.dtype, fnp.inexact):
            x = x.astype(float)
        if not -x.ndim <= self.axis < x.ndim or x.shape[self.axis] != self.num_features:
            raise ValueError(
                f"{self._describe()} expected input with {self.num_features} features on axis "
                f"{self.axis}, got shape {tuple(x.shape)}"
            )
        axis = self.axis % x.ndim
        reduce = tuple(a for a in range(x.ndim) if a != axis)
        bshape = tuple(x.shape[a] if a == axis else 1 for a in range(x.ndim))
        if self.track_running_stats and state is None:
            raise TypeError(
                f"{self._describe()} needs its running statistics: make them with "
                f"`state = bn.init_state()` and call `y, state = bn(x, state, training=...)`."
            )
        if training or not self.track_running_stats:
            n = math.prod(x.shape[a] for a in reduce)
            if training and n <= 1:
                raise ValueError(
                    f"{self._describe()}: expected more than 1 value per feature when "
                    f"training, got input shape {tuple(x.shape)}"
                )
            mean = fnp.mean(x, axis=reduce)
            var = fnp.mean(fnp.square(x - mean.reshape(bshape)), axis=reduce)
            if training and self.track_running_stats:
                state = self._update(state, mean, var, n)
        else:
            mean, var = state.running_mean, state.running_var
        y = (x - mean.reshape(bshape)) * lax.rsqrt(var.reshape(bshape) + self.eps)
        if self.weight is not None:
            y = y * self.weight.reshape(bshape) + self.bias.reshape(bshape)
        return y, state

    def _update(self, state: BatchNormState, mean: Any, var: Any, n: int) -> BatchNormState:
        # Running statistics are bookkeeping, not part of the differentiated computation.
        mean, var = lax.stop_gradient(mean), lax.stop_gradient(var) * (n / (n - 1))
        count = state.num_batches_tracked + 1
        if self.momentum is None:
            f = 1.0 / count.astype(state.running_mean.dtype)
        else:
            f = self.momentum
        rm = (1 - f) * state.running_mean + f * mean.astype(state.running_mean.dtype)
        rv = (1 - f) * state.running_var + f * var.astype(state.running_var.dtype)
        return BatchNormState(rm, rv, count)


class LayerNorm(Module):
    """Layer normalization over the trailing ``normalized_shape`` axes (as
    ``torch.nn.LayerNorm``).

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the mean and biased variance
    over the last ``len(normalized_shape)`` axes; the same in training and inference.

    Args:
        normalized_shape: an int or a shape: the input's trailing axes.
        eps: added to the variance.
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros) of
            ``normalized_shape``.
        bias: learn the bias too (with ``elementwise_affine``).
        dtype: the parameters' float dtype.

    Raises:
        ValueError: when the input's trailing axes are not ``normalized_shape``.

    Examples:
        >>> import funcdiff as fd
        >>> ln = fd.nn.LayerNorm(3)
        >>> ln
        LayerNorm(normalized_shape=(3,), eps=1e-05, weight=f32[3], bias=f32[3])
        >>> ln(fd.numpy.array([[1.0, 2.0, 3.0]]))
        Array([[-1.2247356,  0.       ,  1.2247356]], dtype=float32)
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, *,
                 dtype: Any = None) -> None:
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(positive_int("LayerNorm", "normalized_shape", d)
                                      for d in shape)
        self.eps = float(eps)
        dt = param_dtype(dtype, "LayerNorm")
        affine = bool(elementwise_affine)
        self.weight = fnp.ones(self.normalized_shape, dt) if affine else None
        self.bias = fnp.zeros(self.normalized_shape, dt) if affine and bias else None

    def __call__(self, x: Any) -> Any:
        """Normalize ``x`` of shape ``(*, *normalized_shape)``."""
        x = as_input(x)
        if not fnp.issubdtype(x.dtype, fnp.inexact):
            x = x.astype(float)
        k = len(self.normalized_shape)
        if tuple(x.shape[x.ndim - k:]) != self.normalized_shape or x.ndim < k:
            raise ValueError(
                f"LayerNorm(normalized_shape={self.normalized_shape}) expected input ending in "
                f"axes {self.normalized_shape}, got shape {tuple(x.shape)}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        mean = fnp.mean(x, axis=axes, keepdims=True)
        var = fnp.mean(fnp.square(x - mean), axis=axes, keepdims=True)
        y = (x - mean) * lax.rsqrt(var + self.eps)
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y
