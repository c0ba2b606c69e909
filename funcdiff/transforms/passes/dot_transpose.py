"""Transposes folded into ``dot_general``: contract a transposed operand in place, and make a
transposed product by swapping the operands.

* ``dot_general(transpose(a), b)`` contracts ``a`` directly, with its dimension numbers
  mapped through the permutation, when that keeps the order of the free axes (so the result
  is the same array): ``a.T @ b`` becomes one BLAS call on ``a``.
* ``transpose(dot_general(a, b))`` that moves ``b``'s free axes before ``a``'s is
  ``dot_general(b, a)``: reverse mode's ``dW = (ct^T x)^T`` becomes ``x^T ct``, computed in
  the layout it is used in, instead of a strided view of the other layout.
"""

from __future__ import annotations

from ...core.ir import Atom, Eqn, Jaxpr, Var
from ._util import rebuild, subst_eqn, use_counts


def _free(ndim: int, contract: tuple, batch: tuple) -> list[int]:
    return [i for i in range(ndim) if i not in contract and i not in batch]


def _through_transpose(operand: Atom, contract: tuple, batch: tuple,
                       defs: dict[Var, Eqn]) -> tuple[Atom, tuple, tuple] | None:
    t = defs.get(operand) if isinstance(operand, Var) else None
    if t is None or t.prim.name != "transpose":
        return None
    perm = t.params["permutation"]
    free = [perm[k] for k in _free(len(perm), contract, batch)]
    if free != sorted(free):
        return None
    return t.invars[0], tuple(perm[k] for k in contract), tuple(perm[k] for k in batch)


def _absorb_operand_transposes(eqn: Eqn, defs: dict[Var, Eqn]) -> Eqn:
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lhs, rhs = eqn.invars
    changed = False
    got = _through_transpose(lhs, lc, lb, defs)
    if got is not None:
        lhs, lc, lb = got
        changed = True
    got = _through_transpose(rhs, rc, rb, defs)
    if got is not None:
        rhs, rc, rb = got
        changed = True
    if not changed:
        return eqn
    params = dict(eqn.params, dimension_numbers=((lc, rc), (lb, rb)))
    return Eqn(eqn.prim, [lhs, rhs], eqn.outvars, params, eqn.source)


def _swapped_product(eqn: Eqn, defs: dict[Var, Eqn], uses: dict[Var, int]) -> Eqn | None:
    d = defs.get(eqn.invars[0]) if isinstance(eqn.invars[0], Var) else None
    if d is None or d.prim.name != "dot_general" or uses.get(eqn.invars[0], 0) != 1:
        return None
    (lc, rc), (lb, rb) = d.params["dimension_numbers"]
    lhs, rhs = d.invars
    nb = len(lb)
    nl = len(_free(lhs.aval.ndim, lc, lb))
    nr = len(_free(rhs.aval.ndim, rc, rb))
    want = (*range(nb), *range(nb + nl, nb + nl + nr), *range(nb, nb + nl))
    if eqn.params["permutation"] != want:
        return None
    params = dict(d.params, dimension_numbers=((rc, lc), (rb, lb)))
    return Eqn(d.prim, [rhs, lhs], eqn.outvars, params, d.source)


def fold_dot_transposes(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` with transposes absorbed into the ``dot_general`` equations next to them.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> jaxpr = fd.make_jaxpr(lambda a, b: (a.T @ b).T)(fnp.ones((3, 2)), fnp.ones((3, 4)))
        >>> [e.prim.name for e in jaxpr.eqns]
        ['transpose', 'dot_general', 'transpose']
        >>> from funcdiff.transforms.passes import dce
        >>> (dot,) = dce(fold_dot_transposes(jaxpr)).eqns
        >>> dot.prim.name, dot.params["dimension_numbers"], dot.outvars[0].aval
        ('dot_general', (((0,), (0,)), ((), ())), f32[4,2])
    """
    uses = use_counts(jaxpr)
    defs: dict[Var, Eqn] = {}
    env: dict[Var, Atom] = {}
    eqns = []
    for eqn in jaxpr.eqns:
        eqn = subst_eqn(eqn, env)
        if eqn.prim.name == "dot_general":
            eqn = _absorb_operand_transposes(eqn, defs)
        elif eqn.prim.name == "transpose":
            eqn = _swapped_product(eqn, defs, uses) or eqn
        eqns.append(eqn)
        for v in eqn.outvars:
            defs[v] = eqn
    return rebuild(jaxpr, eqns, env)
