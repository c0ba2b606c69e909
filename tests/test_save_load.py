"""fd.save / fd.load: bit-exact round trips, structures, atomic writes, damaged files, errors."""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import struct
from typing import NamedTuple

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import checkpoint_io
from funcdiff.checkpoint_io import CheckpointError


class Pair(NamedTuple):
    first: object
    second: object


@dataclasses.dataclass
class Box:
    weight: object
    bias: object
    name: str = dataclasses.field(default="box", metadata={"static": True})


def assert_same(a, b):
    a, b = host(a), host(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()  # bit for bit, NaN payloads and signed zeros included


@pytest.fixture
def path(tmp_path):
    return tmp_path / "ckpt.fd"


# --- round trips ------------------------------------------------------------------------------


def test_round_trip_of_nested_containers(path):
    tree = {
        "w": fnp.array([[1.5, -0.0], [np.nan, np.inf]]),
        "layers": [fnp.arange(5), (fnp.array(True), None)],
        "pair": Pair(fnp.zeros((0, 3)), fnp.array(2.5)),
        "meta": {"step": 7, "lr": 0.125, "tag": "run-1", "flag": False, "missing": None},
        "by_int": {3: fnp.ones(2, fnp.int8), -1: fnp.zeros(1)},
    }
    fd.save(path, tree)
    out = fd.load(path)
    assert set(out) == {"w", "layers", "pair", "meta", "by_int"}
    assert_same(out["w"], tree["w"])
    assert_same(out["layers"][0], tree["layers"][0])
    assert isinstance(out["layers"], list) and isinstance(out["layers"][1], tuple)
    assert out["layers"][1][1] is None
    assert_same(out["layers"][1][0], tree["layers"][1][0])
    assert type(out["pair"]).__name__ == "Pair" and out["pair"]._fields == ("first", "second")
    assert out["pair"].first.shape == (0, 3)
    assert out["meta"] == {"step": 7, "lr": 0.125, "tag": "run-1", "flag": False,
                           "missing": None}
    assert list(out["by_int"]) == [-1, 3]
    assert_same(out["by_int"][3], tree["by_int"][3])
    assert all(isinstance(x, fd.Array) for x in fd.tree.leaves(out) if hasattr(x, "shape"))


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "int32", "uint8", "uint16",
                                   "uint32", "float16", "float32", "complex64"])
def test_every_dtype_is_bit_exact(path, dtype):
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((3, 4)) * 1000).astype(dtype)
    fd.save(path, {"x": fnp.array(data)})
    assert_same(fd.load(path)["x"], data)


def test_64_bit_dtypes_are_bit_exact(path, x64):
    tree = {"f": fnp.array([np.pi, -1e300, 5e-324]), "i": fnp.array([2**62, -(2**63)]),
            "u": fnp.array([2**64 - 1], fnp.uint64), "c": fnp.array([1 + 2j])}
    fd.save(path, tree)
    out = fd.load(path, like=tree)
    for k in tree:
        assert_same(out[k], tree[k])


def test_numpy_leaves_and_weak_types(path):
    weak = fd.lax.convert_element_type(fnp.array(2.0), "float32", weak_type=True)
    tree = {"np": np.arange(6, dtype=np.float32).reshape(2, 3).T, "scalar": np.float32(1.5),
            "weak": weak, "strong": fnp.ones((), fnp.float32)}
    fd.save(path, tree)
    out = fd.load(path)
    np.testing.assert_array_equal(host(out["np"]), tree["np"])  # transposed (non-contiguous)
    assert out["weak"].weak_type and not out["strong"].weak_type
    like = fd.load(path, like=tree)
    assert isinstance(like["np"], np.ndarray) and isinstance(like["scalar"], np.float32)


def test_ordered_dicts_keep_their_order(path):
    tree = collections.OrderedDict([("z", fnp.ones(1)), ("a", fnp.zeros(1))])
    fd.save(path, tree)
    out = fd.load(path)
    assert isinstance(out, collections.OrderedDict) and list(out) == ["z", "a"]


def test_registered_nodes_load_as_dicts_or_into_like(path):
    box = Box(fnp.ones((2, 2)), fnp.zeros(2), name="first")
    fd.save(path, {"box": box})
    plain = fd.load(path)
    assert set(plain["box"]) == {"weight", "bias"}
    restored = fd.load(path, like={"box": Box(fnp.zeros((2, 2)), fnp.ones(2), name="first")})
    assert isinstance(restored["box"], Box) and restored["box"].name == "first"
    assert_same(restored["box"].weight, box.weight)


def test_optimizer_state_resumes_training(path):
    opt = fd.optim.adamw(0.05, weight_decay=0.1)
    params = {"w": fnp.array([1.0, -2.0, 3.0]), "b": fnp.array(0.5)}

    def step(p, s):
        grads = fd.grad(lambda q: fnp.sum(q["w"] ** 2) + q["b"] ** 2)(p)
        u, s = opt.update(grads, s, p)
        return fd.optim.apply_updates(p, u), s

    p, s = params, opt.init(params)
    for _ in range(2):
        p, s = step(p, s)
    fd.save(path, {"params": p, "opt": s})
    template = {"params": params, "opt": opt.init(params)}
    loaded = fd.load(path, like=template)
    assert type(loaded["opt"][0]).__name__ == "ScaleByAdamState"
    assert loaded["opt"][0].count.dtype == np.int32
    p2, s2 = loaded["params"], loaded["opt"]
    for _ in range(2):
        p, s = step(p, s)
        p2, s2 = step(p2, s2)
    for a, b in zip(fd.tree.leaves((p, s)), fd.tree.leaves((p2, s2)), strict=True):
        assert_same(a, b)


