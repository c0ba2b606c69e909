"""Scalar factors: constant scalings folded together and moved onto the smallest operand of
the matrix product they scale.

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
