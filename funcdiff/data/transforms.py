"""Per-sample transforms and augmentations for :class:`DataLoader`.

Transforms run on the host in NumPy (data loading never occupies the accelerator).
Random ones take ``key=`` — the per-sample key the loader derives from its key, the epoch
and the index — so augmentation is reproducible. A transform maps one sample to one
sample; for ``(image, label)`` samples it changes the image and passes the rest through
(``apply_to`` picks another leaf).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.array import Array
from ..core.tracing import to_host
from .sampling import host_rng


def _split_sample(sample: Any, apply_to: int) -> tuple[np.ndarray, Callable[[Any], Any]]:
    if isinstance(sample, tuple):
        x = sample[apply_to]
        rebuild = lambda y: sample[:apply_to] + (y,) + sample[apply_to + 1:]
    else:
        x, rebuild = sample, (lambda y: y)
    x = to_host(x) if isinstance(x, Array) else np.asarray(x)
    return x, rebuild


class Transform:
    """Base class: subclasses define ``apply(x, rng)``; ``rng`` is None for deterministic ones."""

    random = False

    def __init__(self, apply_to: int = 0) -> None:
        self.apply_to = apply_to

    def __call__(self, sample: Any, key: Any = None) -> Any:
        x, rebuild = _split_sample(sample, self.apply_to)
        if self.random and key is None:
            raise ValueError(
                f"{type(self).__name__} is random and needs key=; the DataLoader passes one "
                "per sample when it has key=fd.random.key(seed)"
            )
        return rebuild(self.apply(x, host_rng(key) if self.random else None))

    def apply(self, x: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "apply_to")
        return f"{type(self).__name__}({fields})"


class Compose:
    """Apply transforms in order; each random one gets its own key (split from the sample's).

    Examples:
        >>> import numpy as np
        >>> from funcdiff.data import transforms as T
        >>> t = T.Compose([T.ToFloat(scale=1 / 16), T.Normalize(0.5, 0.5)])
        >>> t(np.full((2, 2), 16)).tolist()
        [[1.0, 1.0], [1.0, 1.0]]
    """

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    @property
    def random(self) -> bool:
        return any(getattr(t, "random", False) for t in self.transforms)

    def __call__(self, sample: Any, key: Any = None) -> Any:
        keys = _split_keys(key, len(self.transforms))
        for t, k in zip(self.transforms, keys):
            sample = t(sample, key=k) if getattr(t, "random", False) or _accepts_key(t) else t(
                sample)
        return sample

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


def _accepts_key(t: Any) -> bool:
    return isinstance(t, (Transform, Compose))


def _split_keys(key: Any, n: int) -> list:
    if key is None:
        return [None] * n
    from .. import random

    return list(to_host(random.split(key, n))) if n else []


class ToFloat(Transform):
    """Convert to float32, times ``scale`` (e.g. 1/255 for bytes)."""

    def __init__(self, scale: float = 1.0, apply_to: int = 0) -> None:
        super().__init__(apply_to)
        self.scale = scale

    def apply(self, x: np.ndarray, rng: Any) -> np.ndarray:
        return x.astype(np.float32) * np.float32(self.scale)


class Normalize(Transform):
    """``(x - mean) / std``, per channel when given sequences (channels first, CHW)."""

    def __init__(self, mean: Any, std: Any, apply_to: int = 0) -> None:
        super().__init__(apply_to)
        if np.any(np.asarray(std) == 0):
            raise ValueError("Normalize: std must be non-zero")
        self.mean, self.std = mean, std

    def apply(self, x: np.ndarray, rng: Any) -> np.ndarray:
        mean = np.asarray(self.mean, np.float32)
        std = np.asarray(self.std, np.float32)
        if mean.ndim == 1 and x.ndim >= 3:  # per channel, CHW
            mean, std = mean[:, None, None], std[:, None, None]
        return ((x - mean) / std).astype(np.float32)


class RandomCrop(Transform):
    """Pad by ``padding`` (zeros) then crop a random ``size`` window from the last two axes."""

    random = True

    def __init__(self, size: int | tuple[int, int], padding: int = 0,
                 apply_to: int = 0) -> None:
        super().__init__(apply_to)
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding = padding

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        p = self.padding
        if p:
            x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(p, p), (p, p)])
        h, w = x.shape[-2:]
        th, tw = self.size
        if th > h or tw > w:
            raise ValueError(f"RandomCrop size {self.size} is larger than the padded image "
                             f"{(h, w)}")
        i = int(rng.integers(0, h - th + 1))
        j = int(rng.integers(0, w - tw + 1))
        return x[..., i:i + th, j:j + tw]


class RandomHorizontalFlip(Transform):
    """Flip the last axis with probability ``p``."""

    random = True

    def __init__(self, p: float = 0.5, apply_to: int = 0) -> None:
        super().__init__(apply_to)
        self.p = p

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return x[..., ::-1].copy() if rng.random() < self.p else x


class RandomNoise(Transform):
    """Add Gaussian noise of standard deviation ``std``."""

    random = True

    def __init__(self, std: float = 0.1, apply_to: int = 0) -> None:
        super().__init__(apply_to)
        self.std = std

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return (x + rng.normal(0.0, self.std, x.shape)).astype(x.dtype if x.dtype.kind == "f"
                                                               else np.float32)


class RandomShift(Transform):
    """Shift the image by up to ``max_shift`` pixels in each direction (zeros enter)."""

    random = True

    def __init__(self, max_shift: int = 1, apply_to: int = 0) -> None:
        super().__init__(apply_to)
        self.max_shift = max_shift

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        m = self.max_shift
        h, w = x.shape[-2:]
        crop = RandomCrop((h, w), padding=m)
        return crop.apply(x, rng)


class Lambda(Transform):
    """Wrap a function of the array (and optionally ``rng``) as a transform."""

    def __init__(self, fn: Callable[..., np.ndarray], random: bool = False,
                 apply_to: int = 0) -> None:
        super().__init__(apply_to)
        self.fn = fn
        self.random = random

    def apply(self, x: np.ndarray, rng: Any) -> np.ndarray:
        return self.fn(x, rng) if self.random else self.fn(x)
