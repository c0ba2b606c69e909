"""Conditionals: ``cond`` and ``switch`` (the ``cond`` primitive) and ``batched_cond``, what a
``cond`` becomes under ``vmap`` when its predicate differs between examples.

``cond_p(index, *operands, branches)`` runs ``branches[index]`` (a tuple of jaxprs taking
the same operands) and only that one. Its JVP is a ``cond`` of the branches' JVPs; its VJP
a ``cond`` of the branches' VJPs (which recompute the forward inside).

``batched_cond_p(index, *operands, branches, in_dims)`` takes a vector of indices, one per
example, with ``operands[i]`` batched along ``in_dims[i]`` (or shared, for ``None``). It
runs every branch on the whole batch and keeps, example by example, the outputs of the
branch its index names: a ``select`` over the branches. It stays one primitive so its
derivatives can mask each branch's contribution with a ``select`` *after* the branch's
own derivative is computed: the branch not taken may produce ``inf`` or ``NaN`` in its
derivative (``sqrt`` at 0), and a mask applied by multiplication would turn ``0 * inf``
into ``NaN`` — the well-known pitfall of ``where`` in JAX. Here the gradient of the
branch not taken is simply discarded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ... import tree
from ...core import dtypes
from ...core.aval import ShapedArray
from ...core.convert import as_operand
from ...core.ir import Jaxpr
from ...core.primitive import Primitive
from ...core.tracing import get_aval
from ...transforms import ad_rules as ad
from ...transforms.ad_rules import Zero
from ...transforms.batching_rules import batch_rules, batch_size, bdim_to_front, moveaxis
from .common import (
    batch_jaxpr,
    batched_aval,
    check_operands,
    coerce,
    convert_outputs,
    eval_batched,
    is_float,
    join_avals,
    jvp_jaxpr,
    merge_consts,
    paths_of,
    run,
    run_quietly,
    stage,
    to_arrays,
    to_raw,
    transpose_from_vjp,
    vjp_jaxpr,
)

cond_p = Primitive("cond", multiple_results=True)
batched_cond_p = Primitive("batched_cond", multiple_results=True)


# ---------------------------------------------------------------------------------------
# cond_p: declaration


def _cond_impl(xp: Any, index: Any, *args: Any, branches: tuple[Jaxpr, ...]) -> list:
    jaxpr = branches[min(max(int(index), 0), len(branches) - 1)]
    outs = run(jaxpr, to_arrays(xp, args, jaxpr.in_avals))
    return [to_raw(xp, o) for o in outs]


def _check_branches(args: Sequence[ShapedArray], branches: Sequence[Jaxpr]) -> None:
    if not branches:
        raise ValueError("needs at least one branch")
    for b in branches:
        check_operands("operand", args, b.in_avals)
    first = branches[0].out_avals
    for k, b in enumerate(branches[1:], 1):
        outs = b.out_avals
        if len(outs) != len(first) or any(
                o.shape != f.shape or o.dtype != f.dtype for o, f in zip(outs, first)):
            raise TypeError(
                f"branch {k} returns ({_types(outs)}) but branch 0 returns "
                f"({_types(first)}); every branch must return the same types"
            )


def _types(avals: Sequence[ShapedArray]) -> str:
    return ", ".join(a.str_short() for a in avals)


def _out_avals(branches: Sequence[Jaxpr]) -> list[ShapedArray]:
    per_out = zip(*(b.out_avals for b in branches), strict=True)
    return [group[0].update(weak_type=all(a.weak_type for a in group)) for group in per_out]


def _cond_abstract(index: ShapedArray, *args: ShapedArray, branches: tuple[Jaxpr, ...]):
    if index.shape != () or index.dtype.kind not in "iu":
        raise TypeError(f"the branch index must be an integer scalar, got {index.str_short()}")
    _check_branches(args, branches)
    return _out_avals(branches)


cond_p.def_impl(_cond_impl)
cond_p.def_abstract_eval(_cond_abstract)


# --- cond_p: forward mode ---------------------------------------------------------------------


def _jvp_branches(branches: Sequence[Jaxpr], nonzeros: list[bool]
                  ) -> tuple[list[Jaxpr], list[bool]]:
    """The branches' JVP jaxprs, all giving tangents for the same outputs."""
    n_out = len(branches[0].outvars)
    union = [False] * n_out
    for b in branches:
        _, nz = jvp_jaxpr(b, nonzeros, [False] * n_out)
        union = [u or z for u, z in zip(union, nz)]
    return [jvp_jaxpr(b, nonzeros, union)[0] for b in branches], union


