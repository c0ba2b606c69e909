"""``Embedding``: a lookup table of vectors indexed by integers (as ``torch.nn.Embedding``)."""

from __future__ import annotations

from typing import Any

from .. import lax, random
from .. import numpy as fnp
from ._checks import as_input, param_dtype, positive_int, split_key
from .module import Module

__all__ = ["Embedding"]


class Embedding(Module):
    """Row ``i`` of ``weight`` for each integer ``i`` of the input.

    ``weight`` has shape ``(num_embeddings, embedding_dim)`` and starts ``N(0, 1)``, as in
    PyTorch; with ``padding_idx`` that row starts at zero and gets no gradient. Indices
    outside ``[0, num_embeddings)`` give NaN rows (JAX's gather semantics; PyTorch raises).

    Args:
        num_embeddings: the table's size.
        embedding_dim: each vector's length.
        padding_idx: an optional row (negative counts from the end) kept at zero.
        key: the PRNG key for initialization (keyword-only).
        dtype: the table's float dtype.

    Input: integers of any shape ``(*)``; output ``(*, embedding_dim)``.

    Raises:
        TypeError: for non-integer indices.
        ValueError: for ``padding_idx`` out of range.

    Examples:
        >>> import funcdiff as fd
        >>> emb = fd.nn.Embedding(10, 3, key=fd.random.key(0))
        >>> emb
        Embedding(num_embeddings=10, embedding_dim=3, padding_idx=None, weight=f32[10,3])
        >>> emb(fd.numpy.array([[1, 2], [3, 4]])).shape
        (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 *, key: Any, dtype: Any = None) -> None:
        self.num_embeddings = positive_int("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = positive_int("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must be within [-{self.num_embeddings}, "
                    f"{self.num_embeddings}), got {padding_idx}"
                )
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        (wkey,) = split_key("Embedding", key, 1)
        dt = param_dtype(dtype, "Embedding")
        weight = random.normal(wkey, (self.num_embeddings, self.embedding_dim), dt)
        if padding_idx is not None:
            weight = weight.at[padding_idx].set(0)
        self.weight = weight

    def __call__(self, indices: Any) -> Any:
        """The embeddings of ``indices`` (an integer array of any shape)."""
        indices = as_input(indices)
        if not fnp.issubdtype(indices.dtype, fnp.integer):
            raise TypeError(
                f"Embedding(num_embeddings={self.num_embeddings}, embedding_dim="
                f"{self.embedding_dim}) expected integer indices, got dtype {indices.dtype}; "
                f"convert them with `.astype(fnp.int32)`"
            )
        weight = self.weight
        if self.padding_idx is not None:  # the padding row gets no gradient, as in PyTorch
            row = lax.stop_gradient(weight[self.padding_idx])
            weight = weight.at[self.padding_idx].set(row)
        return fnp.take(weight, indices, axis=0)
