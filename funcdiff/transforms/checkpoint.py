"""``checkpoint`` (alias ``remat``): trade computation for memory in reverse mode.

``checkpoint(f)`` binds the ``checkpoint`` primitive, which holds ``f`` traced to a jaxpr.
In the forward pass of ``grad`` only its inputs and outputs are kept, not the values inside
it; its VJP runs ``f``'s forward pass again inside the backward pass and differentiates
that. Outside the root evaluation, the recomputation and its backward pass are themselves
one ``checkpoint`` equation (``differentiated=True``), so ``make_jaxpr(grad(checkpoint(f)))``
shows them as a unit that a compiler must not merge with the forward pass.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from .. import tree
from ..core.convert import as_operand
from ..core.ir import Jaxpr
from ..core.primitive import Primitive
from ..core.tracing import EvalInterpreter, current_interpreter, eval_jaxpr, get_aval
from .ad import jvp_flat, vjp_flat
from .ad_rules import Zero, jvp_rules, vjp_rules
from .batching_rules import batch_rules
from .custom import batch_call, eval_impl, trace_closed

checkpoint_p = Primitive("checkpoint", multiple_results=True)
checkpoint_p.def_impl(
    lambda xp, *args, jaxpr, prevent_cse, differentiated: eval_impl(jaxpr, args))
checkpoint_p.def_abstract_eval(
    lambda *avals, jaxpr, prevent_cse, differentiated: [v.aval for v in jaxpr.outvars])


def checkpoint(fun: Callable[..., Any], *, prevent_cse: bool = True, policy: Any = None,
               static_argnums: int | Sequence[int] = ()) -> Callable[..., Any]:
    """Make ``fun`` recompute its internal values in the backward pass instead of storing them.

    Reverse mode normally keeps every intermediate value of the forward pass until the
    backward pass uses it. Under ``checkpoint`` only ``fun``'s inputs are kept; the values
    inside are computed again when the backward pass reaches ``fun``. Gradients are
    unchanged. Use it on blocks whose intermediates are large (layers of a deep network).

    Args:
        fun: the function; its arguments and results are pytrees of arrays.
        prevent_cse: keep the recomputation a separate unit, so a compiler does not merge it
            with the forward pass (as ``jax.checkpoint``; funcdiff always keeps it).
        policy: JAX's policies for saving some values are not supported; must be ``None``.
        static_argnums: positions of arguments that are Python values, not arrays.

    Returns:
        A function with ``fun``'s signature and results.

    Raises:
        NotImplementedError: for a ``policy`` other than ``None``.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> f = fd.checkpoint(lambda x: fnp.sin(fnp.sin(x)))
        >>> fd.grad(f)(0.5)
        Array(0.7786439, dtype=float32, weak_type=True)
        >>> jaxpr = fd.make_jaxpr(fd.grad(f))(fnp.float32(0.5))
        >>> [eqn.prim.name for eqn in jaxpr.eqns]  # one unit: recompute, then pull back
        ['checkpoint']
        >>> [eqn.prim.name for eqn in jaxpr.eqns[0].params["jaxpr"].eqns]
        ['sin', 'cos', 'mul', 'cos', 'mul']
    """
    if policy is not None:
        raise NotImplementedError(
            "checkpoint(policy=...) is not supported: funcdiff's checkpoint saves only the "
            "inputs of the function; split the function into smaller checkpointed pieces "
            "to control what is kept"
        )
    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun)
    def remat_fun(*args: Any, **kwargs: Any) -> Any:
        if type(current_interpreter()) is EvalInterpreter:
            return fun(*args, **kwargs)  # nothing is being recorded: nothing to save
        n = len(args)
        static = {i % n for i in statics} if n else set()
        dyn = [a for i, a in enumerate(args) if i not in static]
        leaves, in_tree = tree.flatten((dyn, kwargs))
        leaves = [as_operand(x, what=f"an argument of checkpointed {_name(fun)}")
                  for x in leaves]

        def flat_fun(*xs: Any) -> Any:
            d, kw = tree.unflatten(in_tree, list(xs))
            it = iter(d)
            return fun(*[args[i] if i in static else next(it) for i in range(n)], **kw)

        jaxpr, consts, out_tree = trace_closed(
            flat_fun, [get_aval(x) for x in leaves], why="checkpoint",
            what=f"an output of checkpointed {_name(fun)}")
        outs = checkpoint_p.bind(*consts, *leaves, jaxpr=jaxpr, prevent_cse=prevent_cse,
                                 differentiated=False)
        return tree.unflatten(out_tree, outs)

    return remat_fun


remat = checkpoint


def _name(fun: Any) -> str:
    return getattr(fun, "__name__", type(fun).__name__)


def _run(jaxpr: Jaxpr) -> Callable[..., list]:
    return lambda *xs: eval_jaxpr(jaxpr, [], *xs)


def _checkpoint_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, jaxpr: Jaxpr,
                    prevent_cse: bool, differentiated: bool):
    # Forward mode keeps nothing for later, so the body is simply differentiated inline.
    return jvp_flat(_run(jaxpr), list(primals), list(tangents))


def _checkpoint_vjp(needs: Sequence[bool], ct: Sequence[Any], ans: Any, *primals: Any,
                    jaxpr: Jaxpr, prevent_cse: bool, differentiated: bool) -> list:
    live = [i for i, c in enumerate(ct) if type(c) is not Zero]
    wanted = [i for i, need in enumerate(needs) if need]
    n, n_out = len(primals), len(ct)

    def recompute_and_pull(*xs_cts: Any) -> list:
        # The forward pass again (recorded by a fresh tape), then its backward pass.
        _, backward, _ = vjp_flat(_run(jaxpr), list(xs_cts[:n]))
        cts: list = [None] * n_out
        for i, c in zip(live, xs_cts[n:], strict=True):
            cts[i] = c
        got = backward(cts)
        return [got[i] for i in wanted]

    operands = [*primals, *(ct[i] for i in live)]
    if type(current_interpreter()) is EvalInterpreter:
        got = recompute_and_pull(*operands)
    else:
        bwd, consts, _ = trace_closed(recompute_and_pull, [get_aval(x) for x in operands],
                                      why="checkpoint")
        got = checkpoint_p.bind(*consts, *operands, jaxpr=bwd, prevent_cse=prevent_cse,
                                differentiated=True)
    out: list = [None] * n
    for i, g in zip(wanted, got, strict=True):
        out[i] = g
    return out


def _checkpoint_batch(args: Sequence[Any], dims: Sequence[int | None], *, jaxpr: Jaxpr,
                      prevent_cse: bool, differentiated: bool):
    b_jaxpr, consts, moved, _, _ = batch_call(jaxpr, args, dims, why="vmap")
    outs = checkpoint_p.bind(*consts, *moved, jaxpr=b_jaxpr, prevent_cse=prevent_cse,
                             differentiated=differentiated)
    return outs, [0] * len(outs)


jvp_rules[checkpoint_p] = _checkpoint_jvp
vjp_rules[checkpoint_p] = _checkpoint_vjp
batch_rules[checkpoint_p] = _checkpoint_batch
