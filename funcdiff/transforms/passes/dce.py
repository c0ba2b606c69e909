"""Dead-code elimination: drop equations whose outputs nothing reads, and unread constants.

Equations of primitives marked ``has_effects`` stay. Inputs stay too, even when unread: the
compiled function keeps the signature of the traced one.
"""

from __future__ import annotations

from ...core.ir import Jaxpr, Var


def dce(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` without dead equations and constants.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff.core.aval import ShapedArray
        >>> from funcdiff.core.builder import JaxprBuilder
        >>> from funcdiff.core.tracing import current_interpreter, use_interpreter
        >>> b = JaxprBuilder(current_interpreter())
        >>> x = b.new_arg(ShapedArray((3,), "float32"))
        >>> with use_interpreter(b):
        ...     unused, y = fnp.sin(x), fnp.cos(x)
        >>> print(dce(b.build([y], dce=False)))
        { lambda ; a:f32[3]. let b:f32[3] = cos a in (b,) }
    """
    live = {v for v in jaxpr.outvars if isinstance(v, Var)}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        if getattr(eqn.prim, "has_effects", False) or any(v in live for v in eqn.outvars):
            kept.append(eqn)
            live.update(a for a in eqn.invars if isinstance(a, Var))
    kept.reverse()
    pairs = [(v, c) for v, c in zip(jaxpr.constvars, jaxpr.consts, strict=True) if v in live]
    return Jaxpr([v for v, _ in pairs], list(jaxpr.invars), kept, list(jaxpr.outvars),
                 [c for _, c in pairs])