def _split_tangents(outs: list, n: int, out_nz: list[bool], avals: list) -> tuple[list, list]:
    it = iter(outs[n:])
    return outs[:n], [next(it) if nz else Zero(a) for nz, a in zip(out_nz, avals)]


def _cond_jvp(primals, tangents, *, branches):
    index, *args = primals
    nonzeros = [type(t) is not Zero for t in tangents[1:]]
    avals = _out_avals(branches)
    if not any(nonzeros):
        outs = cond_p.bind(*primals, branches=branches)
        return outs, [Zero(a) for a in avals]
    jvps, out_nz = _jvp_branches(branches, nonzeros)
    ts = [t for t, nz in zip(tangents[1:], nonzeros) if nz]
    outs = cond_p.bind(index, *args, *ts, branches=tuple(jvps))
    return _split_tangents(outs, len(avals), out_nz, avals)


ad.jvp_rules[cond_p] = _cond_jvp


# --- cond_p: reverse mode ---------------------------------------------------------------------


def _live_cts(ct: Sequence[Any], avals: Sequence[ShapedArray]) -> tuple[list[bool], list]:
    nz = [type(c) is not Zero and is_float(a) for c, a in zip(ct, avals, strict=True)]
    return nz, [c for c, z in zip(ct, nz) if z]


def _cond_vjp(needs, ct, ans, index, *args, branches):
    """A ``cond`` of the branches' VJPs: only the branch taken runs, forward and back."""
    arg_needs = list(needs[1:])
    ct_nz, cts = _live_cts(ct, _out_avals(branches))
    if not any(arg_needs) or not cts:
        return [None] * len(needs)
    vjps = tuple(vjp_jaxpr(b, arg_needs, ct_nz) for b in branches)
    got = iter(cond_p.bind(index, *args, *cts, branches=vjps))
    return [None] + [next(got) if need else None for need in arg_needs]


ad.vjp_rules[cond_p] = _cond_vjp
ad.transpose_rules[cond_p] = transpose_from_vjp(_cond_vjp)


# --- cond_p: batching -------------------------------------------------------------------------


def _batch_branches(branches: Sequence[Jaxpr], size: int, dims: Sequence[int | None]
                    ) -> tuple[list[Jaxpr], list[bool]]:
    """The branches vectorized, all batching the same outputs (on axis 0)."""
    n_out = len(branches[0].outvars)
    union = [False] * n_out
    for b in branches:
        _, flags = batch_jaxpr(b, size, dims, [False] * n_out)
        union = [u or f for u, f in zip(union, flags)]
    return [batch_jaxpr(b, size, dims, union)[0] for b in branches], union


def _cond_batch(args, dims, *, branches):
    index, *ops = args
    d_index, *d_ops = dims
    size = batch_size(args, dims)
    if d_index is None:
        # One branch for the whole batch: vectorize the branches themselves.
        batched, out_b = _batch_branches(branches, size, d_ops)
        outs = cond_p.bind(index, *ops, branches=tuple(batched))
        return outs, [0 if b else None for b in out_b]
    # Each example picks its own branch.
    outs = batched_cond_p.bind(moveaxis(index, d_index, 0), *ops, branches=branches,
                               in_dims=tuple(d_ops))
    return outs, [0] * len(outs)


