"""How a convolution is computed: im2col strategies for ``conv_general_dilated_p``'s
implementation (see :mod:`funcdiff.lax.conv` for which one runs where and why).

Each takes the input ``x`` as ``(N, C, *spatial)`` and the kernel ``w`` as
``(O, I, *window)`` (already padded and dilated where the strategy needs it) and returns
``(N, O, *out)``, possibly as a view.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .windowed import window_slices


def conv_by_gather(xp: Any, x: Any, w: Any, strides: tuple, padding: tuple,
                    lhs_dilation: tuple, rhs_dilation: tuple, out_sp: tuple, g: int,
                    b: int) -> Any:
    """im2col as one gather from the unpadded input (``take`` of precomputed flat
    positions), padding and ``lhs_dilation``'s holes zeroed in place after it, then one
    matrix product (:func:`_plain_matmul` for one group): a few calls where the other paths
    make one per kernel offset or window, and no padded copy of the input.
    ``cols[n, c, k, p]`` is as in :func:`conv_by_offsets`."""
    n, c = x.shape[:2]
    idx, holes = _window_index(x, x.shape[2:], w.shape[2:], strides, padding, lhs_dilation,
                               rhs_dilation, out_sp)
    # Merging the spatial axes is a view whenever they are contiguous among themselves
    # (also under the transposes that the transposed convolutions bring).
    cols = xp.take(xp.reshape(x, (n, c, -1)), idx, axis=2)  # (N, C, K*P)
    if holes is not None:
        xp.copyto(cols, 0, where=holes)
    if g == b == 1:
        return _plain_matmul(xp, cols, w, out_sp)
    return _im2col_matmul(xp, cols, w, out_sp, g, b)


def _plain_matmul(xp: Any, cols: Any, w: Any, out_sp: tuple) -> Any:
    """``cols`` (N, C, K*P) contracted with the kernel as one 2-D product
    ``(O, C*K) @ (C*K, N*P)``, for one group on a device. CuPy's matmul that broadcasts the
    kernel over N costs several times as much at small sizes (on an H200, 210 µs for
    ``(1, 64, 288) @ (128, 1, 288, 16)`` against 34 µs for the same work in 2-D): more than
    the copy that moves N beside P. The result is a transposed view (N, O, *out)."""
    n, c = cols.shape[:2]
    o = w.shape[0]
    ck, p = c * math.prod(w.shape[2:]), math.prod(out_sp)
    rows = xp.reshape(xp.transpose(xp.reshape(cols, (n, ck, p)), (1, 0, 2)), (ck, n * p))
    out = xp.matmul(xp.reshape(w, (o, ck)), rows)  # (O, N*P)
    return xp.transpose(xp.reshape(out, (o, n, *out_sp)), (1, 0, *range(2, 2 + len(out_sp))))


_INDEX_CACHE: dict[tuple, tuple[Any, Any]] = {}
_INDEX_CACHE_SIZE = 64


def _window_index(like: Any, shape: Sequence[int], window: Sequence[int],
                  strides: Sequence[int], padding: Sequence[tuple[int, int]],
                  lhs_dilation: Sequence[int], rhs_dilation: Sequence[int],
                  out: Sequence[int]) -> tuple[Any, Any]:
    """``(positions, holes)`` for :func:`conv_by_gather`: entry ``k * prod(out) + p`` of
    ``positions`` is the flat position, in the input's spatial axes ``shape`` (C order),
    of offset ``k`` (row-major) of window ``p``; ``holes`` (None when there are none) is
    True where that element is padding or a hole of ``lhs_dilation`` instead (its position
    is then 0, any element that exists).

    Both are device arrays of ``like``'s backend on the current device, made once per
    geometry: copying them there on every call would wait for the device.
    """
    from ..backend import backend_of

    be = backend_of(like)
    key = (be.name, be.current_device() if be.multi_device else None, tuple(shape),
           tuple(window), tuple(strides), tuple(padding), tuple(lhs_dilation),
           tuple(rhs_dilation), tuple(out))
    hit = _INDEX_CACHE.get(key)
    if hit is not None:
        return hit
    flat = np.zeros((1, 1), np.intp)
    ok = np.ones((1, 1), bool)
    for size, kk, s, (lo, _), ld, rd, m, pitch in zip(
            shape, window, strides, padding, lhs_dilation, rhs_dilation, out,
            [math.prod(shape[d + 1:]) for d in range(len(shape))]):
        # where offset k of window p lands in the dilated input: offsets vary along the
        # first axis, windows along the second
        q = (np.arange(kk) * rd)[:, None] + (np.arange(m) * s)[None, :] - lo
        here = (q >= 0) & (q <= (size - 1) * ld) & (q % ld == 0)
        src = np.where(here, q // ld, 0)
        flat = (flat[:, None, :, None] + src[None, :, None, :] * pitch).reshape(
            flat.shape[0] * kk, flat.shape[1] * m)
        ok = (ok[:, None, :, None] & here[None, :, None, :]).reshape(flat.shape)
    flat = np.where(ok, flat, 0).reshape(-1)
    holes = None if ok.all() else be.from_host(~ok.reshape(-1))
    if len(_INDEX_CACHE) >= _INDEX_CACHE_SIZE:
        _INDEX_CACHE.pop(next(iter(_INDEX_CACHE)))
    hit = _INDEX_CACHE[key] = (be.from_host(flat), holes)
    return hit


def conv_by_shifts(xp: Any, x: Any, w: Any, rhs_dilation: tuple, out_sp: tuple) -> Any:
    """Stride 1, fewer output than input features (an input's gradient): one matmul of
    every kernel offset's ``(O, C)`` slice with the whole padded input, then the shifted
    products summed — no im2col copy of the larger input.

    With the padded spatial axes flattened (row pitch ``P``), output position ``m`` under
    kernel offset ``k`` reads input position ``m + off_k``: each offset's product is a
    contiguous slab, shifted by ``off_k``. Positions past each row's end are computed and
    never read (the result is a view that skips them).
    """
    n, c = x.shape[:2]
    o = w.shape[0]
    sp = x.shape[2:]
    pitch = [math.prod(sp[d + 1:]) for d in range(len(sp))]
    offs = [sum(k * dl * p for k, dl, p in zip(ks, rhs_dilation, pitch))
            for ks in np.ndindex(*w.shape[2:])]
    length = sum((m - 1) * p for m, p in zip(out_sp, pitch)) + 1
    wk = xp.reshape(xp.transpose(w, (*range(2, w.ndim), 0, 1)), (len(offs) * o, c))
    z = xp.reshape(xp.matmul(wk, xp.reshape(x, (n, c, -1))), (n, len(offs), o, -1))
    res = xp.empty((n, o, out_sp[0] * pitch[0]), dtype=z.dtype)
    acc = res[:, :, :length]
    xp.add(z[:, 0, :, offs[0]:offs[0] + length], z[:, 1, :, offs[1]:offs[1] + length], out=acc)
    for k in range(2, len(offs)):
        xp.add(acc, z[:, k, :, offs[k]:offs[k] + length], out=acc)
    res = xp.reshape(res, (n, o, out_sp[0], *sp[1:]))
    return res[(slice(None), slice(None), slice(None), *(slice(0, m) for m in out_sp[1:]))]


def conv_by_offsets(xp: Any, x: Any, w: Any, strides: tuple, rhs_dilation: tuple,
                     out_sp: tuple, g: int, b: int) -> Any:
    """im2col with one strided copy per kernel offset, then one batched matmul.

    ``cols[n, c, k, p]`` is input element ``(n, c)`` under kernel offset ``k`` of window
    ``p``; the matmul contracts ``(c, k)`` per feature (or batch) group.
    """
    n, c = x.shape[:2]
    k = math.prod(w.shape[2:])
    cols = xp.empty((n, c, k, *out_sp), dtype=x.dtype)
    for j, sl in enumerate(window_slices(x.shape[2:], w.shape[2:], strides, rhs_dilation,
                                         out_sp)):
        cols[:, :, j] = x[(slice(None), slice(None), *sl)]
    return _im2col_matmul(xp, cols, w, out_sp, g, b)


def _im2col_matmul(xp: Any, cols: Any, w: Any, out_sp: tuple, g: int, b: int) -> Any:
    """``cols`` (N, C, K, *out), its trailing axes in any grouping, contracted with the
    kernel over ``(c, k)`` per group."""
    n, c = cols.shape[:2]
    o, i = w.shape[:2]
    k, p = math.prod(w.shape[2:]), math.prod(out_sp)
    if b == 1:
        # groups split C and O; the matmul broadcasts the (G, O/G, I*K) kernel over N.
        cols = xp.reshape(cols, (n, g, (c // g) * k, p))
        out = xp.matmul(xp.reshape(w, (g, o // g, i * k)), cols)  # (N, G, O/G, P)
    else:
        # batch groups split N and O: group j of the batch meets group j of the kernels.
        cols = xp.reshape(cols, (b, n // b, c * k, p))
        out = xp.matmul(xp.reshape(w, (b, 1, o // b, i * k)), cols)  # (B, N/B, O/B, P)
        out = xp.transpose(out, (1, 0, 2, 3))
    return xp.reshape(out, (n // b, o, *out_sp))


def conv_by_windows(xp: Any, x: Any, w: Any, strides: tuple, rhs_dilation: tuple,
                     out_sp: tuple, g: int, b: int) -> Any:
    """im2col with one copy per window, for fewer windows than kernel offsets (a kernel's
    gradient convolves with the whole output as its "kernel").

    ``cols[p, n, c, k]`` is contiguous per window; one matmul per group contracts ``(c, k)``.
    """
    n, c = x.shape[:2]
    o, i = w.shape[:2]
    window = w.shape[2:]
    k, p = math.prod(window), math.prod(out_sp)
    cols = xp.empty((p, n, c, *window), dtype=x.dtype)
    for j, pos in enumerate(np.ndindex(*out_sp)):
        cols[j] = x[(slice(None), slice(None), *(
            slice(q * s, q * s + (kk - 1) * d + 1, d)
            for q, s, kk, d in zip(pos, strides, window, rhs_dilation)))]
    groups = max(g, b)
    wt = xp.transpose(xp.reshape(w, (groups, o // groups, i * k)), (0, 2, 1))  # (G, I*K, O/G)
    if b == 1:
        rows = xp.transpose(xp.reshape(cols, (p * n, g, (c // g) * k)), (1, 0, 2))
        out = xp.reshape(xp.matmul(rows, wt), (g, p, n, o // g))
    else:
        rows = xp.reshape(xp.transpose(xp.reshape(cols, (p, b, n // b, c * k)), (1, 0, 2, 3)),
                          (b, p * (n // b), c * k))
        out = xp.reshape(xp.matmul(rows, wt), (b, p, n // b, o // b))
    out = xp.transpose(out, (2, 0, 3, 1))  # (N/B, G or B, O/G or O/B, P)
    return xp.reshape(out, (n // b, o, *out_sp))
