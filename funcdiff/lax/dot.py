"""``dot_general``: every matrix product, batched or not, as one bilinear primitive."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitive import Primitive, ShapeError
from ..transforms.ad_rules import defbilinear
from ..transforms.batching_rules import batch_rules, moveaxis
from ._operands import operands

dot_general_p = Primitive("dot_general")


def _free(ndim: int, contract: Sequence[int], batch: Sequence[int]) -> list[int]:
    return [i for i in range(ndim) if i not in contract and i not in batch]


def _dot_general_impl(xp: Any, lhs: Any, rhs: Any, *, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    lf, rf = _free(lhs.ndim, lc, lb), _free(rhs.ndim, rc, rb)
    if not lb and len(lc) == 1 and lhs.ndim == 2 and rhs.ndim == 2:
        # The common matrix product: transposed views go straight to BLAS.
        a = lhs if lc == (1,) else lhs.T
        b = rhs if rc == (0,) else rhs.T
        return xp.matmul(a, b)
    bsz = [lhs.shape[i] for i in lb]
    m = [lhs.shape[i] for i in lf]
    n = [rhs.shape[i] for i in rf]
    k = math.prod(lhs.shape[i] for i in lc)
    a = xp.reshape(xp.transpose(lhs, (*lb, *lf, *lc)), (math.prod(bsz), math.prod(m), k))
    b = xp.reshape(xp.transpose(rhs, (*rb, *rc, *rf)), (math.prod(bsz), k, math.prod(n)))
    return xp.reshape(xp.matmul(a, b), (*bsz, *m, *n))


def _dot_general_shape(lhs: ShapedArray, rhs: ShapedArray, *, dimension_numbers,
                       preferred_element_type) -> ShapedArray:
    (lc, rc), (lb, rb) = dimension_numbers
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise ShapeError(f"dimension_numbers {dimension_numbers} pair unequal numbers of axes")
    for axes, a in ((lc, lhs), (lb, lhs), (rc, rhs), (rb, rhs)):
        if any(not 0 <= i < a.ndim for i in axes):
            raise ShapeError(f"dimension_numbers {dimension_numbers} out of range for "
                             f"shapes {lhs.shape} and {rhs.shape}")
    for i, j in zip(lc, rc):
        if lhs.shape[i] != rhs.shape[j]:
            raise ShapeError(
                f"contracting axes do not match: lhs {lhs.str_short()} axis {i} has size "
                f"{lhs.shape[i]}, rhs {rhs.str_short()} axis {j} has size {rhs.shape[j]}"
            )
    for i, j in zip(lb, rb):
        if lhs.shape[i] != rhs.shape[j]:
            raise ShapeError(f"batch axes do not match: {lhs.str_short()} and {rhs.str_short()}")
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"dot_general needs one dtype, got {lhs.dtype} and {rhs.dtype}")
    shape = (*(lhs.shape[i] for i in lb), *(lhs.shape[i] for i in _free(lhs.ndim, lc, lb)),
             *(rhs.shape[i] for i in _free(rhs.ndim, rc, rb)))
    dt = preferred_element_type or lhs.dtype
    return ShapedArray(shape, dt, lhs.weak_type and rhs.weak_type)


def _transpose_lhs(ct: Any, x_aval: ShapedArray, y: Any, *, dimension_numbers,
                   preferred_element_type) -> Any:
    (lc, rc), (lb, rb) = dimension_numbers
    nb = len(lb)
    lf = _free(x_aval.ndim, lc, lb)
    rf = _free(y.ndim, rc, rb)
    ct_rf = tuple(range(nb + len(lf), ct.ndim))
    out = dot_general(ct, y, ((ct_rf, tuple(rf)), (tuple(range(nb)), tuple(rb))))
    # out axes: lhs batch, lhs free, then rhs contracting axes in rhs order -> lhs axes.
    rc_sorted = sorted(rc)
    src_axes = [*lb, *lf, *(lc[rc.index(r)] for r in rc_sorted)]
    perm = tuple(np.argsort(src_axes))
    return _cast(transpose_(out, perm), x_aval.dtype)


def _transpose_rhs(ct: Any, x: Any, y_aval: ShapedArray, *, dimension_numbers,
                   preferred_element_type) -> Any:
    (lc, rc), (lb, rb) = dimension_numbers
    nb = len(lb)
    lf = _free(x.ndim, lc, lb)
    rf = _free(y_aval.ndim, rc, rb)
    ct_lf = tuple(range(nb, nb + len(lf)))
    out = dot_general(ct, x, ((ct_lf, tuple(lf)), (tuple(range(nb)), tuple(lb))))
    # out axes: batch, rhs free, then lhs contracting axes in lhs order -> rhs axes.
    lc_sorted = sorted(lc)
    src_axes = [*rb, *rf, *(rc[lc.index(c)] for c in lc_sorted)]
    perm = tuple(np.argsort(src_axes))
    return _cast(transpose_(out, perm), y_aval.dtype)


def _cast(x: Any, dt: Any) -> Any:
    from .elementwise import convert_element_type

    return x if x.dtype == dt else convert_element_type(x, dt)


def transpose_(x: Any, perm: tuple) -> Any:
    from .shapes import transpose

    return transpose(x, perm)


def _dot_general_batch(args, dims, *, dimension_numbers, preferred_element_type):
    (lhs, rhs), (dl, dr) = args, dims
    (lc, rc), (lb, rb) = dimension_numbers

    def shift(axes: Sequence[int]) -> tuple:
        return tuple(a + 1 for a in axes)

    if dl is not None and dr is not None:
        lhs, rhs = moveaxis(lhs, dl, 0), moveaxis(rhs, dr, 0)
        dn = ((shift(lc), shift(rc)), ((0, *shift(lb)), (0, *shift(rb))))
        out_dim = 0
    elif dl is not None:
        # The batch axis becomes lhs's first free axis: it lands right after the batch axes.
        lhs = moveaxis(lhs, dl, 0)
        dn = ((shift(lc), rc), (shift(lb), rb))
        out_dim = len(lb)
    else:
        rhs = moveaxis(rhs, dr, 0)
        dn = ((lc, shift(rc)), (lb, shift(rb)))
        out_dim = len(lb) + len(_free(lhs.ndim, lc, lb))
    out = dot_general_p.bind(lhs, rhs, dimension_numbers=dn,
                             preferred_element_type=preferred_element_type)
    return [out], [out_dim]


dot_general_p.def_impl(_dot_general_impl)
dot_general_p.def_abstract_eval(_dot_general_shape)
defbilinear(dot_general_p, _transpose_lhs, _transpose_rhs)
batch_rules[dot_general_p] = _dot_general_batch


def dot_general(lhs: Any, rhs: Any, dimension_numbers: Any,
                preferred_element_type: Any = None) -> Any:
    """Contract ``lhs`` with ``rhs`` as ``jax.lax.dot_general``.

    ``dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))``; the
    result has the batch axes, then lhs's free axes, then rhs's.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import lax
        >>> a, b = fnp.ones((2, 3)), fnp.ones((3, 4))
        >>> lax.dot_general(a, b, (((1,), (0,)), ((), ()))).shape
        (2, 4)
    """
    lhs, rhs = operands(lhs, rhs)
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(int(i) % lhs.ndim for i in lc), tuple(int(i) % rhs.ndim for i in rc)),
          (tuple(int(i) % lhs.ndim for i in lb), tuple(int(i) % rhs.ndim for i in rb)))
    pet = None if preferred_element_type is None else dtypes.canonicalize(preferred_element_type)
    if pet is not None and pet == lhs.dtype:
        pet = None
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dn, preferred_element_type=pet)


def dot(lhs: Any, rhs: Any, preferred_element_type: Any = None) -> Any:
    """Vector/matrix product of arrays of rank 1 or 2 (as ``jax.lax.dot``)."""
    lhs, rhs = operands(lhs, rhs)
    if lhs.ndim not in (1, 2) or rhs.ndim not in (1, 2):
        raise ShapeError(f"lax.dot takes ranks 1 or 2, got {lhs.shape} and {rhs.shape}")
    return dot_general(lhs, rhs, (((lhs.ndim - 1,), (0,)), ((), ())), preferred_element_type)
