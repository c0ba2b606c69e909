"""Argument checks shared by the layers, so their errors read alike: each names the layer
(as it was built), what it expected and what it got."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import numpy as fnp
from .. import random
from ..core import dtypes
from ..core.array import Array


def layer_name(layer: Any, *fields: str) -> str:
    """``Linear(in_features=10, out_features=20)``: the layer as it was built."""
    args = ", ".join(f"{f}={getattr(layer, f)!r}" for f in fields)
    return f"{type(layer).__name__}({args})"


def split_key(layer: str, key: Any, num: int) -> list[Any]:
    """``num`` keys from ``key``, or a TypeError saying a layer needs a key to initialize."""
    if key is None:
        raise TypeError(
            f"{layer} needs a PRNG key to initialize its parameters: pass key=..., e.g. "
            f"`fd.nn.{layer}(..., key=fd.random.key(0))` (split one key per layer with "
            f"fd.random.split)."
        )
    keys = random.split(key, num)
    return [keys[i] for i in range(num)]


def param_dtype(dtype: Any, layer: str) -> np.dtype:
    """A float dtype for parameters; None is the default float (float32, float64 with x64)."""
    if dtype is None:
        return dtypes.canonicalize(float)
    dt = dtypes.canonicalize(dtype, explicit=True, op=layer)
    if dt.kind not in "fc":
        raise TypeError(f"{layer}: parameters need a float dtype, got dtype={dt}")
    return dt


def positive_int(layer: str, what: str, value: Any, minimum: int = 1) -> int:
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{layer}: {what} must be an int, got {value!r}") from None
    if v < minimum:
        raise ValueError(f"{layer}: {what} must be >= {minimum}, got {v}")
    return v


def int_tuple(layer: str, what: str, value: Any, n: int, minimum: int = 1) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints, as a tuple of ``n`` ints (PyTorch's ``_pair``)."""
    if isinstance(value, (int, np.integer)):
        value = (value,) * n
    if not isinstance(value, Sequence) or len(value) != n:
        raise ValueError(f"{layer}: {what} must be an int or {n} ints, got {value!r}")
    return tuple(positive_int(layer, what, v, minimum) for v in value)


def as_input(x: Any) -> Any:
    return x if isinstance(x, Array) else fnp.asarray(x)
