"""Op table, values: each row's funcdiff result against its NumPy reference.

Every row runs in its declared dtypes, in float64 (under x64) when its main dtype is
float32, and in each of its extra ``dtypes``; the result must match the reference in shape,
dtype (64-bit types canonicalized as JAX does without x64) and value.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import host
from op_table import OpRow, all_rows, args_in, main_dtype, put, sample

import funcdiff as fd
from funcdiff import lax

ROWS = all_rows()
_NARROW = {np.dtype("float64"): np.dtype("float32"), np.dtype("int64"): np.dtype("int32"),
           np.dtype("uint64"): np.dtype("uint32"), np.dtype("complex128"):
           np.dtype("complex64")}


def value_dtypes(row: OpRow) -> list[str]:
    """The dtypes a row's value is checked in: its own, float64 for float32 rows, extras."""
    main = main_dtype(row)
    out = [main]
    if main == "float32" and row.args:
        out.append("float64")
    out += [d for d in row.dtypes if d not in out]
    return out


def expected_dtype(ref: np.ndarray, x64: bool) -> np.dtype:
    return ref.dtype if x64 else _NARROW.get(ref.dtype, ref.dtype)


def as_list(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def run_row(row: OpRow, dtype: str, seed: int = 0):
    """``(funcdiff outputs, reference outputs)`` for ``row`` with its main dtype ``dtype``."""
    rng = np.random.default_rng(seed)
    host_args = [sample(a, rng) for a in args_in(row, dtype)]
    out = row.fn(*[put(h) for h in host_args], **row.static)
    ref = row.ref(*[h.copy() for h in host_args], **row.static)
    return as_list(out), [np.asarray(r) for r in as_list(ref)]


def assert_matches(got, want: np.ndarray, *, x64: bool, atol: float, rtol: float, what: str):
    g = host(got)
    assert g.shape == want.shape, f"{what}: shape {g.shape}, expected {want.shape}"
    assert g.dtype == expected_dtype(want, x64), (
        f"{what}: dtype {g.dtype}, expected {expected_dtype(want, x64)}")
    if g.dtype.kind in "fc":
        np.testing.assert_allclose(g, want.astype(g.dtype), atol=atol, rtol=rtol, err_msg=what)
    else:
        np.testing.assert_array_equal(g, want, err_msg=what)


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_value(row: OpRow):
    for dtype in value_dtypes(row):
        x64 = "64" in dtype
        tight = x64 and dtype.startswith("float")
        with fd.config.override(enable_x64=x64):
            outs, refs = run_row(row, dtype)
            assert len(outs) == len(refs), f"{row.name}: {len(outs)} outputs, ref {len(refs)}"
            for k, (o, r) in enumerate(zip(outs, refs, strict=True)):
                assert_matches(o, r, x64=x64, atol=1e-12 if tight else row.atol,
                               rtol=1e-9 if tight else row.rtol,
                               what=f"{row.name} [{dtype}] output {k}")


def test_rows_are_well_formed():
    for row in ROWS:
        assert row.grad or row.why, f"{row.name}: grad=False needs a reason in `why`"
        assert row.vmap or row.why, f"{row.name}: vmap=False needs a reason in `why`"
        assert row.traceable or row.why, f"{row.name}: traceable=False needs a reason"
        assert row.prims, f"{row.name}: name the primitives the row covers in `prims`"
        for a in row.args:
            if a.value is not None:
                assert np.shape(a.value) == tuple(a.shape), (
                    f"{row.name}: value of shape {np.shape(a.value)} for an Arg of {a.shape}")


def test_round_rejects_unknown_rounding_method():
    with pytest.raises(ValueError, match="rounding_method must be RoundingMethod"):
        lax.round(put(np.ones(2, np.float32)), 2)


def test_population_count_counts_twos_complement_bits():
    got = host(lax.population_count(put(np.array([-1, -2, 0, 7], np.int32))))
    np.testing.assert_array_equal(got, [32, 31, 0, 3])


def test_reduce_max_min_of_nothing_is_the_identity():
    x = put(np.zeros((0, 2), np.float32))
    np.testing.assert_array_equal(host(lax.reduce_max(x, (0,))), [-np.inf, -np.inf])
    np.testing.assert_array_equal(host(lax.reduce_min(x, (0,))), [np.inf, np.inf])
    i = put(np.zeros((2, 0), np.int32))
    np.testing.assert_array_equal(host(lax.reduce_max(i, (1,))), [np.iinfo(np.int32).min] * 2)


def test_select_python_scalar_branch_takes_the_other_branch_dtype():
    x = put(np.array([-1.0, 2.0], np.float32))
    out = lax.select(lax.gt(x, 0.0), x, 0.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(host(out), [0.0, 2.0])


def test_gather_into_an_empty_axis_needs_no_index():
    x = put(np.zeros((0, 3), np.float32))
    with pytest.raises(ValueError, match="cannot index into an empty axis"):
        lax.index_take(x, (put(np.zeros(2, np.int32)),), (0,))
    assert lax.index_take(x, (put(np.zeros(0, np.int32)),), (0,)).shape == (0, 3)


def test_integer_pow_of_integers_to_negative_powers_fails_while_tracing():
    x = put(np.arange(3, dtype=np.int32))
    with pytest.raises(TypeError, match="integers cannot be raised to the negative power -1"):
        lax.integer_pow(x, -1)
    with pytest.raises(TypeError, match="convert to a float dtype first"):
        fd.make_jaxpr(lambda x: lax.integer_pow(x, -2))(x)


def test_full_like_keeps_weak_type_unless_a_dtype_is_given():
    weak = lax.mul(put(np.float32(1.0)), 1.0)
    weak = lax.convert_element_type(weak, np.float32, weak_type=True)
    assert lax.full_like(weak, 0).aval.weak_type
    assert not lax.full_like(weak, 0, dtype=np.float32).aval.weak_type
    assert not lax.full_like(put(np.ones(2, np.float32)), 0).aval.weak_type
    np.testing.assert_array_equal(host(lax.full_like(weak, 2, shape=(2,))), [2.0, 2.0])
