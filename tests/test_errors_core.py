"""Errors a user meets in funcdiff.numpy and fd.Array: each names what was wrong (the op, the
shapes, the axis and rank, the dtype or argument) and, for mistakes in the user's code, the
user's own source line; each subclasses the matching builtin."""

from __future__ import annotations

import warnings

import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core.primitive import ShapeError

HERE = __file__.rsplit("/", 1)[-1]  # errors must point at this file, the user's code


def _raises(exc, match, fn):
    with pytest.raises(exc, match=match) as info:
        fn()
    return str(info.value)


SHAPE_ERRORS = [
    ("add", lambda: fnp.ones(3) + fnp.ones(4), r"add: incompatible shapes.*\(3,\), \(4,\)"),
    ("add_make_jaxpr", lambda: fd.make_jaxpr(lambda x: x + fnp.ones(4))(fnp.ones(3)),
     r"add: .*\(3,\), \(4,\)"),
    ("mul_grad", lambda: fd.grad(lambda x: (x * fnp.ones(4)).sum())(fnp.ones(3)),
     r"mul: .*\(3,\), \(4,\)"),
    ("add_vmap", lambda: fd.vmap(lambda x: x + fnp.ones(4))(fnp.ones((2, 3))), r"add: "),
    ("matmul_jit", lambda: fd.jit(lambda x: x @ fnp.ones((4, 2)))(fnp.ones((2, 3))),
     r"matmul: the last axis .*\(3, shape \(2, 3\)\).*\(4, shape \(4, 2\)\)"),
    ("matmul_batch", lambda: fnp.matmul(fnp.ones((2, 2, 3)), fnp.ones((3, 3, 2))),
     r"batch axes of shapes \(2, 2, 3\) and \(3, 3, 2\)"),
    ("dot", lambda: fnp.dot(fnp.ones((2, 3)), fnp.ones((2, 3))), r"dot: shapes \(2, 3\) and"),
    ("tensordot", lambda: fnp.tensordot(fnp.ones((2, 3)), fnp.ones((2, 3)), axes=1),
     r"tensordot: contracted axes"),
    ("concatenate", lambda: fnp.concatenate([fnp.ones((2, 3)), fnp.ones((2, 4))]),
     r"concatenate.*\(2, 3\), \(2, 4\)"),
    ("concatenate_rank", lambda: fnp.concatenate([fnp.ones((2, 3)), fnp.ones(3)]),
     r"same number of dimensions"),
    ("stack", lambda: fnp.stack([fnp.ones(2), fnp.ones(3)]), r"stack: .*\(2,\), \(3,\)"),
    ("reshape", lambda: fnp.ones(6).reshape(4, 2), r"reshape: .*\(6,\) into shape \(4, 2\)"),
    ("reshape_two_minus_ones", lambda: fnp.ones(6).reshape(-1, -1), r"only one -1"),
    ("broadcast_to", lambda: fnp.broadcast_to(fnp.ones(3), (2, 4)),
     r"broadcast_to: .*\(3,\) to shape \(2, 4\)"),
    ("broadcast_arrays", lambda: fnp.broadcast_arrays(fnp.ones(3), fnp.ones(4)),
     r"incompatible shapes"),
    ("where", lambda: fnp.where(fnp.ones(3) > 0, fnp.ones(2), 0.0), r"select: .*\(3,\)"),
]


@pytest.mark.parametrize("name, fn, match", SHAPE_ERRORS, ids=[c[0] for c in SHAPE_ERRORS])
def test_shape_errors_name_op_shapes_and_user_line(name, fn, match):
    msg = _raises(ShapeError, match, fn)
    assert HERE in msg, msg
    assert isinstance(ShapeError(), ValueError)


