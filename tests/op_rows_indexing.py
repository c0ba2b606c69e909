"""Op-table rows for gather/scatter (``funcdiff/lax/indexing.py``) and sorting (``sorting.py``).

Gather with negative and out-of-range (clamped) indices, several indexed axes, scalar and
empty index arrays; scatter in every mode (``set``, ``add``, ``mul``, ``min``, ``max``) with
repeated and out-of-range (dropped) indices; ``sort``/``argsort`` with ties and NaNs.
Gradient rows of ``set``/``mul``/``min``/``max`` use unique indices: that is the case the
rules are documented for.
"""

from __future__ import annotations

import numpy as np
from op_table import Arg, OpRow

from funcdiff import lax

ROWS: list[OpRow] = []


def _idx(shape, bounds=(0, 5), value=None, unique=False):
    return Arg(shape, "int32", diff=False, bounds=bounds, value=value, unique=unique)


def _positions(x_shape, idx, axes):
    """Yield (index-array position, normalized target index or None if out of range)."""
    for b in np.ndindex(*idx[0].shape):
        target = []
        for i, a in zip(idx, axes, strict=True):
            k = int(i[b])
            k = k + x_shape[a] if k < 0 else k
            target.append(k if 0 <= k < x_shape[a] else None)
        yield b, target


def _take(x, *idx, axes):
    return lax.index_take(x, idx, axes)


def _take_ref(x, *idx, axes):
    # One index tuple at a time: clamped into range, as funcdiff's gather documents.
    xt = np.moveaxis(x, axes, tuple(range(len(axes))))
    out = np.empty(idx[0].shape + xt.shape[len(axes):], x.dtype)
    for b in np.ndindex(*idx[0].shape):
        pos = []
        for i, a in zip(idx, axes, strict=True):
            k = int(i[b])
            k = k + x.shape[a] if k < 0 else k
            pos.append(min(max(k, 0), x.shape[a] - 1))
        out[b] = xt[tuple(pos)]
    return out


def _update(x, u, *idx, axes, mode):
    return lax.index_update(x, idx, u, axes, mode)


_COMBINE = {"set": lambda old, new: new, "add": np.add, "mul": np.multiply,
            "min": np.minimum, "max": np.maximum}


def _update_ref(x, u, *idx, axes, mode):
    # One update at a time, in order; out-of-range ones are dropped.
    out = x.copy()
    ot = np.moveaxis(out, axes, tuple(range(len(axes))))  # a view into out
    u = np.broadcast_to(u, idx[0].shape + ot.shape[len(axes):])
    for b, target in _positions(x.shape, idx, axes):
        if None not in target:
            t = tuple(target)
            ot[t] = _COMBINE[mode](ot[t], u[b])
    return out


# --- gather --------------------------------------------------------------------------------

ROWS += [
    OpRow("gather", _take, _take_ref, [Arg((5, 3)), _idx((4,))], prims=("gather",),
          static={"axes": (0,)}, dtypes=("int32", "bool")),
    OpRow("gather_negative", _take, _take_ref, [Arg((5, 3)), _idx((4,), (-5, 5))],
          prims=("gather",), static={"axes": (0,)}),
    OpRow("gather_clamped", _take, _take_ref, [Arg((5, 3)), _idx((6,), value=[7, -9, 2, 5,
                                                                              -6, 0])],
          prims=("gather",), static={"axes": (0,)}),
    OpRow("gather_repeated", _take, _take_ref, [Arg((5, 3)), _idx((4,), value=[1, 1, 3, 1])],
          prims=("gather",), static={"axes": (0,)}),
    OpRow("gather_axis1", _take, _take_ref, [Arg((3, 5)), _idx((2, 2))], prims=("gather",),
          static={"axes": (1,)}),
    OpRow("gather_two_axes", _take, _take_ref, [Arg((4, 3, 2)), _idx((3,), (0, 4)),
                                                _idx((3,), (-2, 2))],
          prims=("gather",), static={"axes": (0, 2)}),
    OpRow("gather_two_axes_swapped", _take, _take_ref,
          [Arg((4, 3)), _idx((2, 2), (0, 3)), _idx((2, 2), (0, 4))],
          prims=("gather",), static={"axes": (1, 0)}),
    OpRow("gather_scalar_index", _take, _take_ref, [Arg((5, 3)), _idx(())], prims=("gather",),
          static={"axes": (0,)}),
    OpRow("gather_empty_index", _take, _take_ref, [Arg((5, 3)), _idx((0,))],
          prims=("gather",), static={"axes": (0,)}),
    OpRow("gather_empty_axis_empty_index", _take, _take_ref, [Arg((0, 3)), _idx((0, 2))],
          prims=("gather",), static={"axes": (0,)}),
]


# --- scatter -------------------------------------------------------------------------------

