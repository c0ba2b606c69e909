"""Containers and glue layers: ``Sequential`` (which routes keys, mode and state to its
layers), ``Lambda`` (a function as a layer), ``Identity`` and ``Flatten``."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

from .. import random
from ._checks import as_input
from .module import Module

__all__ = ["Flatten", "Identity", "Lambda", "Sequential"]


class Lambda(Module):
    """A function as a layer: ``Lambda(fn)(x) == fn(x)``; ``fn`` is static (not a leaf).

    :class:`Sequential` wraps plain functions in it, so activations can sit between layers.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.Lambda(fd.nn.relu)
        Lambda(fn=relu)
        >>> fd.nn.Lambda(fd.nn.relu)(fd.numpy.array([-1.0, 2.0]))
        Array([0., 2.], dtype=float32)
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        if not callable(fn):
            raise TypeError(f"Lambda: fn must be callable, got {type(fn).__name__}")
        self.fn = fn

    def __call__(self, x: Any, **kwargs: Any) -> Any:
        return self.fn(x, **kwargs)


class Identity(Module):
    """Returns its input unchanged (as ``torch.nn.Identity``).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.Identity()(fd.numpy.ones(2))
        Array([1., 1.], dtype=float32)
    """

    def __call__(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Flatten axes ``start_dim`` to ``end_dim`` into one (as ``torch.nn.Flatten``; by
    default all but the batch axis).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.Flatten()(fd.numpy.ones((2, 3, 4, 5))).shape
        (2, 60)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        self.start_dim = int(start_dim)
        self.end_dim = int(end_dim)

    def __call__(self, x: Any) -> Any:
        x = as_input(x)
        nd = max(x.ndim, 1)
        start, end = self.start_dim % nd, self.end_dim % nd
        if not (-nd <= self.start_dim < nd and -nd <= self.end_dim < nd) or start > end:
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) cannot flatten "
                f"an input of shape {tuple(x.shape)}"
            )
        shape = x.shape
        middle = 1
        for d in shape[start:end + 1]:
            middle *= d
        return x.reshape((*shape[:start], middle, *shape[end + 1:]))


@functools.cache
def _accepts(call: Callable[..., Any]) -> tuple[bool, bool, bool]:
    """Whether a layer's ``__call__`` takes ``key``, ``inference``, ``training``."""
    try:
        params = inspect.signature(call).parameters
    except (TypeError, ValueError):
        return False, False, False
    return "key" in params, "inference" in params, "training" in params


def _call_of(layer: Any) -> Callable[..., Any]:
    if isinstance(layer, Lambda):
        return layer.fn
    return type(layer).__call__


def _is_stateful(layer: Any) -> bool:
    """Whether ``layer`` takes and returns state: it has ``init_state()`` (``BatchNorm``), or
    it is a ``Sequential`` holding such a layer (a nested one of stateless layers is not)."""
    if isinstance(layer, Sequential):
        return any(_is_stateful(ly) for ly in layer.layers)
    return hasattr(layer, "init_state")


class Sequential(Module):
    """Layers applied in order (as ``torch.nn.Sequential``): ``Sequential(a, b)(x) == b(a(x))``.

    Layers are modules or plain functions (wrapped in :class:`Lambda`). Keys, mode and
    state are routed explicitly:

    * ``key=``: split into one key per layer; each layer whose ``__call__`` takes ``key``
      (``Dropout``, ``MultiheadAttention``…) gets its own.
    * ``inference=``: passed to layers taking ``inference`` (``Dropout``), and as
      ``training=not inference`` to layers taking ``training`` (``BatchNorm``).
    * state: layers with an ``init_state()`` (``BatchNorm``, or a nested ``Sequential``
      holding one) are stateful. Make the state with ``seq.init_state()`` (a tuple, one
      entry per layer, None for stateless ones) and call ``y, state = seq(x, state, ...)``;
      without ``state`` the result is just ``y``.

    Examples:
        >>> import funcdiff as fd
        >>> from funcdiff import nn
        >>> k1, k2, kd = fd.random.split(fd.random.key(0), 3)
        >>> model = nn.Sequential(nn.Linear(4, 8, key=k1), nn.relu, nn.Dropout(0.1),
        ...                       nn.Linear(8, 2, key=k2))
        >>> x = fd.numpy.ones((5, 4))
        >>> model(x, key=kd).shape                   # training: dropout needs the key
        (5, 2)
        >>> model(x, inference=True).shape           # evaluation
        (5, 2)
        >>> bn_model = nn.Sequential(nn.Linear(4, 3, key=k1), nn.BatchNorm(3))
        >>> state = bn_model.init_state()
        >>> y, state = bn_model(x, state)            # training mode updates the state
        >>> model[0]
        Linear(in_features=4, out_features=8, weight=f32[8,4], bias=f32[8])
    """

    def __init__(self, *layers: Any) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not callable(layer):
                raise TypeError(
                    f"Sequential: layer {i} is a {type(layer).__name__}, not a module or a "
                    f"function")
        self.layers = tuple(ly if isinstance(ly, Module) else Lambda(ly) for ly in layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.layers)

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return Sequential(*self.layers[i])
        return self.layers[i]

    def init_state(self) -> tuple:
        """One entry per layer: its ``init_state()``, or None for stateless layers.

        Examples:
            >>> import funcdiff as fd
            >>> seq = fd.nn.Sequential(fd.nn.relu, fd.nn.BatchNorm(2))
            >>> seq.init_state()[0] is None
            True
        """
        return tuple(ly.init_state() if _is_stateful(ly) else None for ly in self.layers)

    def __call__(self, x: Any, state: tuple | None = None, *, key: Any = None,
                 inference: bool = False) -> Any:
        """Apply the layers in order; returns ``y``, or ``(y, state)`` when given a state."""
        if state is not None and len(state) != len(self.layers):
            raise ValueError(
                f"Sequential of {len(self.layers)} layers got a state of {len(state)} entries; "
                f"make it with `seq.init_state()`."
            )
        keys = None if key is None else random.split(key, max(len(self.layers), 1))
        new_state = []
        for i, layer in enumerate(self.layers):
            takes_key, takes_inference, takes_training = _accepts(_call_of(layer))
            kwargs: dict[str, Any] = {}
            if takes_key:
                kwargs["key"] = None if keys is None else keys[i]
            if takes_inference:
                kwargs["inference"] = inference
            if takes_training:
                kwargs["training"] = not inference
            if _is_stateful(layer):
                if state is None:
                    raise TypeError(
                        f"Sequential: layer {i} ({type(layer).__name__}) keeps state: make it "
                        f"with `state = seq.init_state()` and call "
                        f"`y, state = seq(x, state, ...)`."
                    )
                x, s = layer(x, state[i], **kwargs)
                new_state.append(s)
            else:
                x = layer(x, **kwargs)
                new_state.append(None if state is None else state[i])
        return x if state is None else (x, tuple(new_state))
