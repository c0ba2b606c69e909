"""Op-table rows for the shape primitives (``funcdiff/lax/shapes.py``).

``broadcast_in_dim``, ``reshape``, ``transpose``, ``concatenate``, ``pad`` (negative and
interior padding too), ``slice``, ``rev``, ``iota``, ``dynamic_slice`` and
``dynamic_update_slice``, with scalars and size-0 arrays where they mean something.
"""

from __future__ import annotations

import numpy as np
from op_table import Arg, OpRow

from funcdiff import lax

ROWS: list[OpRow] = []

_IDX = dict(dtype="int32", diff=False)


# --- broadcast_in_dim ------------------------------------------------------------------------


def _bid_ref(x, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


for _name, _in, _shape, _dims in (
        ("broadcast_in_dim", (3,), (2, 3), (1,)),
        ("broadcast_in_dim_ones", (2, 1), (2, 4, 3), (0, 2)),
        ("broadcast_in_dim_middle", (3,), (2, 3, 2), (1,)),
        ("broadcast_in_dim_scalar", (), (2, 3), ()),
        ("broadcast_in_dim_empty", (0, 3), (2, 0, 3), (1, 2)),
        ("broadcast_in_dim_to_empty", (1,), (0, 2), (0,))):
    ROWS.append(OpRow(_name, lax.broadcast_in_dim, _bid_ref, [Arg(_in)],
                      prims=("broadcast_in_dim",),
                      static={"shape": _shape, "broadcast_dimensions": _dims},
                      dtypes=("int32", "bool") if _name == "broadcast_in_dim" else ()))

ROWS += [
    OpRow("broadcast", lambda x: lax.broadcast(x, (2,)), lambda x: np.broadcast_to(x, (2, 3)),
          [Arg((3,))], prims=("broadcast_in_dim",)),
    OpRow("broadcast_to", lambda x: lax.broadcast_to(x, (4, 2, 3)),
          lambda x: np.broadcast_to(x, (4, 2, 3)), [Arg((2, 1))], prims=("broadcast_in_dim",)),
    OpRow("full_traced_value", lambda v: lax.full((2, 3), v), lambda v: np.full((2, 3), v),
          [Arg(())], prims=("broadcast_in_dim",)),
]


# --- reshape, transpose ----------------------------------------------------------------------

def _reshape_ref(x, new_sizes, dimensions):
    return (x if dimensions is None else x.transpose(dimensions)).reshape(new_sizes)


for _name, _in, _sizes, _dims in (
        ("reshape", (2, 3), (3, 2), None),
        ("reshape_flat", (2, 3), (6,), None),
        ("reshape_infer", (2, 3, 2), (-1, 2), None),
        ("reshape_scalar", (), (1, 1), None),
        ("reshape_to_scalar", (1, 1), (), None),
        ("reshape_dimensions", (2, 3), (6,), (1, 0)),
        ("reshape_empty", (0, 3), (3, 0), None)):
    ROWS.append(OpRow(_name, lax.reshape, _reshape_ref, [Arg(_in)],
                      prims=("reshape",) if _dims is None else ("transpose", "reshape"),
                      static={"new_sizes": _sizes, "dimensions": _dims},
                      dtypes=("int32", "bool") if _name == "reshape" else ()))

for _name, _in, _perm in (("transpose", (2, 3), (1, 0)),
                          ("transpose_3d", (2, 3, 4), (2, 0, 1)),
                          ("transpose_3d_swap", (2, 3, 4), (0, 2, 1)),
                          ("transpose_negative_axes", (2, 3, 4), (-1, 0, 1)),
                          ("transpose_empty", (0, 3), (1, 0))):
    ROWS.append(OpRow(_name, lax.transpose, lambda x, permutation: np.transpose(x, permutation),
                      [Arg(_in)], prims=("transpose",), static={"permutation": _perm},
                      dtypes=("int32", "bool") if _name == "transpose" else ()))


# --- concatenate -----------------------------------------------------------------------------


def _concat(*xs, dimension):
    return lax.concatenate(xs, dimension)


def _concat_ref(*xs, dimension):
    return np.concatenate(xs, axis=dimension)


ROWS += [
    OpRow("concatenate", _concat, _concat_ref, [Arg((2, 3)), Arg((1, 3))],
          prims=("concatenate",), static={"dimension": 0}, dtypes=("int32", "bool")),
    OpRow("concatenate_three", _concat, _concat_ref, [Arg((2, 1)), Arg((2, 3)), Arg((2, 2))],
          prims=("concatenate",), static={"dimension": 1}),
    OpRow("concatenate_with_empty", _concat, _concat_ref, [Arg((2, 0)), Arg((2, 3))],
          prims=("concatenate",), static={"dimension": 1}),
    OpRow("concatenate_1d", _concat, _concat_ref, [Arg((2,)), Arg((3,))],
          prims=("concatenate",), static={"dimension": 0}),
]


# --- pad -----------------------------------------------------------------------------------


def _pad_ref(x, v, padding_config):
    """lax.pad semantics, element by element: operand index i lands at lo + i * (interior + 1)
    on each axis; positions outside the output are dropped (negative padding crops)."""
    out_shape = [lo + hi + n + max(n - 1, 0) * it
                 for n, (lo, hi, it) in zip(x.shape, padding_config, strict=True)]
    out = np.full(out_shape, v, dtype=x.dtype)
    for idx in np.ndindex(*x.shape):
        pos = tuple(lo + i * (it + 1) for i, (lo, _, it) in zip(idx, padding_config, strict=True))
        if all(0 <= p < n for p, n in zip(pos, out_shape, strict=True)):
            out[pos] = x[idx]
    return out


for _name, _in, _cfg in (
        ("pad", (3,), ((1, 2, 0),)),
        ("pad_interior", (3,), ((0, 0, 2),)),
        ("pad_negative", (4,), ((-1, -2, 0),)),
        ("pad_negative_interior", (3,), ((-1, 1, 1),)),
        ("pad_negative_into_interior", (3,), ((-2, -1, 2),)),
        ("pad_2d", (2, 3), ((1, 0, 1), (-1, 2, 0))),
        ("pad_empty_operand", (0,), ((2, 1, 3),)),
        ("pad_crop_all", (2, 2), ((-1, -1, 0), (0, 0, 0))),
        ("pad_scalar", (), ())):
    ROWS.append(OpRow(_name, lax.pad, _pad_ref, [Arg(_in), Arg(())], prims=("pad",),
                      static={"padding_config": _cfg},
                      dtypes=("int32", "bool") if _name in ("pad", "pad_2d") else ()))


# --- slice, rev ----------------------------------------------------------------------------


def _slice_ref(x, start_indices, limit_indices, strides=None):
    strides = strides or (1,) * x.ndim
    return x[tuple(slice(s, e, st) for s, e, st in zip(start_indices, limit_indices, strides))]


for _name, _in, _start, _limit, _strides in (
        ("slice", (5,), (1,), (4,), None),
        ("slice_strided", (7,), (1,), (6,), (2,)),
        ("slice_strided_exact", (7,), (0,), (7,), (3,)),
        ("slice_2d", (4, 5), (1, 0), (3, 5), (1, 2)),
        ("slice_empty", (5,), (2,), (2,), None),
        ("slice_of_empty", (0, 3), (0, 1), (0, 3), None)):
    ROWS.append(OpRow(_name, lax.slice, _slice_ref, [Arg(_in)], prims=("slice",),
                      static={"start_indices": _start, "limit_indices": _limit,
                              "strides": _strides},
                      dtypes=("int32", "bool") if _name == "slice_2d" else ()))

ROWS += [
    OpRow("slice_in_dim", lambda x: lax.slice_in_dim(x, 1, None, 2, axis=1),
          lambda x: x[:, 1::2], [Arg((2, 5))], prims=("slice",)),
    OpRow("slice_in_dim_negative", lambda x: lax.slice_in_dim(x, -3, -1, axis=0),
          lambda x: x[-3:-1], [Arg((4, 2))], prims=("slice",)),
]

for _name, _in, _dims in (("rev", (5,), (0,)), ("rev_2d", (2, 3), (0, 1)),
                          ("rev_inner", (2, 3, 2), (1,)), ("rev_negative_axis", (2, 3), (-1,)),
                          ("rev_empty", (0, 3), (1,))):
    ROWS.append(OpRow(_name, lax.rev, lambda x, dimensions: np.flip(x, dimensions), [Arg(_in)],
                      prims=("rev",), static={"dimensions": _dims},
                      dtypes=("int32", "bool") if _name == "rev_2d" else ()))


# --- iota ----------------------------------------------------------------------------------

_NO_INPUTS = "no array inputs: nothing to differentiate or batch"
ROWS += [
    OpRow("iota", lambda: lax.iota(np.int32, 5), lambda: np.arange(5, dtype=np.int32), [],
          prims=("iota",), grad=False, vmap=False, why=_NO_INPUTS),
    OpRow("iota_float", lambda: lax.iota(np.float32, 4), lambda: np.arange(4, dtype=np.float32), [],
          prims=("iota",), grad=False, vmap=False, why=_NO_INPUTS),
    OpRow("iota_empty", lambda: lax.iota(np.int32, 0), lambda: np.arange(0, dtype=np.int32),
          [], prims=("iota",), grad=False, vmap=False, why=_NO_INPUTS),
    OpRow("broadcasted_iota", lambda: lax.broadcasted_iota(np.int32, (2, 3), 1),
          lambda: np.broadcast_to(np.arange(3, dtype=np.int32), (2, 3)), [], prims=("iota",),
          grad=False, vmap=False, why=_NO_INPUTS),
    OpRow("iota_plus_input", lambda x: x + lax.broadcasted_iota(np.float32, (2, 3), 0),
          lambda x: x + np.arange(2, dtype=x.dtype)[:, None], [Arg((2, 3))],
          prims=("iota", "add")),
]


# --- dynamic_slice / dynamic_update_slice ----------------------------------------------------


def _clamp(i, n, size):
    return min(max(int(i), 0), n - size)


def _ds(x, i, j, sizes):
    return lax.dynamic_slice(x, (i, j), sizes)


def _ds_ref(x, i, j, sizes):
    a, b = _clamp(i, x.shape[0], sizes[0]), _clamp(j, x.shape[1], sizes[1])
    return x[a:a + sizes[0], b:b + sizes[1]]


def _dus(x, u, i, j):
    return lax.dynamic_update_slice(x, u, (i, j))


def _dus_ref(x, u, i, j):
    a, b = _clamp(i, x.shape[0], u.shape[0]), _clamp(j, x.shape[1], u.shape[1])
    out = x.copy()
    out[a:a + u.shape[0], b:b + u.shape[1]] = u
    return out


_START = dict(_IDX, bounds=(0, 3))
_START_OOB = dict(_IDX, bounds=(-3, 8))  # out of range: clamped so the block fits
ROWS += [
    OpRow("dynamic_slice", _ds, _ds_ref, [Arg((5, 4)), Arg((), **_START), Arg((), **_START)],
          prims=("dynamic_slice",), static={"sizes": (2, 3)}, dtypes=("int32", "bool")),
    OpRow("dynamic_slice_clamped", _ds, _ds_ref,
          [Arg((5, 4)), Arg((), **_START_OOB), Arg((), **_START_OOB)],
          prims=("dynamic_slice",), static={"sizes": (3, 2)}),
    OpRow("dynamic_slice_fixed_clamp", _ds, _ds_ref,
          [Arg((5, 4)), Arg((), value=7, **_IDX), Arg((), value=-2, **_IDX)],
          prims=("dynamic_slice",), static={"sizes": (2, 2)}),
    OpRow("dynamic_slice_size0", _ds, _ds_ref, [Arg((5, 4)), Arg((), **_START),
                                                Arg((), **_START)],
          prims=("dynamic_slice",), static={"sizes": (0, 2)}),
    OpRow("dynamic_slice_python_ints", lambda x: lax.dynamic_slice(x, (1, 2), (2, 2)),
          lambda x: x[1:3, 2:4], [Arg((4, 4))], prims=("dynamic_slice",)),
    OpRow("dynamic_update_slice", _dus, _dus_ref,
          [Arg((5, 4)), Arg((2, 3)), Arg((), **_START), Arg((), **_START)],
          prims=("dynamic_update_slice",), dtypes=("int32", "bool")),
    OpRow("dynamic_update_slice_clamped", _dus, _dus_ref,
          [Arg((5, 4)), Arg((3, 2)), Arg((), **_START_OOB), Arg((), **_START_OOB)],
          prims=("dynamic_update_slice",)),
    OpRow("dynamic_update_slice_fixed_clamp", _dus, _dus_ref,
          [Arg((5, 4)), Arg((2, 2)), Arg((), value=9, **_IDX), Arg((), value=-4, **_IDX)],
          prims=("dynamic_update_slice",)),
    OpRow("dynamic_update_slice_python_ints",
          lambda x, u: lax.dynamic_update_slice(x, u, (1, 0)),
          lambda x, u: _dus_ref(x, u, 1, 0), [Arg((3, 3)), Arg((2, 3))],
          prims=("dynamic_update_slice",)),
]
