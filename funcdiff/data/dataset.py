"""Datasets: the ``Dataset`` protocol (``__len__``, ``__getitem__``), ``ArrayDataset``,
``Subset`` and ``random_split``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..core.array import Array
from ..core.tracing import to_host


@runtime_checkable
class DatasetProtocol(Protocol):
    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> Any: ...


class Dataset:
    """Base class for map-style datasets: define ``__len__`` and ``__getitem__``.

    Any object with those two methods works with :class:`DataLoader`; subclassing is
    optional (as in PyTorch). An item is a pytree (tuple, dict…) of arrays or numbers.

    Examples:
        >>> from funcdiff.data import Dataset
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i, i * i
        >>> Squares()[3]
        (3, 9)
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


def _host(x: Any) -> np.ndarray:
    return to_host(x) if isinstance(x, Array) else np.asarray(x)


class ArrayDataset(Dataset):
    """A dataset of arrays that share their first axis: item ``i`` is ``(a[i], b[i], …)``.

    With a single array, item ``i`` is ``a[i]`` itself. Data is kept on the host; the
    loader places batches on a device.

    Examples:
        >>> import numpy as np
        >>> from funcdiff.data import ArrayDataset
        >>> ds = ArrayDataset(np.arange(6).reshape(3, 2), np.array([0, 1, 0]))
        >>> len(ds), ds[1]
        (3, (array([2, 3]), 1))
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("ArrayDataset needs at least one array")
        self.arrays = tuple(_host(a) for a in arrays)
        n = {len(a) if a.ndim else -1 for a in self.arrays}
        if len(n) != 1 or -1 in n:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(
                f"ArrayDataset arrays must share their first axis (the sample axis); got "
                f"shapes {shapes}"
            )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> Any:
        items = tuple(_item(a[index]) for a in self.arrays)
        return items[0] if len(items) == 1 else items

    def __getitems__(self, indices: Sequence[int]) -> Any:
        """A whole batch at once (one fancy-indexing per array instead of a stack)."""
        idx = np.asarray(indices)
        items = tuple(a[idx] for a in self.arrays)
        return items[0] if len(items) == 1 else items

    def __repr__(self) -> str:
        return f"ArrayDataset({', '.join(f'{a.dtype}{list(a.shape)}' for a in self.arrays)})"


def _item(x: Any) -> Any:
    # Scalar rows (labels, usually) come out as Python numbers, as PyTorch users expect.
    if isinstance(x, np.generic) or (isinstance(x, np.ndarray) and x.ndim == 0):
        return x.item()
    return x


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset indices out of range for a dataset of {n} items")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices: Sequence[int]) -> Any:
        inner = self.indices[np.asarray(indices)]
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is not None:
            return getitems(inner)
        return [self.dataset[int(i)] for i in inner]


def random_split(dataset: Any, lengths: Sequence[float | int], key: Any) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets (sizes or fractions).

    Examples:
        >>> import numpy as np
        >>> import funcdiff as fd
        >>> from funcdiff.data import ArrayDataset, random_split
        >>> train, test = random_split(ArrayDataset(np.arange(10)), [0.8, 0.2], fd.random.key(0))
        >>> len(train), len(test)
        (8, 2)
    """
    n = len(dataset)
    if all(isinstance(x, float) for x in lengths) and abs(sum(lengths) - 1) < 1e-6:
        sizes = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
    else:
        sizes = [int(x) for x in lengths]
    if sum(sizes) != n:
        raise ValueError(
            f"random_split lengths {list(lengths)} add up to {sum(sizes)}, but the dataset "
            f"has {n} items; give sizes that sum to {n} or fractions that sum to 1"
        )
    from .sampling import permutation

    order = permutation(key, n)
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
