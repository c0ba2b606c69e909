"""``scan``: a loop with a carry and stacked per-step outputs, as one primitive.

``scan_p(*consts, *init, *xs, jaxpr, num_consts, num_carry, length, reverse, unroll)`` runs
``jaxpr(*consts, *carry, *x_t) -> (*carry, *y_t)`` for ``t`` over the leading axis of the
``xs`` (backwards with ``reverse``) and returns the final carry and the stacked ``y``.
Its JVP is a scan of the body's JVP (the tangent carry found by a fixpoint); its VJP runs
a forward scan that stacks the carries, then a reverse scan applying the body's VJP. Both
are written with ``scan`` itself, so higher derivatives nest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ... import tree
from ...core.aval import ShapedArray
from ...core.convert import as_operand
from ...core.ir import Jaxpr
from ...core.primitive import Primitive
from ...core.tracing import eval_jaxpr, get_aval
from ...transforms import ad_rules as ad
from ...transforms.ad import vjp_flat
from ...transforms.ad_rules import Zero
from ...transforms.batching_rules import batch_rules, batch_size, bdim_to_front, moveaxis
from .common import (
    batch_jaxpr,
    check_operands,
    coerce,
    is_float,
    join_avals,
    jvp_jaxpr,
    paths_of,
    permute_jaxpr,
    run,
    stage,
    to_arrays,
    to_raw,
    transpose_from_vjp,
    zeros,
)

scan_p = Primitive("scan", multiple_results=True)


def _split(seq: Sequence[Any], *sizes: int) -> list[list]:
    out, start = [], 0
    for n in sizes:
        out.append(list(seq[start:start + n]))
        start += n
    out.append(list(seq[start:]))
    return out


def _scan_impl(xp: Any, *args: Any, jaxpr: Jaxpr, num_consts: int, num_carry: int,
               length: int, reverse: bool, unroll: int) -> list:
    avals = jaxpr.in_avals
    front = num_consts + num_carry
    arrays = to_arrays(xp, args[:front], avals[:front])
    consts, carry = arrays[:num_consts], arrays[num_consts:]
    carry_avals, x_avals = avals[num_consts:front], avals[front:]
    xs = args[front:]
    ys: list[list] = [[None] * length for _ in range(len(jaxpr.outvars) - num_carry)]
    for step in range(length):
        t = length - 1 - step if reverse else step
        outs = run(jaxpr, [*consts, *carry, *to_arrays(xp, [x[t] for x in xs], x_avals)])
        carry = to_arrays(xp, [to_raw(xp, c) for c in outs[:num_carry]], carry_avals)
        for k, y in enumerate(outs[num_carry:]):
            ys[k][t] = to_raw(xp, y)
    stacked = [xp.stack(col).astype(aval.dtype) if length else
               xp.zeros((0, *aval.shape), dtype=aval.dtype)
               for col, aval in zip(ys, jaxpr.out_avals[num_carry:], strict=True)]
    return [c._value for c in carry] + stacked


def _scan_abstract(*args: ShapedArray, jaxpr: Jaxpr, num_consts: int, num_carry: int,
                   length: int, reverse: bool, unroll: int) -> list[ShapedArray]:
    consts, carry, xs = _split(args, num_consts, num_carry)
    for x in xs:
        if not x.shape or x.shape[0] != length:
            raise TypeError(
                f"a scan of length {length} got a scanned operand of type {x.str_short()}")
    slices = [x.update(shape=x.shape[1:]) for x in xs]
    check_operands("operand", [*consts, *carry, *slices], jaxpr.in_avals)
    out = jaxpr.out_avals
    for i, (c, o) in enumerate(zip(carry, out[:num_carry])):
        if c.shape != o.shape or c.dtype != o.dtype:
            raise TypeError(f"carry {i} enters the body as {c.str_short()} but leaves it "
                            f"as {o.str_short()}")
    return [*carry, *(y.update(shape=(length, *y.shape)) for y in out[num_carry:])]


scan_p.def_impl(_scan_impl)
scan_p.def_abstract_eval(_scan_abstract)


# --- forward mode -------------------------------------------------------------------------


def _scan_jvp(primals, tangents, *, jaxpr, num_consts, num_carry, length, reverse, unroll):
    nz = [type(t) is not Zero and is_float(get_aval(p)) for p, t in zip(primals, tangents)]
    const_nz, carry_nz, xs_nz = _split(nz, num_consts, num_carry)
    n_ys = len(jaxpr.outvars) - num_carry
    out_avals = _scan_abstract(*[get_aval(p) for p in primals], jaxpr=jaxpr,
                               num_consts=num_consts, num_carry=num_carry, length=length,
                               reverse=reverse, unroll=unroll)
    if not any(nz):
        outs = scan_p.bind(*primals, jaxpr=jaxpr, num_consts=num_consts, num_carry=num_carry,
                           length=length, reverse=reverse, unroll=unroll)
        return outs, [Zero(a) for a in out_avals]
    # The tangent carry: a carry has one if its input does or the body gives it one.
    for _ in range(num_carry + 1):
        jvp, out_nz = jvp_jaxpr(jaxpr, [*const_nz, *carry_nz, *xs_nz],
                                [*carry_nz, *[False] * n_ys])
        grown = [c or o for c, o in zip(carry_nz, out_nz[:num_carry])]
        if grown == carry_nz:
            break
        carry_nz = grown
    n_in = len(primals)
    tc, tcar, txs = (sum(const_nz), sum(carry_nz), sum(xs_nz))
    nc, ncar = num_consts, num_carry
    order = [*range(nc), *range(n_in, n_in + tc),                          # consts
             *range(nc, nc + ncar), *range(n_in + tc, n_in + tc + tcar),    # carry
             *range(nc + ncar, n_in), *range(n_in + tc + tcar, n_in + tc + tcar + txs)]
    n_out = ncar + n_ys
    ty = sum(out_nz[ncar:])
    out_order = [*range(ncar), *range(n_out, n_out + tcar), *range(ncar, n_out),
                 *range(n_out + tcar, n_out + tcar + ty)]
    body = permute_jaxpr(jvp, order, out_order)
    consts, init, xs = _split(primals, nc, ncar)
    t_consts, t_init, t_xs = _split(tangents, nc, ncar)
    t_consts = [t for t, z in zip(t_consts, const_nz) if z]
    t_init = [ad.instantiate(t) if type(t) is not Zero else zeros(get_aval(p))
              for t, p, z in zip(t_init, init, carry_nz) if z]
    t_init = [coerce(t, get_aval(p)) for t, p in
              zip(t_init, [p for p, z in zip(init, carry_nz) if z])]
    t_xs = [t for t, z in zip(t_xs, xs_nz) if z]
    outs = scan_p.bind(*consts, *t_consts, *init, *t_init, *xs, *t_xs, jaxpr=body,
                       num_consts=nc + tc, num_carry=ncar + tcar, length=length,
                       reverse=reverse, unroll=unroll)
    carry, t_carry, ys, t_ys = _split(outs, ncar, tcar, n_ys)
    it_c, it_y = iter(t_carry), iter(t_ys)
    t_out = [next(it_c) if z else Zero(a) for z, a in zip(carry_nz, out_avals[:ncar])]
    t_out += [next(it_y) if z else Zero(a) for z, a in zip(out_nz[ncar:], out_avals[ncar:])]
    return [*carry, *ys], t_out


ad.jvp_rules[scan_p] = _scan_jvp


# --- reverse mode -------------------------------------------------------------------------


def _scan_vjp(needs, ct, ans, *args, jaxpr, num_consts, num_carry, length, reverse, unroll):
    """Forward: a scan stacking the carry each step starts from. Backward: a scan the
    other way applying the body's VJP, accumulating the constants' cotangents."""
    from ..elementwise import add

    consts, init, xs = _split(args, num_consts, num_carry)
    ct_carry, ct_ys = _split(ct, num_carry)
    c_needs, _, x_needs = _split(needs, num_consts, num_carry)
    n_x = len(xs)

    def forward(carry: list, x: list) -> tuple[list, list]:
        outs = eval_jaxpr(jaxpr, (), *consts, *carry, *x)
        return outs[:num_carry], list(carry)

    _, carries = scan_flat(forward, list(init), list(xs), length, reverse)
    floats = [i for i, c in enumerate(init) if is_float(get_aval(c))]
    live_y = [k for k, (c, y) in enumerate(zip(ct_ys, jaxpr.out_avals[num_carry:]))
              if type(c) is not Zero and is_float(y)]
    acc_idx = [i for i, n in enumerate(c_needs) if n]
    ct0 = [_instantiate(ct_carry[i], init[i]) for i in floats]
    acc0 = [zeros(get_aval(consts[i])) for i in acc_idx]

    def backward(carry: list, x: list) -> tuple[list, list]:
        ct_c, acc = carry[:len(floats)], carry[len(floats):]
        c_t, x_t, ct_y = _split(x, num_carry, n_x)
        _, pullback, _ = vjp_flat(lambda *a: eval_jaxpr(jaxpr, (), *a), [*consts, *c_t, *x_t])
        cts: list = [None] * len(jaxpr.outvars)
        for i, c in zip(floats, ct_c):
            cts[i] = c
        for k, c in zip(live_y, ct_y):
            cts[num_carry + k] = c
        g_consts, g_carry, g_xs = _split(pullback(cts), num_consts, num_carry)
        new_acc = [add(a, coerce(g_consts[i], get_aval(a))) for a, i in zip(acc, acc_idx)]
        new_ct = [coerce(g_carry[i], get_aval(c)) for i, c in zip(floats, ct_c)]
        return [*new_ct, *new_acc], [g for g, n in zip(g_xs, x_needs) if n]

    stacked_cts = [ct_ys[k] for k in live_y]
    final, ct_xs = scan_flat(backward, [*ct0, *acc0], [*carries, *xs, *stacked_cts], length,
                             not reverse)
    ct_init, ct_consts = final[:len(floats)], final[len(floats):]
    out: list = [None] * len(args)
    for i, g in zip(acc_idx, ct_consts):
        out[i] = g
    for i, g in zip(floats, ct_init):
        out[num_consts + i] = g
    it = iter(ct_xs)
    for k, n in enumerate(x_needs):
        if n:
            out[num_consts + num_carry + k] = next(it)
    return out


def _instantiate(t: Any, primal: Any) -> Any:
    aval = get_aval(primal)
    if type(t) is Zero or t is None:
        return zeros(aval)
    return coerce(t, aval)


ad.vjp_rules[scan_p] = _scan_vjp
ad.transpose_rules[scan_p] = transpose_from_vjp(_scan_vjp)


# --- batching -----------------------------------------------------------------------------


def _scan_batch(args, dims, *, jaxpr, num_consts, num_carry, length, reverse, unroll):
    size = batch_size(args, dims)
    consts, init, xs = _split(args, num_consts, num_carry)
    d_consts, d_init, d_xs = _split(dims, num_consts, num_carry)
    # Scanned operands keep the scan on axis 0: their batch goes to axis 1 (0 per step).
    xs = [x if d is None else moveaxis(x, d, 1) for x, d in zip(xs, d_xs)]
    x_dims = [None if d is None else 0 for d in d_xs]
    carry_b = [d is not None for d in d_init]
    n_ys = len(jaxpr.outvars) - num_carry
    for _ in range(num_carry + 1):
        in_dims = [*d_consts, *[0 if b else None for b in carry_b], *x_dims]
        body, out_b = batch_jaxpr(jaxpr, size, in_dims, [*carry_b, *[False] * n_ys])
        grown = [c or o for c, o in zip(carry_b, out_b[:num_carry])]
        if grown == carry_b:
            break
        carry_b = grown
    init = [bdim_to_front(c, d, size) if b else c for c, d, b in zip(init, d_init, carry_b)]
    outs = scan_p.bind(*consts, *init, *xs, jaxpr=body, num_consts=num_consts,
                       num_carry=num_carry, length=length, reverse=reverse, unroll=unroll)
    out_dims = [0 if b else None for b in carry_b]
    out_dims += [1 if b else None for b in out_b[num_carry:]]
    return outs, out_dims


batch_rules[scan_p] = _scan_batch


# ---------------------------------------------------------------------------------------
# The functions users call


def scan_flat(fn: Callable[[list, list], tuple[list, list]], init: list, xs: list, length: int,
              reverse: bool = False) -> tuple[list, list]:
    """``scan`` on flat lists, for rules: ``fn(carry, x) -> (carry, y)`` keeps its types."""
    carry_avals = [get_aval(c) for c in init]
    x_avals = [get_aval(x).update(shape=get_aval(x).shape[1:]) for x in xs]
    n = len(init)

    def body(*a: Any) -> list:
        c, y = fn(list(a[:n]), list(a[n:]))
        return [*(coerce(v, av) for v, av in zip(c, carry_avals, strict=True)), *y]

    jaxpr, consts = stage(body, [*carry_avals, *x_avals], why="lax.scan")
    outs = scan_p.bind(*consts, *init, *xs, jaxpr=jaxpr, num_consts=len(consts),
                       num_carry=n, length=length, reverse=reverse, unroll=1)
    return outs[:n], outs[n:]


def _scan_length(xs: list, paths: list[str], length: int | None) -> int:
    sizes = {}
    for x, p in zip(xs, paths):
        shape = get_aval(x).shape
        if not shape:
            raise ValueError(
                f"lax.scan scans over the leading axis of xs, but {p} is a scalar (shape ())")
        sizes.setdefault(shape[0], []).append(p)
    if len(sizes) > 1:
        found = "; ".join(f"{', '.join(w)} of length {n}" for n, w in sizes.items())
        raise ValueError(f"lax.scan needs xs whose leading axes agree, got {found}")
    if length is not None:
        length = int(length)
        if sizes and length not in sizes:
            raise ValueError(
                f"lax.scan got length={length} but xs have leading axis {next(iter(sizes))}")
        return length
    if not sizes:
        raise ValueError("lax.scan needs xs to scan over, or an explicit length=")
    return next(iter(sizes))


def _stage_body(f: Callable, carry_tree: Any, carry_avals: list, xs_tree: Any,
                x_avals: list) -> tuple[Jaxpr, list, Any, Any]:
    n = len(carry_avals)
    holder: dict = {}

    def flat_body(*a: Any) -> list:
        out = f(tree.unflatten(carry_tree, list(a[:n])), tree.unflatten(xs_tree, list(a[n:])))
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(
                "lax.scan's function must return a pair (carry, y), got "
                f"{type(out).__name__}; return `new_carry, None` when there is no output"
            )
        c, y = out
        c_leaves, holder["carry"] = tree.flatten(c)
        y_leaves, holder["y"] = tree.flatten(y)
        return [*c_leaves, *y_leaves]

    jaxpr, consts = stage(flat_body, [*carry_avals, *x_avals], why="lax.scan")
    return jaxpr, consts, holder["carry"], holder["y"]


def check_carry(api: str, fun_name: str, carry_tree: Any, out_tree: Any, in_avals: list,
                out_avals: list) -> list[ShapedArray] | None:
    """The carry types to trace again with (weak inputs promoted), or None when they agree.

    Raises ``TypeError`` when the body changes the carry's structure, shapes or dtypes.
    """
    if out_tree != carry_tree:
        raise TypeError(
            f"lax.{api}: {fun_name} must return a carry with the structure of its input "
            f"carry {carry_tree}, got {out_tree}"
        )
    paths = paths_of(carry_tree, "carry")
    new, changed = [], False
    for p, a, o in zip(paths, in_avals, out_avals, strict=True):
        joined = join_avals([a, o])
        if joined is None or (joined.dtype != a.dtype and not a.weak_type):
            raise TypeError(
                f"lax.{api}: {fun_name} must keep the carry's type, but {p} enters as "
                f"{a.str_short()} and comes out as {o.str_short()}. Make them agree (e.g. "
                "give the initial value the right dtype, or cast the new one with "
                ".astype(...))."
            )
        joined = joined.update(weak_type=a.weak_type and o.weak_type)
        changed = changed or joined != a
        new.append(joined)
    return new if changed else None


def scan(f: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: Any = None,
         length: int | None = None, reverse: bool = False, unroll: int | bool = 1
         ) -> tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``, stacking the ``y``
    (as ``jax.lax.scan``).

    In Python terms::

        def scan(f, init, xs, length=None):
            carry, ys = init, []
            for x in xs:
                carry, y = f(carry, x)
                ys.append(y)
            return carry, np.stack(ys)

    but traced once into one ``scan`` operation, differentiable in both modes (the reverse
    pass stores the carry of every step) and batchable.

    Args:
        f: ``f(carry, x) -> (new_carry, y)``; ``new_carry`` must have the structure, shapes
            and dtypes of ``carry``; ``y`` may be any pytree of arrays (or ``None``).
        init: the initial carry (a pytree of arrays).
        xs: a pytree of arrays scanned along their leading axis, or ``None``.
        length: the number of steps; required when ``xs`` is ``None``.
        reverse: run from the last element of ``xs`` to the first (``ys`` keep the order
            of ``xs``).
        unroll: accepted for compatibility with JAX; funcdiff does not unroll.

    Returns:
        ``(final_carry, stacked_ys)``.

    Raises:
        TypeError: if ``f`` changes the carry's structure, shapes or dtypes, or does not
            return a pair.
        ValueError: if the ``xs`` have different leading sizes, or ``length`` disagrees.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> total, partial = lax.scan(lambda c, x: (c + x, c + x), 0.0, fnp.arange(1.0, 5.0))
        >>> total, partial
        (Array(10., dtype=float32), Array([ 1.,  3.,  6., 10.], dtype=float32))
        >>> lax.scan(lambda c, _: (c * 2, None), 1, length=5)[0]
        Array(32, dtype=int32, weak_type=True)
    """
    if not callable(f):
        raise TypeError(f"lax.scan's first argument must be callable, got {type(f).__name__}")
    init_flat, carry_tree = tree.flatten(init)
    init_flat = [as_operand(c, what="the initial carry of lax.scan") for c in init_flat]
    xs_flat, xs_tree = tree.flatten(xs)
    xs_flat = [as_operand(x, what="an xs of lax.scan") for x in xs_flat]
    length = _scan_length(xs_flat, paths_of(xs_tree, "xs"), length)
    x_avals = [get_aval(x).update(shape=get_aval(x).shape[1:]) for x in xs_flat]
    carry_avals = [get_aval(c) for c in init_flat]
    for _ in range(len(carry_avals) + 1):
        jaxpr, consts, out_tree, y_tree = _stage_body(f, carry_tree, carry_avals, xs_tree,
                                                      x_avals)
        retry = check_carry("scan", "the scanned function", carry_tree, out_tree,
                            carry_avals, jaxpr.out_avals[:len(carry_avals)])
        if retry is None:
            break
        carry_avals = retry
    init_flat = [coerce(c, a) for c, a in zip(init_flat, carry_avals)]
    unroll = int(unroll) if not isinstance(unroll, bool) else (length if unroll else 1)
    outs = scan_p.bind(*consts, *init_flat, *xs_flat, jaxpr=jaxpr, num_consts=len(consts),
                       num_carry=len(init_flat), length=length, reverse=bool(reverse),
                       unroll=unroll)
    n = len(init_flat)
    return tree.unflatten(carry_tree, outs[:n]), tree.unflatten(y_tree, outs[n:])
