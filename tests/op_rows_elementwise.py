"""Op-table rows for the elementwise primitives (``funcdiff/lax/elementwise.py``).

Math, comparisons, bitwise ops, ``select``, ``convert_element_type``, ``integer_pow`` and
``stop_gradient``, over scalars, equal shapes, broadcasting shapes and size-0 arrays, in
float32 (float64 via the drivers), int32 and bool where the primitive accepts them.
"""

from __future__ import annotations

import math

import numpy as np
from op_table import Arg, OpRow

from funcdiff import lax

ROWS: list[OpRow] = []

_erf = np.vectorize(math.erf)


def _erf_ref(x):
    return _erf(x.astype(np.float64)).astype(x.dtype)


def _erf_inv_ref(x):
    # Newton steps on erf from a good start: exact to float64 rounding on (-1, 1).
    y = np.arctanh(x.astype(np.float64)) * 0.9
    for _ in range(40):
        y = y - (_erf(y) - x) / (2 / math.sqrt(math.pi) * np.exp(-y * y))
    return y.astype(x.dtype)


def _logistic_ref(x):
    return (1 / (1 + np.exp(-x.astype(np.float64)))).astype(x.dtype)


def _round_away(x):
    # In float64, where |x| + 0.5 is exact for every float32 x (0.49999997 stays below 1).
    x64 = x.astype(np.float64)
    return (np.sign(x64) * np.floor(np.abs(x64) + 0.5)).astype(x.dtype)


# name, lax function, NumPy reference, domain, extra dtypes for the value check
_UNARY = [
    ("neg", lax.neg, np.negative, "real", ("int32",)),
    ("sign", lax.sign, np.sign, "real", ("int32",)),
    ("floor", lax.floor, np.floor, "real", ()),
    ("ceil", lax.ceil, np.ceil, "real", ()),
    ("round", lax.round, _round_away, "real", ()),
    ("abs", lax.abs, np.abs, "nonzero", ("int32",)),
    ("exp", lax.exp, np.exp, "real", ()),
    ("log", lax.log, np.log, "positive", ()),
    ("log1p", lax.log1p, np.log1p, "positive", ()),
    ("expm1", lax.expm1, np.expm1, "real", ()),
    ("sqrt", lax.sqrt, np.sqrt, "positive", ()),
    ("rsqrt", lax.rsqrt, lambda x: 1 / np.sqrt(x), "positive", ()),
    ("cbrt", lax.cbrt, np.cbrt, "nonzero", ()),
    ("sin", lax.sin, np.sin, "real", ()),
    ("cos", lax.cos, np.cos, "real", ()),
    ("tan", lax.tan, np.tan, "unit", ()),
    ("asin", lax.asin, np.arcsin, "unit", ()),
    ("acos", lax.acos, np.arccos, "unit", ()),
    ("atan", lax.atan, np.arctan, "real", ()),
    ("sinh", lax.sinh, np.sinh, "real", ()),
    ("cosh", lax.cosh, np.cosh, "real", ()),
    ("tanh", lax.tanh, np.tanh, "real", ()),
    ("asinh", lax.asinh, np.arcsinh, "real", ()),
    ("acosh", lax.acosh, np.arccosh, "above1", ()),
    ("atanh", lax.atanh, np.arctanh, "unit", ()),
    ("logistic", lax.logistic, _logistic_ref, "real", ()),
    ("erf", lax.erf, _erf_ref, "real", ()),
    ("erf_inv", lax.erf_inv, _erf_inv_ref, "unit", ()),
]

for _name, _fn, _ref, _dom, _dts in _UNARY:
    ROWS.append(OpRow(f"{_name}", _fn, _ref, [Arg((2, 3), domain=_dom)], prims=(_name,),
                      dtypes=_dts))
    ROWS.append(OpRow(f"{_name}_scalar", _fn, _ref, [Arg((), domain=_dom)], prims=(_name,)))

for _name, _fn, _ref, _dom, _ in _UNARY[:3] + _UNARY[6:8]:
    ROWS.append(OpRow(f"{_name}_empty", _fn, _ref, [Arg((0, 3), domain=_dom)], prims=(_name,)))

