"""Inlining: a call (a nested ``jit``'s ``pjit`` equation) is replaced by its equations.

The outer program is then optimized and compiled as one, across the call boundary. Nested
calls are inlined recursively; each inlined equation keeps its own source line.

Besides ``pjit`` (and any primitive marked ``is_call``, holding ``jaxpr``), the calls of
``custom_jvp``/``custom_vjp`` functions are inlined: when jit runs a program, derivatives
have already been taken, so their rules no longer matter and evaluating them is calling
their jaxpr. A ``checkpoint`` is inlined only with ``prevent_cse=False``: otherwise its
recomputation in the backward pass stays a separate call, as the user asked, rather than
being merged with the forward values that it exists not to keep.
"""

from __future__ import annotations

from ...core.ir import Atom, Eqn, Jaxpr, Var
from ._util import rebuild, subst, subst_eqn

# Primitives whose evaluation calls the jaxpr in the named parameter on all their operands.
CALLS = {"pjit": "jaxpr", "custom_jvp_call": "call_jaxpr", "custom_vjp_call": "call_jaxpr",
         "checkpoint": "jaxpr"}


def call_jaxpr(eqn: Eqn) -> Jaxpr | None:
    """The jaxpr a call-like equation evaluates on its operands, or None."""
    param = "jaxpr" if getattr(eqn.prim, "is_call", False) else CALLS.get(eqn.prim.name)
    callee = eqn.params.get(param) if param else None
    return callee if isinstance(callee, Jaxpr) and not callee.constvars else None


def _callee(eqn: Eqn) -> Jaxpr | None:
    if eqn.prim.name == "checkpoint" and eqn.params.get("prevent_cse", True):
        return None
    return call_jaxpr(eqn)


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
        callee = _callee(new)
        if callee is not None:
            _splice(callee, ins, outs, out, env, consts)
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
    if not any(_callee(e) is not None for e in jaxpr.eqns):
        return jaxpr
    env: dict[Var, Atom] = {}
    consts = list(zip(jaxpr.constvars, jaxpr.consts, strict=True))
    eqns: list[Eqn] = []
    for eqn in jaxpr.eqns:
        eqn = subst_eqn(eqn, env)
        callee = _callee(eqn)
        if callee is not None:
            _splice(callee, list(eqn.invars), eqn.outvars, eqns, env, consts)
        else:
            eqns.append(eqn)
    return rebuild(jaxpr, eqns, env, consts)
