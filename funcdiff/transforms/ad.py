"""Automatic differentiation: forward mode (``jvp``) and reverse mode (``vjp``, ``grad``).

Reverse mode records the function into a jaxpr with a *concrete* builder, the tape (each
value is also computed, so Python control flow follows the branch taken), then walks the
equations backwards applying each primitive's VJP rule — or, where a primitive has only a
JVP rule, linearizing that rule into a small linear jaxpr and transposing it. Primitives
whose reverse rule needs values from the forward pass (``custom_vjp``'s ``fwd``, a
``custom_jvp`` rule linearized once) register ``fwd_rules``/``bwd_rules``: the tape keeps
their residuals. The rules are written in lax operations, so the backward pass is itself
recorded by whatever interpreter is current: ``make_jaxpr(grad(f))`` shows it, and
``grad(grad(f))`` differentiates it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import tree
from ..core import tracing as _tracing
from ..core.array import Array, ArrayImpl
from ..core.aval import ShapedArray
from ..core.builder import BuilderTracer, JaxprBuilder
from ..core.convert import as_operand
from ..core.ir import Eqn, Jaxpr, Var
from ..core.primitive import Primitive
from ..core.tracing import (
    Interpreter,
    Tracer,
    current_interpreter,
    get_aval,
    process_in,
    use_interpreter,
)
from . import ad_compiled
from .ad_rules import (
    UndefinedPrimal,
    Zero,
    jvp_rules,
    nondiff,
    transpose_rules,
    vjp_rules,
)

# Reverse-mode rules that keep residuals from the forward pass rather than recompute them in
# the backward pass (custom_vjp's ``fwd``; a custom_jvp rule, linearized once):
# ``fwd_rules[p](args, diff, **params) -> (outs, residuals)`` runs while the tape records, in
# the tape's parent interpreter (``diff[i]``: input ``i`` may receive a cotangent);
# ``bwd_rules[p](residuals, needs, cts, **params) -> cts`` runs in the backward pass, with
# ``None`` for zero cotangents in and out.
fwd_rules: dict[Primitive, Callable[..., Any]] = {}
bwd_rules: dict[Primitive, Callable[..., Any]] = {}


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
# Reverse mode: the tape


class TapeBuilder(JaxprBuilder):
    """The concrete builder reverse mode records with (values computed in the parent).

    Beyond :class:`JaxprBuilder`, primitives with a ``fwd_rules`` entry run that rule
    instead, and their residuals are kept for the backward pass.
    """

    def __init__(self, parent: Interpreter) -> None:
        super().__init__(parent, concrete=True, why="grad")
        self.residuals: dict[int, Any] = {}  # id(eqn) -> residuals of its fwd rule

    def process(self, prim: Primitive, args: Sequence[Any], params: dict) -> list:
        # The hot path of eager reverse mode: one pass over the arguments, no abstract eval
        # (the parent computed the values, whose avals are the outputs' types).
        parent_args, invars, own = [], [], False
        for a in args:
            if a.__class__ is BuilderTracer and a._interp is self:
                own = True
                parent_args.append(a.val)
                invars.append(a.var)
            else:
                parent_args.append(a)
                invars.append(None)
        if not own:
            return self.parent.process(prim, args, params)
        for i, v in enumerate(invars):
            if v is None:
                invars[i] = self.atom(args[i])
        fwd = fwd_rules.get(prim)
        if fwd is None:
            vals = self.parent.process(prim, parent_args, params)
        else:
            diff = [v.__class__ is Var and a.__class__ is BuilderTracer and a._interp is self
                    and v.aval.dtype.kind in "fc" for a, v in zip(args, invars, strict=True)]
            vals, res = process_in(self.parent, fwd, parent_args, diff, **params)
        outvars = [Var(v.aval if v.__class__ is ArrayImpl else get_aval(v)) for v in vals]
        eqn = Eqn(prim, invars, outvars, params)
        self.eqns.append(eqn)
        if fwd is not None:
            self.residuals[id(eqn)] = res
        env = self.env
        outs = []
        for v, val in zip(outvars, vals):
            env[v] = val
            outs.append(BuilderTracer(self, v.aval, v, val))
        return outs


_lax_module: Any = None


def _lax() -> Any:
    # Imported on first use (lax's modules import the transforms), then kept: this runs
    # for every cotangent.
    global _lax_module
    if _lax_module is None:
        from .. import lax

        _lax_module = lax
    return _lax_module


_add_p: Any = None


def _add_cts(a: Any, b: Any) -> Any:
    global _add_p
    if a is None:
        return b
    if b is None:
        return a
    if _add_p is None:
        _add_p = _lax().add_p
    if isinstance(a, Array) and isinstance(b, Array):
        return _add_p.bind(a, b)  # what lax.add does with two arrays, minus its conversions
    return _lax().add(a, b)


_MISSING = object()
_INEXACT = "fc"


def backward_pass(jaxpr: Jaxpr, env: dict[Var, Any], cts_out: Sequence[Any],
                  wanted: Sequence[Var], residuals: dict[int, Any] | None = None) -> list:
    """Cotangents of ``wanted`` vars, given those of the outputs (``None`` is zero).

    ``env`` maps vars to their values; a var missing from it is a linear input
    (:class:`UndefinedPrimal`), so the same walk transposes linear jaxprs. ``residuals``
    (from :class:`TapeBuilder`) holds what ``fwd_rules`` kept for their equations.
    """
    active = set(wanted)
    for eqn in jaxpr.eqns:
        for v in eqn.invars:
            if v in active:
                active.update(eqn.outvars)
                break
    ct_env: dict[Var, Any] = {}
    for v, ct in zip(jaxpr.outvars, cts_out, strict=True):
        if ct is not None and v in active:
            ct_env[v] = _add_cts(ct_env.get(v), ct)
    pop, get = ct_env.pop, env.get
    for eqn in reversed(jaxpr.eqns):
        outvars = eqn.outvars
        if len(outvars) == 1:
            ct = pop(outvars[0], None)
            if ct is None:
                continue
            cts = [ct]
        else:
            cts = [pop(v, None) for v in outvars]
            if all(c is None for c in cts):
                continue
        prim = eqn.prim
        if prim in nondiff:
            continue
        # Inputs that need a cotangent: vars on a path from `wanted`, of an inexact dtype.
        needs = [v in active and v.aval.dtype.kind in _INEXACT for v in eqn.invars]
        if True not in needs:
            continue
        res = _MISSING if residuals is None else residuals.get(id(eqn), _MISSING)
        if res is not _MISSING:
            cts_in = bwd_rules[prim](res, needs, cts, **eqn.params)
        else:
            args, linear = [], False
            for a in eqn.invars:
                if a.__class__ is not Var:
                    args.append(a.val)
                    continue
                val = get(a, _MISSING)
                if val is _MISSING:
                    val, linear = UndefinedPrimal(a.aval), True
                args.append(val)
            outs = []
            for v in outvars:
                o = get(v, _MISSING)
                outs.append(UndefinedPrimal(v.aval) if o is _MISSING else o)
            cts_in = _eqn_vjp(prim, needs, cts, args, outs, eqn.params, linear)
        for v, need, ct in zip(eqn.invars, needs, cts_in, strict=True):
            if need and ct is not None and ct.__class__ is not Zero:
                prev = ct_env.get(v)
                ct_env[v] = ct if prev is None else _add_cts(prev, ct)
    return [ct_env.get(v) for v in wanted]


def _eqn_vjp(prim: Primitive, needs: list[bool], cts: list, args: list, outs: list,
             params: dict, linear_call: bool) -> list:
    if prim.multiple_results:
        ct = [Zero(o.aval if isinstance(o, UndefinedPrimal) else get_aval(o))
              if c is None else c for c, o in zip(cts, outs)]
    else:
        ct = cts[0]
    if not linear_call:
        rule = vjp_rules.get(prim)
        if rule is not None:
            return rule(needs, ct, outs if prim.multiple_results else outs[0], *args, **params)
    rule = transpose_rules.get(prim)
    if rule is not None:
        # Linear in the inputs we need: mark them undefined and transpose.
        t_args = [UndefinedPrimal(get_aval(a)) if need and type(a) is not UndefinedPrimal
                  else a for a, need in zip(args, needs)]
        return list(rule(ct, *t_args, **params))
    if linear_call:
        raise _no_rule(prim, "transpose")
    _, lin = linearize_rule(prim, args, needs, params)
    return transpose_linearized(lin, ct if prim.multiple_results else [ct])


# ---------------------------------------------------------------------------------------
# Reverse rules from JVP rules: linearize, then transpose


class Linearized:
    """A JVP rule recorded on symbolic tangents: a linear jaxpr from tangents in to out."""

    __slots__ = ("jaxpr", "live", "tangent_vars", "diff")

    def __init__(self, jaxpr: Jaxpr, live: list[int], tangent_vars: list, diff: list) -> None:
        self.jaxpr, self.live, self.tangent_vars, self.diff = jaxpr, live, tangent_vars, diff


def linearize_rule(prim: Primitive, args: Sequence[Any], diff: Sequence[bool],
                   params: dict) -> tuple[list, Linearized]:
    """Run ``prim``'s JVP rule with symbolic tangents for the ``diff`` inputs.

    Returns the primal outputs and the tangent map as a :class:`Linearized` jaxpr, which
    :func:`transpose_linearized` turns into cotangents.
    """
    rule = jvp_rules.get(prim)
    if rule is None:
        raise _no_rule(prim, "VJP (reverse-mode)")
    lin = JaxprBuilder(current_interpreter(), why="linearization")
    tangents = [lin.new_arg(get_aval(a)) if d else Zero(get_aval(a))
                for a, d in zip(args, diff, strict=True)]
    with use_interpreter(lin):
        outs, t_out = rule(list(args), tangents, **params)
    live = [i for i, t in enumerate(t_out) if type(t) is not Zero]
    jaxpr = lin.build([t_out[i] for i in live])
    t_vars = [t.var if d else None for t, d in zip(tangents, diff)]
    return list(outs), Linearized(jaxpr, live, t_vars, list(diff))


def transpose_linearized(lin: Linearized, cts: Sequence[Any]) -> list:
    """Cotangents of the inputs of a :class:`Linearized` rule (``None`` where zero)."""
    cts_live, outs_live = [], []
    jaxpr = lin.jaxpr
    for i, v in zip(lin.live, jaxpr.outvars, strict=True):
        c = cts[i]
        if c is not None and type(c) is not Zero:
            cts_live.append(c)
            outs_live.append(v)
    if not cts_live:
        return [None] * len(lin.diff)
    sub = Jaxpr(jaxpr.constvars, jaxpr.invars, jaxpr.eqns, outs_live, jaxpr.consts)
    env = dict(zip(jaxpr.constvars, jaxpr.consts, strict=True))
    wanted = [v for v in lin.tangent_vars if v is not None]
    got = iter(backward_pass(sub, env, cts_live, wanted))
    return [next(got) if v is not None else None for v in lin.tangent_vars]


def fwd_by_linearizing(prim: Primitive) -> Callable[..., Any]:
    """A ``fwd_rules`` entry that linearizes ``prim``'s JVP rule once, in the forward pass."""

    def fwd(args: Sequence[Any], diff: Sequence[bool], **params: Any):
        return linearize_rule(prim, args, diff, params)

    return fwd