def test_save_replaces_an_existing_file_and_leaves_no_temporaries(path):
    fd.save(path, {"v": fnp.ones(1)})
    fd.save(path, {"v": fnp.zeros(3)})
    assert fd.load(path)["v"].shape == (3,)
    assert os.listdir(path.parent) == [path.name]


def test_file_is_json_header_and_raw_bytes_not_pickle(path):
    fd.save(path, {"w": fnp.array([1.0, 2.0])})
    raw = path.read_bytes()
    assert raw[:8] == checkpoint_io.MAGIC
    _, version, n, _ = struct.unpack("<8sIQI", raw[:24])
    header = json.loads(raw[24:24 + n])
    assert version == 1 and header["leaves"][0]["dtype"] == "<f4"
    assert np.frombuffer(raw[-64:-56], "<f4").tolist() == [1.0, 2.0]
    assert b"\x80\x04" not in raw[:2]  # no pickle protocol header


# --- crashes and damage ----------------------------------------------------------------------


@pytest.mark.parametrize("fail_at", ["fsync", "replace"])
def test_a_crash_mid_save_leaves_the_old_file(path, monkeypatch, fail_at):
    fd.save(path, {"v": fnp.array([1.0, 2.0])})
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("simulated crash")

    monkeypatch.setattr(checkpoint_io.os, fail_at, boom)
    with pytest.raises(OSError, match="simulated crash"):
        fd.save(path, {"v": fnp.zeros(1000)})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


@pytest.mark.parametrize("keep,match", [
    (5, "not a funcdiff checkpoint"),
    (30, r"truncated: its header needs \d+ bytes"),
    (-4, r"truncated: \d+ bytes, but its arrays need \d+"),
])
def test_truncated_files_are_named(path, keep, match):
    fd.save(path, {"w": fnp.ones(10)})
    raw = path.read_bytes()
    path.write_bytes(raw[:keep])
    with pytest.raises(CheckpointError, match=match):
        fd.load(path)


def test_corrupted_array_is_named_by_path(path):
    fd.save(path, {"a": fnp.ones(4), "b": fnp.zeros(4)})
    raw = bytearray(path.read_bytes())
    raw[-60] ^= 0xFF  # inside the last array's bytes: "b" (dicts save in sorted key order)
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=r"corrupted: the array at \['b'\] does not "
                                              "match its checksum"):
        fd.load(path)


def test_corrupted_header_and_foreign_files(path):
    fd.save(path, {"a": fnp.ones(4)})
    raw = bytearray(path.read_bytes())
    raw[30] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="header's checksum does not match"):
        fd.load(path)
    path.write_bytes(b"PK\x03\x04 this is a zip, not a checkpoint" * 4)
    with pytest.raises(CheckpointError, match="not a funcdiff checkpoint.*fd.save"):
        fd.load(path)
    with pytest.raises(FileNotFoundError):
        fd.load(path.parent / "absent.fd")


def test_other_versions_are_refused(path):
    fd.save(path, {"a": fnp.ones(1)})
    raw = bytearray(path.read_bytes())
    raw[8:12] = struct.pack("<I", 99)
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="format version 99"):
        fd.load(path)


# --- mismatches with `like` ---------------------------------------------------------------------


@pytest.mark.parametrize("like,match", [
    ({"w": fnp.ones((3, 2)), "b": fnp.ones(2)},
     r"at \['w'\]: the checkpoint has float32\[2, 3\], `like` has float32\[3, 2\]"),
    ({"w": fnp.ones((2, 3), fnp.int32), "b": fnp.ones(2)},
     r"at \['w'\]: the checkpoint has float32\[2, 3\], `like` has int32\[2, 3\]"),
    ({"w": fnp.ones((2, 3))}, r"the checkpoint has a leaf at \['b'\] that `like` lacks"),
    ({"w": fnp.ones((2, 3)), "b": fnp.ones(2), "c": fnp.ones(1)},
     r"`like` has a leaf at \['c'\] that the checkpoint lacks"),
    ({"w": fnp.ones((2, 3)), "b": 1.0}, r"at \['b'\]: the checkpoint has an array, `like` a "
                                        "float"),
])
def test_like_mismatch_names_the_first_differing_path(path, like, match):
    fd.save(path, {"w": fnp.ones((2, 3)), "b": fnp.zeros(2)})
    with pytest.raises(CheckpointError, match=match):
        fd.load(path, like=like)


def test_scalar_saved_where_like_has_an_array(path):
    fd.save(path, {"step": 3})
    with pytest.raises(CheckpointError, match=r"at \['step'\]: `like` has an array, the "
                                              "checkpoint a int"):
        fd.load(path, like={"step": fnp.array(3)})


# --- what cannot be saved -----------------------------------------------------------------------


@pytest.mark.parametrize("tree,match", [
    ({"f": lambda x: x}, r"leaf at \['f'\] is a function"),
    ({"s": {1, 2}}, r"leaf at \['s'\] is a set"),
    ({("a", 1): fnp.ones(1)}, "key of type tuple"),
    ({"o": np.array(["x"], dtype=object)}, r"leaf at \['o'\] has dtype object"),
])
def test_unsaveable_leaves_are_named(path, tree, match):
    with pytest.raises(TypeError, match=match):
        fd.save(path, tree)
    assert not path.exists()


def test_traced_values_cannot_be_saved(path):
    def f(x):
        fd.save(path, {"x": x})
        return x

    with pytest.raises(TypeError, match=r"leaf at \['x'\] is a traced value"):
        fd.vmap(f)(fnp.ones(2))
