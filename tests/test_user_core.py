"""Issue #2 (core), checked the way a user of the DESIGN.md contract would check it.

The code below is written as a JAX user porting code (only the imports changed) and a NumPy
user would write it. Expected numbers were computed once with JAX 0.10 (``jax.numpy`` in
place of ``fnp``, float32) and pasted here; the project never imports JAX.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import re
import warnings

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax, tree

BACKEND = os.environ.get("FUNCDIFF_BACKEND", "numpy")
STRICT = BACKEND == "strict"


def host(x):
    """A NumPy copy of an array, the public way (works on every backend)."""
    return np.asarray(fd.device_get(x))


# --- values and dtypes against JAX -----------------------------------------------------------

def core_cases(fnp, lax):
    """Expressions a JAX user writes, evaluated with ``fnp`` = jax.numpy or funcdiff.numpy."""
    a = fnp.array([[3.0, 1.0, 2.0], [-1.0, 5.0, 0.0]])
    x = fnp.arange(24.0).reshape(2, 3, 4)
    m = fnp.array([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
    v = fnp.array([0.5, 2.0, -1.5])
    i = fnp.array([7, -3, 2])
    return {
        # creation
        "array_int": lambda: fnp.array([1, 2, 3]),
        "array_nested": lambda: fnp.array([[1.0, 2.0], [3.0, 4.0]]),
        "asarray_bool": lambda: fnp.asarray([True, False]),
        "zeros": lambda: fnp.zeros((2, 3)),
        "zeros_int": lambda: fnp.zeros(3, dtype=fnp.int32),
        "ones": lambda: fnp.ones(2),
        "ones_bool": lambda: fnp.ones(2, dtype=bool),
        "full": lambda: fnp.full((2, 2), 7.0),
        "full_dtype": lambda: fnp.full(3, 2, dtype=fnp.float32),
        "zeros_like": lambda: fnp.zeros_like(i),
        "ones_like_dtype": lambda: fnp.ones_like(i, dtype=fnp.float32),
        "full_like": lambda: fnp.full_like(v, 9),
        "arange": lambda: fnp.arange(5),
        "arange_start_step": lambda: fnp.arange(2, 11, 3),
        "arange_float": lambda: fnp.arange(0.0, 1.0, 0.25),
        "linspace": lambda: fnp.linspace(0.0, 1.0, 5),
        "linspace_no_end": lambda: fnp.linspace(0, 2, 4, endpoint=False),
        "eye": lambda: fnp.eye(3),
        "eye_k": lambda: fnp.eye(2, 4, k=1),
        # elementwise math and comparisons
        "sin": lambda: fnp.sin(v),
        "exp": lambda: fnp.exp(v),
        "log_abs": lambda: fnp.log(fnp.abs(v)),
        "log1p": lambda: fnp.log1p(fnp.abs(v)),
        "sqrt": lambda: fnp.sqrt(fnp.abs(v)),
        "tanh": lambda: fnp.tanh(v),
        "arctan2": lambda: fnp.arctan2(v, fnp.array([1.0, -1.0, 2.0])),
        "power": lambda: fnp.power(fnp.abs(v), 1.5),
        "int_pow": lambda: i ** 2,
        "sign": lambda: fnp.sign(v),
        "floor_ceil": lambda: fnp.stack([fnp.floor(v), fnp.ceil(v)]),
        "round_half_even": lambda: fnp.round(fnp.array([0.5, 1.5, 2.5, -0.5])),
        "round_decimals": lambda: fnp.round(fnp.array([1.2345, -2.5678]), 2),
        "true_divide_int": lambda: i / 2,
        "floor_divide_int": lambda: i // 2,
        "mod_int": lambda: i % 3,
        "mod_float": lambda: v % 1.0,
        "greater": lambda: v > 0,
        "equal": lambda: fnp.equal(i, fnp.array([7, 3, 2])),
        "logical": lambda: fnp.logical_and(v > 0, v < 1) | (v < -1),
        "isclose": lambda: fnp.isclose(v, fnp.array([0.5, 2.000001, 1.5])),
        "where": lambda: fnp.where(v > 0, v, -10.0),
        "maximum": lambda: fnp.maximum(v, 0.0),
        "minimum": lambda: fnp.minimum(a, fnp.array([0.0, 2.0, 1.0])),
        "clip": lambda: fnp.clip(a, 0.0, 2.5),
        "clip_upper_only": lambda: fnp.clip(a, None, 1.0),
        # reductions
        "sum": lambda: fnp.sum(a),
        "sum_axis0": lambda: fnp.sum(a, axis=0),
        "sum_keepdims": lambda: fnp.sum(a, axis=1, keepdims=True),
        "sum_axes_tuple": lambda: fnp.sum(x, axis=(0, 2)),
        "mean_neg_axis": lambda: fnp.mean(x, axis=-1),
        "max_axis1": lambda: fnp.max(a, axis=1),
        "min_keepdims": lambda: fnp.min(a, axis=0, keepdims=True),
        "prod": lambda: fnp.prod(a + 2.0, axis=1),
        "var": lambda: fnp.var(a),
        "var_ddof": lambda: fnp.var(a, axis=0, ddof=1),
        "std_keepdims": lambda: fnp.std(x, axis=(1, 2), keepdims=True),
        "argmax": lambda: fnp.argmax(a),
        "argmax_axis": lambda: fnp.argmax(a, axis=1),
        "argmin_axis0": lambda: fnp.argmin(a, axis=0),
        "all_axis": lambda: fnp.all(a > -2, axis=1),
        "any": lambda: fnp.any(a > 4),
        "sum_int": lambda: fnp.sum(i),
        "mean_int": lambda: fnp.mean(i),
        "sum_bool": lambda: fnp.sum(v > 0),
        # shape ops
        "reshape": lambda: fnp.reshape(x, (4, -1)),
        "transpose": lambda: fnp.transpose(x, (2, 0, 1)),
        "transpose_default": lambda: fnp.transpose(a),
        "swapaxes": lambda: fnp.swapaxes(x, 0, 2),
        "moveaxis": lambda: fnp.moveaxis(x, 0, -1),
        "expand_dims": lambda: fnp.expand_dims(a, (0, 2)),
        "squeeze": lambda: fnp.squeeze(fnp.ones((1, 3, 1)), axis=0),
        "concatenate": lambda: fnp.concatenate([a, 2 * a], axis=1),
        "concatenate_promotes": lambda: fnp.concatenate([i, fnp.array([0.5])]),
        "stack_last": lambda: fnp.stack([v, 2 * v], axis=-1),
        "split_sections": lambda: fnp.stack(fnp.split(fnp.arange(6), 3)),
        "split_indices": lambda: fnp.concatenate(fnp.split(fnp.arange(6), [1, 4])[1:]),
        "tile": lambda: fnp.tile(fnp.array([1, 2]), (2, 2)),
        "repeat": lambda: fnp.repeat(fnp.array([1, 2]), 2),
        "repeat_axis": lambda: fnp.repeat(a, 2, axis=0),
        "broadcast_to": lambda: fnp.broadcast_to(fnp.array([1, 2]), (3, 2)),
        "pad": lambda: fnp.pad(fnp.array([1.0, 2.0]), 1),
        "pad_widths_value": lambda: fnp.pad(a, ((0, 1), (2, 0)), constant_values=9.0),
        "pad_reflect": lambda: fnp.pad(v, 2, mode="reflect"),
        "pad_edge": lambda: fnp.pad(v, (1, 2), mode="edge"),
        "flip": lambda: fnp.flip(a),
        "flip_axis": lambda: fnp.flip(a, axis=1),
        "take": lambda: fnp.take(a, fnp.array([2, 0]), axis=1),
        "take_flat": lambda: fnp.take(a, fnp.array([4, 0])),
        "take_along_axis": lambda: fnp.take_along_axis(a, fnp.argsort(a, axis=1), axis=1),
        # products
        "matmul": lambda: fnp.matmul(a, m),
        "matmul_op_vec": lambda: a @ v,
        "matmul_batched": lambda: fnp.ones((2, 1, 2, 3)) @ fnp.arange(12.0).reshape(4, 3, 1),
        "dot_vv": lambda: fnp.dot(v, v),
        "dot_mm": lambda: fnp.dot(a, m),
        "dot_scalar": lambda: fnp.dot(2.0, v),
        "tensordot_2": lambda: fnp.tensordot(x, fnp.ones((3, 4)), axes=2),
        "tensordot_axes": lambda: fnp.tensordot(x, fnp.arange(12.0).reshape(4, 3),
                                                axes=([1, 2], [1, 0])),
        "einsum_matmul": lambda: fnp.einsum("ij,jk->ik", a, m),
        "einsum_trace": lambda: fnp.einsum("ii", m),
        "einsum_implicit": lambda: fnp.einsum("ij,jk", a, m),
        "einsum_batch": lambda: fnp.einsum("bij,bjk->bik", x[:, :, :3], fnp.stack([m, m])),
        "einsum_three": lambda: fnp.einsum("ij,jk,k->i", a, m, v),
        "einsum_ellipsis": lambda: fnp.einsum("...i,i->...", x, fnp.arange(4.0)),
        "outer": lambda: fnp.outer(v, fnp.arange(2.0)),
        # cumsum / sort
        "cumsum": lambda: fnp.cumsum(a),
        "cumsum_axis": lambda: fnp.cumsum(a, axis=0),
        "cumsum_bool": lambda: fnp.cumsum(v > 0),
        "sort": lambda: fnp.sort(a),
        "sort_axis0": lambda: fnp.sort(a, axis=0),
        "sort_none": lambda: fnp.sort(a, axis=None),
        "argsort": lambda: fnp.argsort(a),
        "argsort_stable": lambda: fnp.argsort(fnp.array([1, 0, 1, 0, 2]), stable=True),
        "argsort_descending": lambda: fnp.argsort(fnp.array([1, 0, 1, 0, 2]), descending=True),
        # linalg
        "norm": lambda: fnp.linalg.norm(a),
        "norm_axis": lambda: fnp.linalg.norm(a, axis=1),
        "norm_ord1": lambda: fnp.linalg.norm(v, ord=1),
        "norm_inf": lambda: fnp.linalg.norm(v, ord=fnp.inf),
        "norm_fro": lambda: fnp.linalg.norm(m, "fro"),
        "norm_matrix_2": lambda: fnp.linalg.norm(m, 2),
        "norm_keepdims": lambda: fnp.linalg.norm(a, axis=1, keepdims=True),
        "inv": lambda: fnp.linalg.inv(m),
        "inv_batched": lambda: fnp.linalg.inv(fnp.stack([m, 2 * m])),
        "solve_vec": lambda: fnp.linalg.solve(m, v),
        "solve_mat": lambda: fnp.linalg.solve(m, a.T),
        "det": lambda: fnp.linalg.det(m),
        "det_batched": lambda: fnp.linalg.det(fnp.stack([m, 2 * m])),
        "cholesky": lambda: fnp.linalg.cholesky(m),
        # broadcasting
        "broadcast_col_row": lambda: fnp.arange(3.0).reshape(3, 1) + fnp.arange(4.0),
        "broadcast_3d": lambda: fnp.ones((2, 1, 4)) * fnp.arange(3.0).reshape(3, 1),
        # indexing
        "idx_int": lambda: x[1],
        "idx_neg": lambda: x[-1, -1],
        "idx_slice": lambda: x[:, 1:, ::2],
        "idx_neg_step": lambda: v[::-1],
        "idx_ellipsis": lambda: x[..., 0],
        "idx_newaxis": lambda: v[None, :, None],
        "idx_int_array": lambda: v[fnp.array([0, 2, 2, -1])],
        "idx_2d_int_array": lambda: v[fnp.array([[0, 1], [2, 0]])],
        "idx_bool_mask": lambda: v[v > 0],
        "idx_bool_2d": lambda: a[a > 1],
        "idx_two_arrays": lambda: x[fnp.array([0, 1]), fnp.array([1, 2])],
        "idx_arrays_split_by_slice": lambda: x[fnp.array([0, 1]), :, fnp.array([1, 3])],
        "idx_array_after_slice": lambda: x[1, 1:, fnp.array([0, 3])],
        "idx_scalar_array": lambda: v[fnp.array(1)],
        # .at[]
        "at_set": lambda: v.at[1].set(10.0),
        "at_set_slice": lambda: x.at[0, :, 1].set(-1.0)[0],
        "at_add_repeated": lambda: v.at[fnp.array([0, 0, 2])].add(1.0),
        "at_mul": lambda: v.at[1:].mul(3.0),
        "at_min": lambda: v.at[fnp.array([0, 1])].min(1.0),
        "at_max": lambda: v.at[fnp.array([0, 2])].max(0.0),
        "at_get": lambda: v.at[::2].get(),
        "at_get_fill": lambda: v.at[fnp.array([1, 9])].get(mode="fill", fill_value=-7.0),
        "at_mask": lambda: v.at[v < 0].set(0.0),
        "at_out_of_bounds_dropped": lambda: v.at[10].set(5.0),
        "at_set_int_on_float": lambda: v.at[0].set(3),
    }


JAX_RESULTS = {
    "array_int": ("int32", [1, 2, 3]),
    "array_nested": ("float32", [[1.0, 2.0], [3.0, 4.0]]),
    "asarray_bool": ("bool", [True, False]),
    "zeros": ("float32", [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
    "zeros_int": ("int32", [0, 0, 0]),
    "ones": ("float32", [1.0, 1.0]),
    "ones_bool": ("bool", [True, True]),
    "full": ("float32", [[7.0, 7.0], [7.0, 7.0]]),
    "full_dtype": ("float32", [2.0, 2.0, 2.0]),
    "zeros_like": ("int32", [0, 0, 0]),
    "ones_like_dtype": ("float32", [1.0, 1.0, 1.0]),
    "full_like": ("float32", [9.0, 9.0, 9.0]),
    "arange": ("int32", [0, 1, 2, 3, 4]),
    "arange_start_step": ("int32", [2, 5, 8]),
    "arange_float": ("float32", [0.0, 0.25, 0.5, 0.75]),
    "linspace": ("float32", [0.0, 0.25, 0.5, 0.75, 1.0]),
    "linspace_no_end": ("float32", [0.0, 0.5, 1.0, 1.5]),
    "eye": ("float32", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    "eye_k": ("float32", [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]),
    "sin": ("float32", [0.4794255, 0.9092974, -0.997495]),
    "exp": ("float32", [1.648721, 7.389056, 0.2231302]),
    "log_abs": ("float32", [-0.6931472, 0.6931472, 0.4054651]),
    "log1p": ("float32", [0.4054651, 1.098612, 0.9162908]),
    "sqrt": ("float32", [0.7071068, 1.414214, 1.224745]),
    "tanh": ("float32", [0.4621172, 0.9640276, -0.9051482]),
    "arctan2": ("float32", [0.4636476, 2.034444, -0.6435011]),
    "power": ("float32", [0.3535534, 2.828427, 1.837117]),
    "int_pow": ("int32", [49, 9, 4]),
    "sign": ("float32", [1.0, 1.0, -1.0]),
    "floor_ceil": ("float32", [[0.0, 2.0, -2.0], [1.0, 2.0, -1.0]]),
    "round_half_even": ("float32", [0.0, 2.0, 2.0, -0.0]),
    "round_decimals": ("float32", [1.23, -2.57]),
    "true_divide_int": ("float32", [3.5, -1.5, 1.0]),
    "floor_divide_int": ("int32", [3, -2, 1]),
    "mod_int": ("int32", [1, 0, 2]),
    "mod_float": ("float32", [0.5, 0.0, 0.5]),
    "greater": ("bool", [True, True, False]),
    "equal": ("bool", [True, False, True]),
    "logical": ("bool", [True, False, True]),
    "isclose": ("bool", [True, True, False]),
    "where": ("float32", [0.5, 2.0, -10.0]),
    "maximum": ("float32", [0.5, 2.0, 0.0]),
    "minimum": ("float32", [[0.0, 1.0, 1.0], [-1.0, 2.0, 0.0]]),
    "clip": ("float32", [[2.5, 1.0, 2.0], [0.0, 2.5, 0.0]]),
    "clip_upper_only": ("float32", [[1.0, 1.0, 1.0], [-1.0, 1.0, 0.0]]),
    "sum": ("float32", 10.0),
    "sum_axis0": ("float32", [2.0, 6.0, 2.0]),
    "sum_keepdims": ("float32", [[6.0], [4.0]]),
    "sum_axes_tuple": ("float32", [60.0, 92.0, 124.0]),
    "mean_neg_axis": ("float32", [[1.5, 5.5, 9.5], [13.5, 17.5, 21.5]]),
    "max_axis1": ("float32", [3.0, 5.0]),
    "min_keepdims": ("float32", [[-1.0, 1.0, 0.0]]),
    "prod": ("float32", [60.0, 14.0]),
    "var": ("float32", 3.888889),
    "var_ddof": ("float32", [8.0, 8.0, 2.0]),
    "std_keepdims": ("float32", [[[3.452053]], [[3.452053]]]),
    "argmax": ("int32", 4),
    "argmax_axis": ("int32", [0, 1]),
    "argmin_axis0": ("int32", [1, 0, 1]),
    "all_axis": ("bool", [True, True]),
    "any": ("bool", True),
    "sum_int": ("int32", 6),
    "mean_int": ("float32", 2.0),
    "sum_bool": ("int32", 2),
    "reshape": (
        "float32",
        [
            [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            [6.0, 7.0, 8.0, 9.0, 10.0, 11.0],
            [12.0, 13.0, 14.0, 15.0, 16.0, 17.0],
            [18.0, 19.0, 20.0, 21.0, 22.0, 23.0],
        ],
    ),
    "transpose": (
        "float32",
        [
            [[0.0, 4.0, 8.0], [12.0, 16.0, 20.0]],
            [[1.0, 5.0, 9.0], [13.0, 17.0, 21.0]],
            [[2.0, 6.0, 10.0], [14.0, 18.0, 22.0]],
            [[3.0, 7.0, 11.0], [15.0, 19.0, 23.0]],
        ],
    ),
    "transpose_default": ("float32", [[3.0, -1.0], [1.0, 5.0], [2.0, 0.0]]),
    "swapaxes": (
        "float32",
        [
            [[0.0, 12.0], [4.0, 16.0], [8.0, 20.0]],
            [[1.0, 13.0], [5.0, 17.0], [9.0, 21.0]],
            [[2.0, 14.0], [6.0, 18.0], [10.0, 22.0]],
            [[3.0, 15.0], [7.0, 19.0], [11.0, 23.0]],
        ],
    ),
    "moveaxis": (
        "float32",
        [
            [[0.0, 12.0], [1.0, 13.0], [2.0, 14.0], [3.0, 15.0]],
            [[4.0, 16.0], [5.0, 17.0], [6.0, 18.0], [7.0, 19.0]],
            [[8.0, 20.0], [9.0, 21.0], [10.0, 22.0], [11.0, 23.0]],
        ],
    ),
    "expand_dims": ("float32", [[[[3.0, 1.0, 2.0]], [[-1.0, 5.0, 0.0]]]]),
    "squeeze": ("float32", [[1.0], [1.0], [1.0]]),
    "concatenate": (
        "float32",
        [[3.0, 1.0, 2.0, 6.0, 2.0, 4.0], [-1.0, 5.0, 0.0, -2.0, 10.0, 0.0]],
    ),
    "concatenate_promotes": ("float32", [7.0, -3.0, 2.0, 0.5]),
    "stack_last": ("float32", [[0.5, 1.0], [2.0, 4.0], [-1.5, -3.0]]),
    "split_sections": ("int32", [[0, 1], [2, 3], [4, 5]]),
    "split_indices": ("int32", [1, 2, 3, 4, 5]),
    "tile": ("int32", [[1, 2, 1, 2], [1, 2, 1, 2]]),
    "repeat": ("int32", [1, 1, 2, 2]),
    "repeat_axis": (
        "float32",
        [[3.0, 1.0, 2.0], [3.0, 1.0, 2.0], [-1.0, 5.0, 0.0], [-1.0, 5.0, 0.0]],
    ),
    "broadcast_to": ("int32", [[1, 2], [1, 2], [1, 2]]),
    "pad": ("float32", [0.0, 1.0, 2.0, 0.0]),
    "pad_widths_value": (
        "float32",
        [[9.0, 9.0, 3.0, 1.0, 2.0], [9.0, 9.0, -1.0, 5.0, 0.0], [9.0, 9.0, 9.0, 9.0, 9.0]],
    ),
    "pad_reflect": ("float32", [-1.5, 2.0, 0.5, 2.0, -1.5, 2.0, 0.5]),
    "pad_edge": ("float32", [0.5, 0.5, 2.0, -1.5, -1.5, -1.5]),
    "flip": ("float32", [[0.0, 5.0, -1.0], [2.0, 1.0, 3.0]]),
    "flip_axis": ("float32", [[2.0, 1.0, 3.0], [0.0, 5.0, -1.0]]),
    "take": ("float32", [[2.0, 3.0], [0.0, -1.0]]),
    "take_flat": ("float32", [5.0, 3.0]),
    "take_along_axis": ("float32", [[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]]),
    "matmul": ("float32", [[13.0, 8.0, 5.0], [1.0, 14.0, 5.0]]),
    "matmul_op_vec": ("float32", [0.5, 9.5]),
    "matmul_batched": (
        "float32",
        [
            [[[3.0], [3.0]], [[12.0], [12.0]], [[21.0], [21.0]], [[30.0], [30.0]]],
            [[[3.0], [3.0]], [[12.0], [12.0]], [[21.0], [21.0]], [[30.0], [30.0]]],
        ],
    ),
    "dot_vv": ("float32", 6.5),
    "dot_mm": ("float32", [[13.0, 8.0, 5.0], [1.0, 14.0, 5.0]]),
    "dot_scalar": ("float32", [1.0, 4.0, -3.0]),
    "tensordot_2": ("float32", [66.0, 210.0]),
    "tensordot_axes": ("float32", [440.0, 1232.0]),
    "einsum_matmul": ("float32", [[13.0, 8.0, 5.0], [1.0, 14.0, 5.0]]),
    "einsum_trace": ("float32", 9.0),
    "einsum_implicit": ("float32", [[13.0, 8.0, 5.0], [1.0, 14.0, 5.0]]),
    "einsum_batch": (
        "float32",
        [
            [[1.0, 5.0, 5.0], [21.0, 25.0, 17.0], [41.0, 45.0, 29.0]],
            [[61.0, 65.0, 41.0], [81.0, 85.0, 53.0], [101.0, 105.0, 65.0]],
        ],
    ),
    "einsum_three": ("float32", [15.0, 21.0]),
    "einsum_ellipsis": ("float32", [[14.0, 38.0, 62.0], [86.0, 110.0, 134.0]]),
    "outer": ("float32", [[0.0, 0.5], [0.0, 2.0], [-0.0, -1.5]]),
    "cumsum": ("float32", [3.0, 4.0, 6.0, 5.0, 10.0, 10.0]),
    "cumsum_axis": ("float32", [[3.0, 1.0, 2.0], [2.0, 6.0, 2.0]]),
    "cumsum_bool": ("int32", [1, 2, 2]),
    "sort": ("float32", [[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]]),
    "sort_axis0": ("float32", [[-1.0, 1.0, 0.0], [3.0, 5.0, 2.0]]),
    "sort_none": ("float32", [-1.0, 0.0, 1.0, 2.0, 3.0, 5.0]),
    "argsort": ("int32", [[1, 2, 0], [0, 2, 1]]),
    "argsort_stable": ("int32", [1, 3, 0, 2, 4]),
    "argsort_descending": ("int32", [4, 0, 2, 1, 3]),
    "norm": ("float32", 6.324555),
    "norm_axis": ("float32", [3.741657, 5.09902]),
    "norm_ord1": ("float32", 4.0),
    "norm_inf": ("float32", 2.0),
    "norm_fro": ("float32", 5.744563),
    "norm_matrix_2": ("float32", 4.73205),
    "norm_keepdims": ("float32", [[3.741657], [5.09902]]),
    "inv": (
        "float32",
        [
            [0.2777778, -0.1111111, 0.05555556],
            [-0.1111111, 0.4444444, -0.2222222],
            [0.05555556, -0.2222222, 0.6111111],
        ],
    ),
    "inv_batched": (
        "float32",
        [
            [
                [0.2777778, -0.1111111, 0.05555556],
                [-0.1111111, 0.4444444, -0.2222222],
                [0.05555556, -0.2222222, 0.6111111],
            ],
            [
                [0.1388889, -0.05555556, 0.02777778],
                [-0.05555556, 0.2222222, -0.1111111],
                [0.02777778, -0.1111111, 0.3055556],
            ],
        ],
    ),
    "solve_vec": ("float32", [-0.1666667, 1.166667, -1.333333]),
    "solve_mat": (
        "float32",
        [[0.8333333, -0.8333334], [-0.3333333, 2.333333], [1.166667, -1.166667]],
    ),
    "det": ("float32", 18.0),
    "det_batched": ("float32", [18.0, 144.0]),
    "cholesky": ("float32", [[2.0, 0.0, 0.0], [0.5, 1.658312, 0.0], [0.0, 0.6030227, 1.279204]]),
    "broadcast_col_row": (
        "float32",
        [[0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0]],
    ),
    "broadcast_3d": (
        "float32",
        [
            [[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0]],
            [[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0]],
        ],
    ),
    "idx_int": (
        "float32",
        [[12.0, 13.0, 14.0, 15.0], [16.0, 17.0, 18.0, 19.0], [20.0, 21.0, 22.0, 23.0]],
    ),
    "idx_neg": ("float32", [20.0, 21.0, 22.0, 23.0]),
    "idx_slice": ("float32", [[[4.0, 6.0], [8.0, 10.0]], [[16.0, 18.0], [20.0, 22.0]]]),
    "idx_neg_step": ("float32", [-1.5, 2.0, 0.5]),
    "idx_ellipsis": ("float32", [[0.0, 4.0, 8.0], [12.0, 16.0, 20.0]]),
    "idx_newaxis": ("float32", [[[0.5], [2.0], [-1.5]]]),
    "idx_int_array": ("float32", [0.5, -1.5, -1.5, -1.5]),
    "idx_2d_int_array": ("float32", [[0.5, 2.0], [-1.5, 0.5]]),
    "idx_bool_mask": ("float32", [0.5, 2.0]),
    "idx_bool_2d": ("float32", [3.0, 2.0, 5.0]),
    "idx_two_arrays": ("float32", [[4.0, 5.0, 6.0, 7.0], [20.0, 21.0, 22.0, 23.0]]),
    "idx_arrays_split_by_slice": ("float32", [[1.0, 5.0, 9.0], [15.0, 19.0, 23.0]]),
    "idx_array_after_slice": ("float32", [[16.0, 20.0], [19.0, 23.0]]),
    "idx_scalar_array": ("float32", 2.0),
    "at_set": ("float32", [0.5, 10.0, -1.5]),
    "at_set_slice": (
        "float32",
        [[0.0, -1.0, 2.0, 3.0], [4.0, -1.0, 6.0, 7.0], [8.0, -1.0, 10.0, 11.0]],
    ),
    "at_add_repeated": ("float32", [2.5, 2.0, -0.5]),
    "at_mul": ("float32", [0.5, 6.0, -4.5]),
    "at_min": ("float32", [0.5, 1.0, -1.5]),
    "at_max": ("float32", [0.5, 2.0, 0.0]),
    "at_get": ("float32", [0.5, -1.5]),
    "at_get_fill": ("float32", [2.0, -7.0]),
    "at_mask": ("float32", [0.5, 2.0, 0.0]),
    "at_out_of_bounds_dropped": ("float32", [0.5, 2.0, -1.5]),
    "at_set_int_on_float": ("float32", [3.0, 2.0, -1.5]),
}


@pytest.mark.parametrize("name", sorted(JAX_RESULTS))
def test_numpy_api_matches_jax(name):
    got = core_cases(fnp, lax)[name]()
    dtype, values = JAX_RESULTS[name]
    expected = np.asarray(values, dtype=dtype)
    assert isinstance(got, fd.Array)
    assert str(got.dtype) == dtype, f"{name}: dtype {got.dtype}, JAX gives {dtype}"
    assert got.shape == expected.shape
    np.testing.assert_allclose(host(got), expected, rtol=2e-6, atol=1e-6)


# --- dtypes: float32 by default, x64 on request, JAX's promotion lattice ---------------------

# jnp.zeros(1, a) + jnp.zeros(1, b) and jnp.zeros(1, a) + scalar, from JAX (x64 off, then on).
JAX_PROMOTION = {
    False: (
        "bool+uint8=uint8 bool+int8=int8 bool+int32=int32 bool+uint32=uint32 bool+int64=int32 "
        "bool+float16=float16 bool+float32=float32 bool+float64=float32 uint8+int8=int16 "
        "uint8+int32=int32 uint8+uint32=uint32 uint8+int64=int32 uint8+float16=float16 "
        "uint8+float32=float32 uint8+float64=float32 int8+int32=int32 int8+uint32=int32 "
        "int8+int64=int32 int8+float16=float16 int8+float32=float32 int8+float64=float32 "
        "int32+uint32=int32 int32+int64=int32 int32+float16=float16 int32+float32=float32 "
        "int32+float64=float32 uint32+int64=int32 uint32+float16=float16 uint32+float32=float32 "
        "uint32+float64=float32 int64+float16=float16 int64+float32=float32 "
        "int64+float64=float32 float16+float32=float32 float16+float64=float32 "
        "float32+float64=float32 bool+1=int32 bool+1.0=float32 uint8+1=uint8 uint8+1.0=float32 "
        "int8+1=int8 int8+1.0=float32 int32+1=int32 int32+1.0=float32 uint32+1=uint32 "
        "uint32+1.0=float32 int64+1=int32 int64+1.0=float32 float16+1=float16 "
        "float16+1.0=float16 float32+1=float32 float32+1.0=float32 float64+1=float32 "
        "float64+1.0=float32"
    ),
    True: (
        "bool+uint8=uint8 bool+int8=int8 bool+int32=int32 bool+uint32=uint32 bool+int64=int64 "
        "bool+float16=float16 bool+float32=float32 bool+float64=float64 uint8+int8=int16 "
        "uint8+int32=int32 uint8+uint32=uint32 uint8+int64=int64 uint8+float16=float16 "
        "uint8+float32=float32 uint8+float64=float64 int8+int32=int32 int8+uint32=int64 "
        "int8+int64=int64 int8+float16=float16 int8+float32=float32 int8+float64=float64 "
        "int32+uint32=int64 int32+int64=int64 int32+float16=float16 int32+float32=float32 "
        "int32+float64=float64 uint32+int64=int64 uint32+float16=float16 uint32+float32=float32 "
        "uint32+float64=float64 int64+float16=float16 int64+float32=float32 "
        "int64+float64=float64 float16+float32=float32 float16+float64=float64 "
        "float32+float64=float64 bool+1=int64 bool+1.0=float64 uint8+1=uint8 uint8+1.0=float64 "
        "int8+1=int8 int8+1.0=float64 int32+1=int32 int32+1.0=float64 uint32+1=uint32 "
        "uint32+1.0=float64 int64+1=int64 int64+1.0=float64 float16+1=float16 "
        "float16+1.0=float16 float32+1=float32 float32+1.0=float32 float64+1=float64 "
        "float64+1.0=float64"
    ),
}


@pytest.mark.parametrize("x64", [False, True])
def test_type_promotion_matches_jax(x64):
    with fd.config.override(enable_x64=x64), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zeros(1, "float64") warns when x64 is off
        for entry in JAX_PROMOTION[x64].split():
            a, b, want = re.fullmatch(r"(\w+)\+([\w.]+)=(\w+)", entry).groups()
            other = {"1": 1, "1.0": 1.0}.get(b)
            rhs = fnp.zeros(1, b) if other is None else other
            assert str((fnp.zeros(1, a) + rhs).dtype) == want, entry


def test_default_dtypes_and_weak_python_scalars():
    x = fnp.ones(3)
    assert x.dtype == fnp.float32 and fnp.arange(3).dtype == fnp.int32
    assert (x * 2.0).dtype == fnp.float32  # Python scalars are weakly typed
    assert (fnp.ones(2, fnp.float16) * 2.0).dtype == fnp.float16
    assert (fnp.ones(2, fnp.int8) + 1).dtype == fnp.int8
    assert (fnp.arange(3) * 2.0).dtype == fnp.float32
    assert (fnp.array([1], fnp.int32) + fnp.array([1.0], fnp.float32)).dtype == fnp.float32
    assert repr(fnp.array(3.0)) == "Array(3., dtype=float32, weak_type=True)"
    assert fnp.asarray(np.ones(2)).dtype == fnp.float32  # NumPy float64 data, x64 off


def test_explicit_float64_request_warns_and_is_truncated():
    with pytest.warns(UserWarning, match=r"Explicitly requested dtype float64 in zeros is not "
                      r"available.*enable_x64"):
        z = fnp.zeros(2, dtype=fnp.float64)
    assert z.dtype == fnp.float32
    with pytest.warns(UserWarning, match="requested dtype float64 in array"):
        assert fnp.array([1.0], dtype="float64").dtype == fnp.float32


def test_enable_x64_keeps_64_bit_types():
    fd.config.update("enable_x64", True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no truncation warning with x64 on
            assert fnp.zeros(2, dtype=fnp.float64).dtype == fnp.float64
        assert fnp.array([1.0]).dtype == fnp.float64
        assert fnp.arange(3).dtype == fnp.int64
        assert (fnp.ones(2, fnp.float32) * 2.0).dtype == fnp.float32
        assert fnp.sum(fnp.array([0.1] * 10)).item() == pytest.approx(1.0, abs=1e-15)
    finally:
        fd.config.update("enable_x64", False)
    assert fnp.array([1.0]).dtype == fnp.float32


def test_jax_spelling_of_config_flags_is_accepted():
    fd.config.update("jax_enable_x64", True)  # what `jax.config.update` code says
    try:
        assert fd.config.enable_x64 and fd.config.jax_enable_x64
        assert fnp.ones(1).dtype == fnp.float64
    finally:
        fd.config.update("jax_enable_x64", False)
    with fd.config.override(jax_enable_x64=True):
        assert fnp.ones(1).dtype == fnp.float64
    assert fnp.ones(1).dtype == fnp.float32 and not fd.config.enable_x64
    with pytest.raises(ValueError, match="unknown config option 'jax_no_such_flag'"):
        fd.config.update("jax_no_such_flag", True)
    with pytest.raises(ValueError, match="unknown config option 'nope'"):
        with fd.config.override(nope=True):
            pass
    with pytest.raises(AttributeError, match="no option 'nope'"):
        fd.config.nope  # noqa: B018  (a failed override leaves no flag behind)


# --- NumPy behaviours beyond JAX's -------------------------------------------------------------


def test_round_integers_to_negative_decimals_as_numpy():
    v = np.array([15, 25, -15, -25, 14, 16, 7, -7, 123456789, 45], np.int32)
    for decimals in (-1, -2, -4, -10):
        got = fnp.round(fnp.asarray(v), decimals)
        assert got.dtype == fnp.int32
        np.testing.assert_array_equal(host(got), np.round(v, decimals))
    np.testing.assert_array_equal(host(fnp.round(fnp.arange(3), 2)), [0, 1, 2])


def test_reshape_in_fortran_order_as_numpy():
    a = np.arange(24.0).reshape(2, 3, 4)
    for shape in [(4, 6), (4, -1), (24,), (2, 2, 6)]:
        np.testing.assert_array_equal(host(fnp.reshape(fnp.asarray(a), shape, order="F")),
                                      a.reshape(shape, order="F"))
    np.testing.assert_array_equal(host(fnp.asarray(a).reshape((6, 4), order="F")),
                                  a.reshape((6, 4), order="F"))
    np.testing.assert_array_equal(host(fnp.ravel(fnp.asarray(a), order="F")), a.ravel("F"))
    with pytest.raises(ValueError, match=r"reshape: cannot reshape an array of shape \(2, 3, 4\) "
                       r"into shape \(5, 5\) \(at .*test_user_core.py"):
        fnp.reshape(fnp.asarray(a), (5, 5), order="F")
    with pytest.raises(NotImplementedError, match="order='A' is not supported"):
        fnp.reshape(fnp.asarray(a), -1, order="A")


def test_broadcasting_error_names_the_shapes():
    with pytest.raises(ValueError, match=r"add: incompatible shapes for broadcasting: \(2, 3\), "
                       r"\(4,\)"):
        fnp.ones((2, 3)) + fnp.ones(4)


# --- Array: immutability, .at[], conversions ---------------------------------------------------


def test_arrays_are_immutable_and_at_returns_new_arrays():
    x = fnp.arange(4.0)
    with pytest.raises(TypeError, match=r"immutable.*x = x\.at\[0\]\.set\(y\)"):
        x[0] = 1.0
    with pytest.raises(AttributeError):
        x.shape = (2, 2)
    y = x.at[0].set(10.0).at[1].add(5.0).at[2].mul(3.0).at[3].min(-1.0)
    np.testing.assert_array_equal(host(y), [10.0, 6.0, 6.0, -1.0])
    np.testing.assert_array_equal(host(x), [0.0, 1.0, 2.0, 3.0])  # unchanged
    assert y.at[0].max(20.0).at[0].get().item() == 20.0
    with pytest.raises(TypeError, match="unhashable"):
        hash(x)


def test_repr_str_and_host_conversions():
    x = fnp.arange(6.0).reshape(2, 3)
    assert repr(x) == "Array([[0., 1., 2.],\n       [3., 4., 5.]], dtype=float32)"
    assert str(x) == "[[0. 1. 2.]\n [3. 4. 5.]]"
    assert repr(fnp.array([1, 2])) == "Array([1, 2], dtype=int32)"
    assert repr(fnp.array([True])) == "Array([ True], dtype=bool)"
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert x[1, 2].item() == 5.0 and isinstance(x[1, 2].item(), float)
    assert fnp.array([3]).item() == 3
    assert float(x[0, 1]) == 1.0 and int(fnp.array(7)) == 7 and bool(fnp.array(True))
    assert f"{fnp.array(2.5):.2f}" == "2.50"
    assert [0, 1, 2][fnp.array(1)] == 1  # integer scalars are indices
    assert len(x) == 2 and [r.shape for r in x] == [(3,), (3,)]
    assert (x.ndim, x.size, x.shape, x.dtype, x.nbytes) == (2, 6, (2, 3), fnp.float32, 24)
    with pytest.raises(ValueError, match="truth value of an array with 2 elements"):
        bool(fnp.array([True, False]))
    with pytest.raises(TypeError, match=r"only 0-d \(scalar\) arrays.*float\(\)"):
        float(x)
    if BACKEND in ("strict", "cupy"):  # device arrays copy to the host only when asked
        with pytest.raises(TypeError, match="device_get"):
            np.asarray(x)
    else:
        np.testing.assert_array_equal(np.asarray(x), [[0, 1, 2], [3, 4, 5]])
        assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert isinstance(fd.device_get(x), np.ndarray)


def test_array_methods_as_in_jax():
    x = fnp.arange(6.0).reshape(2, 3)
    assert x.sum().item() == 15.0
    np.testing.assert_array_equal(host(x.mean(0)), [1.5, 2.5, 3.5])
    np.testing.assert_array_equal(host(x.max(axis=1)), [2.0, 5.0])
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape(-1).shape == (6,)
    assert x.T.shape == (3, 2) and x.transpose(1, 0).shape == (3, 2)
    assert x.astype(fnp.int32).dtype == fnp.int32
    assert x.argmax().item() == 5 and x.flatten().shape == (6,)
    np.testing.assert_allclose(host(x.std()), np.arange(6.0).std(), rtol=1e-6)
    np.testing.assert_array_equal(host(x.clip(1, 3)), np.clip(np.arange(6.0).reshape(2, 3), 1, 3))
    np.testing.assert_array_equal(host(x.cumsum()), np.cumsum(np.arange(6.0)))
    assert isinstance(x, fnp.ndarray) and isinstance(x, fd.Array)


# --- indexing: what NumPy and JAX allow --------------------------------------------------------


def test_indexing_out_of_bounds_and_bad_indices():
    v = fnp.arange(5.0)
    # As in JAX, out-of-bound reads are clamped (NumPy would raise), and writes dropped.
    assert v[fnp.array([7])].tolist() == [4.0] and v[7].item() == 4.0
    assert v.at[10].set(1.0).tolist() == v.tolist()
    with pytest.raises(IndexError, match="only integers, slices"):
        v[1.0]
    assert v[[0, 2]].tolist() == [0.0, 2.0]  # a list index is an integer array (as in NumPy)


# --- pytrees --------------------------------------------------------------------------------

Point = collections.namedtuple("Point", "x y")


@dataclasses.dataclass
class Pair:
    a: object
    b: object


class Box:
    def __init__(self, value, label):
        self.value, self.label = value, label


tree.register_pytree_node(Box, lambda b: ((b.value,), b.label),
                          lambda label, children: Box(children[0], label))


@dataclasses.dataclass
class Scaled:
    w: object
    n: int


tree.register_dataclass(Scaled, data_fields=["w"], meta_fields=["n"])


def test_pytrees_as_in_jax():
    t = {"b": 1, "a": 2, "c": [3, (4, None)]}
    assert tree.leaves(t) == [2, 1, 3, 4]  # dict keys sorted, None is an empty subtree
    assert tree.structure(t).num_leaves == 4
    assert str(tree.structure({"a": 1, "b": (2, None)})) == "PyTreeDef({'a': *, 'b': (*, None)})"
    assert tree.map(lambda z: z * 2, Point(1, 2)) == Point(2, 4)
    assert tree.map(lambda z: z + 1, {"a": None, "b": 1}) == {"a": None, "b": 2}
    assert tree.map(lambda p, q: p + q, {"x": 1, "y": [2]}, {"x": 10, "y": [20]}) == {
        "x": 11, "y": [22]}
    assert tree.map(len, {"a": [1, 2], "b": [3]}, is_leaf=lambda z: isinstance(z, list)) == {
        "a": 2, "b": 1}
    leaves, treedef = tree.flatten({"b": [1, 2], "a": 3})
    assert leaves == [3, 1, 2]
    assert tree.unflatten(treedef, [7, 8, 9]) == {"a": 7, "b": [8, 9]}
    assert tree.reduce(lambda p, q: p + q, {"a": 1, "b": [2, 3]}) == 6
    assert tree.reduce(lambda p, q: p + q, {"a": 1, "b": [2, 3]}, 100) == 106
    assert tree.leaves(Pair(1, [2, 3])) == [1, 2, 3]  # dataclasses are pytrees (DESIGN.md)
    assert tree.map(lambda z: -z, Pair(1, 2)) == Pair(-1, -2)
    boxed = tree.map(lambda z: z * 3, Box([1, 2], "m"))
    assert isinstance(boxed, Box) and boxed.value == [3, 6] and boxed.label == "m"
    assert tree.leaves(Box([1, 2], "m")) == [1, 2]
    assert tree.leaves(Scaled(5, 3)) == [5]
    assert tree.map(lambda z: z + 1, Scaled(5, 3)) == Scaled(6, 3)
    assert tree.leaves([fnp.ones(2), {"w": fnp.zeros(3)}])[1].shape == (3,)


def test_pytree_paths_as_in_jax():
    t = {"a": [1, {"c": 2}], "b": Point(3, 4)}
    paths = [tree.keystr(p) for p, _ in tree.flatten_with_path(t)[0]]
    assert paths == ["['a'][0]", "['a'][1]['c']", "['b'].x", "['b'].y"]
    ((path, leaf), *_), treedef = tree.flatten_with_path(t)
    assert leaf == 1 and treedef == tree.structure(t)
    assert repr(path) == "(DictKey(key='a'), SequenceKey(idx=0))"
    assert tree.map_with_path(lambda p, z: tree.keystr(p), {"a": [1, 2], "b": (3,)}) == {
        "a": ["['a'][0]", "['a'][1]"], "b": ("['b'][0]",)}
    assert tree.map_with_path(lambda p, x, y: x + y, {"a": [1, 2]}, {"a": [10, 20]}) == {
        "a": [11, 22]}


def test_pytree_structure_errors():
    with pytest.raises(ValueError, match="dict keys differ: expected \\('x',\\), got \\('y',\\)"):
        tree.map(lambda p, q: p + q, {"x": 1}, {"y": 2})
    with pytest.raises(ValueError, match="expected list of 2 children, got 1"):
        tree.map(lambda p, q: p + q, [1, 2], [1])
    with pytest.raises(ValueError, match="has 2 leaves, but 1 leaves were given"):
        tree.unflatten(tree.structure([1, 2]), [1])


# --- make_jaxpr and shape errors ---------------------------------------------------------------


def _loss(x, y):
    z = fnp.sin(x) * y
    return fnp.sum(z + 2.0)


def test_make_jaxpr_prints_like_jax():
    j = fd.make_jaxpr(_loss)(fnp.ones(3), fnp.ones(3))
    assert str(j) == (
        "{ lambda ; a:f32[3] b:f32[3]. let\n"
        "    c:f32[3] = sin a\n"
        "    d:f32[3] = mul c b\n"
        "    e:f32[3] = add d 2.0:f32[]\n"
        "    f:f32[] = reduce_sum[axes=(0,)] e\n"
        "  in (f,) }"
    )
    # JAX records the same equations, and ported code reading them keeps working.
    assert [e.primitive.name for e in j.jaxpr.eqns] == ["sin", "mul", "add", "reduce_sum"]
    assert [str(a) for a in j.in_avals] == ["f32[3]", "f32[3]"] and len(j.out_avals) == 1
    two = fd.make_jaxpr(lambda x: (x, x * 2))(1.0)
    assert str(two) == "{ lambda ; a:f32[]. let b:f32[] = mul a 2.0:f32[] in (a, b) }"
    cast = fd.make_jaxpr(lambda x: x.astype(fnp.int32) + 1)(fnp.ones(3))
    assert "convert_element_type[new_dtype=int32, weak_type=False] a" in str(cast)
    assert "c:i32[3] = add b 1:i32[]" in str(cast)


def test_make_jaxpr_of_pytree_arguments():
    j = fd.make_jaxpr(lambda d: d["a"] * d["b"])({"a": fnp.ones(2), "b": fnp.float32(3.0)})
    assert str(j) == "{ lambda ; a:f32[2] b:f32[]. let c:f32[2] = mul a b in (c,) }"


def _bad_matmul(x):
    return x @ fnp.ones((4, 2))


def test_shape_errors_raised_while_tracing_name_op_shapes_and_line():
    # JAX raises TypeError and NumPy ValueError for these; funcdiff's ShapeError is both.
    where = r"\(at .*test_user_core\.py:\d+ \(_bad_matmul\)\)"
    for transform in (fd.make_jaxpr, fd.jit, lambda f: f):
        with pytest.raises(TypeError, match=r"matmul: the last axis of the first operand \(3, "
                           r"shape \(2, 3\)\) must match the second-to-last axis of the second "
                           r"\(4, shape \(4, 2\)\) " + where):
            transform(_bad_matmul)(fnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"matmul: .*shape \(3,\).*only axis of the second "
                       r"\(4, shape \(4,\)\)"):
        fnp.ones(3) @ fnp.ones(4)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape an array of shape \(6,\) "
                       r"into shape \(4, 2\)"):
        fd.make_jaxpr(lambda x: x.reshape(4, 2))(fnp.ones(6))


def test_shape_errors_under_grad_and_vmap_name_the_shapes_the_user_wrote():
    def per_example(r):
        return fnp.sum(r * fnp.arange(2.0))

    where = r" \(at .*test_user_core\.py:\d+ \(per_example\)\)"
    msg = r"mul: incompatible shapes for broadcasting: \(3,\), \(2,\)" + where
    with pytest.raises(ValueError, match=msg):
        fd.grad(per_example)(fnp.ones(3))
    with pytest.raises(ValueError, match=msg):  # one example's shapes, as JAX reports them
        fd.vmap(per_example)(fnp.ones((5, 3)))
    with pytest.raises(ValueError, match=msg):
        fd.vmap(fd.vmap(per_example))(fnp.ones((4, 5, 3)))
    with pytest.raises(ValueError, match=msg):
        fd.jit(fd.vmap(fd.grad(per_example)))(fnp.ones((5, 3)))


def test_debug_nans_names_the_operation_and_line():
    def f(x):
        return fnp.sum(fnp.log(x))

    with fd.config.override(debug_nans=True), np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError, match=r"debug_nans: log produced a NaN \(at "
                           r".*test_user_core\.py:\d+ \(f\)\)"):
            f(fnp.array([-1.0, 2.0]))
    with np.errstate(invalid="ignore"):
        assert np.isnan(f(fnp.array([-1.0])).item())  # off by default


# --- devices ---------------------------------------------------------------------------------


def test_devices_and_placement():
    devs = fd.devices()
    cpu = devs[0]
    assert cpu.platform == "cpu" and str(cpu) == "cpu:0"
    assert all(d.platform in ("cpu", "gpu") for d in devs)
    x = fnp.ones(3)
    assert x.device == fd.devices(BACKEND)[0]  # new arrays: the chosen backend's device
    assert str(x.device) == ("gpu:0" if BACKEND == "cupy" else "cpu:0")
    y = fd.device_put(np.arange(3.0), cpu)
    assert isinstance(y, fd.Array) and y.device == cpu and y.dtype == fnp.float32
    placed = fd.device_put({"w": np.ones(2), "b": [1.0]}, "cpu:0")
    assert isinstance(placed["w"], fd.Array) and isinstance(placed["b"][0], fd.Array)
    back = fd.device_get({"w": placed["w"], "n": 3})
    assert isinstance(back["w"], np.ndarray) and back["n"] == 3
    np.testing.assert_array_equal(back["w"], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"no device named 'tpu:3'; available: cpu:0"):
        fd.device_put(x, "tpu:3")


def test_fd_data_is_reachable_from_the_top_level_module():
    assert fd.data.Dataset is not None and fd.data.DataLoader is not None
