"""Real datasets: the UCI handwritten digits (shipped), MNIST-format IDX files, ``.npz``.

Nothing is downloaded: the digits ship inside the package (see ``DIGITS_LICENSE.txt``);
MNIST and Fashion-MNIST are read from IDX files the user has on disk.
"""

from __future__ import annotations

import gzip
import os
import pathlib
from typing import Any

import numpy as np

from .dataset import ArrayDataset

_HERE = pathlib.Path(__file__).parent


class DatasetFormatError(ValueError):
    """A data file is missing, truncated or not in the expected format."""


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The UCI handwritten digits: 1,797 images of 8x8 pixels (0..16) and their labels.

    Returns:
        ``(images, labels)``: uint8 arrays of shapes (1797, 8, 8) and (1797,).

    Examples:
        >>> from funcdiff.data.datasets import load_digits
        >>> images, labels = load_digits()
        >>> images.shape, labels[:5].tolist()
        ((1797, 8, 8), [0, 1, 2, 3, 4])
    """
    with np.load(_HERE / "digits.npz") as f:
        return f["images"].copy(), f["labels"].copy()


def digits(split: str = "train", test_fraction: float = 0.2, seed: int = 0,
           flatten: bool = False) -> ArrayDataset:
    """The digits as a dataset of ``(image, label)``: float32 images scaled to [0, 1],
    shaped (1, 8, 8) (channels first) or (64,) with ``flatten``; int32 labels.

    The train/test split is a fixed shuffle from ``seed`` (stratified by class), so the
    two splits never overlap.

    Examples:
        >>> from funcdiff.data.datasets import digits
        >>> train, test = digits("train"), digits("test")
        >>> len(train) + len(test), train[0][0].shape
        (1797, (1, 8, 8))
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    images, labels = load_digits()
    x = images.astype(np.float32) / 16.0
    x = x.reshape(len(x), -1) if flatten else x[:, None]
    y = labels.astype(np.int32)
    if split == "all":
        return ArrayDataset(x, y)
    rng = np.random.default_rng(seed)
    test_idx = []
    for c in range(10):
        members = np.flatnonzero(y == c)
        rng.shuffle(members)
        test_idx.extend(members[: int(round(len(members) * test_fraction))])
    test_mask = np.zeros(len(y), bool)
    test_mask[test_idx] = True
    keep = test_mask if split == "test" else ~test_mask
    return ArrayDataset(x[keep], y[keep])


_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def load_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzipped or not.

    Raises:
        FileNotFoundError: naming the file when it does not exist.
        DatasetFormatError: naming the file and the problem when it is malformed.
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"IDX file {str(path)!r} does not exist")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DatasetFormatError(f"cannot read IDX file {str(path)!r}: {e}") from e
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DatasetFormatError(
            f"{str(path)!r} is not an IDX file: it must start with two zero bytes, a type "
            "code and the number of dimensions"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        raise DatasetFormatError(f"{str(path)!r} has an unknown IDX type code {code:#04x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetFormatError(f"{str(path)!r} is truncated inside its header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise DatasetFormatError(
            f"{str(path)!r} should hold {expected} bytes of data for shape {shape}, but has "
            f"{len(data) - header} (truncated or corrupted)"
        )
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


_MNIST_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _find(root: pathlib.Path, stem: str) -> pathlib.Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                 stem.replace("-idx", ".idx") + ".gz"):
        if (root / name).exists():
            return root / name
    raise FileNotFoundError(
        f"no {stem}(.gz) in {str(root)!r}; put the MNIST-format IDX files there (funcdiff "
        "does not download data)"
    )


def mnist(root: str | os.PathLike, train: bool = True) -> ArrayDataset:
    """MNIST (or Fashion-MNIST: same file names) from IDX files in ``root``: float32 images
    in [0, 1] shaped (1, 28, 28) and int32 labels."""
    root = pathlib.Path(root)
    img_name, lbl_name = _MNIST_FILES[train]
    images = load_idx(_find(root, img_name))
    labels = load_idx(_find(root, lbl_name))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetFormatError(
            f"MNIST files in {str(root)!r} disagree: images {images.shape}, labels "
            f"{labels.shape}"
        )
    return ArrayDataset(images[:, None].astype(np.float32) / 255.0, labels.astype(np.int32))


fashion_mnist = mnist


def from_npz(path: str | os.PathLike, *keys: str) -> ArrayDataset:
    """A dataset of the arrays ``keys`` (all, in file order, when none given) of an ``.npz``."""
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{str(path)!r} does not exist")
    with np.load(path, allow_pickle=False) as f:
        names = list(keys) or list(f.files)
        missing = [k for k in names if k not in f.files]
        if missing:
            raise KeyError(f"{str(path)!r} has no arrays {missing}; it has {f.files}")
        return ArrayDataset(*(f[k] for k in names))


def from_npy(*paths: str | os.PathLike) -> ArrayDataset:
    """A dataset of the arrays stored in ``.npy`` files (memory-mapped, no pickle)."""
    arrays: list[Any] = []
    for p in paths:
        if not pathlib.Path(p).exists():
            raise FileNotFoundError(f"{str(p)!r} does not exist")
        arrays.append(np.load(p, mmap_mode="r", allow_pickle=False))
    return ArrayDataset(*arrays)
