"""What the jaxpr passes share: substitution of atoms, use counts, and scalar-value lookups.

Passes never mutate the jaxpr they are given (``jit.lower`` shows it beside the result, and
nested jits keep it as a parameter); they build new equation lists and share the equations
they leave unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ...core.aval import ShapedArray
from ...core.ir import Atom, Eqn, Jaxpr, Literal, Var


def subst(atom: Atom, env: dict[Var, Atom]) -> Atom:
    """``atom`` after the replacements in ``env`` (followed transitively)."""
    while isinstance(atom, Var) and atom in env:
        atom = env[atom]
    return atom


def subst_eqn(eqn: Eqn, env: dict[Var, Atom]) -> Eqn:
    """``eqn`` with its inputs replaced; the same object when nothing changes."""
    if not env:
        return eqn
    new = [subst(a, env) for a in eqn.invars]
    if all(a is b for a, b in zip(new, eqn.invars, strict=True)):
        return eqn
    return Eqn(eqn.prim, new, eqn.outvars, eqn.params, eqn.source)


def rebuild(jaxpr: Jaxpr, eqns: list[Eqn], env: dict[Var, Atom],
            consts: Iterable[tuple[Var, Any]] | None = None) -> Jaxpr:
    """A new jaxpr with ``eqns``, outputs substituted through ``env`` and the given consts."""
    pairs = list(zip(jaxpr.constvars, jaxpr.consts, strict=True)) if consts is None else list(
        consts)
    return Jaxpr([v for v, _ in pairs], list(jaxpr.invars), eqns,
                 [subst(a, env) for a in jaxpr.outvars], [c for _, c in pairs])


def use_counts(jaxpr: Jaxpr) -> dict[Var, int]:
    """How many times each var is read (by equations and as an output)."""
    counts: dict[Var, int] = {}
    for eqn in jaxpr.eqns:
        for a in eqn.invars:
            if isinstance(a, Var):
                counts[a] = counts.get(a, 0) + 1
    for a in jaxpr.outvars:
        if isinstance(a, Var):
            counts[a] = counts.get(a, 0) + 1
    return counts


def definitions(jaxpr: Jaxpr) -> dict[Var, Eqn]:
    """The equation defining each equation output."""
    return {v: eqn for eqn in jaxpr.eqns for v in eqn.outvars}


def literal_scalar(val: Any) -> Any:
    """A literal's value as a host NumPy scalar (whatever the literal holds)."""
    if hasattr(val, "_host"):  # a 0-d funcdiff array
        val = val._host()
    return np.asarray(val)[()]


def make_literal(value: Any, aval: ShapedArray) -> Literal:
    """A scalar literal of ``aval``'s dtype (weak type kept)."""
    return Literal(np.asarray(value, dtype=aval.dtype)[()],
                   ShapedArray((), aval.dtype, aval.weak_type))


def splat_value(atom: Atom, defs: dict[Var, Eqn], const_splats: dict[Var, Any]) -> Any:
    """The one value every element of ``atom`` holds, if known statically, else ``None``.

    Known: literals, broadcasts of literals (``full``), and constants whose elements are all
    equal (recorded in ``const_splats`` by the caller).
    """
    if isinstance(atom, Literal):
        return literal_scalar(atom.val)
    if atom in const_splats:
        return const_splats[atom]
    eqn = defs.get(atom)
    if eqn is not None and eqn.prim.name == "broadcast_in_dim":
        return splat_value(eqn.invars[0], defs, const_splats)
    return None


def find_const_splats(jaxpr: Jaxpr, limit: int = 1 << 20) -> dict[Var, Any]:
    """Constants whose elements are all equal (zeros, ones, 1/n…), as host scalars."""
    out: dict[Var, Any] = {}
    for v, c in zip(jaxpr.constvars, jaxpr.consts, strict=True):
        if not hasattr(c, "_host") or v.aval.size == 0 or v.aval.size > limit:
            continue
        host = c._host()
        first = host.flat[0]
        same = (host == first) | (np.isnan(host) & np.isnan(first)) if host.dtype.kind in "fc" \
            else host == first
        if bool(np.all(same)):
            out[v] = first
    return out


def params_key(params: dict) -> Any:
    """A hashable stand-in for an equation's params (sub-jaxprs and arrays by identity)."""
    return tuple(sorted((k, _freeze(v)) for k, v in params.items()))


def _freeze(v: Any) -> Any:
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, tuple(_freeze(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted((k, _freeze(x)) for k, x in v.items())))
    if isinstance(v, np.ndarray):
        return ("nd", v.dtype.str, v.shape, v.tobytes())
    try:
        hash(v)
    except TypeError:
        return ("id", id(v))
    return v


def literal_key(lit: Literal) -> Any:
    """Equal keys for literals of equal value and type."""
    val = literal_scalar(lit.val)
    return ("lit", lit.aval.dtype.str, lit.aval.weak_type, np.asarray(val).tobytes())
