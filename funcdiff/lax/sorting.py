"""Sorting primitives: ``sort`` (differentiable: tangents follow the permutation) and
``argsort`` (integer output, no derivative). Both are stable; NaNs sort last."""

from __future__ import annotations

from typing import Any

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitive import Primitive
from ..transforms import ad_rules as ad
from ..transforms.ad_rules import Zero, defnondiff
from ..transforms.batching_rules import batch_rules
from ._family import ANY, canonical_axes, check_dtype
from ._operands import operands

sort_p = Primitive("sort")
argsort_p = Primitive("argsort")


def _check(name: str, x: ShapedArray, dimension: int) -> None:
    check_dtype(name, x, ANY)
    if not 0 <= dimension < x.ndim:
        raise ValueError(f"dimension {dimension} out of range for an array of rank {x.ndim}")


def _sort_shape(x: ShapedArray, *, dimension: int) -> ShapedArray:
    _check("sort", x, dimension)
    return x


def _argsort_shape(x: ShapedArray, *, dimension: int, index_dtype: Any) -> ShapedArray:
    _check("argsort", x, dimension)
    return ShapedArray(x.shape, index_dtype)


def _sort_jvp(primals, tangents, *, dimension):
    from .indexing import take_along_axis_

    (x,), (t,) = primals, tangents
    ans = sort_p.bind(x, dimension=dimension)
    if type(t) is Zero:
        return [ans], [Zero(ans.aval)]
    perm = argsort_p.bind(x, dimension=dimension, index_dtype=dtypes.int32)
    return [ans], [take_along_axis_(t, perm, dimension)]


def _batch(p: Primitive):
    def rule(args, dims, **params):
        (x,), (d,) = args, dims
        dim = params["dimension"]
        params = {**params, "dimension": dim + (dim >= d)}
        return [p.bind(x, **params)], [d]

    return rule


sort_p.def_impl(lambda xp, x, *, dimension: xp.sort(x, axis=dimension, kind="stable"))
sort_p.def_abstract_eval(_sort_shape)
ad.jvp_rules[sort_p] = _sort_jvp
batch_rules[sort_p] = _batch(sort_p)

argsort_p.def_impl(lambda xp, x, *, dimension, index_dtype: xp.argsort(
    x, axis=dimension, kind="stable").astype(index_dtype))
argsort_p.def_abstract_eval(_argsort_shape)
defnondiff(argsort_p)
batch_rules[argsort_p] = _batch(argsort_p)


def sort(operand: Any, dimension: int = -1, is_stable: bool = True) -> Any:
    """``operand`` sorted along ``dimension`` (stable; as ``jax.lax.sort`` for one operand)."""
    (x,) = operands(operand)
    return sort_p.bind(x, dimension=canonical_axes("sort", dimension, x.ndim)[0])


def argsort(operand: Any, dimension: int = -1, index_dtype: Any = None) -> Any:
    """Indices that sort ``operand`` along ``dimension`` (stable)."""
    (x,) = operands(operand)
    dt = dtypes.canonicalize(index_dtype or dtypes.default_int())
    return argsort_p.bind(x, dimension=canonical_axes("argsort", dimension, x.ndim)[0],
                          index_dtype=dt)
