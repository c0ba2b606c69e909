"""Convolution: ``conv_general_dilated_p`` with all its rules, and ``lax.conv_general_dilated``,
``lax.conv``, ``lax.conv_with_general_padding``, ``ConvDimensionNumbers``,
``conv_dimension_numbers`` and ``conv_general_permutations`` (as in ``jax.lax``).

Like XLA's (and PyTorch's) convolution this is a cross-correlation: the kernel is not
flipped. The implementation brings the operands to the layouts ``(N, C, *spatial)`` and
``(O, I, *window)``. On a device (CuPy, and the strict backend that models it) each call
costs launch time that small arrays do not repay, so there im2col is one gather: a
``take`` of precomputed flat positions (kept on the device, one set per geometry) from the
unpadded input, the padding and ``lhs_dilation``'s holes zeroed in place, then one matrix
product (a plain 2-D one after a copy that puts the batch beside the windows, for one
group; a batched one for several) — three or four kernels per convolution. On NumPy, which
runs strided copies faster than a gather, the input is padded and spread (``lhs_dilation`` is
interior padding) and then, chosen by measurement (a small CNN's forward pass and both
gradients):

* im2col: the windows gathered with one strided slice per kernel offset (``rhs_dilation``
  spaces the offsets, the strides step the slices), everything contracted with one batched
  matmul over the feature groups — the general case;
* shifts, for stride 1 with fewer output than input features (the input's gradient of a
  layer that widens): each offset's ``(O, C)`` kernel slice times the whole padded input in
  one matmul, then the products summed, each shifted by its offset in the flattened input —
  no copy of the wider input per offset (about 1.5x faster there);
* im2col by windows, when the "kernel" is larger than the output (the kernel's gradient).

The strategies themselves live in :mod:`funcdiff.lax._conv_im2col`.

The primitive is bilinear: its JVP is the product rule, and both transposes are
convolutions again (the input's a convolution of the cotangent with the flipped, in/out
swapped kernel; the kernel's a convolution of the input with the cotangent as kernel), so
derivatives of any order come out as convolutions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitive import Primitive, ShapeError
from ..transforms.ad_rules import defbilinear
from ..transforms.batching_rules import batch_rules, moveaxis
from ._conv_im2col import (
    conv_by_gather,
    conv_by_offsets,
    conv_by_shifts,
    conv_by_windows,
)
from ._family import check_dtype
from ._operands import operands
from .windowed import (
    check_ints,
    check_pairs,
    dilate_dim,
    few_calls,
    pad_dilate,
    padtype_to_pads,
    window_out_size,
)

__all__ = [
    "ConvDimensionNumbers",
    "conv",
    "conv_dimension_numbers",
    "conv_general_dilated",
    "conv_general_dilated_p",
    "conv_general_permutations",
    "conv_with_general_padding",
]

class ConvDimensionNumbers(NamedTuple):
    """Where the logical axes of a convolution live, as axis indices.

    ``lhs_spec = (batch, feature, *spatial)``, ``rhs_spec = (out feature, in feature,
    *spatial)``, ``out_spec = (batch, feature, *spatial)`` (as ``jax.lax``'s).

    Examples:
        >>> from funcdiff import lax
        >>> lax.conv_dimension_numbers((1, 5, 5, 3), (3, 3, 3, 8), ("NHWC", "HWIO", "NHWC"))
        ConvDimensionNumbers(lhs_spec=(0, 3, 1, 2), rhs_spec=(3, 2, 0, 1), out_spec=(0, 3, 1, 2))
    """

    lhs_spec: tuple[int, ...]
    rhs_spec: tuple[int, ...]
    out_spec: tuple[int, ...]


def conv_general_permutations(dimension_numbers: Sequence[str]) -> tuple[tuple[int, ...], ...]:
    """Axis permutations for layout strings such as ``("NCHW", "OIHW", "NCHW")``.

    ``N``/``C`` (``O``/``I`` for the kernel) name the batch and feature axes; every other
    letter is a spatial axis, matched by letter across the three strings. Spatial axes are
    taken in the order the kernel string lists them.

    Args:
        dimension_numbers: three layout strings (input, kernel, output).

    Returns:
        ``(lhs_perm, rhs_perm, out_perm)``.

    Raises:
        TypeError: when a string lacks its two special letters, repeats a letter, or the
            spatial letters differ between the strings.

    Examples:
        >>> from funcdiff import lax
        >>> lax.conv_general_permutations(("NHWC", "HWIO", "NHWC"))
        ((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    """
    lhs, rhs, out = dimension_numbers
    pairs = (("N", "C"), ("O", "I"), ("N", "C"))
    for what, spec, (a, b) in zip(("input", "kernel", "output"), dimension_numbers, pairs):
        if spec.count(a) != 1 or spec.count(b) != 1 or len(set(spec)) != len(spec):
            raise TypeError(
                f"conv dimension_numbers: the {what} layout {spec!r} must name {a!r} and {b!r} "
                "once each and repeat no letter, e.g. ('NCHW', 'OIHW', 'NCHW')"
            )
    spatial = [set(s) - set(p) for s, p in zip(dimension_numbers, pairs)]
    if not spatial[0] == spatial[1] == spatial[2]:
        raise TypeError(
            f"conv dimension_numbers {tuple(dimension_numbers)!r}: the spatial letters of the "
            "input, kernel and output layouts must be the same"
        )
    order = [c for c in rhs if c not in "OI"]

    def perm(spec: str, pair: tuple[str, str]) -> tuple[int, ...]:
        return (spec.index(pair[0]), spec.index(pair[1]), *(spec.index(c) for c in order))

    return perm(lhs, pairs[0]), perm(rhs, pairs[1]), perm(out, pairs[2])


def conv_dimension_numbers(lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                           dimension_numbers: Any) -> ConvDimensionNumbers:
    """``dimension_numbers`` (None, three layout strings, or three axis tuples) as a
    :class:`ConvDimensionNumbers` for operands of these shapes.

    ``None`` means ``NC…``/``OI…``/``NC…`` (PyTorch's layout).

    Args:
        lhs_shape: the input's shape.
        rhs_shape: the kernel's shape.
        dimension_numbers: ``None``, a ``ConvDimensionNumbers``, layout strings like
            ``("NHWC", "HWIO", "NHWC")``, or three tuples of axis indices.

    Returns:
        The canonical :class:`ConvDimensionNumbers`.

    Raises:
        TypeError: for a malformed ``dimension_numbers``.
        ShapeError: when the operands' ranks differ or do not fit the layouts.

    Examples:
        >>> from funcdiff import lax
        >>> lax.conv_dimension_numbers((2, 3, 8), (4, 3, 3), None)
        ConvDimensionNumbers(lhs_spec=(0, 1, 2), rhs_spec=(0, 1, 2), out_spec=(0, 1, 2))
    """
    n = len(lhs_shape)
    if len(rhs_shape) != n or n < 2:
        raise ShapeError(
            f"conv needs an input and a kernel of the same rank >= 2 (batch, feature, "
            f"*spatial), got shapes {tuple(lhs_shape)} and {tuple(rhs_shape)}"
        )
    if dimension_numbers is None:
        iota = tuple(range(n))
        return ConvDimensionNumbers(iota, iota, iota)
    try:
        specs = tuple(dimension_numbers)
        if len(specs) != 3:
            raise ValueError
    except (TypeError, ValueError):
        raise TypeError(
            f"conv dimension_numbers must be None, three layout strings like "
            f"('NCHW', 'OIHW', 'NCHW') or three tuples of axes, got {dimension_numbers!r}"
        ) from None
    if all(isinstance(s, str) for s in specs):
        for what, s in zip(("input", "kernel", "output"), specs):
            if len(s) != n:
                raise ShapeError(f"conv: the {what} layout {s!r} has {len(s)} letters for "
                                 f"operands of rank {n} (shapes {tuple(lhs_shape)}, "
                                 f"{tuple(rhs_shape)})")
        specs = conv_general_permutations(specs)
    out = []
    for what, s in zip(("lhs_spec", "rhs_spec", "out_spec"), specs):
        try:
            axes = tuple(int(a) for a in s)
        except (TypeError, ValueError):
            raise TypeError(
                f"conv dimension_numbers: {what} {s!r} is not a tuple of axes") from None
        if sorted(axes) != list(range(n)):
            raise ShapeError(f"conv dimension_numbers: {what} {axes} is not a permutation of "
                             f"the {n} axes of shapes {tuple(lhs_shape)} and {tuple(rhs_shape)}")
        out.append(axes)
    return ConvDimensionNumbers(*out)


# --- the primitive -------------------------------------------------------------------------

conv_general_dilated_p = Primitive("conv_general_dilated")


def _conv_impl(xp: Any, lhs: Any, rhs: Any, *, window_strides, padding, lhs_dilation,
               rhs_dilation, dimension_numbers, feature_group_count, batch_group_count,
               preferred_element_type) -> Any:
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    x = lhs if _is_iota(lhs_spec) else xp.transpose(lhs, lhs_spec)  # (N, C, *spatial)
    w = rhs if _is_iota(rhs_spec) else xp.transpose(rhs, rhs_spec)  # (O, I, *window)
    if preferred_element_type is not None:
        x, w = x.astype(preferred_element_type), w.astype(preferred_element_type)
    window = w.shape[2:]
    out_sp = tuple(window_out_size(dilate_dim(n, ld) + lo + hi, dilate_dim(k, d), s)
                   for n, (lo, hi), ld, k, d, s in zip(x.shape[2:], padding, lhs_dilation,
                                                       window, rhs_dilation, window_strides))
    n, c = x.shape[:2]
    g, b = feature_group_count, batch_group_count
    if 0 in (math.prod(out_sp), math.prod(window), c, math.prod(x.shape[2:])):
        # (with no input elements every window reads padding only)
        out = xp.zeros((n // b, w.shape[0], *out_sp), dtype=x.dtype)
    elif few_calls(xp):
        out = conv_by_gather(xp, x, w, window_strides, padding, lhs_dilation, rhs_dilation,
                              out_sp, g, b)
    else:
        x = pad_dilate(xp, x, ((0, 0), (0, 0), *padding), (1, 1, *lhs_dilation), 0)
        if (math.prod(window) <= math.prod(out_sp) and g == b == 1 and w.shape[0] < c
                and all(s == 1 for s in window_strides) and math.prod(window) > 1):
            out = conv_by_shifts(xp, x, w, rhs_dilation, out_sp)
        elif math.prod(window) <= math.prod(out_sp):
            out = conv_by_offsets(xp, x, w, window_strides, rhs_dilation, out_sp, g, b)
        else:
            out = conv_by_windows(xp, x, w, window_strides, rhs_dilation, out_sp, g, b)
    return out if _is_iota(out_spec) else xp.transpose(out, _inverse(out_spec))


def _is_iota(perm: Sequence[int]) -> bool:
    return all(a == k for k, a in enumerate(perm))


def _inverse(perm: Sequence[int]) -> tuple[int, ...]:
    inv = [0] * len(perm)
    for k, a in enumerate(perm):
        inv[a] = k
    return tuple(inv)


def _conv_shape(lhs: ShapedArray, rhs: ShapedArray, *, window_strides, padding, lhs_dilation,
                rhs_dilation, dimension_numbers, feature_group_count, batch_group_count,
                preferred_element_type) -> ShapedArray:
    check_dtype("conv_general_dilated", lhs, frozenset("iufc"))
    if lhs.dtype != rhs.dtype:
        raise TypeError(
            f"conv_general_dilated needs one dtype, got lhs {lhs.str_short()} and rhs "
            f"{rhs.str_short()}; convert one with .astype(...)"
        )
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    if lhs.ndim != rhs.ndim or len(lhs_spec) != lhs.ndim:
        raise ShapeError(f"lhs {lhs.str_short()} and rhs {rhs.str_short()} must have the rank "
                         f"of dimension_numbers {dimension_numbers}")
    nsp = lhs.ndim - 2
    for what, v in (("window_strides", window_strides), ("padding", padding),
                    ("lhs_dilation", lhs_dilation), ("rhs_dilation", rhs_dilation)):
        if len(v) != nsp:
            raise ShapeError(f"{what} {v} needs one entry per spatial axis ({nsp}) of "
                             f"lhs {lhs.str_short()}")
    g, b = feature_group_count, batch_group_count
    if g < 1 or b < 1 or (g > 1 and b > 1):
        raise ValueError(f"feature_group_count ({g}) and batch_group_count ({b}) must be >= 1, "
                         "and at most one of them > 1")
    n, c = lhs.shape[lhs_spec[0]], lhs.shape[lhs_spec[1]]
    o, i = rhs.shape[rhs_spec[0]], rhs.shape[rhs_spec[1]]
    shapes = f"lhs {lhs.str_short()}, rhs {rhs.str_short()}, dimension_numbers {dimension_numbers}"
    if c != i * g:
        raise ShapeError(
            f"the input has {c} features but the kernel takes {i} per group x "
            f"feature_group_count {g} = {i * g} ({shapes}); the kernel's in-feature axis must "
            "be the input's features divided by feature_group_count"
        )
    if o % g:
        raise ShapeError(f"the kernel's {o} output features do not split into "
                         f"feature_group_count={g} groups ({shapes})")
    if n % b or o % b:
        raise ShapeError(f"batch_group_count={b} must divide the batch size {n} and the kernel's "
                         f"{o} output features ({shapes})")
    spatial_in = [lhs.shape[a] for a in lhs_spec[2:]]
    window = [rhs.shape[a] for a in rhs_spec[2:]]
    out_sp = []
    for sz, k, s, (lo, hi), ld, rd in zip(spatial_in, window, window_strides, padding,
                                          lhs_dilation, rhs_dilation):
        padded = dilate_dim(sz, ld) + lo + hi
        if padded < 0:
            raise ShapeError(f"padding {padding} crops more than the input holds ({shapes})")
        out_sp.append(window_out_size(padded, dilate_dim(k, rd), s))
    canon = (n // b, o, *out_sp)
    shape = [0] * lhs.ndim
    for src, dst in enumerate(out_spec):
        shape[dst] = canon[src]
    dt = preferred_element_type or lhs.dtype
    return ShapedArray(tuple(shape), dt, lhs.weak_type and rhs.weak_type)


# --- transposes: convolutions again ----------------------------------------------------------


def _swap(spec: Sequence[int]) -> tuple[int, ...]:
    return (spec[1], spec[0], *spec[2:])


def _fold(x: Any, src: int, dst: int, groups: int) -> Any:
    """Split axis ``src`` into ``(groups, rest)`` and fold ``groups`` into axis ``dst`` as its
    major part; every other axis keeps its place."""
    from .shapes import reshape, transpose

    shape = list(x.shape)
    y = reshape(x, (*shape[:src], groups, shape[src] // groups, *shape[src + 1:]))
    dst_y = dst if dst < src else dst + 1
    perm = [a for a in range(y.ndim) if a != src]
    pos = perm.index(dst_y)
    perm.insert(pos, src)
    y = transpose(y, tuple(perm))
    shape[src] //= groups
    shape[dst] *= groups
    return reshape(y, tuple(shape))


def _spatial(shape: Sequence[int], spec: Sequence[int]) -> list[int]:
    return [shape[a] for a in spec[2:]]


def _as(x: Any, dtype: np.dtype) -> Any:
    from .elementwise import convert_element_type

    return x if x.dtype == dtype else convert_element_type(x, dtype)


def _conv_transpose_lhs(ct: Any, lhs_aval: ShapedArray, rhs: Any, *, window_strides, padding,
                        lhs_dilation, rhs_dilation, dimension_numbers, feature_group_count,
                        batch_group_count, preferred_element_type) -> Any:
    from .shapes import rev

    lhs_spec, rhs_spec, out_spec = dimension_numbers
    g, b = feature_group_count, batch_group_count
    ct = _as(ct, lhs_aval.dtype)
    # Input element i sits at lo + i*lhs_dilation; output j's offset k reads j*stride +
    # k*rhs_dilation. So the input's cotangent reads the stride-spread cotangent with the
    # flipped kernel, stepping lhs_dilation (as the sum-pooling transpose in windowed.py).
    pads = []
    for sz, k, m, (lo, _), s, ld, rd in zip(
            _spatial(lhs_aval.shape, lhs_spec), _spatial(rhs.shape, rhs_spec),
            _spatial(ct.shape, out_spec), padding, window_strides, lhs_dilation, rhs_dilation):
        kd = dilate_dim(k, rd)
        before = kd - 1 - lo
        pads.append((before, dilate_dim(sz, ld) + kd - 1 - dilate_dim(m, s) - before))
    groups = max(g, b)
    w = rhs
    if groups > 1:
        # The kernel's output features (G, O/G) become input features of the transposed
        # convolution: move the group factor over to the in-feature axis.
        w = _fold(w, rhs_spec[0], rhs_spec[1], groups)
    w = rev(w, rhs_spec[2:])
    out = conv_general_dilated_p.bind(
        ct, w, window_strides=lhs_dilation, padding=tuple(pads), lhs_dilation=window_strides,
        rhs_dilation=rhs_dilation,
        dimension_numbers=ConvDimensionNumbers(out_spec, _swap(rhs_spec), lhs_spec),
        feature_group_count=groups, batch_group_count=1, preferred_element_type=None)
    if b > 1:
        # Features came out as (B, C): the batch groups go back to the batch axis.
        out = _fold(out, lhs_spec[1], lhs_spec[0], b)
    return out


def _conv_transpose_rhs(ct: Any, lhs: Any, rhs_aval: ShapedArray, *, window_strides, padding,
                        lhs_dilation, rhs_dilation, dimension_numbers, feature_group_count,
                        batch_group_count, preferred_element_type) -> Any:
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    ct = _as(ct, rhs_aval.dtype)
    # Kernel offset k meets input position j*stride + k*rhs_dilation: a convolution of the
    # input (features as batch, batch as features) with the cotangent as kernel, its window
    # spread by the strides and stepping rhs_dilation. Feature groups become batch groups
    # and the reverse.
    pads = []
    for sz, k, m, (lo, _), s, ld, rd in zip(
            _spatial(lhs.shape, lhs_spec), _spatial(rhs_aval.shape, rhs_spec),
            _spatial(ct.shape, out_spec), padding, window_strides, lhs_dilation, rhs_dilation):
        pads.append((lo, dilate_dim(k, rd) + dilate_dim(m, s) - 1 - lo - dilate_dim(sz, ld)))
    return conv_general_dilated_p.bind(
        lhs, ct, window_strides=rhs_dilation, padding=tuple(pads), lhs_dilation=lhs_dilation,
        rhs_dilation=window_strides,
        dimension_numbers=ConvDimensionNumbers(_swap(lhs_spec), _swap(out_spec),
                                               _swap(rhs_spec)),
        feature_group_count=batch_group_count, batch_group_count=feature_group_count,
        preferred_element_type=None)


# --- batching: fold the vmapped axis into batch, features or groups ---------------------------


def _merge_front(x: Any, axis: int, groups: int = 1) -> Any:
    """Fold leading axis 0 (size V) into ``axis`` (numbered without axis 0), laid out as
    ``(groups, V, rest)``."""
    from .shapes import reshape, transpose

    v, shape = x.shape[0], list(x.shape[1:])
    n = shape[axis]
    y = reshape(x, (v, *shape[:axis], groups, n // groups, *shape[axis + 1:]))
    perm = [*range(1, axis + 2), 0, *range(axis + 2, y.ndim)]
    y = transpose(y, tuple(perm))
    shape[axis] = v * n
    return reshape(y, tuple(shape))


def _split_front(x: Any, axis: int, v: int, groups: int = 1) -> Any:
    """Undo :func:`_merge_front`: ``axis`` laid out as ``(groups, V, rest)`` gives a leading
    axis of size V."""
    from .shapes import reshape, transpose

    shape = list(x.shape)
    n = shape[axis] // v
    y = reshape(x, (*shape[:axis], groups, v, n // groups, *shape[axis + 1:]))
    perm = [axis + 1, *range(axis + 1), *range(axis + 2, y.ndim)]
    y = transpose(y, tuple(perm))
    shape[axis] = n
    return reshape(y, (v, *shape))


def _conv_batch(args, dims, **params):
    (lhs, rhs), (dl, dr) = args, dims
    lhs_spec, rhs_spec, out_spec = params["dimension_numbers"]
    g, b = params["feature_group_count"], params["batch_group_count"]
    if dl is not None and dr is not None:
        # Both batched: each vmapped pair is its own group of features (or of the batch).
        v = lhs.shape[dl]
        lhs, rhs = moveaxis(lhs, dl, 0), moveaxis(rhs, dr, 0)
        if b > 1:
            lhs = _merge_front(lhs, lhs_spec[0])
            params = {**params, "batch_group_count": v * b}
        else:
            lhs = _merge_front(lhs, lhs_spec[1])
            params = {**params, "feature_group_count": v * g}
        rhs = _merge_front(rhs, rhs_spec[0])
        out = conv_general_dilated_p.bind(lhs, rhs, **params)
        return [_split_front(out, out_spec[1], v)], [0]
    if dl is not None:
        # A batched input: more images. Batch groups keep the vmapped axis inside each group.
        v = lhs.shape[dl]
        lhs = _merge_front(moveaxis(lhs, dl, 0), lhs_spec[0], b)
        out = conv_general_dilated_p.bind(lhs, rhs, **params)
        return [_split_front(out, out_spec[0], v)], [0]
    # A batched kernel: more output features, inside each feature (or batch) group.
    v = rhs.shape[dr]
    rhs = _merge_front(moveaxis(rhs, dr, 0), rhs_spec[0], g * b)
    out = conv_general_dilated_p.bind(lhs, rhs, **params)
    return [_split_front(out, out_spec[1], v, g * b)], [0]


conv_general_dilated_p.def_impl(_conv_impl)
# Its result is never a view of an operand: jit's generated code may write over it.
conv_general_dilated_p.returns_new_buffer = True  # type: ignore[attr-defined]
conv_general_dilated_p.def_abstract_eval(_conv_shape)
defbilinear(conv_general_dilated_p, _conv_transpose_lhs, _conv_transpose_rhs)
batch_rules[conv_general_dilated_p] = _conv_batch


# --- public functions ----------------------------------------------------------------------


def conv_general_dilated(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: Any,
                         lhs_dilation: Sequence[int] | None = None,
                         rhs_dilation: Sequence[int] | None = None,
                         dimension_numbers: Any = None, feature_group_count: int = 1,
                         batch_group_count: int = 1, precision: Any = None,
                         preferred_element_type: Any = None) -> Any:
    """General n-d convolution (cross-correlation), as ``jax.lax.conv_general_dilated``.

    Args:
        lhs: the input, e.g. ``(N, C, H, W)``.
        rhs: the kernel, e.g. ``(O, C // feature_group_count, KH, KW)``.
        window_strides: the step per spatial axis.
        padding: ``"SAME"``, ``"SAME_LOWER"``, ``"VALID"`` or ``(low, high)`` pairs per
            spatial axis (negative values crop).
        lhs_dilation: spread the input's elements (a transposed convolution); default 1.
        rhs_dilation: spread the kernel's elements (atrous convolution); default 1.
        dimension_numbers: ``None`` (``NCHW``/``OIHW``/``NCHW``), layout strings such as
            ``("NHWC", "HWIO", "NHWC")``, or a :class:`ConvDimensionNumbers`.
        feature_group_count: split the features into this many independent groups
            (``C`` for a depthwise convolution).
        batch_group_count: split the batch into this many groups, each meeting its own
            slice of output features (what a grouped kernel's gradient needs).
        precision: accepted for compatibility; NumPy computes at the dtype's precision.
        preferred_element_type: the result (and accumulation) dtype.

    Returns:
        The convolution, laid out as ``dimension_numbers``' output spec says.

    Raises:
        TypeError: for mixed dtypes or malformed dimension numbers.
        ValueError: for feature/group mismatches, bad padding, or strides and dilations
            without one positive entry per spatial axis.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> x = fnp.arange(5.0).reshape(1, 1, 5)
        >>> k = fnp.array([[[1.0, 0.0, -1.0]]])
        >>> lax.conv_general_dilated(x, k, (1,), "VALID")
        Array([[[-2., -2., -2.]]], dtype=float32)
        >>> lax.conv_general_dilated(fnp.ones((2, 8, 8, 3)), fnp.ones((3, 3, 3, 4)), (2, 2),
        ...                          "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")).shape
        (2, 4, 4, 4)
    """
    del precision  # NumPy has one precision per dtype
    lhs, rhs = operands(lhs, rhs)
    name = "conv_general_dilated"
    dn = conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
    nsp = lhs.ndim - 2
    strides = check_ints(name, "window_strides", window_strides, nsp)
    ld = check_ints(name, "lhs_dilation", lhs_dilation or (1,) * nsp, nsp)
    rd = check_ints(name, "rhs_dilation", rhs_dilation or (1,) * nsp, nsp)
    if isinstance(padding, str):
        if any(d != 1 for d in ld):
            raise ValueError(
                f"{name}: string padding {padding!r} is not defined with lhs_dilation {ld} (a "
                "transposed convolution): pass explicit (low, high) pairs"
            )
        window = [dilate_dim(rhs.shape[a], r) for a, r in zip(dn.rhs_spec[2:], rd)]
        pads = tuple(padtype_to_pads([lhs.shape[a] for a in dn.lhs_spec[2:]], window, strides,
                                     padding))
    else:
        pads = check_pairs(name, padding, nsp)
    for what, v in (("feature_group_count", feature_group_count),
                    ("batch_group_count", batch_group_count)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name}: {what} must be a positive integer, got {v!r}")
    pet = None if preferred_element_type is None else dtypes.canonicalize(preferred_element_type)
    if pet is not None and pet == lhs.dtype:
        pet = None
    return conv_general_dilated_p.bind(
        lhs, rhs, window_strides=strides, padding=pads, lhs_dilation=ld, rhs_dilation=rd,
        dimension_numbers=dn, feature_group_count=int(feature_group_count),
        batch_group_count=int(batch_group_count), preferred_element_type=pet)


def conv(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: Any, precision: Any = None,
         preferred_element_type: Any = None) -> Any:
    """Convolution of an ``NC…`` input with an ``OI…`` kernel (as ``jax.lax.conv``).

    Args:
        lhs: the input ``(N, C, *spatial)``.
        rhs: the kernel ``(O, C, *window)``.
        window_strides: the step per spatial axis.
        padding: ``"SAME"``, ``"SAME_LOWER"``, ``"VALID"`` or ``(low, high)`` pairs.
        precision: accepted for compatibility.
        preferred_element_type: the result dtype.

    Returns:
        The ``(N, O, *spatial_out)`` result.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> lax.conv(fnp.ones((1, 2, 4, 4)), fnp.ones((3, 2, 3, 3)), (1, 1), "VALID")[0, :, 0, 0]
        Array([18., 18., 18.], dtype=float32)
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs: Any, rhs: Any, window_strides: Sequence[int], padding: Any,
                              lhs_dilation: Sequence[int] | None,
                              rhs_dilation: Sequence[int] | None, precision: Any = None,
                              preferred_element_type: Any = None) -> Any:
    """Dilated ``NC…``/``OI…`` convolution (as ``jax.lax.conv_with_general_padding``).

    Args:
        lhs: the input ``(N, C, *spatial)``.
        rhs: the kernel ``(O, C, *window)``.
        window_strides: the step per spatial axis.
        padding: ``(low, high)`` pairs, or a padding string.
        lhs_dilation: the input's dilation (or None).
        rhs_dilation: the kernel's dilation (or None).
        precision: accepted for compatibility.
        preferred_element_type: the result dtype.

    Returns:
        The ``(N, O, *spatial_out)`` result.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> lax.conv_with_general_padding(fnp.ones((1, 1, 5)), fnp.ones((1, 1, 2)), (1,),
        ...                               [(0, 0)], None, (2,))
        Array([[[2., 2., 2.]]], dtype=float32)
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)
