"""What the control-flow primitives share: staging Python functions into closed jaxprs, running
a jaxpr as an implementation, and turning a jaxpr into its JVP, VJP or batched version.

A control-flow primitive holds its sub-programs as jaxprs in its params. They are traced
on abstract values by :class:`StagingBuilder`, which records *every* operation, also those
that only touch closed-over values; those values (outer tracers or concrete arrays) become
leading inputs of the jaxpr and explicit operands of the primitive, so an enclosing
``grad``, ``vmap`` or ``jit`` sees them like any other operand. The derived jaxprs (JVP,
VJP, batched) are traced the same way, by evaluating the original jaxpr under the
matching interpreter of :mod:`funcdiff.transforms`: no second copy of the AD or batching
machinery lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ... import tree
from ...core import dtypes
from ...core.array import Array, ArrayImpl
from ...core.aval import ShapedArray
from ...core.builder import BuilderTracer, JaxprBuilder
from ...core.config import config
from ...core.convert import as_operand
from ...core.ir import Eqn, Jaxpr, Var
from ...core.primitive import Primitive
from ...core.source import user_frame_summary
from ...core.tracing import (
    EvalInterpreter,
    current_interpreter,
    eval_jaxpr,
    get_aval,
    use_interpreter,
)
from ...transforms.ad import jvp_flat, vjp_flat
from ...transforms.ad_rules import Zero
from ...transforms.batching_rules import moveaxis
from ...transforms.vmap import BatchInterpreter, BatchTracer

# ---------------------------------------------------------------------------------------
# Staging


class StagingBuilder(JaxprBuilder):
    """A builder that records every operation bound while it is current.

    The plain :class:`JaxprBuilder` hands operations on values it does not own to its
    parent; a branch or loop body must instead contain them (a branch that is not taken
    must not run them, and its derivative must not see them), so here nothing is hoisted.
    """

    def process(self, prim: Primitive, args: Sequence[Any], params: dict) -> list:
        out_avals = prim.abstract_eval(*[get_aval(a) for a in args], **params)
        invars = [self.atom(a) for a in args]
        outvars = [Var(a) for a in out_avals]
        self.eqns.append(Eqn(prim, invars, outvars, params, user_frame_summary()))
        return [BuilderTracer(self, a, v, None) for a, v in zip(out_avals, outvars, strict=True)]


def stage(fn: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray], *,
          why: str) -> tuple[Jaxpr, list]:
    """Trace ``fn`` (flat arrays in, a flat list out) into a jaxpr without constants.

    Returns ``(jaxpr, consts)``: the values ``fn`` closed over lead the jaxpr's inputs, and
    the caller passes ``consts`` as the primitive's first operands.
    """
    builder = StagingBuilder(current_interpreter(), why=why)
    args = [builder.new_arg(a) for a in in_avals]
    with use_interpreter(builder):
        outs = fn(*args)
    outs = [o if isinstance(o, (Array, np.generic)) else
            as_operand(o, what=f"a value returned inside {why}") for o in outs]
    jaxpr = builder.build(outs)
    closed = Jaxpr([], [*jaxpr.constvars, *jaxpr.invars], jaxpr.eqns, jaxpr.outvars, [])
    return closed, list(jaxpr.consts)


def merge_consts(jaxprs: Sequence[Jaxpr], consts: Sequence[list]) -> tuple[list[Jaxpr], list]:
    """Give jaxprs staged separately one shared list of leading constant inputs."""
    shared: list = []
    where: dict[int, int] = {}
    for cs in consts:
        for c in cs:
            if id(c) not in where:
                where[id(c)] = len(shared)
                shared.append(c)
    out = []
    for j, cs in zip(jaxprs, consts, strict=True):
        own = {where[id(c)]: v for c, v in zip(cs, j.invars[:len(cs)], strict=True)}
        lead = [own.get(k, Var(get_aval(c))) for k, c in enumerate(shared)]
        out.append(Jaxpr([], [*lead, *j.invars[len(cs):]], j.eqns, j.outvars, []))
    return out, shared


def convert_outputs(jaxpr: Jaxpr, targets: Sequence[ShapedArray | None]) -> Jaxpr:
    """``jaxpr`` with output ``i`` converted to ``targets[i]``'s dtype and weak type."""
    from ..elementwise import convert_element_type_p

    eqns, outs = list(jaxpr.eqns), list(jaxpr.outvars)
    for i, t in enumerate(targets):
        if t is None:
            continue
        v = Var(t)
        eqns.append(Eqn(convert_element_type_p, [outs[i]], [v],
                        {"new_dtype": t.dtype, "weak_type": t.weak_type}))
        outs[i] = v
    return Jaxpr(jaxpr.constvars, jaxpr.invars, eqns, outs, jaxpr.consts)


