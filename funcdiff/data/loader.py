"""``DataLoader``: reproducible, prefetching, resumable batches of a dataset.

Each ``iter(loader)`` is one epoch in which every sample appears exactly once. Shuffling
and per-sample augmentation keys are functions of the loader's key, the epoch number and
the sample index only, so an epoch is the same with any number of workers or after
resuming from a saved position.
"""

from __future__ import annotations

import inspect
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .. import tree
from ..core.array import Array
from .collate import default_collate
from .sampling import epoch_key, permutation, sample_keys


class SampleError(RuntimeError):
    """Loading or transforming one sample failed; the message names the index and cause."""


_DONE = object()


class DataLoader:
    """Batches of a dataset, one epoch per ``iter()`` (as PyTorch's, with explicit keys).

    Args:
        dataset: any object with ``__len__`` and ``__getitem__`` (items are pytrees of
            arrays or numbers).
        batch_size: samples per batch.
        shuffle: visit samples in a random order, drawn from ``key`` and the epoch.
        key: a ``fd.random.key``; needed for ``shuffle`` and for transforms taking ``key``.
        drop_last: drop the last, smaller batch.
        transform: a function of one sample returning one sample; called with
            ``key=`` (a per-sample key from the loader's key, the epoch and the index)
            when it accepts a ``key`` argument.
        collate_fn: turns a list of samples into a batch (default: stack into arrays).
        num_workers: threads that load and transform samples (0: in the caller's thread).
            Batches are identical for every value.
        prefetch: batches prepared ahead in a background thread (0: none).
        device: place each batch on this device (a Device or a name: ``"gpu"``,
            ``"gpu:1"``, ``"cpu"``); ``None`` places it on the default device. With
            ``prefetch > 0`` the prefetch thread makes the copies, so they overlap the
            training step running meanwhile (on CuPy through pinned host memory and a
            stream of its own; see ``docs/gpu.md``).

    Examples:
        >>> import numpy as np
        >>> import funcdiff as fd
        >>> from funcdiff.data import ArrayDataset, DataLoader
        >>> ds = ArrayDataset(np.arange(10.0), np.arange(10) % 2)
        >>> loader = DataLoader(ds, batch_size=4, shuffle=True, key=fd.random.key(0))
        >>> [x.shape for x, y in loader]
        [(4,), (4,), (2,)]
        >>> len(loader)
        3
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 key: Any = None, drop_last: bool = False, transform: Callable | None = None,
                 collate_fn: Callable | None = None, num_workers: int = 0, prefetch: int = 2,
                 device: Any = None) -> None:
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(
                f"dataset must have __len__ and __getitem__, got {type(dataset).__name__}"
            )
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if num_workers < 0 or prefetch < 0:
            raise ValueError("num_workers and prefetch must be >= 0")
        wants_key = transform is not None and _takes_key(transform)
        if (shuffle or wants_key) and key is None:
            need = "shuffle=True" if shuffle else "a transform that takes key="
            raise ValueError(
                f"{need} needs a PRNG key: DataLoader(..., key=fd.random.key(seed)), so that "
                "every epoch is reproducible"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.key = key
        self.drop_last = drop_last
        self.transform = transform
        self.collate_fn = collate_fn
        self.num_workers = int(num_workers)
        self.prefetch = int(prefetch)
        self.device = device
        if device is not None:
            from ..devices import _resolve

            _resolve(device)  # an unknown name fails here, not in the prefetch thread
        self._transform_takes_key = wants_key
        self.epoch = 0  # the epoch the next iter() runs
        self._start_batch = 0  # where the next iter() starts (resuming mid-epoch)
        self._position = (0, 0)  # (epoch, batches delivered) of the current/last epoch

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    # --- resuming -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Where iteration stands: the epoch and the batches of it already delivered."""
        epoch, done = self._position
        if done >= len(self):
            return {"epoch": epoch + 1, "batch": 0}
        return {"epoch": epoch, "batch": done}

    def load_state_dict(self, state: dict) -> None:
        """Make the next ``iter()`` continue from a saved :meth:`state_dict`."""
        epoch, batch = int(state["epoch"]), int(state["batch"])
        if not 0 <= batch <= len(self):
            raise ValueError(f"batch position {batch} is outside this loader's {len(self)}")
        self.epoch, self._start_batch = epoch, batch
        self._position = (epoch, batch)

    def set_epoch(self, epoch: int) -> None:
        """Run epoch ``epoch`` on the next ``iter()``."""
        self.epoch, self._start_batch = int(epoch), 0

    # --- iteration ------------------------------------------------------------------------
    def _order(self, epoch: int) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            return permutation(epoch_key(self.key, epoch), n)
        return np.arange(n)

    def _batches(self, epoch: int, start: int) -> list[np.ndarray]:
        order = self._order(epoch)
        bs = self.batch_size
        cuts = [order[i:i + bs] for i in range(0, len(order), bs)]
        if self.drop_last and cuts and len(cuts[-1]) < bs:
            cuts.pop()
        return cuts[start:]

    def __iter__(self) -> Iterator[Any]:
        self._target = self._target_device()
        epoch, start = self.epoch, self._start_batch
        self.epoch, self._start_batch = epoch + 1, 0
        self._position = (epoch, start)
        batches = self._batches(epoch, start)
        keys = None
        if self._transform_takes_key:
            keys = epoch_key(self.key, epoch)
        if self.prefetch == 0 and self.num_workers == 0:
            return self._serial(batches, keys, epoch, start)
        return self._background(batches, keys, epoch, start)

    def _serial(self, batches: list, keys: Any, epoch: int, start: int) -> Iterator[Any]:
        for k, idx in enumerate(batches):
            batch = self._make_batch(idx, keys, None, overlapped=False)
            self._position = (epoch, start + k + 1)
            yield batch

    def _background(self, batches: list, keys: Any, epoch: int, start: int) -> Iterator[Any]:
        q: queue.Queue = queue.Queue(maxsize=max(self.prefetch, 1))
        stop = threading.Event()
        pool = ThreadPoolExecutor(self.num_workers) if self.num_workers else None

        def produce() -> None:
            try:
                for idx in batches:
                    if stop.is_set():
                        return
                    item = self._make_batch(idx, keys, pool, overlapped=True)
                    while not stop.is_set():
                        try:
                            q.put(item, timeout=0.05)
                            break
                        except queue.Full:
                            continue
            except BaseException as e:  # handed to the consumer, raised in its thread
                q.put(e)
                return
            q.put(_DONE)

        thread = threading.Thread(target=produce, name="funcdiff-data-prefetch", daemon=True)
        thread.start()
        try:
            k = 0
            while True:
                item = q.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                k += 1
                self._position = (epoch, start + k)
                yield item
        finally:
            # Stopping early (break, exception, garbage collection) leaves nothing running.
            stop.set()
            while thread.is_alive():
                try:
                    q.get_nowait()
                except queue.Empty:
                    thread.join(timeout=0.05)
            if pool is not None:
                pool.shutdown(wait=True)

    def _make_batch(self, idx: np.ndarray, keys: Any, pool: ThreadPoolExecutor | None,
                    overlapped: bool) -> Any:
        fast = getattr(self.dataset, "__getitems__", None)
        if fast is not None and self.transform is None and self.collate_fn is None:
            try:
                host = fast(idx)
            except Exception as e:
                raise SampleError(
                    f"loading samples {idx.tolist()[:8]}... failed: {type(e).__name__}: {e}"
                ) from e
            return self._place(host, overlapped)
        sample_k = sample_keys(keys, idx) if keys is not None else None
        jobs = list(range(len(idx)))
        load = lambda j: self._load(int(idx[j]), None if sample_k is None else sample_k[j])
        samples = list(pool.map(load, jobs)) if pool is not None else [load(j) for j in jobs]
        if self.collate_fn is not None:
            return self.collate_fn(samples)
        return self._place(default_collate(samples, idx.tolist()), overlapped)

    def _load(self, index: int, key: Any) -> Any:
        try:
            sample = self.dataset[index]
            if self.transform is not None:
                sample = (self.transform(sample, key=key) if self._transform_takes_key
                          else self.transform(sample))
            return sample
        except SampleError:
            raise
        except Exception as e:
            raise SampleError(
                f"loading sample {index} failed: {type(e).__name__}: {e}"
            ) from e

    # --- device placement ---------------------------------------------------------------
    def _target_device(self) -> Any:
        """Where batches go: ``device``, else the default backend's current device (read in
        the consumer's thread: the prefetch thread's current device may differ)."""
        from .. import backend
        from ..devices import _resolve

        if self.device is not None:
            return _resolve(self.device)
        return backend.get_backend().current_device()

    def _place(self, host_batch: Any, overlapped: bool) -> Any:
        from ..devices import _put_host, device_put

        dev = getattr(self, "_target", None) or self._target_device()

        def put(x: Any) -> Any:
            if isinstance(x, Array):
                return device_put(x, dev) if self.device is not None else x
            return _put_host(x, dev, overlapped)

        return tree.map(put, host_batch)


def _takes_key(fn: Callable) -> bool:
    if hasattr(fn, "random"):  # funcdiff transforms say whether they draw random numbers
        return bool(fn.random)
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "key" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
