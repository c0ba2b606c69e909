"""Operations whose spelling differs between NumPy and CuPy, dispatched on ``xp``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def scatter(xp: Any, out: Any, idx: tuple, updates: Any, mode: str) -> None:
    """In place: ``out[idx] (mode)= updates`` with repeated indices accumulating."""
    if mode == "set":
        out[idx] = updates
        return
    if getattr(xp, "__name__", "") == "cupy":
        import cupyx

        fn = {"add": cupyx.scatter_add, "max": cupyx.scatter_max, "min": cupyx.scatter_min}
        if mode in fn:
            fn[mode](out, idx, updates)
            return
    ufunc = {"add": xp.add, "mul": xp.multiply, "max": xp.maximum, "min": xp.minimum}[mode]
    ufunc.at(out, idx, updates)


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
