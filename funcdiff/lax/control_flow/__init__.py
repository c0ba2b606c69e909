"""Control flow as primitives holding sub-programs: ``cond``, ``switch``, ``scan``,
``while_loop`` and ``fori_loop``, differentiable and batchable (as in ``jax.lax``).

Each branch or loop body is traced once on abstract values into a jaxpr kept in the
primitive's params; ``fd.make_jaxpr`` prints them nested. See ``docs/vmap.md`` for how they
behave under ``vmap`` and ``grad``.
"""

from .conditionals import batched_cond_p, cond, cond_p, switch
from .loops import scan, scan_p
from .mapping import map
from .while_loops import WhileLoopReverseModeError, fori_loop, while_loop, while_p

__all__ = [
    "WhileLoopReverseModeError", "batched_cond_p", "cond", "cond_p", "fori_loop", "map", "scan",
    "scan_p", "switch", "while_loop", "while_p",
]
