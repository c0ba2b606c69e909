"""Issue #7 (data and the main job), checked the way a PyTorch user of DESIGN.md would.

A map-style ``Dataset`` subclass, a ``DataLoader`` with the PyTorch arguments plus explicit
keys, augmentation, the shipped digits, MNIST-format IDX files and ``.npz``/``.npy`` files
written here, and ``python -m funcdiff.examples.train``.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import data
from funcdiff.data import transforms as T
from funcdiff.examples import train


def host(x):
    return np.asarray(fd.device_get(x))


class Squares(fd.data.Dataset):
    """Item i is (a float feature vector, an int label): what a PyTorch user writes."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.array([i, i * i], np.float32), i


def labels(loader):
    return [host(y).tolist() for _, y in loader]


def flat(batches):
    return [i for b in batches for i in b]


# --- the loader ----------------------------------------------------------------------------


def test_batches_of_a_dataset_subclass():
    loader = fd.data.DataLoader(Squares(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    x, y = batches[0]
    assert isinstance(x, fd.Array) and isinstance(y, fd.Array)
    assert (x.shape, x.dtype, y.shape, y.dtype) == ((4, 2), fnp.float32, (4,), fnp.int32)
    np.testing.assert_array_equal(host(x), [[0, 0], [1, 1], [2, 4], [3, 9]])
    assert labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]  # in order, last one short
    assert x.device == fd.devices(os.environ.get("FUNCDIFF_BACKEND", "numpy"))[0]


def test_drop_last():
    loader = data.DataLoader(Squares(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert list(data.DataLoader(Squares(3), batch_size=5, drop_last=True)) == []


@pytest.mark.parametrize("workers,prefetch", [(0, 0), (0, 2), (3, 4)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_every_sample_once_per_epoch_and_reproducible(workers, prefetch, drop_last):
    kw = dict(batch_size=4, shuffle=True, key=fd.random.key(42), drop_last=drop_last,
              num_workers=workers, prefetch=prefetch)
    loader = data.DataLoader(Squares(23), **kw)
    epochs = [labels(loader) for _ in range(3)]
    for e in epochs:
        seen = flat(e)
        if drop_last:
            assert len(seen) == 20 == len(set(seen)) and all(len(b) == 4 for b in e)
        else:
            assert sorted(seen) == list(range(23))
    assert epochs[0] != epochs[1] != epochs[2]  # a new order each epoch...
    again = data.DataLoader(Squares(23), **kw)
    assert [labels(again) for _ in range(3)] == epochs  # ...the same for the same key
    serial = data.DataLoader(Squares(23), batch_size=4, shuffle=True, key=fd.random.key(42),
                             drop_last=drop_last)
    assert labels(serial) == epochs[0]  # workers and prefetching change nothing
    other = data.DataLoader(Squares(23), batch_size=4, shuffle=True, key=fd.random.key(43))
    assert labels(other) != epochs[0]
    again.set_epoch(1)
    assert labels(again) == epochs[1]


def test_transform_with_and_without_key():
    double = data.DataLoader(Squares(6), batch_size=3, transform=lambda s: (s[0] * 2, s[1]))
    np.testing.assert_array_equal(host(next(iter(double))[0])[:, 1], [0, 2, 8])

    def jitter(sample, key):  # a per-sample key from the loader's key, the epoch and the index
        x, y = sample
        return x + host(fd.random.normal(key, (2,))), y

    def run(batch_size, workers=0, epoch=0):
        loader = data.DataLoader(Squares(6), batch_size=batch_size, transform=jitter,
                                 key=fd.random.key(7), num_workers=workers)
        loader.set_epoch(epoch)
        return np.concatenate([host(x) for x, _ in loader])

    first = run(2)
    np.testing.assert_array_equal(first, run(3))  # not a function of the batching...
    np.testing.assert_array_equal(first, run(4, workers=2))  # ...or of the workers
    assert not np.allclose(first, run(2, epoch=1))  # but of the epoch
    noise = first - np.stack([Squares(6)[i][0] for i in range(6)])
    assert len({tuple(r) for r in noise.round(6)}) == 6  # one key per sample
    with pytest.raises(ValueError, match=r"a transform that takes key= needs a PRNG key: "
                       r"DataLoader\(..., key=fd.random.key\(seed\)\)"):
        data.DataLoader(Squares(6), batch_size=2, transform=jitter)


def test_collate_fn_and_dict_samples():
    loader = data.DataLoader(Squares(5), batch_size=2, collate_fn=lambda items: [
        label for _, label in items])
    assert list(loader) == [[0, 1], [2, 3], [4]]

    class Records(data.Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return {"image": np.full((1, 2, 2), i, np.uint8), "label": i, "weight": 0.5}

    (batch, _) = list(data.DataLoader(Records(), batch_size=2))
    assert sorted(batch) == ["image", "label", "weight"]
    assert batch["image"].shape == (2, 1, 2, 2) and batch["image"].dtype == fnp.uint8
    assert batch["label"].dtype == fnp.int32 and batch["weight"].dtype == fnp.float32


def test_array_dataset():
    xs, ys = np.arange(12.0).reshape(6, 2), np.arange(6) % 3
    ds = data.ArrayDataset(xs, ys)
    assert len(ds) == 6
    x1, y1 = ds[1]
    np.testing.assert_array_equal(x1, [2.0, 3.0])
    assert y1 == 1
    seen = []
    for x, y in data.DataLoader(ds, batch_size=4, shuffle=True, key=fd.random.key(0)):
        assert x.dtype == fnp.float32 and y.dtype == fnp.int32
        seen += host(x)[:, 0].tolist()
    assert sorted(seen) == xs[:, 0].tolist()
    single = data.ArrayDataset(fnp.arange(3.0))  # funcdiff arrays work too; one array: no tuple
    assert float(single[2]) == 2.0
    with pytest.raises(ValueError, match=r"must share their first axis.*\(6, 2\), \(5,\)"):
        data.ArrayDataset(xs, np.arange(5))


def test_resume_from_state_dict():
    kw = dict(batch_size=3, shuffle=True, key=fd.random.key(5), transform=T.RandomNoise(0.5))

    def xs(batches):
        return [host(x).round(6).tolist() for x, _ in batches]

    reference = data.DataLoader(Squares(10), **kw)
    epoch0, epoch1 = xs(reference), xs(reference)
    loader = data.DataLoader(Squares(10), **kw)
    it = iter(loader)
    head = xs([next(it), next(it)])
    state = loader.state_dict()
    assert state == {"epoch": 0, "batch": 2}
    resumed = data.DataLoader(Squares(10), **kw)  # e.g. in a new process, after a crash
    resumed.load_state_dict(state)
    assert head + xs(resumed) == epoch0
    assert resumed.state_dict() == {"epoch": 1, "batch": 0}
    assert xs(resumed) == epoch1
    with pytest.raises(ValueError, match="batch position 9 is outside this loader's 4"):
        resumed.load_state_dict({"epoch": 0, "batch": 9})


def test_loader_argument_errors():
    with pytest.raises(ValueError, match=r"shuffle=True needs a PRNG key"):
        data.DataLoader(Squares(4), batch_size=2, shuffle=True)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        data.DataLoader(Squares(4), batch_size=0)
    with pytest.raises(TypeError, match="dataset must have __len__ and __getitem__, got int"):
        data.DataLoader(3, batch_size=2)
    with pytest.raises(TypeError, match="sample 0 holds a str"):
        list(data.DataLoader([("a", 1), ("b", 2)], batch_size=2))


def test_loading_in_the_background_while_the_main_thread_differentiates():
    # Transforms call funcdiff in the prefetch threads while the training step traces grad.
    def noisy(sample, key):
        x, y = sample
        return fnp.asarray(x) * fd.random.uniform(key, (), minval=0.9, maxval=1.1), y

    loader = data.DataLoader(Squares(40), batch_size=8, shuffle=True, key=fd.random.key(1),
                             transform=noisy, num_workers=2, prefetch=3)
    def loss(w, x, y):
        return fnp.mean((x @ w - y) ** 2)

    w = fnp.zeros(2)
    for x, y in loader:
        w = w - 1e-4 * fd.grad(loss)(w, x, y)
    assert w.shape == (2,) and bool(fnp.all(fnp.isfinite(w)))


# --- augmentation ----------------------------------------------------------------------------


def test_augmentation_transforms():
    img = np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4)  # CHW
    k = fd.random.key(0)
    assert T.RandomCrop(3)(img, key=k).shape == (2, 3, 3)
    padded, label = T.RandomCrop(4, padding=1)((img, 3), key=k)  # (image, label) samples
    assert padded.shape == (2, 4, 4) and label == 3
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(img, key=k), img[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0)(img, key=k), img)
    np.testing.assert_allclose(T.Normalize([1.0, 2.0], [2.0, 4.0])(img)[:, 0, 0], [-0.5, 3.5])
    np.testing.assert_array_equal(T.RandomNoise(0.1)(img, key=k), T.RandomNoise(0.1)(img, key=k))
    assert not np.array_equal(T.RandomNoise(0.1)(img, key=k),
                              T.RandomNoise(0.1)(img, key=fd.random.key(1)))
    shifted = T.RandomShift(1)(img, key=k)
    assert shifted.shape == img.shape
    pipeline = T.Compose([T.ToFloat(1 / 16), T.RandomHorizontalFlip(), T.Normalize(0.5, 0.5)])
    out = pipeline(np.full((1, 2, 2), 16, np.uint8), key=k)
    assert out.dtype == np.float32 and np.allclose(out, 1.0)
    assert T.Lambda(lambda a: a * 2)(np.ones(2)).tolist() == [2.0, 2.0]
    with pytest.raises(ValueError, match="RandomHorizontalFlip is random and needs key="):
        T.Compose([T.RandomHorizontalFlip()])(img)
    with pytest.raises(ValueError, match="larger than the padded image"):
        T.RandomCrop(9)(img, key=k)
    loader = data.DataLoader(data.ArrayDataset(np.zeros((5, 1, 4, 4)), np.arange(5)), 2,
                             transform=T.Compose([T.RandomCrop(3), T.RandomNoise(0.1)]), key=k)
    assert [x.shape for x, _ in loader] == [(2, 1, 3, 3), (2, 1, 3, 3), (1, 1, 3, 3)]


# --- datasets -------------------------------------------------------------------------------


def test_shipped_digits():
    images, targets = fd.data.datasets.load_digits()
    assert images.shape == (1797, 8, 8) and targets.shape == (1797,)
    assert images.min() == 0 and images.max() == 16 and sorted(set(targets.tolist())) == list(
        range(10))
    train_set, test_set = data.datasets.digits(), data.datasets.digits("test")
    assert len(train_set) + len(test_set) == 1797 and len(test_set) > 300
    x, y = train_set[0]
    assert x.shape == (1, 8, 8) and x.dtype == np.float32 and 0 <= x.min() <= x.max() <= 1
    assert isinstance(y, int)
    assert data.datasets.digits("all", flatten=True)[0][0].shape == (64,)
    with pytest.raises(ValueError, match="split must be 'train', 'test' or 'all'"):
        data.datasets.digits("validation")


def _write_idx(path, arr, compress=False):
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_from_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    suffix = ".gz" if compress else ""
    sets = {}
    for stem, n in (("train", 6), ("t10k", 3)):
        imgs = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        lbls = rng.integers(0, 10, n).astype(np.uint8)
        _write_idx(tmp_path / f"{stem}-images-idx3-ubyte{suffix}", imgs, compress)
        _write_idx(tmp_path / f"{stem}-labels-idx1-ubyte{suffix}", lbls, compress)
        sets[stem] = imgs, lbls
    for train_split, stem in ((True, "train"), (False, "t10k")):
        ds = data.datasets.mnist(tmp_path, train=train_split)
        imgs, lbls = sets[stem]
        assert len(ds) == len(imgs)
        x, y = ds[1]
        assert x.shape == (1, 28, 28) and x.dtype == np.float32
        np.testing.assert_allclose(x[0] * 255, imgs[1], atol=1e-3)
        assert y == lbls[1]
    batch = next(iter(data.DataLoader(data.datasets.mnist(tmp_path), batch_size=4)))
    assert batch[0].shape == (4, 1, 28, 28) and batch[1].dtype == fnp.int32


def test_idx_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no train-images-idx3-ubyte.*does not download"):
        data.datasets.mnist(tmp_path)
    bad = tmp_path / "train-images-idx3-ubyte"
    bad.write_bytes(b"\x01\x02\x08\x03")
    _write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(2, np.uint8))
    with pytest.raises(data.datasets.DatasetFormatError, match="is not an IDX file"):
        data.datasets.mnist(tmp_path)
    _write_idx(bad, np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(data.datasets.DatasetFormatError, match=r"disagree: images \(3, 28, 28\), "
                       r"labels \(2,\)"):
        data.datasets.mnist(tmp_path)


def test_npz_and_npy_files(tmp_path):
    np.savez(tmp_path / "train.npz", x=np.random.default_rng(0).normal(size=(7, 3)),
             y=np.arange(7))
    ds = data.datasets.from_npz(tmp_path / "train.npz", "x", "y")
    assert len(ds) == 7 and ds[3][1] == 3
    x, y = next(iter(data.DataLoader(ds, batch_size=7)))
    assert x.shape == (7, 3) and x.dtype == fnp.float32 and host(y).tolist() == list(range(7))
    assert len(data.datasets.from_npz(tmp_path / "train.npz")[0]) == 2  # all arrays, file order
    np.save(tmp_path / "x.npy", np.ones((4, 2)))
    np.save(tmp_path / "y.npy", np.arange(4))
    both = data.datasets.from_npy(tmp_path / "x.npy", tmp_path / "y.npy")
    assert len(both) == 4 and both[2][1] == 2
    with pytest.raises(FileNotFoundError, match="nope.npy"):
        data.datasets.from_npy(tmp_path / "nope.npy")
    with pytest.raises(KeyError, match=r"has no arrays \['z'\]"):
        data.datasets.from_npz(tmp_path / "train.npz", "z")


# --- the main job ----------------------------------------------------------------------------


def test_train_help_lists_the_options():
    res = subprocess.run([sys.executable, "-m", "funcdiff.examples.train", "--help"],
                         capture_output=True, text=True, check=True, timeout=60)
    for option in ("--model", "--epochs", "--batch-size", "--lr", "--optimizer", "--seed",
                   "--device", "--checkpoint-dir", "--resume"):
        assert option in res.stdout
    assert "mlp" in res.stdout and "cnn" in res.stdout and "adam" in res.stdout


def test_train_rejects_an_unavailable_device(capsys):
    with pytest.raises(SystemExit) as e:
        train.parse_args(["--device", "tpu:7"])
    assert e.value.code == 2
    assert "--device tpu:7 is not available here; choose one of" in capsys.readouterr().err


def test_one_epoch_of_each_model(tmp_path, capsys):
    acc = train.main(["--model", "both", "--epochs", "1", "--batch-size", "64", "--lr", "0.01",
                      "--seed", "1", "--device", "cpu", "--checkpoint-dir", str(tmp_path),
                      "--no-progress"])
    out = capsys.readouterr().out
    assert sorted(acc) == ["cnn", "mlp"] and all(0.2 < a <= 1.0 for a in acc.values())
    assert "mlp epoch   1/1" in out and "cnn epoch   1/1" in out and "test accuracy" in out
    for name in ("mlp", "cnn"):
        saved = fd.load(tmp_path / f"digits_{name}.fdckpt")
        assert int(saved["epoch"]) == 1
