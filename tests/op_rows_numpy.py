"""Op-table rows for the important ``funcdiff.numpy`` functions, against NumPy itself.

These are compositions of lax primitives, so the rows check the compositions (axes,
keepdims, broadcasting, JAX's type promotion, indexing) under values, derivatives and
``vmap``; ``prims`` names the primitives each one certainly binds.
"""

from __future__ import annotations

import numpy as np
from op_table import Arg, OpRow

import funcdiff.numpy as fnp

ROWS: list[OpRow] = []

_I = dict(dtype="int32", diff=False)


def _row(name, fn, ref, args, prims, **kw):
    ROWS.append(OpRow(f"fnp.{name}", fn, ref, args, prims=prims, **kw))


# --- elementwise and promotion -----------------------------------------------------------------

_row("add_int_float", fnp.add, lambda a, b: np.add(a, b), [Arg((2, 3), **_I), Arg((3,))],
     ("add", "convert_element_type"))
_row("multiply_python_scalar", lambda x: fnp.multiply(x, 2.5), lambda x: x * np.float32(2.5),
     [Arg((2, 3))], ("mul",))
_row("true_divide_ints", fnp.true_divide, np.true_divide,
     [Arg((2, 3), "int32", domain="signed", diff=False),
      Arg((2, 3), "int32", domain="nonzero", diff=False)],
     ("div",), grad=False, why="integer inputs")
_row("floor_divide", fnp.floor_divide, np.floor_divide,
     [Arg((2, 3), domain="signed"), Arg((2, 3), domain="nonzero")], ("floor",),
     dtypes=("int32",), grad=False, why="piecewise constant")
_row("mod", fnp.mod, np.mod, [Arg((2, 3), domain="signed"), Arg((2, 3), domain="nonzero")],
     ("rem",), dtypes=("int32",))
_row("power", fnp.power, np.power, [Arg((2, 3), domain="positive"), Arg((2, 3))], ("pow",))
_row("power_int_exponent", lambda x: x ** 3, lambda x: x ** 3, [Arg((2, 3))],
     ("integer_pow",), dtypes=("int32",))
_row("maximum_bcast", fnp.maximum, np.maximum, [Arg((2, 1)), Arg((3,))], ("max",),
     dtypes=("int32",))
_row("where", fnp.where, np.where, [Arg((2, 3), "bool", diff=False), Arg((2, 3)), Arg((3,))],
     ("select",))
_row("where_scalar_branch", lambda c, x: fnp.where(c, x, 0.0),
     lambda c, x: np.where(c, x, np.float32(0)), [Arg((2, 3), "bool", diff=False),
                                                  Arg((2, 3))], ("select",))
_row("clip", lambda x: fnp.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), [Arg((2, 3))],
     ("max", "min"))
_row("logaddexp", fnp.logaddexp, np.logaddexp, [Arg((2, 3)), Arg((2, 3))], ("exp", "log"))
_row("hypot", fnp.hypot, np.hypot, [Arg((2, 3), domain="nonzero"), Arg((3,), domain="nonzero")],
     ("sqrt",))
_row("log2", fnp.log2, np.log2, [Arg((2, 3), domain="positive")], ("log",))
_row("reciprocal", fnp.reciprocal, np.reciprocal, [Arg((2, 3), domain="nonzero")], ("div",))
_row("sin_of_int", fnp.sin, lambda x: np.sin(x).astype(np.float32), [Arg((4,), **_I)],
     ("sin", "convert_element_type"), grad=False, why="integer input")
_row("exp_of_sum", lambda x, y: fnp.exp(x + y), lambda x, y: np.exp(x + y),
     [Arg((2, 3)), Arg(())], ("exp", "add"))

# --- reductions --------------------------------------------------------------------------------

_row("sum", lambda x: fnp.sum(x, axis=1), lambda x: np.sum(x, axis=1), [Arg((2, 3))],
     ("reduce_sum",), dtypes=("int32", "bool"))
_row("sum_all_keepdims", lambda x: fnp.sum(x, keepdims=True),
     lambda x: np.sum(x, keepdims=True), [Arg((2, 3))], ("reduce_sum",))
_row("mean_axes", lambda x: fnp.mean(x, axis=(0, 2)), lambda x: np.mean(x, axis=(0, 2)),
     [Arg((2, 3, 2))], ("reduce_sum", "div"))
_row("mean_of_ints", lambda x: fnp.mean(x, axis=0),
     lambda x: np.mean(x, axis=0).astype(np.float32), [Arg((3, 2), **_I)], ("reduce_sum",),
     grad=False, why="integer input")
_row("var_ddof", lambda x: fnp.var(x, axis=1, ddof=1), lambda x: np.var(x, axis=1, ddof=1),
     [Arg((2, 4))], ("reduce_sum",))
