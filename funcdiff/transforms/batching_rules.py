"""The batching rule table for ``vmap`` and the helpers primitives use to fill it.

``batch_rules[p](args, dims, **params) -> (outs, out_dims)``: ``dims[i]`` is the axis of
``args[i]`` that carries the batch, or ``None`` when that argument is not batched. A rule
must express the batched operation as one call of a primitive (a vmapped matmul is one
batched ``dot_general``), never as a loop over the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core.primitive import Primitive

batch_rules: dict[Primitive, Callable[..., Any]] = {}


def moveaxis(x: Any, src: int, dst: int) -> Any:
    from .. import lax

    if src == dst:
        return x
    perm = [i for i in range(x.ndim) if i != src]
    perm.insert(dst, src)
    return lax.transpose(x, tuple(perm))


def bdim_to_front(x: Any, d: int | None, size: int) -> Any:
    """``x`` with its batch axis first; an unbatched ``x`` is broadcast along a new one."""
    from .. import lax

    if d is None:
        return lax.broadcast_in_dim(x, (size, *x.shape), tuple(range(1, x.ndim + 1)))
    return moveaxis(x, d, 0)


def batch_size(args: Sequence[Any], dims: Sequence[int | None]) -> int:
    return next(x.shape[d] for x, d in zip(args, dims, strict=True) if d is not None)


def defvectorized(prim: Primitive) -> None:
    """Unary elementwise ``prim``: the batch axis passes through where it is."""

    def rule(args: Sequence[Any], dims: Sequence[int | None], **params: Any):
        (x,), (d,) = args, dims
        return [prim.bind(x, **params)], [d]

    batch_rules[prim] = rule


def defbroadcasting(prim: Primitive) -> None:
    """Elementwise ``prim`` with NumPy broadcasting: batch axes go first, ranks align."""

    def rule(args: Sequence[Any], dims: Sequence[int | None], **params: Any):
        from .. import lax

        ranks = [getattr(x, "ndim", 0) - (d is not None) for x, d in zip(args, dims, strict=True)]
        rank = max(ranks)
        moved = []
        for x, d, r in zip(args, dims, ranks, strict=True):
            if d is None:
                moved.append(x)
                continue
            x = moveaxis(x, d, 0)
            if r < rank:
                x = lax.reshape(x, (x.shape[0],) + (1,) * (rank - r) + x.shape[1:])
            moved.append(x)
        out = prim.bind(*moved, **params)
        outs = out if prim.multiple_results else [out]
        return outs, [0] * len(outs)

    batch_rules[prim] = rule
