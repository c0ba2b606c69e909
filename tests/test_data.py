"""fd.data: every sample once per epoch, reproducible order, workers, resuming, errors."""

from __future__ import annotations

import gzip
import threading
import time

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
from funcdiff.data import (
    ArrayDataset,
    BatchError,
    DataLoader,
    Dataset,
    SampleError,
    datasets,
    random_split,
)
from funcdiff.data import transforms as T


def _ids(loader):
    return [host(b[1]).tolist() for b in loader]


def _dataset(n=23):
    return ArrayDataset(np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n))


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("workers,prefetch", [(0, 0), (0, 2), (2, 2)])
def test_every_sample_once_per_epoch(shuffle, drop_last, workers, prefetch):
    ds = _dataset(23)
    loader = DataLoader(ds, batch_size=5, shuffle=shuffle, key=fd.random.key(1),
                        drop_last=drop_last, num_workers=workers, prefetch=prefetch)
    for _ in range(2):
        seen = [i for batch in _ids(loader) for i in batch]
        if drop_last:
            assert len(seen) == 20 and len(set(seen)) == 20
            assert len(loader) == 4
        else:
            assert sorted(seen) == list(range(23))
            assert len(loader) == 5


def test_shuffle_reproducible_from_key_and_epoch():
    ds = _dataset(40)
    a = DataLoader(ds, batch_size=8, shuffle=True, key=fd.random.key(7))
    b = DataLoader(ds, batch_size=8, shuffle=True, key=fd.random.key(7))
    e0a, e1a = _ids(a), _ids(a)
    e0b, e1b = _ids(b), _ids(b)
    assert e0a == e0b and e1a == e1b
    assert e0a != e1a  # a new order each epoch
    c = DataLoader(ds, batch_size=8, shuffle=True, key=fd.random.key(8))
    assert _ids(c) != e0a
    b.set_epoch(1)
    assert _ids(b) == e1a


def test_workers_and_prefetch_give_identical_batches_with_random_transforms():
    ds = _dataset(30)
    aug = T.Compose([T.RandomNoise(0.5), T.ToFloat()])
    kw = dict(batch_size=4, shuffle=True, key=fd.random.key(3), transform=aug)
    runs = [[(host(x), host(y)) for x, y in DataLoader(ds, num_workers=w, prefetch=p, **kw)]
            for w, p in [(0, 0), (0, 3), (3, 1)]]
    for other in runs[1:]:
        for (x0, y0), (x1, y1) in zip(runs[0], other, strict=True):
            np.testing.assert_array_equal(x0, x1)
            np.testing.assert_array_equal(y0, y1)


def test_transform_gets_a_per_sample_key():
    seen = {}

    def tf(sample, key):
        seen[int(sample[1])] = host(key).tolist()
        return sample

    ds = _dataset(6)
    list(DataLoader(ds, batch_size=2, key=fd.random.key(0), transform=tf))
    first = dict(seen)
    list(DataLoader(ds, batch_size=3, key=fd.random.key(0), transform=tf))
    assert seen == first  # depends on key, epoch and index only, not on batching
    assert len({tuple(v) for v in seen.values()}) == 6


def test_resume_mid_epoch():
    ds = _dataset(25)
    kw = dict(batch_size=4, shuffle=True, key=fd.random.key(11))
    full = DataLoader(ds, **kw)
    epoch0, epoch1 = _ids(full), _ids(full)
    loader = DataLoader(ds, **kw)
    it = iter(loader)
    got = [host(next(it)[1]).tolist() for _ in range(3)]
    state = loader.state_dict()
    assert state == {"epoch": 0, "batch": 3}
    resumed = DataLoader(ds, **kw)
    resumed.load_state_dict(state)
    assert got + _ids(resumed) == epoch0
    assert _ids(resumed) == epoch1


def test_stopping_early_leaves_no_thread_running():
    before = threading.active_count()
    loader = DataLoader(_dataset(100), batch_size=2, num_workers=2, prefetch=4,
                        transform=T.ToFloat())
    for i, _ in enumerate(loader):
        if i == 2:
            break
    time.sleep(0.05)
    assert threading.active_count() == before


def test_batches_are_funcdiff_arrays_on_the_device():
    x, y = next(iter(DataLoader(_dataset(5), batch_size=5, device=fd.devices()[0])))
    assert isinstance(x, fd.Array) and x.dtype == np.float32 and y.dtype == np.int32


