"""Op table, derivatives: every row's JVP and VJP against central finite differences.

In float64 (the ``x64`` fixture), for each row with ``grad=True``:

* first order: the JVP against a central difference along a random direction ``t``; the VJP
  through ``<t, Jᵀc> = <c, J_num t>``; and JVP against VJP through ``<J t, c> = <t, Jᵀ c>``;
* second order: the same three checks applied to the reverse-mode function
  ``x ↦ grad <c, f(x)>`` (forward-over-reverse and reverse-over-reverse) and to the
  forward-mode function ``x ↦ J(x) t`` (forward-over-forward and reverse-over-forward);
* the direct VJP rule of each primitive that has one against the path that linearizes its
  JVP rule and transposes it.

The finite-difference helpers below use NumPy only, so they judge funcdiff from outside.
Tie-breaking and other points where finite differences say nothing are pinned by explicit
tests at the end (JAX's choices).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
from conftest import host
from op_table import OpRow, all_rows, put, sample

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.core.ir import Literal
from funcdiff.transforms import ad, ad_rules

ROWS = [r for r in all_rows() if r.grad]
EPS = 1e-5
RTOL, ATOL = 1e-5, 1e-6


# --- finite differences, NumPy only ----------------------------------------------------------


def numerical_jvp(f: Callable[[list], list], xs: Sequence[np.ndarray],
                  ts: Sequence[np.ndarray], eps: float = EPS) -> list[np.ndarray]:
    """Central difference of ``f`` (host arrays in, host arrays out) at ``xs`` along ``ts``."""
    plus = f([x + eps * t for x, t in zip(xs, ts, strict=True)])
    minus = f([x - eps * t for x, t in zip(xs, ts, strict=True)])
    return [(p - m) / (2 * eps) for p, m in zip(plus, minus, strict=True)]


def inner(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    return float(sum(np.vdot(x, y) for x, y in zip(a, b, strict=True)))


def inner_scale(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    return float(sum(np.abs(x).ravel() @ np.abs(y).ravel() for x, y in zip(a, b, strict=True)))


def assert_close_scalar(a: float, b: float, scale: float, rtol: float, what: str) -> None:
    assert abs(a - b) <= ATOL + rtol * max(scale, abs(a), abs(b)), f"{what}: {a} vs {b}"


# --- the checks ------------------------------------------------------------------------------


def _host_fn(g: Callable) -> Callable[[list], list]:
    return lambda xs: [host(o) for o in g(*[put(x) for x in xs])]


def check_first_order(g: Callable, xs: list[np.ndarray], rng: np.random.Generator,
                      what: str) -> None:
    """JVP and VJP of ``g`` (arrays in, a tuple of arrays out) at host points ``xs``."""
    ts = [rng.normal(size=x.shape) for x in xs]
    num = numerical_jvp(_host_fn(g), xs, ts)
    fxs = tuple(put(x) for x in xs)
    _, jt = fd.jvp(g, fxs, tuple(put(t) for t in ts))
    jt = [host(t) for t in jt]
    for k, (a, n) in enumerate(zip(jt, num, strict=True)):
        np.testing.assert_allclose(a, n, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{what}: JVP vs finite differences, output {k}")
    outs, pull = fd.vjp(g, *fxs)
    cs = [rng.normal(size=host(o).shape) for o in outs]
    ct = [host(c) for c in pull(tuple(put(c) for c in cs))]
    for c, x in zip(ct, xs, strict=True):
        assert c.shape == x.shape, f"{what}: cotangent shape {c.shape} for input {x.shape}"
    scale = inner_scale(ts, ct) + inner_scale(cs, num)
    assert_close_scalar(inner(ts, ct), inner(cs, num), scale, RTOL,
                        f"{what}: <t, VJP(c)> vs <c, finite differences>")
    assert_close_scalar(inner(ts, ct), inner(cs, jt), scale, 1e-9,
                        f"{what}: <t, VJP(c)> vs <JVP(t), c>")


def _differentiable(row: OpRow, rng: np.random.Generator):
    """Host values of all args in float64, and ``g`` of the float ones (a tuple out)."""
    args = []
    for a in row.args:
        dt = "float64" if np.dtype(a.dtype).kind == "f" else a.dtype
        args.append(sample(a, rng, dt))
    pos = [i for i, a in enumerate(row.args) if a.diff and args[i].dtype.kind == "f"]

    def g(*xs):
        full = [put(a) for a in args]
        for i, x in zip(pos, xs, strict=True):
            full[i] = x
        out = row.fn(*full, **row.static)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        return tuple(o for o in outs if np.dtype(o.dtype).kind == "f")

    return g, [args[i] for i in pos]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_first_order(row: OpRow, x64):
    rng = np.random.default_rng(0)
    g, xs = _differentiable(row, rng)
    assert xs, f"{row.name}: grad=True but no float argument has diff=True"
    check_first_order(g, xs, rng, row.name)


@pytest.mark.parametrize("row", [r for r in ROWS if r.grad_order >= 2], ids=str)
def test_second_order(row: OpRow, x64):
    rng = np.random.default_rng(1)
    g, xs = _differentiable(row, rng)
    outs = g(*[put(x) for x in xs])
    cs = tuple(put(rng.normal(size=host(o).shape)) for o in outs)
    ts = tuple(put(rng.normal(size=x.shape)) for x in xs)
    argnums = tuple(range(len(xs)))

    def reverse(*xs):
        def scalar(*ys):
            return sum(fnp.sum(c * o) for c, o in zip(cs, g(*ys), strict=True))

        return tuple(fd.grad(scalar, argnums=argnums)(*xs))

    def forward(*xs):
        return tuple(fd.jvp(g, xs, ts)[1])

    check_first_order(reverse, xs, rng, f"{row.name} (derivatives of grad)")
    check_first_order(forward, xs, rng, f"{row.name} (derivatives of jvp)")


# --- direct VJP rules against linearize-and-transpose ------------------------------------------


def _eqns_with_both_rules(row: OpRow, rng: np.random.Generator):
    """Each equation of the row's jaxpr whose primitive has a direct VJP rule and a JVP rule,
    with its concrete input values."""
    g, xs = _differentiable(row, rng)
    fxs = [put(x) for x in xs]
    jaxpr = fd.make_jaxpr(g)(*fxs)
    env = dict(zip(jaxpr.constvars, jaxpr.consts, strict=True))
    env.update(zip(jaxpr.invars, fxs, strict=True))

    def read(v):
        return v.val if isinstance(v, Literal) else env[v]

    for eqn in jaxpr.eqns:
        args = [read(v) for v in eqn.invars]
        outs = eqn.prim.bind(*args, **eqn.params)
        outs = outs if eqn.prim.multiple_results else [outs]
        env.update(zip(eqn.outvars, outs, strict=True))
        p = eqn.prim
        if p in ad_rules.vjp_rules and p in ad_rules.jvp_rules and p not in ad_rules.nondiff:
            yield eqn, args, outs


def _vjp_by_linearizing(prim, needs, ct, args, params):
    """The backward pass's own fallback: record the JVP rule on symbolic tangents, then
    transpose it."""
    if hasattr(ad, "linearize_rule"):
        _, lin = ad.linearize_rule(prim, args, needs, params)
        return ad.transpose_linearized(lin, ct if prim.multiple_results else [ct])
    return ad._vjp_by_linearizing(prim, needs, ct, args, params)


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_vjp_rule_matches_linearized_jvp(row: OpRow, x64):
    rng = np.random.default_rng(2)
    for eqn, args, outs in _eqns_with_both_rules(row, rng):
        needs = [np.dtype(put(a).dtype).kind == "f" for a in args]
        if not any(needs):
            continue
        cts = [put(rng.normal(size=o.shape).astype(o.dtype)) for o in outs]
        ct = cts if eqn.prim.multiple_results else cts[0]
        ans = outs if eqn.prim.multiple_results else outs[0]
        direct = ad_rules.vjp_rules[eqn.prim](needs, ct, ans, *args, **eqn.params)
        linear = _vjp_by_linearizing(eqn.prim, needs, ct, args, eqn.params)
        for k, (need, a, d, lin) in enumerate(zip(needs, args, direct, linear, strict=True)):
            if not need:
                continue
            shape = np.shape(host(put(a)))
            d = np.zeros(shape) if d is None else host(d)
            lin = np.zeros(shape) if lin is None else host(lin)
            np.testing.assert_allclose(
                d, lin, rtol=1e-10, atol=1e-12,
                err_msg=f"{row.name}: {eqn.prim.name}'s VJP rule vs its linearized JVP, arg {k}")


# --- where finite differences say nothing: JAX's choices ----------------------------------------


def _grads(f, *xs):
    return [host(g) for g in fd.grad(f, argnums=tuple(range(len(xs))))(*xs)]


def test_stop_gradient_has_zero_derivative(x64):
    x = put(np.array([1.5, -2.0]))
    (g,) = _grads(lambda x: fnp.sum(lax.stop_gradient(x) * x), x)
    np.testing.assert_allclose(g, [1.5, -2.0])
    _, t = fd.jvp(lax.stop_gradient, (x,), (fnp.ones(2),))
    np.testing.assert_array_equal(host(t), [0.0, 0.0])
    (gg,) = _grads(lambda x: fd.grad(lambda y: fnp.sum(lax.stop_gradient(y) ** 2))(x).sum(), x)
    np.testing.assert_array_equal(gg, [0.0, 0.0])


def test_max_min_split_ties_evenly(x64):
    assert _grads(lambda x, y: lax.max(x, y), 2.0, 2.0) == [0.5, 0.5]
    assert _grads(lambda x, y: lax.min(x, y), 2.0, 2.0) == [0.5, 0.5]
    assert _grads(lambda x: lax.max(x, 0.0), 0.0) == [0.5]


def test_reduce_max_min_split_ties_evenly(x64):
    x = put(np.array([1.0, 3.0, 3.0, 2.0, 3.0]))
    (g,) = _grads(lambda x: lax.reduce_max(x, (0,)), x)
    np.testing.assert_allclose(g, [0, 1 / 3, 1 / 3, 0, 1 / 3])
    (g,) = _grads(lambda x: lax.reduce_min(x, (0,)), -x)
    np.testing.assert_allclose(g, [0, 1 / 3, 1 / 3, 0, 1 / 3])


def test_abs_sign_derivatives_at_zero(x64):
    # JAX: d|x|/dx at 0 is 1 (the x >= 0 branch); sign has derivative 0 everywhere.
    assert _grads(lax.abs, 0.0) == [1.0]
    assert _grads(lax.abs, -0.5) == [-1.0]
    assert _grads(lax.sign, 0.0) == [0.0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the branch select discards: 0 * inf
def test_pow_derivatives_at_zero(x64):
    assert _grads(lax.pow, 0.0, 2.0) == [0.0, 0.0]
    assert _grads(lax.pow, 0.0, 0.0) == [0.0, 0.0]  # not 0 * inf
    gx, gy = _grads(lax.pow, 2.0, 0.0)
    assert gx == 0.0 and gy == pytest.approx(np.log(2.0))
    # The mixed second derivative at y == 0 is 1/x (JAX agrees), not the 0 a guard on
    # y == 0 alone would give.
    dxdy = fd.grad(fd.grad(lax.pow, 0), 1)(2.0, 0.0)
    assert host(dxdy) == pytest.approx(0.5)


def test_reduce_prod_and_cumprod_with_zeros(x64):
    (g,) = _grads(lambda x: lax.reduce_prod(x, (0,)), put(np.array([0.0, 0.0, 2.0])))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    (g,) = _grads(lambda x: lax.reduce_prod(x, (0,)), put(np.array([3.0, 0.0, 2.0])))
    np.testing.assert_array_equal(g, [0.0, 6.0, 0.0])
    (g,) = _grads(lambda x: fnp.sum(lax.cumprod(x)), put(np.array([2.0, 0.0, 3.0])))
    np.testing.assert_allclose(g, [1.0, 8.0, 0.0])


def test_sort_tangent_follows_stable_order(x64):
    x = put(np.array([1.0, 3.0, 3.0, 2.0, 3.0]))
    _, t = fd.jvp(lax.sort, (x,), (put(np.arange(1.0, 6.0)),))
    np.testing.assert_array_equal(host(t), [1.0, 4.0, 2.0, 3.0, 5.0])


def test_scatter_max_min_split_ties_evenly(x64):
    x = put(np.array([1.0, 2.0, 3.0]))
    u = put(np.array([2.0]))
    i = put(np.array([1], np.int32))
    for mode in ("max", "min"):
        gx, gu = _grads(lambda x, u, mode=mode: fnp.sum(lax.index_update(x, (i,), u, (0,), mode)),
                        x, u)
        np.testing.assert_allclose(gx, [1.0, 0.5, 1.0], err_msg=mode)
        np.testing.assert_allclose(gu, [0.5], err_msg=mode)


def test_gather_clamped_indices_send_gradient_to_the_clamped_element(x64):
    x = put(np.array([1.0, 2.0, 3.0]))
    idx = put(np.array([5, -7], np.int32))
    (g,) = _grads(lambda x: fnp.sum(lax.index_take(x, (idx,), (0,))), x)
    np.testing.assert_array_equal(g, [1.0, 0.0, 1.0])


def test_scatter_dropped_updates_get_no_gradient(x64):
    x = put(np.zeros(3))
    u = put(np.array([1.0, 2.0, 3.0]))
    idx = put(np.array([5, 1, -7], np.int32))
    for mode in ("set", "add"):
        gx, gu = _grads(lambda x, u, mode=mode: fnp.sum(
            lax.index_update(x, (idx,), u, (0,), mode) * fnp.arange(1.0, 4.0)), x, u)
        np.testing.assert_array_equal(gu, [0.0, 2.0, 0.0], err_msg=mode)
        np.testing.assert_array_equal(gx, [1.0, 0.0 if mode == "set" else 2.0, 3.0],
                                      err_msg=mode)
