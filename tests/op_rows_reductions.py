"""Op-table rows for reductions and contractions (``funcdiff/lax/reductions.py``, ``dot.py``).

``reduce_sum/max/min/prod/and/or`` over one, several and all axes (size-0 axes too),
``argmax``/``argmin``, the cumulative ops (forward and ``reverse``) and ``dot_general`` with
several dimension numbers, batch axes included.
"""

from __future__ import annotations

import numpy as np
from op_table import Arg, OpRow

from funcdiff import lax

ROWS: list[OpRow] = []


# --- reduce_* ------------------------------------------------------------------------------


def _np_reduce(fn):
    def ref(x, axes):
        return np.asarray(fn(x, axis=tuple(axes))).astype(x.dtype)

    return ref


def _np_extremum(fn, identity_sign):
    # lax.reduce_max of nothing is the identity of max: -inf (or the dtype's smallest value).
    def ref(x, axes):
        if x.size == 0:
            out_shape = tuple(n for k, n in enumerate(x.shape) if k not in axes)
            if x.dtype == np.bool_:
                return np.full(out_shape, identity_sign < 0)
            if x.dtype.kind in "iu":
                info = np.iinfo(x.dtype)
                return np.full(out_shape, info.min if identity_sign > 0 else info.max, x.dtype)
            return np.full(out_shape, -identity_sign * np.inf, x.dtype)
        return fn(x, axis=tuple(axes))

    return ref


_REDUCERS = [
    ("reduce_sum", lax.reduce_sum, _np_reduce(np.sum), "signed", ("int32",)),
    ("reduce_max", lax.reduce_max, _np_extremum(np.max, 1), "signed", ("int32", "bool")),
    ("reduce_min", lax.reduce_min, _np_extremum(np.min, -1), "signed", ("int32", "bool")),
    ("reduce_prod", lax.reduce_prod, _np_reduce(np.prod), "nonzero", ("int32",)),
]

for _name, _fn, _ref, _dom, _dts in _REDUCERS:
    for _suffix, _shape, _axes in (("", (2, 3), (1,)), ("_axis0", (2, 3), (0,)),
                                   ("_all", (2, 3), (0, 1)), ("_outer", (2, 3, 2), (0, 2)),
                                   ("_vector", (4,), (0,)), ("_empty_axis", (0, 3), (0,)),
                                   ("_keep_empty", (0, 3), (1,))):
        _inf = _suffix == "_empty_axis" and _name in ("reduce_max", "reduce_min")
        ROWS.append(OpRow(f"{_name}{_suffix}", _fn, _ref, [Arg(_shape, domain=_dom)],
                          prims=(_name,), static={"axes": _axes},
                          dtypes=_dts if _suffix in ("", "_empty_axis") else (),
                          grad=not _inf, why="the result is ±inf" if _inf else ""))

ROWS += [
    OpRow("reduce_prod_one_zero", lax.reduce_prod, _np_reduce(np.prod),
          [Arg((2, 3), value=[[1.5, 0.0, -2.0], [0.5, 1.2, 0.7]])], prims=("reduce_prod",),
          static={"axes": (1,)}),
    OpRow("reduce_prod_two_zeros", lax.reduce_prod, _np_reduce(np.prod),
          [Arg((4,), value=[0.0, 1.5, 0.0, -2.0])], prims=("reduce_prod",),
          static={"axes": (0,)}),
    OpRow("reduce_prod_scalar_axes_none", lambda x: lax.reduce_prod(x, None),
          lambda x: np.prod(x), [Arg((2, 2), domain="nonzero")], prims=("reduce_prod",)),
    OpRow("reduce_max_negative_axis", lambda x: lax.reduce_max(x, (-1,)),
          lambda x: np.max(x, axis=-1), [Arg((2, 3))], prims=("reduce_max",)),
]

for _name, _ref in (("reduce_and", np.all), ("reduce_or", np.any)):
    for _suffix, _shape, _axes in (("", (2, 3), (1,)), ("_all", (2, 3), (0, 1)),
                                   ("_empty", (0, 3), (0,))):
        ROWS.append(OpRow(f"{_name}{_suffix}", getattr(lax, _name), _np_reduce(_ref),
                          [Arg(_shape, "bool")], prims=(_name,), static={"axes": _axes},
                          grad=False, why="boolean"))


