"""``dot_general``: every matrix product, batched or not, as one bilinear primitive."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

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
    if not lb and len(lc) == 1 and lhs.ndim <= 2 and rhs.ndim <= 2:
        # Matrix and vector products: (transposed views of) the operands go straight to BLAS.
        a = lhs if lc[0] == lhs.ndim - 1 else lhs.T
        b = rhs if rc[0] == 0 else rhs.T
        return xp.matmul(a, b)
    if not lb and not lc:
        # An outer product: broadcasting multiplies every pair of elements.
        return xp.multiply(xp.reshape(lhs, lhs.shape + (1,) * rhs.ndim), rhs)
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
    if not lb and len(lc) == 1 and len(rc) == 1 and lhs.dtype == rhs.dtype:
        # The common case (matrix and vector products), checked in a few steps.
        i, j, ls, rs = lc[0], rc[0], lhs.shape, rhs.shape
        if 0 <= i < len(ls) and 0 <= j < len(rs) and ls[i] == rs[j]:
            return ShapedArray(ls[:i] + ls[i + 1:] + rs[:j] + rs[j + 1:],
                               preferred_element_type or lhs.dtype,
                               lhs.weak_type and rhs.weak_type)
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
    rf = tuple(_free(y.ndim, rc, rb))
    ct_rf = tuple(range(nb + len(lf), ct.ndim))
    # lhs's contracting axes, in the order y's free axes of the product come out (sorted rc).
    contracted = [lc[rc.index(r)] for r in sorted(rc)]
    # Either ct·y (axes: batch, lhs free, contracted) or y·ct (batch, contracted, lhs free):
    # take the one already in lhs's layout, so no transpose is needed when there is one.
    if _is_identity([*lb, *contracted, *lf]) and not _is_identity([*lb, *lf, *contracted]):
        out = _dot(y, ct, ((rf, ct_rf), (tuple(rb), tuple(range(nb)))))
        return _cast(out, x_aval.dtype)
    out = _dot(ct, y, ((ct_rf, rf), (tuple(range(nb)), tuple(rb))))
    return _cast(transpose_(out, _inverse([*lb, *lf, *contracted])), x_aval.dtype)


def _transpose_rhs(ct: Any, x: Any, y_aval: ShapedArray, *, dimension_numbers,
                   preferred_element_type) -> Any:
    (lc, rc), (lb, rb) = dimension_numbers
    nb = len(lb)
    lf = tuple(_free(x.ndim, lc, lb))
    rf = _free(y_aval.ndim, rc, rb)
    ct_lf = tuple(range(nb, nb + len(lf)))
    contracted = [rc[lc.index(c)] for c in sorted(lc)]
    # Either ct·x (axes: batch, rhs free, contracted) or x·ct (batch, contracted, rhs free).
    if _is_identity([*rb, *contracted, *rf]) and not _is_identity([*rb, *rf, *contracted]):
        out = _dot(x, ct, ((lf, ct_lf), (tuple(lb), tuple(range(nb)))))
        return _cast(out, y_aval.dtype)
    out = _dot(ct, x, ((ct_lf, lf), (tuple(range(nb)), tuple(lb))))
    return _cast(transpose_(out, _inverse([*rb, *rf, *contracted])), y_aval.dtype)


def _dot(lhs: Any, rhs: Any, dimension_numbers: Any) -> Any:
    # The transposes build canonical dimension numbers already: bind without the wrapper.
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dimension_numbers,
                              preferred_element_type=None)


def _is_identity(axes: Sequence[int]) -> bool:
    return all(a == i for i, a in enumerate(axes))


def _inverse(src_axes: Sequence[int]) -> tuple[int, ...]:
    """The permutation taking axes ordered as ``src_axes`` back to ``0, 1, 2…``."""
    return tuple(sorted(range(len(src_axes)), key=src_axes.__getitem__))


def _cast(x: Any, dt: Any) -> Any:
    if x.dtype == dt:
        return x
    from .elementwise import convert_element_type

    return convert_element_type(x, dt)


def transpose_(x: Any, perm: tuple) -> Any:
    if _is_identity(perm):
        return x  # lax.transpose would return x too: skip its checks
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
