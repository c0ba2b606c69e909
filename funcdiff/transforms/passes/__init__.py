"""The optimization passes ``jit`` runs over a traced jaxpr, one small module each.

Every pass takes a :class:`~funcdiff.core.ir.Jaxpr` and returns a new one computing the same
outputs (the input is never changed). :func:`optimize` runs the pipeline and records what
each pass did, which ``jit(f).lower(...)`` shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ...core.ir import Jaxpr
from .cse import cse
from .dce import dce
from .dot_transpose import fold_dot_transposes
from .einsum import reorder_contractions
from .fold import fold_constants
from .inline import inline_calls
from .scale import sink_scalars
from .simplify import simplify

# (name, pass); simplification runs again after folding and after the dot rewrites, since
# each can expose work for the others.
PIPELINE: tuple[tuple[str, Callable[[Jaxpr], Jaxpr]], ...] = (
    ("inline", inline_calls),
    ("dce", dce),
    ("simplify", simplify),
    ("fold", fold_constants),
    ("simplify", simplify),
    ("cse", cse),
    ("dot_transpose", fold_dot_transposes),
    ("einsum", reorder_contractions),
    ("scale", sink_scalars),
    ("simplify", simplify),
    ("cse", cse),
    ("dce", dce),
)


class PassRecord(NamedTuple):
    """One pass's effect: its name and the equation counts before and after."""

    name: str
    eqns_before: int
    eqns_after: int


def optimize(jaxpr: Jaxpr, pipeline=PIPELINE) -> tuple[Jaxpr, list[PassRecord]]:
    """Run ``pipeline`` over ``jaxpr``; returns the result and a record of each pass.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> jaxpr = fd.make_jaxpr(lambda x: fnp.sin(x) * 1.0 + fnp.sin(x))(fnp.ones(3))
        >>> opt, log = optimize(jaxpr)
        >>> print(opt)
        { lambda ; a:f32[3]. let
            b:f32[3] = sin a
            c:f32[3] = add b b
          in (c,) }
        >>> [r.name for r in log if r.eqns_after < r.eqns_before]
        ['simplify', 'cse']
    """
    log = []
    for name, fn in pipeline:
        before = len(jaxpr.eqns)
        jaxpr = fn(jaxpr)
        log.append(PassRecord(name, before, len(jaxpr.eqns)))
    return jaxpr, log


__all__ = [
    "PIPELINE", "PassRecord", "cse", "dce", "fold_constants", "fold_dot_transposes",
    "inline_calls", "optimize", "reorder_contractions", "simplify", "sink_scalars",
]