# --- argmax / argmin -----------------------------------------------------------------------

_INDEX_OUT = "integer output"
for _name, _ref in (("argmax", np.argmax), ("argmin", np.argmin)):
    _fn = getattr(lax, _name)

    def _arg_ref(x, axis, _ref=_ref):
        return _ref(x, axis=axis).astype(np.int64)

    ROWS += [
        OpRow(_name, _fn, _arg_ref, [Arg((2, 3))], prims=(_name,), static={"axis": 1},
              dtypes=("int32", "bool"), grad=False, why=_INDEX_OUT),
        OpRow(f"{_name}_axis0", _fn, _arg_ref, [Arg((3, 2, 2))], prims=(_name,),
              static={"axis": 0}, grad=False, why=_INDEX_OUT),
        OpRow(f"{_name}_ties", _fn, _arg_ref,
              [Arg((2, 4), value=[[1.0, 3.0, 3.0, -1.0], [-2.0, -2.0, 0.0, -2.0]])],
              prims=(_name,), static={"axis": 1}, grad=False,
              why=_INDEX_OUT + "; ties pick the first index"),
        OpRow(f"{_name}_nan", _fn, _arg_ref,
              [Arg((2, 3), value=[[1.0, np.nan, 3.0], [0.0, 1.0, np.nan]])], prims=(_name,),
              static={"axis": 1}, grad=False, why=_INDEX_OUT + "; NaN wins, as in NumPy"),
        OpRow(f"{_name}_index_dtype",
              lambda x, _fn=_fn: _fn(x, axis=0, index_dtype=np.int8),
              lambda x, _ref=_ref: _ref(x, axis=0).astype(np.int8), [Arg((3, 2))],
              prims=(_name,), grad=False, why=_INDEX_OUT),
    ]


# --- cumulative ops --------------------------------------------------------------------------


def _cum_ref(fn):
    def ref(x, axis, reverse):
        if reverse:
            return np.flip(fn(np.flip(x, axis), axis=axis), axis).astype(x.dtype)
        return fn(x, axis=axis).astype(x.dtype)

    return ref


_CUMULATIVE = [
    ("cumsum", lax.cumsum, _cum_ref(np.cumsum), "signed"),
    ("cumprod", lax.cumprod, _cum_ref(np.cumprod), "nonzero"),
    ("cummax", lax.cummax, _cum_ref(np.maximum.accumulate), "signed"),
    ("cummin", lax.cummin, _cum_ref(np.minimum.accumulate), "signed"),
]
for _name, _fn, _ref, _dom in _CUMULATIVE:
    for _suffix, _shape, _axis, _rev in (("", (2, 4), 1, False), ("_reverse", (2, 4), 1, True),
                                         ("_axis0", (3, 2), 0, False),
                                         ("_axis0_reverse", (3, 2), 0, True),
                                         ("_vector", (5,), 0, False),
                                         ("_empty", (0, 3), 0, False),
                                         ("_empty_reverse", (2, 0), 1, True)):
        ROWS.append(OpRow(f"{_name}{_suffix}", _fn, _ref, [Arg(_shape, domain=_dom)],
                          prims=(_name,), static={"axis": _axis, "reverse": _rev},
                          dtypes=("int32",) if _suffix in ("", "_reverse") else ()))

ROWS += [
    OpRow("cumprod_with_zero", lax.cumprod, _cum_ref(np.cumprod),
          [Arg((5,), value=[1.5, -0.5, 0.0, 2.0, 1.2])], prims=("cumprod",),
          static={"axis": 0, "reverse": False}),
    OpRow("cumprod_with_zero_reverse", lax.cumprod, _cum_ref(np.cumprod),
          [Arg((2, 3), value=[[1.5, 0.0, 2.0], [0.0, 0.7, 0.0]])], prims=("cumprod",),
          static={"axis": 1, "reverse": True}),
    OpRow("cumsum_negative_axis", lambda x: lax.cumsum(x, axis=-1), lambda x: np.cumsum(x, -1),
          [Arg((2, 3))], prims=("cumsum",)),
]


