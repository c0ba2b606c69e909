"""Combining transformations: ``chain`` (one after another), ``named_chain`` and ``masked``
(apply a transformation to part of the parameters only)."""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any, NamedTuple

from .. import tree
from .base import GradientTransformation, Params, Updates


def chain(*args: GradientTransformation) -> GradientTransformation:
    """Apply transformations one after another; the state is the tuple of their states.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> opt = fd.optim.chain(fd.optim.clip(1.0), fd.optim.scale(-0.1))
        >>> opt.update(fnp.array([5.0, -0.5]), opt.init(fnp.zeros(2)))[0]
        Array([-0.1 ,  0.05], dtype=float32)
    """
    for i, t in enumerate(args):
        if not isinstance(t, GradientTransformation):
            raise TypeError(
                f"chain: argument {i} is a {type(t).__name__}, not a GradientTransformation; "
                "pass transformations such as fd.optim.scale(-0.1), not their results"
            )

    def init_fn(params: Params) -> tuple:
        return tuple(t.init(params) for t in args)

    def update_fn(updates: Updates, state: tuple, params: Params | None = None):
        if not isinstance(state, tuple) or len(state) != len(args):
            got = len(state) if isinstance(state, tuple) else type(state).__name__
            raise ValueError(
                f"chain of {len(args)} transformations got a state of {got} parts; make the "
                "state with this optimizer's init(params)"
            )
        new_state = []
        for s, t in zip(state, args, strict=True):
            updates, s = t.update(updates, s, params)
            new_state.append(s)
        return updates, tuple(new_state)

    return GradientTransformation(init_fn, update_fn)


def named_chain(*args: tuple[str, GradientTransformation]) -> GradientTransformation:
    """Like :func:`chain`, with the states in an ordered dict under the given names.

    Examples:
        >>> import funcdiff as fd
        >>> opt = fd.optim.named_chain(("clip", fd.optim.clip(1.0)), ("sgd", fd.optim.sgd(0.1)))
        >>> list(opt.init({"w": 1.0}))
        ['clip', 'sgd']
    """
    names = [n for n, _ in args]
    if len(set(names)) != len(names):
        raise ValueError(f"named_chain needs unique names, got {names}")

    def init_fn(params: Params) -> collections.OrderedDict:
        return collections.OrderedDict((n, t.init(params)) for n, t in args)

    def update_fn(updates: Updates, state: Any, params: Params | None = None):
        new_state = collections.OrderedDict()
        for n, t in args:
            updates, new_state[n] = t.update(updates, state[n], params)
        return updates, new_state

    return GradientTransformation(init_fn, update_fn)


class MaskedState(NamedTuple):
    """State of :func:`masked`: the inner transformation's state, for the masked-in part."""

    inner_state: Any


class MaskedNode(NamedTuple):
    """Stands in for a masked-out subtree: a pytree node without leaves."""


def _is_mask_fn(mask: Any) -> bool:
    flags = tree.leaves(tree.map(callable, mask))
    return len(flags) > 0 and all(flags)


def _mask_tree(name: str, pytree: Any, mask_tree: Any) -> Any:
    try:
        return tree.map(lambda m, p: p if m else MaskedNode(), mask_tree, pytree)
    except ValueError as e:
        raise ValueError(
            f"{name}: the mask must have the structure of the params (or a prefix of it), "
            f"with a bool at each leaf. {e}"
        ) from None


def masked(inner: GradientTransformation, mask: Any | Callable[[Params], Any]
           ) -> GradientTransformation:
    """Apply ``inner`` only where ``mask`` is ``True``; other updates pass through unchanged.

    Args:
        inner: the transformation to mask.
        mask: a pytree of bools with the params' structure (or a prefix of it), or a function
            of the params (or updates) returning one. ``inner`` keeps state only for the
            masked-in leaves.

    Returns:
        The masked transformation; its state is :class:`MaskedState`.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> params = {"w": fnp.ones(2), "b": fnp.ones(1)}
        >>> decay = fd.optim.masked(fd.optim.add_decayed_weights(0.5), lambda p: {"w": True,
        ...                                                                        "b": False})
        >>> grads = {"w": fnp.zeros(2), "b": fnp.zeros(1)}
        >>> decay.update(grads, decay.init(params), params)[0]
        {'b': Array([0.], dtype=float32), 'w': Array([0.5, 0.5], dtype=float32)}
    """

    def mask_of(tree_: Any) -> Any:
        return mask(tree_) if _is_mask_fn(mask) else mask

    def init_fn(params: Params) -> MaskedState:
        return MaskedState(inner.init(_mask_tree("masked", params, mask_of(params))))

    def update_fn(updates: Updates, state: MaskedState, params: Params | None = None):
        m = mask_of(updates)
        masked_updates = _mask_tree("masked", updates, m)
        masked_params = None if params is None else _mask_tree("masked", params, m)
        new, inner_state = inner.update(masked_updates, state.inner_state, masked_params)
        out = tree.map(lambda keep, n, old: n if keep else old, m, new, updates)
        return out, MaskedState(inner_state)

    return GradientTransformation(init_fn, update_fn)