AXIS_ERRORS = [
    ("sum", lambda: fnp.sum(fnp.ones((2, 3)), axis=2), r"sum: axis 2 .* rank 2 \(shape \(2, 3\)\)"),
    ("method", lambda: fnp.ones((2, 3)).sum(axis=-3), r"axis -3 .*valid axes are -2\.\.1"),
    ("repeated", lambda: fnp.mean(fnp.ones((2, 3)), axis=(0, 0)), r"mean: repeated axis"),
    ("argmax", lambda: fnp.argmax(fnp.ones((2, 3)), axis=2), r"argmax: axis 2"),
    ("cumsum", lambda: fnp.cumsum(fnp.ones((2, 3)), axis=5), r"cumsum: axis 5"),
    ("sort", lambda: fnp.sort(fnp.ones((2, 3)), axis=2), r"sort: axis 2"),
    ("take", lambda: fnp.take(fnp.ones((2, 3)), fnp.array([0]), axis=3), r"take: axis 3"),
    ("concatenate", lambda: fnp.concatenate([fnp.ones((2, 3))], axis=2), r"concatenate: axis 2"),
    ("swapaxes", lambda: fnp.swapaxes(fnp.ones((2, 3)), 0, 2), r"swapaxes: axis 2 .* rank 2"),
    ("moveaxis", lambda: fnp.moveaxis(fnp.ones((2, 3)), 0, 5), r"moveaxis: axis 5"),
    ("expand_dims", lambda: fnp.expand_dims(fnp.ones(3), 3), r"expand_dims: axis 3 .* rank 2"),
    ("squeeze", lambda: fnp.squeeze(fnp.ones((2, 3)), 0), r"squeeze: .*axis 0 of size 2"),
    ("transpose", lambda: fnp.transpose(fnp.ones((2, 3)), (0, 0)),
     r"transpose: axes \(0, 0\) are not a permutation of the 2 axes"),
    ("quantile", lambda: fnp.quantile(fnp.ones((2, 3)), 0.5, axis=4), r"quantile: axis 4"),
]


@pytest.mark.parametrize("name, fn, match", AXIS_ERRORS, ids=[c[0] for c in AXIS_ERRORS])
def test_bad_axis_names_axis_and_rank(name, fn, match):
    assert HERE in _raises(ValueError, match, fn)


TYPE_ERRORS = [
    ("dtype_name", lambda: fnp.zeros(3, dtype="foo"), r"'foo' is not a dtype .*fnp\.float32"),
    ("dtype_object", lambda: fnp.zeros(3, dtype=object), r"dtype object is not supported"),
    ("astype_str", lambda: fnp.ones(3).astype(str), r"booleans or numbers"),
    ("array_strings", lambda: fnp.array(["a"]), r"booleans or numbers"),
    ("sin_str", lambda: fnp.sin("a"), r"an argument of sin must be an array or a number, got str"),
    ("add_none", lambda: fnp.add(fnp.ones(3), None), r"argument of add .* got NoneType"),
    ("sum_dict", lambda: fnp.sum({"a": 1}), r"argument of sum .* got dict"),
    ("bitwise_float", lambda: fnp.ones(3, dtype=int) & 1.5, r"and does not accept dtype float32"),
    ("shape_str", lambda: fnp.zeros("a"), r"zeros: shape must be an int or a sequence of ints"),
    ("shape_float", lambda: fnp.zeros(2.5), r"shape must be an int .* got 2\.5"),
    ("tile_reps", lambda: fnp.tile(fnp.ones(3), "a"), r"tile: reps must be"),
    ("take_floats", lambda: fnp.take(fnp.ones(3), fnp.ones(2)), r"take needs integer indices"),
    ("bincount_floats", lambda: fnp.bincount(fnp.ones(3)), r"bincount needs a 1-D array"),
    ("bool_subtract", lambda: fnp.ones(2, dtype=bool) - True, r"boolean subtraction"),
    ("clip_nothing", lambda: fnp.clip(), r"clip: missing the array"),
    ("index_float", lambda: fnp.ones(3)[fnp.ones(2)], r"integer or boolean type, got f32\[2\]"),
]


@pytest.mark.parametrize("name, fn, match", TYPE_ERRORS, ids=[c[0] for c in TYPE_ERRORS])
def test_bad_types_say_what_was_expected(name, fn, match):
    exc = IndexError if name.startswith("index") else TypeError
    assert HERE in _raises(exc, match, fn)


