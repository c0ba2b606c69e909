"""``vmap``: ``in_axes``/``out_axes`` in every form, nesting, composition with ``grad``
(per-example gradients, Jacobians), efficiency (a batched program is one operation per
operation, whatever the batch size), and the errors it raises.

Each primitive's batching rule is checked against a Python loop by the op-table driver
(``test_op_vmap.py``); ``test_rule_coverage.py`` checks that every primitive has one.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import host
from op_table import all_rows, put, sample

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax

RNG = np.random.default_rng(0)


def arr(*shape):
    return fnp.asarray(RNG.normal(size=shape).astype(np.float32))


def loop(f, *xs, axes):
    """``f`` over the slices of ``xs`` along ``axes`` (None: shared), stacked on axis 0."""
    n = next(host(x).shape[a] for x, a in zip(xs, axes) if a is not None)
    return np.stack([host(f(*[x if a is None else fnp.asarray(np.take(host(x), i, a))
                              for x, a in zip(xs, axes)])) for i in range(n)])


# --- in_axes / out_axes ---------------------------------------------------------------------


@pytest.mark.parametrize("axes", [(0, 0), (1, 0), (-1, None), (None, -2), (0, None)])
def test_in_axes_ints_negative_and_none(axes):
    f = lambda a, b: fnp.sin(a) @ b
    a = arr(4, 3) if axes[0] in (0, None) else arr(3, 4)
    b = arr(4, 3, 2) if axes[1] == 0 else (arr(4, 3, 2) if axes[1] == -2 else arr(3, 2))
    if axes == (-1, None):
        a, b = arr(3, 4), arr(3, 2)
    if axes == (None, -2):
        a, b = arr(3), arr(3, 4, 2)
    got = host(fd.vmap(f, in_axes=axes)(a, b))
    np.testing.assert_allclose(got, loop(f, a, b, axes=axes), rtol=1e-5, atol=1e-6)


def test_in_axes_pytrees_lists_and_kwargs():
    params = {"w": arr(3, 2), "b": arr(5, 2)}

    def f(p, x, *, scale):
        return (x @ p["w"] + p["b"]) * scale

    x, scale = arr(5, 3), arr(5)
    got = fd.vmap(f, in_axes=({"w": None, "b": 0}, 0))(params, x, scale=scale)
    want = np.stack([(host(x)[i] @ host(params["w"]) + host(params["b"])[i]) * host(scale)[i]
                     for i in range(5)])
    np.testing.assert_allclose(host(got), want, rtol=1e-5)
    got = fd.vmap(f, in_axes=[{"w": None, "b": 0}, 0])(params, x, scale=scale)  # a list
    np.testing.assert_allclose(host(got), want, rtol=1e-5)
    # Tuples inside arguments: a prefix tree maps the whole pair.
    g = lambda pair, y: pair[0] * pair[1] + y
    got = fd.vmap(g, in_axes=((0, 1), None))((arr(4, 2), arr(2, 4)), arr(2))
    assert got.shape == (4, 2)


@pytest.mark.parametrize("out_axes", [0, -1, (1, None), (-1, 0)])
def test_out_axes(out_axes):
    f = lambda x: (x * 2.0, fnp.float32(3.0))
    x = arr(4, 3)
    a, b = fd.vmap(f, out_axes=out_axes)(x)
    first, second = out_axes if isinstance(out_axes, tuple) else (out_axes, out_axes)
    np.testing.assert_allclose(host(a), np.moveaxis(host(x) * 2, 0, first))
    if second is None:
        assert float(b) == 3.0
    else:
        assert host(b).tolist() == [3.0] * 4  # an unbatched output is broadcast


def test_axis_size_without_mapped_arguments():
    out = fd.vmap(lambda x: x + 1.0, in_axes=None, axis_size=3)(fnp.ones(2))
    assert host(out).tolist() == [[2.0, 2.0]] * 3
    assert host(fd.vmap(lambda: fnp.zeros(2), axis_size=2)()).shape == (2, 2)


def test_nested_vmap():
    f = lambda a, b: fnp.dot(a, b)
    a, b = arr(2, 3, 4), arr(3, 4)
    got = fd.vmap(fd.vmap(f, in_axes=(0, 0)), in_axes=(0, None))(a, b)
    np.testing.assert_allclose(host(got), np.einsum("ijk,jk->ij", host(a), host(b)), rtol=1e-5)
    # Inner: a's axis 1 (size 4), b shared; outer: a's axis 0, b's axis 1 (size 2).
    g = lambda a, b: fnp.sum(a) * b
    c = arr(5, 2)
    got = fd.vmap(fd.vmap(g, in_axes=(1, None)), in_axes=(0, 1), out_axes=1)(a, c)
    want = np.einsum("ij,ki->jik", host(a).sum(1), host(c))
    np.testing.assert_allclose(host(got), want, rtol=1e-5)


# --- composition with grad ---------------------------------------------------------------------


def _mlp(params, x):
    h = fnp.tanh(x @ params["w1"] + params["b1"])
    return fnp.sum((h @ params["w2"]) ** 2)


def _params():
    return {"w1": arr(3, 4), "b1": arr(4), "w2": arr(4, 2)}


def test_per_example_gradients_match_a_loop_of_grad(x64):
    params = {k: fnp.asarray(host(v), dtype="float64") for k, v in _params().items()}
    xs = fnp.asarray(RNG.normal(size=(6, 3)))
    per = fd.vmap(fd.grad(_mlp), in_axes=(None, 0))(params, xs)
    for k in params:
        want = np.stack([host(fd.grad(_mlp)(params, xs[i])[k]) for i in range(6)])
        np.testing.assert_allclose(host(per[k]), want, rtol=1e-12)
    summed = fd.grad(lambda p: fnp.sum(fd.vmap(_mlp, in_axes=(None, 0))(p, xs)))(params)
    for k in params:
        np.testing.assert_allclose(host(summed[k]), host(per[k]).sum(0), rtol=1e-10)
    # value_and_grad under vmap, and grad of a vmapped function with has_aux.
    vals, _ = fd.vmap(fd.value_and_grad(_mlp), in_axes=(None, 0))(params, xs)
    np.testing.assert_allclose(host(vals), [float(_mlp(params, x)) for x in xs], rtol=1e-12)


def test_jacobians_and_hessians_by_vmap(x64):
    f = lambda x: fnp.sin(x) * fnp.sum(x ** 2)
    x = fnp.asarray(RNG.normal(size=4))
    jf, jr = host(fd.jacfwd(f)(x)), host(fd.jacrev(f)(x))
    rows = np.stack([host(fd.grad(lambda x, i=i: f(x)[i])(x)) for i in range(4)])
    np.testing.assert_allclose(jf, rows, rtol=1e-12)
    np.testing.assert_allclose(jr, rows, rtol=1e-12)
    xs = fnp.asarray(RNG.normal(size=(3, 4)))
    hs = host(fd.vmap(fd.hessian(lambda x: fnp.sum(f(x))))(xs))
    np.testing.assert_allclose(hs, np.stack([host(fd.hessian(lambda x: fnp.sum(f(x)))(x))
                                             for x in xs]), rtol=1e-10)
    jv = host(fd.vmap(fd.jacrev(f))(xs))
    np.testing.assert_allclose(jv, np.stack([host(fd.jacrev(f)(x)) for x in xs]), rtol=1e-12)


# --- efficiency: no Python loop over the batch --------------------------------------------------


def _prims(jaxpr) -> list[str]:
    return [e.prim.name for e in jaxpr.eqns]


def test_vmapped_matmul_is_one_dot_general():
    w, xs = arr(3, 4), arr(8, 3)
    prims = _prims(fd.make_jaxpr(fd.vmap(lambda x: x @ w))(xs))
    assert prims.count("dot_general") == 1
    jaxpr = fd.make_jaxpr(fd.vmap(lambda a, b: a @ b))(arr(8, 2, 3), arr(8, 3, 4))
    (eqn,) = [e for e in jaxpr.eqns if e.prim.name == "dot_general"]
    assert _prims(jaxpr) == ["dot_general"]
    assert eqn.params["dimension_numbers"] == (((2,), (1,)), ((0,), (0,)))


def test_vmapped_reduction_reduces_the_right_axis():
    jaxpr = fd.make_jaxpr(fd.vmap(lambda x: fnp.sum(x, axis=0), in_axes=1))(arr(3, 8))
    (eqn,) = jaxpr.eqns
    assert eqn.prim.name == "reduce_sum" and eqn.params["axes"] == (0,)
    jaxpr = fd.make_jaxpr(fd.vmap(lambda x: fnp.max(x, axis=-1)))(arr(8, 3))
    assert [(e.prim.name, e.params.get("axes")) for e in jaxpr.eqns] == [("reduce_max", (1,))]


def _size_independent(row) -> bool:
    """The row's vmapped program has as many equations for a batch of 2 as for one of 7."""
    fn = lambda *xs: row.fn(*xs, **row.static)
    counts = []
    for size in (2, 7):
        rng = np.random.default_rng(0)
        xs = [put(np.stack([sample(a, rng) for _ in range(size)])) for a in row.args]
        counts.append(len(fd.make_jaxpr(fd.vmap(fn))(*xs).eqns))
    return counts[0] == counts[1]


