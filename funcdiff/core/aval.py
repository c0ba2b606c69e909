"""Abstract values: what tracing knows about an array — its shape, dtype and weak type."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .dtypes import short_name

_interned: dict[tuple, ShapedArray] = {}


class ShapedArray:
    """The abstract value of an array: ``shape``, ``dtype`` and ``weak_type``.

    Prints in the short form used by jaxprs: ``f32[3,4]``.

    Examples:
        >>> import numpy as np
        >>> ShapedArray((3, 4), np.float32)
        f32[3,4]
    """

    __slots__ = ("shape", "dtype", "weak_type", "_hash")

    def __new__(cls, shape: tuple[int, ...], dtype: Any, weak_type: bool = False) -> ShapedArray:
        # Interned: equal avals are mostly one object, so the shape-rule caches keyed by
        # avals (core.tracing) match by identity instead of calling __eq__. Equality stays
        # structural: interning is only a speed-up (the table is cleared when it grows).
        try:
            key = (shape, dtype, weak_type)
            hit = _interned.get(key)
        except TypeError:  # a list shape: not hashable
            key = hit = None
        if hit is not None and hit.__class__ is cls:
            return hit
        self = object.__new__(cls)
        self.shape = shape if shape.__class__ is tuple else tuple(shape)
        self.dtype = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype)
        self.weak_type = weak_type if weak_type.__class__ is bool else bool(weak_type)
        self._hash = None
        if len(_interned) > 4096:
            _interned.clear()
        if key is not None:
            _interned[key] = self
        return self

    def __reduce__(self) -> tuple:
        return (ShapedArray, (self.shape, self.dtype, self.weak_type))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def update(self, shape=None, dtype=None, weak_type=None) -> ShapedArray:
        return ShapedArray(
            self.shape if shape is None else shape,
            self.dtype if dtype is None else dtype,
            self.weak_type if weak_type is None else weak_type,
        )

    def strip_weak(self) -> ShapedArray:
        return self if not self.weak_type else ShapedArray(self.shape, self.dtype)

    def str_short(self) -> str:
        return f"{short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ShapedArray)
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.weak_type == other.weak_type
        )

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self.shape, self.dtype, self.weak_type))
        return self._hash

    def __repr__(self) -> str:
        return self.str_short()
