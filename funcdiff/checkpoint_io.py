"""``fd.save`` / ``fd.load``: any pytree of arrays in one file, without pickle.

The file is a small container that loading can read without running any code:

====================  ====================================================================
bytes                 content
====================  ====================================================================
8                     magic ``b"FDCKPT\\r\\n"``
4                     format version (uint32, little-endian)
8                     header length ``n`` (uint64, little-endian)
4                     CRC-32 of the header
``n``                 header: UTF-8 JSON, describing the tree and every leaf
padding               zeros up to a multiple of 64 bytes
data                  each array's raw bytes (little-endian, C order), 64-byte aligned
====================  ====================================================================

The JSON tree holds dicts (with str/int/float/bool/None keys), lists, tuples, ``None``,
namedtuples (by type name and field names) and, for other registered pytree nodes
(dataclasses, ``nn.Module``\\ s), their children by key; each leaf entry has its path, dtype,
shape, offset, size and CRC-32 (arrays) or its value (Python numbers and strings). Writes go
to a temporary file in the same directory, are flushed to disk and then renamed over the
target, so a crash mid-save leaves the old file intact.
"""

from __future__ import annotations

import collections
import json
import keyword
import os
import struct
import tempfile
import zlib
from typing import Any

import numpy as np

from . import tree
from .core.array import Array
from .core.convert import array_from_host
from .core.tracing import Tracer, to_host

__all__ = ["CheckpointError", "load", "save"]

MAGIC = b"FDCKPT\r\n"
VERSION = 1
_PREFIX = struct.Struct("<8sIQI")  # magic, version, header length, header CRC-32
_ALIGN = 64
_PY_LEAVES = (bool, int, float, str)


class CheckpointError(ValueError):
    """A checkpoint file is not a funcdiff checkpoint, is truncated or corrupted, or does
    not match the structure it is loaded into."""


# --- saving ----------------------------------------------------------------------------------


def save(path: str | os.PathLike, tree_: Any) -> None:
    """Write the pytree ``tree_`` to ``path`` as one file (atomically, without pickle).

    Array leaves (funcdiff arrays on any device, NumPy arrays and scalars) are stored as host
    data, bit for bit; Python numbers, strings and ``None`` are stored as values.

    Args:
        path: the file to write (replaced if it exists).
        tree_: dicts, lists, tuples, namedtuples, ``None`` and registered pytree nodes of
            arrays (parameters, optimizer states, models).

    Raises:
        TypeError: for a leaf that is not an array, number, string or ``None`` (the error
            names its path), or a traced value.

    Examples:
        >>> import os, tempfile
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> path = os.path.join(tempfile.mkdtemp(), "params.fd")
        >>> fd.save(path, {"w": fnp.ones((2, 2)), "step": 3})
        >>> fd.load(path)
        {'step': 3, 'w': Array([[1., 1.],
               [1., 1.]], dtype=float32)}
    """
    leaves: list[dict] = []
    blobs: list[bytes] = []
    offset = 0

    def add_array(host: np.ndarray, where: str, weak: bool) -> dict:
        nonlocal offset
        if host.dtype.kind not in "biufc":
            raise TypeError(f"fd.save: the leaf at {where} has dtype {host.dtype}; only "
                            "booleans and numbers can be saved")
        data = host.astype(host.dtype.newbyteorder("<"), copy=False)
        raw = data.tobytes(order="C")
        entry = {"kind": "array", "path": where, "dtype": data.dtype.str,
                 "shape": list(data.shape), "offset": offset, "nbytes": len(raw),
                 "crc32": zlib.crc32(raw), "weak": bool(weak)}
        blobs.append(raw + b"\0" * (-len(raw) % _ALIGN))
        offset += len(raw) + (-len(raw) % _ALIGN)
        return entry

    def encode(x: Any, path: tuple) -> dict:
        where = tree.keystr(path) or "the root"
        if isinstance(x, Tracer):
            raise TypeError(f"fd.save: the leaf at {where} is a traced value; save concrete "
                            "arrays, outside of grad/vmap/jit")
        if isinstance(x, Array):
            leaves.append(add_array(to_host(x), where, x.aval.weak_type))
            return {"t": "leaf", "i": len(leaves) - 1}
        if isinstance(x, (np.ndarray, np.generic)):
            leaves.append(add_array(np.asarray(x), where, False))
            return {"t": "leaf", "i": len(leaves) - 1}
        if type(x) in _PY_LEAVES:
            leaves.append({"kind": type(x).__name__, "path": where, "value": x})
            return {"t": "leaf", "i": len(leaves) - 1}
        keyed = tree.flatten_with_path(x, is_leaf=lambda y: y is not x)[0]
        if len(keyed) == 1 and keyed[0][0] == () and keyed[0][1] is x:
            raise TypeError(
                f"fd.save: the leaf at {where} is a {type(x).__name__}; checkpoints hold "
                "arrays, Python numbers, strings and None in pytree containers (register "
                "custom containers with fd.tree.register_pytree_node)"
            )
        keys = [k for (k,), _ in keyed]  # each child's path below x is one key
        children = [encode(c, (*path, k)) for k, (_, c) in zip(keys, keyed, strict=True)]
        return _describe_node(x, keys, children, where)

    root = encode(tree_, ())
    header = json.dumps({"format": "funcdiff-checkpoint", "version": VERSION, "tree": root,
                         "leaves": leaves, "data_size": offset},
                        separators=(",", ":")).encode("utf-8")
    prefix = _PREFIX.pack(MAGIC, VERSION, len(header), zlib.crc32(header))
    pad = b"\0" * (-(len(prefix) + len(header)) % _ALIGN)
    _atomic_write(os.fspath(path), [prefix, header, pad, *blobs])


