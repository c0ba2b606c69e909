"""Automatic differentiation: forward mode (``jvp``) and reverse mode (``vjp``, ``grad``).

Reverse mode records the function into a jaxpr with a *concrete* builder (each value is
also computed, so Python control flow follows the branch taken), then walks the equations
backwards applying each primitive's VJP rule — or, where a primitive has only a JVP rule,
linearizing that rule into a small linear jaxpr and transposing it. The rules are written
in lax operations, so the backward pass is itself recorded by whatever interpreter is
current: ``make_jaxpr(grad(f))`` shows it, and ``grad(grad(f))`` differentiates it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.builder import BuilderTracer, JaxprBuilder
from ..core.ir import Jaxpr, Literal, Var
from ..core.primitive import Primitive
from ..core.tracing import Interpreter, Tracer, get_aval, use_interpreter
from .ad_rules import (
    UndefinedPrimal,
    Zero,
    jvp_rules,
    nondiff,
    transpose_rules,
    vjp_rules,
)


class NoRuleError(NotImplementedError):
    """A primitive has no rule for the transform that met it."""


def _no_rule(prim: Primitive, transform: str) -> NoRuleError:
    return NoRuleError(
        f"primitive {prim.name!r} has no {transform} rule, so it cannot be differentiated "
        f"this way. Register one in funcdiff/transforms/ad_rules.py's table beside the "
        f"primitive, or wrap the computation in fd.custom_jvp / fd.custom_vjp."
    )


# ---------------------------------------------------------------------------------------
# Forward mode


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, interp: JVPInterpreter, primal: Any, tangent: Any) -> None:
        super().__init__(interp, get_aval(primal))
        self.primal = primal
        self.tangent = tangent


class JVPInterpreter(Interpreter):
    """Carries a tangent beside each value and applies each primitive's JVP rule."""

    def __init__(self, parent: Interpreter) -> None:
        self.parent = parent

    def process(self, prim: Primitive, args: Sequence[Any], params: dict) -> list:
        primals, tangents, any_t = [], [], False
        for a in args:
            if isinstance(a, JVPTracer) and a._interp is self:
                primals.append(a.primal)
                tangents.append(a.tangent)
                any_t = any_t or type(a.tangent) is not Zero
            else:
                primals.append(a)
                tangents.append(Zero(get_aval(a)))
        if not any_t:
            return self.parent.process(prim, primals, params)
        rule = jvp_rules.get(prim)
        if rule is None:
            raise _no_rule(prim, "JVP (forward-mode)")
        with use_interpreter(self.parent):
            outs, t_outs = rule(primals, tangents, **params)
        return [JVPTracer(self, o, t) for o, t in zip(outs, t_outs, strict=True)]

    def concrete_value(self, tracer: Tracer) -> Any:
        return tracer.primal  # type: ignore[attr-defined]


def jvp_flat(fn: Callable[..., list], primals: Sequence[Any], tangents: Sequence[Any]):
    """Forward mode on flat lists; ``tangents`` may hold :class:`Zero`."""
    from ..core.tracing import current_interpreter

    interp = JVPInterpreter(current_interpreter())
    ins = [JVPTracer(interp, p, t) for p, t in zip(primals, tangents, strict=True)]
    with use_interpreter(interp):
        outs = fn(*ins)
    p_out, t_out = [], []
    for o in outs:
        if isinstance(o, JVPTracer) and o._interp is interp:
            p_out.append(o.primal)
            t_out.append(o.tangent)
        else:
            p_out.append(o)
            t_out.append(Zero(get_aval(o)))
    return p_out, t_out


# ---------------------------------------------------------------------------------------
# Reverse mode


def _add_cts(a: Any, b: Any) -> Any:
    from .. import lax

    if a is None:
        return b
    if b is None:
        return a
    return lax.add(a, b)


def backward_pass(jaxpr: Jaxpr, env: dict[Var, Any], cts_out: Sequence[Any],
                  wanted: Sequence[Var]) -> list:
    """Cotangents of ``wanted`` vars, given those of the outputs (``None`` is zero).

    ``env`` maps vars to their values; a var missing from it is a linear input
    (:class:`UndefinedPrimal`), so the same walk transposes linear jaxprs.
    """
    active = set(wanted)
    for eqn in jaxpr.eqns:
        if any(isinstance(v, Var) and v in active for v in eqn.invars):
            active.update(eqn.outvars)
    ct_env: dict[Var, Any] = {}
    for v, ct in zip(jaxpr.outvars, cts_out, strict=True):
        if isinstance(v, Var) and ct is not None and v in active:
            ct_env[v] = _add_cts(ct_env.get(v), ct)

    def read(a: Any) -> Any:
        if isinstance(a, Literal):
            return a.val
        return env[a] if a in env else UndefinedPrimal(a.aval)

    for eqn in reversed(jaxpr.eqns):
        cts = [ct_env.pop(v, None) for v in eqn.outvars]
        if all(c is None for c in cts) or eqn.prim in nondiff:
            continue
        needs = [isinstance(v, Var) and v in active and dtypes.is_inexact(v.aval.dtype)
                 for v in eqn.invars]
        if not any(needs):
            continue
        args = [read(a) for a in eqn.invars]
        cts_in = _eqn_vjp(eqn.prim, needs, cts, args, [read(v) for v in eqn.outvars], eqn.params)
        for v, need, ct in zip(eqn.invars, needs, cts_in, strict=True):
            if need and ct is not None:
                ct_env[v] = _add_cts(ct_env.get(v), ct)
    return [ct_env.get(v) for v in wanted]


