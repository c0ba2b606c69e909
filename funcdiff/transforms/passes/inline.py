"""Inlining: a nested ``jit`` (a ``pjit`` equation) is replaced by the equations it holds.

The outer program is then optimized and compiled as one, across the call boundary. Nested
calls are inlined recursively; each inlined equation keeps its own source line.
"""

from __future__ import annotations

from ...core.ir import Atom, Eqn, Jaxpr, Var
from ._util import rebuild, subst, subst_eqn


def _is_call(eqn: Eqn) -> bool:
    return getattr(eqn.prim, "is_call", False) and isinstance(eqn.params.get("jaxpr"), Jaxpr)


def _splice(inner: Jaxpr, args: list[Atom], outvars: list[Var], out: list[Eqn],
            env: dict[Var, Atom], consts: list) -> None:
    """Append ``inner``'s equations (fresh vars) computing ``outvars`` from ``args``."""
    local: dict[Var, Atom] = dict(zip(inner.invars, args, strict=True))
    for v, c in zip(inner.constvars, inner.consts, strict=True):
        nv = Var(v.aval)
        consts.append((nv, c))
        local[v] = nv
    for eqn in inner.eqns:
        ins = [subst(subst(a, local), env) for a in eqn.invars]
        outs = [Var(v.aval) for v in eqn.outvars]
        local.update(zip(eqn.outvars, outs, strict=True))
        new = Eqn(eqn.prim, ins, outs, eqn.params, eqn.source)
        if _is_call(new):
            _splice(new.params["jaxpr"], ins, outs, out, env, consts)
        else:
            out.append(new)
    for v, a in zip(outvars, inner.outvars, strict=True):
        env[v] = subst(subst(a, local), env)


def inline_calls(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` with every nested ``jit`` call replaced by its equations.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> inner = fd.jit(fnp.sin)
        >>> jaxpr = fd.make_jaxpr(lambda x: inner(x) * 2.0)(fnp.ones(3))
        >>> print(inline_calls(jaxpr))
        { lambda ; a:f32[3]. let
            b:f32[3] = sin a
            c:f32[3] = mul b 2.0:f32[]
          in (c,) }
    """
    if not any(_is_call(e) for e in jaxpr.eqns):
        return jaxpr
    env: dict[Var, Atom] = {}
    consts = list(zip(jaxpr.constvars, jaxpr.consts, strict=True))
    eqns: list[Eqn] = []
    for eqn in jaxpr.eqns:
        eqn = subst_eqn(eqn, env)
        if _is_call(eqn):
            _splice(eqn.params["jaxpr"], list(eqn.invars), eqn.outvars, eqns, env, consts)
        else:
            eqns.append(eqn)
    return rebuild(jaxpr, eqns, env, consts)
