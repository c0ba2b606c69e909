"""The optimizer interface: :class:`GradientTransformation`, empty states, ``identity``, and
the helpers every transformation shares (state checks, a saturating step counter).

An optimizer is a pair of pure functions, as in optax: ``init(params) -> state`` and
``update(updates, state, params=None) -> (updates, state)``. States are NamedTuples of arrays,
so they are pytrees: they pass through ``grad``, ``vmap``, ``jit`` and ``fd.save``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import numpy as np

from .. import numpy as fnp
from .. import tree
from ..core.array import Array
from ..core.tracing import get_aval

Params = Any  # a pytree of arrays
Updates = Any  # a pytree shaped like the params
OptState = Any  # a pytree of arrays (NamedTuples, tuples)
Schedule = Callable[[Any], Any]  # step count -> value
ScalarOrSchedule = float | Array | Schedule

NO_PARAMS_MSG = (
    "this transformation needs the current parameters: call update(updates, state, params)"
)


class TransformInitFn(Protocol):
    def __call__(self, params: Params) -> OptState: ...


class TransformUpdateFn(Protocol):
    def __call__(self, updates: Updates, state: OptState,
                 params: Params | None = None) -> tuple[Updates, OptState]: ...


class GradientTransformation(NamedTuple):
    """An optimizer, or a piece of one: two pure functions, ``init`` and ``update``.

    ``init(params)`` makes the state; ``update(updates, state, params=None)`` turns
    gradients into updates and returns them with the next state. Apply the updates with
    :func:`funcdiff.optim.apply_updates`.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> opt = fd.optim.sgd(0.1)
        >>> params = {"w": fnp.array([1.0, 2.0])}
        >>> state = opt.init(params)
        >>> grads = fd.grad(lambda p: (p["w"] ** 2).sum())(params)
        >>> updates, state = opt.update(grads, state, params)
        >>> fd.optim.apply_updates(params, updates)
        {'w': Array([0.8, 1.6], dtype=float32)}
    """

    init: TransformInitFn
    update: TransformUpdateFn


class EmptyState(NamedTuple):
    """The state of a transformation that keeps none."""


def init_empty_state(params: Params) -> EmptyState:
    """``init`` of a stateless transformation.

    Examples:
        >>> init_empty_state({"w": 1.0})
        EmptyState()
    """
    del params
    return EmptyState()


def identity() -> GradientTransformation:
    """Passes updates through unchanged.

    Examples:
        >>> import funcdiff as fd
        >>> fd.optim.identity().update([1.0], fd.optim.EmptyState())
        ([1.0], EmptyState())
    """

    def update_fn(updates: Updates, state: OptState, params: Params | None = None):
        del params
        return updates, state

    return GradientTransformation(init_empty_state, update_fn)


def set_to_zero() -> GradientTransformation:
    """Replaces every update by zeros (freezes parameters, e.g. inside ``masked``).

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.optim.set_to_zero().update(fnp.ones(2), fd.optim.EmptyState())[0]
        Array([0., 0.], dtype=float32)
    """

    def update_fn(updates: Updates, state: OptState, params: Params | None = None):
        del params
        return tree.map(fnp.zeros_like, updates), state

    return GradientTransformation(init_empty_state, update_fn)


def stateless(f: Callable[[Updates, Params | None], Updates]) -> GradientTransformation:
    """A transformation from a function of ``(updates, params)``, keeping no state.

    Examples:
        >>> import funcdiff as fd
        >>> neg = fd.optim.stateless(lambda u, p: fd.tree.map(lambda x: -x, u))
        >>> neg.update([1.0, 2.0], neg.init(None))[0]
        [-1.0, -2.0]
    """

    def update_fn(updates: Updates, state: OptState, params: Params | None = None):
        del state
        return f(updates, params), EmptyState()

    return GradientTransformation(init_empty_state, update_fn)


# --- shared helpers ---------------------------------------------------------------------------


def zero_count() -> Array:
    """A fresh int32 step counter (what optax keeps in ``count`` fields)."""
    return fnp.zeros((), fnp.int32)


def safe_increment(count: Any) -> Any:
    """``count + 1``, saturating at the dtype's maximum instead of wrapping.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> safe_increment(fnp.array(2147483647, dtype=fnp.int32))
        Array(2147483647, dtype=int32)
    """
    count = fnp.asarray(count)
    top = np.iinfo(count.dtype).max
    return fnp.where(count < top, count + 1, fnp.full_like(count, top))


def check_state(name: str, updates: Updates, state_tree: Any, field: str) -> None:
    """Raise a ``ValueError`` naming the first leaf where ``state_tree`` differs from
    ``updates`` in structure or shape (a state made by ``init`` for other params)."""
    ups, up_def = tree.flatten_with_path(updates)
    sts, st_def = tree.flatten_with_path(state_tree)
    fix = "; call init(params) again with the parameters being optimized"
    if up_def != st_def:
        up_paths = [tree.keystr(p) for p, _ in ups]
        st_paths = [tree.keystr(p) for p, _ in sts]
        extra_u = [p for p in up_paths if p not in st_paths]
        extra_s = [p for p in st_paths if p not in up_paths]
        if extra_u:
            where = f"the updates have a leaf at {extra_u[0] or 'the root'} that the state lacks"
        elif extra_s:
            where = f"the state has a leaf at {extra_s[0] or 'the root'} that the updates lack"
        else:
            where = f"structures differ: updates {up_def}, state {st_def}"
        raise ValueError(f"{name}: the optimizer state ({field}) does not match the updates: "
                         f"{where}{fix}")
    for (path, u), (_, s) in zip(ups, sts, strict=True):
        ushape, sshape = _shape(u), _shape(s)
        if ushape != sshape:
            raise ValueError(
                f"{name}: the optimizer state ({field}) does not match the updates at "
                f"{tree.keystr(path) or 'the root'}: the state has shape {sshape}, the update "
                f"{ushape}{fix}"
            )


def _shape(x: Any) -> tuple[int, ...]:
    if isinstance(x, Array):
        return x.shape
    return tuple(np.shape(x)) if not isinstance(x, (int, float, bool)) else get_aval(x).shape


def map_checked(name: str, field: str, f: Callable[..., Any], updates: Updates,
                *state_trees: Any) -> Any:
    """``tree.map(f, updates, *state_trees)`` after checking each state tree matches."""
    for st in state_trees:
        check_state(name, updates, st, field)
    return tree.map(f, updates, *state_trees)