batch_rules[cond_p] = _cond_batch


# ---------------------------------------------------------------------------------------
# batched_cond_p: declaration


def _select_n(index: Any, cases: Sequence[Any]) -> Any:
    """``cases[index[b]][b]`` for every example ``b`` (the batch on axis 0)."""
    from ..elementwise import eq, select
    from ..shapes import broadcast_in_dim

    out = cases[0]
    for k, case in enumerate(cases[1:], 1):
        mask = broadcast_in_dim(eq(index, _scalar(k, index)), case.shape, (0,))
        out = select(mask, case, out)
    return out


def _scalar(k: int, like: Any) -> Any:
    return np.array(k, dtype=like.dtype)[()]


def _batched_cond_lowered(index: Any, *args: Any, branches: tuple[Jaxpr, ...],
                          in_dims: tuple) -> list:
    """``batched_cond`` in other primitives: every branch over the batch, then selects."""
    size = index.shape[0]
    n_out = len(branches[0].outvars)
    per_branch = [eval_batched(b, size, in_dims, args, [True] * n_out)[0] for b in branches]
    avals = _batched_out_avals(size, branches)
    outs = [_select_n(index, list(cases)) for cases in zip(*per_branch, strict=True)]
    return [coerce(o, a) for o, a in zip(outs, avals, strict=True)]


def _batched_cond_impl(xp: Any, index: Any, *args: Any, branches, in_dims) -> list:
    avals = [batched_aval(a, d, index.shape[0]) for a, d in
             zip(branches[0].in_avals, in_dims, strict=True)]
    idx = to_arrays(xp, [index], [ShapedArray(index.shape, index.dtype)])[0]
    arrays = to_arrays(xp, args, avals)
    # The branches not taken may produce NaNs that are then discarded: debug_nans looks
    # only at this primitive's outputs (checked by the evaluator), not at theirs.
    outs = run_quietly(_run_lowered, idx, arrays, branches, in_dims)
    return [to_raw(xp, o) for o in outs]


def _run_lowered(index: Any, arrays: list, branches: tuple, in_dims: tuple) -> list:
    from ...core.tracing import EvalInterpreter, use_interpreter

    with use_interpreter(EvalInterpreter()):
        return _batched_cond_lowered(index, *arrays, branches=branches, in_dims=in_dims)


def _batched_out_avals(size: int, branches: Sequence[Jaxpr]) -> list[ShapedArray]:
    return [batched_aval(a, 0, size) for a in _out_avals(branches)]


def _batched_cond_abstract(index: ShapedArray, *args: ShapedArray, branches, in_dims):
    if index.ndim != 1 or index.dtype.kind not in "iu":
        raise TypeError(f"the branch indices must be an integer vector, got {index.str_short()}")
    if len(in_dims) != len(args):
        raise TypeError(f"in_dims {in_dims} must give one entry per operand ({len(args)})")
    size = index.shape[0]
    per_example = []
    for a, d in zip(args, in_dims):
        if d is not None and (not 0 <= d < a.ndim or a.shape[d] != size):
            raise TypeError(
                f"operand {a.str_short()} has no axis {d} of the batch size {size}")
        per_example.append(a if d is None else a.update(
            shape=a.shape[:d] + a.shape[d + 1:]))
    _check_branches(per_example, branches)
    return _batched_out_avals(size, branches)


batched_cond_p.def_impl(_batched_cond_impl)
batched_cond_p.def_abstract_eval(_batched_cond_abstract)


# --- batched_cond_p: forward mode -------------------------------------------------------------


