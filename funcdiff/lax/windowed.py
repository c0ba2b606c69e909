"""Windowed reductions (pooling): ``reduce_window_sum_p``, ``reduce_window_max_p`` and
``reduce_window_min_p`` with all their rules, ``lax.reduce_window``, and the window geometry
convolutions share with them (``padtype_to_pads``, dilation, output sizes).

A window reduction pads its operand with the reduction's identity (``0``, ``-inf``, ``+inf``;
the integer limits for integers), spreads it by ``base_dilation`` (holes hold the identity
too), then reduces every window of ``window_dimensions`` elements spaced ``window_dilation``
apart, stepping ``window_strides`` — XLA's ReduceWindow. The implementation takes one strided
slice of the padded operand per window offset and combines them elementwise: memory stays
that of the output, and nothing loops over the data. On a device (CuPy, strict), max and
min over windows that tile the operand (2×2 pooling with stride 2) are one reduction over
the windows' axes of a reshape instead: one kernel where the slices take one per offset.

Max and min pass derivatives to the element that attains the extremum in each window; on
ties the first one in the window's row-major order wins, as XLA's ``select_and_scatter``
does with a ``>=`` selector. The rules find it with the same strided slices (one compare and
one select per window offset, no gather or scatter), so they trace, batch and differentiate
again like any lax code. When the windows tile the operand (2×2 pooling with stride 2) the
cotangent's pieces are interleaved by concatenation, a few passes over the operand instead
of one padded, added slice per window offset (several times faster for 2×2 windows).
"""

from __future__ import annotations

import builtins
import math
import operator
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..backend.extras import is_numpy
from ..core.array import Array
from ..core.aval import ShapedArray
from ..core.primitive import Primitive, ShapeError
from ..transforms import ad_rules as ad
from ..transforms.ad_rules import UndefinedPrimal, Zero, deflinear
from ..transforms.batching_rules import batch_rules
from ._family import NUMERIC, check_dtype
from ._operands import operands, typed_scalar

__all__ = [
    "padtype_to_pads",
    "reduce_window",
    "reduce_window_max_p",
    "reduce_window_min_p",
    "reduce_window_sum_p",
]

builtin_slice = builtins.slice
Pads = tuple[tuple[int, int], ...]


# --- window geometry (shared with conv.py) ---------------------------------------------------


def dilate_dim(n: int, d: int) -> int:
    """Size of ``n`` elements spread ``d`` apart (``d - 1`` holes between neighbours)."""
    return 0 if n == 0 else 1 + d * (n - 1)


def window_out_size(padded: int, window: int, stride: int) -> int:
    """Number of windows of (dilated) size ``window`` that fit ``padded`` at ``stride``."""
    return 0 if padded < window else (padded - window) // stride + 1


