"""``funcdiff.numpy.einsum`` and ``einsum_path`` against ``numpy.einsum``.

Values over many expressions and every ``optimize`` setting; the plan's structure (one
``dot_general`` per pairwise contraction, the cache); gradients against finite differences;
vmap against a loop; and the error messages.
"""

from __future__ import annotations

import importlib

import numpy as np
import opt_einsum
import pytest
from conftest import host
from op_table import put

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax

# `funcdiff.numpy.einsum` is the function; the module holds the plan machinery.
einsum_mod = importlib.import_module("funcdiff.numpy.einsum")

CASES = [
    ("ij,jk->ik", (2, 3), (3, 4)),
    ("ij,jk", (2, 3), (3, 4)),
    ("bij,bjk->bik", (5, 2, 3), (5, 3, 4)),
    ("ii", (3, 3)),
    ("ii->i", (3, 3)),
    ("ij->ji", (2, 3)),
    ("ij->", (2, 3)),
    ("ij->j", (2, 3)),
    ("i,j->ij", (2,), (3,)),
    ("i,i", (3,), (3,)),
    ("ij,kl->ijkl", (2, 3), (4, 5)),
    ("ij,ij->", (2, 3), (2, 3)),
    ("...ij,...jk", (2, 1, 3, 4), (5, 4, 2)),
    ("i...->...i", (2, 3, 4)),
    ("...", (2, 3)),
    ("...i,...i->...", (4, 3), (2, 4, 3)),
    ("ij,jk,kl->il", (2, 3), (3, 4), (4, 5)),
    ("abc,cd,bde->ae", (2, 3, 4), (4, 5), (3, 5, 6)),
    ("ab,bc,cd,de,ef->af", (2, 3), (3, 4), (4, 5), (5, 6), (6, 2)),
    ("ij,jk,ki->", (3, 4), (4, 5), (5, 3)),
    ("ijk,ikl,ilm->ijm", (2, 3, 4), (2, 4, 5), (2, 5, 6)),
    ("i,j,k->ijk", (2,), (3,), (4,)),
    ("ab,ab,ab->", (2, 3), (2, 3), (2, 3)),
    ("iij->j", (3, 3, 2)),
    ("iii->i", (3, 3, 3)),
    ("ijji->", (2, 3, 3, 2)),
    ("ii,ij->j", (3, 3), (3, 4)),
    ("aab,bc->ac", (2, 2, 3), (3, 4)),
    ("ij,ij->ij", (1, 3), (2, 3)),
    ("ij,jk->ik", (2, 1), (1, 4)),
    ("ij,j->i", (3, 1), (4,)),
    ("ba", (2, 3)),
    ("Ba", (2, 3)),
    ("bA", (2, 3)),
    ("i,,j->ij", (2,), (), (3,)),
    (",", (), ()),
    ("ij,jk->ik", (0, 3), (3, 2)),
    ("ij,jk->ik", (2, 0), (0, 2)),
    ("ij,ij->ij", (1, 3), (0, 3)),
    ("ij,jk->ik", (2, 0), (1, 3)),
]


def _data(shapes, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("optimize", ["auto", "optimal", "greedy", True, False])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0] + str(c[1:]))
def test_matches_numpy(case, optimize):
    subscripts, *shapes = case
    xs = _data(shapes)
    got = host(fnp.einsum(subscripts, *[put(x) for x in xs], optimize=optimize))
    want = np.einsum(subscripts, *xs)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_interleaved_form():
    a, b = _data([(2, 3), (3, 4)])
    got = fnp.einsum(put(a), [0, 1], put(b), [1, 2], [0, 2])
    np.testing.assert_allclose(host(got), a @ b, rtol=1e-5)
    got = fnp.einsum(put(a), [Ellipsis, 1])
    np.testing.assert_allclose(host(got), np.einsum(a, [Ellipsis, 1]), rtol=1e-5)


def test_dtypes():
    a = put(np.arange(6, dtype=np.int32).reshape(2, 3))
    out = fnp.einsum("ij,ij->i", a, a)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(host(out), [5, 50])
    mixed = fnp.einsum("ij,ij->i", a, fnp.ones((2, 3)))
    assert mixed.dtype == np.float32
    out = fnp.einsum("ij->i", a, preferred_element_type=np.float32)
    assert out.dtype == np.float32