def test_dict_samples_collate_to_dicts():
    class D(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return {"x": np.full(3, i, np.float32), "y": i}

    batch = next(iter(DataLoader(D(), batch_size=4)))
    assert set(batch) == {"x", "y"} and batch["x"].shape == (4, 3)


def test_bad_item_names_the_index():
    class D(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return "text" if i == 2 else np.zeros(2)

    with pytest.raises(TypeError, match="sample 2 holds a str"):
        list(DataLoader(D(), batch_size=3))
    with pytest.raises(TypeError, match="sample 2 holds a str"):
        list(DataLoader(D(), batch_size=3, num_workers=2))


def test_mismatched_shapes_name_the_sample():
    class D(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.zeros(3 if i == 1 else 2)

    with pytest.raises(BatchError, match=r"sample 1 has shape \(3,\)"):
        list(DataLoader(D(), batch_size=3))


@pytest.mark.parametrize("workers", [0, 2])
def test_transform_error_raised_in_main_thread_with_index(workers):
    def bad(sample):
        if int(sample[1]) == 4:
            raise ValueError("boom")
        return sample

    loader = DataLoader(_dataset(8), batch_size=3, transform=bad, num_workers=workers)
    with pytest.raises(SampleError, match=r"loading sample 4 failed: ValueError: boom"):
        list(loader)


def test_argument_errors():
    with pytest.raises(ValueError, match="needs a PRNG key"):
        DataLoader(_dataset(), shuffle=True)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(_dataset(), batch_size=0)
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(object())
    with pytest.raises(ValueError, match="share their first axis"):
        ArrayDataset(np.zeros(3), np.zeros(4))


def test_random_split_partitions():
    parts = random_split(_dataset(10), [6, 4], fd.random.key(0))
    ids = sorted(int(p[i][1]) for p in parts for i in range(len(p)))
    assert ids == list(range(10))
    with pytest.raises(ValueError, match="add up to"):
        random_split(_dataset(10), [3, 3], fd.random.key(0))


# --- transforms ---------------------------------------------------------------------------


def test_transforms_values_and_reproducibility():
    img = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    k = fd.random.key(0)
    crop = T.RandomCrop(4, padding=2)
    a, b = crop((img, 1), key=k), crop((img, 1), key=k)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].shape == (1, 4, 4) and a[1] == 1
    flips = {T.RandomHorizontalFlip(0.5)(img, key=fd.random.key(i))[0, 0, 0] for i in range(20)}
    assert flips == {0.0, 3.0}
    norm = T.Normalize([1.0], [2.0])(img)
    np.testing.assert_allclose(norm, (img - 1) / 2)
    with pytest.raises(ValueError, match="needs key="):
        T.RandomNoise(0.1)(img)
    with pytest.raises(ValueError, match="larger than the padded image"):
        T.RandomCrop(9)(img, key=k)


# --- datasets -----------------------------------------------------------------------------


def test_digits():
    images, labels = datasets.load_digits()
    assert images.shape == (1797, 8, 8) and images.max() == 16
    assert np.bincount(labels).min() >= 170
    train, test = datasets.digits("train"), datasets.digits("test")
    assert len(train) + len(test) == 1797 and len(test) == 360 or len(test) > 340
    tr = {host(x).tobytes() for x in train.arrays[0]}
    te = [host(x).tobytes() for x in test.arrays[0]]
    assert sum(t in tr for t in te) < 20  # disjoint rows (a few digit images repeat exactly)
    assert datasets.digits("all", flatten=True)[0][0].shape == (64,)


def _write_idx(path, arr, code=0x08, compress=False):
    header = bytes([0, 0, code, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    data = header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:  # gzip flushes only on close
        f.write(data)


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_from_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (5, 28, 28)).astype(np.uint8)
    lbls = rng.integers(0, 10, 5).astype(np.uint8)
    suffix = ".gz" if compress else ""
    _write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", imgs, compress=compress)
    _write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", lbls, compress=compress)
    ds = datasets.mnist(tmp_path, train=True)
    assert len(ds) == 5 and ds[0][0].shape == (1, 28, 28)
    np.testing.assert_allclose(ds.arrays[0][:, 0] * 255, imgs)
    assert ds.arrays[1].tolist() == lbls.tolist()
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        datasets.mnist(tmp_path, train=False)


def test_idx_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.idx"):
        datasets.load_idx(tmp_path / "missing.idx")
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x01\x02\x08\x01")
    with pytest.raises(datasets.DatasetFormatError, match="not an IDX file"):
        datasets.load_idx(bad)
    short = tmp_path / "short.idx"
    _write_idx(short, np.zeros((4, 3), np.uint8))
    short.write_bytes(short.read_bytes()[:-2])
    with pytest.raises(datasets.DatasetFormatError, match="truncated or corrupted"):
        datasets.load_idx(short)
    f32 = tmp_path / "f.idx"
    _write_idx(f32, np.arange(6, dtype=np.float32).reshape(2, 3), code=0x0D)
    np.testing.assert_array_equal(datasets.load_idx(f32), np.arange(6).reshape(2, 3))


def test_npz_and_npy(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.ones((3, 2)), y=np.arange(3))
    ds = datasets.from_npz(tmp_path / "d.npz", "x", "y")
    assert len(ds) == 3 and ds[2][1] == 2
    with pytest.raises(KeyError, match="has no arrays"):
        datasets.from_npz(tmp_path / "d.npz", "z")
    np.save(tmp_path / "a.npy", np.arange(4))
    assert len(datasets.from_npy(tmp_path / "a.npy")) == 4