_TRACEABLE = [r for r in all_rows() if r.vmap and r.args and getattr(r, "traceable", True)]


@pytest.mark.parametrize("row", _TRACEABLE, ids=str)
def test_batched_programs_do_not_grow_with_the_batch(row):
    assert _size_independent(row), f"{row.name}: vmap's program grows with the batch size"


# --- Python control flow and errors ----------------------------------------------------------


def test_python_control_flow_on_batched_values_points_to_cond():
    with pytest.raises(fd.ConcretizationTypeError, match=r"fd.numpy.where.*fd.lax.cond"):
        fd.vmap(lambda x: x if x > 0 else -x)(fnp.ones(3))
    # A value that is not batched can still choose a Python branch.
    out = fd.vmap(lambda x, s: x * 2 if s > 0 else x, in_axes=(0, None))(fnp.ones(2), 1.0)
    assert host(out).tolist() == [2.0, 2.0]
    assert host(fd.vmap(lambda x: lax.cond(x > 0, lambda x: x, lambda x: -x, x))(
        fnp.array([-1.0, 2.0]))).tolist() == [1.0, 2.0]


def test_in_axes_errors_name_the_argument_axis_and_sizes():
    x = fnp.ones((2, 3))
    with pytest.raises(ValueError, match=r"in_axes=5 is out of range for argument args\[0\] "
                                         r"of rank 2 \(shape \(2, 3\)\)"):
        fd.vmap(lambda x: x, in_axes=5)(x)
    with pytest.raises(ValueError, match=r"scalar cannot be mapped: use in_axes=None"):
        fd.vmap(lambda x: x)(1.0)
    with pytest.raises(ValueError, match=r"inconsistent sizes.*size 2: args\[0\] \(axis 0\); "
                                         r"size 3: args\[1\] \(axis 0\)"):
        fd.vmap(lambda a, b: a)(x, fnp.ones((3, 3)))
    with pytest.raises(ValueError, match=r"axis_size=4 was given, but size 2: args\[0\]"):
        fd.vmap(lambda a: a, axis_size=4)(x)
    with pytest.raises(ValueError, match=r"in_axes has 3 entries but the function got 2"):
        fd.vmap(lambda a, b: a, in_axes=(0, 0, 0))(x, x)
    with pytest.raises(ValueError, match=r"in_axes\[0\]=\{'a': 0, 'b': 1\} does not match the "
                                         r"structure of argument 0"):
        fd.vmap(lambda d: d["a"], in_axes=({"a": 0, "b": 1},))({"a": x})
    with pytest.raises(ValueError, match=r"in_axes must be an int, None, or a tuple.*"
                                         r"write in_axes=\(\{'a': 0\},\)"):
        fd.vmap(lambda d: d, in_axes={"a": 0})({"a": x})
    with pytest.raises(ValueError, match=r"axes must be ints or None, got 0.5"):
        fd.vmap(lambda a: a, in_axes=(0.5,))(x)
    with pytest.raises(ValueError, match=r"got '0' \(str\)"):
        fd.vmap(lambda a: a, in_axes="0")(x)
    with pytest.raises(ValueError, match="at least one mapped argument"):
        fd.vmap(lambda a: a, in_axes=None)(x)
    with pytest.raises(ValueError, match="axis_size must be a non-negative int"):
        fd.vmap(lambda a: a, axis_size=-1)


def test_out_axes_errors():
    x = fnp.ones((2, 3))
    with pytest.raises(ValueError, match=r"out_axes=2 is out of range for output, which has "
                                         r"rank 2 with the batch axis"):
        fd.vmap(lambda a: a, out_axes=2)(x)
    with pytest.raises(ValueError, match=r"out_axes=-4 is out of range for output\[1\]"):
        fd.vmap(lambda a: (a, a), out_axes=(0, -4))(x)
    with pytest.raises(ValueError, match=r"out_axes=None was given for output\['y'\], which "
                                         r"varies along the batch"):
        fd.vmap(lambda a: {"y": a}, out_axes=None)(x)
    with pytest.raises(ValueError, match=r"out_axes=\(0, 1, 2\) does not match the structure "
                                         r"of the outputs"):
        fd.vmap(lambda a: (a, a), out_axes=(0, 1, 2))(x)
