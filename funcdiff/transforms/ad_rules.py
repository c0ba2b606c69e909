"""The autodiff rule tables and the helpers primitives use to fill them.

* ``jvp_rules[p](primals, tangents, **params) -> (primals_out, tangents_out)`` — forward
  mode; tangents may be :class:`Zero`.
* ``transpose_rules[p](ct, *args, **params) -> cts`` — for primitives linear in the args
  given as :class:`UndefinedPrimal`.
* ``vjp_rules[p](needs, ct, ans, *primals, **params) -> cts`` — an optional direct
  reverse rule (a fast path), derived from the same derivative as the JVP by the helpers.

Each derivative is written once: ``defderiv`` (elementwise), ``deflinear`` and
``defbilinear`` derive forward and reverse rules from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core import dtypes
from ..core.array import Array
from ..core.aval import ShapedArray
from ..core.primitive import Primitive

jvp_rules: dict[Primitive, Callable[..., Any]] = {}
transpose_rules: dict[Primitive, Callable[..., Any]] = {}
vjp_rules: dict[Primitive, Callable[..., Any]] = {}
# Primitives whose outputs never carry derivatives (comparisons, integer ops, iota…).
nondiff: set[Primitive] = set()


class Zero:
    """A symbolic zero tangent or cotangent: no array is ever made for it."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"


class UndefinedPrimal:
    """Marks the linear input of a transpose rule: only its abstract value is known."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined(x: Any) -> bool:
    return type(x) is UndefinedPrimal


def tangent_aval(aval: ShapedArray) -> ShapedArray:
    return aval if dtypes.is_inexact(aval.dtype) else aval


_lax_module: Any = None
# The primitives the reverse helpers bind directly (set with _lax_module): where the
# arguments are already arrays, the lax wrappers' operand conversion has nothing to do.
_mul_p: Any = None
_neg_p: Any = None
_reduce_sum_p: Any = None


def _lax() -> Any:
    # funcdiff.lax imports this module: import it on first use, then keep it (an import
    # statement inside the rules would cost a lookup in importlib for every cotangent).
    global _lax_module, _mul_p, _neg_p, _reduce_sum_p
    if _lax_module is None:
        from .. import lax

        _mul_p, _neg_p, _reduce_sum_p = lax.mul_p, lax.neg_p, lax.reduce_sum_p
        _lax_module = lax
    return _lax_module


def zeros_like_aval(aval: ShapedArray) -> Any:
    return _lax().full(aval.shape, 0, aval.dtype)


def instantiate(t: Any) -> Any:
    return zeros_like_aval(t.aval) if type(t) is Zero else t


def unbroadcast(x: Any, aval: ShapedArray) -> Any:
    """Sum ``x`` down to ``aval``'s shape: the reverse of NumPy broadcasting."""
    shape = aval.shape
    if x.shape == shape and x.dtype == aval.dtype:
        return x  # the common case: nothing was broadcast
    lax = _lax()
    if x.shape == shape:
        return lax.convert_element_type(x, aval.dtype)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1
    )
    if axes:  # canonical already (sorted, in range): bind without the wrapper's checks
        x = _reduce_sum_p.bind(x, axes=axes)
    if x.shape != shape:
        x = lax.reshape(x, shape)
    if x.dtype != aval.dtype:
        x = lax.convert_element_type(x, aval.dtype)
    return x


def _aval(x: Any) -> ShapedArray:
    aval = getattr(x, "aval", None)  # arrays, tracers, Zero and UndefinedPrimal have one
    if aval is not None:
        return aval
    from ..core.tracing import get_aval

    return get_aval(x)


# ---------------------------------------------------------------------------------------
# Rule families