# --- dot_general -----------------------------------------------------------------------------


def _dot_general_ref(lhs, rhs, dimension_numbers, preferred_element_type=None):
    """Contraction by einsum, axes named from the dimension numbers."""
    (lc, rc), (lb, rb) = dimension_numbers
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    ln = [next(letters) for _ in range(lhs.ndim)]
    rn = [next(letters) for _ in range(rhs.ndim)]
    for i, j in zip(lc, rc, strict=True):
        rn[j] = ln[i]
    for i, j in zip(lb, rb, strict=True):
        rn[j] = ln[i]
    out = ([ln[i] for i in lb] + [ln[i] for i in range(lhs.ndim) if i not in lc + lb]
           + [rn[j] for j in range(rhs.ndim) if j not in rc + rb])
    dt = preferred_element_type or lhs.dtype
    res = np.einsum(f"{''.join(ln)},{''.join(rn)}->{''.join(out)}", lhs.astype(np.float64),
                    rhs.astype(np.float64))
    return res.astype(dt)


_DOTS = [
    ("dot_general_matmul", (2, 3), (3, 4), (((1,), (0,)), ((), ()))),
    ("dot_general_lhs_t", (3, 2), (3, 4), (((0,), (0,)), ((), ()))),
    ("dot_general_rhs_t", (2, 3), (4, 3), (((1,), (1,)), ((), ()))),
    ("dot_general_both_t", (3, 2), (4, 3), (((0,), (1,)), ((), ()))),
    ("dot_general_vector", (3,), (3,), (((0,), (0,)), ((), ()))),
    ("dot_general_matvec", (2, 3), (3,), (((1,), (0,)), ((), ()))),
    ("dot_general_outer", (2,), (3,), (((), ()), ((), ()))),
    ("dot_general_two_contract", (2, 3, 4), (4, 3, 2), (((1, 2), (1, 0)), ((), ()))),
    ("dot_general_batch", (2, 3, 4), (2, 4, 2), (((2,), (1,)), ((0,), (0,)))),
    ("dot_general_batch_inner", (3, 2, 4), (4, 2, 1), (((2,), (0,)), ((1,), (1,)))),
    ("dot_general_batch_only", (2, 3), (2, 4), (((), ()), ((0,), (0,)))),
    ("dot_general_two_batch", (2, 2, 3, 2), (2, 2, 2, 3),
     (((3,), (2,)), ((0, 1), (0, 1)))),
    ("dot_general_empty_contract", (2, 0), (0, 3), (((1,), (0,)), ((), ()))),
    ("dot_general_empty_free", (0, 3), (3, 2), (((1,), (0,)), ((), ()))),
]
for _name, _ls, _rs, _dn in _DOTS:
    ROWS.append(OpRow(_name, lax.dot_general, _dot_general_ref, [Arg(_ls), Arg(_rs)],
                      prims=("dot_general",), static={"dimension_numbers": _dn},
                      dtypes=("int32",) if _name in ("dot_general_matmul",
                                                     "dot_general_batch") else ()))

ROWS += [
    OpRow("dot_general_preferred_f32", lax.dot_general, _dot_general_ref,
          [Arg((2, 3), "int32", domain="signed", diff=False),
           Arg((3, 2), "int32", domain="signed", diff=False)],
          prims=("dot_general",),
          static={"dimension_numbers": (((1,), (0,)), ((), ())),
                  "preferred_element_type": np.dtype("float32")},
          grad=False, why="integer inputs"),
    OpRow("dot", lax.dot, lambda a, b: a @ b, [Arg((2, 3)), Arg((3, 2))],
          prims=("dot_general",), rtol=1e-5, atol=1e-5),
    OpRow("dot_vecmat", lax.dot, lambda a, b: a @ b, [Arg((3,)), Arg((3, 2))],
          prims=("dot_general",)),
]
