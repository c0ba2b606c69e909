"""Host-side randomness for data loading, derived from funcdiff PRNG keys.

Orders and per-sample keys come from ``fd.random`` (so they are defined by the key, the
epoch and the index alone), computed once per epoch in one vectorized call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.tracing import to_host


def permutation(key: Any, n: int) -> np.ndarray:
    """A permutation of ``range(n)`` determined by ``key``, as a host array."""
    from .. import random

    return to_host(random.permutation(key, n)).astype(np.int64)


def epoch_key(key: Any, epoch: int) -> Any:
    from .. import random

    return random.fold_in(key, epoch)


def sample_keys(key: Any, indices: np.ndarray) -> np.ndarray:
    """One key per sample index, ``fold_in(key, index)`` for all of them at once."""
    from .. import random
    from ..transforms.vmap import vmap

    if len(indices) == 0:
        return np.zeros((0, 2), np.uint32)
    keys = vmap(random.fold_in, in_axes=(None, 0))(key, np.asarray(indices, np.uint32))
    return to_host(keys)


def host_rng(key: Any) -> np.random.Generator:
    """A NumPy generator seeded by a key's bits: reproducible host-side augmentation."""
    return np.random.default_rng(np.asarray(to_host(key) if not isinstance(key, np.ndarray)
                                            else key, dtype=np.uint32).ravel().tolist())
