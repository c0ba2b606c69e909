"""Clipping updates: elementwise (``clip``) and by their global norm
(``clip_by_global_norm``)."""

from __future__ import annotations

from .. import numpy as fnp
from .. import tree
from .base import GradientTransformation, OptState, Params, Updates, init_empty_state
from .update import global_norm


def clip(max_delta: float) -> GradientTransformation:
    """Clip every update to ``[-max_delta, max_delta]``.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.optim.clip(1.0).update(fnp.array([-3.0, 0.5, 2.0]), fd.optim.EmptyState())[0]
        Array([-1. ,  0.5,  1. ], dtype=float32)
    """

    def update_fn(updates: Updates, state: OptState, params: Params | None = None):
        del params
        return tree.map(lambda g: fnp.clip(g, -max_delta, max_delta), updates), state

    return GradientTransformation(init_empty_state, update_fn)


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Scale all updates down together so that their global norm is at most ``max_norm``.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> t = fd.optim.clip_by_global_norm(1.0)
        >>> t.update([fnp.array([3.0]), fnp.array([4.0])], t.init(None))[0]
        [Array([0.6], dtype=float32), Array([0.8], dtype=float32)]
    """

    def update_fn(updates: Updates, state: OptState, params: Params | None = None):
        del params
        g_norm = global_norm(updates)
        keep = g_norm < max_norm

        def clip_leaf(t):
            return fnp.where(keep, t, (t / g_norm.astype(t.dtype)) * max_norm)

        return tree.map(clip_leaf, updates), state

    return GradientTransformation(init_empty_state, update_fn)
