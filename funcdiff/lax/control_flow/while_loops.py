"""``while_loop`` and ``fori_loop``.

``while_p(*cond_consts, *body_consts, *init, cond_jaxpr, body_jaxpr, cond_nconsts,
body_nconsts)`` repeats ``carry = body_jaxpr(*body_consts, *carry)`` while
``cond_jaxpr(*cond_consts, *carry)`` holds. Forward mode is a while loop over the body's
JVP. Reverse mode needs the carries of every step, so it needs the trip count as a
number: it is counted first (outside ``jit`` it is concrete), then a scan of that length
records the carries and a reverse scan applies the body's VJP. Under ``vmap`` the examples
may stop at different steps: the loop runs until all are done, and an example that has
finished keeps its carry (through a ``cond`` on its own predicate, so the body's
derivative at the frozen carry never reaches its gradient).

``fori_loop`` with static bounds is a ``scan`` (reverse-differentiable everywhere, also
under ``jit``); with traced bounds it is a ``while_loop``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ... import tree
from ...core import dtypes
from ...core.aval import ShapedArray
from ...core.convert import as_operand
from ...core.ir import Jaxpr
from ...core.primitive import Primitive
from ...core.tracing import ConcretizationTypeError, Tracer, eval_jaxpr, get_aval
from ...transforms import ad_rules as ad
from ...transforms.ad import vjp_flat
from ...transforms.ad_rules import Zero
from ...transforms.batching_rules import batch_rules, batch_size, bdim_to_front
from .common import (
    batch_jaxpr,
    check_operands,
    coerce,
    is_float,
    jvp_jaxpr,
    permute_jaxpr,
    run,
    stage,
    to_arrays,
    to_raw,
    transpose_from_vjp,
    zeros,
)
from .loops import _split, check_carry, scan, scan_flat

while_p = Primitive("while", multiple_results=True)


def _while_impl(xp: Any, *args: Any, cond_jaxpr: Jaxpr, body_jaxpr: Jaxpr, cond_nconsts: int,
                body_nconsts: int) -> list:
    cc, bc, carry = _split(args, cond_nconsts, body_nconsts)
    cc = to_arrays(xp, cc, cond_jaxpr.in_avals[:cond_nconsts])
    bc = to_arrays(xp, bc, body_jaxpr.in_avals[:body_nconsts])
    carry_avals = body_jaxpr.in_avals[body_nconsts:]
    carry = to_arrays(xp, carry, carry_avals)
    while bool(to_raw(xp, run(cond_jaxpr, [*cc, *carry])[0])):
        outs = run(body_jaxpr, [*bc, *carry])
        carry = to_arrays(xp, [to_raw(xp, c) for c in outs], carry_avals)
    return [c._value for c in carry]


def _while_abstract(*args: ShapedArray, cond_jaxpr: Jaxpr, body_jaxpr: Jaxpr,
                    cond_nconsts: int, body_nconsts: int) -> list[ShapedArray]:
    cc, bc, carry = _split(args, cond_nconsts, body_nconsts)
    check_operands("operand", [*cc, *carry], cond_jaxpr.in_avals)
    check_operands("operand", [*bc, *carry], body_jaxpr.in_avals)
    (pred,) = cond_jaxpr.out_avals
    if pred.shape != () or pred.dtype != dtypes.bool_:
        raise TypeError(f"the condition must give a boolean scalar, got {pred}")
    for i, (c, o) in enumerate(zip(carry, body_jaxpr.out_avals, strict=True)):
        if c.shape != o.shape or c.dtype != o.dtype:
            raise TypeError(f"carry {i} enters the body as {c.str_short()} but leaves it "
                            f"as {o.str_short()}")
    return list(carry)


while_p.def_impl(_while_impl)
while_p.def_abstract_eval(_while_abstract)


# --- forward mode -------------------------------------------------------------------------


def _while_jvp(primals, tangents, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    params = dict(cond_jaxpr=cond_jaxpr, body_jaxpr=body_jaxpr, cond_nconsts=cond_nconsts,
                  body_nconsts=body_nconsts)
    nz = [type(t) is not Zero and is_float(get_aval(p)) for p, t in zip(primals, tangents)]
    _, bc_nz, carry_nz = _split(nz, cond_nconsts, body_nconsts)
    avals = [get_aval(p) for p in primals[cond_nconsts + body_nconsts:]]
    if not any(bc_nz) and not any(carry_nz):
        return while_p.bind(*primals, **params), [Zero(a) for a in avals]
    for _ in range(len(carry_nz) + 1):
        jvp, out_nz = jvp_jaxpr(body_jaxpr, [*bc_nz, *carry_nz], carry_nz)
        grown = [c or o for c, o in zip(carry_nz, out_nz)]
        if grown == carry_nz:
            break
        carry_nz = grown
    nb, ncar = body_nconsts, len(carry_nz)
    tb, tcar = sum(bc_nz), sum(carry_nz)
    n_in = nb + ncar
    body = permute_jaxpr(jvp, [*range(nb), *range(n_in, n_in + tb), *range(nb, n_in),
                               *range(n_in + tb, n_in + tb + tcar)], range(ncar + tcar))
    cc, bc, init = _split(primals, cond_nconsts, body_nconsts)
    _, t_bc, t_init = _split(tangents, cond_nconsts, body_nconsts)
    t_bc = [t for t, z in zip(t_bc, bc_nz) if z]
    t_init = [zeros(a) if type(t) is Zero else coerce(t, a)
              for t, a, z in zip(t_init, avals, carry_nz) if z]
    cond = _cond_ignoring_tangents(cond_jaxpr, cond_nconsts, ncar, [a for a, z in
                                                                    zip(avals, carry_nz) if z])
    outs = while_p.bind(*cc, *bc, *t_bc, *init, *t_init, cond_jaxpr=cond, body_jaxpr=body,
                        cond_nconsts=cond_nconsts, body_nconsts=nb + tb)
    carry, t_carry = outs[:ncar], iter(outs[ncar:])
    return carry, [next(t_carry) if z else Zero(a) for z, a in zip(carry_nz, avals)]


def _cond_ignoring_tangents(cond_jaxpr: Jaxpr, nconsts: int, ncarry: int,
                            t_avals: list) -> Jaxpr:
    def fn(*args: Any) -> list:
        return eval_jaxpr(cond_jaxpr, (), *args[:nconsts + ncarry])

    jaxpr, consts = stage(fn, [*cond_jaxpr.in_avals, *t_avals], why="lax.while_loop")
    assert not consts
    return jaxpr


ad.jvp_rules[while_p] = _while_jvp


# --- reverse mode -------------------------------------------------------------------------

# An upper bound of a value across the examples of a batch. Per example it is the value
# itself; under vmap, its batching rule takes the maximum over the batch. Reverse mode
# uses it to give one length to the scans that replay a while loop whose trip count
# differs between examples (those that finish early then skip the remaining steps).
batch_upper_bound_p = Primitive("batch_upper_bound")
batch_upper_bound_p.def_impl(lambda xp, x: x)
batch_upper_bound_p.def_abstract_eval(lambda x: x)
ad.defnondiff(batch_upper_bound_p)


def _upper_bound_batch(args, dims):
    from ..reductions import reduce_max

    (x,), (d,) = args, dims
    return [batch_upper_bound_p.bind(reduce_max(x, (d,)))], [None]


batch_rules[batch_upper_bound_p] = _upper_bound_batch


class WhileLoopReverseModeError(ValueError):
    """Reverse mode met a ``while_loop`` whose trip count is not known (under ``jit``)."""


def _trip_count(cc: list, bc: list, init: list, cond_jaxpr: Jaxpr, body_jaxpr: Jaxpr) -> Any:
    from ..elementwise import add

    def cond(c: list) -> Any:
        return eval_jaxpr(cond_jaxpr, (), *cc, *c[1:])[0]

    def body(c: list) -> list:
        return [add(c[0], np.int32(1)), *eval_jaxpr(body_jaxpr, (), *bc, *c[1:])]

    return while_flat(cond, body, [np.zeros((), np.int32), *init])[0]


def _while_vjp(needs, ct, ans, *args, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    from ..elementwise import add, lt
    from ..shapes import iota
    from .conditionals import cond

    cc, bc, init = _split(args, cond_nconsts, body_nconsts)
    _, bc_needs, _ = _split(needs, cond_nconsts, body_nconsts)
    n = _trip_count(cc, bc, init, cond_jaxpr, body_jaxpr)
    try:
        steps = int(batch_upper_bound_p.bind(n))
    except ConcretizationTypeError:
        raise WhileLoopReverseModeError(
            "reverse-mode differentiation of lax.while_loop needs its trip count, which is "
            "not known while tracing (under jit or make_jaxpr). Use lax.fori_loop with "
            "static bounds or lax.scan, which are reverse-differentiable there, or forward "
            "mode (fd.jvp, fd.jacfwd)."
        ) from None

    def body(carry: list) -> list:
        return eval_jaxpr(body_jaxpr, (), *bc, *carry)

    def record(carry: list, _: list) -> tuple[list, list]:
        k, c = carry[0], carry[1:]
        new = cond(lt(k, n), body, lambda c: list(c), c)
        return [add(k, np.int32(1)), *new], list(c)

    _, carries = scan_flat(record, [np.zeros((), np.int32), *init], [], steps)
    floats = [i for i, c in enumerate(init) if is_float(get_aval(c))]
    acc_idx = [i for i, need in enumerate(bc_needs) if need]
    ct0 = [zeros(get_aval(init[i])) if type(ct[i]) is Zero else coerce(ct[i], get_aval(init[i]))
           for i in floats]
    acc0 = [zeros(get_aval(bc[i])) for i in acc_idx]

    def step_back(ct_c: list, acc: list, c_k: list) -> list:
        _, pullback, _ = vjp_flat(lambda *a: eval_jaxpr(body_jaxpr, (), *a), [*bc, *c_k])
        cts: list = [None] * len(init)
        for i, c in zip(floats, ct_c):
            cts[i] = c
        g_bc, g_c = _split(pullback(cts), body_nconsts)
        return [*(coerce(g_c[i], get_aval(c)) for i, c in zip(floats, ct_c)),
                *(add(a, coerce(g_bc[i], get_aval(a))) for a, i in zip(acc, acc_idx))]

    def backward(carry: list, x: list) -> tuple[list, list]:
        k, c_k = x[0], x[1:]
        nf = len(floats)
        new = cond(lt(k, n), lambda cr, ck: step_back(cr[:nf], cr[nf:], ck),
                   lambda cr, ck: list(cr), carry, c_k)
        return new, []

    final, _ = scan_flat(backward, [*ct0, *acc0], [iota(np.int32, steps), *carries], steps,
                         reverse=True)
    out: list = [None] * len(args)
    for i, g in zip(floats, final[:len(floats)]):
        out[cond_nconsts + body_nconsts + i] = g
    for i, g in zip(acc_idx, final[len(floats):]):
        out[cond_nconsts + i] = g
    return out


ad.vjp_rules[while_p] = _while_vjp
ad.transpose_rules[while_p] = transpose_from_vjp(_while_vjp)


# --- batching -----------------------------------------------------------------------------


def _while_batch(args, dims, *, cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts):
    size = batch_size(args, dims)
    cc, bc, init = _split(args, cond_nconsts, body_nconsts)
    d_cc, d_bc, d_init = _split(dims, cond_nconsts, body_nconsts)
    carry_b = [d is not None for d in d_init]
    _, pred_b = batch_jaxpr(cond_jaxpr, size, [*d_cc, *[0 if b else None for b in carry_b]],
                            [False])
    if pred_b[0]:
        carry_b = [True] * len(carry_b)
    for _ in range(len(carry_b) + 1):
        body, out_b = batch_jaxpr(body_jaxpr, size, [*d_bc, *[0 if b else None for b in
                                                              carry_b]], carry_b)
        grown = [c or o for c, o in zip(carry_b, out_b)]
        c_dims = [*d_cc, *[0 if b else None for b in grown]]
        _, pred_b = batch_jaxpr(cond_jaxpr, size, c_dims, [False])
        if pred_b[0]:
            grown = [True] * len(grown)
        if grown == carry_b:
            break
        carry_b = grown
    init = [bdim_to_front(c, d, size) if b else c for c, d, b in zip(init, d_init, carry_b)]
    c_dims = [*d_cc, *[0 if b else None for b in carry_b]]
    cond_b, _ = batch_jaxpr(cond_jaxpr, size, c_dims, [False])
    params = dict(cond_nconsts=cond_nconsts, body_nconsts=body_nconsts)
    if not pred_b[0]:
        outs = while_p.bind(*cc, *bc, *init, cond_jaxpr=cond_b, body_jaxpr=body, **params)
        return outs, [0 if b else None for b in carry_b]
    cond_any, body_masked = _masked_loop(cond_b, body_jaxpr, cond_nconsts, body_nconsts,
                                         d_bc, [get_aval(c) for c in init], size)
    # The masked body reads the condition's constants too: they lead its own.
    outs = while_p.bind(*cc, *cc, *bc, *init, cond_jaxpr=cond_any, body_jaxpr=body_masked,
                        cond_nconsts=cond_nconsts, body_nconsts=cond_nconsts + body_nconsts)
    return outs, [0] * len(outs)


def _masked_loop(cond_b: Jaxpr, body_jaxpr: Jaxpr, n_cc: int, n_bc: int, d_bc: list,
                 carry_avals: list, size: int) -> tuple[Jaxpr, Jaxpr]:
    """The loop for a predicate that differs between examples: run while any example
    goes on; an example that is done keeps its carry (a ``batched_cond`` per example, so
    the body's derivative at its frozen carry is discarded, not multiplied by zero)."""
    from ..elementwise import convert_element_type
    from ..reductions import reduce_or
    from .common import batched_aval
    from .conditionals import batched_cond_p

    cc_avals = cond_b.in_avals[:n_cc]
    bc_avals = [batched_aval(a, d, size) for a, d in zip(body_jaxpr.in_avals[:n_bc], d_bc)]

    def any_going(*args: Any) -> list:
        return [reduce_or(eval_jaxpr(cond_b, (), *args)[0], (0,))]

    def step(*args: Any) -> list:
        cc, bc, carry = _split(list(args), n_cc, n_bc)
        going = convert_element_type(eval_jaxpr(cond_b, (), *cc, *carry)[0], dtypes.int32)
        return batched_cond_p.bind(going, *bc, *carry, branches=(_identity(body_jaxpr,
                                                                           n_bc), body_jaxpr),
                                   in_dims=(*d_bc, *[0] * len(carry)))

    cond_any, c1 = stage(any_going, [*cc_avals, *carry_avals], why="vmap of lax.while_loop")
    body, c2 = stage(step, [*cc_avals, *bc_avals, *carry_avals], why="vmap of lax.while_loop")
    assert not c1 and not c2
    return cond_any, body


def _identity(body_jaxpr: Jaxpr, n_bc: int) -> Jaxpr:
    jaxpr, consts = stage(lambda *a: list(a[n_bc:]), body_jaxpr.in_avals, why="lax.while_loop")
    assert not consts
    return jaxpr


batch_rules[while_p] = _while_batch


# ---------------------------------------------------------------------------------------
# The functions users call


def while_flat(cond_fun: Callable[[list], Any], body_fun: Callable[[list], list],
               init: list) -> list:
    """``while_loop`` on a flat list of arrays, for rules (the body keeps the types)."""
    avals = [get_aval(c) for c in init]
    cond_j, cc = stage(lambda *c: [cond_fun(list(c))], avals, why="lax.while_loop")
    body_j, bc = stage(lambda *c: [coerce(v, a) for v, a in zip(body_fun(list(c)), avals)],
                       avals, why="lax.while_loop")
    return while_p.bind(*cc, *bc, *init, cond_jaxpr=cond_j, body_jaxpr=body_j,
                        cond_nconsts=len(cc), body_nconsts=len(bc))


def while_loop(cond_fun: Callable[[Any], Any], body_fun: Callable[[Any], Any],
               init_val: Any) -> Any:
    """Repeat ``val = body_fun(val)`` while ``cond_fun(val)`` holds (as
    ``jax.lax.while_loop``).

    In Python terms::

        def while_loop(cond_fun, body_fun, init_val):
            val = init_val
            while cond_fun(val):
                val = body_fun(val)
            return val

    Forward-mode differentiable everywhere. Reverse mode works where the trip count can
    be found (outside ``jit``): the loop is counted, replayed as a ``scan`` that stores
    every carry, and reversed. Under ``jit`` use ``fori_loop`` with static bounds or
    ``scan`` for reverse mode. Under ``vmap`` with a condition that differs between
    examples, the loop runs until every example is done and finished examples keep their
    value.

    Args:
        cond_fun: ``cond_fun(val)`` returns a boolean scalar.
        body_fun: ``body_fun(val)`` returns a new value of the same structure, shapes and
            dtypes.
        init_val: the initial value (a pytree of arrays).

    Returns:
        The final value.

    Raises:
        TypeError: if ``cond_fun`` does not return a boolean scalar, or ``body_fun``
            changes the value's structure, shapes or dtypes.

    Examples:
        >>> import funcdiff as fd
        >>> from funcdiff import lax
        >>> lax.while_loop(lambda v: v[0] < 5, lambda v: (v[0] + 1, v[1] * 2.0), (0, 1.0))
        (Array(5, dtype=int32, weak_type=True), Array(32., dtype=float32, weak_type=True))
        >>> halve = lambda x: lax.while_loop(lambda x: x > 1.0, lambda x: x / 2, x)
        >>> fd.vmap(halve)(fd.numpy.array([0.5, 3.0, 10.0]))
        Array([0.5  , 0.75 , 0.625], dtype=float32)
        >>> fd.grad(halve)(10.0)
        Array(0.0625, dtype=float32, weak_type=True)
    """
    for name, f in (("cond_fun", cond_fun), ("body_fun", body_fun)):
        if not callable(f):
            raise TypeError(f"lax.while_loop: {name} must be callable, got {type(f).__name__}")
    flat, carry_tree = tree.flatten(init_val)
    flat = [as_operand(c, what="the initial value of lax.while_loop") for c in flat]
    avals = [get_aval(c) for c in flat]
    for _ in range(len(avals) + 1):
        holder: dict = {}

        def flat_body(*c: Any, holder: dict = holder) -> list:
            leaves, holder["tree"] = tree.flatten(body_fun(tree.unflatten(carry_tree, list(c))))
            return leaves

        body_j, bc = stage(flat_body, avals, why="lax.while_loop")
        retry = check_carry("while_loop", "body_fun", carry_tree, holder["tree"], avals,
                            body_j.out_avals)
        if retry is None:
            break
        avals = retry
    flat = [coerce(c, a) for c, a in zip(flat, avals)]

    def flat_cond(*c: Any) -> list:
        return [cond_fun(tree.unflatten(carry_tree, list(c)))]

    cond_j, cc = stage(flat_cond, avals, why="lax.while_loop")
    (pred,) = cond_j.out_avals
    if pred.shape != () or pred.dtype != dtypes.bool_:
        raise TypeError(
            f"lax.while_loop: cond_fun must return a boolean scalar, got {pred.str_short()}"
            + (": reduce it with fnp.all / fnp.any" if pred.shape else
               ": compare it, e.g. `val < 10`")
        )
    outs = while_p.bind(*cc, *bc, *flat, cond_jaxpr=cond_j, body_jaxpr=body_j,
                        cond_nconsts=len(cc), body_nconsts=len(bc))
    return tree.unflatten(carry_tree, outs)


def _static_int(x: Any) -> int | None:
    if isinstance(x, Tracer):
        return None
    try:
        return operator.index(x) if not hasattr(x, "aval") else int(x)
    except TypeError:
        return None


def fori_loop(lower: Any, upper: Any, body_fun: Callable[[Any, Any], Any], init_val: Any,
              *, unroll: int | bool | None = None) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)`` (as
    ``jax.lax.fori_loop``).

    With bounds known when the loop is traced (Python ints or concrete arrays) this is a
    :func:`scan`, reverse-differentiable everywhere; with traced bounds it is a
    :func:`while_loop`.

    Args:
        lower: the first index (an integer).
        upper: one past the last index.
        body_fun: ``body_fun(i, val)`` returns a new value of the same types.
        init_val: the initial value (a pytree of arrays).
        unroll: accepted for compatibility with JAX (static bounds only).

    Returns:
        The final value.

    Examples:
        >>> import funcdiff as fd
        >>> from funcdiff import lax
        >>> lax.fori_loop(0, 5, lambda i, s: s + i, 0)
        Array(10, dtype=int32)
        >>> fd.grad(lambda x: lax.fori_loop(0, 3, lambda i, y: y * x, 1.0))(2.0)
        Array(12., dtype=float32, weak_type=True)
    """
    lo, hi = _static_int(lower), _static_int(upper)
    if lo is not None and hi is not None:
        dt = _index_dtype(lower, upper)

        def step(carry: tuple, _: Any) -> tuple:
            i, val = carry
            return (i + np.array(1, dt)[()], body_fun(i, val)), None

        start = as_operand(np.array(lo, dt))
        (_, out), _ = scan(step, (start, init_val), None, length=max(hi - lo, 0),
                           unroll=1 if unroll is None else unroll)
        return out
    from ..elementwise import convert_element_type

    dt = _index_dtype(lower, upper)
    lo_a = convert_element_type(as_operand(lower, what="lax.fori_loop's lower"), dt)
    hi_a = convert_element_type(as_operand(upper, what="lax.fori_loop's upper"), dt)
    for name, a in (("lower", lo_a), ("upper", hi_a)):
        if get_aval(a).shape != ():
            raise TypeError(f"lax.fori_loop's {name} must be a scalar, got {get_aval(a)}")

    def body(carry: tuple) -> tuple:
        i, u, val = carry
        return i + np.array(1, dt)[()], u, body_fun(i, val)

    return while_loop(lambda c: c[0] < c[1], body, (lo_a, hi_a, init_val))[2]


def _index_dtype(lower: Any, upper: Any) -> np.dtype:
    kinds = []
    for x in (lower, upper):
        if isinstance(x, (bool, float, complex)) or (
                hasattr(x, "dtype") and np.dtype(x.dtype).kind not in "iu"):
            raise TypeError(f"lax.fori_loop's bounds must be integers, got {x!r:.60}")
        if hasattr(x, "dtype") and not isinstance(x, np.generic | int):
            kinds.append(np.dtype(x.dtype))
        elif isinstance(x, np.generic):
            kinds.append(x.dtype)
    if not kinds:
        return dtypes.default_int()
    return dtypes.canonicalize(np.result_type(*kinds))