def _describe_node(x: Any, keys: list, children: list, where: str) -> dict:
    t = type(x)
    if x is None:
        return {"t": "none"}
    if t is list or t is tuple:
        return {"t": t.__name__, "children": children}
    if isinstance(x, tuple) and hasattr(t, "_fields"):
        return {"t": "namedtuple", "name": t.__name__, "fields": list(t._fields),
                "children": children}
    if isinstance(x, dict):
        kind = "odict" if isinstance(x, collections.OrderedDict) else "dict"
        return {"t": kind, "keys": [_encode_key(k.key, where) for k in keys],
                "children": children}
    # Dataclasses and registered nodes: their type's name, children by key.
    return {"t": "node", "type": f"{t.__module__}.{t.__qualname__}",
            "keys": [tree.keystr((k,), simple=True) for k in keys], "children": children}


def _encode_key(k: Any, where: str) -> list:
    if k is None or type(k) in _PY_LEAVES:
        return [type(k).__name__, k]
    raise TypeError(f"fd.save: a dict at {where} has a key of type {type(k).__name__} "
                    f"({k!r}); keys must be str, int, float, bool or None")


def _atomic_write(path: str, chunks: list[bytes]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):  # else mkstemp's error would name a temporary file
        raise FileNotFoundError(
            f"fd.save: cannot write {path}: the directory {directory} does not exist; create "
            f"it first, e.g. os.makedirs({directory!r}, exist_ok=True)"
        )
    fd_, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                dir=directory)
    try:
        with os.fdopen(fd_, "wb") as f:
            for c in chunks:
                f.write(c)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened.
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# --- loading ---------------------------------------------------------------------------------


