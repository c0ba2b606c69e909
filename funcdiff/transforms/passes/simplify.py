"""Algebraic simplification: identities that make an equation unnecessary or cheaper.

* ``x + 0``, ``x - 0``, ``x * 1``, ``x / 1``, ``x ** 1`` become ``x``; ``x * -1`` and
  ``0 - x`` become ``neg x``; ``x - neg y`` becomes ``x + y`` and ``x + neg y``, ``x - y``.
* ``neg (neg x)``, ``stop_gradient x`` (gradients are already taken when jit compiles) and a
  ``convert_element_type`` to the dtype ``x`` already has become ``x``.
* ``transpose`` of ``transpose``, ``reshape`` of ``reshape`` and ``broadcast_in_dim`` of
  ``broadcast_in_dim`` become one equation (or none, when the result is ``x`` itself).
* ``select(p, x, x)`` is ``x``; a ``select`` on a constant predicate is the branch it picks.
* Broadcast scalars: an elementwise operand that holds one value everywhere (a broadcast
  literal, or a constant such as the ``0.5`` that ``grad`` of ``maximum`` makes) is replaced
  by a scalar literal when the other operands already give the result its shape, so NumPy
  reads a scalar instead of a broadcast array.

Identities that could change a result (``x * 0`` is not ``0`` for ``inf`` or NaN) are not
used. ``x + 0`` does turn ``-0.0`` into ``-0.0`` rather than ``0.0``, as XLA's does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...core.ir import Atom, Eqn, Jaxpr, Literal, Var
from ._util import find_const_splats, make_literal, rebuild, splat_value, subst_eqn

# Elementwise primitives with NumPy broadcasting, whose operands may be scalars.
BROADCASTING = frozenset({
    "add", "sub", "mul", "div", "rem", "pow", "max", "min", "atan2", "eq", "ne", "lt", "le",
    "gt", "ge", "and", "or", "xor", "select", "shift_left", "shift_right_logical",
    "shift_right_arithmetic",
})


class _Ctx:
    def __init__(self, jaxpr: Jaxpr) -> None:
        self.defs: dict[Var, Eqn] = {}
        self.splats = find_const_splats(jaxpr)

    def value(self, a: Atom) -> Any:
        return splat_value(a, self.defs, self.splats)

    def producer(self, a: Atom, name: str) -> Eqn | None:
        eqn = self.defs.get(a) if isinstance(a, Var) else None
        return eqn if eqn is not None and eqn.prim.name == name else None


def _same(a: Atom, out: Var) -> bool:
    return a.aval.shape == out.aval.shape and a.aval.dtype == out.aval.dtype


def _is(value: Any, target: float) -> bool:
    return value is not None and bool(value == target)


def _prim(name: str) -> Any:
    from ... import lax

    return getattr(lax, f"{name}_p")


def _with(eqn: Eqn, name: str, ins: list[Atom], **params: Any) -> Eqn:
    return Eqn(_prim(name), ins, eqn.outvars, params, eqn.source)


def _scalarize(eqn: Eqn, ctx: _Ctx) -> Eqn | None:
    """Replace broadcast-constant operands by literals where the operands left still give
    the result its shape (``select(p, full(1.0), full(-1.0))`` becomes ``select(p, 1.0,
    -1.0)``)."""
    ins = [a if isinstance(a, Literal) or ctx.value(a) is None
           else make_literal(ctx.value(a), a.aval) for a in eqn.invars]
    if all(a is b for a, b in zip(ins, eqn.invars)):
        return None
    shapes = [a.aval.shape for a in ins if not isinstance(a, Literal)]
    if not shapes or np.broadcast_shapes(*shapes) != eqn.outvars[0].aval.shape:
        return None  # the result would shrink
    return Eqn(eqn.prim, ins, eqn.outvars, eqn.params, eqn.source)


def _add(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    x, y = eqn.invars
    out = eqn.outvars[0]
    if _is(ctx.value(y), 0) and _same(x, out):
        return x
    if _is(ctx.value(x), 0) and _same(y, out):
        return y
    neg = ctx.producer(y, "neg")
    if neg is not None:
        return _with(eqn, "sub", [x, neg.invars[0]])
    return None


def _sub(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    x, y = eqn.invars
    out = eqn.outvars[0]
    if _is(ctx.value(y), 0) and _same(x, out):
        return x
    if _is(ctx.value(x), 0) and _same(y, out):
        return _with(eqn, "neg", [y])
    neg = ctx.producer(y, "neg")
    if neg is not None:
        return _with(eqn, "add", [x, neg.invars[0]])
    return None


def _mul(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    x, y = eqn.invars
    out = eqn.outvars[0]
    for a, b in ((x, y), (y, x)):
        vb = ctx.value(b)
        if _is(vb, 1) and _same(a, out):
            return a
        if _is(vb, -1) and _same(a, out) and a.aval.dtype.kind != "b":
            return _with(eqn, "neg", [a])
    return None


def _div(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    x, y = eqn.invars
    return x if _is(ctx.value(y), 1) and _same(x, eqn.outvars[0]) else None


def _pow(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    x, y = eqn.invars
    return x if _is(ctx.value(y), 1) and _same(x, eqn.outvars[0]) else None


def _integer_pow(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    return eqn.invars[0] if eqn.params["y"] == 1 else None


def _neg(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    inner = ctx.producer(eqn.invars[0], "neg")
    return inner.invars[0] if inner is not None else None


def _identity(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    return eqn.invars[0]


def _convert(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    x = eqn.invars[0]
    return x if x.aval.dtype == eqn.params["new_dtype"] else None


def _transpose(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    x, perm = eqn.invars[0], eqn.params["permutation"]
    inner = ctx.producer(x, "transpose")
    if inner is not None:
        x = inner.invars[0]
        perm = tuple(inner.params["permutation"][q] for q in perm)
    if perm == tuple(range(len(perm))):
        return x
    return _with(eqn, "transpose", [x], permutation=perm) if inner is not None else None


def _reshape(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    x = eqn.invars[0]
    inner = ctx.producer(x, "reshape")
    if inner is not None:
        x = inner.invars[0]
    if x.aval.shape == eqn.params["new_sizes"]:
        return x
    return _with(eqn, "reshape", [x], new_sizes=eqn.params["new_sizes"]) if inner else None


def _broadcast(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    x, shape, dims = eqn.invars[0], eqn.params["shape"], eqn.params["broadcast_dimensions"]
    inner = ctx.producer(x, "broadcast_in_dim")
    if inner is not None:
        dims = tuple(dims[d] for d in inner.params["broadcast_dimensions"])
        x = inner.invars[0]
    if x.aval.shape == shape and dims == tuple(range(len(shape))):
        return x
    if inner is None:
        return None
    return _with(eqn, "broadcast_in_dim", [x], shape=shape, broadcast_dimensions=dims)


def _select(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn | None:
    pred, a, b = eqn.invars
    out = eqn.outvars[0]
    if a is b and _same(a, out):
        return a
    p = ctx.value(pred)
    if p is not None:
        pick = a if bool(p) else b
        return pick if _same(pick, out) else None
    return None


_RULES: dict[str, Callable[[Eqn, _Ctx], Atom | Eqn | None]] = {
    "add": _add, "sub": _sub, "mul": _mul, "div": _div, "pow": _pow,
    "integer_pow": _integer_pow, "neg": _neg, "stop_gradient": _identity,
    "convert_element_type": _convert, "transpose": _transpose, "reshape": _reshape,
    "broadcast_in_dim": _broadcast, "select": _select,
}


def _simplify_eqn(eqn: Eqn, ctx: _Ctx) -> Atom | Eqn:
    """The equation's replacement: an atom (its value), or a cheaper equation."""
    for _ in range(4):  # a rewrite may enable another (x - neg(y) -> x + y -> …)
        rule = _RULES.get(eqn.prim.name)
        new = rule(eqn, ctx) if rule is not None else None
        if new is None and eqn.prim.name in BROADCASTING:
            new = _scalarize(eqn, ctx)
        if new is None:
            return eqn
        if not isinstance(new, Eqn):
            return new
        eqn = new
    return eqn


def simplify(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` with the algebraic identities above applied.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff.transforms.passes import dce
        >>> f = lambda x: fnp.sin(-(-(x.T.T * 1.0)) + fnp.zeros((2, 3)))
        >>> print(dce(simplify(fd.make_jaxpr(f)(fnp.ones((2, 3))))))
        { lambda ; a:f32[2,3]. let b:f32[2,3] = sin a in (b,) }
    """
    ctx = _Ctx(jaxpr)
    env: dict[Var, Atom] = {}
    eqns = []
    for eqn in jaxpr.eqns:
        eqn = subst_eqn(eqn, env)
        new = _simplify_eqn(eqn, ctx) if len(eqn.outvars) == 1 else eqn
        if isinstance(new, Eqn):
            eqns.append(new)
            for v in new.outvars:
                ctx.defs[v] = new
        else:
            env[eqn.outvars[0]] = new
    return rebuild(jaxpr, eqns, env)
