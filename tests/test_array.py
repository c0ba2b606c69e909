"""``fd.Array`` as a user meets it: metadata, immutability, operators (also with NumPy
operands on the left), printing as JAX prints, host conversion and methods."""

from __future__ import annotations

import copy
import operator
import pickle

import numpy as np
import pytest
from conftest import BACKEND, host

import funcdiff as fd
import funcdiff.numpy as fnp

A = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)
IM = np.array([[3, -2, 7], [1, 4, 5]], np.int32)


def test_metadata():
    x = fnp.asarray(A)
    assert (x.shape, x.dtype, x.ndim, x.size) == ((2, 3), np.float32, 2, 6)
    assert (x.itemsize, x.nbytes, x.weak_type) == (4, 24, False)
    assert x.T.shape == (3, 2) and fnp.ones((4, 2, 3)).mT.shape == (4, 3, 2)
    assert isinstance(x, fd.Array) and len(x) == 2
    assert x.device == fd.devices(BACKEND)[0]  # where new arrays go: "cpu:0" or "gpu:0"


class TestImmutable:
    def test_setitem_points_to_at_set(self):
        x = fnp.zeros(3)
        with pytest.raises(TypeError, match=r"immutable.*`x = x\.at\[0\]\.set\(y\)`"):
            x[0] = 1
        with pytest.raises(TypeError, match=r"x = x\.at\[1:, ::-1\]\.set\(y\)"):
            fnp.zeros((2, 2))[1:, ::-1] = 1

    def test_setitem_under_a_transform(self):
        def f(x):
            x[0] = 1.0
            return x

        with pytest.raises(TypeError, match=r"x\.at\[0\]\.set"):
            fd.grad(lambda x: f(x).sum())(fnp.ones(2))

    def test_delitem(self):
        with pytest.raises(TypeError, match=r"fnp\.delete"):
            del fnp.zeros(3)[0]

    def test_copies_share_the_value(self):
        x = fnp.ones(2)
        assert copy.copy(x) is x and copy.deepcopy(x) is x
        y = pickle.loads(pickle.dumps(fnp.array(2.0)))
        assert y.weak_type and y.tolist() == 2.0

    def test_unhashable(self):
        with pytest.raises(TypeError):
            hash(fnp.ones(2))


_BINOPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
           operator.mod, operator.pow, operator.lt, operator.le, operator.gt, operator.ge,
           operator.eq, operator.ne]


@pytest.mark.parametrize("op", _BINOPS, ids=lambda o: o.__name__)
@pytest.mark.parametrize("data", [A, IM], ids=["f32", "i32"])
def test_binary_operators_match_numpy(op, data):
    other = np.abs(data[::-1]) % 3 + 1  # positive, no division by zero
    x, y = fnp.asarray(data), fnp.asarray(other)
    want = op(data, other)
    for got in (op(x, y), op(x, other), op(data, y)):
        assert isinstance(got, fd.Array)
        np.testing.assert_allclose(host(got), want, rtol=1e-6)
    np.testing.assert_allclose(host(op(x, 2)), op(data, data.dtype.type(2)), rtol=1e-6)
    np.testing.assert_allclose(host(op(2, y)), op(other.dtype.type(2), other), rtol=1e-6)