def _batched_cond_jvp(primals, tangents, *, branches, in_dims):
    index, *args = primals
    nonzeros = [type(t) is not Zero for t in tangents[1:]]
    size = index.shape[0]
    avals = _batched_out_avals(size, branches)
    if not any(nonzeros):
        return batched_cond_p.bind(*primals, branches=branches, in_dims=in_dims), [
            Zero(a) for a in avals]
    jvps, out_nz = _jvp_branches(branches, nonzeros)
    ts = [t for t, nz in zip(tangents[1:], nonzeros) if nz]
    t_dims = tuple(d for d, nz in zip(in_dims, nonzeros) if nz)
    # A tangent is laid out like its primal, so it is batched along the same axis.
    outs = batched_cond_p.bind(index, *args, *ts, branches=tuple(jvps),
                               in_dims=(*in_dims, *t_dims))
    return _split_tangents(outs, len(avals), out_nz, avals)


ad.jvp_rules[batched_cond_p] = _batched_cond_jvp


# --- batched_cond_p: reverse mode -------------------------------------------------------------


def _batched_cond_vjp(needs, ct, ans, index, *args, branches, in_dims):
    """A ``batched_cond`` of the branches' per-example VJPs, then a sum over the batch for
    shared operands: each example's cotangent comes from its own branch only (selected,
    never multiplied by a mask), so a NaN in a branch not taken cannot leak."""
    from ..reductions import reduce_sum

    arg_needs = list(needs[1:])
    size = index.shape[0]
    ct_nz, cts = _live_cts(ct, _batched_out_avals(size, branches))
    if not any(arg_needs) or not cts:
        return [None] * len(needs)
    vjps = tuple(vjp_jaxpr(b, arg_needs, ct_nz) for b in branches)
    got = iter(batched_cond_p.bind(index, *args, *cts, branches=vjps,
                                   in_dims=(*in_dims, *[0] * len(cts))))
    out: list = [None]
    for need, d in zip(arg_needs, in_dims):
        if not need:
            out.append(None)
            continue
        g = next(got)
        out.append(reduce_sum(g, (0,)) if d is None else moveaxis(g, 0, d))
    return out


ad.vjp_rules[batched_cond_p] = _batched_cond_vjp
ad.transpose_rules[batched_cond_p] = transpose_from_vjp(_batched_cond_vjp)


# --- batched_cond_p: batching (vmap of vmap) --------------------------------------------------


def _batched_cond_batch(args, dims, *, branches, in_dims):
    """Fold the new batch axis and the existing one into one axis of ``new * old``."""
    from ..shapes import reshape

    index, *ops = args
    d_index, *d_ops = dims
    new = batch_size(args, dims)
    old = index.shape[0] if d_index is None else index.shape[1 - d_index]
    index = bdim_to_front(index, d_index, new)
    flat_ops, flat_dims = [], []
    for x, d_new, d_old in zip(ops, d_ops, in_dims, strict=True):
        if d_new is None and d_old is None:
            flat_ops.append(x)
            flat_dims.append(None)
            continue
        if d_new is None:
            x = bdim_to_front(x, None, new)
        else:
            x = moveaxis(x, d_new, 0)
        # The old axis, counted without the new one, now sits one further along.
        x = moveaxis(x, d_old + 1, 1) if d_old is not None else _insert_axis(x, 1, old)
        flat_ops.append(reshape(x, (new * old, *x.shape[2:])))
        flat_dims.append(0)
    outs = batched_cond_p.bind(reshape(index, (new * old,)), *flat_ops, branches=branches,
                               in_dims=tuple(flat_dims))
    outs = [reshape(o, (new, old, *o.shape[1:])) for o in outs]
    # Outputs that do not depend on the new axis (primal outputs under a vmap over
    # tangents, say) are equal along it: return them unbatched, as other rules would.
    varies = _depends_on(branches, new, d_index, d_ops)
    return ([o if v else _first(o) for o, v in zip(outs, varies, strict=True)],
            [0 if v else None for v in varies])