ROWS += [
    OpRow("round_halves", lax.round, _round_away,
          [Arg((6,), value=[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])], prims=("round",), grad=False,
          why="the halves are where round jumps: finite differences are meaningless there"),
    OpRow("round_to_nearest_even", lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN),
          np.round, [Arg((7,), value=[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999997])],
          prims=("round",), grad=False, why="only halves: where round jumps"),
    OpRow("round_just_below_half", lax.round, _round_away,
          [Arg((4,), value=[0.49999997, -0.49999997, 1.4999999, 2.5000002])],
          prims=("round",), grad=False, why="next to the jumps of round"),
    OpRow("is_finite", lax.is_finite, np.isfinite,
          [Arg((5,), value=[0.0, np.inf, -np.inf, np.nan, -3.0])], prims=("is_finite",),
          grad=False, why="boolean output"),
    OpRow("is_finite_random", lax.is_finite, np.isfinite, [Arg((2, 3))],
          prims=("is_finite",), grad=False, why="boolean output"),
    OpRow("stop_gradient", lax.stop_gradient, lambda x: x, [Arg((2, 3))],
          prims=("stop_gradient",), grad=False,
          why="its derivative is zero by definition (finite differences see the identity); "
              "test_op_grads checks the zero separately"),
]


# --- binary arithmetic ---------------------------------------------------------------------


def _int_div(x, y):
    # C-style division (round toward zero), as lax.div on integers.
    if x.dtype.kind in "iu":
        q = np.abs(x) // np.abs(y)
        return (np.sign(x) * np.sign(y) * q).astype(x.dtype)
    return x / y


# name, lax function, reference, (x domain, y domain), extra dtypes
_BINARY = [
    ("add", lax.add, np.add, ("signed", "signed"), ("int32",)),
    ("sub", lax.sub, np.subtract, ("signed", "signed"), ("int32",)),
    ("mul", lax.mul, np.multiply, ("signed", "signed"), ("int32",)),
    ("div", lax.div, _int_div, ("signed", "nonzero"), ("int32",)),
    ("rem", lax.rem, np.fmod, ("signed", "nonzero"), ("int32",)),
    ("pow", lax.pow, np.power, ("positive", "real"), ()),
    ("max", lax.max, np.maximum, ("signed", "signed"), ("int32", "bool")),
    ("min", lax.min, np.minimum, ("signed", "signed"), ("int32", "bool")),
    ("atan2", lax.atan2, np.arctan2, ("real", "real"), ()),
]

_SHAPES = [
    ("", (2, 3), (2, 3)),
    ("_bcast", (2, 1), (1, 3)),
    ("_rank", (3,), (2, 3)),
    ("_scalar", (), ()),
    ("_with_scalar", (2, 3), ()),
    ("_empty", (0, 3), (1, 3)),
]

for _name, _fn, _ref, (_dx, _dy), _dts in _BINARY:
    for _suffix, _sx, _sy in _SHAPES:
        ROWS.append(OpRow(f"{_name}{_suffix}", _fn, _ref,
                          [Arg(_sx, domain=_dx), Arg(_sy, domain=_dy)], prims=(_name,),
                          dtypes=_dts if _suffix in ("", "_bcast") else ()))

ROWS += [
    OpRow("add_int_overflow", lax.add, np.add,
          [Arg((2,), "int32", value=[2**31 - 1, -(2**31)]), Arg((2,), "int32", value=[1, -1])],
          prims=("add",), grad=False, why="integers wrap around, as in XLA"),
    OpRow("div_int_signs", lax.div, _int_div,
          [Arg((4,), "int32", value=[7, -7, 7, -7]), Arg((4,), "int32", value=[2, 2, -2, -2])],
          prims=("div",), grad=False, why="integers: rounds toward zero, as C"),
    OpRow("rem_int_signs", lax.rem, np.fmod,
          [Arg((4,), "int32", value=[7, -7, 7, -7]), Arg((4,), "int32", value=[2, 2, -2, -2])],
          prims=("rem",), grad=False, why="integers: the sign of the dividend, as C"),
    OpRow("pow_y_zero", lax.pow, np.power,
          [Arg((3,), domain="positive"), Arg((3,), value=[0.0, 0.0, 0.0])], prims=("pow",)),
    OpRow("max_python_scalar", lambda x: lax.max(x, 0.0), lambda x: np.maximum(x, 0),
          [Arg((2, 3))], prims=("max",)),
]


