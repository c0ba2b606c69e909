"""Pooling layers ``MaxPool1d/2d`` and ``AvgPool1d/2d`` with PyTorch's arguments, over
:func:`funcdiff.lax.reduce_window` (windows over the trailing spatial axes of ``NC…``
input)."""

from __future__ import annotations

import math
from typing import Any

from .. import lax
from .. import numpy as fnp
from ._checks import as_input, int_tuple
from .module import Module

__all__ = ["AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d"]

_SPATIAL = {1: "L", 2: "H, W"}


def _out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    # PyTorch's rule: with ceil_mode the last window must still start inside the input or
    # the left padding.
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


class _Pool(Module):
    """What the pooling layers share: arguments, shape checks, the window geometry."""

    num_spatial = 0

    def _setup(self, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               ceil_mode: bool) -> None:
        name, n = type(self).__name__, self.num_spatial
        self.kernel_size = int_tuple(name, "kernel_size", kernel_size, n)
        self.stride = int_tuple(name, "stride", kernel_size if stride is None else stride, n)
        self.padding = int_tuple(name, "padding", padding, n, minimum=0)
        self.dilation = int_tuple(name, "dilation", dilation, n)
        self.ceil_mode = bool(ceil_mode)
        for p, k, d in zip(self.padding, self.kernel_size, self.dilation):
            if 2 * p > d * (k - 1) + 1:
                raise ValueError(
                    f"{name}: padding {self.padding} must be at most half of the (dilated) "
                    f"kernel size {self.kernel_size}, as in PyTorch"
                )

    def _describe(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride})"

    def _geometry(self, x: Any) -> tuple[tuple, list[tuple[int, int]]]:
        """Checks ``x`` and gives the window and the (low, high) pads of its last axes."""
        n = self.num_spatial
        if x.ndim < n + 1:
            raise ValueError(
                f"{self._describe()} expected input of shape (N, C, {_SPATIAL[n]}) or "
                f"(C, {_SPATIAL[n]}), got shape {tuple(x.shape)}"
            )
        pads = []
        for size, k, s, p, d in zip(x.shape[-n:], self.kernel_size, self.stride, self.padding,
                                    self.dilation):
            out = _out_size(size, k, s, p, d, self.ceil_mode)
            if out < 1:
                raise ValueError(
                    f"{self._describe()}: the input's spatial size {tuple(x.shape[-n:])} is "
                    f"too small for the kernel (padding {self.padding})"
                )
            extra = max(0, (out - 1) * s + d * (k - 1) + 1 - (size + 2 * p))
            pads.append((p, p + extra))
        return x.shape[-n:], pads

    def _reduce(self, x: Any, init: Any, op: Any, pads: list) -> Any:
        lead = x.ndim - self.num_spatial
        return lax.reduce_window(x, init, op, (1,) * lead + self.kernel_size,
                                 (1,) * lead + self.stride, [(0, 0)] * lead + pads,
                                 window_dilation=(1,) * lead + self.dilation)


class _MaxPool(_Pool):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 ceil_mode: bool = False) -> None:
        self._setup(kernel_size, stride, padding, dilation, ceil_mode)

    def __call__(self, x: Any) -> Any:
        """The maximum of each window (padding never wins)."""
        x = as_input(x)
        _, pads = self._geometry(x)
        low = -fnp.inf if fnp.issubdtype(x.dtype, fnp.floating) else fnp.iinfo(x.dtype).min
        return self._reduce(x, x.dtype.type(low), lax.max, pads)


