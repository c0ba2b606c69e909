"""Memory planning never changes results: random programs under ``jit`` equal eager ones.

A seeded generator writes small programs mixing elementwise operations (with broadcasting),
``select`` against zero (the masked form jit writes for ReLU gradients), views (reshapes,
transposes, slices, broadcasts), matrix products (contracting and outer), reductions,
``.at[].set/add`` (in place when their operand dies) and concatenations, with arrays large
enough for every planning path (recycled buffers, the early-consumption schedule, masks).
Each program returns a few of its values, sometimes the same one twice, sometimes an input
or a view of one. For every program:

* ``fd.jit(f)`` equals eager evaluation, on two calls in a row, and the first call's
  results are not changed by the second;
* no input is changed; with ``donate_argnums`` the results are still right, the other
  inputs unchanged, also when the donated array is passed again as another argument.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.transforms import emitters, fusion

# Shapes of the inputs: small ones, and ones past the sizes where jit masks (4096 elements)
# and consumes large results early (64 KiB).
SHAPES = [(3, 4), (4, 3), (2, 3, 4), (6,), (128, 160), (160, 128), (64, 64)]


class Program:
    """A recipe of steps over a growing list of values; ``run`` replays it with any
    arrays (concrete or traced), so eager and jitted runs execute the same code."""

    def __init__(self, seed: int, tied: bool = False) -> None:
        self.rng = np.random.default_rng(seed)
        rng = self.rng
        big = rng.random() < 0.4
        pool = SHAPES[4:] if big else SHAPES[:4]
        self.in_shapes = [pool[i] for i in rng.integers(0, len(pool), rng.integers(1, 4))]
        if tied:  # the first two inputs of one shape (the same array may be passed twice)
            self.in_shapes = [self.in_shapes[0], *self.in_shapes]
        self.shapes = list(self.in_shapes)
        self.steps: list[tuple] = []
        for _ in range(rng.integers(3, 12)):
            self._add_step()
        n = len(self.shapes)
        outs = [int(i) for i in rng.integers(0, n, rng.integers(1, 4))]
        if rng.random() < 0.3:
            outs.append(outs[0])  # the same value twice
        if rng.random() < 0.3:
            outs.append(0)  # an input itself
        self.outs = outs

    # --- generation
    def _pick(self, ndim_min: int = 0) -> int | None:
        ok = [i for i, s in enumerate(self.shapes) if len(s) >= ndim_min]
        return int(self.rng.choice(ok)) if ok else None

    def _add_step(self) -> None:
        rng = self.rng
        kind = rng.choice(["unary", "binary", "select0", "view", "dot", "reduce", "at",
                           "concat", "scaled_dot"])
        i = self._pick()
        s = self.shapes[i]
        step, shape = None, None
        if kind == "unary":
            step, shape = ("unary", i, int(rng.integers(0, 6))), s
        elif kind == "binary":
            j = self._partner(s)
            step, shape = ("binary", i, j, int(rng.integers(0, 5))), s
        elif kind == "select0" and s:
            j = self._partner(s, same=True)
            step, shape = ("select0", i, j, bool(rng.random() < 0.5)), s
        elif kind == "view" and s:
            step, shape = self._view(i, s)
        elif kind in ("dot", "scaled_dot"):
            step, shape = self._dot(kind)
        elif kind == "reduce" and s:
            axis = int(rng.integers(0, len(s)))
            keep = bool(rng.random() < 0.5)
            shape = (tuple(1 if k == axis else d for k, d in enumerate(s)) if keep
                     else tuple(d for k, d in enumerate(s) if k != axis))
            step = ("reduce", i, axis, keep, int(rng.integers(0, 3)))
        elif kind == "at" and s:
            step, shape = ("at", i, int(rng.integers(0, 3))), s
        elif kind == "concat" and s:
            step, shape = ("concat", i), (2 * s[0], *s[1:])
        if step is not None and int(np.prod(shape)) <= 1 << 16:  # keep every array small
            self.steps.append(step)
            self.shapes.append(shape)

    def _partner(self, s: tuple, same: bool = False) -> int:
        """A value of shape ``s`` or (unless ``same``) one broadcasting against it."""
        fits = [j for j, t in enumerate(self.shapes) if t == s or (
            not same and len(t) <= len(s) and t == s[len(s) - len(t):])]
        return int(self.rng.choice(fits))

    def _view(self, i: int, s: tuple) -> tuple:
        rng = self.rng
        options = ["reshape", "broadcast"]
        if len(s) >= 2:
            options.append("transpose")
        if all(d >= 2 for d in s):
            options.append("slice")
        how = rng.choice(options)
        if how == "reshape":
            return ("reshape", i), (int(np.prod(s)),) if len(s) > 1 else (1, s[0])
        if how == "broadcast":
            return ("broadcast", i), (2, *s)
        if how == "transpose":
            return ("transpose", i), s[::-1]
        return ("slice", i), tuple(-(-(d - 1) // 2) for d in s)

    def _dot(self, kind: str) -> tuple:
        mats = [j for j, t in enumerate(self.shapes) if len(t) == 2]
        vecs = [j for j, t in enumerate(self.shapes) if len(t) == 1]
        rng = self.rng
        if mats and (not vecs or rng.random() < 0.7):
            j = int(rng.choice(mats))
            a, b = self.shapes[j]
            left = bool(rng.random() < 0.5)
            return (kind, j, left), ((a, a) if left else (b, b))
        if vecs:
            j, k = (int(v) for v in rng.choice(vecs, 2))
            return ("outer", j, k), (self.shapes[j][0], self.shapes[k][0])
        return None, None

    # --- replay
    def run(self, *args):
        vals = list(args)
        for step in self.steps:
            vals.append(self._apply(step, vals))
        return tuple(vals[i] for i in self.outs)

    @staticmethod
    def _apply(step: tuple, vals: list):
        kind, i = step[0], step[1]
        x = vals[i]
        if kind == "unary":
            return [fnp.sin, fnp.tanh, fnp.negative, fnp.abs, lambda v: v * v,
                    lambda v: fnp.exp(-v * v)][step[2]](x)
        if kind == "binary":
            y = vals[step[2]]
            return [fnp.add, fnp.subtract, fnp.multiply, fnp.maximum,
                    lambda a, b: fnp.where(a > b, a, b)][step[3]](x, y)
        if kind == "select0":  # where(p, y, 0) or where(p, 0, y): ReLU's gradient
            y = vals[step[2]]
            return fnp.where(x > 0, y, 0.0) if step[3] else fnp.where(x > 0, 0.0, y)
        if kind == "reshape":
            return x.reshape(-1) if x.ndim > 1 else x.reshape(1, -1)
        if kind == "broadcast":
            return fnp.broadcast_to(x, (2, *x.shape))
        if kind == "transpose":
            return x.T
        if kind == "slice":
            return x[tuple(slice(1, None, 2) for _ in range(x.ndim))]
        if kind in ("dot", "scaled_dot"):
            out = x @ x.T if step[2] else x.T @ x
            return -0.25 * out if kind == "scaled_dot" else out
        if kind == "outer":
            return lax.dot_general(x, vals[step[2]], (((), ()), ((), ())))
        if kind == "reduce":
            _, _, axis, keep, how = step
            return [fnp.sum, fnp.max, fnp.mean][how](x, axis=axis, keepdims=keep)
        if kind == "at":
            if step[2] == 0:
                return x.at[0].set(1.5)
            if step[2] == 1:
                return x.at[(x.shape[0] - 1,)].add(x[0])
            idx = fnp.array([0, x.shape[0] - 1, 0])
            return x.at[idx].add(2.0)
        if kind == "concat":
            return fnp.concatenate([x, -x], axis=0)
        raise AssertionError(kind)

    def inputs(self) -> list:
        return [fnp.asarray(self.rng.standard_normal(s).astype(np.float32))
                for s in self.in_shapes]


def assert_same(got, want, what: str) -> None:
    assert len(got) == len(want), what
    for k, (g, w) in enumerate(zip(got, want)):
        g, w = host(g), host(w)
        assert g.shape == w.shape and g.dtype == w.dtype, f"{what}: result {k}"
        scale = max(1.0, float(np.nanmax(np.abs(w), initial=0.0, where=np.isfinite(w))))
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4 * scale,
                                   err_msg=f"{what}: result {k}")


SEEDS = range(160)


@pytest.mark.parametrize("seed", SEEDS)
def test_jit_equals_eager(seed):
    prog = Program(seed)
    args = prog.inputs()
    before = [host(a).copy() for a in args]
    want = prog.run(*args)
    f = fd.jit(prog.run)
    first = f(*args)
    first_host = [host(r).copy() for r in first]
    assert_same(first, want, f"seed {seed}")
    second = f(*args)
    assert_same(second, want, f"seed {seed}, second call")
    assert_same(first, first_host, f"seed {seed}: the first call's results changed")
    for a, b in zip(args, before):
        np.testing.assert_array_equal(host(a), b, err_msg=f"seed {seed}: an input changed")


@pytest.mark.parametrize("seed", SEEDS[::2])
def test_donation_keeps_results(seed):
    prog = Program(seed)
    args = prog.inputs()
    want = prog.run(*args)
    f = fd.jit(prog.run, donate_argnums=0)
    for _ in range(2):
        fresh = [fnp.array(a) for a in args]  # fnp.array copies: each call donates its own
        kept = [host(a).copy() for a in fresh[1:]]
        assert_same(f(*fresh), want, f"seed {seed}, donated")
        for a, b in zip(fresh[1:], kept):
            np.testing.assert_array_equal(host(a), b, err_msg=f"seed {seed}: input changed")


@pytest.mark.parametrize("seed", SEEDS[::4])
def test_donated_array_also_passed_as_another_argument(seed):
    prog = Program(seed, tied=True)
    args = prog.inputs()
    x = fnp.array(args[0])
    shared = [x, x, *args[2:]]
    plain = [host(a).copy() for a in shared]
    want = prog.run(*[fnp.asarray(p) for p in plain])
    got = fd.jit(prog.run, donate_argnums=0)(*shared)
    assert_same(got, want, f"seed {seed}, the donated array passed twice")
    np.testing.assert_array_equal(host(shared[1]), plain[1])


def test_every_planning_path_is_exercised():
    """The generated programs reach the paths the planner takes: outputs written over
    dying operands, recycled buffers, in-place scatters, masks, early consumption."""
    seen = set()
    for seed in SEEDS:
        prog = Program(seed)
        with fusion.forced(False):  # the plain lowering (CuPy's fuses elementwise chains)
            src = fd.jit(prog.run).lower(*prog.inputs()).source
        for mark in ("out=", "_scatter_into", "_where0", "del ", "_matmul", ".reshape(",
                     ".T", "_broadcast_to", "_concatenate"):
            if mark in src:
                seen.add(mark)
    assert seen == {"out=", "_scatter_into", "_where0", "del ", "_matmul", ".reshape(", ".T",
                    "_broadcast_to", "_concatenate"}


# --- the masked select, exactly ------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("keep_true", [True, False])
def test_masked_select_is_bit_exact(dtype, keep_true):
    """jit's ``select(p, x, 0)`` on large arrays masks bits: NaNs, infinities and -0.0 come
    out exactly as ``where`` gives them, into a fresh buffer or over ``x``."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((80, 80)).astype(dtype)
    x.flat[:6] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-40]
    p = rng.random((80, 80)) < 0.5
    p.flat[:6] = [False, True, False, True, False, True]
    f = fd.jit(lambda p, x: fnp.where(p, x, 0.0) if keep_true else fnp.where(p, 0.0, x))
    with fd.config.override(enable_x64=dtype == np.float64):
        src = f.lower(fnp.asarray(p), fnp.asarray(x)).source
        got = host(f(fnp.asarray(p), fnp.asarray(x)))
    assert "_where0" in src
    want = np.where(p, x, dtype(0)) if keep_true else np.where(p, dtype(0), x)
    assert got.tobytes() == want.tobytes()
    xs = x.copy()
    out = emitters._where0(np, p, xs, keep_true, out=xs)  # written over x itself
    assert out is xs and out.tobytes() == want.tobytes()


