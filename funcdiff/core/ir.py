"""The IR: ``Var``, ``Literal``, ``Eqn`` and ``Jaxpr`` as plain data, with a printer and a checker.

A jaxpr has input vars, constant vars, equations ``outs = prim[params](ins)`` and output
atoms. Every var has an abstract value. Printing follows JAX::

    { lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .aval import ShapedArray

if TYPE_CHECKING:
    from .primitive import Primitive

_counter = itertools.count()


class Var:
    """A variable of a jaxpr: defined once (as an input, constant or equation output)."""

    __slots__ = ("aval", "count")

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval
        self.count = next(_counter)

    def __repr__(self) -> str:
        return f"Var({self.count}:{self.aval.str_short()})"


class Literal:
    """A scalar constant written inline in the jaxpr."""

    __slots__ = ("val", "aval")

    def __init__(self, val: Any, aval: ShapedArray) -> None:
        self.val = val
        self.aval = aval

    def __repr__(self) -> str:
        return f"Literal({_literal_str(self.val)})"


Atom = Var | Literal


@dataclass
class Eqn:
    """``outvars = prim[params](*invars)``, with the user's source line that made it."""

    prim: Primitive
    invars: list[Atom]
    outvars: list[Var]
    params: dict[str, Any]
    source: str | None = None

    @property
    def primitive(self) -> Primitive:
        """``prim``, under the name JAX's ``JaxprEqn`` gives it."""
        return self.prim