def _eqn_vjp(prim: Primitive, needs: list[bool], cts: list, args: list, outs: list,
             params: dict) -> list:
    ct = cts if prim.multiple_results else cts[0]
    if prim.multiple_results:
        ct = [Zero(get_aval(o) if not isinstance(o, UndefinedPrimal) else o.aval)
              if c is None else c for c, o in zip(cts, outs)]
    linear_call = any(type(a) is UndefinedPrimal for a in args)
    if not linear_call and prim in vjp_rules:
        ans = outs if prim.multiple_results else outs[0]
        return vjp_rules[prim](needs, ct, ans, *args, **params)
    if prim in transpose_rules:
        # Linear in the inputs we need: mark them undefined and transpose.
        t_args = [UndefinedPrimal(get_aval(a)) if need and type(a) is not UndefinedPrimal
                  else a for a, need in zip(args, needs)]
        return list(transpose_rules[prim](ct, *t_args, **params))
    if linear_call:
        raise _no_rule(prim, "transpose")
    return _vjp_by_linearizing(prim, needs, ct, args, params)


def _vjp_by_linearizing(prim: Primitive, needs: list[bool], ct: Any, args: list,
                        params: dict) -> list:
    """Reverse rule from the JVP rule: record it on symbolic tangents, then transpose."""
    from ..core.tracing import current_interpreter

    rule = jvp_rules.get(prim)
    if rule is None:
        raise _no_rule(prim, "VJP (reverse-mode)")
    lin = JaxprBuilder(current_interpreter(), why="linearization")
    tangents = [lin.new_arg(get_aval(a)) if need else Zero(get_aval(a))
                for a, need in zip(args, needs)]
    with use_interpreter(lin):
        _, t_out = rule(args, tangents, **params)
    cts = ct if prim.multiple_results else [ct]
    live = [(t, c) for t, c in zip(t_out, cts, strict=True)
            if type(t) is not Zero and type(c) is not Zero]
    jaxpr = lin.build([t for t, _ in live])
    env = dict(zip(jaxpr.constvars, jaxpr.consts, strict=True))
    wanted = [t.var for t in tangents if isinstance(t, BuilderTracer)]
    got = iter(backward_pass(jaxpr, env, [c for _, c in live], wanted))
    return [next(got) if need else None for need in needs]


class VJPResult:
    """What a reverse-mode trace leaves behind: the tape and its values."""

    def __init__(self, jaxpr: Jaxpr, env: dict, in_vars: list, in_avals: list) -> None:
        self.jaxpr, self.env, self.in_vars, self.in_avals = jaxpr, env, in_vars, in_avals


def vjp_flat(fn: Callable[..., Any], primals: Sequence[Any], has_aux: bool = False):
    """Trace ``fn`` (flat primals in, a pytree out) for reverse mode.

    Returns ``(out, backward, aux)``: the output pytree at the caller's level, a function
    mapping flat output cotangents (``None`` for zero) to flat input cotangents, and the aux
    pytree (with this trace's tracers replaced by their values) when ``has_aux``.
    """
    from .. import tree
    from ..core.convert import as_operand
    from ..core.tracing import current_interpreter

    builder = JaxprBuilder(current_interpreter(), concrete=True, why="grad")
    ins = [builder.new_arg(get_aval(p), p) for p in primals]
    with use_interpreter(builder):
        out = fn(*ins)
    aux = None
    if has_aux:
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(
                "with has_aux=True the function must return a pair (output, aux), got "
                f"{type(out).__name__}"
            )
        out, aux = out
        aux = tree.map(lambda x: x.val if isinstance(x, BuilderTracer) and x._interp is builder
                       else x, aux)
    flat_out, out_tree = tree.flatten(out)
    flat_out = [as_operand(o, what="an output of the differentiated function") for o in flat_out]
    jaxpr = builder.build(flat_out)
    in_vars = [t.var for t in ins]

    def backward(cts: Sequence[Any]) -> list:
        got = backward_pass(jaxpr, builder.env, list(cts), in_vars)
        return [_zeros_if_none(g, p) for g, p in zip(got, primals, strict=True)]

    lowered = [o.val if isinstance(o, BuilderTracer) and o._interp is builder else o
               for o in flat_out]
    return tree.unflatten(out_tree, lowered), backward, aux


def _zeros_if_none(g: Any, primal: Any) -> Any:
    from .. import lax

    aval = get_aval(primal)
    if g is None or isinstance(g, Zero):
        g = lax.full(aval.shape, 0, aval.dtype)
    if get_aval(g).weak_type != aval.weak_type:
        # Gradients are typed like their primals, weak types included (as in JAX).
        g = lax.convert_element_type(g, aval.dtype, weak_type=aval.weak_type)
    return g


def zeros_for(aval: ShapedArray) -> Any:
    from .. import lax

    return lax.full(aval.shape, 0, aval.dtype)
