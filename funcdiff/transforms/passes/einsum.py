"""Contraction order: a tree of ``dot_general`` equations is re-associated in the cheapest
order, found by ``opt_einsum``.

``fnp.einsum`` and chained products (``a @ b @ v``) are written as ``dot_general``
equations, each intermediate used once. This pass gathers each such tree, expresses it as
one einsum (axes contracted or batched together share a letter), asks
``opt_einsum.contract_path`` — the path that ``opt_einsum.contract_expression`` precomputes —
for the cheapest pairwise order, and, when that needs fewer FLOPs than the traced order,
emits the tree again as ``dot_general`` equations in that order (plus one ``transpose`` if
the axes come out in another order). The result stays plain ``dot_general``: every backend
runs it, the memory planner sees it, and no einsum primitive is needed. Re-associating
changes rounding, as any reordering of sums does.
"""

from __future__ import annotations

import math
from typing import Any

import opt_einsum

from ...core.ir import Atom, Eqn, Jaxpr, Var
from ._util import rebuild, use_counts

_LETTERS = opt_einsum.get_symbol


def _free(ndim: int, contract: tuple, batch: tuple) -> list[int]:
    return [i for i in range(ndim) if i not in contract and i not in batch]


def _eligible(eqn: Eqn) -> bool:
    return eqn.prim.name == "dot_general" and eqn.params.get("preferred_element_type") is None


class _Labels:
    """Union-find over axis labels: contracting or batching two axes makes them one label."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.size: list[int] = []

    def new(self, size: int) -> int:
        self.parent.append(len(self.parent))
        self.size.append(size)
        return len(self.parent) - 1

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


class _Tree:
    """One tree of products: its leaves (operand atoms with labels) and its dot equations."""

    def __init__(self, root: Eqn, defs: dict[Var, Eqn], inner: set[int]) -> None:
        self.labels = _Labels()
        self.leaves: list[tuple[Atom, list[int]]] = []
        self.eqns: list[Eqn] = []
        self.flops = 0
        self.out = self._walk(root, defs, inner)

    def _walk(self, eqn: Eqn, defs: dict[Var, Eqn], inner: set[int]) -> list[int]:
        ops = []
        for a in eqn.invars:
            d = defs.get(a) if isinstance(a, Var) else None
            if d is not None and id(d) in inner:
                ops.append(self._walk(d, defs, inner))
            else:
                ls = [self.labels.new(n) for n in a.aval.shape]
                self.leaves.append((a, ls))
                ops.append(ls)
        (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
        left, right = ops
        for i, j in (*zip(lc, rc), *zip(lb, rb)):
            self.labels.union(left[i], right[j])
        self.eqns.append(eqn)
        out_size = math.prod(eqn.outvars[0].aval.shape)
        self.flops += 2 * out_size * math.prod(eqn.invars[0].aval.shape[i] for i in lc)
        return ([left[i] for i in lb] + [left[i] for i in _free(len(left), lc, lb)]
                + [right[j] for j in _free(len(right), rc, rb)])


def _pair_flops(sizes: dict[int, int], x: list[int], y: list[int], keep: set[int]) -> int:
    all_labels = set(x) | set(y)
    contracted = [lab for lab in set(x) & set(y) if lab not in keep]
    out = [lab for lab in all_labels if lab not in contracted]
    return 2 * math.prod(sizes[lab] for lab in out) * math.prod(sizes[lab] for lab in contracted)


def _plan(tree: _Tree) -> list[tuple[int, int]] | None:
    """The cheaper pairwise order as a list of (i, j) steps, or None to keep the traced one."""
    find = tree.labels.find
    ops = [[find(lab) for lab in ls] for _, ls in tree.leaves]
    out = [find(lab) for lab in tree.out]
    if any(len(set(o)) != len(o) for o in [*ops, out]):
        return None  # a repeated label (a diagonal): not a plain contraction tree
    sizes = {find(i): n for i, n in enumerate(tree.labels.size)}
    letters = {lab: _LETTERS(k) for k, lab in enumerate(sorted(set(sizes)))}
    spec = ",".join("".join(letters[lab] for lab in o) for o in ops)
    spec += "->" + "".join(letters[lab] for lab in out)
    shapes = [tuple(sizes[lab] for lab in o) for o in ops]
    strategy = "optimal" if len(ops) <= 6 else "greedy"
    path, _ = opt_einsum.contract_path(spec, *shapes, shapes=True, optimize=strategy)
    if any(len(step) != 2 for step in path):
        return None
    # Cost of the path in the same units as the traced order.
    cur, flops = list(ops), 0
    for i, j in path:
        x, y = cur[i], cur[j]
        rest = [o for k, o in enumerate(cur) if k not in (i, j)]
        keep = set(out).union(*rest) if rest else set(out)
        flops += _pair_flops(sizes, x, y, keep)
        merged = [lab for lab in x if lab in keep] + [lab for lab in y if lab in keep
                                                      and lab not in x]
        cur = rest + [merged]
    return list(path) if flops < tree.flops else None


def _emit(tree: _Tree, path: list[tuple[int, int]]) -> list[Eqn] | None:
    """The tree's equations in ``path``'s order, ending in the root's output var."""
    from ... import lax

    find = tree.labels.find
    root = tree.eqns[-1]
    out = [find(lab) for lab in tree.out]
    cur: list[tuple[Atom, list[int]]] = [(a, [find(lab) for lab in ls])
                                         for a, ls in tree.leaves]
    eqns: list[Eqn] = []
    for i, j in path:
        (x, lx), (y, ly) = cur[i], cur[j]
        rest = [o for k, o in enumerate(cur) if k not in (i, j)]
        keep = set(out).union(*(ls for _, ls in rest))
        if any(lab not in keep and lab not in ly for lab in lx) or any(
                lab not in keep and lab not in lx for lab in ly):
            return None  # an axis summed over one operand alone: not expressible here
        batch = [lab for lab in lx if lab in ly and lab in keep]
        contract = [lab for lab in lx if lab in ly and lab not in keep]
        dn = ((tuple(lx.index(lab) for lab in contract), tuple(ly.index(lab) for lab in contract)),
              (tuple(lx.index(lab) for lab in batch), tuple(ly.index(lab) for lab in batch)))
        params: dict[str, Any] = {"dimension_numbers": dn, "preferred_element_type": None}
        (aval,) = lax.dot_general_p.abstract_eval(x.aval, y.aval, **params)
        v = Var(aval)
        eqns.append(Eqn(lax.dot_general_p, [x, y], [v], params, root.source))
        labels = (batch + [lab for lab in lx if lab not in ly]
                  + [lab for lab in ly if lab not in lx])
        cur = rest + [(v, labels)]
    ((result, labels),) = cur
    final = root.outvars[0]
    if labels == out:
        eqns[-1] = Eqn(eqns[-1].prim, eqns[-1].invars, [final], eqns[-1].params, root.source)
    else:
        perm = tuple(labels.index(lab) for lab in out)
        eqns.append(Eqn(lax.transpose_p, [result], [final], {"permutation": perm}, root.source))
    return eqns


