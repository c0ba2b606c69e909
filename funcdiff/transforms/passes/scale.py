"""Scalar factors: constant scalings moved to where they cost least.

* A constant ``c`` scaling several results that are all linear in one value ``n`` (and
  nothing else reads what lies between): ``n`` is scaled once instead. In a training step,
  ``-lr`` times each parameter's gradient becomes ``-lr`` times the loss's gradient at the
  logits, as a NumPy programmer folds the learning rate in by hand. Linear here: matrix
  products (in one operand), sums, views, negation, products with other values, and
  ``select`` against zero.
* ``c1 * (c2 * x)``, the inner product read only there, becomes ``(c1·c2) * x``: the mean's
  ``1/n`` and the square's ``2`` in a loss gradient are one multiplication.
* ``c * dot_general(a, b)``, the product read only there, becomes ``dot_general(c * a, b)``
  (or ``c * b``) when that operand has fewer elements than the result: a weight's gradient
  scaled by the learning rate (``-lr * (delta.T @ x)``) costs a pass over the batch's
  ``delta`` instead of one over the weight-sized gradient.

Only floating-point scalings by finite constants move. Both rewrites re-associate a
product, so the last bit of a result may round differently (as the ``einsum`` pass's
reordering of sums may).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.ir import Atom, Eqn, Jaxpr, Literal, Var
from ._util import literal_scalar, make_literal, rebuild, subst_eqn, use_counts


def _scaling(eqn: Eqn) -> tuple[Any, Var] | None:
    """``(c, x)`` when ``eqn`` is ``mul`` of a finite float scalar literal and a var ``x`` of
    the result's shape and dtype."""
    if eqn.prim.name != "mul":
        return None
    out = eqn.outvars[0].aval
    if out.dtype.kind != "f":
        return None
    for c, x in (eqn.invars, eqn.invars[::-1]):
        if isinstance(c, Literal) and not c.aval.shape and isinstance(x, Var) and (
                x.aval.shape == out.shape and x.aval.dtype == out.dtype):
            value = literal_scalar(c.val)
            if np.isfinite(value):
                return value, x
    return None


def _scaled(c: Any, x: Atom, source: Any) -> tuple[Eqn, Var]:
    from ... import lax

    v = Var(x.aval)
    lit = make_literal(np.asarray(c, x.aval.dtype), x.aval)
    return Eqn(lax.mul_p, [lit, x], [v], {}, source), v


def _sink_into_dot(eqn: Eqn, c: Any, dot: Eqn) -> list[Eqn] | None:
    if dot.params.get("preferred_element_type") is not None:
        return None
    lhs, rhs = dot.invars
    k = 0 if lhs.aval.size <= rhs.aval.size else 1
    if dot.invars[k].aval.size >= eqn.outvars[0].aval.size:
        return None  # scaling the result is the cheaper pass
    scale, v = _scaled(c, dot.invars[k], eqn.source)
    ins = [v, rhs] if k == 0 else [lhs, v]
    return [scale, Eqn(dot.prim, ins, eqn.outvars, dot.params, dot.source)]


# Primitives linear in each operand separately; which operands carry the value, below.
_LINEAR = frozenset({"dot_general", "reduce_sum", "transpose", "reshape", "broadcast_in_dim",
                     "neg", "mul", "select"})


def _linear_in(eqn: Eqn, pos: int, closure: set) -> bool:
    """Whether ``eqn``'s result is linear in operand ``pos`` (the others held fixed, and
    none of them from ``closure``)."""
    name = eqn.prim.name
    if name not in _LINEAR or len(eqn.outvars) != 1:
        return False
    others = [a for k, a in enumerate(eqn.invars) if k != pos]
    if any(isinstance(a, Var) and a in closure for a in others):
        return False  # quadratic in the value
    if name == "select":
        zero = eqn.invars[3 - pos] if pos in (1, 2) else None
        return zero is not None and isinstance(zero, Literal) and literal_scalar(
            zero.val) == 0
    if name == "mul":
        return eqn.invars[pos].aval.shape == eqn.outvars[0].aval.shape
    return pos == 0 or name == "dot_general"


