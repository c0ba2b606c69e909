"""``funcdiff.random``: counter-based pseudo-random numbers, with ``jax.random``'s API.

Keys are explicit ``uint32[2]`` arrays; a sampler is a pure function of its key, so the
same key gives the same numbers on NumPy, the strict backend and CuPy, and under ``grad``,
``vmap`` and ``jit``. Split a key for each independent use::

    key = fd.random.key(0)
    key, sub = fd.random.split(key)
    w = fd.random.normal(sub, (3, 3))

Examples:
    >>> import funcdiff as fd
    >>> k1, k2 = fd.random.split(fd.random.key(0))
    >>> fd.random.uniform(k1, (2,)).shape
    (2,)
"""

from .distributions import (
    bernoulli,
    categorical,
    choice,
    exponential,
    gumbel,
    normal,
    permutation,
    randint,
    truncated_normal,
    uniform,
)
from .keys import PRNGKey, bits, clone, fold_in, key, key_data, split, wrap_key_data

__all__ = [
    "PRNGKey", "bernoulli", "bits", "categorical", "choice", "clone", "exponential", "fold_in",
    "gumbel", "key", "key_data", "normal", "permutation", "randint", "split",
    "truncated_normal", "uniform", "wrap_key_data",
]