def reorder_contractions(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` with each tree of ``dot_general`` equations in its cheapest order.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> f = lambda a, b, v: fnp.dot(fnp.dot(a, b), v)   # n^3 work; a (b v) is n^2
        >>> jaxpr = fd.make_jaxpr(f)(fnp.ones((50, 50)), fnp.ones((50, 50)), fnp.ones(50))
        >>> [e.outvars[0].aval for e in jaxpr.eqns]
        [f32[50,50], f32[50]]
        >>> [e.outvars[0].aval for e in reorder_contractions(jaxpr).eqns]
        [f32[50], f32[50]]
    """
    uses = use_counts(jaxpr)
    outs = {a for a in jaxpr.outvars if isinstance(a, Var)}
    defs = {v: e for e in jaxpr.eqns for v in e.outvars}
    consumer: dict[Var, Eqn] = {}
    for eqn in jaxpr.eqns:
        for a in eqn.invars:
            if isinstance(a, Var):
                consumer[a] = eqn
    # Products whose one use is another product of the tree.
    inner = {id(e) for e in jaxpr.eqns if _eligible(e) and e.outvars[0] not in outs
             and uses.get(e.outvars[0], 0) == 1 and _eligible(consumer[e.outvars[0]])}
    if not inner:
        return jaxpr
    replace: dict[int, list[Eqn]] = {}
    dropped: set[int] = set()
    for eqn in jaxpr.eqns:
        if not _eligible(eqn) or id(eqn) in inner:
            continue
        tree = _Tree(eqn, defs, inner)
        if len(tree.eqns) < 2:
            continue
        path = _plan(tree)
        new = _emit(tree, path) if path is not None else None
        if new is not None:
            replace[id(eqn)] = new
            dropped.update(id(e) for e in tree.eqns[:-1])
    if not replace:
        return jaxpr
    eqns: list[Eqn] = []
    for eqn in jaxpr.eqns:
        if id(eqn) in dropped:
            continue
        eqns.extend(replace.get(id(eqn), [eqn]))
    return rebuild(jaxpr, eqns, {})