def _closure(n: Var, uses: dict, eqns: list[Eqn], outs: set) -> tuple[set, list] | None:
    """The values linear in ``n`` and the scalings ``(c, eqn index)`` that end them, when
    every reader of those values is one or the other; else None."""
    closure, sinks, todo = {n}, [], [n]
    while todo:
        v = todo.pop()
        if v in outs:
            return None
        for i, pos in uses.get(v, []):
            eqn = eqns[i]
            found = _scaling(eqn)
            if found is not None and found[1] is v:
                sinks.append((found[0], i))
                continue
            if not _linear_in(eqn, pos, closure):
                return None
            out = eqn.outvars[0]
            if out.aval.dtype != n.aval.dtype:
                return None  # the scaling would change precision on the way
            if out not in closure:
                closure.add(out)
                todo.append(out)
    return closure, sinks


def _propagate(jaxpr: Jaxpr) -> Jaxpr:
    """The first rewrite above, for each value where it saves work."""
    eqns = list(jaxpr.eqns)
    outs = {a for a in jaxpr.outvars if isinstance(a, Var)}
    for _ in range(8):  # each round removes scalings; a few rounds reach a fixed point
        uses: dict[Var, list] = {}
        defs: dict[Var, int] = {}
        for i, eqn in enumerate(eqns):
            for k, a in enumerate(eqn.invars):
                if isinstance(a, Var):
                    uses.setdefault(a, []).append((i, k))
            for v in eqn.outvars:
                defs[v] = i
        best = None
        for n in [*jaxpr.invars, *(v for e in eqns for v in e.outvars)]:
            if n.aval.dtype.kind != "f" or n not in uses:
                continue
            got = _closure(n, uses, eqns, outs)
            if got is None or len(got[1]) < 2:
                continue
            values = {np.asarray(c).tobytes() for c, _ in got[1]}
            if len(values) != 1:
                continue
            saved = sum(eqns[i].outvars[0].aval.size for _, i in got[1]) - n.aval.size
            if saved > 0 and (best is None or saved > best[0]):
                best = (saved, n, got)
        if best is None:
            break
        _, n, (closure, sinks) = best
        c = sinks[0][0]
        scale, scaled = _scaled(c, n, eqns[sinks[0][1]].source)
        # Each scaling's result is its operand now (computed from the scaled n).
        env = {eqns[i].outvars[0]: _scaling(eqns[i])[1] for _, i in sinks}
        drop = {i for _, i in sinks}
        new: list[Eqn] = [scale] if n in jaxpr.invars else []
        for i, eqn in enumerate(eqns):
            if i in drop:
                continue
            if any(isinstance(a, Var) and a is n for a in eqn.invars) and any(
                    v in closure for v in eqn.outvars):
                eqn = Eqn(eqn.prim, [scaled if a is n else a for a in eqn.invars],
                          eqn.outvars, eqn.params, eqn.source)
            new.append(subst_eqn(eqn, env))
            if n in eqn.outvars:
                new.append(scale)
        eqns = new
        jaxpr = rebuild(jaxpr, eqns, env)
        eqns = list(jaxpr.eqns)
    return jaxpr


def sink_scalars(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` with constant scalings folded and moved into matrix products (see above).

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> f = lambda d, x: -0.1 * (d.T @ x)
        >>> jaxpr = fd.make_jaxpr(f)(fnp.ones((8, 2)), fnp.ones((8, 300)))
        >>> [(e.prim.name, e.outvars[0].aval) for e in jaxpr.eqns]
        [('transpose', f32[2,8]), ('dot_general', f32[2,300]), ('mul', f32[2,300])]
        >>> from funcdiff.transforms.passes import dce
        >>> [(e.prim.name, e.outvars[0].aval) for e in dce(sink_scalars(jaxpr)).eqns]
        [('transpose', f32[2,8]), ('mul', f32[2,8]), ('dot_general', f32[2,300])]
    """
    jaxpr = _propagate(jaxpr)
    uses = use_counts(jaxpr)
    defs: dict[Var, Eqn] = {}
    env: dict[Var, Atom] = {}
    eqns: list[Eqn] = []
    for eqn in jaxpr.eqns:
        eqn = subst_eqn(eqn, env)
        new = [eqn]
        found = _scaling(eqn)
        inner = defs.get(found[1]) if found is not None else None
        if inner is not None and uses.get(found[1], 0) == 1:
            c, x = found
            twice = _scaling(inner)
            if twice is not None:
                scale, v = _scaled(c * twice[0], twice[1], eqn.source)
                new = [Eqn(scale.prim, scale.invars, eqn.outvars, {}, eqn.source)]
            elif inner.prim.name == "dot_general":
                new = _sink_into_dot(eqn, c, inner) or new
        eqns.extend(new)
        for e in new:
            for v in e.outvars:
                defs[v] = e
    return rebuild(jaxpr, eqns, env)
