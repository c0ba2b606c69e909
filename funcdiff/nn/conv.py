"""Convolution layers ``Conv1d``, ``Conv2d``, ``Conv3d``: PyTorch's arguments, parameter names
and ``NC…`` layouts, over :func:`funcdiff.lax.conv_general_dilated`."""

from __future__ import annotations

import math
from typing import Any

from .. import lax
from .. import numpy as fnp
from ..numpy._promote import promote_dtypes
from ._checks import as_input, int_tuple, param_dtype, positive_int, split_key
from .init import default_uniform
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d"]

_PAD_MODES = {"zeros": None, "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


class _ConvNd(Module):
    """The shared body of ``Conv1d``/``Conv2d``/``Conv3d`` (``num_spatial`` axes)."""

    num_spatial = 0  # set by each subclass

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", *, key: Any, dtype: Any = None) -> None:
        name, n = type(self).__name__, self.num_spatial
        self.in_channels = positive_int(name, "in_channels", in_channels)
        self.out_channels = positive_int(name, "out_channels", out_channels)
        self.kernel_size = int_tuple(name, "kernel_size", kernel_size, n)
        self.stride = int_tuple(name, "stride", stride, n)
        self.padding = self._check_padding(padding)
        self.dilation = int_tuple(name, "dilation", dilation, n)
        self.groups = positive_int(name, "groups", groups)
        if padding_mode not in _PAD_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {list(_PAD_MODES)}, got {padding_mode!r}")
        self.padding_mode = padding_mode
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{name}: in_channels ({self.in_channels}) and out_channels "
                f"({self.out_channels}) must both be divisible by groups ({self.groups})"
            )
        dt = param_dtype(dtype, name)
        wkey, bkey = split_key(name, key, 2)
        cin = self.in_channels // self.groups
        fan_in = cin * math.prod(self.kernel_size)
        self.weight = default_uniform(wkey, (self.out_channels, cin, *self.kernel_size), fan_in,
                                      dt)
        self.bias = default_uniform(bkey, (self.out_channels,), fan_in, dt) if bias else None

    def _check_padding(self, padding: Any) -> Any:
        name, n = type(self).__name__, self.num_spatial
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"{name}: padding must be 'same', 'valid', an int or {n} ints, got "
                    f"{padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(
                    f"{name}: padding='same' is not supported for strided convolutions "
                    f"(stride={self.stride}), as in PyTorch; pass explicit padding instead")
            return padding
        return int_tuple(name, "padding", padding, n, minimum=0)

    def _pads(self) -> list[tuple[int, int]]:
        if self.padding == "valid":
            return [(0, 0)] * self.num_spatial
        if self.padding == "same":  # the extra element goes at the end, as in PyTorch
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            return [(t // 2, t - t // 2) for t in totals]
        return [(p, p) for p in self.padding]

    def _describe(self) -> str:
        return (f"{type(self).__name__}(in_channels={self.in_channels}, out_channels="
                f"{self.out_channels}, kernel_size={self.kernel_size})")

    def __call__(self, x: Any) -> Any:
        """Convolve ``x`` of shape ``(N, C_in, *spatial)`` or ``(C_in, *spatial)``."""
        x = as_input(x)
        n, c = self.num_spatial, self.in_channels
        if x.ndim < n + 1 or x.shape[-n - 1] != c:
            sp = _SPATIAL[n]
            raise ValueError(
                f"{self._describe()} expected input of shape (N, {c}, {sp}) or ({c}, {sp}), "
                f"got shape {tuple(x.shape)}"
            )
        lead, tail = x.shape[:-n - 1], x.shape[-n - 1:]
        xb = x.reshape((math.prod(lead), *tail))
        pads = self._pads()
        padded = [s + lo + hi for s, (lo, hi) in zip(tail[1:], pads)]
        window = [d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel_size)]
        if any(p < w for p, w in zip(padded, window)):
            raise ValueError(
                f"{self._describe()}: the input's spatial size {tuple(tail[1:])} (padded: "
                f"{tuple(padded)}) is smaller than the dilated kernel {tuple(window)}"
            )
        mode = _PAD_MODES[self.padding_mode]
        if mode is not None:
            xb = fnp.pad(xb, [(0, 0), (0, 0), *pads], mode=mode)
            pads = [(0, 0)] * n
        xb, w = promote_dtypes(xb, self.weight, op=type(self).__name__)
        y = lax.conv_general_dilated(xb, w, self.stride, pads, rhs_dilation=self.dilation,
                                     feature_group_count=self.groups)
        if self.bias is not None:
            y = y + self.bias.reshape((self.out_channels,) + (1,) * n)
        return y.reshape((*lead, *y.shape[1:]))


class Conv1d(_ConvNd):
    """1-d convolution over ``(N, C_in, L)`` or ``(C_in, L)`` input (as ``torch.nn.Conv1d``).

    Parameters: ``weight`` ``(out_channels, in_channels // groups, kernel_size)`` and
    ``bias`` ``(out_channels,)``, from PyTorch's default init. Arguments as
    :class:`Conv2d`.

    Examples:
        >>> import funcdiff as fd
        >>> conv = fd.nn.Conv1d(2, 4, 3, padding=1, key=fd.random.key(0))
        >>> conv(fd.numpy.ones((5, 2, 7))).shape, conv.weight.shape
        ((5, 4, 7), (4, 2, 3))
    """

    num_spatial = 1


class Conv2d(_ConvNd):
    """2-d convolution (cross-correlation, as ``torch.nn.Conv2d``) over ``NCHW`` input.

    ``out[n, o] = bias[o] + sum_{c, i, j} weight[o, c, i, j] * x[n, g*C/G + c, s*h + d*i - p,
    ...]``, with PyTorch's arguments and default init (``uniform(±1/sqrt(fan_in))``,
    ``fan_in = in_channels / groups * kh * kw``).

    Args:
        in_channels: the input's channels ``C_in``.
        out_channels: the output's channels.
        kernel_size: an int or ``(kh, kw)``.
        stride: an int or a pair (default 1).
        padding: an int, a pair, ``"valid"`` (none) or ``"same"`` (output size = input size;
            stride 1 only; an odd total puts the extra element at the end).
        dilation: the kernel's spacing, an int or a pair.
        groups: split the channels into this many independent groups (``in_channels`` for
            a depthwise convolution).
        bias: whether to add a learned bias.
        padding_mode: ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``.
        key: the PRNG key for initialization (keyword-only).
        dtype: the parameters' float dtype.

    Input ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)`` (more leading axes work too);
    output ``(N, C_out, H_out, W_out)`` with ``H_out = (H + 2p - d(k-1) - 1) // s + 1``.

    Raises:
        ValueError: for channels not divisible by ``groups``, bad padding, or an input of
            the wrong shape (naming the layer, the expected and the actual shape).

    Examples:
        >>> import funcdiff as fd
        >>> conv = fd.nn.Conv2d(3, 8, 3, stride=2, padding=1, key=fd.random.key(0))
        >>> conv.weight.shape, conv(fd.numpy.ones((2, 3, 32, 32))).shape
        ((8, 3, 3, 3), (2, 8, 16, 16))
        >>> conv(fd.numpy.ones((3, 10, 10))).shape
        (8, 5, 5)
    """

    num_spatial = 2


class Conv3d(_ConvNd):
    """3-d convolution over ``(N, C_in, D, H, W)`` input (as ``torch.nn.Conv3d``); arguments
    as :class:`Conv2d`.

    Examples:
        >>> import funcdiff as fd
        >>> conv = fd.nn.Conv3d(1, 2, 2, key=fd.random.key(0))
        >>> conv(fd.numpy.ones((1, 1, 3, 3, 3))).shape
        (1, 2, 2, 2, 2)
    """

    num_spatial = 3