def load(path: str | os.PathLike, like: Any = None) -> Any:
    """Read a pytree written by :func:`save`.

    Args:
        path: the file.
        like: optional; a pytree with the structure, leaf shapes and dtypes expected (e.g.
            freshly initialized parameters, an optimizer state, a model). The result then
            has ``like``'s structure and container types (namedtuples, dataclasses,
            modules), with funcdiff arrays where ``like`` has arrays.

    Returns:
        The tree. Without ``like``: dicts, lists, tuples and ``None`` as saved, namedtuples
        rebuilt from their saved names and fields, other nodes as dicts of their children,
        and funcdiff arrays on the default device.

    Raises:
        CheckpointError: (a ``ValueError``) if the file is not a funcdiff checkpoint, is
            truncated or corrupted (each array has a checksum), or does not match ``like``;
            the message names the first differing path.

    Examples:
        >>> import os, tempfile
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> path = os.path.join(tempfile.mkdtemp(), "state.fd")
        >>> opt = fd.optim.adam(1e-3)
        >>> state = opt.init({"w": fnp.zeros(3)})
        >>> fd.save(path, state)
        >>> restored = fd.load(path, like=state)
        >>> type(restored[0]).__name__, restored[0].mu["w"].shape
        ('ScaleByAdamState', (3,))
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        header, data_start = _read_header(f, path)
        leaves = [_read_leaf(f, path, data_start, e) for e in header["leaves"]]
    if like is None:
        return _decode(header["tree"], leaves, header["leaves"], path)
    return _into_like(like, header, leaves, path)


def _read_header(f: Any, path: str) -> tuple[dict, int]:
    prefix = f.read(_PREFIX.size)
    if len(prefix) < _PREFIX.size or prefix[:8] != MAGIC:
        raise CheckpointError(f"{path} is not a funcdiff checkpoint (no {MAGIC!r} magic "
                              "bytes at its start); write checkpoints with fd.save")
    _, version, n, crc = _PREFIX.unpack(prefix)
    if version != VERSION:
        raise CheckpointError(f"{path} has checkpoint format version {version}; this funcdiff "
                              f"reads version {VERSION}")
    raw = f.read(n)
    if len(raw) < n:
        raise CheckpointError(f"{path} is truncated: its header needs {n} bytes, found "
                              f"{len(raw)}")
    if zlib.crc32(raw) != crc:
        raise CheckpointError(f"{path} is corrupted: the header's checksum does not match")
    header = json.loads(raw.decode("utf-8"))
    data_start = _PREFIX.size + n + (-(_PREFIX.size + n) % _ALIGN)
    size = os.fstat(f.fileno()).st_size
    if size < data_start + header["data_size"]:
        raise CheckpointError(
            f"{path} is truncated: {size} bytes, but its arrays need "
            f"{data_start + header['data_size']} (was a save interrupted?)"
        )
    return header, data_start


def _read_leaf(f: Any, path: str, data_start: int, e: dict) -> Any:
    if e["kind"] != "array":
        return e["value"]
    f.seek(data_start + e["offset"])
    raw = f.read(e["nbytes"])
    if len(raw) < e["nbytes"] or zlib.crc32(raw) != e["crc32"]:
        raise CheckpointError(
            f"{path} is corrupted: the array at {e['path']} does not match its checksum"
        )
    dt = np.dtype(e["dtype"])
    if dt.kind not in "biufc":
        raise CheckpointError(f"{path}: the array at {e['path']} has unsupported dtype {dt}")
    return np.frombuffer(raw, dtype=dt).reshape(tuple(e["shape"])).astype(dt.newbyteorder("="))


def _as_array(host: np.ndarray, weak: bool = False) -> Array:
    return array_from_host(host, host.dtype, weak=weak, explicit=True)


def _decode(node: dict, leaves: list, entries: list, path: str) -> Any:
    t = node["t"]
    if t == "leaf":
        x = leaves[node["i"]]
        weak = entries[node["i"]].get("weak", False)
        return _as_array(x, weak) if isinstance(x, np.ndarray) else x
    if t == "none":
        return None
    children = [_decode(c, leaves, entries, path) for c in node.get("children", [])]
    if t == "list":
        return children
    if t == "tuple":
        return tuple(children)
    if t == "namedtuple":
        return _namedtuple(node["name"], node["fields"])(*children)
    if t in ("dict", "odict"):
        keys = [_decode_key(k, path) for k in node["keys"]]
        pairs = zip(keys, children, strict=True)
        return collections.OrderedDict(pairs) if t == "odict" else dict(pairs)
    if t == "node":
        return dict(zip(node["keys"], children, strict=True))
    raise CheckpointError(f"{path}: unknown node kind {t!r} in the checkpoint's tree")


def _namedtuple(name: str, fields: list[str]) -> type:
    # A fresh namedtuple class with the saved name and fields: nothing is imported.
    valid = all(isinstance(s, str) and s.isidentifier() and not keyword.iskeyword(s)
                and not s.startswith("_") for s in [name, *fields])
    if not valid:
        return lambda *children: tuple(children)  # type: ignore[return-value]
    return collections.namedtuple(name, fields)


def _decode_key(k: list, path: str) -> Any:
    kind, value = k
    if kind == "NoneType":
        return None
    types = {"str": str, "int": int, "float": float, "bool": bool}
    if kind not in types:
        raise CheckpointError(f"{path}: unknown dict key type {kind!r}")
    return types[kind](value)


def _into_like(like: Any, header: dict, leaves: list, path: str) -> Any:
    entries = header["leaves"]
    pairs, treedef = tree.flatten_with_path(like)
    like_paths = [tree.keystr(p) or "the root" for p, _ in pairs]
    saved_paths = [e["path"] for e in entries]
    if like_paths != saved_paths:
        why = _first_difference(like_paths, saved_paths)
        raise CheckpointError(f"{path} does not match `like`: {why}")
    out = []
    for (_, ref), e, x in zip(pairs, entries, leaves, strict=True):
        out.append(_leaf_like(ref, e, x, path))
    return tree.unflatten(treedef, out)


def _first_difference(like_paths: list[str], saved_paths: list[str]) -> str:
    missing = [p for p in like_paths if p not in saved_paths]
    extra = [p for p in saved_paths if p not in like_paths]
    if missing:
        return f"`like` has a leaf at {missing[0]} that the checkpoint lacks"
    if extra:
        return f"the checkpoint has a leaf at {extra[0]} that `like` lacks"
    i = next(i for i, (a, b) in enumerate(zip(like_paths, saved_paths)) if a != b)
    return f"leaves are in another order (at position {i}: {like_paths[i]} vs {saved_paths[i]})"


def _leaf_like(ref: Any, e: dict, x: Any, path: str) -> Any:
    where = e["path"]
    if isinstance(ref, (Array, np.ndarray, np.generic)):
        if e["kind"] != "array":
            raise CheckpointError(f"{path} does not match `like` at {where}: `like` has an "
                                  f"array, the checkpoint a {e['kind']} ({x!r})")
        shape, dtype = tuple(np.shape(ref)), np.dtype(ref.dtype)
        if x.shape != shape or x.dtype != dtype:
            raise CheckpointError(
                f"{path} does not match `like` at {where}: the checkpoint has "
                f"{x.dtype}{list(x.shape)}, `like` has {dtype}{list(shape)}"
            )
        if isinstance(ref, Array):
            return _as_array(x, e.get("weak", False))
        return x if isinstance(ref, np.ndarray) else x[()]
    if e["kind"] == "array":
        raise CheckpointError(f"{path} does not match `like` at {where}: the checkpoint has "
                              f"an array, `like` a {type(ref).__name__} ({ref!r:.40})")
    return x
