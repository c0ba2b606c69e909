"""Constant folding: equations whose inputs are all known are computed once, at compile time.

Inputs are known when they are literals, constants (arrays the traced function closed over,
or that ``grad`` computed while tracing), or results of equations already folded. A result
becomes a literal when it is a scalar and a new constant otherwise. Results much larger than
their inputs (an ``iota`` of a big shape) are not folded, and neither are broadcast scalars
(``zeros((4096, 4096))``): they stay cheap in the program rather than big constants in
memory. With ``debug_nans`` on, an equation whose result holds a NaN is left in the
program, so the check at run time names it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend as _backend
from ...core import dtypes
from ...core.array import ArrayImpl
from ...core.config import config
from ...core.ir import Atom, Eqn, Jaxpr, Literal, Var
from ._util import make_literal, rebuild, subst_eqn

# Fold a result of at most this many elements, or one no bigger than its largest input.
FOLD_LIMIT = 4096


def _value(a: Atom, known: dict[Var, Any]) -> Any:
    return a.val if isinstance(a, Literal) else known[a]


def _run(eqn: Eqn, vals: list[Any]) -> list[ArrayImpl] | None:
    backend = None
    raw = []
    for v in vals:
        if isinstance(v, ArrayImpl):
            b = _backend.backend_of(v._value)
            if backend is not None and b is not backend:
                return None  # leave mixed placements to run time
            backend = b
            raw.append(v._value)
        else:
            raw.append(v[()] if isinstance(v, np.ndarray) else v)
    backend = backend or _backend.get_backend()
    outs = eqn.prim.impl(backend.xp, *raw, **eqn.params)
    outs = outs if eqn.prim.multiple_results else (outs,)
    result = []
    for o, v in zip(outs, eqn.outvars, strict=True):
        if type(o) not in backend.array_types:
            o = backend.xp.asarray(o)
        if o.dtype != v.aval.dtype:
            o = o.astype(v.aval.dtype)
        result.append(ArrayImpl(o, v.aval))
    return result


def _foldable(eqn: Eqn, known: dict[Var, Any]) -> bool:
    if eqn.prim.impl is None or getattr(eqn.prim, "has_effects", False):
        return False
    if not all(isinstance(a, Literal) or a in known for a in eqn.invars):
        return False
    if eqn.prim.name == "broadcast_in_dim" and eqn.invars[0].aval.shape == ():
        return False  # a broadcast scalar costs nothing at run time, and simplify reads it
    biggest = max([a.aval.size for a in eqn.invars], default=1)
    return all(v.aval.size <= max(FOLD_LIMIT, biggest) for v in eqn.outvars)


def _has_nan(x: ArrayImpl) -> bool:
    return dtypes.is_inexact(x.dtype) and bool(np.isnan(x._host()).any())


def fold_constants(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` with every equation of known inputs replaced by its value.

    Examples:
        >>> import numpy as np
        >>> from funcdiff import lax
        >>> from funcdiff.core.aval import ShapedArray
        >>> from funcdiff.core.ir import Eqn, Jaxpr, Literal, Var
        >>> s, v = ShapedArray((), np.float32), ShapedArray((3,), np.float32)
        >>> x, c, y = Var(v), Var(s), Var(v)
        >>> jaxpr = Jaxpr([], [x], [Eqn(lax.exp_p, [Literal(np.float32(0), s)], [c], {}),
        ...                         Eqn(lax.mul_p, [x, c], [y], {})], [y])
        >>> print(fold_constants(jaxpr))
        { lambda ; a:f32[3]. let b:f32[3] = mul a 1.0:f32[] in (b,) }
    """
    known: dict[Var, Any] = dict(zip(jaxpr.constvars, jaxpr.consts, strict=True))
    env: dict[Var, Atom] = {}
    new_consts: list[tuple[Var, Any]] = []
    eqns = []
    for eqn in jaxpr.eqns:
        eqn = subst_eqn(eqn, env)
        outs = _run(eqn, [_value(a, known) for a in eqn.invars]) if _foldable(
            eqn, known) else None
        if outs is None or (config.debug_nans and any(_has_nan(o) for o in outs)):
            eqns.append(eqn)
            continue
        for v, o in zip(eqn.outvars, outs, strict=True):
            if v.aval.shape == ():
                env[v] = make_literal(o._host(), v.aval)
            else:
                known[v] = o
                new_consts.append((v, o))
    consts = list(zip(jaxpr.constvars, jaxpr.consts, strict=True)) + new_consts
    return rebuild(jaxpr, eqns, env, consts)
