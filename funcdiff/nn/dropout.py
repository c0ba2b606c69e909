"""``Dropout``: randomness and mode are explicit arguments — a key in training, or
``inference=True``."""

from __future__ import annotations

from typing import Any

from .. import numpy as fnp
from .. import random
from ._checks import as_input
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (as
    ``torch.nn.Dropout``), so the expected value is unchanged.

    The mode is an argument, not a hidden flag: ``dropout(x, key=key)`` in training
    (a fresh key per step, e.g. ``fd.random.fold_in(key, step)``), ``dropout(x,
    inference=True)`` at evaluation (the identity). No key outside inference mode is an
    error rather than a silent no-op.

    Args:
        p: the probability of zeroing an element, in ``[0, 1]``.

    Raises:
        ValueError: for ``p`` outside ``[0, 1]``.

    Examples:
        >>> import funcdiff as fd
        >>> drop = fd.nn.Dropout(0.5)
        >>> drop(fd.numpy.ones(6), key=fd.random.key(0))
        Array([0., 0., 2., 2., 0., 2.], dtype=float32)
        >>> drop(fd.numpy.ones(2), inference=True)
        Array([1., 1.], dtype=float32)
        >>> drop(fd.numpy.ones(2))
        Traceback (most recent call last):
        ...
        ValueError: Dropout(p=0.5) needs a PRNG key in training mode: ...
    """

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p}")
        self.p = float(p)

    def __call__(self, x: Any, *, key: Any = None, inference: bool = False) -> Any:
        """Apply dropout to ``x`` (``key`` needed unless ``inference`` or ``p == 0``)."""
        x = as_input(x)
        if inference or self.p == 0.0:
            return x
        if key is None:
            raise ValueError(
                f"Dropout(p={self.p}) needs a PRNG key in training mode: call it as "
                f"`dropout(x, key=key)` with a fresh key per step (e.g. "
                f"fd.random.fold_in(key, step)), or pass `inference=True` to evaluate."
            )
        if self.p == 1.0:
            return fnp.zeros_like(x)
        keep = random.bernoulli(key, 1.0 - self.p, x.shape)
        return fnp.where(keep, x / (1.0 - self.p), fnp.zeros_like(x))