def test_each_pairwise_contraction_is_one_dot_general():
    xs = [put(x) for x in _data([(2, 3), (3, 4), (4, 5)])]
    jaxpr = fd.make_jaxpr(lambda *a: fnp.einsum("ij,jk,kl->il", *a))(*xs)
    assert [e.prim for e in jaxpr.eqns] == [lax.dot_general_p] * 2
    xs = [put(x) for x in _data([(5, 2, 3), (5, 3, 4)])]
    jaxpr = fd.make_jaxpr(lambda *a: fnp.einsum("bij,bjk->bik", *a))(*xs)
    (eqn,) = jaxpr.eqns
    assert eqn.params["dimension_numbers"] == (((2,), (1,)), ((0,), (0,)))


def test_optimal_order_contracts_the_cheap_pair_first():
    # (2x30)(30x40)(40x2): contracting the last two first is ~15x cheaper.
    shapes = [(2, 30), (30, 40), (40, 2)]
    plan = einsum_mod.einsum_plan("ij,jk,kl->il", *shapes, optimize="optimal")
    first = plan.contractions[0]
    assert {first.lhs, first.rhs} == {1, 2}
    xs = _data(shapes)
    np.testing.assert_allclose(host(fnp.einsum("ij,jk,kl->il", *[put(x) for x in xs])),
                               xs[0] @ xs[1] @ xs[2], rtol=1e-4)


def test_plan_is_cached_and_reusable():
    einsum_mod._plan.cache_clear()
    xs = [put(x) for x in _data([(2, 3), (3, 4)])]
    fnp.einsum("ij,jk->ik", *xs)
    fnp.einsum("ij,jk->ik", *xs)
    info = einsum_mod._plan.cache_info()
    assert info.misses == 1 and info.hits == 1
    plan = einsum_mod.einsum_plan("ij,jk->ik", (2, 3), (3, 4))
    assert einsum_mod._plan.cache_info().hits == 2
    np.testing.assert_allclose(host(einsum_mod.run_plan(plan, xs)), host(xs[0] @ xs[1]),
                               rtol=1e-6)
    # What jit precomputes: the same contraction from opt_einsum itself.
    expr = opt_einsum.contract_expression(plan.subscripts, *plan.shapes,
                                          optimize=list(plan.path))
    np.testing.assert_allclose(expr(host(xs[0]), host(xs[1])), host(xs[0] @ xs[1]), rtol=1e-5)


def test_explicit_path_and_einsum_path():
    xs = [put(x) for x in _data([(2, 30), (30, 40), (40, 2)])]
    path, info = fnp.einsum_path("ij,jk,kl->il", *xs, optimize="optimal")
    assert path == [(1, 2), (0, 1)]
    assert "Complete contraction:  ij,jk,kl->il" in str(info)
    out = fnp.einsum("ij,jk,kl->il", *xs, optimize=path)
    out2 = fnp.einsum("ij,jk,kl->il", *xs, optimize=["einsum_path", (1, 2), (0, 1)])
    np.testing.assert_allclose(host(out), host(out2))
    path, _ = fnp.einsum_path("ij,jk,kl->il", *xs, optimize=False)
    assert path == [(0, 1), (0, 1)]


# --- derivatives and batching ---------------------------------------------------------------

GRAD_CASES = ["ij,jk->ik", "bij,bjk->bik", "ii->i", "iij,jk->ki", "...ij,...jk",
              "ij,jk,kl->il", "i,j->ij", "ij,ij->ij", "ab,ab,ab->"]
GRAD_SHAPES = {
    "ij,jk->ik": [(2, 3), (3, 4)], "bij,bjk->bik": [(2, 2, 3), (2, 3, 4)],
    "ii->i": [(3, 3)], "iij,jk->ki": [(2, 2, 3), (3, 2)],
    "...ij,...jk": [(2, 1, 2, 3), (3, 3, 2)], "ij,jk,kl->il": [(2, 3), (3, 4), (4, 2)],
    "i,j->ij": [(3,), (2,)], "ij,ij->ij": [(1, 3), (2, 3)], "ab,ab,ab->": [(2, 3)] * 3,
}