def join_avals(avals: Sequence[ShapedArray]) -> ShapedArray | None:
    """The one type that values of ``avals`` can all take, or ``None``.

    Shapes must agree. Weakly typed values (from Python scalars) take the dtype of the
    strongly typed ones, as in JAX's promotion; the result is weak only if all are.
    """
    if len({a.shape for a in avals}) != 1:
        return None
    strong = {a.dtype for a in avals if not a.weak_type}
    if len(strong) > 1:
        return None
    if strong:
        dt = strong.pop()
        # A weak value takes the strong dtype only where promotion would give that dtype:
        # a Python float joins float16, but not int32.
        if any(dtypes.result_type((dt, False), (a.dtype, True))[0] != dt for a in avals):
            return None
        return ShapedArray(avals[0].shape, dt)
    dt = dtypes.result_type(*((a.dtype, True) for a in avals))[0]
    return ShapedArray(avals[0].shape, dt, True)


def coerce(x: Any, aval: ShapedArray) -> Any:
    """``x`` with ``aval``'s dtype and weak type (a no-op when they already agree)."""
    from ..elementwise import convert_element_type_p

    a = get_aval(x)
    if a.dtype == aval.dtype and a.weak_type == aval.weak_type:
        return x
    return convert_element_type_p.bind(x, new_dtype=aval.dtype, weak_type=aval.weak_type)


def zeros(aval: ShapedArray) -> Any:
    from ..shapes import broadcast_in_dim_p

    zero = np.zeros((), aval.dtype)[()]
    return coerce(broadcast_in_dim_p.bind(zero, shape=aval.shape, broadcast_dimensions=()),
                  aval)


def is_float(aval: ShapedArray) -> bool:
    return dtypes.is_inexact(aval.dtype)


def paths_of(treedef: Any, prefix: str) -> list[str]:
    """Readable names of a tree's leaves: ``carry[0]['w']``; ``carry`` for a lone leaf."""
    dummy = tree.unflatten(treedef, [0] * treedef.num_leaves)
    return [prefix + tree.keystr(p) for p, _ in tree.flatten_with_path(dummy)[0]]


# ---------------------------------------------------------------------------------------
# Running a jaxpr as a primitive's implementation


def to_arrays(xp: Any, raws: Sequence[Any], avals: Sequence[ShapedArray]) -> list[ArrayImpl]:
    out = []
    for r, a in zip(raws, avals, strict=True):
        if isinstance(r, (np.generic, bool, int, float, complex)):
            r = xp.asarray(r, dtype=a.dtype)
        out.append(ArrayImpl(r, a))
    return out


def to_raw(xp: Any, x: Any) -> Any:
    if isinstance(x, ArrayImpl):
        return x._value
    return xp.asarray(x)


def run(jaxpr: Jaxpr, args: Sequence[Any]) -> list:
    """Evaluate ``jaxpr`` on concrete arrays on the backend (for implementations)."""
    with use_interpreter(EvalInterpreter()):
        return eval_jaxpr(jaxpr, (), *args)