def padtype_to_pads(in_shape: Sequence[int], window_shape: Sequence[int],
                    window_strides: Sequence[int], padding: str) -> list[tuple[int, int]]:
    """The ``(low, high)`` pairs that a padding string means (as ``jax.lax.padtype_to_pads``).

    ``"VALID"`` pads nothing; ``"SAME"`` pads so the output has ``ceil(in / stride)``
    elements, the odd element going high; ``"SAME_LOWER"`` puts it low.

    Args:
        in_shape: the spatial sizes of the input.
        window_shape: the (dilated) window sizes.
        window_strides: the strides.
        padding: ``"SAME"``, ``"SAME_LOWER"`` or ``"VALID"`` (any case).

    Returns:
        A list of ``(low, high)`` pairs, one per spatial axis.

    Raises:
        ValueError: for any other padding string.

    Examples:
        >>> from funcdiff import lax
        >>> lax.padtype_to_pads((5, 6), (3, 3), (2, 2), "SAME")
        [(1, 1), (0, 1)]
    """
    kind = padding.upper() if isinstance(padding, str) else padding
    if kind == "VALID":
        return [(0, 0)] * len(in_shape)
    if kind not in ("SAME", "SAME_LOWER"):
        raise ValueError(
            f"unknown padding {padding!r}: use 'SAME', 'SAME_LOWER', 'VALID' or a sequence of "
            "(low, high) pairs, one per spatial axis"
        )
    pads = []
    for n, w, s in zip(in_shape, window_shape, window_strides, strict=True):
        total = builtins.max((-(-n // s) - 1) * s + w - n, 0)
        lo = total // 2 if kind == "SAME" else total - total // 2
        pads.append((lo, total - lo))
    return pads


def check_pairs(name: str, padding: Any, n: int) -> Pads:
    """``padding`` as a tuple of ``n`` integer ``(low, high)`` pairs, or a teaching error."""
    try:
        pads = tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name}: padding must be 'SAME', 'SAME_LOWER', 'VALID' or a sequence of "
            f"(low, high) integer pairs, got {padding!r}"
        ) from None
    if len(pads) != n:
        raise ValueError(f"{name}: padding {padding!r} has {len(pads)} pairs, expected {n} "
                         "(one per windowed axis)")
    return pads


def check_ints(name: str, what: str, values: Any, n: int, minimum: int = 1) -> tuple[int, ...]:
    """``values`` as a tuple of ``n`` integers ``>= minimum``, or a teaching error."""
    try:
        out = tuple(operator.index(v) for v in values)
    except TypeError:
        raise TypeError(f"{name}: {what} must be a sequence of integers, got {values!r}") from None
    if len(out) != n:
        raise ValueError(f"{name}: {what} {out} has {len(out)} entries, expected {n}")
    if any(v < minimum for v in out):
        raise ValueError(f"{name}: {what} {out} must all be >= {minimum}")
    return out


def pad_dilate(xp: Any, x: Any, pads: Sequence[tuple[int, int]], dilation: Sequence[int],
               value: Any) -> Any:
    """Backend helper: ``x`` spread ``dilation`` apart and padded with ``value``; negative
    pads crop. One buffer, one strided assignment."""
    if all(p == (0, 0) for p in pads) and all(d == 1 for d in dilation):
        return x
    inner = [dilate_dim(n, d) for n, d in zip(x.shape, dilation)]
    full = [builtins.max(lo, 0) + n + builtins.max(hi, 0) for n, (lo, hi) in zip(inner, pads)]
    buf = xp.full(tuple(full), value, dtype=x.dtype)
    buf[tuple(builtin_slice(builtins.max(lo, 0), builtins.max(lo, 0) + n, d)
              for n, (lo, _), d in zip(inner, pads, dilation))] = x
    return buf[tuple(builtin_slice(builtins.max(-lo, 0), f - builtins.max(-hi, 0))
                     for f, (lo, hi) in zip(full, pads))]


def window_slices(shape: Sequence[int], window: Sequence[int], strides: Sequence[int],
                  dilation: Sequence[int], out: Sequence[int]):
    """For each window offset (row-major), the strided slice of the padded operand that holds
    that offset's element of every window."""
    for offs in np.ndindex(*window):
        yield tuple(builtin_slice(o * d, o * d + (m - 1) * s + 1, s) if m else builtin_slice(0, 0)
                    for o, d, s, m in zip(offs, dilation, strides, out))


def few_calls(xp: Any) -> bool:
    """Whether ``xp`` computes on a device (CuPy, or the strict backend that models it),
    where each call costs launch time that small arrays do not repay: there one gather or
    one reduction replaces a slice per window offset. NumPy keeps the slices, which it
    runs faster than a gather or a reduction over small interleaved axes."""
    return not is_numpy(xp)


# --- the primitives ----------------------------------------------------------------------


def _identity(kind: str, dtype: np.dtype) -> Any:
    if kind == "sum":
        return np.zeros((), dtype)[()]
    big = kind == "min"
    if dtype.kind == "f":
        return np.array(np.inf if big else -np.inf, dtype)[()]
    info = np.iinfo(dtype)
    return np.array(info.max if big else info.min, dtype)[()]


def _padded_shape(x: ShapedArray, padding: Pads, base_dilation: tuple) -> tuple[int, ...]:
    return tuple(dilate_dim(n, b) + lo + hi
                 for n, (lo, hi), b in zip(x.shape, padding, base_dilation))


def _out_shape(padded: Sequence[int], window_dimensions: tuple, window_strides: tuple,
               window_dilation: tuple) -> tuple[int, ...]:
    return tuple(window_out_size(p, dilate_dim(w, d), s)
                 for p, w, s, d in zip(padded, window_dimensions, window_strides, window_dilation))


def tiles(window_dimensions: Sequence[int], window_strides: Sequence[int], padding: Pads,
          base_dilation: Sequence[int], window_dilation: Sequence[int]) -> bool:
    """Whether the windows tile the operand (2×2 pooling with stride 2): no padding, no
    dilation, the stride the window's size. Each element is then in at most one window."""
    return (tuple(window_strides) == tuple(window_dimensions)
            and all(p == (0, 0) for p in padding) and all(d == 1 for d in base_dilation)
            and all(d == 1 for d in window_dilation))


def _tile_axes(x: Any, window: Sequence[int], out: Sequence[int]) -> tuple[tuple, Any]:
    """For tiling windows: ``((split shape, window axes), x cut to whole windows)``; the
    split shape gives each windowed axis ``(windows, window)``."""
    shape, axes = [], []
    for m, w in zip(out, window):
        shape.append(m)
        if w > 1:
            axes.append(len(shape))
            shape.append(w)
    whole = tuple(m * w for m, w in zip(out, window))
    if whole != tuple(x.shape):
        x = x[tuple(builtin_slice(0, n) for n in whole)]
    return (tuple(shape), tuple(axes)), x


def _make_reducer(kind: str, combine: Callable[..., Any]) -> Primitive:
    p = Primitive(f"reduce_window_{kind}")

    def impl(xp: Any, x: Any, *, window_dimensions, window_strides, padding, base_dilation,
             window_dilation) -> Any:
        ident = _identity(kind, np.dtype(x.dtype))
        xpd = pad_dilate(xp, x, padding, base_dilation, ident)
        out = _out_shape(xpd.shape, window_dimensions, window_strides, window_dilation)
        if not math.prod(out):
            return xp.full(out, ident, dtype=x.dtype)
        if kind != "sum" and few_calls(xp) and tiles(window_dimensions, window_strides, padding,
                                                        base_dilation, window_dilation):
            # One reduction over the windows' axes of a reshape (max and min are exact in
            # any order; a sum would round differently from the slices' order).
            reduce = xp.amax if kind == "max" else xp.amin
            axes, split = _tile_axes(xpd, window_dimensions, out)
            return reduce(xp.reshape(split, axes[0]), axis=axes[1])
        acc, owned = None, False
        for sl in window_slices(xpd.shape, window_dimensions, window_strides,
                                window_dilation, out):
            if acc is None:
                acc = xpd[sl]
            elif owned:  # accumulate in place into the buffer this loop made
                combine(xp, acc, xpd[sl], out=acc)
            else:
                acc, owned = combine(xp, acc, xpd[sl]), True
        return acc

    def shape_rule(x: ShapedArray, *, window_dimensions, window_strides, padding, base_dilation,
                   window_dilation) -> ShapedArray:
        check_dtype(p.name, x, NUMERIC if kind == "sum" else frozenset("iuf"))
        n = x.ndim
        for what, v in (("window_dimensions", window_dimensions),
                        ("window_strides", window_strides), ("padding", padding),
                        ("base_dilation", base_dilation), ("window_dilation", window_dilation)):
            if len(v) != n:
                raise ShapeError(f"{what} {v} has {len(v)} entries for an operand of rank {n} "
                                 f"({x.str_short()}); give one per axis")
        padded = _padded_shape(x, padding, base_dilation)
        if any(s < 0 for s in padded):
            raise ShapeError(f"padding {padding} crops more than the operand {x.str_short()} "
                             "holds")
        out = _out_shape(padded, window_dimensions, window_strides, window_dilation)
        return ShapedArray(out, x.dtype, x.weak_type)

    def batch(args: Sequence[Any], dims: Sequence[Any], *, window_dimensions, window_strides,
              padding, base_dilation, window_dilation):
        # The batch axis gets a window of one element: each batch entry reduces on its own.
        (x,), (d,) = args, dims

        def ins(t: tuple, v: Any) -> tuple:
            return (*t[:d], v, *t[d:])

        out = p.bind(x, window_dimensions=ins(window_dimensions, 1),
                     window_strides=ins(window_strides, 1), padding=ins(padding, (0, 0)),
                     base_dilation=ins(base_dilation, 1), window_dilation=ins(window_dilation, 1))
        return [out], [d]

    p.def_impl(impl)
    p.def_abstract_eval(shape_rule)
    batch_rules[p] = batch
    return p


reduce_window_sum_p = _make_reducer("sum", lambda xp, a, b, **kw: xp.add(a, b, **kw))


def _vjp_lhs_pads(in_shape: Sequence[int], window: Sequence[int], strides: Sequence[int],
                  out_shape: Sequence[int], padding: Pads, lhs_dilation: Sequence[int],
                  rhs_dilation: Sequence[int]) -> list[tuple[int, int]]:
    """Padding of the strides-dilated cotangent for the transposed window operation.

    Input element ``i`` sits at ``lo + i * lhs_dilation``; window offset ``k`` of output ``j``
    reads ``j * stride + k * rhs_dilation``. Reading the cotangent (dilated by the strides)
    with the flipped window needs ``dilated_window - 1 - lo`` elements in front, and enough
    behind that exactly ``in_shape`` outputs come out.
    """
    pads = []
    for n, w, s, m, (lo, _), ld, rd in zip(in_shape, window, strides, out_shape, padding,
                                           lhs_dilation, rhs_dilation):
        wd = dilate_dim(w, rd)
        before = wd - 1 - lo
        pads.append((before, dilate_dim(n, ld) + wd - 1 - dilate_dim(m, s) - before))
    return pads


def _reduce_window_sum_transpose(ct: Any, x: Any, *, window_dimensions, window_strides, padding,
                                 base_dilation, window_dilation) -> list:
    # Each input element receives the sum of the cotangents of the windows holding it: the
    # cotangent spread by the strides, padded, summed over windows stepping base_dilation.
    from .shapes import full, pad

    aval = x.aval
    if ct.size == 0 or aval.size == 0:
        return [full(aval.shape, 0, aval.dtype)]
    pads = _vjp_lhs_pads(aval.shape, window_dimensions, window_strides, ct.shape, padding,
                         base_dilation, window_dilation)
    cfg = [(lo, hi, s - 1) for (lo, hi), s in zip(pads, window_strides)]
    spread = pad(ct, typed_scalar(0, ct.dtype), cfg)
    one = (1,) * aval.ndim
    out = reduce_window_sum_p.bind(spread, window_dimensions=window_dimensions,
                                   window_strides=base_dilation,
                                   padding=((0, 0),) * aval.ndim, base_dilation=one,
                                   window_dilation=window_dilation)
    return [out]


deflinear(reduce_window_sum_p, _reduce_window_sum_transpose)

reduce_window_max_p = _make_reducer("max", lambda xp, a, b, **kw: xp.maximum(a, b, **kw))
reduce_window_min_p = _make_reducer("min", lambda xp, a, b, **kw: xp.minimum(a, b, **kw))


class _Selection:
    """Which element of each window takes the derivative, in lax operations (so the rules
    trace, batch and differentiate again).

    One strided slice of the padded operand per window offset lines that offset's element
    up with the output. ``masks[k]`` is True where offset ``k`` holds the window's extremum
    and no earlier offset does: ties go to the first in row-major window order. A window
    whose extremum is NaN passes no derivative.
    """

    def __init__(self, kind: str, x: Any, ans: Any, params: dict) -> None:
        from .elementwise import bitwise_and, bitwise_not, bitwise_or, eq
        from .shapes import slice

        self.cfg = tuple((lo, hi, b - 1) for (lo, hi), b in zip(params["padding"],
                                                                 params["base_dilation"]))
        # Windows that tile the operand (2×2 pooling with stride 2): each element is in at
        # most one window, so the cotangent is one select in an interleaved layout.
        self.tiles = params["window_dimensions"] if (
            params["window_strides"] == params["window_dimensions"]
            and all(c == (0, 0, 0) for c in self.cfg)
            and all(d == 1 for d in params["window_dilation"])) else None
        xpd = self._pad(x, _identity(kind, np.dtype(x.dtype)))
        self.padded_shape = xpd.shape
        self.out_shape = ans.shape
        self.slices, self.masks = [], []
        if not math.prod(ans.shape):
            return
        for offs in np.ndindex(*params["window_dimensions"]):
            start = tuple(o * d for o, d in zip(offs, params["window_dilation"]))
            limit = tuple(a + (m - 1) * s + 1 for a, m, s in zip(start, ans.shape,
                                                                 params["window_strides"]))
            self.slices.append((start, limit, params["window_strides"]))
        taken = None
        for k, sl in enumerate(self.slices):
            hit = eq(slice(xpd, *sl), ans)
            if taken is not None:
                hit = bitwise_and(hit, bitwise_not(taken))
            if k + 1 < len(self.slices):
                taken = hit if taken is None else bitwise_or(taken, hit)
            self.masks.append(hit)

    def _pad(self, x: Any, value: Any) -> Any:
        from .shapes import pad

        if all(c == (0, 0, 0) for c in self.cfg):
            return x
        return pad(x, typed_scalar(value, x.dtype), self.cfg)

    def tangent(self, t: Any) -> Any:
        """The tangent at each window's selected element (linear in ``t``)."""
        from .elementwise import select
        from .shapes import full, slice

        out = full(self.out_shape, 0, t.dtype)
        tpd = self._pad(t, 0)
        for mask, sl in zip(self.masks, self.slices):
            out = select(mask, slice(tpd, *sl), out)
        return out

    def cotangent(self, ct: Any, x_aval: ShapedArray) -> Any:
        """Each window's cotangent added at its selected element (the transpose of
        :meth:`tangent`)."""
        from .elementwise import add, select
        from .shapes import full, pad, pad_p

        if self.tiles is not None and self.slices:
            return self._tiled_cotangent(ct, x_aval)
        zero = typed_scalar(0, ct.dtype)
        total = full(self.padded_shape, 0, ct.dtype) if not self.slices else None
        zeros = full(ct.shape, 0, ct.dtype)
        for mask, (start, limit, strides) in zip(self.masks, self.slices):
            cfg = [(a, n - e, s - 1) for a, e, s, n in zip(start, limit, strides,
                                                            self.padded_shape)]
            part = pad(select(mask, ct, zeros), zero, cfg)
            total = part if total is None else add(total, part)
        if all(c == (0, 0, 0) for c in self.cfg):
            return total
        (out, _) = ad.transpose_rules[pad_p](total, UndefinedPrimal(x_aval), zero,
                                             padding_config=self.cfg)
        return out


    def _tiled_cotangent(self, ct: Any, x_aval: ShapedArray) -> Any:
        """:meth:`cotangent` for windows that tile the operand: each offset's selected
        cotangent (output-sized) is interleaved with the others, one axis at a time, by a
        concatenation along a new axis beside it and a reshape that merges the two. A few
        passes over the operand's size, where adding a padded slice per offset takes many."""
        from .elementwise import select
        from .shapes import concatenate, full, pad, reshape

        win, n = self.tiles, len(self.out_shape)
        zeros = full(ct.shape, 0, ct.dtype)
        parts = {offs: select(mask, ct, zeros)
                 for offs, mask in zip(np.ndindex(*win), self.masks)}
        for d in reversed(range(n)):
            if win[d] == 1:
                continue
            groups: dict[tuple, list] = {}
            for offs, part in sorted(parts.items()):  # offsets along d in order
                groups.setdefault((*offs[:d], 0, *offs[d + 1:]), []).append(part)
            parts = {}
            for key, group in groups.items():
                shape = group[0].shape
                cat = concatenate([reshape(g, (*shape[:d + 1], 1, *shape[d + 1:]))
                                   for g in group], d + 1)
                parts[key] = reshape(cat, (*shape[:d], shape[d] * win[d], *shape[d + 1:]))
        (got,) = parts.values()
        if got.shape != x_aval.shape:  # rows past the last whole window get nothing
            zero = typed_scalar(0, ct.dtype)
            got = pad(got, zero, [(0, s - g, 0) for s, g in zip(x_aval.shape, got.shape)])
        return got


def _extremum_rules(kind: str, p: Primitive) -> None:
    def jvp(primals, tangents, **params):
        (x,), (t,) = primals, tangents
        ans = p.bind(x, **params)
        if type(t) is Zero:
            return [ans], [Zero(ans.aval)]
        return [ans], [_Selection(kind, x, ans, params).tangent(t)]

    def vjp(needs, ct, ans, x, **params):
        return [_Selection(kind, x, ans, params).cotangent(ct, x.aval)]

    ad.jvp_rules[p] = jvp
    ad.vjp_rules[p] = vjp


_extremum_rules("max", reduce_window_max_p)
_extremum_rules("min", reduce_window_min_p)


# --- the public function -------------------------------------------------------------------


def _monoid(computation: Callable) -> str | None:
    from . import elementwise as ew

    known: dict[Any, str] = {ew.add: "sum", operator.add: "sum", ew.max: "max", ew.min: "min"}
    fnp = sys.modules.get("funcdiff.numpy")
    if fnp is not None:  # accept the jax.numpy-style spellings when they are loaded
        for name, kind in (("add", "sum"), ("maximum", "max"), ("minimum", "min")):
            if hasattr(fnp, name):
                known.setdefault(getattr(fnp, name), kind)
    try:
        return known.get(computation)
    except TypeError:  # unhashable callables
        return None


_PRIMS = {"sum": reduce_window_sum_p, "max": reduce_window_max_p, "min": reduce_window_min_p}


def reduce_window(operand: Any, init_value: Any, computation: Callable,
                  window_dimensions: Sequence[int], window_strides: Sequence[int] | None = None,
                  padding: str | Sequence[tuple[int, int]] = "VALID",
                  base_dilation: Sequence[int] | None = None,
                  window_dilation: Sequence[int] | None = None) -> Any:
    """Reduce every window of ``operand`` with ``computation`` (as ``jax.lax.reduce_window``).

    ``computation`` is ``lax.add``, ``lax.max`` or ``lax.min`` (``funcdiff.numpy``'s
    ``add``/``maximum``/``minimum`` too). Each window's reduction starts from
    ``init_value``; padding and the holes of ``base_dilation`` add nothing (as XLA computes
    it). With the reduction's identity (``0``, ``-inf``, ``inf``) this is plain sum/max/min
    pooling.

    Args:
        operand: the array to reduce.
        init_value: a scalar; the identity of ``computation`` for plain pooling.
        computation: ``lax.add``, ``lax.max`` or ``lax.min``.
        window_dimensions: the window's size along every axis of ``operand``.
        window_strides: the step between windows per axis (default 1).
        padding: ``"VALID"``, ``"SAME"``, ``"SAME_LOWER"`` or ``(low, high)`` pairs per axis.
        base_dilation: spread the operand's elements this far apart (default 1).
        window_dilation: spread each window's elements this far apart (default 1).

    Returns:
        The reduced windows, of ``operand``'s dtype.

    Raises:
        TypeError: for any other ``computation``, or several operands.
        ValueError: when the window arguments do not have one entry per axis.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> x = fnp.arange(16.0).reshape(4, 4)
        >>> lax.reduce_window(x, -fnp.inf, lax.max, (2, 2), (2, 2), "VALID")
        Array([[ 5.,  7.],
               [13., 15.]], dtype=float32)
        >>> lax.reduce_window(x, 0.0, lax.add, (1, 3), (1, 1), "SAME")[0]
        Array([1., 3., 6., 5.], dtype=float32)
    """
    if isinstance(operand, (tuple, list)) and any(isinstance(o, Array) for o in operand):
        raise TypeError(
            "reduce_window takes one operand here, got a sequence of arrays: call it once per "
            "operand (reductions over several operands at once are not supported)"
        )
    kind = _monoid(computation)
    if kind is None:
        name = getattr(computation, "__name__", repr(computation))
        raise TypeError(
            f"reduce_window supports computation=lax.add, lax.max or lax.min, got {name}. "
            "Express other window reductions with these (e.g. an average pool is "
            "reduce_window(x, 0., lax.add, ...) divided by the window size)."
        )
    x, init = operands(operand, init_value)
    if getattr(init, "shape", ()) != ():
        raise TypeError(f"reduce_window: init_value must be a scalar, got shape {init.shape}")
    if init.dtype != x.dtype:
        raise TypeError(
            f"reduce_window: init_value has dtype {init.dtype} but the operand has {x.dtype}; "
            f"pass a Python scalar or an array of dtype {x.dtype}"
        )
    n = x.ndim
    name = "reduce_window"
    wdims = check_ints(name, "window_dimensions", window_dimensions, n)
    strides = check_ints(name, "window_strides", window_strides or (1,) * n, n)
    bdil = check_ints(name, "base_dilation", base_dilation or (1,) * n, n)
    wdil = check_ints(name, "window_dilation", window_dilation or (1,) * n, n)
    if isinstance(padding, str):
        pads = tuple(padtype_to_pads(x.shape, [dilate_dim(w, d) for w, d in zip(wdims, wdil)],
                                     strides, padding))
    else:
        pads = check_pairs(name, padding, n)
    params = dict(window_dimensions=wdims, window_strides=strides, padding=pads,
                  base_dilation=bdil, window_dilation=wdil)
    out = _PRIMS[kind].bind(x, **params)
    if _is_identity(init, kind):
        return out
    return _with_init(kind, out, init)


def _is_identity(init: Any, kind: str) -> bool:
    from ..core.array import ArrayImpl
    from ..core.tracing import to_host

    if not isinstance(init, (np.generic, np.ndarray, ArrayImpl)):
        return False  # traced: handled by the general formula
    v = to_host(init) if isinstance(init, ArrayImpl) else np.asarray(init)
    return bool(v == _identity(kind, np.dtype(v.dtype)))


def _with_init(kind: str, out: Any, init: Any) -> Any:
    # Each window's reduction starts from init; padding and dilation holes add nothing (what
    # XLA computes, though its spec describes them as holding init).
    from .elementwise import add, max, min

    return {"sum": add, "max": max, "min": min}[kind](out, init)