def _depends_on(branches: Sequence[Jaxpr], size: int, d_index: int | None,
                d_ops: Sequence[int | None]) -> list[bool]:
    n_out = len(branches[0].outvars)
    if d_index is not None:
        return [True] * n_out
    dims = [None if d is None else 0 for d in d_ops]
    return _batch_branches(branches, size, dims)[1]


def _first(x: Any) -> Any:
    from ..shapes import reshape, slice_in_dim

    return reshape(slice_in_dim(x, 0, 1, axis=0), x.shape[1:])


def _insert_axis(x: Any, pos: int, size: int) -> Any:
    from ..shapes import broadcast_in_dim

    shape = (*x.shape[:pos], size, *x.shape[pos:])
    keep = tuple(i for i in range(len(shape)) if i != pos)
    return broadcast_in_dim(x, shape, keep)


batch_rules[batched_cond_p] = _batched_cond_batch


# ---------------------------------------------------------------------------------------
# The functions users call


def _stage_branches(api: str, names: Sequence[str], funs: Sequence[Callable],
                    operands: tuple) -> tuple[list, list[Jaxpr], list, Any]:
    """Trace each branch on the operands' types; check they return the same types."""
    flat, in_tree = tree.flatten(operands)
    flat = [as_operand(x, what=f"an operand of lax.{api}") for x in flat]
    avals = [get_aval(x) for x in flat]
    jaxprs, consts, trees = [], [], []
    for f in funs:
        holder: dict = {}

        def flat_fun(*xs: Any, f: Callable = f, holder: dict = holder) -> list:
            leaves, holder["tree"] = tree.flatten(f(*tree.unflatten(in_tree, list(xs))))
            return leaves

        j, c = stage(flat_fun, avals, why=f"lax.{api}")
        jaxprs.append(j)
        consts.append(c)
        trees.append(holder["tree"])
    for name, t in zip(names[1:], trees[1:]):
        if t != trees[0]:
            raise TypeError(
                f"lax.{api}: {names[0]} and {name} must return the same structure, got "
                f"{trees[0]} and {t}"
            )
    jaxprs = _join_branch_types(api, names, jaxprs, trees[0])
    jaxprs, shared = merge_consts(jaxprs, consts)
    return flat, jaxprs, shared, trees[0]


def _join_branch_types(api: str, names: Sequence[str], jaxprs: list[Jaxpr],
                       out_tree: Any) -> list[Jaxpr]:
    paths = paths_of(out_tree, "output")
    targets_per_branch: list[list] = [[None] * len(paths) for _ in jaxprs]
    for i, path in enumerate(paths):
        avals = [j.out_avals[i] for j in jaxprs]
        joined = join_avals(avals)
        if joined is None:
            shown = "; ".join(f"{a.str_short()} from {n}" for a, n in zip(avals, names))
            raise TypeError(
                f"lax.{api}: the branches must return the same shapes and dtypes, but "
                f"{path} is {shown}. Make them agree, e.g. with .astype(...) or "
                "fnp.broadcast_to(...)."
            )
        for k, a in enumerate(avals):
            if a.dtype != joined.dtype:
                targets_per_branch[k][i] = joined
    return [convert_outputs(j, t) if any(x is not None for x in t) else j
            for j, t in zip(jaxprs, targets_per_branch)]


