"""Op-table rows for convolution and windowed reductions (``funcdiff/lax/conv.py``,
``windowed.py``), with the naive loop references they are checked against.

``conv_general_dilated`` in 1-D, 2-D and 3-D with strides, string and explicit (negative
too) padding, input and kernel dilation, feature and batch groups and several layouts;
``reduce_window_sum/max/min`` through ``lax.reduce_window`` with strides, padding, base and
window dilation and non-identity initial values.
"""

from __future__ import annotations

import math

import numpy as np
from op_table import Arg, OpRow

from funcdiff import lax

ROWS: list[OpRow] = []


# --- naive references: loops over every output element and window offset ----------------------


def ref_pads(in_shape, window, strides, padding):
    """``(low, high)`` pairs of a padding string, from its definition."""
    if not isinstance(padding, str):
        return [tuple(p) for p in padding]
    if padding == "VALID":
        return [(0, 0)] * len(in_shape)
    pads = []
    for n, w, s in zip(in_shape, window, strides):
        out = math.ceil(n / s)
        total = max((out - 1) * s + w - n, 0)
        lo = total // 2 if padding == "SAME" else (total + 1) // 2
        pads.append((lo, total - lo))
    return pads


def _layout(spec, pair, order):
    """Axis permutation bringing a layout string to (pair[0], pair[1], *order)."""
    return [spec.index(pair[0]), spec.index(pair[1]), *(spec.index(c) for c in order)]


