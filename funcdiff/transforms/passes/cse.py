"""Common-subexpression elimination: one equation per distinct (primitive, inputs, params).

After the rest of the passes have canonicalized the program, the same computation written
twice (``maximum(h, 0)`` in the forward pass and again in its derivative) is computed once;
operands of commutative primitives match in either order. Primitives with effects are
never merged.
"""

from __future__ import annotations

from typing import Any

from ...core.ir import Atom, Jaxpr, Literal, Var
from ._util import literal_key, params_key, rebuild, subst_eqn

# Operand order does not matter for these: ``mul a b`` and ``mul b a`` are one computation.
COMMUTATIVE = frozenset({"add", "mul", "max", "min", "eq", "ne", "and", "or", "xor"})


def _atom_key(a: Atom) -> Any:
    return literal_key(a) if isinstance(a, Literal) else ("var", id(a))


def cse(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` with repeated equations replaced by the first one's outputs.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> jaxpr = fd.make_jaxpr(lambda x: fnp.sin(x) + fnp.sin(x))(fnp.ones(3))
        >>> print(cse(jaxpr))
        { lambda ; a:f32[3]. let
            b:f32[3] = sin a
            c:f32[3] = add b b
          in (c,) }
    """
    env: dict[Var, Atom] = {}
    seen: dict[Any, list] = {}
    eqns = []
    for eqn in jaxpr.eqns:
        eqn = subst_eqn(eqn, env)
        if getattr(eqn.prim, "has_effects", False):
            eqns.append(eqn)
            continue
        ins = [_atom_key(a) for a in eqn.invars]
        if eqn.prim.name in COMMUTATIVE:
            ins.sort(key=repr)
        key = (eqn.prim, tuple(ins), params_key(eqn.params))
        first = seen.get(key)
        if first is not None and all(a.aval == b.aval for a, b in zip(first, eqn.outvars)):
            env.update(zip(eqn.outvars, first, strict=True))
            continue
        seen[key] = eqn.outvars
        eqns.append(eqn)
    return rebuild(jaxpr, eqns, env)