# --- scalings moved by the passes (what the plan then writes in place) -----------------------


def _mlp_step(params, x, y):
    def loss(params):
        h = x
        for w, b in params[:-1]:
            h = fnp.maximum(h @ w + b, 0.0)
        w, b = params[-1]
        return fnp.mean((h @ w + b - y) ** 2)

    grads = fd.grad(loss)(params)
    return [(w - 0.05 * gw, b - 0.05 * gb) for (w, b), (gw, gb) in zip(params, grads)]


def test_learning_rate_is_applied_once_and_results_agree():
    """The learning rate scales the loss's gradient once (not each parameter's gradient),
    and the step equals eager to rounding; donated parameters are updated in place."""
    rng = np.random.default_rng(0)
    sizes = [(20, 64), (64, 64), (64, 1)]
    params = [(fnp.asarray(rng.standard_normal(s).astype(np.float32) / 8),
               fnp.asarray(np.zeros(s[1], np.float32))) for s in sizes]
    x = fnp.asarray(rng.standard_normal((50, 20)).astype(np.float32))
    y = fnp.asarray(rng.standard_normal((50, 1)).astype(np.float32))
    want = _mlp_step(params, x, y)
    f = fd.jit(_mlp_step, donate_argnums=0)
    with fusion.forced(False):
        src = fd.jit(_mlp_step).lower(params, x, y).source
    scalings = [ln for ln in src.splitlines() if "_multiply(_k" in ln]
    assert len(scalings) == 1, src
    got = f([(fnp.array(w), fnp.array(b)) for w, b in params], x, y)
    assert_same(fd.tree.leaves(got), fd.tree.leaves(want), "mlp step")


def test_scaling_is_not_moved_past_other_readers():
    """A value read by something other than linear operations keeps its own scaling."""
    def f(a, b):
        d = a @ b
        return -0.5 * (d.T @ a), -0.5 * d.sum(0), fnp.tanh(d)

    rng = np.random.default_rng(1)
    a = fnp.asarray(rng.standard_normal((30, 40)).astype(np.float32))
    b = fnp.asarray(rng.standard_normal((40, 20)).astype(np.float32))
    assert_same(fd.jit(f)(a, b), f(a, b), "scalings with other readers")