@dataclass
class Jaxpr:
    """A typed, first-order program: the data every transform reads and writes."""

    constvars: list[Var]
    invars: list[Var]
    eqns: list[Eqn]
    outvars: list[Atom]
    consts: list[Any] = field(default_factory=list)

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.invars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.outvars]

    @property
    def jaxpr(self) -> Jaxpr:
        """This jaxpr: JAX's ``make_jaxpr`` gives a ``ClosedJaxpr`` read as ``closed.jaxpr``;
        funcdiff's jaxpr holds its constants itself, so ported code can keep that spelling."""
        return self

    def __str__(self) -> str:
        return pp_jaxpr(self)

    def __repr__(self) -> str:
        return pp_jaxpr(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(pp_jaxpr(self))


# ---------------------------------------------------------------------------------------
# Printing


def _var_names() -> Any:
    for n in itertools.count(1):
        for combo in itertools.product("abcdefghijklmnopqrstuvwxyz", repeat=n):
            yield "".join(combo)


class _Names:
    def __init__(self) -> None:
        self._gen = _var_names()
        self._names: dict[Var, str] = {}

    def __call__(self, v: Atom) -> str:
        if isinstance(v, Literal):
            return f"{_literal_str(v.val)}:{v.aval.str_short()}"
        if v not in self._names:
            self._names[v] = next(self._gen)
        return self._names[v]

    def decl(self, v: Var) -> str:
        return f"{self(v)}:{v.aval.str_short()}"


def _literal_str(val: Any) -> str:
    if hasattr(val, "_value"):  # a 0-d funcdiff Array
        val = val._host()[()]
    if isinstance(val, np.ndarray):
        val = val[()]
    if isinstance(val, (bool, np.bool_)):
        return str(bool(val))
    if isinstance(val, np.floating):
        return str(val)  # shortest digits of its own precision: 0.01, not 0.009999999776…
    if isinstance(val, float):
        return repr(val)
    if isinstance(val, (int, np.integer)):
        return str(int(val))
    return str(val)


def _param_str(v: Any) -> str:
    if isinstance(v, Jaxpr):
        return "{ jaxpr }"
    if isinstance(v, np.dtype):
        return v.name
    if callable(v) and hasattr(v, "__name__"):
        return v.__name__
    return str(v)


def pp_jaxpr(jaxpr: Jaxpr, indent: int = 0, names: _Names | None = None) -> str:
    """Readable text of a jaxpr, one equation a line; sub-jaxprs are printed nested."""
    names = names or _Names()
    pad = " " * indent
    consts = " ".join(names.decl(v) for v in jaxpr.constvars)
    ins = " ".join(names.decl(v) for v in jaxpr.invars)
    lines = [f"{{ lambda {consts}; {ins}. let"]
    for eqn in jaxpr.eqns:
        lhs = " ".join(names.decl(v) for v in eqn.outvars)
        if any(_holds_jaxprs(v) for v in eqn.params.values()):
            lines += _pp_nested_eqn(eqn, lhs, indent, names)
            continue
        sub = {k: v for k, v in eqn.params.items() if isinstance(v, Jaxpr)}
        plain = {k: v for k, v in eqn.params.items() if not isinstance(v, Jaxpr)}
        params = ", ".join(f"{k}={_param_str(v)}" for k, v in sorted(plain.items()))
        subs = [f"{k}={pp_jaxpr(j, indent + 6, names).lstrip()}" for k, j in sub.items()]
        all_params = ", ".join(p for p in [params, *subs] if p)
        prm = f"[{all_params}]" if all_params else ""
        args = " ".join(names(v) for v in eqn.invars)
        lines.append(f"{pad}    {lhs} = {eqn.prim.name}{prm} {args}".rstrip())
    # As JAX prints them: (a,) for one output, (a, b) for several.
    outs = "(" + ", ".join(names(v) for v in jaxpr.outvars) + ("," if len(jaxpr.outvars) == 1
                                                               else "") + ")"
    if len(lines) <= 2 and all("\n" not in ln for ln in lines):
        body = " ".join(ln.strip() for ln in lines)
        return f"{pad}{body} in {outs} }}"
    return "\n".join([pad + lines[0], *lines[1:], f"{pad}  in {outs} }}"])


def _holds_jaxprs(v: Any) -> bool:
    return isinstance(v, Jaxpr) or (isinstance(v, tuple) and bool(v)
                                    and all(isinstance(j, Jaxpr) for j in v))


def _pp_nested_eqn(eqn: Eqn, lhs: str, indent: int, names: _Names) -> list[str]:
    """An equation holding sub-jaxprs (control flow): one param a line, jaxprs nested."""
    pad, inner = " " * (indent + 4), " " * (indent + 6)
    lines = [f"{pad}{lhs} = {eqn.prim.name}["]
    for k, v in sorted(eqn.params.items()):
        if isinstance(v, Jaxpr):
            lines.append(f"{inner}{k}={pp_jaxpr(v, indent + 6, names).lstrip()}")
        elif _holds_jaxprs(v):
            lines += [f"{inner}{k}=(", *(pp_jaxpr(j, indent + 8, names) for j in v), f"{inner})"]
        else:
            lines.append(f"{inner}{k}={_param_str(v)}")
    lines.append(f"{pad}] {' '.join(names(v) for v in eqn.invars)}".rstrip())
    return lines


# ---------------------------------------------------------------------------------------
# Checking


class JaxprTypeError(TypeError):
    """A jaxpr is malformed: a var used before it is defined, or a type that does not match."""


def check_jaxpr(jaxpr: Jaxpr) -> None:
    """Raise :class:`JaxprTypeError` unless every var is defined once before use and every
    equation's output types are what its primitive's shape rule says."""
    defined: set[Var] = set()

    def define(v: Var) -> None:
        if v in defined:
            raise JaxprTypeError(f"variable {v} is defined twice")
        defined.add(v)

    def read(x: Atom) -> ShapedArray:
        if isinstance(x, Var) and x not in defined:
            raise JaxprTypeError(f"variable {x} is used before it is defined")
        return x.aval

    for v in jaxpr.constvars + jaxpr.invars:
        define(v)
    for i, eqn in enumerate(jaxpr.eqns):
        in_avals = [read(x) for x in eqn.invars]
        out_avals = eqn.prim.abstract_eval(*in_avals, **eqn.params)
        got = [v.aval for v in eqn.outvars]
        if [a.strip_weak() for a in out_avals] != [a.strip_weak() for a in got]:
            raise JaxprTypeError(
                f"equation {i} ({eqn.prim.name}) declares outputs {got} but its shape rule "
                f"gives {out_avals}"
            )
        for v in eqn.outvars:
            define(v)
    for x in jaxpr.outvars:
        read(x)