def cond(pred: Any, true_fun: Callable[..., Any], false_fun: Callable[..., Any],
         *operands: Any) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, as one operation
    that runs only the branch taken (as ``jax.lax.cond``).

    Both branches are traced (so they must return the same structure, shapes and dtypes),
    and the result is differentiable in both modes and batchable: under ``vmap`` with a
    predicate that differs between examples, every branch runs on the whole batch and
    each example keeps its own branch's result (a ``select``), with gradients masked so
    the branch not taken never contributes, not even a ``NaN``.

    Args:
        pred: a boolean scalar.
        true_fun: called with ``*operands`` when ``pred`` holds.
        false_fun: called with ``*operands`` otherwise.
        *operands: pytrees of arrays passed to the branch.

    Returns:
        The chosen branch's output (a pytree of arrays).

    Raises:
        TypeError: if ``pred`` is not a boolean scalar, or the branches return different
            structures, shapes or dtypes.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> f = lambda x: lax.cond(x > 0, fnp.sqrt, fnp.zeros_like, x)
        >>> f(4.0)
        Array(2., dtype=float32, weak_type=True)
        >>> fd.vmap(f)(fnp.array([4.0, -1.0]))
        Array([2., 0.], dtype=float32)
        >>> fd.grad(lambda xs: fd.vmap(f)(xs).sum())(fnp.array([4.0, 0.0]))
        Array([0.25, 0.  ], dtype=float32)
    """
    for name, f in (("true_fun", true_fun), ("false_fun", false_fun)):
        if not callable(f):
            raise TypeError(f"lax.cond: {name} must be callable, got {type(f).__name__}")
    p = as_operand(pred, what="the predicate of lax.cond")
    aval = get_aval(p)
    if aval.dtype != dtypes.bool_ or aval.shape != ():
        hint = ("reduce it with fnp.all / fnp.any, or use fnp.where to choose elementwise"
                if aval.shape else "compare it, e.g. `x > 0`")
        raise TypeError(
            f"lax.cond needs a boolean scalar predicate, got {aval.str_short()}: {hint}"
        )
    from ..elementwise import convert_element_type

    index = convert_element_type(p, dtypes.int32)
    return _bind_branches("cond", ("false_fun", "true_fun"), (false_fun, true_fun), index,
                          operands)


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``, with ``index`` clamped to ``[0, len(branches) - 1]``
    (as ``jax.lax.switch``); only the branch chosen runs.

    Args:
        index: an integer scalar.
        branches: a non-empty sequence of functions with the same signature.
        *operands: pytrees of arrays passed to the branch.

    Returns:
        The chosen branch's output.

    Raises:
        TypeError: if ``index`` is not an integer scalar, or the branches return
            different structures, shapes or dtypes.
        ValueError: if ``branches`` is empty.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> fs = [lambda x: x + 1.0, lambda x: x * 10.0, lambda x: -x]
        >>> [lax.switch(i, fs, fnp.float32(2.0)).item() for i in (-5, 0, 1, 2, 7)]
        [3.0, 3.0, 20.0, -2.0, -2.0]
    """
    from ..elementwise import convert_element_type, max, min

    branches = tuple(branches) if not callable(branches) else None
    if branches is None:
        raise TypeError("lax.switch takes a sequence of branch functions, got one function")
    if not branches:
        raise ValueError("lax.switch needs at least one branch")
    for k, f in enumerate(branches):
        if not callable(f):
            raise TypeError(f"lax.switch: branch {k} must be callable, got {type(f).__name__}")
    i = as_operand(index, what="the index of lax.switch")
    aval = get_aval(i)
    if aval.dtype.kind not in "iu" or aval.shape != ():
        raise TypeError(
            f"lax.switch needs an integer scalar index, got {aval.str_short()}; convert it "
            "with .astype('int32')"
        )
    if len(branches) == 1:
        return branches[0](*operands)
    dt = aval.dtype
    i = min(max(i, np.array(0, dt)[()]), np.array(len(branches) - 1, dt)[()])
    i = convert_element_type(i, dtypes.int32)
    names = [f"branch {k}" for k in range(len(branches))]
    return _bind_branches("switch", names, branches, i, operands)


def _bind_branches(api: str, names: Sequence[str], funs: Sequence[Callable], index: Any,
                   operands: tuple) -> Any:
    flat, jaxprs, consts, out_tree = _stage_branches(api, names, funs, operands)
    outs = cond_p.bind(index, *consts, *flat, branches=tuple(jaxprs))
    return tree.unflatten(out_tree, outs)
