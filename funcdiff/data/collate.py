"""Collating samples into batches: a pytree of stacked arrays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import tree
from ..core.array import Array
from ..core.tracing import to_host


class BatchError(ValueError):
    """Samples of a batch do not fit together (structure or shapes differ)."""


def _leaf(x: Any, index: int) -> np.ndarray:
    if isinstance(x, Array):
        return to_host(x)
    if isinstance(x, (np.ndarray, np.generic, bool, int, float)):
        return np.asarray(x)
    raise TypeError(
        f"sample {index} holds a {type(x).__name__}; dataset items must be pytrees (tuples, "
        "dicts, lists) of arrays or numbers"
    )


def default_collate(samples: Sequence[Any], indices: Sequence[int] | None = None) -> Any:
    """Stack a list of samples (pytrees of arrays or numbers) into one pytree of host arrays.

    Args:
        samples: the items of one batch.
        indices: their dataset indices, used to name the culprit in errors.

    Raises:
        BatchError: if the samples differ in structure or in the shape of a leaf.

    Examples:
        >>> import numpy as np
        >>> from funcdiff.data import default_collate
        >>> xs, ys = default_collate([(np.zeros(2), 1), (np.ones(2), 0)])
        >>> xs.shape, ys.tolist()
        ((2, 2), [1, 0])
    """
    indices = list(range(len(samples))) if indices is None else list(indices)
    if not samples:
        raise BatchError("cannot collate an empty batch")
    flat0, treedef = tree.flatten(samples[0])
    columns: list[list[np.ndarray]] = [[_leaf(x, indices[0])] for x in flat0]
    for s, i in zip(samples[1:], indices[1:]):
        flat, td = tree.flatten(s)
        if td != treedef:
            raise BatchError(
                f"sample {i} has structure {td}, but sample {indices[0]} has {treedef}; "
                "every item of a dataset must have one structure"
            )
        for col, x in zip(columns, flat):
            col.append(_leaf(x, i))
    out = []
    for k, col in enumerate(columns):
        shapes = {c.shape for c in col}
        if len(shapes) > 1:
            first = col[0].shape
            bad = next(i for i, c in zip(indices, col) if c.shape != first)
            raise BatchError(
                f"leaf {k} of sample {bad} has shape {col[indices.index(bad)].shape}, but "
                f"sample {indices[0]} has {first}; pad or resize samples to one shape, or "
                "pass collate_fn="
            )
        out.append(np.stack(col))
    return tree.unflatten(treedef, out)
