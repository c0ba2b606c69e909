"""``einsum`` and ``einsum_path``: Einstein summation planned by ``opt_einsum``.

``einsum`` parses NumPy's notation (``"ij,jk->ik"``, implicit outputs, ``...``, repeated
indices in one operand, the interleaved ``einsum(x, [0, 1], y, [1, 2])`` form), asks
``opt_einsum.contract_path`` for a contraction order from the shapes alone, and turns the
result into an :class:`EinsumPlan`: per operand a few single-operand steps (squeezing
broadcast axes, diagonals for repeated indices, sums over indices no one else needs),
then one ``lax.dot_general`` per pairwise contraction (batch axes: indices shared and
kept; contracting axes: indices shared and dropped), and a final transpose. Plans are
cached per (subscripts, shapes, optimize); running one only binds lax operations, so
einsum is differentiable and batchable like any lax code.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import opt_einsum

from .. import lax
from ..core import dtypes
from ..core.tracing import get_aval
from ._promote import asarray_op, promote_dtypes

# ---------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True)
class UnaryOp:
    """A single-operand step: ``kind`` is ``"reshape"`` (``param`` the new shape),
    ``"diagonal"`` (``param`` the two axes; their diagonal becomes the last axis),
    ``"sum"`` (``param`` the axes summed) or ``"transpose"`` (``param`` the permutation)."""

    kind: str
    param: tuple


@dataclass(frozen=True)
class Contraction:
    """``out = lhs (x) rhs``: operands are named by ids (inputs ``0…n-1``, then each
    contraction's ``out`` in turn). ``rhs`` is None for a single-operand step. The
    ``*_ops`` run first; then one ``dot_general`` with ``dimension_numbers``."""

    lhs: int
    rhs: int | None
    out: int
    lhs_ops: tuple[UnaryOp, ...]
    rhs_ops: tuple[UnaryOp, ...]
    dimension_numbers: tuple | None


@dataclass(frozen=True)
class EinsumPlan:
    """Everything ``einsum`` decides from the subscripts and shapes, reusable as is.

    Attributes:
        subscripts: the explicit subscripts handed to opt_einsum (``...`` replaced by
            letters, broadcast size-1 axes dropped); with ``shapes`` and ``path``,
            ``opt_einsum.contract_expression(subscripts, *shapes, optimize=list(path))``
            rebuilds the same contraction (what jit precomputes).
        shapes: the operand shapes after ``prep``.
        path: opt_einsum's contraction path (positions, results appended at the end).
        prep: per input operand, the single-operand steps that run first.
        contractions: the pairwise (or single-operand) steps, in order.
        result: the id of the last operand; ``finish`` puts it in the output order.
    """

    subscripts: str
    shapes: tuple[tuple[int, ...], ...]
    path: tuple[tuple[int, ...], ...]
    prep: tuple[tuple[UnaryOp, ...], ...]
    contractions: tuple[Contraction, ...]
    result: int
    finish: tuple[UnaryOp, ...]


# ---------------------------------------------------------------------------------------
# Parsing


def _symbols(exclude: set[str], count: int) -> list[str]:
    out, i = [], 0
    while len(out) < count:
        s = opt_einsum.get_symbol(i)
        if s not in exclude:
            out.append(s)
        i += 1
    return out


def _interleaved(args: Sequence[Any]) -> tuple[str, list[Any]]:
    """``einsum(x, [0, 1], y, [1, 2], [0, 2])`` as ``("ab,bc->ac", [x, y])``."""

    def term(sub: Any) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= int(s) < 52:
                out.append(opt_einsum.get_symbol(int(s)))
            else:
                raise ValueError(
                    f"einsum: interleaved subscripts must be ints in [0, 52) or Ellipsis, "
                    f"got {s!r}"
                )
        return "".join(out)

    ops, terms = list(args[0::2]), [term(s) for s in args[1::2]]
    if len(args) % 2:
        out = ops.pop()
        return ",".join(terms) + "->" + term(out), ops
    return ",".join(terms), ops


def _parse(subscripts: str, shapes: Sequence[tuple[int, ...]]) -> tuple[list[str], str]:
    """Explicit input terms and output (``...`` expanded into fresh letters)."""
    s = subscripts.replace(" ", "")
    if s.count("->") > 1:
        raise ValueError(f"einsum: subscripts {subscripts!r} have more than one '->'")
    lhs, arrow, out = s.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(terms)} operands but "
            f"{len(shapes)} were given"
        )
    for t in [*terms, out]:
        if t.replace("...", "").count(".") or t.count("...") > 1:
            raise ValueError(f"einsum: invalid '.' in term {t!r}; use one '...' per term")
        if any(c in ",-> " for c in t.replace("...", "")):
            raise ValueError(f"einsum: invalid character in term {t!r}")
    used = set(s) - set(".,->")
    n_ell = 0
    for t, shape in zip(terms, shapes, strict=True):
        named = len(t.replace("...", ""))
        if "..." not in t and named != len(shape):
            raise ValueError(
                f"einsum: term {t!r} names {named} axes but its operand has shape {shape}"
            )
        if named > len(shape):
            raise ValueError(
                f"einsum: term {t!r} names {named} axes but its operand has only "
                f"{len(shape)} (shape {shape})"
            )
        if "..." in t:
            n_ell = max(n_ell, len(shape) - named)
    ell = "".join(_symbols(used, n_ell))
    expanded = []
    for t, shape in zip(terms, shapes, strict=True):
        k = len(shape) - len(t.replace("...", ""))
        expanded.append(t.replace("...", ell[len(ell) - k:] if k else ""))
    if arrow:
        if "..." not in out and n_ell and any("..." in t for t in terms):
            raise ValueError(
                f"einsum: the inputs of {subscripts!r} have '...' axes but the output does "
                "not; add '...' to the output (or sum those axes afterwards)"
            )
        output = out.replace("...", ell)
    else:
        joined = "".join(t.replace("...", "") for t in terms)
        output = ell + "".join(sorted(c for c in set(joined) if joined.count(c) == 1))
    return expanded, output


def _check_sizes(terms: list[str], output: str, shapes: Sequence[tuple]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for i, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        local: dict[str, int] = {}
        for c, d in zip(t, shape, strict=True):
            if local.setdefault(c, d) != d:
                raise ValueError(
                    f"einsum: index {c!r} repeats in operand {i} with sizes {local[c]} and {d}"
                )
            prev = sizes.get(c, 1)
            if prev != 1 and d not in (1, prev):
                raise ValueError(
                    f"einsum: index {c!r} has size {prev} in one operand but {d} in "
                    f"operand {i} (shape {shape}); sizes must match or be 1 to broadcast"
                )
            sizes[c] = d if prev == 1 else prev
    for c in output:
        if c not in sizes:
            raise ValueError(f"einsum: output index {c!r} does not appear in any input")
        if output.count(c) > 1:
            raise ValueError(f"einsum: output index {c!r} appears more than once")
    return sizes


# ---------------------------------------------------------------------------------------
# Building the plan from labels


def _reduce_ops(labels: str, keep: set[str]) -> tuple[list[UnaryOp], str]:
    """Diagonals for repeated labels, then sums over labels nobody else needs."""
    ops, labels = [], list(labels)
    while dup := next((c for c in labels if labels.count(c) > 1), None):
        p = labels.index(dup)
        q = labels.index(dup, p + 1)
        ops.append(UnaryOp("diagonal", (p, q)))
        labels = [c for i, c in enumerate(labels) if i not in (p, q)] + [dup]
    summed = tuple(i for i, c in enumerate(labels) if c not in keep)
    if summed:
        ops.append(UnaryOp("sum", summed))
        labels = [c for c in labels if c in keep]
    return ops, "".join(labels)


def _optimizer(optimize: Any, n: int) -> Any:
    if optimize is False:
        # No search: contract the first two operands, again and again (as JAX).
        return [(0, 1)] * (n - 1) if n > 1 else [(0,)]
    if optimize is True:
        return "optimal"
    if isinstance(optimize, (list, tuple)):
        path = list(optimize)
        return [tuple(p) for p in (path[1:] if path and path[0] == "einsum_path" else path)]
    return optimize


@functools.lru_cache(maxsize=512)
def _plan(subscripts: str, shapes: tuple[tuple[int, ...], ...], optimize: Any) -> EinsumPlan:
    terms, output = _parse(subscripts, shapes)
    sizes = _check_sizes(terms, output, shapes)
    # Axes of size 1 broadcast against a larger size elsewhere: squeeze them out first.
    prep_reshape, new_terms, new_shapes = [], [], []
    for t, shape in zip(terms, shapes, strict=True):
        keep = [i for i, (c, d) in enumerate(zip(t, shape)) if not (d == 1 and sizes[c] != 1)]
        new_terms.append("".join(t[i] for i in keep))
        new_shapes.append(tuple(shape[i] for i in keep))
        prep_reshape.append([UnaryOp("reshape", new_shapes[-1])] if len(keep) < len(t) else [])
    norm_subs = ",".join(new_terms) + "->" + output
    path, _ = opt_einsum.contract_path(norm_subs, *new_shapes, shapes=True,
                                       optimize=_optimizer(optimize, len(shapes)))
    # Single-operand reductions first: what only this operand has and the output lacks.
    live: dict[int, str] = {}
    prep = []
    for i, t in enumerate(new_terms):
        others = set(output).union(*(set(u) for j, u in enumerate(new_terms) if j != i))
        ops, live[i] = _reduce_ops(t, others)
        prep.append(tuple(prep_reshape[i] + ops))
    order, contractions, next_id = list(range(len(new_terms))), [], len(new_terms)
    for step in path:
        ids = [order[p] for p in sorted(step)]
        for p in sorted(step, reverse=True):
            order.pop(p)
        acc = ids[0]
        if len(ids) == 1:
            needed = set(output).union(*(set(live[j]) for j in order))
            ops, live[next_id] = _reduce_ops(live.pop(acc), needed)
            contractions.append(Contraction(acc, None, next_id, tuple(ops), (), None))
            acc, next_id = next_id, next_id + 1
        for k, rhs in enumerate(ids[1:]):
            rest = order + ids[k + 2:]
            needed = set(output).union(*(set(live[j]) for j in rest))
            contractions.append(_pair(acc, rhs, next_id, live, needed, output))
            acc, next_id = next_id, next_id + 1
        order.append(acc)
    (result,) = order
    finish, labels = _reduce_ops(live[result], set(output))
    perm = tuple(labels.index(c) for c in output)
    if perm != tuple(range(len(perm))):
        finish.append(UnaryOp("transpose", perm))
    return EinsumPlan(norm_subs, tuple(new_shapes), tuple(tuple(p) for p in path),
                      tuple(prep), tuple(contractions), result, tuple(finish))


def _pair(lhs: int, rhs: int, out: int, live: dict[int, str], needed: set[str],
          output: str) -> Contraction:
    if _disorder(_pair_labels(live[rhs], live[lhs], needed), output) < _disorder(
            _pair_labels(live[lhs], live[rhs], needed), output):
        lhs, rhs = rhs, lhs  # the swapped product lands closer to the output's order
    lops, la = _reduce_ops(live.pop(lhs), needed | set(live[rhs]))
    rops, lb = _reduce_ops(live.pop(rhs), needed | set(la))
    shared = [c for c in la if c in lb]
    batch = [c for c in shared if c in needed]
    contract = [c for c in shared if c not in needed]
    dn = ((tuple(la.index(c) for c in contract), tuple(lb.index(c) for c in contract)),
          (tuple(la.index(c) for c in batch), tuple(lb.index(c) for c in batch)))
    live[out] = _pair_labels(la, lb, needed)
    return Contraction(lhs, rhs, out, tuple(lops), tuple(rops), dn)


def _pair_labels(la: str, lb: str, needed: set[str]) -> str:
    """``dot_general``'s output order: batch, then lhs's free labels, then rhs's."""
    batch = "".join(c for c in la if c in lb and c in needed)
    return (batch + "".join(c for c in la if c not in lb and c in needed)
            + "".join(c for c in lb if c not in la and c in needed))


def _disorder(labels: str, output: str) -> int:
    """Pairs of output labels that ``labels`` holds in the opposite order (0: no transpose)."""
    pos = [output.index(c) for c in labels if c in output]
    return sum(a > b for i, a in enumerate(pos) for b in pos[i + 1:])


# ---------------------------------------------------------------------------------------
# Running a plan


def _apply(x: Any, op: UnaryOp) -> Any:
    if op.kind == "reshape":
        return lax.reshape(x, op.param)
    if op.kind == "sum":
        return lax.reduce_sum(x, op.param)
    if op.kind == "transpose":
        return lax.transpose(x, op.param)
    # diagonal: move both axes last, flatten them, and take every (n+1)-th element.
    a, b = op.param
    nd = get_aval(x).ndim
    x = lax.transpose(x, (*(i for i in range(nd) if i not in (a, b)), a, b))
    shape = get_aval(x).shape
    n = shape[-1]
    x = lax.reshape(x, (*shape[:-2], n * n))
    return lax.slice_in_dim(x, 0, n * n, stride=n + 1, axis=nd - 2)


def _run_ops(x: Any, ops: Sequence[UnaryOp]) -> Any:
    for op in ops:
        x = _apply(x, op)
    return x


def run_plan(plan: EinsumPlan, operands: Sequence[Any], preferred_element_type: Any = None) -> Any:
    """Evaluate ``plan`` on ``operands`` (arrays of the planned shapes and one dtype).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff.numpy.einsum import einsum_plan, run_plan
        >>> plan = einsum_plan("ij,jk->ik", (2, 3), (3, 4))
        >>> run_plan(plan, [fnp.ones((2, 3)), fnp.ones((3, 4))]).shape
        (2, 4)
    """
    env = {i: _run_ops(x, ops) for i, (x, ops) in enumerate(zip(operands, plan.prep,
                                                                  strict=True))}
    for c in plan.contractions:
        x = _run_ops(env.pop(c.lhs), c.lhs_ops)
        if c.rhs is not None:
            y = _run_ops(env.pop(c.rhs), c.rhs_ops)
            x = lax.dot_general(x, y, c.dimension_numbers, preferred_element_type)
        env[c.out] = x
    return _run_ops(env[plan.result], plan.finish)


# ---------------------------------------------------------------------------------------
# Public functions


def _hashable(optimize: Any) -> Any:
    if isinstance(optimize, (list, tuple)):
        return tuple(p if isinstance(p, str) else tuple(p) for p in optimize)
    if not isinstance(optimize, (str, bool)):
        raise TypeError(
            f"einsum: optimize must be a string (e.g. 'auto', 'optimal', 'greedy'), a bool or "
            f"a path (a list of tuples), got {type(optimize).__name__}"
        )
    return optimize


def einsum(subscripts: Any, /, *operands: Any, out: None = None, optimize: Any = "auto",
           precision: Any = None, preferred_element_type: Any = None) -> Any:
    """Einstein summation, as ``jax.numpy.einsum``.

    Args:
        subscripts: NumPy's notation, e.g. ``"ij,jk->ik"``, ``"ii"`` (trace),
            ``"...ij,...jk"`` (implicit output: ``...`` then the indices seen once, sorted);
            or the interleaved form ``einsum(x, [0, 1], y, [1, 2], [0, 2])``.
        *operands: the arrays. Axes of size 1 broadcast against larger sizes.
        out: not supported (arrays are immutable); must be None.
        optimize: how opt_einsum orders the contractions: ``"auto"`` (default),
            ``"optimal"``, ``"greedy"``… , ``True`` (``"optimal"``), ``False`` (left to
            right), or an explicit path such as ``einsum_path`` returns.
        precision: accepted for compatibility; computation uses the operands' dtype.
        preferred_element_type: the result dtype (operands are converted to it first).

    Returns:
        The contraction, an array.

    Raises:
        ValueError: for malformed subscripts or operand shapes that do not fit them.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> a, b = fnp.ones((2, 3)), fnp.ones((3, 4))
        >>> fnp.einsum("ij,jk->ik", a, b).shape
        (2, 4)
        >>> fnp.einsum("ii", fnp.eye(3))
        Array(3., dtype=float32)
        >>> fnp.einsum("...ij,...jk", fnp.ones((5, 2, 3)), b).shape
        (5, 2, 4)
    """
    del precision
    if out is not None:
        raise ValueError("einsum: out= is not supported: funcdiff arrays are immutable")
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved((subscripts, *operands))
    if not operands:
        raise ValueError("einsum needs at least one operand")
    ops = promote_dtypes(*(asarray_op(o) for o in operands))
    if preferred_element_type is not None:
        dt = dtypes.canonicalize(preferred_element_type)
        ops = [lax.convert_element_type(o, dt) for o in ops]
    shapes = tuple(tuple(get_aval(o).shape) for o in ops)
    plan = _plan(subscripts, shapes, _hashable(optimize))
    return run_plan(plan, ops)


def einsum_plan(subscripts: str, *shapes: Sequence[int], optimize: Any = "auto") -> EinsumPlan:
    """The cached :class:`EinsumPlan` ``einsum`` uses for operands of these ``shapes``.

    Examples:
        >>> from funcdiff.numpy.einsum import einsum_plan
        >>> einsum_plan("ij,jk->ik", (2, 3), (3, 4)).contractions[0].dimension_numbers
        (((1,), (0,)), ((), ()))
    """
    return _plan(subscripts, tuple(tuple(int(d) for d in s) for s in shapes),
                 _hashable(optimize))


def einsum_path(subscripts: Any, /, *operands: Any, optimize: Any = "auto") -> tuple[list, Any]:
    """The contraction order ``einsum`` would use, as ``jax.numpy.einsum_path``.

    Only the operands' shapes are read (no data moves).

    Returns:
        ``(path, info)``: opt_einsum's path (a list of position tuples, each contraction's
        result appended at the end) and its ``PathInfo``, whose ``str`` is the printout
        (scaling, FLOP counts, the intermediate of each step).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> x, y, z = fnp.ones((2, 30)), fnp.ones((30, 40)), fnp.ones((40, 2))
        >>> path, info = fnp.einsum_path("ij,jk,kl->il", x, y, z, optimize="optimal")
        >>> path
        [(1, 2), (0, 1)]
        >>> print(info)  # doctest: +ELLIPSIS
          Complete contraction:  ij,jk,kl->il
        ...
    """
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved((subscripts, *operands))
    shapes = [tuple(get_aval(asarray_op(o)).shape) for o in operands]
    opt = _optimizer(_hashable(optimize), len(shapes))
    path, info = opt_einsum.contract_path(subscripts, *shapes, shapes=True, optimize=opt)
    return list(path), info