@pytest.mark.parametrize("subscripts", GRAD_CASES)
def test_gradients_match_finite_differences(subscripts, x64):
    xs = _data(GRAD_SHAPES[subscripts], seed=1, dtype=np.float64)
    rng = np.random.default_rng(2)
    ct = rng.normal(size=np.einsum(subscripts, *xs).shape)

    def loss(*a):
        return fnp.sum(fnp.einsum(subscripts, *a) * put(ct))

    grads = fd.grad(loss, argnums=tuple(range(len(xs))))(*[put(x) for x in xs])
    eps = 1e-6
    for i, (x, g) in enumerate(zip(xs, grads, strict=True)):
        t = rng.normal(size=x.shape)
        plus = [y + eps * t if j == i else y for j, y in enumerate(xs)]
        minus = [y - eps * t if j == i else y for j, y in enumerate(xs)]
        num = (np.sum(np.einsum(subscripts, *plus) * ct)
               - np.sum(np.einsum(subscripts, *minus) * ct)) / (2 * eps)
        np.testing.assert_allclose(np.sum(host(g) * t), num, rtol=1e-7, atol=1e-9)


def test_second_order(x64):
    a = put(_data([(3, 3)], dtype=np.float64)[0])
    h = host(fd.hessian(lambda x: fnp.einsum("ij,jk,ki->", x, x, x))(a))
    # d²/dX² tr(X³)[E, F] = 3 tr(E F X + F E X) -> H_ijkl = 3 (X_li δ_jk + X_jk δ_il)
    x = host(a)
    eye = np.eye(3)
    want = 3 * (np.einsum("li,jk->ijkl", x, eye) + np.einsum("jk,il->ijkl", x, eye))
    np.testing.assert_allclose(h, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("in_axes", [(0, 0), (0, None), (None, 1), (2, 0)])
def test_vmap_matches_loop(in_axes, x64):
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 5))
    size = 3
    sa = a if in_axes[0] is None else np.stack([a + i for i in range(size)], in_axes[0])
    sb = b if in_axes[1] is None else np.stack([b * i for i in range(size)], in_axes[1])

    def f(x, y):
        return fnp.einsum("bij,jk->bik", x, y)

    got = host(fd.vmap(f, in_axes=in_axes)(put(sa), put(sb)))
    want = np.stack([np.einsum("bij,jk->bik",
                               sa if in_axes[0] is None else np.take(sa, i, in_axes[0]),
                               sb if in_axes[1] is None else np.take(sb, i, in_axes[1]))
                     for i in range(size)])
    np.testing.assert_allclose(got, want, rtol=1e-10)


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("subscripts, shapes, match", [
    ("ij,jk->ik", [(2, 3)], "name 2 operands but 1 were given"),
    ("ij,jk->ik", [(2, 3), (4, 5)], r"index 'j' has size 3 in one operand but 4 in operand 1"),
    ("ij->ik", [(2, 3)], r"output index 'k' does not appear in any input"),
    ("ij->ii", [(2, 2)], r"output index 'i' appears more than once"),
    ("ijk", [(2, 3)], r"term 'ijk' names 3 axes but its operand has shape \(2, 3\)"),
    ("...ijk", [(2, 3)], r"names 3 axes but its operand has only 2"),
    ("i..j", [(2, 3)], "invalid '.'"),
    ("i->j->k", [(2,)], "more than one '->'"),
    ("ii", [(2, 3)], r"index 'i' repeats in operand 0 with sizes 2 and 3"),
    ("...i->i", [(2, 3)], r"add '\.\.\.' to the output"),
])
def test_errors(subscripts, shapes, match):
    with pytest.raises(ValueError, match=match):
        fnp.einsum(subscripts, *[fnp.ones(s) for s in shapes])


def test_error_arguments():
    with pytest.raises(ValueError, match="out= is not supported"):
        fnp.einsum("i->i", fnp.ones(2), out=fnp.ones(2))
    with pytest.raises(TypeError, match="optimize must be a string"):
        fnp.einsum("i->i", fnp.ones(2), optimize=3)
    with pytest.raises(ValueError, match="needs at least one operand"):
        fnp.einsum("")
    with pytest.raises(ValueError, match=r"ints in \[0, 52\) or Ellipsis"):
        fnp.einsum(fnp.ones(2), ["a"])