def run_quietly(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` with ``debug_nans`` (and NumPy's warnings) off: for values computed
    only to be discarded, like those of a branch an example does not take."""
    with config.override(debug_nans=False), np.errstate(all="ignore"):
        return fn(*args)


# ---------------------------------------------------------------------------------------
# Derived jaxprs


def jvp_jaxpr(jaxpr: Jaxpr, nonzeros: Sequence[bool], instantiate: Sequence[bool]
              ) -> tuple[Jaxpr, list[bool]]:
    """The JVP of ``jaxpr``: inputs ``(*primals, *tangents[nonzeros])``, outputs
    ``(*primal_outs, *tangent_outs[out_nz])``.

    ``out_nz[i]`` says whether output ``i`` has a tangent: a non-zero one, or one
    ``instantiate[i]`` asks for (made of zeros). Integer values never have tangents.
    """
    in_avals = jaxpr.in_avals
    out_avals = jaxpr.out_avals
    nonzeros = [nz and is_float(a) for nz, a in zip(nonzeros, in_avals, strict=True)]
    n = len(in_avals)
    out_nz: list[bool] = []

    def fn(*args: Any) -> list:
        it = iter(args[n:])
        tangents = [next(it) if nz else Zero(a) for nz, a in zip(nonzeros, in_avals)]
        p_out, t_out = jvp_flat(lambda *xs: eval_jaxpr(jaxpr, (), *xs), args[:n], tangents)
        ts = []
        for t, aval, inst in zip(t_out, out_avals, instantiate, strict=True):
            if not is_float(aval):
                out_nz.append(False)
            elif type(t) is not Zero:
                ts.append(coerce(t, aval))
                out_nz.append(True)
            elif inst:
                ts.append(zeros(aval))
                out_nz.append(True)
            else:
                out_nz.append(False)
        return [*p_out, *ts]

    t_avals = [a for a, nz in zip(in_avals, nonzeros) if nz]
    out, consts = stage(fn, [*in_avals, *t_avals], why="a JVP")
    assert not consts, "a closed jaxpr cannot close over values"
    return out, out_nz


def vjp_jaxpr(jaxpr: Jaxpr, needs: Sequence[bool], ct_nonzero: Sequence[bool]) -> Jaxpr:
    """The VJP of ``jaxpr``: inputs ``(*primals, *cts[ct_nonzero])``, outputs the cotangents
    of the inputs with ``needs`` (zeros where none flows). The forward is recomputed."""
    in_avals, out_avals = jaxpr.in_avals, jaxpr.out_avals
    n = len(in_avals)

    def fn(*args: Any) -> list:
        it = iter(args[n:])
        cts = [next(it) if nz else None for nz in ct_nonzero]
        _, backward, _ = vjp_flat(lambda *xs: eval_jaxpr(jaxpr, (), *xs), args[:n])
        got = backward(cts)
        return [coerce(g, a) for g, a, need in zip(got, in_avals, needs, strict=True) if need]

    ct_avals = [a for a, nz in zip(out_avals, ct_nonzero, strict=True) if nz]
    out, consts = stage(fn, [*in_avals, *ct_avals], why="a VJP")
    assert not consts, "a closed jaxpr cannot close over values"
    return out


def batched_aval(aval: ShapedArray, dim: int | None, size: int) -> ShapedArray:
    if dim is None:
        return aval
    return aval.update(shape=(*aval.shape[:dim], size, *aval.shape[dim:]))


def broadcast_front(x: Any, size: int) -> Any:
    """``x`` with a new leading axis of ``size`` (weak scalars stay weak)."""
    from ..shapes import broadcast_in_dim_p

    a = get_aval(x)
    return broadcast_in_dim_p.bind(x, shape=(size, *a.shape),
                                   broadcast_dimensions=tuple(range(1, a.ndim + 1)))


def eval_batched(jaxpr: Jaxpr, size: int, in_dims: Sequence[int | None], args: Sequence[Any],
                 force: Sequence[bool]) -> tuple[list, list[bool]]:
    """Evaluate ``jaxpr`` over a batch: ``args[i]`` carries it on axis ``in_dims[i]``.

    Outputs come back with the batch on axis 0, or unbatched where nothing made them vary
    (unless ``force`` asks for the batch axis anyway); the flags say which.
    """
    interp = BatchInterpreter(current_interpreter(), size)
    ins = [a if d is None else BatchTracer(interp, a, d) for a, d in zip(args, in_dims,
                                                                          strict=True)]
    with use_interpreter(interp):
        outs = eval_jaxpr(jaxpr, (), *ins)
    res, flags = [], []
    for o, f in zip(outs, force, strict=True):
        if isinstance(o, BatchTracer) and o._interp is interp:
            res.append(moveaxis(o.val, o.bdim, 0))
            flags.append(True)
        elif f:
            res.append(broadcast_front(o, size))
            flags.append(True)
        else:
            res.append(o)
            flags.append(False)
    return res, flags


def batch_jaxpr(jaxpr: Jaxpr, size: int, in_dims: Sequence[int | None],
                force: Sequence[bool]) -> tuple[Jaxpr, list[bool]]:
    """``jaxpr`` vectorized over a batch of ``size`` (see :func:`eval_batched`)."""
    flags: list[bool] = []

    def fn(*args: Any) -> list:
        res, f = eval_batched(jaxpr, size, in_dims, args, force)
        flags.extend(f)
        return [coerce(r, batched_aval(a, 0 if b else None, size))
                for r, a, b in zip(res, jaxpr.out_avals, f, strict=True)]

    avals = [batched_aval(a, d, size) for a, d in zip(jaxpr.in_avals, in_dims, strict=True)]
    out, consts = stage(fn, avals, why="vmap")
    assert not consts, "a closed jaxpr cannot close over values"
    return out, flags


def permute_jaxpr(jaxpr: Jaxpr, in_order: Sequence[int], out_order: Sequence[int]) -> Jaxpr:
    """``jaxpr`` with its inputs and outputs reordered (new position k holds old
    ``in_order[k]``)."""
    return Jaxpr(jaxpr.constvars, [jaxpr.invars[i] for i in in_order], jaxpr.eqns,
                 [jaxpr.outvars[i] for i in out_order], jaxpr.consts)


def check_operands(what: str, avals: Sequence[ShapedArray],
                   expected: Sequence[ShapedArray]) -> None:
    """Operands must match a sub-jaxpr's inputs in shape and dtype (weak types may differ)."""
    if len(avals) != len(expected):
        raise TypeError(f"got {len(avals)} {what}s, but its jaxpr takes {len(expected)}")
    for i, (a, e) in enumerate(zip(avals, expected)):
        if a.shape != e.shape or a.dtype != e.dtype:
            raise TypeError(
                f"{what} {i} has type {a.str_short()} but the jaxpr expects {e.str_short()}")


def transpose_from_vjp(vjp_rule: Callable[..., list]) -> Callable[..., list]:
    """A transpose rule for a control-flow primitive, from its VJP rule.

    A control-flow primitive met with undefined (linear) inputs comes from a JVP rule: its
    outputs are linear in those inputs once the others are fixed. The VJP at any value of
    the linear inputs is then their transpose, so the VJP taken with zeros there is it.
    This also handles equations that mix primal and tangent outputs, and nesting, without a
    separate partial evaluator.
    """
    from ...transforms.ad_rules import is_undefined

    def transpose(ct: Any, *args: Any, **params: Any) -> list:
        needs = [is_undefined(a) for a in args]
        filled = [zeros(a.aval) if is_undefined(a) else a for a in args]
        return vjp_rule(needs, ct if isinstance(ct, list) else [ct], None, *filled, **params)

    return transpose
