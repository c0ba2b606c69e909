"""``lax.map``: a function applied to each slice of an array, as a ``scan`` without carry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import tree
from ...core.tracing import get_aval
from .loops import scan


def map(f: Callable[[Any], Any], xs: Any, *, batch_size: int | None = None) -> Any:  # noqa: A001
    """``f`` applied to each slice of ``xs`` along its leading axis, results stacked (as
    ``jax.lax.map``).

    One ``scan`` runs ``f`` once per slice, so memory stays that of one slice (``vmap``
    would run all slices at once). With ``batch_size``, ``f`` is vectorized over groups of
    that many slices, and the scan runs over the groups.

    Args:
        f: a function of one slice (a pytree of arrays) returning a pytree of arrays.
        xs: a pytree of arrays sharing their leading axis.
        batch_size: slices per vectorized group (``None``: one at a time).

    Returns:
        The stacked results, a pytree of arrays with the leading axis of ``xs``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> lax.map(lambda x: x @ x, fnp.arange(6.0).reshape(3, 2))
        Array([ 1., 13., 41.], dtype=float32)
        >>> lax.map(lambda x: x * 2, fnp.arange(5.0), batch_size=2)
        Array([0., 2., 4., 6., 8.], dtype=float32)
    """
    if batch_size is None:
        return scan(lambda _, x: (None, f(x)), None, xs)[1]
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"lax.map: batch_size must be a positive int, got {batch_size!r}")
    from ...transforms.vmap import vmap

    leaves = tree.leaves(xs)
    if not leaves:
        raise ValueError("lax.map needs xs with at least one array to map over")
    n = get_aval(leaves[0]).shape[0]
    groups, rest = divmod(n, batch_size)
    fv = vmap(f)

    def split(x: Any) -> Any:
        return x[: groups * batch_size].reshape((groups, batch_size, *x.shape[1:]))

    ys = scan(lambda _, x: (None, fv(x)), None, tree.map(split, xs))[1]
    ys = tree.map(lambda y: y.reshape((groups * batch_size, *y.shape[2:])), ys)
    if not rest:
        return ys
    from ...numpy import concatenate

    tail = fv(tree.map(lambda x: x[groups * batch_size:], xs))
    return tree.map(lambda a, b: concatenate([a, b]), ys, tail)