class _AvgPool(_Pool):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        self._setup(kernel_size, stride, padding, 1, ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        if divisor_override is not None and divisor_override <= 0:
            raise ValueError(
                f"{type(self).__name__}: divisor_override must be positive, got "
                f"{divisor_override}")
        self.divisor_override = divisor_override

    def __call__(self, x: Any) -> Any:
        """The mean of each window (see the class for how padding counts)."""
        x = as_input(x)
        if not fnp.issubdtype(x.dtype, fnp.inexact):
            x = x.astype(float)
        spatial, pads = self._geometry(x)
        total = self._reduce(x, x.dtype.type(0), lax.add, pads)
        if self.divisor_override is not None:
            return total / self.divisor_override
        exact = all(hi == lo for lo, hi in pads)
        if (self.count_include_pad or not any(self.padding)) and exact:
            return total / math.prod(self.kernel_size)
        return total / self._counts(spatial, pads, x.dtype)

    def _counts(self, spatial: tuple, pads: list, dtype: Any) -> Any:
        # How many elements each window averages (PyTorch): with count_include_pad the
        # explicit padding counts but the extra ceil_mode padding does not.
        if self.count_include_pad:
            ones = fnp.ones([s + 2 * p for s, p in zip(spatial, self.padding)], dtype)
            pads = [(0, hi - lo) for lo, hi in pads]
        else:
            ones = fnp.ones(spatial, dtype)
        return lax.reduce_window(ones, dtype.type(0), lax.add, self.kernel_size, self.stride,
                                 pads)


class MaxPool1d(_MaxPool):
    """1-d max pooling over ``(N, C, L)`` or ``(C, L)`` input (as ``torch.nn.MaxPool1d``);
    arguments as :class:`MaxPool2d`.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.MaxPool1d(2)(fd.numpy.array([[1.0, 3.0, 2.0, 0.0]]))
        Array([[3., 2.]], dtype=float32)
    """

    num_spatial = 1


class MaxPool2d(_MaxPool):
    """2-d max pooling over ``(N, C, H, W)`` or ``(C, H, W)`` input (as ``torch.nn.MaxPool2d``).

    Args:
        kernel_size: the window, an int or ``(kh, kw)``.
        stride: the step; default ``kernel_size`` (non-overlapping windows).
        padding: implicit ``-inf`` padding on both sides, at most half the kernel.
        dilation: the spacing of the window's elements.
        ceil_mode: round the output size up (the last window may hang over the end, but
            must start inside the input or its left padding).

    Examples:
        >>> import funcdiff as fd
        >>> x = fd.numpy.arange(16.0).reshape(1, 1, 4, 4)
        >>> fd.nn.MaxPool2d(2)(x)
        Array([[[[ 5.,  7.],
                 [13., 15.]]]], dtype=float32)
        >>> fd.nn.MaxPool2d(3, stride=2, padding=1)(x).shape
        (1, 1, 2, 2)
    """

    num_spatial = 2


class AvgPool1d(_AvgPool):
    """1-d average pooling over ``(N, C, L)`` or ``(C, L)`` input (as ``torch.nn.AvgPool1d``);
    arguments as :class:`AvgPool2d`.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.AvgPool1d(2)(fd.numpy.array([[1.0, 3.0, 2.0, 0.0]]))
        Array([[2., 1.]], dtype=float32)
    """

    num_spatial = 1


class AvgPool2d(_AvgPool):
    """2-d average pooling over ``(N, C, H, W)`` or ``(C, H, W)`` input (as
    ``torch.nn.AvgPool2d``).

    Args:
        kernel_size: the window, an int or ``(kh, kw)``.
        stride: the step; default ``kernel_size``.
        padding: implicit zero padding on both sides, at most half the kernel.
        ceil_mode: round the output size up, as :class:`MaxPool2d`.
        count_include_pad: divide by the whole window, padding included (PyTorch's
            default); ``False`` divides by the number of input elements in the window.
        divisor_override: divide every window's sum by this instead.

    Examples:
        >>> import funcdiff as fd
        >>> x = fd.numpy.ones((1, 3, 3))
        >>> fd.nn.AvgPool2d(2, stride=1, padding=1)(x)[0, 0]
        Array([0.25, 0.5 , 0.5 , 0.25], dtype=float32)
        >>> fd.nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False)(x)[0, 0]
        Array([1., 1., 1., 1.], dtype=float32)
    """

    num_spatial = 2