_UNIQUE = [3, 0, 4, 1]
_OOB = [-1, 5, 2, -7]  # -1 is the last row; 5 and -7 fall outside and are dropped
for _mode in ("set", "add", "mul", "min", "max"):
    _dom = "nonzero" if _mode == "mul" else "signed"
    ROWS += [
        OpRow(f"scatter_{_mode}", _update, _update_ref,
              [Arg((5, 3), domain=_dom), Arg((4, 3), domain=_dom), _idx((4,), value=_UNIQUE)],
              prims=("scatter",), static={"axes": (0,), "mode": _mode}, dtypes=("int32",)),
        OpRow(f"scatter_{_mode}_out_of_range", _update, _update_ref,
              [Arg((5, 3), domain=_dom), Arg((4, 3), domain=_dom), _idx((4,), value=_OOB)],
              prims=("scatter",), static={"axes": (0,), "mode": _mode}),
        # Which of several writes to one place wins is unspecified for set (JAX leaves it
        # undefined; on a GPU it varies from run to run): its random indices are distinct.
        OpRow(f"scatter_{_mode}_random", _update, _update_ref,
              [Arg((5, 3), domain=_dom), Arg((3, 3), domain=_dom),
               _idx((3,), (0, 5), unique=_mode == "set")],
              prims=("scatter",), static={"axes": (0,), "mode": _mode}, grad=_mode == "set",
              why="" if _mode == "set" else "random indices may repeat; the rules assume "
              "unique ones"),
    ]
    if _mode != "set":  # see above: set has no defined result for repeated indices
        ROWS.append(OpRow(
            f"scatter_{_mode}_repeated", _update, _update_ref,
            [Arg((5, 3), domain=_dom), Arg((4, 3), domain=_dom),
             _idx((4,), value=[1, 3, 1, 1])],
            prims=("scatter",), static={"axes": (0,), "mode": _mode}, dtypes=("int32",),
            grad=_mode == "add", why="" if _mode == "add" else
            "the mul/min/max rules assume unique indices"))

ROWS += [
    OpRow("scatter_add_two_axes", _update, _update_ref,
          [Arg((4, 3, 2)), Arg((3, 3)), _idx((3,), (0, 4)), _idx((3,), (0, 2))],
          prims=("scatter",), static={"axes": (0, 2), "mode": "add"}),
    OpRow("scatter_set_two_axes", _update, _update_ref,
          [Arg((4, 3)), Arg((2, 2)), _idx((2, 2), value=[[0, 1], [2, 3]]),
           _idx((2, 2), value=[[2, 2], [0, 1]])],
          prims=("scatter",), static={"axes": (0, 1), "mode": "set"}),
    OpRow("scatter_set_scalar_index", _update, _update_ref,
          [Arg((5, 3)), Arg((3,)), _idx((), (-5, 5))], prims=("scatter",),
          static={"axes": (0,), "mode": "set"}),
    OpRow("scatter_add_axis1", _update, _update_ref,
          [Arg((3, 5)), Arg((4, 3)), _idx((4,), (-5, 5))], prims=("scatter",),
          static={"axes": (1,), "mode": "add"}),
    OpRow("scatter_add_empty_index", _update, _update_ref,
          [Arg((5, 3)), Arg((0, 3)), _idx((0,))], prims=("scatter",),
          static={"axes": (0,), "mode": "add"}),
    OpRow("scatter_set_broadcast_update", lambda x, i: lax.index_update(x, (i,), 2.0, (0,)),
          lambda x, i: _update_ref(x, np.asarray(2.0, x.dtype), i, axes=(0,), mode="set"),
          [Arg((5, 3)), _idx((2,), value=[4, 1])], prims=("scatter",)),
]


# --- sort / argsort ------------------------------------------------------------------------


def _sort_ref(x, dimension):
    return np.sort(x, axis=dimension, kind="stable")


def _argsort_ref(x, dimension):
    return np.argsort(x, axis=dimension, kind="stable").astype(np.int64)


_TIES = [[2.0, -1.0, 2.0, 0.5, -1.0], [0.0, 0.0, 0.0, 3.0, -3.0]]
_NANS = [[2.0, np.nan, -1.0, 0.5], [np.nan, 1.0, np.nan, -2.0]]
_INDEX_OUT = "integer output"
ROWS += [
    OpRow("sort", lax.sort, _sort_ref, [Arg((2, 4))], prims=("sort",),
          static={"dimension": 1}, dtypes=("int32", "bool")),
    OpRow("sort_axis0", lax.sort, _sort_ref, [Arg((3, 2))], prims=("sort",),
          static={"dimension": 0}),
    OpRow("sort_vector", lax.sort, _sort_ref, [Arg((5,))], prims=("sort",),
          static={"dimension": -1}),
    OpRow("sort_ties", lax.sort, _sort_ref, [Arg((2, 5), value=_TIES)], prims=("sort",),
          static={"dimension": 1}, grad=False, why="ties: finite differences meet a kink"),
    OpRow("sort_nan", lax.sort, _sort_ref, [Arg((2, 4), value=_NANS)], prims=("sort",),
          static={"dimension": 1}, grad=False, why="NaN inputs"),
    OpRow("sort_empty", lax.sort, _sort_ref, [Arg((0, 3))], prims=("sort",),
          static={"dimension": 0}),
    OpRow("argsort", lax.argsort, _argsort_ref, [Arg((2, 4))], prims=("argsort",),
          static={"dimension": 1}, dtypes=("int32", "bool"), grad=False, why=_INDEX_OUT),
    OpRow("argsort_axis0", lax.argsort, _argsort_ref, [Arg((3, 2))], prims=("argsort",),
          static={"dimension": 0}, grad=False, why=_INDEX_OUT),
    OpRow("argsort_ties_stable", lax.argsort, _argsort_ref, [Arg((2, 5), value=_TIES)],
          prims=("argsort",), static={"dimension": 1}, dtypes=("int32",), grad=False,
          why=_INDEX_OUT),
    OpRow("argsort_nan", lax.argsort, _argsort_ref, [Arg((2, 4), value=_NANS)],
          prims=("argsort",), static={"dimension": 1}, grad=False, why=_INDEX_OUT),
    OpRow("argsort_index_dtype", lambda x: lax.argsort(x, 0, index_dtype=np.int8),
          lambda x: np.argsort(x, axis=0, kind="stable").astype(np.int8), [Arg((4,))],
          prims=("argsort",), grad=False, why=_INDEX_OUT),
    OpRow("argsort_empty", lax.argsort, _argsort_ref, [Arg((2, 0))], prims=("argsort",),
          static={"dimension": 1}, grad=False, why=_INDEX_OUT),
]
