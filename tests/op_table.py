"""The op table: one row per primitive (and per important ``funcdiff.numpy`` function).

Every row drives four checks (see ``test_op_values.py``, ``test_op_grads.py``,
``test_op_vmap.py``): its value against a NumPy reference over its shapes and dtypes; its
JVP and VJP against central finite differences in float64, first and second order; and its
batching rule against a Python loop with ``np.stack`` (in_axes 0, 1 and None).

Rows live in ``tests/op_rows_*.py`` files, each defining ``ROWS: list[OpRow]``; this module
collects them all, so a new family of primitives adds its own file and nothing else.
``test_rule_coverage.py`` fails when a primitive has no row here or lacks a rule.
"""

from __future__ import annotations

import dataclasses
import importlib
import pathlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Arg:
    """One argument: its shape, its dtype, and how to draw valid values.

    ``domain`` is ``"real"`` (standard normal), ``"positive"`` (in [0.5, 2]), ``"unit"`` (in
    (-0.9, 0.9)), ``"int"`` (small integers), ``"bool"``, ``"spd"`` (symmetric positive
    definite matrices in the last two axes), ``"nonzero"`` (|x| in [0.5, 2]) or ``"above1"``
    (in [1.2, 3]). Integer dtypes draw from [0, 4), or from ``bounds = (low, high)`` when given;
    with domain ``"nonzero"`` they draw ±[1, 4), with ``"positive"`` [1, 4), with ``"signed"``
    [-4, 4) (float args read ``"signed"`` as ``"real"``). ``value`` fixes the data (nested
    lists; ``shape`` must match it), for cases random draws would miss (ties, repeated
    indices).
    ``diff=False`` marks an argument that must not be differentiated (indices, predicates).
    ``unique=True`` draws integers distinct along the last axis (a slice of a random
    permutation of the bounds, per leading index), for scatter indices whose writes must
    not collide.
    """

    shape: tuple[int, ...]
    dtype: str = "float32"
    domain: str = "real"
    diff: bool = True
    bounds: tuple[int, int] | None = None
    value: Any = None
    unique: bool = False


@dataclass(frozen=True)
class OpRow:
    """A function of arrays (``fn``) checked against ``ref`` (a NumPy function of host arrays).

    ``prims`` names the primitives the row covers (for the coverage test). ``static`` holds
    keyword arguments passed to both ``fn`` and ``ref``. Set ``grad``/``vmap`` False only for
    a reason written in ``why``. ``atol``/``rtol`` apply to value checks in float32.
    ``dtypes`` lists further dtypes for the value check: each replaces the row's main dtype
    (see :func:`main_dtype`) in every argument of that dtype; float64 runs under x64.
    ``traceable=False`` marks a function that cannot be traced abstractly (``make_jaxpr``,
    as ``test_jaxpr.py`` does), e.g. reverse mode through a ``while_loop``; say why.
    """

    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    args: Sequence[Arg]
    prims: tuple[str, ...] = ()
    static: dict = field(default_factory=dict)
    grad: bool = True
    grad_order: int = 2
    vmap: bool = True
    atol: float = 1e-5
    rtol: float = 1e-5
    why: str = ""
    dtypes: tuple[str, ...] = ()
    traceable: bool = True

    def __str__(self) -> str:
        return self.name


def sample(arg: Arg, rng: np.random.Generator, dtype: str | None = None) -> np.ndarray:
    """Host values for ``arg`` (in ``dtype`` when given, else the arg's dtype)."""
    dt = np.dtype(dtype or arg.dtype)
    shape = arg.shape
    if arg.value is not None:
        return np.asarray(arg.value).astype(dt)
    if arg.domain == "bool" or dt == np.bool_:
        return rng.random(shape) > 0.5
    if arg.domain == "int" or dt.kind in "iu":
        low, high = arg.bounds or _INT_BOUNDS.get(arg.domain, (0, 4))
        if arg.unique and shape:
            if shape[-1] > high - low:
                raise ValueError(f"{shape[-1]} distinct integers do not fit in [{low}, {high})")
            keys = rng.random((*shape[:-1], high - low))
            x = np.argsort(keys, axis=-1)[..., :shape[-1]] + low
        else:
            x = rng.integers(low, high, shape)
        if arg.domain == "nonzero":
            x = x * rng.choice([-1, 1], shape)
        return x.astype(dt)
    if arg.domain == "above1":
        x = rng.uniform(1.2, 3.0, shape)
    elif arg.domain == "positive":
        x = rng.uniform(0.5, 2.0, shape)
    elif arg.domain == "unit":
        x = rng.uniform(-0.9, 0.9, shape)
    elif arg.domain == "nonzero":
        x = rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape)
    elif arg.domain == "spd":
        a = rng.normal(size=shape)
        x = a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])
    else:
        x = rng.normal(size=shape)
    return np.asarray(x).astype(dt)


_INT_BOUNDS = {"nonzero": (1, 4), "positive": (1, 4), "signed": (-4, 4)}


def main_dtype(row: OpRow) -> str:
    """The dtype that ``row.dtypes`` replaces: the first differentiable argument's."""
    for a in row.args:
        if a.diff:
            return a.dtype
    return row.args[0].dtype if row.args else "float32"


def args_in(row: OpRow, dtype: str) -> list[Arg]:
    """The row's arguments with its main dtype replaced by ``dtype``."""
    main = main_dtype(row)
    return [dataclasses.replace(a, dtype=dtype) if a.dtype == main else a for a in row.args]


def put(x: Any) -> Any:
    """Host data as a funcdiff array on the current backend (64-bit types kept under x64)."""
    import funcdiff as fd

    if isinstance(x, fd.Array):
        return x  # already placed; np.asarray would copy device data to the host
    return fd.device_put(np.asarray(x))


def all_rows() -> list[OpRow]:
    rows: list[OpRow] = []
    here = pathlib.Path(__file__).parent
    for path in sorted(here.glob("op_rows_*.py")):
        mod = importlib.import_module(path.stem)
        rows.extend(mod.ROWS)
    names = [r.name for r in rows]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"duplicate op-table row names: {sorted(dup)}")
    return rows
