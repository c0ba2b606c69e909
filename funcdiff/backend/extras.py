"""Operations whose spelling differs between NumPy and CuPy, dispatched on ``xp``."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np

from . import cupy_api


def is_numpy(xp: Any) -> bool:
    """Whether ``xp`` is NumPy itself (host arrays; every ufunc method exists)."""
    return xp is np


def is_cupy(xp: Any) -> bool:
    """Whether ``xp`` is CuPy."""
    return getattr(xp, "__name__", "") == "cupy"


_SCATTER_UFUNC = {"add": "add", "mul": "multiply", "max": "maximum", "min": "minimum"}
# Dtypes CuPy's scatter kernels (CUDA atomics) handle exactly: add, max and min on these run
# as one kernel (cupyx.scatter_add/max/min, spelled xp.add.at…); others go round by round.
# From the tables the strict backend enforces: the dtypes each ``ufunc.at`` takes, less the
# ones it rounds (float64 max/min go through float32 in CuPy 14, seen on an H200).
_ATOMIC = {
    mode: frozenset(np.dtype(d) for d in cupy_api.UFUNC_AT_DTYPES[u]
                    if (u, d) not in cupy_api.UFUNC_AT_INEXACT)
    for mode, u in _SCATTER_UFUNC.items() if u in cupy_api.UFUNC_AT_DTYPES
}


def scatter(xp: Any, out: Any, idx: tuple, updates: Any, mode: str) -> None:
    """In place: ``out[idx] (mode)= updates`` with repeated indices accumulating.

    ``idx`` holds one integer array per leading axis of ``out`` (all in range, of one
    shape); ``updates`` has that shape followed by ``out``'s remaining axes.

    Examples:
        >>> out = np.zeros(3)
        >>> scatter(np, out, (np.array([0, 0, 2]),), np.array([1.0, 2.0, 5.0]), "add")
        >>> out
        array([3., 0., 5.])
    """
    if mode == "set":
        out[idx] = updates
        return
    name = _SCATTER_UFUNC[mode]
    if is_numpy(xp) or out.dtype in _ATOMIC.get(mode, ()):
        getattr(xp, name).at(out, idx, updates)  # CuPy: cupyx.scatter_add/max/min
        return
    _scatter_rounds(xp, out, idx, updates, getattr(xp, name))


def _scatter_rounds(xp: Any, out: Any, idx: tuple, updates: Any, ufunc: Any) -> None:
    """``ufunc.at`` without it: the k-th update of each target goes in round k, so that no
    round writes one element twice (plain fancy-index assignment is then exact)."""
    if not idx or idx[0].size == 0:
        return
    shape = idx[0].shape
    dims = tuple(int(d) for d in out.shape[:len(idx)])
    flat = [xp.reshape(i, (-1,)) for i in idx]
    key = xp.ravel_multi_index(tuple(flat), dims) if len(flat) > 1 else flat[0]
    order = xp.argsort(key, kind="stable")
    key_sorted = key[order]
    first = xp.searchsorted(key_sorted, key_sorted, side="left")
    rank = xp.empty_like(order)
    rank[order] = xp.arange(order.size, dtype=order.dtype) - first
    ups = xp.reshape(updates, (order.size, *updates.shape[len(shape):]))
    for r in range(int(rank.max()) + 1):
        sel = xp.nonzero(rank == r)[0]
        target = tuple(i[sel] for i in flat)
        out[target] = ufunc(out[target], ups[sel])


def cumulative_extremum(xp: Any, x: Any, axis: int, mode: str) -> Any:
    """Running maximum (``mode="max"``) or minimum along ``axis``.

    NumPy has ``maximum.accumulate``; CuPy does not, so elsewhere it is a scan by doubling
    (Hillis–Steele): log2(n) elementwise steps.

    Examples:
        >>> cumulative_extremum(np, np.array([1, 3, 2, 5, 4]), 0, "max")
        array([1, 3, 3, 5, 5])
    """
    fn = xp.maximum if mode == "max" else xp.minimum
    if is_numpy(xp):
        return fn.accumulate(x, axis=axis)
    def along(s: slice) -> tuple:
        return (slice(None),) * axis + (s,)

    out, n, step = x, x.shape[axis], 1
    while step < n:  # out[i] = fn(out[i], out[i - step]) for i >= step, all at once
        shifted = fn(out[along(slice(step, None))], out[along(slice(None, n - step))])
        out = xp.concatenate([out[along(slice(0, step))], shifted], axis=axis)
        step *= 2
    return out


def linalg_errors(xp: Any) -> Any:
    """A context in which a failed factorization raises ``numpy.linalg.LinAlgError``.

    NumPy always raises; CuPy checks the solver's status (one synchronization) only inside
    ``cupyx.errstate(linalg="raise")``, and otherwise returns garbage for, e.g., the
    Cholesky factor of an indefinite matrix.
    """
    if is_cupy(xp):
        import cupyx

        return cupyx.errstate(linalg="raise")
    return contextlib.nullcontext()


def population_count(xp: Any, x: Any) -> Any:
    """Set bits of each integer's two's-complement pattern (NumPy's ``bitwise_count`` counts
    those of ``|x|``, so signed values are viewed as unsigned first)."""
    bits = x.dtype.itemsize * 8
    u = x.view(np.dtype(f"uint{bits}")) if x.dtype.kind == "i" else x
    if hasattr(xp, "bitwise_count"):
        return xp.bitwise_count(u).astype(x.dtype)
    count = xp.zeros(u.shape, dtype=u.dtype)
    for _ in range(bits):  # NumPy < 2 and CuPy: one shift per bit
        count = count + (u & 1)
        u = u >> 1
    return count.astype(x.dtype)


_erf_vec = np.vectorize(math.erf, otypes=[np.float64])


def erf(xp: Any, x: Any) -> Any:
    """The error function, from SciPy (or cupyx.scipy) when present, else exact per element."""
    try:
        if getattr(xp, "__name__", "") == "cupy":
            from cupyx.scipy.special import erf as cerf

            return cerf(x)
        from scipy.special import erf as serf
    except ImportError:
        return xp.asarray(_erf_vec(_host(x))).astype(x.dtype)
    return xp.asarray(serf(_host(x))).astype(x.dtype)


def erf_inv(xp: Any, x: Any) -> Any:
    """The inverse error function."""
    try:
        if getattr(xp, "__name__", "") == "cupy":
            from cupyx.scipy.special import erfinv

            return erfinv(x)
        from scipy.special import erfinv as serfinv
    except ImportError:
        return _erfinv_newton(xp, x)
    return xp.asarray(serfinv(_host(x))).astype(x.dtype)


def _erfinv_newton(xp: Any, x: Any) -> Any:
    # Winitzki's closed-form approximation (error ~2e-3), refined by Newton steps on erf.
    a = 0.147
    ln = xp.log((1.0 - x) * (1.0 + x))
    b = 2.0 / (math.pi * a) + ln / 2.0
    y = xp.sign(x) * xp.sqrt(xp.sqrt(b * b - ln / a) - b)
    for _ in range(4):
        y = y - (erf(xp, y) - x) / (2.0 / math.sqrt(math.pi) * xp.exp(-y * y))
    return y


def _host(x: Any) -> Any:
    # SciPy needs host arrays: the strict backend's arrays hand theirs over explicitly.
    return x.get() if hasattr(x, "get") and not isinstance(x, np.ndarray) else x


def quiet(impl: Any) -> Any:
    """``impl`` with NumPy's floating-point warnings turned off.

    Like JAX (and CuPy), funcdiff returns inf and NaN without printing warnings;
    ``fd.config.update("debug_nans", True)`` is the way to stop at the first NaN.
    """

    def run(xp: Any, *args: Any, **params: Any) -> Any:
        if getattr(xp, "__name__", "") == "cupy":
            return impl(xp, *args, **params)
        with np.errstate(all="ignore"):
            return impl(xp, *args, **params)

    run.__wrapped__ = impl  # type: ignore[attr-defined]
    return run