def defderiv(prim: Primitive, *derivs: Callable[..., Any] | None) -> None:
    """Elementwise ``prim`` with ``derivs[i](ans, *primals, **params)`` = d out / d x_i.

    ``None`` marks an argument with no derivative. Registers the JVP (sum of
    ``t_i * d_i``) and the direct VJP (``unbroadcast(ct * d_i)``).
    """

    def jvp(primals: Sequence[Any], tangents: Sequence[Any], **params: Any):
        lax = _lax()
        ans = prim.bind(*primals, **params)
        out = None
        for t, d in zip(tangents, derivs, strict=True):
            if type(t) is Zero or d is None:
                continue
            term = _scale(t, d(ans, *primals, **params))
            out = term if out is None else lax.add(out, term)
        if out is None:
            return [ans], [Zero(_aval(ans))]
        if out.shape != ans.shape:
            out = lax.broadcast_to(out, ans.shape)
        return [ans], [out]

    def vjp(needs: Sequence[bool], ct: Any, ans: Any, *primals: Any, **params: Any):
        return [
            unbroadcast(_scale(ct, d(ans, *primals, **params)), _aval(x))
            if need and d is not None else None
            for need, d, x in zip(needs, derivs, primals, strict=True)
        ]

    jvp_rules[prim] = jvp
    vjp_rules[prim] = vjp


def _scale(t: Any, d: Any) -> Any:
    # Derivatives that are the constants 1 or -1 need no multiplication in the program.
    lax = _lax()
    if d.__class__ is int:
        if d == 1:
            return t
        if d == -1:
            return _neg_p.bind(t) if isinstance(t, Array) else lax.neg(t)
    if isinstance(t, Array) and isinstance(d, Array):
        return _mul_p.bind(t, d)  # what lax.mul does with two arrays, minus its conversions
    return lax.mul(t, d)


def deflinear(prim: Primitive, transpose: Callable[..., Any]) -> None:
    """``prim`` is linear in all its array arguments: its JVP applies it to the tangents."""

    def jvp(primals: Sequence[Any], tangents: Sequence[Any], **params: Any):
        ans = prim.bind(*primals, **params)
        outs = ans if prim.multiple_results else [ans]
        if all(type(t) is Zero for t in tangents):
            return outs, [Zero(_aval(o)) for o in outs]
        t_out = prim.bind(*[instantiate(t) for t in tangents], **params)
        return outs, (t_out if prim.multiple_results else [t_out])

    jvp_rules[prim] = jvp
    transpose_rules[prim] = transpose


def defbilinear(prim: Primitive, lhs_t: Callable[..., Any], rhs_t: Callable[..., Any]) -> None:
    """``prim(x, y)`` linear in each argument separately (``mul``, ``dot_general``).

    ``lhs_t(ct, x_aval, y, **params)`` is the cotangent of ``x``; ``rhs_t(ct, x, y_aval,
    **params)`` that of ``y``. The JVP is the product rule; transpose and VJP use the two.
    """

    def jvp(primals: Sequence[Any], tangents: Sequence[Any], **params: Any):
        lax = _lax()
        x, y = primals
        tx, ty = tangents
        ans = prim.bind(x, y, **params)
        out = None
        if type(tx) is not Zero:
            out = prim.bind(tx, y, **params)
        if type(ty) is not Zero:
            term = prim.bind(x, ty, **params)
            out = term if out is None else lax.add(out, term)
        return [ans], [Zero(_aval(ans)) if out is None else out]

    def transpose(ct: Any, x: Any, y: Any, **params: Any):
        if type(ct) is Zero:
            return [None, None]
        if is_undefined(x) and is_undefined(y):
            raise TypeError(f"{prim.name} is not linear in both arguments at once")
        if is_undefined(x):
            return [lhs_t(ct, x.aval, y, **params), None]
        return [None, rhs_t(ct, x, y.aval, **params)]

    def vjp(needs: Sequence[bool], ct: Any, ans: Any, x: Any, y: Any, **params: Any):
        return [
            lhs_t(ct, _aval(x), y, **params) if needs[0] else None,
            rhs_t(ct, x, _aval(y), **params) if needs[1] else None,
        ]

    jvp_rules[prim] = jvp
    transpose_rules[prim] = transpose
    vjp_rules[prim] = vjp


def defnondiff(prim: Primitive) -> None:
    """``prim``'s outputs have no derivative (comparisons, integer arithmetic, ``iota``)."""

    def jvp(primals: Sequence[Any], tangents: Sequence[Any], **params: Any):
        ans = prim.bind(*primals, **params)
        outs = ans if prim.multiple_results else [ans]
        return outs, [Zero(_aval(o)) for o in outs]

    jvp_rules[prim] = jvp
    nondiff.add(prim)


def defjvp(prim: Primitive, rule: Callable[..., Any]) -> None:
    """Register a full JVP rule ``rule(primals, tangents, **params) -> (outs, tangents_out)``."""
    jvp_rules[prim] = rule