def test_integer_operators():
    x, y = fnp.asarray(IM), fnp.asarray(np.abs(IM) % 3 + 1)
    for op in (operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift):
        np.testing.assert_array_equal(host(op(x, y)), op(IM, np.abs(IM) % 3 + 1))
    np.testing.assert_array_equal(host(~x), ~IM)
    q, r = divmod(x, 3)
    np.testing.assert_array_equal(host(q), IM // 3)
    np.testing.assert_array_equal(host(r), IM % 3)
    np.testing.assert_array_equal(host(divmod(7, fnp.asarray(np.int32(3)))[1]), 1)


def test_unary_operators_and_matmul():
    x = fnp.asarray(A)
    np.testing.assert_array_equal(host(-x), -A)
    np.testing.assert_array_equal(host(+x), A)
    np.testing.assert_array_equal(host(abs(x)), np.abs(A))
    np.testing.assert_allclose(host(x @ x.T), A @ A.T, rtol=1e-6)
    np.testing.assert_allclose(host(A @ x.T), A @ A.T, rtol=1e-6)


def test_numpy_on_the_left_gives_funcdiff_arrays():
    x = fnp.ones(3)
    for got in (np.ones(3) + x, np.float32(2) * x, np.arange(3) < x, np.ones((2, 3)) @ x,
                np.ones(3, np.int32) - x):
        assert isinstance(got, fd.Array)
    assert (np.ones(3) + x).dtype == np.float32  # host float64 data is canonical float32


def test_other_operands_defer():
    with pytest.raises(TypeError, match="unsupported operand"):
        fnp.ones(2) + "a"
    with pytest.raises(TypeError, match="unsupported operand"):
        fnp.ones(2) * None


# repr(jnp...) with jax 0.10.2 for the same expressions
REPRS = [
    ("fnp.array([1., 2.])", "Array([1., 2.], dtype=float32)"),
    ("fnp.array(2.)", "Array(2., dtype=float32, weak_type=True)"),
    ("fnp.array(3)", "Array(3, dtype=int32, weak_type=True)"),
    ("fnp.array([1, 2, 3])", "Array([1, 2, 3], dtype=int32)"),
    ("fnp.array([True, False])", "Array([ True, False], dtype=bool)"),
    ("fnp.array(True)", "Array(True, dtype=bool)"),
    ("fnp.arange(2000.)", "Array([0.000e+00, 1.000e+00, 2.000e+00, ..., 1.997e+03, 1.998e+03,"
                          "\n       1.999e+03], dtype=float32)"),
    ("fnp.zeros((3, 3))", "Array([[0., 0., 0.],\n       [0., 0., 0.],\n       [0., 0., 0.]], "
                          "dtype=float32)"),
    ("fnp.ones((2, 2), dtype=fnp.int8)", "Array([[1, 1],\n       [1, 1]], dtype=int8)"),
    ("fnp.array([1e10, 1.])", "Array([1.e+10, 1.e+00], dtype=float32)"),
    ("fnp.array([np.nan, np.inf])", "Array([nan, inf], dtype=float32)"),
    ("fnp.ones((0,))", "Array([], shape=(0,), dtype=float32)"),
    ("fnp.ones((2, 0))", "Array([], shape=(2, 0), dtype=float32)"),
    ("fnp.ones(3, dtype=fnp.float16)", "Array([1., 1., 1.], dtype=float16)"),
    ("fnp.arange(30.).reshape(3, 10)",
     "Array([[ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9.],\n"
     "       [10., 11., 12., 13., 14., 15., 16., 17., 18., 19.],\n"
     "       [20., 21., 22., 23., 24., 25., 26., 27., 28., 29.]], dtype=float32)"),
    ("fnp.array(1.0) * 3", "Array(3., dtype=float32, weak_type=True)"),
    ("fnp.linspace(0, 1, 30)",
     "Array([0.        , 0.03448276, 0.06896552, 0.10344827, 0.13793103,\n"
     "       0.1724138 , 0.20689654, 0.2413793 , 0.27586207, 0.31034482,\n"
     "       0.3448276 , 0.37931034, 0.4137931 , 0.44827586, 0.4827586 ,\n"
     "       0.51724136, 0.55172414, 0.5862069 , 0.62068963, 0.6551724 ,\n"
     "       0.6896552 , 0.7241379 , 0.7586207 , 0.79310346, 0.8275862 ,\n"
     "       0.86206895, 0.8965517 , 0.9310345 , 0.9655172 , 1.        ],      "
     "dtype=float32)"),
    ("fnp.array(2, dtype=fnp.uint8)", "Array(2, dtype=uint8)"),
]


@pytest.mark.parametrize("expr, want", REPRS, ids=[e for e, _ in REPRS])
def test_repr_matches_jax(expr, want):
    x = eval(expr)
    assert repr(x) == want
    assert str(x) == str(host(x))
    assert f"{x}" == str(x)


def test_format_and_tracer_repr():
    assert f"{fnp.array(1.5):.3f}" == "1.500"
    text = []
    fd.grad(lambda x: text.append(repr(x)) or x)(1.0)
    assert text[0].startswith("Traced<f32[]>")


class TestHostConversion:
    def test_scalars(self):
        assert float(fnp.array(2.5)) == 2.5 and int(fnp.array(2.7)) == 2
        assert bool(fnp.array(0.0)) is False and complex(fnp.array(2.0)) == 2 + 0j
        assert bool(fnp.ones((1, 1))) is True
        assert operator.index(fnp.array(3)) == 3
        assert fnp.array([3.0, 1.0]).item(1) == 1.0
        assert fnp.array([[1, 2]]).tolist() == [[1, 2]]
        assert round(fnp.array(2.5)).tolist() == 2 and round(fnp.array(2.567), 2).dtype == "f"

    def test_non_scalars_explain(self):
        with pytest.raises(TypeError, match=r"only 0-d .* float\(\); got an array of shape \(3,\)"):
            float(fnp.ones(3))
        with pytest.raises(TypeError, match=r"int\(\); got an array of shape \(1,\)"):
            int(fnp.ones(1))
        with pytest.raises(ValueError, match=r"truth value of an array with 3 elements.*any"):
            bool(fnp.ones(3))
        with pytest.raises(TypeError, match="only integer scalar arrays can be used as an index"):
            operator.index(fnp.array(2.0))

    def test_len_and_iteration(self):
        rows = [r.tolist() for r in fnp.asarray(IM)]
        assert rows == IM.tolist()
        with pytest.raises(TypeError, match=r"len\(\) of a 0-d array \(f32\[\]\)"):
            len(fnp.array(1.0))
        with pytest.raises(TypeError, match=r"iteration over a 0-d array"):
            iter(fnp.array(1.0))

    def test_array_protocol(self):
        x = fnp.asarray(A)
        if BACKEND in ("strict", "cupy"):  # device data never becomes host data silently
            with pytest.raises(TypeError, match=rf"not allowed for an array on .*{BACKEND} "
                               r"backend.*fd.device_get\(x\) or x.cpu\(\)"):
                np.asarray(x)
        else:
            np.testing.assert_array_equal(np.asarray(x), A)
            assert np.asarray(x, dtype=np.float64).dtype == np.float64
        np.testing.assert_array_equal(fd.device_get(x), A)
        assert x.tobytes() == A.tobytes()

    def test_traced_values(self):
        assert fd.grad(lambda x: float(x) * x)(3.0).tolist() == 3.0
        with pytest.raises(fd.ConcretizationTypeError, match="make_jaxpr"):
            fd.make_jaxpr(lambda x: float(x))(1.0)
        with pytest.raises(fd.ConcretizationTypeError, match="lax.cond"):
            fd.make_jaxpr(lambda x: 1.0 if x > 0 else 2.0)(1.0)


_METHODS = [
    ("sum", (), {}), ("sum", (0,), {}), ("sum", (), {"axis": 1, "keepdims": True}),
    ("mean", (), {"axis": 0}), ("max", (1,), {}), ("min", (), {"axis": 0}),
    ("prod", (), {}), ("var", (), {"ddof": 1}), ("std", (), {"axis": 1}),
    ("argmax", (), {}), ("argmax", (), {"axis": 1}), ("argmin", (0,), {}),
    ("all", (), {}), ("any", (), {"axis": 0}), ("cumsum", (), {"axis": 1}),
    ("cumprod", (), {}), ("ptp", (), {"axis": 1}), ("reshape", (3, 2), {}),
    ("reshape", ((-1,),), {}), ("transpose", (), {}), ("transpose", (1, 0), {}),
    ("flatten", (), {}), ("ravel", (), {}), ("swapaxes", (0, 1), {}),
    ("clip", (-1, 2), {}), ("round", (), {}), ("take", ([0, 4],), {}),
    ("sort", (), {}), ("argsort", (), {"axis": 0}), ("astype", (np.int32,), {}),
    ("repeat", (2,), {"axis": 0}), ("diagonal", (), {}), ("trace", (), {}),
    ("dot", (np.ones(3, np.float32),), {}), ("copy", (), {}), ("conj", (), {}),
    ("nonzero", (), {}), ("squeeze", (), {}),
]


@pytest.mark.parametrize("name, args, kwargs", _METHODS,
                         ids=[f"{n}{a}{k}" for n, a, k in _METHODS])
def test_methods_match_numpy(name, args, kwargs):
    x = fnp.asarray(A)
    got = getattr(x, name)(*args, **kwargs)
    # NumPy sorts in place and has no ptp method any more: use its functions there.
    ref = {"sort": np.sort, "ptp": np.ptp}
    want = (ref[name](A, *args, **kwargs) if name in ref else
            getattr(A, name)(*args, **kwargs))
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        np.testing.assert_allclose(host(g), w, rtol=1e-6)
        assert host(g).shape == np.shape(w)


def test_method_keywords_as_in_jax():
    x = fnp.asarray(A)
    np.testing.assert_array_equal(host(x.clip(max=1.0)), np.clip(A, None, 1.0))
    np.testing.assert_array_equal(host(x.clip(min=0.0)), np.clip(A, 0.0, None))
    assert x.sum(where=fnp.asarray(A > 0)).tolist() == A[A > 0].sum()
    assert x.real is not None and x.imag.tolist() == np.zeros_like(A).tolist()
    assert fnp.array([1.0, 3.0]).searchsorted(2.0).tolist() == 1
    assert fnp.array([1, 2, 3]).compress([True, False, True]).tolist() == [1, 3]
    assert fnp.array([0, 1]).choose([fnp.array([5, 6]), fnp.array([7, 8])]).tolist() == [5, 8]
