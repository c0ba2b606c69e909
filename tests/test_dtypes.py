"""Dtypes: JAX's promotion lattice (checked against a table generated once with JAX),
weak types, canonicalization under ``enable_x64``, and the callable scalar types."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core import dtypes

NAMES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
         "float16", "float32", "float64", "complex64", "complex128", "i*", "f*", "c*"]

# jax.dtypes.result_type(a, b, return_weak_type_flag=True) for one array (or Python scalar:
# i*, f*, c*) of each kind against another, generated with jax 0.10.2. Rows are the first
# operand, columns follow NAMES; a trailing * marks a weakly typed result.
JAX_TABLE_X32 = {
'bool': 'b u8 u16 u32 u32 i8 i16 i32 i32 f16 f32 f32 c64 c64 i32* f32* c64*',
    'uint8': 'u8 u8 u16 u32 u32 i16 i16 i32 i32 f16 f32 f32 c64 c64 u8 f32* c64*',
    'uint16': 'u16 u16 u16 u32 u32 i32 i32 i32 i32 f16 f32 f32 c64 c64 u16 f32* c64*',
    'uint32': 'u32 u32 u32 u32 u32 i32 i32 i32 i32 f16 f32 f32 c64 c64 u32 f32* c64*',
    'uint64': 'u32 u32 u32 u32 u32 i32 i32 i32 i32 f16 f32 f32 c64 c64 u32 f32* c64*',
    'int8': 'i8 i16 i32 i32 i32 i8 i16 i32 i32 f16 f32 f32 c64 c64 i8 f32* c64*',
    'int16': 'i16 i16 i32 i32 i32 i16 i16 i32 i32 f16 f32 f32 c64 c64 i16 f32* c64*',
    'int32': 'i32 i32 i32 i32 i32 i32 i32 i32 i32 f16 f32 f32 c64 c64 i32 f32* c64*',
    'int64': 'i32 i32 i32 i32 i32 i32 i32 i32 i32 f16 f32 f32 c64 c64 i32 f32* c64*',
    'float16': 'f16 f16 f16 f16 f16 f16 f16 f16 f16 f16 f32 f32 c64 c64 f16 f16 c64',
    'float32': 'f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 c64 c64 f32 f32 c64',
    'float64': 'f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 c64 c64 f32 f32 c64',
    'complex64': 'c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64',
    'complex128': 'c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64',
    'i*': 'i32* u8 u16 u32 u32 i8 i16 i32 i32 f16 f32 f32 c64 c64 i32* f32* c64*',
    'f*': 'f32* f32* f32* f32* f32* f32* f32* f32* f32* f16 f32 f32 c64 c64 f32* f32* c64*',
    'c*': 'c64* c64* c64* c64* c64* c64* c64* c64* c64* c64 c64 c64 c64 c64 c64* c64* c64*',
}
JAX_TABLE_X64 = {
'bool': 'b u8 u16 u32 u64 i8 i16 i32 i64 f16 f32 f64 c64 c128 i64* f64* c128*',
    'uint8': 'u8 u8 u16 u32 u64 i16 i16 i32 i64 f16 f32 f64 c64 c128 u8 f64* c128*',
    'uint16': 'u16 u16 u16 u32 u64 i32 i32 i32 i64 f16 f32 f64 c64 c128 u16 f64* c128*',
    'uint32': 'u32 u32 u32 u32 u64 i64 i64 i64 i64 f16 f32 f64 c64 c128 u32 f64* c128*',
    'uint64': 'u64 u64 u64 u64 u64 f64* f64* f64* f64* f16 f32 f64 c64 c128 u64 f64* c128*',
    'int8': 'i8 i16 i32 i64 f64* i8 i16 i32 i64 f16 f32 f64 c64 c128 i8 f64* c128*',
    'int16': 'i16 i16 i32 i64 f64* i16 i16 i32 i64 f16 f32 f64 c64 c128 i16 f64* c128*',
    'int32': 'i32 i32 i32 i64 f64* i32 i32 i32 i64 f16 f32 f64 c64 c128 i32 f64* c128*',
    'int64': 'i64 i64 i64 i64 f64* i64 i64 i64 i64 f16 f32 f64 c64 c128 i64 f64* c128*',
    'float16': 'f16 f16 f16 f16 f16 f16 f16 f16 f16 f16 f32 f64 c64 c128 f16 f16 c64',
    'float32': 'f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f32 f64 c64 c128 f32 f32 c64',
    'float64': 'f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 c128 c128 f64 f64 c128',
    'complex64': 'c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c64 c128 c64 c128 c64 c64 c64',
    'complex128': 'c128 c128 c128 c128 c128 c128 c128 c128 '
                  'c128 c128 c128 c128 c128 c128 c128 c128 c128',
    'i*': 'i64* u8 u16 u32 u64 i8 i16 i32 i64 f16 f32 f64 c64 c128 i64* f64* c128*',
    'f*': 'f64* f64* f64* f64* f64* f64* f64* f64* f64* f16 f32 f64 c64 c128 f64* f64* c128*',
    'c*': 'c128* c128* c128* c128* c128* c128* c128* c128* '
          'c128* c64 c64 c128 c64 c128 c128* c128* c128*',
}

_SHORT = {"bool": "b"}


def _short(dt: np.dtype) -> str:
    name = np.dtype(dt).name
    if name == "bool":
        return "b"
    kind = name.rstrip("0123456789")
    return {"uint": "u", "int": "i", "float": "f", "complex": "c"}[kind] + name[len(kind):]


def _operand(name: str):
    if name.endswith("*"):
        return {"i*": 1, "f*": 1.0, "c*": 1j}[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 64-bit requests truncate (and warn) without x64
        return fnp.ones((), name)


@pytest.mark.parametrize("x64", [False, True], ids=["x32", "x64"])
def test_promotion_table_matches_jax(x64):
    table = JAX_TABLE_X64 if x64 else JAX_TABLE_X32
    with fd.config.override(enable_x64=x64):
        for a in NAMES:
            expected = table[a].split()
            for b, want in zip(NAMES, expected):
                va, vb = _operand(a), _operand(b)
                dt = fnp.result_type(va, vb)
                assert _short(dt) == want.rstrip("*"), (a, b)
                if a == b == "bool":
                    continue
                if a.endswith("*") and b.endswith("*"):
                    out = fnp.add(fnp.asarray(va), vb)
                else:
                    out = fnp.add(va, vb)
                got = _short(out.dtype) + ("*" if out.weak_type else "")
                assert got == want, (a, b)


def test_bool_plus_bool_is_logical_or_and_times_is_and():
    t, f = fnp.array([True, False]), fnp.array([True, True])
    assert (t + f).dtype == np.bool_ and (t + f).tolist() == [True, True]
    assert (t * f).tolist() == [True, False]
    with pytest.raises(TypeError, match="boolean subtraction"):
        t - f


@pytest.mark.parametrize("expr, dtype, weak", [
    ("fnp.ones(3) * 2.0", "float32", False),          # x_f32 * 2.0 stays float32
    ("fnp.ones(3, dtype=fnp.int32) * 2.0", "float32", True),
    ("fnp.ones(3, dtype=fnp.int32) * 2", "int32", False),
    ("fnp.ones(3, dtype=fnp.float16) * 2.0", "float16", False),
    ("fnp.ones(3, dtype=fnp.uint8) + 1", "uint8", False),
    ("fnp.ones(3, dtype=fnp.uint8) + fnp.ones(3, dtype=fnp.int8)", "int16", False),
    ("fnp.ones(3, dtype=fnp.int32) + fnp.ones(3, dtype=fnp.float32)", "float32", False),
    ("fnp.ones(3, dtype=bool) + 1", "int32", True),
    ("fnp.array(2.0)", "float32", True),
    ("fnp.array(2.0) + 1", "float32", True),
    ("fnp.array(True)", "bool", False),
    ("fnp.array([1.0, 2])", "float32", False),
    ("fnp.array(np.float64(2.0))", "float32", False),
    ("fnp.array([np.float32(1), 2])", "float32", False),
    ("fnp.sin(1.0)", "float32", True),
    ("fnp.sum(fnp.array(2.0))", "float32", False),    # reductions are strongly typed
    ("fnp.zeros_like(fnp.array(2.0))", "float32", True),
    ("fnp.ones(3, dtype=fnp.int8) / 2", "float32", False),
    ("fnp.mean(fnp.ones(3, dtype=fnp.int32))", "float32", False),
])
def test_weak_types_and_defaults(expr, dtype, weak):
    out = eval(expr)
    assert out.dtype == np.dtype(dtype)
    assert out.weak_type is weak


def test_x64_keeps_64_bit_types(x64):
    assert fnp.array([1.0]).dtype == np.float64
    assert fnp.arange(3).dtype == np.int64
    assert (fnp.ones(3, dtype=fnp.int32) * 2.0).dtype == np.float64  # weak f64 (JAX)
    assert fnp.mean(fnp.ones(3, dtype=fnp.int64)).dtype == np.float64
    assert fnp.mean(fnp.ones(3, dtype=fnp.int8)).dtype == np.float32
    assert fnp.sum(fnp.ones(3, dtype=fnp.uint8)).dtype == np.uint64


def test_explicit_float64_request_warns_and_truncates():
    with pytest.warns(UserWarning, match=r"float64 in zeros is not available.*enable_x64"):
        z = fnp.zeros(2, dtype="float64")
    assert z.dtype == np.float32
    with pytest.warns(UserWarning, match="int64 in astype"):
        fnp.ones(2).astype(np.int64)
    with pytest.warns(UserWarning, match="float64 in array"):
        fnp.array([1, 2], dtype=fnp.float64)
    with pytest.warns(UserWarning, match="float64"):
        fnp.float64(1.0)


def test_warning_points_at_the_user_line():
    with pytest.warns(UserWarning) as record:
        fnp.zeros(2, dtype=np.float64)
    assert record[0].filename == __file__


def test_python_types_and_host_data_never_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fnp.zeros(2, dtype=float).dtype == np.float32
        assert fnp.zeros(2, dtype=int).dtype == np.int32
        assert fnp.array(np.ones(2)).dtype == np.float32  # host data: silently canonical
        assert fnp.ones(2).astype(complex).dtype == np.complex64


def test_no_warning_under_x64(x64):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fnp.zeros(2, dtype="float64").dtype == np.float64


def test_astype_and_dtype_arguments_accept_every_spelling():
    x = fnp.array([1.7, -1.7])
    for spelling in (fnp.int32, np.int32, "int32", np.dtype("int32")):
        assert x.astype(spelling).tolist() == [1, -1]
        assert fnp.zeros(1, dtype=spelling).dtype == np.int32
    assert x.astype(bool).tolist() == [True, True]


class TestScalarTypes:
    def test_calling_makes_an_array(self):
        y = fnp.float32(3)
        assert isinstance(y, fd.Array) and repr(y) == "Array(3., dtype=float32)"
        assert fnp.int32(fnp.array([1.7, -1.7])).tolist() == [1, -1]
        assert fnp.bool_(2).tolist() is True and fnp.bool(0).tolist() is False
        assert fnp.float16([1, 2]).dtype == np.float16

    def test_equal_and_hashed_like_numpy_types(self):
        assert fnp.float32 == np.float32 and np.float32 == fnp.float32
        assert fnp.float32 != np.float64 and fnp.float32 != "float32"
        assert np.dtype(fnp.float32) == np.float32
        assert fnp.ones(2).dtype == fnp.float32
        assert {np.float32: "f"}[fnp.float32] == "f"
        assert np.zeros(2, dtype=fnp.int8).dtype == np.int8

    def test_isinstance_and_subtypes(self):
        assert isinstance(np.float32(1), fnp.float32)
        assert not isinstance(fnp.float32(1), fnp.float32)  # an Array, as in JAX
        assert fnp.issubdtype(fnp.float32, fnp.floating)
        assert not fnp.issubdtype(fnp.bool_, fnp.integer)
        assert fnp.issubdtype(fnp.ones(2, dtype=fnp.int8).dtype, fnp.signedinteger)
        assert repr(fnp.float32) == "<class 'funcdiff.numpy.float32'>"

    def test_out_of_range_python_int_raises(self):
        with pytest.raises(OverflowError):
            fnp.uint8(300)

    def test_aliases(self):
        assert fnp.float_ == np.float64 and fnp.int_ == np.int64 and fnp.single == np.float32
        assert fnp.dtype("float32") == np.float32


def test_dtype_queries():
    assert fnp.promote_types(fnp.int8, fnp.uint8) == np.int16
    assert fnp.promote_types("float16", float) == np.float16
    assert fnp.result_type(fnp.int32, fnp.float32) == np.float32
    assert fnp.result_type(fnp.ones(2, dtype=fnp.float16), 1.0) == np.float16
    assert fnp.result_type(1, 2.0) == np.float32
    assert fnp.can_cast(fnp.int8, fnp.float32) and not fnp.can_cast(fnp.int32, fnp.int8)
    assert fnp.isdtype(fnp.float32, "real floating")
    assert fnp.isdtype(fnp.int8, ("bool", "integral")) and not fnp.isdtype(fnp.int8, "bool")
    assert fnp.finfo(fnp.float32).eps == np.finfo(np.float32).eps
    assert fnp.iinfo(fnp.int8).max == 127


def test_dtypes_result_type_doc_cases():
    assert dtypes.result_type((dtypes.int32, False), (dtypes.float32, True)) == (
        np.dtype("float32"), True)
    assert dtypes.canonicalize(float) == np.float32


def test_large_python_ints():
    with pytest.raises(OverflowError, match="does not fit in int32"):
        fnp.ones(3, dtype=fnp.int32) + 2**40
    assert (fnp.ones(3, dtype=fnp.uint8) + 300).tolist() == [45, 45, 45]  # C wrap, as JAX
    assert (fnp.ones(2) * 2**40).dtype == np.float32
    with pytest.raises(OverflowError, match="too large"):
        fnp.array(2**40)
