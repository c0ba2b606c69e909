"""Op table, batching: each row under ``vmap`` against a Python loop stacked with ``np.stack``.

Every combination of ``in_axes`` from {0, 1 (where the rank allows), None} over the row's
arguments is tried (all-``None`` excepted; rows with many arguments use {0, None} and one
all-1 combination, to stay fast). The loop runs the row's own function on each slice, so
a mismatch points at a batching rule, not at an implementation. Nested ``vmap`` is checked
too: all arguments mapped at both levels, and the outer level mapping only the first
argument while the inner maps the rest.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from conftest import host
from op_table import Arg, OpRow, all_rows, put, sample

import funcdiff as fd

ROWS = [r for r in all_rows() if r.vmap]
B = 5  # batch size: unlike every size in the rows' shapes, so axis mix-ups show
MAX_COMBOS = 36


def axis_options(arg: Arg) -> list:
    return [0, 1, None] if len(arg.shape) >= 1 else [0, None]


def in_axes_combos(row: OpRow) -> list[tuple]:
    options = [axis_options(a) for a in row.args]
    combos = list(itertools.product(*options))
    if len(combos) > MAX_COMBOS:
        combos = list(itertools.product(*([0, None] for _ in row.args)))
        combos.append(tuple(1 if len(a.shape) >= 1 else 0 for a in row.args))
    return [c for c in combos if any(a is not None for a in c)]


def batched_sample(arg: Arg, axis, size: int, rng: np.random.Generator) -> np.ndarray:
    """Host values for ``arg`` with a batch of ``size`` inserted at ``axis`` (None: none)."""
    if axis is None:
        return sample(arg, rng)
    if arg.value is not None:  # fixed data: the same example in every batch slot
        x = np.stack([sample(arg, rng)] * size)
    else:
        x = sample(dataclasses.replace(arg, shape=(size, *arg.shape)), rng)
    return np.moveaxis(x, 0, axis)


def take(x: np.ndarray, axis, i: int) -> np.ndarray:
    return x if axis is None else np.take(x, i, axis=axis)


def as_list(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def loop(fn, xs: list, axes: tuple, size: int) -> list[np.ndarray]:
    """``fn`` on each slice along ``axes``, outputs stacked along a new leading axis."""
    outs = [[host(o) for o in as_list(fn(*[take(x, a, i) for x, a in zip(xs, axes)]))]
            for i in range(size)]
    return [np.stack(col) for col in zip(*outs, strict=True)]


def assert_same(got: list, want: list[np.ndarray], row: OpRow, what: str) -> None:
    assert len(got) == len(want), f"{row.name} {what}: {len(got)} outputs, expected {len(want)}"
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        g = host(g)
        assert g.shape == w.shape, f"{row.name} {what} output {k}: shape {g.shape} vs {w.shape}"
        assert g.dtype == w.dtype, f"{row.name} {what} output {k}: dtype {g.dtype} vs {w.dtype}"
        np.testing.assert_allclose(g, w, rtol=row.rtol, atol=row.atol,
                                   err_msg=f"{row.name} {what} output {k}")


def _fn(row: OpRow):
    return lambda *xs: row.fn(*[put(x) if isinstance(x, np.ndarray) else x for x in xs],
                              **row.static)


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_vmap(row: OpRow):
    assert row.args, f"{row.name}: vmap=True but the row has no arguments"
    fn = _fn(row)
    for axes in in_axes_combos(row):
        rng = np.random.default_rng(0)
        xs = [batched_sample(a, ax, B, rng) for a, ax in zip(row.args, axes, strict=True)]
        want = loop(fn, xs, axes, B)
        got = as_list(fd.vmap(fn, in_axes=axes)(*[put(x) for x in xs]))
        assert_same(got, want, row, f"in_axes={axes}")


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_vmap_of_vmap(row: OpRow):
    fn = _fn(row)
    n = len(row.args)
    plans = [((0,) * n, (0,) * n)]
    if n >= 2:
        plans.append(((0,) + (None,) * (n - 1), (None,) + (0,) * (n - 1)))
    b1, b2 = 2, 3
    for outer, inner in plans:
        rng = np.random.default_rng(1)
        xs = []
        for a, ao, ai in zip(row.args, outer, inner, strict=True):
            x = batched_sample(a, ai, b2, rng) if ai is not None else sample(a, rng)
            if ao is not None:
                x = np.stack([x] * b1) if a.value is not None else np.stack(
                    [batched_sample(a, ai, b2, rng) if ai is not None else sample(a, rng)
                     for _ in range(b1)])
            xs.append(x)

        per_outer = [loop(fn, [take(x, ao, i) for x, ao in zip(xs, outer)], inner, b2)
                     for i in range(b1)]
        want = [np.stack(col) for col in zip(*per_outer, strict=True)]
        got = as_list(fd.vmap(fd.vmap(fn, in_axes=inner), in_axes=outer)(
            *[put(x) for x in xs]))
        assert_same(got, want, row, f"vmap(vmap(in_axes={inner}), in_axes={outer})")
