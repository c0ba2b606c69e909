"""Applying updates and measuring them: ``apply_updates`` and ``global_norm``."""

from __future__ import annotations

from typing import Any

from .. import numpy as fnp
from .. import tree
from .base import Params, Updates, check_state


def apply_updates(params: Params, updates: Updates) -> Params:
    """``params + updates`` leaf by leaf, each result keeping its parameter's dtype.

    Raises:
        ValueError: if the updates' structure or shapes differ from the params', naming the
            first leaf that differs.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.optim.apply_updates({"w": fnp.ones(2)}, {"w": fnp.array([0.5, -1.0])})
        {'w': Array([1.5, 0. ], dtype=float32)}
    """
    check_state("apply_updates", updates, params, "params")

    def add(p: Any, u: Any) -> Any:
        p = fnp.asarray(p)
        return fnp.asarray(p + u).astype(p.dtype)

    return tree.map(add, params, updates)


def global_norm(updates: Updates) -> Any:
    """The L2 norm of all the leaves of ``updates`` taken together.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.optim.global_norm({"a": fnp.array([3.0]), "b": fnp.array([[4.0]])})
        Array(5., dtype=float32)
    """
    sums = [fnp.sum(fnp.square(fnp.asarray(x))) for x in tree.leaves(updates)]
    total = sums[0] if sums else fnp.asarray(0.0)
    for s in sums[1:]:
        total = total + s
    return fnp.sqrt(total)
