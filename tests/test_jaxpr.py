"""The IR: golden strings of the printer, ``check_jaxpr``, ``make_jaxpr`` (pytrees,
``static_argnums``, keyword arguments) and the ``eval_jaxpr`` round trip.

Every op-table row is also traced: the jaxpr must pass ``check_jaxpr``, its output types
(from the shape rules) must be those of the eager result (from the implementations), and
evaluating it must give the eager result back.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import host
from op_table import all_rows, put, sample

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax, tree
from funcdiff.core.aval import ShapedArray
from funcdiff.core.ir import Eqn, Jaxpr, JaxprTypeError, Var, check_jaxpr
from funcdiff.core.tracing import eval_jaxpr

ROWS = all_rows()


def _x(*shape, dtype=np.float32):
    return put(np.ones(shape, dtype))


# --- golden strings ----------------------------------------------------------------------------


def test_print_one_equation_on_one_line():
    got = str(fd.make_jaxpr(lax.sin)(_x(3)))
    assert got == "{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }"


def test_print_literals_and_several_equations():
    got = str(fd.make_jaxpr(lambda x: lax.sin(x) * 2.0)(_x(3)))
    assert got == (
        "{ lambda ; a:f32[3]. let\n"
        "    b:f32[3] = sin a\n"
        "    c:f32[3] = mul b 2.0:f32[]\n"
        "  in (c,) }"
    )


def test_print_params_sorted_and_dtypes_short():
    got = str(fd.make_jaxpr(lambda x, y: (lax.reduce_sum(x, (0,)),
                                          lax.convert_element_type(y, np.float32)))(
        _x(2, 3), _x(2, dtype=np.int32)))
    assert got == (
        "{ lambda ; a:f32[2,3] b:i32[2]. let\n"
        "    c:f32[3] = reduce_sum[axes=(0,)] a\n"
        "    d:f32[2] = convert_element_type[new_dtype=float32, weak_type=False] b\n"
        "  in (c, d) }"
    )


def test_print_constants_bools_and_broadcasts():
    c = put(np.arange(3.0, dtype=np.float32))
    got = str(fd.make_jaxpr(lambda x: (x + c > 0,
                                       lax.broadcast_in_dim(x, (2, 3), (1,))))(_x(3)))
    assert got == (
        "{ lambda a:f32[3]; b:f32[3]. let\n"
        "    c:f32[3] = add b a\n"
        "    d:bool[3] = gt c 0.0:f32[]\n"
        "    e:f32[2,3] = broadcast_in_dim[broadcast_dimensions=(1,), shape=(2, 3)] b\n"
        "  in (d, e) }"
    )


def test_print_identity_and_literal_outputs():
    assert str(fd.make_jaxpr(lambda x: x)(_x(3))) == "{ lambda ; a:f32[3]. let in (a,) }"
    assert str(fd.make_jaxpr(lambda x: (x, 1.0))(_x(3))) == (
        "{ lambda ; a:f32[3]. let in (a, 1.0:f32[]) }")


def test_print_int_literals_and_scalars():
    got = str(fd.make_jaxpr(lambda x: lax.convert_element_type(x, np.int32) + 1)(_x()))
    assert got == (
        "{ lambda ; a:f32[]. let\n"
        "    b:i32[] = convert_element_type[new_dtype=int32, weak_type=False] a\n"
        "    c:i32[] = add b 1:i32[]\n"
        "  in (c,) }"
    )


def test_print_transformed_functions():
    # vmap moves the reduced axis; grad records its backward pass (cotangent 1 is a const).
    got = str(fd.make_jaxpr(fd.vmap(lambda x: lax.reduce_sum(x, (0,))))(_x(2, 3)))
    assert got == "{ lambda ; a:f32[2,3]. let b:f32[2] = reduce_sum[axes=(1,)] a in (b,) }"
    got = str(fd.make_jaxpr(fd.grad(lambda x: lax.reduce_sum(lax.sin(x), (0,))))(_x(3)))
    assert got == (
        "{ lambda a:f32[3]; b:f32[3]. let\n"
        "    c:f32[3] = cos b\n"
        "    d:f32[3] = mul a c\n"
        "  in (d,) }"
    )


def test_print_names_run_past_z():
    def chain(x):
        for _ in range(27):
            x = lax.neg(x)
        return x

    text = str(fd.make_jaxpr(chain)(_x()))
    assert text.splitlines()[-2].strip() == "ab:f32[] = neg aa"


def test_equations_remember_the_user_line():
    jaxpr = fd.make_jaxpr(lambda x: lax.sin(x))(_x(3))
    assert "test_jaxpr.py" in jaxpr.eqns[0].source


# --- make_jaxpr: pytrees, static arguments, keywords ---------------------------------------------


def test_make_jaxpr_flattens_pytrees_in_and_out():
    def f(d, pair):
        a, b = pair
        return {"s": d["x"] * a, "t": [b - d["y"]]}

    jaxpr = fd.make_jaxpr(f)({"x": _x(2), "y": _x(2)}, (_x(2), _x(2)))
    assert [v.aval.shape for v in jaxpr.invars] == [(2,)] * 4
    assert len(jaxpr.outvars) == 2
    assert [e.prim.name for e in jaxpr.eqns] == ["mul", "sub"]


def test_make_jaxpr_static_argnums_are_python_values():
    def f(x, n, flag):
        for _ in range(n):
            x = lax.sin(x)
        return lax.neg(x) if flag else x

    jaxpr = fd.make_jaxpr(f, static_argnums=(1, 2))(_x(3), 3, True)
    assert [e.prim.name for e in jaxpr.eqns] == ["sin", "sin", "sin", "neg"]
    assert len(jaxpr.invars) == 1
    jaxpr = fd.make_jaxpr(f, static_argnums=(-2, -1))(_x(3), 1, False)
    assert [e.prim.name for e in jaxpr.eqns] == ["sin"]


def test_make_jaxpr_single_static_int_and_keywords():
    jaxpr = fd.make_jaxpr(lambda x, k, *, scale: x * k * scale, static_argnums=1)(
        _x(3), 2.0, scale=_x(3))
    assert [v.aval.shape for v in jaxpr.invars] == [(3,), (3,)]
    assert [e.prim.name for e in jaxpr.eqns] == ["mul", "mul"]


def test_make_jaxpr_python_branch_on_traced_value_teaches():
    def f(x):
        return x if x.sum() > 0 else -x

    with pytest.raises(fd.ConcretizationTypeError, match="static_argnums"):
        fd.make_jaxpr(f)(_x(3))


# --- check_jaxpr --------------------------------------------------------------------------------


def _manual(eqns, invars, outvars, constvars=()):
    return Jaxpr(list(constvars), list(invars), eqns, outvars)


def test_check_jaxpr_accepts_a_well_formed_program():
    check_jaxpr(fd.make_jaxpr(lambda x, y: lax.dot(x, y) + 1.0)(_x(2, 3), _x(3, 2)))


def test_check_jaxpr_rejects_use_before_definition():
    f32 = ShapedArray((3,), np.dtype("float32"))
    a, b, c = Var(f32), Var(f32), Var(f32)
    jaxpr = _manual([Eqn(lax.sin_p, [b], [c], {})], [a], [c])
    with pytest.raises(JaxprTypeError, match="used before it is defined"):
        check_jaxpr(jaxpr)


def test_check_jaxpr_rejects_double_definition():
    f32 = ShapedArray((3,), np.dtype("float32"))
    a, b = Var(f32), Var(f32)
    jaxpr = _manual([Eqn(lax.sin_p, [a], [b], {}), Eqn(lax.cos_p, [a], [b], {})], [a], [b])
    with pytest.raises(JaxprTypeError, match="defined twice"):
        check_jaxpr(jaxpr)


def test_check_jaxpr_rejects_a_wrong_declared_type():
    a = Var(ShapedArray((3,), np.dtype("float32")))
    b = Var(ShapedArray((4,), np.dtype("float32")))
    jaxpr = _manual([Eqn(lax.sin_p, [a], [b], {})], [a], [b])
    with pytest.raises(JaxprTypeError, match=r"equation 0 \(sin\) declares outputs"):
        check_jaxpr(jaxpr)


def test_check_jaxpr_rejects_undefined_output():
    f32 = ShapedArray((), np.dtype("float32"))
    a, b = Var(f32), Var(f32)
    with pytest.raises(JaxprTypeError, match="used before it is defined"):
        check_jaxpr(_manual([], [a], [b]))


def test_check_jaxpr_reports_shape_rule_errors():
    a = Var(ShapedArray((3,), np.dtype("float32")))
    b = Var(ShapedArray((2,), np.dtype("float32")))
    c = Var(ShapedArray((3,), np.dtype("float32")))
    with pytest.raises(ValueError, match="incompatible shapes"):
        check_jaxpr(_manual([Eqn(lax.add_p, [a, b], [c], {})], [a, b], [c]))


# --- eval_jaxpr round trip ----------------------------------------------------------------------


def test_eval_jaxpr_round_trip_with_consts():
    c = put(np.array([1.0, -2.0, 3.0], np.float32))

    def f(x):
        return lax.exp(x) * c, lax.reduce_max(x, (0,))

    x = put(np.array([0.5, 0.1, -0.3], np.float32))
    jaxpr = fd.make_jaxpr(f)(x)
    got = eval_jaxpr(jaxpr, jaxpr.consts, x)
    for g, w in zip(got, f(x), strict=True):
        np.testing.assert_allclose(host(g), host(w))


def test_eval_jaxpr_nests_inside_transforms():
    jaxpr = fd.make_jaxpr(lambda x: lax.reduce_sum(lax.sin(x) * x, (0,)))(_x(3))

    def f(x):
        return eval_jaxpr(jaxpr, jaxpr.consts, x)[0]

    x = put(np.array([0.5, 0.1, -0.3], np.float32))
    np.testing.assert_allclose(host(fd.grad(f)(x)), host(np.sin(host(x)) + host(x) *
                                                          np.cos(host(x))), rtol=1e-6)
    again = fd.make_jaxpr(f)(x)
    assert str(again) == str(jaxpr)
    batched = fd.vmap(f)(put(np.ones((4, 3), np.float32)))
    assert batched.shape == (4,)


@pytest.mark.parametrize("row", [r for r in ROWS if r.args and r.traceable], ids=str)
def test_row_traces_checks_and_round_trips(row):
    rng = np.random.default_rng(0)
    args = [put(sample(a, rng)) for a in row.args]
    eager = tree.leaves(row.fn(*args, **row.static))
    jaxpr = fd.make_jaxpr(lambda *xs: row.fn(*xs, **row.static))(*args)
    check_jaxpr(jaxpr)
    for k, (v, e) in enumerate(zip(jaxpr.outvars, eager, strict=True)):
        assert (v.aval.shape, v.aval.dtype) == (e.shape, e.dtype), (
            f"{row.name} output {k}: the shape rule says {v.aval.str_short()}, the "
            f"implementation gives {e.dtype}{list(e.shape)}")
    again = eval_jaxpr(jaxpr, jaxpr.consts, *args)
    for k, (a, e) in enumerate(zip(again, eager, strict=True)):
        np.testing.assert_array_equal(host(fnp.asarray(a)), host(e),
                                      err_msg=f"{row.name} output {k}: eval_jaxpr differs")
