"""``fd.jit``: the cache and its trace counts, static and donated arguments, what ``lower``
shows, numerical agreement with eager execution, composition with grad and vmap in every
order, errors, debug_nans, and threads."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
from conftest import STRICT, host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.transforms.jit import (
    JitFunction,
    Lowered,
    NonHashableStaticArgError,
    RetraceWarning,
    pjit_p,
)

RNG = np.random.default_rng(0)


def arr(*shape, dtype="float32", lo=-1.0, hi=1.0):
    return fnp.asarray(RNG.uniform(lo, hi, size=shape).astype(dtype))


def close(a, b, rtol=1e-5, atol=1e-6):
    if isinstance(b, list) and all(isinstance(v, (int, float)) for v in b):
        b = np.asarray(b)  # expected values written out
    for u, v in zip(fd.tree.leaves(a), fd.tree.leaves(b), strict=True):
        np.testing.assert_allclose(host(u), host(v), rtol=rtol, atol=atol)


# --- the cache ------------------------------------------------------------------------------


def test_traces_once_per_signature():
    f = fd.jit(lambda x, y: x * y + 1.0)
    a, b = arr(3), arr(3)
    close(f(a, b), host(a) * host(b) + 1)
    f(b, a)
    f(a, 2.0)  # a weak float scalar: another signature
    f(b, 3.0)
    assert f.trace_count == 2
    f(arr(4), arr(4))  # shape
    f(a.astype("int32"), b.astype("int32"))  # dtype
    f(a, fnp.ones(()))  # a strong scalar differs from a weak one
    assert f.trace_count == 5
    assert f.cache_info() == {"hits": 2, "misses": 5, "size": 5} and f._cache_size() == 5


def test_cache_keys_on_structure_and_config():
    f = fd.jit(lambda d: d["a"] + fd.tree.leaves(d["b"])[0])
    f({"a": arr(2), "b": arr(2)})
    f({"a": arr(2), "b": arr(2)})
    assert f.trace_count == 1
    f({"a": arr(2), "b": arr(2), "c": arr(2)})  # another dict key
    f({"a": arr(2), "b": (arr(2),)})  # a tuple where an array was
    assert f.trace_count == 3
    with fd.config.override(debug_nans=True):
        f({"a": arr(2), "b": arr(2)})
    assert f.trace_count == 4


def test_jit_of_one_function_shares_its_cache():
    def g(x):
        return x * 2.0

    fd.jit(g)(arr(3))
    again = fd.jit(g)
    again(arr(3))
    assert again.trace_count == 1
    other_options = fd.jit(g, donate_argnums=0)
    other_options(arr(3))
    assert other_options.trace_count == 1 and again.trace_count == 1


def test_clear_cache_retraces():
    f = fd.jit(lambda x: -x)
    f(arr(2))
    f.clear_cache()
    f(arr(2))
    assert f.trace_count == 2 and f._cache_size() == 1


def test_retracing_warns_naming_what_changed():
    @fd.jit
    def f(x, params):
        return x.sum() + params["w"].sum()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n in range(1, 6):
            f(arr(n), {"w": arr(2)})
    with pytest.warns(RetraceWarning, match=r"jit of f has been traced 6 times; this time "
                      r"because x changed from f32\[5\] to f32\[6\]"):
        f(arr(6), {"w": arr(2)})
    with pytest.warns(RetraceWarning, match=r"params\['w'\] changed from f32\[2\] to f32\[3\]"):
        f(arr(6), {"w": arr(3)})


def test_retrace_warning_names_static_changes():
    f = fd.jit(lambda x, n: x * n, static_argnums=1)
    for n in range(6):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f(arr(2), n)
    with pytest.warns(RetraceWarning, match=r"static argument 1 changed from 5 to 6"):
        f(arr(2), 6)


def test_cache_is_thread_safe():
    @fd.jit
    def f(x, y):
        return fnp.tanh(x @ y).sum(axis=0) * 2.0

    xs = [arr(8, 8) for _ in range(6)]
    want = [np.tanh(host(x) @ host(x)).sum(axis=0) * 2 for x in xs]
    results, errors = {}, []
    start = threading.Barrier(6)

    def work(i):
        try:
            start.wait()
            for _ in range(20):
                results[i] = host(f(xs[i], xs[i]))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert f.trace_count == 1
    for i in range(6):
        np.testing.assert_allclose(results[i], want[i], rtol=1e-5)


# --- arguments ------------------------------------------------------------------------------


def test_static_argnums_and_argnames():
    def f(x, n, *, mode="sum"):
        y = x
        for _ in range(n):  # Python control flow on static values
            y = y * 2.0
        return y.sum() if mode == "sum" else y.max()

    j = fd.jit(f, static_argnums=1, static_argnames="mode")
    x = fnp.array([1.0, 2.0])
    assert float(j(x, 2)) == 12.0
    assert float(j(x, 2, mode="max")) == 8.0
    assert float(j(x, n=3)) == 24.0  # a static position given by name
    assert j.trace_count == 3
    assert float(j(x, 2)) == 12.0 and j.trace_count == 3


def test_static_argnames_imply_positions_and_negative_argnums():
    j = fd.jit(lambda x, k: x[:k], static_argnames="k")
    assert j(fnp.arange(5.0), 2).shape == (2,)
    j2 = fd.jit(lambda x, k: x[:k], static_argnums=-1)
    assert j2(fnp.arange(5.0), 3).shape == (3,)


def test_unhashable_static_argument_is_a_clear_error():
    j = fd.jit(lambda x, sizes: x.reshape(sizes), static_argnums=1)
    with pytest.raises(NonHashableStaticArgError, match=r"static argument 1 \(sizes\) must "
                       r"be hashable.*got list \[2, 3\].*a tuple instead of a list"):
        j(fnp.ones(6), [2, 3])
    with pytest.raises(TypeError):  # also a TypeError (and a ValueError, as in JAX)
        j(fnp.ones(6), [2, 3])
    assert j(fnp.ones(6), (2, 3)).shape == (2, 3)


def test_static_argnames_must_be_parameters():
    with pytest.raises(ValueError, match=r"static_argnames \['y'\] are not parameters"):
        fd.jit(lambda x: x, static_argnames="y")
    with pytest.raises(TypeError, match="static_argnums takes ints"):
        fd.jit(lambda x: x, static_argnums="x")


def test_non_array_argument_suggests_static():
    j = fd.jit(lambda x, act: x if act == "id" else -x)
    with pytest.raises(TypeError, match=r"argument act is a str \('id'\), not an array.*"
                       r"static_argnums"):
        j(fnp.ones(2), "id")


def test_pytrees_keywords_and_literal_outputs():
    @fd.jit
    def f(params, x, *, scale):
        return {"y": params[0] * x + params[1], "const": 3.0, "same": x, "none": None}, scale

    out, s = f((fnp.array(2.0), fnp.array(1.0)), fnp.arange(3.0), scale=fnp.array(0.5))
    close(out["y"], [1.0, 3.0, 5.0])
    assert out["none"] is None and float(out["const"]) == 3.0 and out["const"].weak_type
    close(out["same"], [0.0, 1.0, 2.0])
    assert float(s) == 0.5


def test_weak_types_match_eager():
    f = lambda x: x * 2
    y = fd.jit(f)(3.0)
    assert y.dtype == np.float32 and y.weak_type == f(fnp.asarray(3.0)).weak_type is True
    assert not fd.jit(f)(fnp.ones(())).weak_type


def test_donated_arguments_hold_the_results():
    @fd.jit
    def plain(p, g):
        return p - 0.1 * g

    step = fd.jit(lambda p, g: p - 0.1 * g, donate_argnums=0)
    p = fnp.arange(6.0)
    buf = p._value
    g = fnp.ones(6)
    new = step(p, g)
    close(new, np.arange(6.0) - 0.1)
    if not STRICT:
        assert new._value is buf  # the donated buffer now holds the result
    kept = fnp.arange(6.0)
    close(plain(kept, g), np.arange(6.0) - 0.1)
    close(kept, np.arange(6.0))  # without donation the input is untouched


def test_donating_an_argument_passed_twice_is_safe():
    step = fd.jit(lambda a, b: a * 2.0 + b, donate_argnums=0)
    x = fnp.arange(4.0)
    close(step(x, x), np.arange(4.0) * 3)


def test_methods_can_be_jitted():
    class Scaler:
        def __init__(self, k):
            self.k = k

        @fd.jit
        def apply(self, x):
            return x * self.k

    with pytest.raises(TypeError, match="argument self is a Scaler"):
        Scaler(2.0).apply(fnp.ones(2))

    class Static:
        k = 3.0

        def __hash__(self):
            return 1

        def __eq__(self, other):
            return isinstance(other, Static)

        @fd.jit(static_argnums=0)
        def apply(self, x):
            return x * self.k

    close(Static().apply(fnp.ones(2)), [3.0, 3.0])


# --- what jit made --------------------------------------------------------------------------


def test_lower_shows_both_jaxprs_sources_cost_and_code():
    def loss(w, x):
        h = fnp.tanh(x @ w) * 1.0  # the * 1.0 is simplified away
        return (h + h).sum()

    j = fd.jit(loss)
    low = j.lower(fnp.ones((3, 2)), fnp.ones((4, 3)))
    assert isinstance(low, Lowered)
    assert [e.prim.name for e in low.jaxpr.eqns] == [
        "dot_general", "tanh", "mul", "add", "reduce_sum"]
    assert [e.prim.name for e in low.optimized_jaxpr.eqns] == [
        "dot_general", "tanh", "add", "reduce_sum"]
    assert all("test_jit.py" in e.source for e in low.jaxpr.eqns)
    text = str(low)
    assert "--- traced jaxpr (5 equations) ---" in text
    assert "--- optimized jaxpr (4 equations) ---" in text
    assert "# test_jit.py:" in text and "(loss)" in text
    assert "simplify 5->4" in text
    assert low.source.startswith("def loss(a, b):") and "_matmul(b, a)" in low.source
    assert low.cost.flops == 2 * 4 * 2 * 3 + 8 + 7 and low.cost.transcendentals == 8
    assert low.trace_ms > 0 and low.compile_ms > 0
    assert j.trace_count == 1
    j(fnp.ones((3, 2)), fnp.ones((4, 3)))
    assert j.trace_count == 1  # lower filled the cache
    assert low.compile() is j


def test_eval_shape():
    j = fd.jit(lambda x: (x.sum(), x[None]))
    s, e = j.eval_shape(fnp.ones((2, 3)))
    assert s.shape == () and e.shape == (1, 2, 3) and e.dtype == np.float32


def test_make_jaxpr_of_jit_is_one_readable_equation():
    @fd.jit
    def inner(x):
        return fnp.sin(x) * 2.0

    text = str(fd.make_jaxpr(lambda x: inner(x) + 1.0)(fnp.ones(3)))
    assert text.splitlines()[1].strip().startswith("b:f32[3] = pjit[")
    assert "name=inner" in text and "sin" in text and "add b 1.0" in text.replace("c:", "b:") \
        or "add" in text


# --- numerical agreement with eager execution -----------------------------------------------

CORPUS = {
    "elementwise": (lambda x, y: fnp.exp(x) * fnp.sin(y) - fnp.tanh(x / (1.5 + y)) + x ** 2
                    + fnp.sqrt(fnp.abs(y)) + fnp.maximum(x, y) - fnp.minimum(x, 0.3)
                    + fnp.where(x > y, fnp.log1p(x * x), fnp.cos(y)), ((3, 4), (3, 4))),
    "compare_select": (lambda x, y: fnp.where((x > 0) & (y < 0.5), x, -y) + (x == y),
                       ((5,), (5,))),
    "int_ops": (lambda x, y: ((x * 3 + 1) // 2) % 5 - fnp.abs(y) + (x >> 1),
                ((4,), (4,)), "int32"),
    "reductions": (lambda x, y: (x.sum(), x.max(axis=0), y.min(axis=1), x.mean(axis=1),
                                 fnp.prod(y, axis=0), fnp.argmax(x, axis=1), x.std(),
                                 fnp.cumsum(x, axis=1), fnp.all(x > -2)), ((3, 4), (3, 4))),
    "shapes": (lambda x, y: (x.T @ y, x.reshape(2, 6), fnp.concatenate([x, y], axis=0),
                             fnp.transpose(x)[::-1, 1:], fnp.broadcast_to(x[0], (2, 4)),
                             fnp.pad(x, 1), fnp.stack([x, y]), fnp.flip(y, axis=1),
                             fnp.expand_dims(x, 0), fnp.tile(y[0], 2)), ((3, 4), (3, 4))),
    "indexing": (lambda x, y: (x[1], x[:, 2], x[fnp.array([2, 0])], x.at[0, 1].set(5.0),
                               y.at[fnp.array([1, 1])].add(1.0), fnp.take(y, fnp.array([3, 0]),
                                                                           axis=1),
                               fnp.take_along_axis(x, fnp.argsort(y, axis=1), axis=1),
                               fnp.sort(x, axis=0)), ((3, 4), (3, 4))),
    "products": (lambda x, y: (x @ y.T, fnp.einsum("ij,kj,k->i", x, y, y[:, 0]),
                               fnp.dot(x[0], y[1]), fnp.outer(x[0], y[0]),
                               fnp.matmul(fnp.stack([x, y]), y.T)), ((3, 4), (3, 4))),
    "softmax_xent": (lambda x, y: (fnp.log(fnp.sum(fnp.exp(x - x.max(1, keepdims=True)), 1))
                                   - x[fnp.arange(3), fnp.argmax(y, 1)]).mean(),
                     ((3, 4), (3, 4))),
}


def corpus_args(shapes, dtype="float32"):
    if dtype == "int32":
        return [fnp.asarray(RNG.integers(-5, 6, size=s).astype("int32")) for s in shapes]
    return [arr(*s) for s in shapes]


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_jit_agrees_with_eager(name):
    fn, shapes, *dt = CORPUS[name]
    args = corpus_args(shapes, *dt)
    want = fn(*args)
    got = fd.jit(fn)(*args)
    assert fd.tree.structure(got) == fd.tree.structure(want)
    for g, w in zip(fd.tree.leaves(got), fd.tree.leaves(want), strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype and g.weak_type == w.weak_type
        np.testing.assert_allclose(host(g), host(w), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["elementwise", "softmax_xent", "products"])
def test_jit_of_grad_agrees_with_eager_grad(name, x64):
    fn, shapes, *_ = CORPUS[name]
    args = [fnp.asarray(host(a).astype("float64")) for a in corpus_args(shapes)]

    def scalar(*xs):
        return sum(fnp.sum(o) for o in fd.tree.leaves(fn(*xs)))

    g = fd.grad(scalar, argnums=(0, 1))
    close(fd.jit(g)(*args), g(*args), rtol=1e-10, atol=1e-12)


# --- composition with grad and vmap ---------------------------------------------------------


def f_model(w, x):
    return fnp.sum(fnp.tanh(x @ w) ** 2) + 0.1 * fnp.sum(w * w)


W, X = arr(3, 2), arr(4, 3)


def test_jit_of_grad():
    close(fd.jit(fd.grad(f_model))(W, X), fd.grad(f_model)(W, X))


def test_grad_of_jit():
    j = fd.jit(f_model)
    close(fd.grad(j)(W, X), fd.grad(f_model)(W, X))
    close(fd.grad(j, argnums=1)(W, X), fd.grad(f_model, argnums=1)(W, X))
    assert j.trace_count == 1


def test_grad_of_grad_of_jit_and_jvp_and_linearize():
    g = lambda x: fnp.sin(x) * x ** 2
    j = fd.jit(g)
    x = fnp.array(0.7)
    close(fd.grad(fd.grad(j))(x), fd.grad(fd.grad(g))(x))
    close(fd.jvp(j, (x,), (fnp.array(2.0),)), fd.jvp(g, (x,), (fnp.array(2.0),)))
    y, lin = fd.linearize(j, x)
    y0, lin0 = fd.linearize(g, x)
    close(y, y0)
    close(lin(fnp.array(3.0)), lin0(fnp.array(3.0)))


def test_grad_with_respect_to_values_the_jitted_function_closes_over():
    def outer(w):
        inner = fd.jit(lambda x: fnp.sum(x * w))  # w is a tracer of grad
        return inner(fnp.arange(3.0))

    close(fd.grad(outer)(fnp.ones(3)), [0.0, 1.0, 2.0])


def test_vmap_of_jit_and_jit_of_vmap():
    j = fd.jit(f_model)
    ws = arr(5, 3, 2)
    want = np.stack([host(f_model(w, X)) for w in ws])
    close(fd.vmap(j, in_axes=(0, None))(ws, X), want)
    close(fd.jit(fd.vmap(f_model, in_axes=(0, None)))(ws, X), want)
    close(fd.vmap(fd.grad(j), in_axes=(0, None))(ws, X),
          np.stack([host(fd.grad(f_model)(w, X)) for w in ws]))


def test_every_order_of_grad_vmap_jit():
    ws = arr(4, 3, 2)
    want = np.stack([host(fd.grad(f_model)(w, X)) for w in ws])
    g, j, v = fd.grad, fd.jit, lambda f: fd.vmap(f, in_axes=(0, None))
    orders = {
        "jit(vmap(grad))": j(v(g(f_model))), "vmap(jit(grad))": v(j(g(f_model))),
        "vmap(grad(jit))": v(g(j(f_model))), "jit(vmap(grad(jit)))": j(v(g(j(f_model)))),
    }
    for fn in orders.values():
        close(fn(ws, X), want, rtol=1e-4)


def test_nested_jit_is_inlined():
    inner = fd.jit(lambda x: fnp.exp(x) * 2.0)
    outer = fd.jit(lambda x: inner(x) + inner(x))  # the two calls are one after CSE
    x = arr(3)
    close(outer(x), 4 * np.exp(host(x)))
    low = outer.lower(x)
    assert [e.prim.name for e in low.jaxpr.eqns] == ["pjit", "pjit", "add"]
    assert [e.prim.name for e in low.optimized_jaxpr.eqns] == ["exp", "mul", "add"]
    assert inner.trace_count == 1


def test_pjit_evaluated_eagerly_runs_compiled_code():
    jaxpr = fd.make_jaxpr(fd.jit(lambda x: fnp.cos(x) + 1.0))(fnp.ones(2))
    (eqn,) = jaxpr.eqns
    assert eqn.prim is pjit_p
    close(fd.core.tracing.eval_jaxpr(jaxpr, jaxpr.consts, fnp.zeros(2))[0], [2.0, 2.0])


# --- errors and debugging -------------------------------------------------------------------


def test_python_control_flow_on_traced_values_names_the_line_and_the_ways_out():
    @fd.jit
    def relu(x):
        if x > 0:  # the line the error must name
            return x
        return 0.0 * x

    with pytest.raises(fd.ConcretizationTypeError, match=r"(?s)under jit of relu \(at "
                       r".*test_jit.py:\d+ \(relu\)\).*static_argnums.*fd\.lax\.cond"):
        relu(fnp.array(1.0))
    assert issubclass(fd.ConcretizationTypeError, TypeError)
    close(fd.jit(relu.__wrapped__, static_argnums=0)(1.0), 1.0)  # a static Python number


def test_print_of_a_tracer_shows_shape_and_dtype(capsys):
    @fd.jit
    def f(x):
        print(x)
        return x

    f(fnp.ones((2, 3), dtype="int32"))
    assert "Traced<i32[2,3]>" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:invalid value")
def test_debug_nans_under_jit_names_the_op_and_line():
    @fd.jit
    def f(x):
        y = x * 2.0
        z = fnp.log(y)  # NaN for negative x: the line to name
        return fnp.sum(z)

    f(fnp.array([-1.0, 2.0]))  # off: no error
    with fd.config.override(debug_nans=True):
        with pytest.raises(FloatingPointError, match=r"debug_nans: log produced a NaN \(at "
                           r".*test_jit.py:\d+ \(f\)\) in jit of f"):
            f(fnp.array([-1.0, 2.0]))
        close(f(fnp.array([1.0, 2.0])), np.log(2.0) + np.log(4.0))


@pytest.mark.filterwarnings("ignore:invalid value")
def test_debug_nans_in_eager_code():
    with fd.config.override(debug_nans=True):
        with pytest.raises(FloatingPointError, match=r"debug_nans: sqrt produced a NaN \(at "
                           r".*test_jit.py"):
            fnp.sqrt(fnp.array([-1.0]))


def test_jit_rejects_non_functions():
    with pytest.raises(TypeError, match="jit expects a function, got int"):
        fd.jit(3)


def test_decorator_forms_and_repr():
    @fd.jit
    def a(x):
        return x + 1

    @fd.jit(static_argnames="n")
    def b(x, n):
        return x + n

    assert isinstance(a, JitFunction) and a.__name__ == "a" and "a" in repr(a)
    assert float(b(fnp.array(1.0), n=2)) == 3.0
    assert a.__wrapped__.__name__ == "a"


def test_control_flow_primitives_under_jit():
    cond = getattr(lax, "cond", None)
    scan = getattr(lax, "scan", None)
    if cond is None or scan is None:
        pytest.skip("lax control flow is not available yet")

    def f(x):
        y = cond(x.sum() > 0, lambda v: v * 2.0, lambda v: v - 1.0, x)
        carry, ys = scan(lambda c, v: (c + v, c * v), 0.0, y)
        return carry, ys

    x = arr(5)
    close(fd.jit(f)(x), f(x))
    close(fd.jit(fd.grad(lambda x: f(x)[0]))(x), fd.grad(lambda x: f(x)[0])(x))


# --- every row of the op table, compiled ----------------------------------------------------


def _op_rows():
    from op_table import all_rows

    return [r for r in all_rows() if r.traceable]


@pytest.mark.parametrize("row", _op_rows(), ids=str)
def test_op_table_row_under_jit_matches_eager(row):
    import functools

    from op_table import args_in, main_dtype, put, sample

    for dtype in dict.fromkeys([main_dtype(row), *row.dtypes, "float64"]):
        if dtype == "float64" and main_dtype(row) != "float32":
            continue
        x64 = "64" in dtype
        with fd.config.override(enable_x64=x64):
            rng = np.random.default_rng(0)
            args = [put(sample(a, rng)) for a in args_in(row, dtype)]
            fn = functools.partial(row.fn, **row.static)
            want = fn(*args)
            got = fd.jit(fn)(*args)
            assert fd.tree.structure(got) == fd.tree.structure(want), row.name
            for g, w in zip(fd.tree.leaves(got), fd.tree.leaves(want), strict=True):
                g, w = fd.numpy.asarray(g), fd.numpy.asarray(w)
                assert (g.shape, g.dtype, g.weak_type) == (w.shape, w.dtype, w.weak_type), (
                    f"{row.name} [{dtype}]")
                if g.dtype.kind in "fc":
                    tol = 1e-12 if x64 else 2e-6
                    np.testing.assert_allclose(host(g), host(w), rtol=tol, atol=tol,
                                               err_msg=f"{row.name} [{dtype}]")
                else:
                    np.testing.assert_array_equal(host(g), host(w), err_msg=row.name)