VALUE_ERRORS = [
    ("negative_shape", lambda: fnp.zeros((2, -1)), r"negative dimensions .*\(2, -1\)"),
    ("ragged", lambda: fnp.array([[1, 2], [3]]), r"nested lists must be rectangular"),
    ("negative_power", lambda: fnp.ones(3, dtype=int) ** -1, r"negative power -1.*astype"),
    ("linspace_num", lambda: fnp.linspace(0, 1, -1), r"linspace: num must be non-negative"),
    ("pad_mode", lambda: fnp.pad(fnp.ones(3), 1, mode="foo"), r"pad: mode 'foo'.*symmetric"),
    ("pad_width", lambda: fnp.pad(fnp.ones(3), -1), r"pad_width must be non-negative"),
    ("take_mode", lambda: fnp.take(fnp.ones(3), 1, mode="foo"), r"take: mode must be"),
    ("split", lambda: fnp.split(fnp.ones(5), 2), r"size 5 does not divide into 2.*array_split"),
    ("where_mask", lambda: fnp.mean(fnp.ones((2, 3)), where=fnp.ones(4) > 0),
     r"mean: the where mask of shape \(4,\)"),
    ("max_where", lambda: fnp.max(fnp.ones(3), where=fnp.ones(3) > 0), r"needs an `initial`"),
    ("max_empty", lambda: fnp.max(fnp.zeros((0, 3)), axis=0), r"zero-size array .*initial="),
    ("argmax_empty", lambda: fnp.argmax(fnp.zeros(0)), r"empty sequence"),
    ("quantile_method", lambda: fnp.quantile(fnp.ones(3), 0.5, method="foo"),
     r"method must be one of"),
    ("update_shape", lambda: fnp.ones(3).at[0].set(fnp.ones(2)),
     r"at\[\.\.\.\]\.set: cannot broadcast the update of shape \(2,\) to the indexed shape"),
    ("matmul_scalar", lambda: fnp.matmul(fnp.ones(3), 2.0), r"multiply or `\*`"),
    ("interp", lambda: fnp.interp(fnp.ones(2), fnp.ones(3), fnp.ones(2)),
     r"xp and fp must be 1-D of one length"),
    ("average_weights", lambda: fnp.average(fnp.ones((2, 3)), weights=fnp.ones(2)),
     r"weights of shape \(2,\) differ"),
]


@pytest.mark.parametrize("name, fn, match", VALUE_ERRORS, ids=[c[0] for c in VALUE_ERRORS])
def test_bad_values_say_what_was_expected(name, fn, match):
    assert HERE in _raises(ValueError, match, fn)


def test_traced_values_where_shapes_must_be_static():
    msg = _raises(fd.ConcretizationTypeError, r"zeros: the shape must be known.*static_argnums",
                  lambda: fd.jit(lambda n: fnp.zeros(n))(3))
    assert HERE in msg
    _raises(fd.ConcretizationTypeError, r"arange needs concrete bounds",
            lambda: fd.jit(lambda n: fnp.arange(n))(3))
    _raises(fd.ConcretizationTypeError, r"nonzero.*static `size=`",
            lambda: fd.jit(lambda x: fnp.nonzero(x))(fnp.ones(3)))
    _raises(IndexError, r"boolean indexing needs a concrete mask",
            lambda: fd.make_jaxpr(lambda x: x[x > 0])(fnp.ones(3)))
    assert issubclass(fd.ConcretizationTypeError, TypeError)


def test_immutability_and_conversions():
    def assign():
        x = fnp.zeros(3)
        x[0] = 1

    _raises(TypeError, r"x = x\.at\[0\]\.set\(y\)", assign)
    _raises(TypeError, r"only 0-d .* float\(\); got an array of shape \(3,\)",
            lambda: float(fnp.ones(3)))
    _raises(ValueError, r"truth value of an array with 3 elements", lambda: bool(fnp.ones(3)))
    _raises(ValueError, r"put: funcdiff arrays are immutable, so inplace=True",
            lambda: fnp.put(fnp.ones(3), 0, 1.0, inplace=True))
    _raises(NotImplementedError, r"`out` argument is not supported",
            lambda: fnp.sum(fnp.ones(3), out=fnp.ones(())))


def test_overflow_and_warnings_point_at_user_code():
    msg = _raises(OverflowError, r"2199023255552 does not fit in int32",
                  lambda: fnp.ones(3, dtype=fnp.int32) + 2**41)
    assert HERE in msg
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fnp.ones(2, dtype="float64")
    assert record and record[0].filename == __file__
    assert "ones" in str(record[0].message)