def bwd_by_transposing(res: Linearized, needs: Sequence[bool], cts: Sequence[Any],
                       **params: Any) -> list:
    """The ``bwd_rules`` entry matching :func:`fwd_by_linearizing`."""
    got = transpose_linearized(res, cts)
    return [g if need else None for g, need in zip(got, needs, strict=True)]


# ---------------------------------------------------------------------------------------
# Reverse mode: tracing a function


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
    state = _tracing._state
    builder = TapeBuilder(state.current)
    ins = [builder.new_arg(get_aval(p), p) for p in primals]
    state.current = builder
    try:
        out = fn(*ins)
    finally:
        state.current = builder.parent
    aux = None
    if has_aux:
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(
                "with has_aux=True the function must return a pair (output, aux), got "
                f"{_describe(out)}"
            )
        out, aux = out
        aux = tree.map(lambda x: x.val if isinstance(x, BuilderTracer) and x._interp is builder
                       else x, aux)
    flat_out, out_tree = tree.flatten(out)
    flat_out = [as_operand(o, what="an output of the differentiated function") for o in flat_out]
    # No dead-code elimination: the backward pass skips equations no cotangent reaches, and
    # an enclosing trace (make_jaxpr, jit) eliminates dead code when it builds its own jaxpr.
    jaxpr = builder.build(flat_out, dce=False)
    in_vars = [t.var for t in ins]
    residuals = builder.residuals

    def backward(cts: Sequence[Any]) -> list:
        cts = list(cts)
        got = None if residuals else ad_compiled.backward(jaxpr, builder.env, cts, in_vars)
        if got is None:
            got = backward_pass(jaxpr, builder.env, cts, in_vars, residuals)
        return [_zeros_if_none(g, p) for g, p in zip(got, primals, strict=True)]

    lowered = [o.val if isinstance(o, BuilderTracer) and o._interp is builder else o
               for o in flat_out]
    return tree.unflatten(out_tree, lowered), backward, aux


def _describe(x: Any) -> str:
    """A short description of a returned value, for errors: ``a tuple of length 3``."""
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of length {len(x)}"
    if isinstance(x, Tracer) or hasattr(x, "aval"):
        return f"an array {x.aval.str_short()}"
    return type(x).__name__


def _zeros_if_none(g: Any, primal: Any) -> Any:
    lax = _lax()
    aval = get_aval(primal)
    if g is None or isinstance(g, Zero):
        g = lax.full(aval.shape, 0, aval.dtype)
    if get_aval(g).weak_type != aval.weak_type:
        # Gradients are typed like their primals, weak types included (as in JAX).
        g = lax.convert_element_type(g, aval.dtype, weak_type=aval.weak_type)
    return g


def zeros_for(aval: ShapedArray) -> Any:
    return _lax().full(aval.shape, 0, aval.dtype)
