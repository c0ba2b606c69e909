"""Constructors for families of primitives that share their shape and batching rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitive import Primitive, ShapeError
from ..transforms.batching_rules import defbroadcasting, defvectorized

# Dtype groups a primitive may accept.
BOOL = frozenset("b")
INT = frozenset("iu")
FLOAT = frozenset("f")
INEXACT = frozenset("fc")
NUMERIC = frozenset("iufc")
ANY = frozenset("biufc")
INT_OR_BOOL = frozenset("biu")

_KIND_NAMES = {"b": "bool", "i": "signed integer", "u": "unsigned integer",
               "f": "floating", "c": "complexfloating"}


def check_dtype(name: str, aval: ShapedArray, accepted: frozenset) -> None:
    if aval.dtype.kind not in accepted:
        kinds = ", ".join(_KIND_NAMES[k] for k in sorted(accepted))
        raise TypeError(f"{name} does not accept dtype {aval.dtype}; it accepts {kinds}")


def broadcast_shapes(name: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    if len(shapes) == 2:
        a, b = shapes
        if a == b or not b:
            return a  # equal shapes, or a scalar partner: the common cases
        if not a:
            return b
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        sizes = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0} - {1}
        if len(sizes) > 1:
            raise ShapeError(
                f"incompatible shapes for broadcasting: {', '.join(map(str, shapes))}"
            )
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def unary(name: str, impl: Callable[..., Any], accepted: frozenset = ANY,
          out_dtype: Any = None) -> Primitive:
    """An elementwise one-argument primitive; ``out_dtype`` fixes the result dtype."""
    p = Primitive(name)
    p.def_impl(impl)

    def shape_rule(x: ShapedArray, **params: Any) -> ShapedArray:
        check_dtype(name, x, accepted)
        dt = x.dtype if out_dtype is None else np.dtype(out_dtype)
        return ShapedArray(x.shape, dt, x.weak_type and out_dtype is None)

    p.def_abstract_eval(shape_rule)
    defvectorized(p)
    return p


def naryop(name: str, impl: Callable[..., Any], accepted: frozenset = ANY,
           out_dtype: Any = None, nargs: int = 2) -> Primitive:
    """An elementwise primitive of ``nargs`` arrays of one dtype, with NumPy broadcasting."""
    p = Primitive(name)
    p.def_impl(impl)

    def shape_rule(*avals: ShapedArray, **params: Any) -> ShapedArray:
        if len(avals) == 2:
            # The common case, checked in a few steps: two operands of one accepted dtype.
            x, y = avals
            dt = x.dtype
            if (dt is y.dtype or dt == y.dtype) and dt.kind in accepted:
                shape = x.shape if x.shape == y.shape else broadcast_shapes(
                    name, x.shape, y.shape)
                if out_dtype is None:
                    return ShapedArray(shape, dt, x.weak_type and y.weak_type)
                return ShapedArray(shape, out_dtype, False)
        if len(avals) != nargs:
            raise TypeError(f"takes {nargs} arguments, got {len(avals)}")
        for a in avals:
            check_dtype(name, a, accepted)
        dts = {a.dtype for a in avals}
        if len(dts) > 1:
            raise TypeError(
                "requires arguments of one dtype, got "
                f"{', '.join(a.dtype.name for a in avals)}; convert with "
                "lax.convert_element_type or use funcdiff.numpy, which promotes types"
            )
        shape = broadcast_shapes(name, *(a.shape for a in avals))
        weak = all(a.weak_type for a in avals) and out_dtype is None
        return ShapedArray(shape, avals[0].dtype if out_dtype is None else out_dtype, weak)

    p.def_abstract_eval(shape_rule)
    defbroadcasting(p)
    return p


def canonical_axes(name: str, axes: Any, ndim: int) -> tuple[int, ...]:
    """Axes as a sorted tuple of non-negative ints; errors name the op and the rank."""
    if axes is None:
        return tuple(range(ndim))
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"{name}: axis {a} is out of bounds for an array of rank {ndim}")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: repeated axis in {tuple(axes)}")
    return tuple(sorted(out))


def scalar_like(x: Any, aval: ShapedArray) -> Any:
    """A Python scalar as a typed (weak) scalar of ``aval``'s dtype."""
    return np.array(x, dtype=aval.dtype)[()]


def result_dtype_of(*avals: ShapedArray) -> np.dtype:
    return dtypes.result_type(*((a.dtype, a.weak_type) for a in avals))[0]