_row("std", lambda x: fnp.std(x, axis=0, keepdims=True),
     lambda x: np.std(x, axis=0, keepdims=True), [Arg((4, 2))], ("sqrt",))
_row("max_keepdims", lambda x: fnp.max(x, axis=-1, keepdims=True),
     lambda x: np.max(x, axis=-1, keepdims=True), [Arg((2, 3))], ("reduce_max",),
     dtypes=("int32",))
_row("min_all", fnp.min, np.min, [Arg((2, 3))], ("reduce_min",))
_row("prod", lambda x: fnp.prod(x, axis=0), lambda x: np.prod(x, axis=0),
     [Arg((3, 2), domain="nonzero")], ("reduce_prod",))
_row("argmax_flat", fnp.argmax, np.argmax, [Arg((2, 3))], ("argmax",), grad=False,
     why="integer output")
_row("argmin_axis", lambda x: fnp.argmin(x, axis=0), lambda x: np.argmin(x, axis=0),
     [Arg((3, 2))], ("argmin",), grad=False, why="integer output")
_row("cumsum_flat", fnp.cumsum, np.cumsum, [Arg((2, 3))], ("cumsum",))
_row("cumprod_axis", lambda x: fnp.cumprod(x, axis=1), lambda x: np.cumprod(x, axis=1),
     [Arg((2, 3), domain="nonzero")], ("cumprod",))
_row("all_any", lambda x: (fnp.all(x, axis=0), fnp.any(x)), lambda x: (np.all(x, 0), np.any(x)),
     [Arg((3, 2), "bool")], ("reduce_and", "reduce_or"), grad=False, why="boolean")

# --- products ----------------------------------------------------------------------------------

_row("matmul", fnp.matmul, np.matmul, [Arg((2, 3)), Arg((3, 4))], ("dot_general",),
     dtypes=("int32",))
_row("matmul_batched_bcast", fnp.matmul, np.matmul, [Arg((2, 1, 3, 4)), Arg((3, 4, 2))],
     ("dot_general",))
_row("matmul_vector", fnp.matmul, np.matmul, [Arg((3,)), Arg((2, 3, 4))], ("dot_general",))
_row("matmul_operator", lambda a, b: a @ b, lambda a, b: a @ b, [Arg((2, 3)), Arg((3,))],
     ("dot_general",))
_row("dot", fnp.dot, np.dot, [Arg((2, 3)), Arg((3, 2))], ("dot_general",))
_row("tensordot_axes1", lambda a, b: fnp.tensordot(a, b, axes=1),
     lambda a, b: np.tensordot(a, b, axes=1), [Arg((2, 3)), Arg((3, 2, 2))], ("dot_general",))
_row("tensordot_pairs", lambda a, b: fnp.tensordot(a, b, axes=((0, 2), (1, 0))),
     lambda a, b: np.tensordot(a, b, axes=((0, 2), (1, 0))), [Arg((2, 3, 4)), Arg((4, 2, 2))],
     ("dot_general",))
_row("outer", fnp.outer, np.outer, [Arg((3,)), Arg((2,))], ("mul",))
_row("vdot", fnp.vdot, np.vdot, [Arg((2, 3)), Arg((2, 3))], ("dot_general",))
_row("trace", fnp.trace, np.trace, [Arg((3, 3))], ("reduce_sum",))

# --- shapes ------------------------------------------------------------------------------------

_row("reshape", lambda x: fnp.reshape(x, (3, -1)), lambda x: np.reshape(x, (3, -1)),
     [Arg((2, 3))], ("reshape",))
_row("transpose_default", fnp.transpose, np.transpose, [Arg((2, 3, 4))], ("transpose",))
_row("swapaxes", lambda x: fnp.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2),
     [Arg((2, 3, 4))], ("transpose",))
_row("moveaxis", lambda x: fnp.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1),
     [Arg((2, 3, 4))], ("transpose",))
_row("expand_squeeze", lambda x: fnp.squeeze(fnp.expand_dims(x, (0, 2)), 0),
     lambda x: np.squeeze(np.expand_dims(x, (0, 2)), 0), [Arg((2, 3))], ("reshape",))
_row("concatenate", lambda a, b: fnp.concatenate([a, b], axis=-1),
     lambda a, b: np.concatenate([a, b], axis=-1), [Arg((2, 1)), Arg((2, 3))],
     ("concatenate",), dtypes=("int32", "bool"))
_row("stack", lambda a, b: fnp.stack([a, b], axis=1), lambda a, b: np.stack([a, b], axis=1),
     [Arg((2, 3)), Arg((2, 3))], ("concatenate",))
_row("split", lambda x: tuple(fnp.split(x, [1, 3], axis=1)),
     lambda x: tuple(np.split(x, [1, 3], axis=1)), [Arg((2, 4))], ("slice",))
