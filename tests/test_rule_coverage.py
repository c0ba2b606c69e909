"""Every primitive has every rule, and a row in the op table.

Walks each ``Primitive`` reachable from ``funcdiff.lax`` and its submodules and fails,
naming the primitive and what it lacks, when one has no implementation, no shape rule, no
JVP rule (nor is declared non-differentiable), no batching rule (unless it takes no array
inputs, like ``iota``) or no op-table row naming it in ``prims``. Linear primitives need a
transpose rule: every primitive that a JVP rule applies to tangents is one, so the tangent
paths of the op table's rows are traced and each primitive met there must transpose.
Rows are checked the other way too: each primitive a row names must be one its function
binds.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import numpy as np
import pytest
from op_table import all_rows, put, sample

import funcdiff as fd
import funcdiff.lax
from funcdiff.core.ir import Jaxpr, Var
from funcdiff.core.primitive import Primitive
from funcdiff.core.tracing import Interpreter, current_interpreter, use_interpreter
from funcdiff.transforms import ad_rules
from funcdiff.transforms.batching_rules import batch_rules

# Primitives owned by work still in progress, mapped to what each may lack for now (the
# start of a message of `missing`, e.g. {"an op-table row"}). Keep it short, and delete an
# entry as soon as its owner lands the rule or the rows.
ALLOWLIST: dict[str, set[str]] = {}


def lax_primitives() -> dict[str, Primitive]:
    """Every Primitive object bound to a name in funcdiff.lax or any of its submodules."""
    found: dict[int, tuple[str, Primitive]] = {}
    mods = [funcdiff.lax] + [importlib.import_module(m.name) for m in pkgutil.walk_packages(
        funcdiff.lax.__path__, "funcdiff.lax.")]
    for mod in mods:
        for attr, v in vars(mod).items():
            if isinstance(v, Primitive):
                found.setdefault(id(v), (f"{mod.__name__}.{attr}", v))
    return {where: p for where, p in found.values()}


PRIMS = lax_primitives()
ROWS = all_rows()


def takes_arrays(p: Primitive) -> bool:
    """Whether the shape rule has positional (array) parameters: ``iota`` has none."""
    rule = p._abstract_eval
    if rule is None:
        return True
    try:
        params = inspect.signature(rule).parameters.values()
    except (TypeError, ValueError):
        return True
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
             inspect.Parameter.VAR_POSITIONAL)
    return any(q.kind in kinds for q in params)


def missing(p: Primitive, row_prims: set[str]) -> list[str]:
    lacks = []
    if p.impl is None:
        lacks.append("an implementation (def_impl)")
    if p._abstract_eval is None:
        lacks.append("a shape rule (def_abstract_eval)")
    if p not in ad_rules.jvp_rules and p not in ad_rules.nondiff:
        lacks.append("a JVP rule (ad_rules.jvp_rules; or defnondiff if it has no derivative)")
    if p not in batch_rules and takes_arrays(p):
        lacks.append("a batching rule (batching_rules.batch_rules)")
    if p.name not in row_prims:
        lacks.append("an op-table row naming it in `prims` (tests/op_rows_*.py)")
    return lacks


def test_primitives_were_found():
    names = {p.name for p in PRIMS.values()}
    assert {"sin", "add", "dot_general", "gather", "scatter", "iota", "sort"} <= names


@pytest.mark.parametrize("where", sorted(PRIMS), ids=lambda w: w.rsplit(".", 1)[1])
def test_primitive_has_every_rule_and_a_row(where: str):
    p = PRIMS[where]
    row_prims = {name for r in ROWS for name in r.prims}
    lacks = missing(p, row_prims)
    allowed = ALLOWLIST.get(p.name, set())
    lacks = [m for m in lacks if not any(m.startswith(a) for a in allowed)]
    assert not lacks, f"primitive {p.name!r} ({where}) lacks " + "; ".join(lacks)


def test_allowlist_names_real_primitives():
    names = {p.name for p in PRIMS.values()}
    stale = sorted(set(ALLOWLIST) - names)
    assert not stale, f"ALLOWLIST names primitives that no longer exist: {stale}"


# --- the rows' side --------------------------------------------------------------------------


class _Recorder(Interpreter):
    """Notes the name of every primitive bound, and evaluates it in the parent."""

    def __init__(self, parent: Interpreter) -> None:
        self.parent = parent
        self.seen: set[str] = set()

    def process(self, prim: Primitive, args: Any, params: dict) -> list:
        self.seen.add(prim.name)
        for v in params.values():  # sub-jaxprs (cond, scan…) count too
            if isinstance(v, Jaxpr):
                self.seen |= _prims_in(v)
        return self.parent.process(prim, args, params)


def _prims_in(jaxpr: Jaxpr) -> set[str]:
    out = set()
    for eqn in jaxpr.eqns:
        out.add(eqn.prim.name)
        for v in eqn.params.values():
            if isinstance(v, Jaxpr):
                out |= _prims_in(v)
    return out


def _sample_args(row) -> list:
    rng = np.random.default_rng(0)
    return [put(sample(a, rng)) for a in row.args]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_row_binds_the_primitives_it_names(row):
    names = {p.name for p in PRIMS.values()}
    unknown = [n for n in row.prims if n not in names]
    assert not unknown, f"row {row.name!r} names {unknown}, which are not lax primitives"
    # Under x64, so that conversions to and from 64-bit types are not elided.
    with fd.config.override(enable_x64=True):
        rec = _Recorder(current_interpreter())
        args = _sample_args(row)
        with use_interpreter(rec):
            row.fn(*args, **row.static)
    absent = [n for n in row.prims if n not in rec.seen]
    assert not absent, (
        f"row {row.name!r} names {absent} in `prims`, but its function binds only "
        f"{sorted(rec.seen)}")


def _tangent_prims(row) -> set:
    """Primitives applied to values that depend on the tangents in the row's JVP."""
    rng = np.random.default_rng(0)
    with fd.config.override(enable_x64=True):
        args = [sample(a, rng, "float64" if np.dtype(a.dtype).kind == "f" else None)
                for a in row.args]
        pos = [i for i, a in enumerate(row.args) if a.diff and args[i].dtype.kind == "f"]
        full = [put(a) for a in args]

        def f(*xs):
            vals = list(full)
            for i, x in zip(pos, xs, strict=True):
                vals[i] = x
            return row.fn(*vals, **row.static)

        def jvp(xs, ts):
            return fd.jvp(f, tuple(xs), tuple(ts))[1]

        xs = [full[i] for i in pos]
        jaxpr = fd.make_jaxpr(jvp)(xs, xs)
    tangent_vars = set(jaxpr.invars[len(xs):])
    prims = set()
    for eqn in jaxpr.eqns:
        if any(isinstance(v, Var) and v in tangent_vars for v in eqn.invars):
            tangent_vars.update(eqn.outvars)
            prims.add(eqn.prim)
    return prims


@pytest.mark.parametrize("row", [r for r in ROWS if r.grad], ids=str)
def test_primitives_on_tangent_paths_transpose(row):
    lacking = sorted(p.name for p in _tangent_prims(row)
                     if p not in ad_rules.transpose_rules and p not in ad_rules.nondiff)
    assert not lacking, (
        f"row {row.name!r}: the JVP applies {lacking} to tangents, so reverse mode must "
        "transpose them, but they have no transpose rule (ad_rules.transpose_rules)")