# --- integer_pow ---------------------------------------------------------------------------


def _ipow_ref(x, y):
    return np.power(x, y) if y >= 0 else (1.0 / np.power(x, -y)).astype(x.dtype)


for _y in (0, 1, 2, 3, -1, -2, 5):
    ROWS.append(OpRow(f"integer_pow_{_y}".replace("-", "m"), lax.integer_pow, _ipow_ref,
                      [Arg((2, 3), domain="nonzero")], prims=("integer_pow",), static={"y": _y},
                      dtypes=("int32",) if _y >= 0 else ()))
ROWS += [
    OpRow("integer_pow_scalar", lax.integer_pow, _ipow_ref, [Arg(())], prims=("integer_pow",),
          static={"y": 3}),
    OpRow("square", lax.square, np.square, [Arg((2, 3))], prims=("integer_pow",),
          dtypes=("int32",)),
]


# --- comparisons ---------------------------------------------------------------------------

_TIES = ([[0.0, 1.0, -1.0], [2.0, 2.0, 0.5]], [[0.0, -1.0, -1.0], [1.0, 2.0, 0.5]])

for _name, _ref in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                    ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)):
    _fn = getattr(lax, _name)
    ROWS += [
        OpRow(_name, _fn, _ref, [Arg((2, 3)), Arg((2, 3))], prims=(_name,),
              dtypes=("int32", "bool"), grad=False, why="boolean output"),
        OpRow(f"{_name}_ties", _fn, _ref, [Arg((2, 3), value=_TIES[0]),
                                          Arg((2, 3), value=_TIES[1])],
              prims=(_name,), dtypes=("int32",), grad=False, why="boolean output"),
        OpRow(f"{_name}_bcast", _fn, _ref, [Arg((2, 1)), Arg((3,))], prims=(_name,),
              grad=False, why="boolean output"),
    ]


# --- bitwise -------------------------------------------------------------------------------


def _srl_ref(x, y):
    bits = x.dtype.itemsize * 8
    over = (y < 0) | (y >= bits)
    u = np.dtype(f"uint{bits}")
    out = np.right_shift(x.astype(np.int64) & ((1 << bits) - 1), np.where(over, 0, y))
    return np.where(over, 0, out.astype(u).astype(x.dtype)).astype(x.dtype)


def _popcount_ref(x):
    u = x.astype(np.int64) & ((1 << (x.dtype.itemsize * 8)) - 1)
    return np.array([bin(int(v)).count("1") for v in u.ravel()]).reshape(x.shape).astype(x.dtype)