_row("tile", lambda x: fnp.tile(x, (2, 1, 2)), lambda x: np.tile(x, (2, 1, 2)),
     [Arg((2, 3))], ("broadcast_in_dim",))
_row("repeat", lambda x: fnp.repeat(x, 2, axis=0), lambda x: np.repeat(x, 2, axis=0),
     [Arg((2, 3))], ("broadcast_in_dim",))
_row("pad_constant", lambda x: fnp.pad(x, ((1, 0), (2, 1)), constant_values=-1.0),
     lambda x: np.pad(x, ((1, 0), (2, 1)), constant_values=-1.0), [Arg((2, 3))], ("pad",))
_row("flip", lambda x: fnp.flip(x, 1), lambda x: np.flip(x, 1), [Arg((2, 3))], ("rev",))
_row("roll", lambda x: fnp.roll(x, 2, axis=1), lambda x: np.roll(x, 2, axis=1),
     [Arg((2, 4))], ("concatenate",))
_row("broadcast_to", lambda x: fnp.broadcast_to(x, (4, 2, 3)),
     lambda x: np.broadcast_to(x, (4, 2, 3)), [Arg((2, 1))], ("broadcast_in_dim",))

# --- indexing ----------------------------------------------------------------------------------

_row("getitem_basic", lambda x: x[1:, ::2], lambda x: x[1:, ::2], [Arg((3, 5))], ("slice",))
_row("getitem_negative_step", lambda x: x[::-2], lambda x: x[::-2], [Arg((5, 2))], ("rev",))
_row("getitem_int_newaxis", lambda x: x[None, 1, ..., -1], lambda x: x[None, 1, ..., -1],
     [Arg((3, 2, 4))], ("reshape",))
_row("getitem_int_array", lambda x, i: x[i], lambda x, i: x[i],
     [Arg((5, 3)), Arg((4,), bounds=(-5, 5), **_I)], ("gather",), dtypes=("int32",))
_row("getitem_array_on_axis1", lambda x, i: x[:, i], lambda x, i: x[:, i],
     [Arg((2, 5)), Arg((2, 2), bounds=(0, 5), **_I)], ("gather",))
_row("getitem_two_arrays", lambda x, i, j: x[i, j], lambda x, i, j: x[i, j],
     [Arg((4, 3)), Arg((2,), bounds=(0, 4), **_I), Arg((2,), bounds=(0, 3), **_I)],
     ("gather",))
_row("getitem_separated_arrays", lambda x, i, j: x[i, :, j], lambda x, i, j: x[i, :, j],
     [Arg((4, 2, 3)), Arg((2,), bounds=(0, 4), **_I), Arg((2,), bounds=(0, 3), **_I)],
     ("gather",))


_UFUNCS = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}


def _at_ref(how):
    def ref(x, i, u):
        out = x.copy()
        if how == "set":
            out[i] = u
        else:
            _UFUNCS[how].at(out, i, u)
        return out

    return ref


_UNIQUE = [3, 0, 4]
for _how in ("set", "add", "mul", "min", "max"):
    _row(f"at_{_how}", lambda x, i, u, _how=_how: getattr(x.at[i], _how)(u), _at_ref(_how),
         [Arg((5, 2)), Arg((3,), value=_UNIQUE, **_I), Arg((3, 2))], ("scatter",))
_row("at_add_repeated_bcast", lambda x, i, u: x.at[i].add(u), _at_ref("add"),
     [Arg((5, 2)), Arg((4,), value=[1, 3, 1, -1], **_I), Arg((2,))], ("scatter",))
_row("at_get", lambda x, i: x.at[i].get(), lambda x, i: x[i],
     [Arg((5, 2)), Arg((3,), bounds=(-5, 5), **_I)], ("gather",))
_row("take_axis", lambda x, i: fnp.take(x, i, axis=1), lambda x, i: np.take(x, i, axis=1),
     [Arg((2, 5)), Arg((3,), bounds=(0, 5), **_I)], ("gather",))
_row("take_along_axis", lambda x, i: fnp.take_along_axis(x, i, axis=1),
     lambda x, i: np.take_along_axis(x, i, axis=1),
     [Arg((2, 4)), Arg((2, 3), bounds=(0, 4), **_I)], ("gather",))

# --- sorting -----------------------------------------------------------------------------------

_row("sort", lambda x: fnp.sort(x, axis=0), lambda x: np.sort(x, axis=0), [Arg((3, 2))],
     ("sort",), dtypes=("int32",))
_row("sort_flat", lambda x: fnp.sort(x, axis=None), lambda x: np.sort(x, axis=None),
     [Arg((2, 3))], ("sort",))
_row("argsort", fnp.argsort, lambda x: np.argsort(x, kind="stable"), [Arg((2, 4))],
     ("argsort",), grad=False, why="integer output")
