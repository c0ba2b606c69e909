"""A static cost estimate of a jaxpr, from shapes alone, before anything runs.

The counting rules (each equation, from its operands' and results' abstract values):

* ``flops``: arithmetic operations. One per result element for elementwise arithmetic,
  comparisons, ``select`` and bitwise ops; ``|y| - 1`` per element for ``integer_pow``
  (at least one); ``n - m`` for a reduction of ``n`` elements to ``m``, ``n`` for a
  cumulative one; ``2·M·N·K`` for a ``dot_general`` (``M·N`` result elements, ``K`` the
  contracted size); one per update for an accumulating ``scatter``; ``n·⌈log2 k⌉`` for a sort.
  Data movement (shapes, gathers, conversions) costs no flops.
* ``transcendentals``: one per result element of ``exp``, ``log``, ``sin``, ``tanh``,
  ``sqrt``, ``pow``… (these are not also counted as flops).
* ``bytes_moved``: every array operand read plus every result written, once per equation;
  literals are free, and so are views (``reshape``, ``transpose``, ``broadcast_in_dim``,
  ``slice``, ``rev``), which NumPy makes without touching the data.
* ``peak_bytes``: the most memory the program's own buffers hold at once, from the memory
  plan of :mod:`.codegen` (arguments and constants not included; recycled buffers count
  once). ``None`` without a plan.

Primitives holding sub-jaxprs (control flow) add their sub-jaxprs' costs, times a
``length`` parameter when they have one (a ``scan``); of alternatives (``cond``'s
branches) the dearest counts; a ``while_loop``'s trips are unknown statically and count
once.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ..core.ir import Eqn, Jaxpr, Var

TRANSCENDENTAL = frozenset({
    "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "cbrt", "sin", "cos", "tan", "asin",
    "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "logistic", "erf",
    "erf_inv", "pow", "atan2",
})
ELEMENTWISE = frozenset({
    "neg", "sign", "floor", "ceil", "round", "is_finite", "abs", "add", "sub", "mul", "div",
    "rem", "max", "min", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor", "not",
    "select", "shift_left", "shift_right_logical", "shift_right_arithmetic",
    "population_count",
})
VIEWS = frozenset({"reshape", "transpose", "broadcast_in_dim", "slice", "rev", "stop_gradient"})
REDUCTIONS = frozenset({"reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and",
                        "reduce_or", "argmax", "argmin"})
CUMULATIVE = frozenset({"cumsum", "cumprod", "cummax", "cummin"})


class Cost(NamedTuple):
    """What a program costs, estimated from shapes (see the module docstring for the rules)."""

    flops: int
    transcendentals: int
    bytes_moved: int
    peak_bytes: int | None
    arg_bytes: int
    out_bytes: int

    def __str__(self) -> str:
        peak = "?" if self.peak_bytes is None else _size(self.peak_bytes)
        return (f"{self.flops:,} flops, {self.transcendentals:,} transcendentals, "
                f"{_size(self.bytes_moved)} moved, peak {peak} of buffers "
                f"(arguments {_size(self.arg_bytes)}, results {_size(self.out_bytes)})")


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _nbytes(a: Any) -> int:
    return a.aval.size * a.aval.dtype.itemsize


def eqn_flops(eqn: Eqn) -> tuple[int, int]:
    """``(flops, transcendentals)`` of one equation."""
    name = eqn.prim.name
    out = eqn.outvars[0].aval if eqn.outvars else None
    if name in TRANSCENDENTAL:
        return 0, out.size
    if name in ELEMENTWISE:
        return out.size, 0
    if name == "integer_pow":
        return out.size * max(abs(eqn.params["y"]) - 1, 1), 0
    if name in REDUCTIONS:
        return eqn.invars[0].aval.size - out.size, 0
    if name in CUMULATIVE:
        return eqn.invars[0].aval.size, 0
    if name == "dot_general":
        (lc, _), _ = eqn.params["dimension_numbers"]
        k = math.prod(eqn.invars[0].aval.shape[i] for i in lc)
        return 2 * out.size * k, 0
    if name == "scatter" and eqn.params.get("mode") != "set":
        return eqn.invars[1].aval.size, 0
    if name in ("sort", "argsort"):
        x = eqn.invars[0].aval
        n = x.shape[eqn.params.get("dimension", x.ndim - 1)] if x.ndim else 1
        return x.size * max(math.ceil(math.log2(max(n, 1))), 1), 0
    return _nested_flops(eqn)


def _nested_flops(eqn: Eqn) -> tuple[int, int]:
    """Control flow: single sub-jaxprs add up (times ``length`` for a scan); a tuple of
    them are alternatives (``cond``'s branches), of which the dearest counts."""
    flops = trans = 0
    times = int(eqn.params.get("length", 1))
    for v in eqn.params.values():
        if isinstance(v, Jaxpr):
            c = estimate(v)
            flops, trans = flops + times * c.flops, trans + times * c.transcendentals
        elif isinstance(v, tuple) and v and all(isinstance(j, Jaxpr) for j in v):
            costs = [estimate(j) for j in v]
            flops += max(c.flops for c in costs)
            trans += max(c.transcendentals for c in costs)
    return flops, trans


def eqn_bytes(eqn: Eqn) -> int:
    """Bytes read and written by one equation (0 for views)."""
    if eqn.prim.name in VIEWS:
        return 0
    ins = {a: None for a in eqn.invars if isinstance(a, Var)}
    return sum(_nbytes(a) for a in ins) + sum(_nbytes(v) for v in eqn.outvars)


def estimate(jaxpr: Jaxpr, plan: Any = None) -> Cost:
    """The :class:`Cost` of ``jaxpr``; ``plan`` (a codegen ``MemoryPlan``) gives the peak.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> jaxpr = fd.make_jaxpr(lambda w, x: fnp.tanh(x @ w) + 1.0)(
        ...     fnp.ones((3, 4)), fnp.ones((2, 3)))
        >>> c = estimate(jaxpr)
        >>> c.flops, c.transcendentals   # 2*2*4*3 for the product, 8 adds; 8 tanh
        (56, 8)
        >>> c.bytes_moved   # dot: 48 + 24 in, 32 out; tanh: 32 + 32; add: 32 + 32
        232
    """
    flops = trans = moved = 0
    for eqn in jaxpr.eqns:
        f, t = eqn_flops(eqn)
        flops, trans, moved = flops + f, trans + t, moved + eqn_bytes(eqn)
    args = sum(_nbytes(v) for v in jaxpr.invars)
    outs = sum(_nbytes(a) for a in jaxpr.outvars)
    peak = None if plan is None else plan.peak_bytes
    return Cost(flops, trans, moved, peak, args, outs)
