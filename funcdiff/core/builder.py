"""Recording a jaxpr: the ``JaxprBuilder`` interpreter, ``trace_to_jaxpr`` and ``make_jaxpr``.

A builder either records only abstract values (``jit``, ``make_jaxpr``) or also computes
each value in its parent interpreter (``concrete=True``, used by ``grad``): then Python
control flow on traced values follows the branch taken, and the recorded equations keep
their forward values for the backward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .array import ArrayImpl
from .aval import ShapedArray
from .convert import as_operand
from .ir import Eqn, Jaxpr, Literal, Var
from .primitive import Primitive
from .source import at_user_line, user_frame_summary
from .tracing import ConcretizationTypeError, Interpreter, Tracer, get_aval, use_interpreter


class BuilderTracer(Tracer):
    __slots__ = ("var", "val")

    def __init__(self, interp: JaxprBuilder, aval: ShapedArray, var: Var, val: Any) -> None:
        # One is made per recorded operation: set the fields here, without super().__init__.
        self._interp = interp
        self.aval = aval
        self.var = var
        self.val = val


class JaxprBuilder(Interpreter):
    """Records every operation on its tracers as an equation of a new jaxpr."""

    def __init__(self, parent: Interpreter, concrete: bool = False, *, why: str = "") -> None:
        self.parent = parent
        self.concrete = concrete
        self.why = why  # names the transform in concretization errors ("jit", "make_jaxpr")
        self.eqns: list[Eqn] = []
        self.invars: list[Var] = []
        self._consts: dict[int, tuple[Var, Any]] = {}
        # For concrete builders: each var's value in the parent interpreter.
        self.env: dict[Var, Any] = {}

    def new_arg(self, aval: ShapedArray, val: Any = None) -> BuilderTracer:
        v = Var(aval)
        self.invars.append(v)
        if self.concrete:
            self.env[v] = val
        return BuilderTracer(self, aval, v, val)

    def atom(self, x: Any) -> Var | Literal:
        """The jaxpr atom for an operand: its var, a literal, or a new constant var."""
        if isinstance(x, BuilderTracer) and x._interp is self:
            return x.var
        if isinstance(x, (bool, int, float, complex, np.generic)) or (
                isinstance(x, np.ndarray) and x.ndim == 0):
            return Literal(x, get_aval(x))
        if isinstance(x, ArrayImpl) and x.aval.shape == ():
            return Literal(x, x.aval)
        entry = self._consts.get(id(x))
        if entry is None:
            v = Var(get_aval(x))
            self._consts[id(x)] = entry = (v, x)
            if self.concrete:
                self.env[v] = x
        return entry[0]

    def process(self, prim: Primitive, args: Sequence[Any], params: dict) -> list:
        if not any(isinstance(a, BuilderTracer) and a._interp is self for a in args):
            return self.parent.process(prim, args, params)
        if self.concrete:
            parent_args = [a.val if isinstance(a, BuilderTracer) and a._interp is self else a
                           for a in args]
            vals = self.parent.process(prim, parent_args, params)
            out_avals = [get_aval(v) for v in vals]
            source = None
        else:
            out_avals = prim.abstract_eval(*[get_aval(a) for a in args], **params)
            vals = [None] * len(out_avals)
            source = user_frame_summary()
        invars = [self.atom(a) for a in args]
        outvars = [Var(a) for a in out_avals]
        self.eqns.append(Eqn(prim, invars, outvars, params, source))
        if self.concrete:
            for v, val in zip(outvars, vals, strict=True):
                self.env[v] = val
        return [BuilderTracer(self, a, v, val)
                for a, v, val in zip(out_avals, outvars, vals, strict=True)]

    def concrete_value(self, tracer: Tracer) -> Any:
        if self.concrete:
            return tracer.val  # type: ignore[attr-defined]
        why = self.why or "tracing"
        raise ConcretizationTypeError(
            f"a traced value {tracer.aval.str_short()} was used where Python needs a concrete "
            f"one (an `if`, `while`, `bool()`, `int()` or `float()`) under {why}"
            f"{at_user_line()}. Ways out: mark the argument static with "
            "`jit(f, static_argnums=...)`, or use `fd.lax.cond` / `fd.numpy.where` instead of "
            "Python control flow."
        )

    def build(self, outs: Sequence[Any], *, dce: bool = True) -> Jaxpr:
        outvars = [self.atom(o) for o in outs]
        constvars = [v for v, _ in self._consts.values()]
        consts = [x for _, x in self._consts.values()]
        jaxpr = Jaxpr(constvars, list(self.invars), list(self.eqns), outvars, consts)
        return dead_code_elimination(jaxpr) if dce else jaxpr


def dead_code_elimination(jaxpr: Jaxpr) -> Jaxpr:
    """Drop equations whose outputs nothing uses, and constants nothing reads."""
    live = {v for v in jaxpr.outvars if isinstance(v, Var)}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars) or getattr(eqn.prim, "has_effects", False):
            kept.append(eqn)
            live.update(v for v in eqn.invars if isinstance(v, Var))
    kept.reverse()
    pairs = [(v, c) for v, c in zip(jaxpr.constvars, jaxpr.consts, strict=True) if v in live]
    return Jaxpr([v for v, _ in pairs], jaxpr.invars, kept, jaxpr.outvars, [c for _, c in pairs])


def trace_to_jaxpr(
    fn: Callable[..., Any], in_avals: Sequence[ShapedArray], *, parent: Interpreter | None = None,
    why: str = "tracing",
) -> tuple[Jaxpr, Any]:
    """Trace ``fn`` (flat arrays in, pytree out) on abstract inputs; returns (jaxpr, out tree)."""
    from .. import tree
    from .tracing import current_interpreter

    builder = JaxprBuilder(parent or current_interpreter(), why=why)
    args = [builder.new_arg(a) for a in in_avals]
    with use_interpreter(builder):
        out = fn(*args)
    flat, out_tree = tree.flatten(out)
    flat = [as_operand(o, what="an output of the traced function") for o in flat]
    return builder.build(flat), out_tree


def make_jaxpr(fun: Callable[..., Any], static_argnums: int | Sequence[int] = ()) -> Callable:
    """A function that returns the jaxpr ``fun`` records for the given example arguments.

    Args:
        fun: the function to trace; arguments and results may be pytrees of arrays.
        static_argnums: positions of arguments that are not traced (Python values).

    Returns:
        A function taking ``fun``'s arguments and returning the :class:`Jaxpr`.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> print(fd.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(fnp.ones(3)))
        { lambda ; a:f32[3]. let
            b:f32[3] = sin a
            c:f32[3] = mul b 2.0:f32[]
          in (c,) }
    """
    from .. import tree

    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    def jaxpr_maker(*args: Any, **kwargs: Any) -> Jaxpr:
        n = len(args)
        static = {i % n if n else i for i in statics}
        dyn = [a for i, a in enumerate(args) if i not in static]
        flat, in_tree = tree.flatten((dyn, kwargs))
        flat = [as_operand(x, what="an argument of make_jaxpr's function") for x in flat]

        def flat_fn(*xs: Any) -> Any:
            dyn_args, kw = tree.unflatten(in_tree, list(xs))
            it = iter(dyn_args)
            full = [args[i] if i in static else next(it) for i in range(n)]
            return fun(*full, **kw)

        jaxpr, _ = trace_to_jaxpr(flat_fn, [get_aval(x) for x in flat], why="make_jaxpr")
        return jaxpr

    return jaxpr_maker