_INTS = dict(dtype="int32", domain="signed", diff=False)
_BITWISE_WHY = "integer and boolean only"
for _name, _ref in (("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or),
                    ("bitwise_xor", np.bitwise_xor)):
    _fn = getattr(lax, _name)
    _p = _name.split("_")[1]
    ROWS += [
        OpRow(_name, _fn, _ref, [Arg((2, 3), **_INTS), Arg((2, 3), **_INTS)], prims=(_p,),
              dtypes=("bool",), grad=False, why=_BITWISE_WHY),
        OpRow(f"{_name}_bcast", _fn, _ref, [Arg((2, 1), **_INTS), Arg((), **_INTS)],
              prims=(_p,), grad=False, why=_BITWISE_WHY),
    ]

_SHIFT_AMOUNTS = dict(dtype="int32", diff=False, bounds=(-2, 40))
ROWS += [
    OpRow("bitwise_not", lax.bitwise_not, np.invert, [Arg((2, 3), **_INTS)], prims=("not",),
          dtypes=("bool",), grad=False, why=_BITWISE_WHY),
    OpRow("shift_left", lax.shift_left, np.left_shift,
          [Arg((2, 3), **_INTS), Arg((2, 3), dtype="int32", diff=False, bounds=(0, 5))],
          prims=("shift_left",), grad=False, why=_BITWISE_WHY),
    OpRow("shift_right_arithmetic", lax.shift_right_arithmetic, np.right_shift,
          [Arg((2, 3), **_INTS), Arg((2, 3), dtype="int32", diff=False, bounds=(0, 5))],
          prims=("shift_right_arithmetic",), grad=False, why=_BITWISE_WHY),
    OpRow("shift_right_logical", lax.shift_right_logical, _srl_ref,
          [Arg((2, 3), **_INTS), Arg((2, 3), dtype="int32", diff=False, bounds=(0, 5))],
          prims=("shift_right_logical",), grad=False, why=_BITWISE_WHY),
    OpRow("shift_left_overshift", lax.shift_left,
          lambda x, y: np.where((y < 0) | (y >= 32), 0, np.left_shift(x, y)).astype(x.dtype),
          [Arg((4, 3), **_INTS), Arg((4, 3), **_SHIFT_AMOUNTS)],
          prims=("shift_left",), grad=False, why=_BITWISE_WHY),
    OpRow("shift_right_arithmetic_overshift", lax.shift_right_arithmetic,
          lambda x, y: np.where((y < 0) | (y >= 32), np.where(x < 0, -1, 0),
                                np.right_shift(x, y)).astype(x.dtype),
          [Arg((4, 3), **_INTS), Arg((4, 3), **_SHIFT_AMOUNTS)],
          prims=("shift_right_arithmetic",), grad=False, why=_BITWISE_WHY),
    OpRow("shift_right_logical_overshift", lax.shift_right_logical, _srl_ref,
          [Arg((4, 3), **_INTS), Arg((4, 3), **_SHIFT_AMOUNTS)],
          prims=("shift_right_logical",), grad=False, why=_BITWISE_WHY),
    OpRow("population_count", lax.population_count, _popcount_ref,
          [Arg((2, 3), dtype="int32", diff=False, bounds=(-300, 300))],
          prims=("population_count",), grad=False, why=_BITWISE_WHY),
]


# --- select, convert_element_type ------------------------------------------------------------

_PRED = dict(dtype="bool", diff=False)
ROWS += [
    OpRow("select", lax.select, np.where, [Arg((2, 3), **_PRED), Arg((2, 3)), Arg((2, 3))],
          prims=("select",), dtypes=("int32", "bool")),
    OpRow("select_scalar_pred", lax.select, np.where, [Arg((), **_PRED), Arg((2, 3)),
                                                       Arg((2, 3))], prims=("select",)),
    OpRow("select_bcast", lax.select, np.where, [Arg((2, 1), **_PRED), Arg((3,)),
                                                 Arg((2, 3))], prims=("select",)),
    OpRow("select_scalars", lax.select, np.where, [Arg((), **_PRED), Arg(()), Arg(())],
          prims=("select",)),
    OpRow("select_empty", lax.select, np.where, [Arg((0,), **_PRED), Arg((0,)), Arg((0,))],
          prims=("select",)),
    OpRow("select_python_scalar", lambda p, x: lax.select(p, x, 0.0),
          lambda p, x: np.where(p, x, 0).astype(x.dtype), [Arg((2, 3), **_PRED), Arg((2, 3))],
          prims=("select",)),
]

for _src, _dst in (("float32", "int32"), ("int32", "float32"), ("float32", "bool"),
                   ("bool", "float32"), ("int32", "bool"), ("float32", "float64"),
                   ("float64", "float32")):
    # To float32 the result is too coarse for finite differences; float32 -> float64 covers
    # the derivative of a float conversion.
    _grad = _src.startswith("float") and _dst == "float64"
    ROWS.append(OpRow(
        f"convert_{_src}_to_{_dst}", lax.convert_element_type,
        lambda x, new_dtype: x.astype(new_dtype),
        [Arg((2, 3), _src, domain="signed" if _src != "bool" else "bool",
             diff=_src.startswith("float"))],
        prims=("convert_element_type",), static={"new_dtype": np.dtype(_dst)},
        grad=_grad, why="" if _grad else "integer, boolean or float32 output"))
