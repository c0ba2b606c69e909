"""The jit optimization passes, each on hand-made jaxprs: the program before, the program
after, and the same values from both."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.core.aval import ShapedArray
from funcdiff.core.ir import Eqn, Jaxpr, Literal, Var, check_jaxpr
from funcdiff.core.tracing import eval_jaxpr
from funcdiff.transforms import passes
from funcdiff.transforms.passes import (
    cse,
    dce,
    fold_constants,
    fold_dot_transposes,
    inline_calls,
    optimize,
    reorder_contractions,
    simplify,
)


class Prog:
    """A jaxpr written by hand, one ``bind``-like call per equation."""

    def __init__(self) -> None:
        self.invars: list[Var] = []
        self.constvars: list[Var] = []
        self.consts: list = []
        self.eqns: list[Eqn] = []

    def arg(self, *shape: int, dtype: str = "float32") -> Var:
        v = Var(ShapedArray(shape, dtype))
        self.invars.append(v)
        return v

    def const(self, value) -> Var:
        x = fnp.asarray(value)
        v = Var(x.aval)
        self.constvars.append(v)
        self.consts.append(x)
        return v

    @staticmethod
    def lit(value, dtype: str = "float32") -> Literal:
        return Literal(np.asarray(value, dtype)[()], ShapedArray((), dtype, weak_type=True))

    def __call__(self, prim, *ins, **params):
        avals = prim.abstract_eval(*[a.aval for a in ins], **params)
        outs = [Var(a) for a in avals]
        self.eqns.append(Eqn(prim, list(ins), outs, params, "model.py:7 (f)"))
        return outs if prim.multiple_results else outs[0]

    def jaxpr(self, *outs) -> Jaxpr:
        j = Jaxpr(list(self.constvars), list(self.invars), list(self.eqns), list(outs),
                  list(self.consts))
        check_jaxpr(j)
        return j


def run(jaxpr: Jaxpr, *args):
    return [host(o) for o in eval_jaxpr(jaxpr, jaxpr.consts, *[fnp.asarray(a) for a in args])]


def same_values(before: Jaxpr, after: Jaxpr, *args, rtol: float = 1e-6) -> None:
    check_jaxpr(after)
    for a, b in zip(run(before, *args), run(after, *args), strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


def prims(jaxpr: Jaxpr) -> list[str]:
    return [e.prim.name for e in jaxpr.eqns]


X = np.arange(6, dtype=np.float32).reshape(2, 3) / 7 - 0.3


# --- dce ------------------------------------------------------------------------------------


def test_dce_drops_unread_equations_and_constants():
    p = Prog()
    x = p.arg(2, 3)
    c = p.const(np.ones((2, 3), np.float32))
    dead = p(lax.mul_p, x, c)
    p(lax.exp_p, dead)
    y = p(lax.sin_p, x)
    before = p.jaxpr(y)
    after = dce(before)
    assert prims(before) == ["mul", "exp", "sin"]
    assert str(after) == "{ lambda ; a:f32[2,3]. let b:f32[2,3] = sin a in (b,) }"
    assert after.consts == [] and after.invars == before.invars
    same_values(before, after, X)


def test_dce_keeps_effects_and_unread_inputs():
    from funcdiff.core.primitive import Primitive

    effect_p = Primitive("test_effect")
    effect_p.has_effects = True
    effect_p.def_abstract_eval(lambda x: x)
    p = Prog()
    x, unused = p.arg(3), p.arg(4)
    p(effect_p, x)
    after = dce(p.jaxpr(x))
    assert prims(after) == ["test_effect"] and after.invars == [x, unused]


# --- cse ------------------------------------------------------------------------------------


def test_cse_merges_equal_equations_through_their_uses():
    p = Prog()
    x = p.arg(2, 3)
    a = p(lax.max_p, x, p.lit(0.0))
    b = p(lax.max_p, x, p.lit(0.0))  # same op, same inputs, equal literal
    c = p(lax.max_p, x, p.lit(1.0))  # a different literal: kept
    s1, s2 = p(lax.sin_p, a), p(lax.sin_p, b)  # equal once a and b are merged
    out = p(lax.add_p, p(lax.add_p, s1, s2), c)
    before = p.jaxpr(out)
    after = cse(before)
    assert prims(after) == ["max", "max", "sin", "add", "add"]
    assert str(after) == (
        "{ lambda ; a:f32[2,3]. let\n"
        "    b:f32[2,3] = max a 0.0:f32[]\n"
        "    c:f32[2,3] = max a 1.0:f32[]\n"
        "    d:f32[2,3] = sin b\n"
        "    e:f32[2,3] = add d d\n"
        "    f:f32[2,3] = add e c\n"
        "  in (f,) }")
    same_values(before, after, X)


def test_cse_distinguishes_params_and_literal_types():
    p = Prog()
    x = p.arg(2, 3)
    a = p(lax.reduce_sum_p, x, axes=(0,))
    b = p(lax.reduce_sum_p, x, axes=(1,))
    i = p.arg(3, dtype="int32")
    c = p(lax.add_p, i, p.lit(1, "int32"))
    d = p(lax.add_p, i, p.lit(1, "int32"))
    after = cse(p.jaxpr(a, b, c, d))
    assert prims(after) == ["reduce_sum", "reduce_sum", "add"]
    assert after.outvars[2] is after.outvars[3]


# --- constant folding -----------------------------------------------------------------------


def test_fold_computes_constant_equations_once():
    p = Prog()
    x = p.arg(2, 3)
    c = p.const(np.full((2, 3), 2.0, np.float32))
    e = p(lax.exp_p, c)  # only constants in: folded into a new constant
    s = p(lax.reduce_sum_p, e, axes=(0, 1))  # a scalar result: becomes a literal
    out = p(lax.add_p, p(lax.mul_p, x, e), p(lax.broadcast_in_dim_p, s, shape=(2, 3),
                                                  broadcast_dimensions=()))
    before = p.jaxpr(out)
    after = dce(fold_constants(before))
    assert prims(after) == ["mul", "broadcast_in_dim", "add"]  # broadcasts stay views
    (k,) = after.consts
    np.testing.assert_allclose(host(k), np.exp(2.0) * np.ones((2, 3)), rtol=1e-6)
    (lit,) = after.eqns[1].invars
    assert isinstance(lit, Literal) and abs(float(lit.val) - 6 * np.exp(2.0)) < 1e-3
    same_values(before, after, X)


def test_fold_leaves_big_results_in_the_program():
    p = Prog()
    x = p.arg(100, 100)
    small = p.const(np.arange(100, dtype=np.float32))
    big = p(lax.broadcast_in_dim_p, small, shape=(100, 100), broadcast_dimensions=(1,))
    iota = p(lax.iota_p, dtype=np.dtype("int32"), shape=(100, 100), dimension=0)
    out = p(lax.mul_p, x, big)
    after = fold_constants(p.jaxpr(out, iota))
    assert prims(after) == ["broadcast_in_dim", "iota", "mul"] and len(after.consts) == 1


@pytest.mark.filterwarnings("ignore:invalid value")
def test_fold_keeps_nan_producers_for_debug_nans():
    p = Prog()
    x = p.arg(3)
    c = p.const(np.array([-1.0, 1.0, 4.0], np.float32))
    out = p(lax.add_p, x, p(lax.log_p, c))  # log(-1) is NaN
    before = p.jaxpr(out)
    assert prims(dce(fold_constants(before))) == ["add"]
    with fd.config.override(debug_nans=True):
        assert prims(fold_constants(before)) == ["log", "add"]


# --- algebraic simplification ---------------------------------------------------------------


def test_simplify_identities():
    p = Prog()
    x, y = p.arg(2, 3), p.arg(2, 3)
    a = p(lax.mul_p, x, p.lit(1.0))  # x
    b = p(lax.add_p, p.lit(0.0), a)  # x
    c = p(lax.neg_p, p(lax.neg_p, b))  # x
    d = p(lax.div_p, c, p.lit(1.0))  # x
    e = p(lax.sub_p, d, p(lax.neg_p, y))  # x + y
    f = p(lax.mul_p, e, p.lit(-1.0))  # neg(x + y)
    g = p(lax.stop_gradient_p, f)
    h = p(lax.convert_element_type_p, g, new_dtype=np.dtype("float32"), weak_type=False)
    before = p.jaxpr(h)
    after = dce(simplify(before))
    assert prims(after) == ["add", "neg"]
    assert str(after) == ("{ lambda ; a:f32[2,3] b:f32[2,3]. let\n"
                          "    c:f32[2,3] = add a b\n"
                          "    d:f32[2,3] = neg c\n"
                          "  in (d,) }")
    same_values(before, after, X, X * 2)


def test_simplify_composes_transposes_reshapes_broadcasts():
    p = Prog()
    x = p.arg(2, 3, 4)
    t = p(lax.transpose_p, p(lax.transpose_p, x, permutation=(1, 2, 0)), permutation=(2, 0, 1))
    r = p(lax.reshape_p, p(lax.reshape_p, t, new_sizes=(6, 4)), new_sizes=(24,))
    v = p.arg(4)
    b = p(lax.broadcast_in_dim_p, p(lax.broadcast_in_dim_p, v, shape=(3, 4),
                                    broadcast_dimensions=(1,)),
          shape=(2, 3, 4), broadcast_dimensions=(1, 2))
    before = p.jaxpr(r, b)
    after = dce(simplify(before))
    assert str(after) == ("{ lambda ; a:f32[2,3,4] b:f32[4]. let\n"
                          "    c:f32[24] = reshape[new_sizes=(24,)] a\n"
                          "    d:f32[2,3,4] = broadcast_in_dim[broadcast_dimensions=(2,), "
                          "shape=(2, 3, 4)] b\n"
                          "  in (c, d) }")
    same_values(before, after, np.arange(24.0).reshape(2, 3, 4), np.arange(4.0))


def test_simplify_turns_broadcast_constants_into_scalars():
    p = Prog()
    x = p.arg(2, 3)
    half = p.const(np.full((2, 3), 0.5, np.float32))  # as grad of maximum makes
    ones = p(lax.broadcast_in_dim_p, p.lit(1.0), shape=(2, 3), broadcast_dimensions=())
    pred = p(lax.gt_p, x, p.lit(0.0))
    s = p(lax.select_p, pred, half, x)
    out = p(lax.mul_p, s, ones)
    before = p.jaxpr(out)
    after = dce(simplify(before))
    assert str(after) == ("{ lambda ; a:f32[2,3]. let\n"
                          "    b:bool[2,3] = gt a 0.0:f32[]\n"
                          "    c:f32[2,3] = select b 0.5:f32[] a\n"
                          "  in (c,) }")
    same_values(before, after, X)


def test_simplify_keeps_what_is_not_an_identity():
    p = Prog()
    x = p.arg(3)
    a = p(lax.mul_p, x, p.lit(0.0))  # x * 0 is NaN for inf: not folded to 0
    zeros = p(lax.broadcast_in_dim_p, p.lit(0.0), shape=(3,), broadcast_dimensions=())
    b = p(lax.add_p, zeros, p.lit(1.0))  # 0 + 1 everywhere: only the broadcast has the shape
    after = simplify(p.jaxpr(a, b))
    assert prims(after) == ["mul", "broadcast_in_dim", "add"]


# --- dot_general transposes -----------------------------------------------------------------


def test_transposed_operands_fold_into_dot_general():
    p = Prog()
    a, b = p.arg(3, 2), p.arg(4, 3)
    at = p(lax.transpose_p, a, permutation=(1, 0))
    bt = p(lax.transpose_p, b, permutation=(1, 0))
    d = p(lax.dot_general_p, at, bt, dimension_numbers=(((1,), (0,)), ((), ())),
          preferred_element_type=None)
    before = p.jaxpr(d)
    after = dce(fold_dot_transposes(before))
    assert prims(after) == ["dot_general"]
    assert after.eqns[0].params["dimension_numbers"] == (((0,), (1,)), ((), ()))
    same_values(before, after, np.arange(6.0).reshape(3, 2), np.arange(12.0).reshape(4, 3))


def test_transposed_product_swaps_operands():
    p = Prog()
    ct, x = p.arg(5, 4), p.arg(5, 3)  # reverse mode's weight gradient, as traced
    d = p(lax.dot_general_p, ct, x, dimension_numbers=(((0,), (0,)), ((), ())),
          preferred_element_type=None)
    g = p(lax.transpose_p, d, permutation=(1, 0))
    before = p.jaxpr(g)
    after = dce(fold_dot_transposes(before))
    assert str(after) == (
        "{ lambda ; a:f32[5,4] b:f32[5,3]. let c:f32[3,4] = dot_general[dimension_numbers="
        "(((0,), (0,)), ((), ())), preferred_element_type=None] b a in (c,) }")
    same_values(before, after, np.arange(20.0).reshape(5, 4), np.arange(15.0).reshape(5, 3))


def test_transposes_that_reorder_free_axes_stay():
    p = Prog()
    a, b = p.arg(2, 3, 4), p.arg(4, 5)
    at = p(lax.transpose_p, a, permutation=(1, 0, 2))  # swaps two free axes
    d = p(lax.dot_general_p, at, b, dimension_numbers=(((2,), (0,)), ((), ())),
          preferred_element_type=None)
    shared = p(lax.dot_general_p, b, b, dimension_numbers=(((0,), (0,)), ((), ())),
               preferred_element_type=None)
    t = p(lax.transpose_p, shared, permutation=(1, 0))  # the product is also an output
    after = fold_dot_transposes(p.jaxpr(d, t, shared))
    assert prims(after) == ["transpose", "dot_general", "dot_general", "transpose"]


# --- contraction order ----------------------------------------------------------------------


def test_chain_of_products_is_reassociated():
    p = Prog()
    a, b, v = p.arg(40, 30), p.arg(30, 20), p.arg(20)
    ab = p(lax.dot_general_p, a, b, dimension_numbers=(((1,), (0,)), ((), ())),
           preferred_element_type=None)
    out = p(lax.dot_general_p, ab, v, dimension_numbers=(((1,), (0,)), ((), ())),
            preferred_element_type=None)
    before = p.jaxpr(out)
    after = reorder_contractions(before)
    assert [e.outvars[0].aval.shape for e in after.eqns] == [(30,), (40,)]
    assert after.outvars == before.outvars
    rng = np.random.default_rng(0)
    same_values(before, after, rng.normal(size=(40, 30)), rng.normal(size=(30, 20)),
                rng.normal(size=20), rtol=1e-4)  # float32 sums in another order


def test_batched_chain_keeps_batch_axes_and_output_order():
    p = Prog()
    a, b, c = p.arg(3, 8, 2), p.arg(3, 2, 8), p.arg(3, 8, 5)
    dn = (((2,), (1,)), ((0,), (0,)))
    ab = p(lax.dot_general_p, a, b, dimension_numbers=dn, preferred_element_type=None)
    out = p(lax.dot_general_p, ab, c, dimension_numbers=dn, preferred_element_type=None)
    before = p.jaxpr(out)
    after = reorder_contractions(before)
    assert prims(after) == ["dot_general", "dot_general"]
    assert after.eqns[0].outvars[0].aval.shape == (3, 2, 5)  # b @ c first: 2x8x5, not 8x2x8
    rng = np.random.default_rng(1)
    same_values(before, after, *(rng.normal(size=v.aval.shape) for v in before.invars),
                rtol=1e-4)


def test_cheapest_order_already_is_left_alone():
    p = Prog()
    v, a, b = p.arg(20), p.arg(20, 30), p.arg(30, 40)
    va = p(lax.dot_general_p, v, a, dimension_numbers=(((0,), (0,)), ((), ())),
           preferred_element_type=None)
    out = p(lax.dot_general_p, va, b, dimension_numbers=(((0,), (0,)), ((), ())),
            preferred_element_type=None)
    before = p.jaxpr(out)
    assert reorder_contractions(before) is before


def test_einsum_chains_get_the_optimal_order():
    rng = np.random.default_rng(2)
    a, b, c = (fnp.asarray(rng.normal(size=s).astype(np.float32))
               for s in ((30, 40), (40, 50), (50, 2)))
    jaxpr = fd.make_jaxpr(lambda a, b, c: fnp.dot(fnp.dot(a, b), c))(a, b, c)
    after = reorder_contractions(jaxpr)
    assert [e.outvars[0].aval.shape for e in after.eqns] == [(40, 2), (30, 2)]
    same_values(jaxpr, after, host(a), host(b), host(c), rtol=1e-4)


# --- inlining and the pipeline --------------------------------------------------------------


def test_inline_splices_nested_jits_recursively():
    inner = fd.jit(lambda x: fnp.sin(x) * 2.0)
    middle = fd.jit(lambda x: inner(x) + inner(x * 3.0))
    jaxpr = fd.make_jaxpr(lambda x: middle(x) - 1.0)(fnp.ones(3))
    assert prims(jaxpr) == ["pjit", "sub"]
    flat = inline_calls(jaxpr)
    assert prims(flat) == ["sin", "mul", "mul", "sin", "mul", "add", "sub"]
    assert all(e.source and "test_passes.py" in e.source for e in flat.eqns)
    same_values(jaxpr, flat, np.array([0.1, 0.2, 0.3]))


def test_inline_brings_the_inner_constants():
    w = fnp.array([1.0, 2.0, 3.0])
    inner = fd.jit(lambda x: x * w)
    jaxpr = fd.make_jaxpr(lambda x: inner(x) + 1.0)(fnp.ones(3))
    flat = inline_calls(jaxpr)
    assert prims(flat) == ["mul", "add"] and len(flat.consts) == 1
    same_values(jaxpr, flat, np.array([0.5, 1.5, 2.5]))


def test_optimize_reports_each_pass():
    jaxpr = fd.make_jaxpr(lambda x: fnp.exp(x) * 1.0 + fnp.exp(x))(fnp.ones(3))
    opt, log = optimize(jaxpr)
    assert [r.name for r in log] == [name for name, _ in passes.PIPELINE]
    assert log[0].eqns_before == 4 and log[-1].eqns_after == len(opt.eqns) == 2
    assert all(r.eqns_after <= r.eqns_before for r in log)


@pytest.mark.parametrize("name, fn", passes.PIPELINE, ids=[n for n, _ in passes.PIPELINE])
def test_every_pass_leaves_its_input_unchanged(name, fn):
    p = Prog()
    x = p.arg(2, 3)
    a = p(lax.mul_p, x, p.lit(1.0))
    b = p(lax.neg_p, p(lax.neg_p, a))
    c = p(lax.sin_p, b)
    before = p.jaxpr(c, p(lax.sin_p, b))
    text = str(before)
    fn(before)
    assert str(before) == text


def test_inline_custom_derivative_calls_and_unprotected_checkpoints():
    @fd.custom_jvp
    def softplus(x):
        return fnp.log1p(fnp.exp(x))

    softplus.defjvp(lambda p, t: (fnp.log1p(fnp.exp(p[0])), t[0] / (1 + fnp.exp(-p[0]))))

    def f(x):
        y = softplus(x)
        a = fd.checkpoint(lambda v: fnp.sin(v) * 2.0, prevent_cse=False)(y)
        b = fd.checkpoint(lambda v: fnp.cos(v))(y)  # prevent_cse: stays a call
        return a + b

    jaxpr = fd.make_jaxpr(f)(fnp.ones(3))
    assert prims(jaxpr) == ["custom_jvp_call", "checkpoint", "checkpoint", "add"]
    flat = inline_calls(jaxpr)
    assert prims(flat) == ["exp", "log1p", "sin", "mul", "checkpoint", "add"]
    same_values(jaxpr, flat, np.array([0.1, -0.5, 2.0]))