def naive_conv(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
               dimension_numbers=None, feature_group_count=1, batch_group_count=1,
               preferred_element_type=None):
    """Convolution by definition: each output element sums input * kernel over its window."""
    nsp = lhs.ndim - 2
    if dimension_numbers is not None:
        ls, rs, os_ = dimension_numbers
        order = [c for c in rs if c not in "OI"]
        lhs = np.transpose(lhs, _layout(ls, "NC", order))
        rhs = np.transpose(rhs, _layout(rs, "OI", order))
    ld = lhs_dilation or (1,) * nsp
    rd = rhs_dilation or (1,) * nsp
    x = lhs.astype(np.float64)
    w = rhs.astype(np.float64)
    window = w.shape[2:]
    pads = ref_pads(x.shape[2:], [(k - 1) * r + 1 for k, r in zip(window, rd)], window_strides,
                    padding)
    n, c = x.shape[:2]
    o, i = w.shape[:2]
    g, b = feature_group_count, batch_group_count
    dil = [(s - 1) * d + 1 if s else 0 for s, d in zip(x.shape[2:], ld)]
    padded = [d + lo + hi for d, (lo, hi) in zip(dil, pads)]
    out_sp = [max(0, (p - ((k - 1) * r + 1)) // s + 1) if p >= (k - 1) * r + 1 else 0
              for p, k, r, s in zip(padded, window, rd, window_strides)]
    out = np.zeros((n // b, o, *out_sp))
    for oc in range(o):
        grp = oc // (o // g)
        chans = slice(grp * i, (grp + 1) * i)
        bg = oc // (o // b)
        batch = slice(bg * (n // b), (bg + 1) * (n // b))
        for pos in np.ndindex(*out_sp):
            acc = np.zeros(n // b)
            for kof in np.ndindex(*window):
                src = []
                for p, k, s, r, (lo, _), d, sz in zip(pos, kof, window_strides, rd, pads, ld,
                                                      x.shape[2:]):
                    q = p * s + k * r - lo  # position in the dilated input
                    src.append(q // d if q % d == 0 and 0 <= q // d < sz else None)
                if None in src:
                    continue
                acc += x[(batch, chans, *src)] @ w[(oc, slice(None), *kof)]
            out[(slice(None), oc, *pos)] = acc
    if dimension_numbers is not None:
        perm = _layout(os_, "NC", order)
        out = np.transpose(out, np.argsort(perm))
    return out.astype(preferred_element_type or lhs.dtype)


_IDENTITY = {"add": 0.0, "max": -np.inf, "min": np.inf}
_COMBINE = {"add": np.add, "max": np.maximum, "min": np.minimum}


def naive_reduce_window(x, kind, window_dimensions, window_strides=None, padding="VALID",
                        base_dilation=None, window_dilation=None, init=None):
    """Window reduction by definition: map each window offset back to an operand element."""
    n = x.ndim
    strides = window_strides or (1,) * n
    bd = base_dilation or (1,) * n
    wd = window_dilation or (1,) * n
    wdims = [(w - 1) * d + 1 for w, d in zip(window_dimensions, wd)]
    pads = ref_pads(x.shape, wdims, strides, padding)
    padded = [(s - 1) * b + 1 + lo + hi if s else lo + hi
              for s, b, (lo, hi) in zip(x.shape, bd, pads)]
    out_shape = [(p - w) // s + 1 if p >= w else 0 for p, w, s in zip(padded, wdims, strides)]
    if np.dtype(x.dtype).kind in "iu":
        info = np.iinfo(x.dtype)
        ident = {"add": 0, "max": info.min, "min": info.max}[kind]
    else:
        ident = _IDENTITY[kind]
    out = np.full(out_shape, ident if init is None else init, dtype=np.float64)
    for pos in np.ndindex(*out_shape):
        for kof in np.ndindex(*window_dimensions):
            src = []
            for p, k, s, d, (lo, _), b, sz in zip(pos, kof, strides, wd, pads, bd, x.shape):
                q = p * s + k * d - lo
                src.append(q // b if q % b == 0 and 0 <= q // b < sz else None)
            if None not in src:
                out[pos] = _COMBINE[kind](out[pos], x[tuple(src)])
    return out.astype(x.dtype)


# --- conv_general_dilated ----------------------------------------------------------------------


def _conv(lhs, rhs, **kw):
    return lax.conv_general_dilated(lhs, rhs, **kw)


_CONVS = [
    # name, lhs shape, rhs shape, static
    ("1d_valid", (2, 3, 7), (4, 3, 3), dict(window_strides=(1,), padding="VALID")),
    ("1d_same_stride2", (2, 2, 8), (3, 2, 3), dict(window_strides=(2,), padding="SAME")),
    ("1d_pads_rhs_dilation", (1, 2, 9), (2, 2, 3),
     dict(window_strides=(2,), padding=[(2, 1)], rhs_dilation=(2,))),
    ("1d_lhs_dilation", (2, 2, 5), (3, 2, 3),
     dict(window_strides=(1,), padding=[(2, 2)], lhs_dilation=(2,))),
    ("1d_negative_pad", (1, 2, 8), (2, 2, 2),
     dict(window_strides=(1,), padding=[(-1, 2)])),
    ("1d_groups", (2, 4, 6), (6, 2, 3),
     dict(window_strides=(1,), padding=[(1, 1)], feature_group_count=2)),
    ("1d_batch_groups", (4, 2, 6), (4, 2, 2),
     dict(window_strides=(2,), padding=[(0, 1)], batch_group_count=2)),
    ("2d_valid", (2, 3, 5, 4), (2, 3, 3, 2), dict(window_strides=(1, 1), padding="VALID")),
    ("2d_same_strides", (1, 2, 6, 5), (3, 2, 3, 3), dict(window_strides=(2, 1), padding="SAME")),
    ("2d_same_lower", (1, 2, 5, 6), (2, 2, 2, 3),
     dict(window_strides=(1, 2), padding="SAME_LOWER")),
    ("2d_dilations", (1, 2, 5, 6), (2, 2, 2, 2),
     dict(window_strides=(2, 1), padding=[(1, 1), (0, 2)], lhs_dilation=(1, 2),
          rhs_dilation=(2, 1))),
    ("2d_depthwise", (2, 3, 4, 4), (6, 1, 2, 2),
     dict(window_strides=(1, 1), padding="SAME", feature_group_count=3)),
    ("2d_nhwc", (2, 4, 5, 3), (2, 3, 3, 2),
     dict(window_strides=(1, 2), padding="SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))),
    ("2d_mixed_layout", (4, 2, 5, 2), (2, 3, 2, 2),
     dict(window_strides=(1, 1), padding=[(1, 0), (0, 1)],
          dimension_numbers=("HNWC", "WOHI", "CWNH"))),
    ("3d_same", (1, 2, 3, 4, 3), (2, 2, 2, 2, 2),
     dict(window_strides=(1, 2, 1), padding="SAME", rhs_dilation=(1, 1, 2))),
]
for _name, _ls, _rs, _kw in _CONVS:
    ROWS.append(OpRow(f"conv_{_name}", _conv, naive_conv, [Arg(_ls), Arg(_rs)],
                      prims=("conv_general_dilated",), static=_kw, atol=1e-4, rtol=1e-4,
                      dtypes=("int32",) if _name in ("1d_valid", "2d_dilations") else ()))

ROWS += [
    OpRow("conv_preferred_int32", _conv, naive_conv,
          [Arg((1, 2, 5), "int8", domain="signed", diff=False),
           Arg((2, 2, 2), "int8", domain="signed", diff=False)],
          prims=("conv_general_dilated",),
          static=dict(window_strides=(1,), padding="VALID",
                      preferred_element_type=np.dtype("int32")),
          grad=False, why="integer operands"),
    OpRow("conv_lax_conv", lambda x, w: lax.conv(x, w, (1, 1), "SAME"),
          lambda x, w: naive_conv(x, w, (1, 1), "SAME"), [Arg((1, 2, 4, 3)), Arg((2, 2, 3, 2))],
          prims=("conv_general_dilated",), atol=1e-4, rtol=1e-4),
]


# --- reduce_window -----------------------------------------------------------------------------

_COMPUTATIONS = {"add": lax.add, "max": lax.max, "min": lax.min}
_PRIM = {"add": "reduce_window_sum", "max": "reduce_window_max", "min": "reduce_window_min"}


def _rw(kind):
    def fn(x, init=None, **kw):
        if init is None:
            init = _IDENTITY[kind]
            if x.dtype.kind in "iu":
                info = np.iinfo(x.dtype)
                init = {"add": 0, "max": int(info.min), "min": int(info.max)}[kind]
        return lax.reduce_window(x, init, _COMPUTATIONS[kind], **kw)

    def ref(x, init=None, **kw):
        return naive_reduce_window(x, kind, init=init, **kw)

    return fn, ref


_WINDOWS = [
    ("pool2x2", (2, 4, 6), dict(window_dimensions=(1, 2, 2), window_strides=(1, 2, 2))),
    ("1d_same", (7,), dict(window_dimensions=(3,), window_strides=(2,), padding="SAME")),
    ("overlap", (5, 4), dict(window_dimensions=(3, 2), window_strides=(1, 1))),
    ("pads", (4, 5), dict(window_dimensions=(2, 3), window_strides=(2, 1),
                          padding=[(1, 0), (1, 2)])),
    ("negative_pad", (6, 5), dict(window_dimensions=(2, 2), window_strides=(1, 2),
                                  padding=[(-1, 1), (0, -1)])),
    ("base_dilation", (4, 3), dict(window_dimensions=(2, 2), window_strides=(1, 1),
                                   padding=[(0, 1), (1, 0)], base_dilation=(2, 1))),
    ("window_dilation", (6, 5), dict(window_dimensions=(2, 2), window_strides=(1, 2),
                                     window_dilation=(2, 2))),
]
for _kind in ("add", "max", "min"):
    _fn, _ref = _rw(_kind)
    for _name, _shape, _kw in _WINDOWS:
        ROWS.append(OpRow(f"{_PRIM[_kind]}_{_name}", _fn, _ref, [Arg(_shape)],
                          prims=(_PRIM[_kind],), static=_kw,
                          dtypes=("int32",) if _name == "overlap" else ()))
    ROWS.append(OpRow(f"{_PRIM[_kind]}_init", _fn, _ref, [Arg((4, 5))], prims=(_PRIM[_kind],),
                      static=dict(init=0.25, window_dimensions=(2, 2), window_strides=(2, 1),
                                  padding=[(1, 0), (0, 1)])))

ROWS += [
    OpRow("reduce_window_max_ties", _rw("max")[0], _rw("max")[1],
          [Arg((2, 4), value=[[1.0, 3.0, 3.0, -1.0], [3.0, 2.0, 3.0, 3.0]])],
          prims=("reduce_window_max",), static=dict(window_dimensions=(2, 2)),
          grad=False, why="ties: the gradient goes to the first maximum (tested in "
          "test_conv.py), which finite differences cannot see"),
]
