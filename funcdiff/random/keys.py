"""PRNG keys and raw bits: the Threefry-2x32 hash, ``key``, ``split``, ``fold_in``, ``bits``.

A key is a ``uint32`` array of shape ``(2,)``, as JAX's raw ``PRNGKey``. Every random number
is a pure function of a key and a position (*counter-based*): position ``i`` of an output of
shape ``s`` is the Threefry-2x32 hash of the counter pair ``(0, i)`` under the key (JAX's
"partitionable" layout, its default). So the same key gives the same bits on every backend,
in any order, and under ``grad``, ``vmap`` and ``jit``: the hash is written in lax ``uint32``
operations (add, xor, shifts), which every transform understands.

Threefry is from Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3"
(SC 2011); the round constants below are theirs.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.array import Array
from ..core.convert import as_operand
from ..core.tracing import get_aval

_U32 = dtypes.uint32
# Threefry-2x32 with 20 rounds: rotation distances of the two alternating groups of four
# rounds, and the key-schedule parity constant.
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA


# --- the hash -------------------------------------------------------------------------------


def _rotl(x: Any, r: int) -> Any:
    return lax.bitwise_or(lax.shift_left(x, r), lax.shift_right_logical(x, 32 - r))


def threefry2x32(k1: Any, k2: Any, x1: Any, x2: Any) -> tuple[Any, Any]:
    """The Threefry-2x32 block cipher: hash counter pairs ``(x1, x2)`` under key ``(k1, k2)``.

    All four are ``uint32`` arrays that broadcast together (the key words are usually
    scalars); the result is two ``uint32`` arrays of the broadcast shape. Arithmetic wraps
    modulo 2**32 on every backend.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> u = lambda v: fnp.array(v, dtype=fnp.uint32)
        >>> threefry2x32(u(0), u(0), u([0]), u([0]))  # Salmon et al.'s known-answer test
        (Array([1797259609], dtype=uint32), Array([2579123966], dtype=uint32))
    """
    ks = (k1, k2, lax.bitwise_xor(lax.bitwise_xor(k1, k2), np.uint32(_PARITY)))
    x1, x2 = lax.add(x1, ks[0]), lax.add(x2, ks[1])
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x1 = lax.add(x1, x2)
            x2 = lax.bitwise_xor(x1, _rotl(x2, r))
        # Key injection after every four rounds (with the injection count in the second word).
        x1 = lax.add(x1, ks[(i + 1) % 3])
        x2 = lax.add(lax.add(x2, ks[(i + 2) % 3]), np.uint32(i + 1))
    return x1, x2


# --- checking arguments ---------------------------------------------------------------------


def check_key(name: str, key: Any) -> Any:
    """``key`` as a funcdiff array, or a ``TypeError`` that says what a key is."""
    if not isinstance(key, Array):
        if isinstance(key, (np.ndarray, list, tuple)):
            key = as_operand(np.asarray(key))
        else:
            raise TypeError(
                f"fd.random.{name} needs a PRNG key (a uint32 array of shape (2,) made by "
                f"fd.random.key(seed)), got {type(key).__name__}: {key!r:.60}"
            )
    aval = get_aval(key)
    if aval.dtype == _U32 and aval.shape == (2,):
        return key
    hint = ""
    if aval.dtype == _U32 and aval.ndim > 1 and aval.shape[-1] == 2:
        hint = (f" This looks like a batch of {aval.shape[:-1]} keys: map over it, "
                f"e.g. fd.vmap(lambda k: fd.random.{name}(k, ...))(keys).")
    elif aval.dtype != _U32:
        hint = " Keys hold uint32 bits; make one with fd.random.key(seed)."
    raise TypeError(
        f"fd.random.{name} needs a PRNG key: a uint32 array of shape (2,) made by "
        f"fd.random.key(seed), fd.random.split or fd.random.fold_in; got "
        f"{aval.str_short()}.{hint}"
    )


def canonical_shape(name: str, shape: Any) -> tuple[int, ...]:
    """A shape argument as a tuple of non-negative ints (an int means a 1-D shape)."""
    try:
        dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        out = tuple(operator.index(d) for d in dims)
    except TypeError:
        raise TypeError(
            f"fd.random.{name}: shape must be a tuple of ints, got {shape!r}"
        ) from None
    if any(d < 0 for d in out):
        raise ValueError(f"fd.random.{name}: shape {out} has a negative dimension")
    return out


def _words(key: Any) -> tuple[Any, Any]:
    return (lax.reshape(lax.slice(key, (0,), (1,)), ()),
            lax.reshape(lax.slice(key, (1,), (2,)), ()))


def _counters(shape: tuple[int, ...]) -> tuple[Any, Any]:
    # Position i of a row-major array is the 64-bit counter i, split into (high, low) words.
    n = math.prod(shape)
    if n >= 2**32:
        raise ValueError(
            f"cannot draw {n} random numbers from one key (at most 2**32 - 1); split the key "
            "and draw in pieces"
        )
    return lax.full(shape, 0, _U32), lax.reshape(lax.iota(_U32, n), shape)


def _hash_counters(key: Any, shape: tuple[int, ...]) -> tuple[Any, Any]:
    k1, k2 = _words(key)
    return threefry2x32(k1, k2, *_counters(shape))


# --- keys -----------------------------------------------------------------------------------


def key(seed: Any) -> Any:
    """A PRNG key from an integer seed: a ``uint32`` array of shape ``(2,)``, as JAX's.

    The key holds the seed's 64 bits (high word first). Without ``enable_x64``, seeds are
    32-bit, so a Python int is taken modulo 2**32 (as JAX does); ``key(-1)`` is
    ``[0, 4294967295]``.

    Args:
        seed: a Python int, or an integer scalar array (which may be traced, e.g. under
            ``vmap`` over seeds).

    Returns:
        The key, ``uint32[2]``.

    Raises:
        TypeError: if ``seed`` is not an integer scalar.

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.key(0)
        Array([0, 0], dtype=uint32)
        >>> fd.random.key(42)
        Array([ 0, 42], dtype=uint32)
    """
    if isinstance(seed, (bool, np.bool_)) or isinstance(seed, (float, complex)):
        raise TypeError(f"fd.random.key needs an integer seed, got {seed!r}")
    if isinstance(seed, (int, np.integer)):
        s = int(seed)
        if not -(2**63) <= s < 2**64:
            raise OverflowError(f"fd.random.key: seed {s} does not fit in 64 bits")
        if not dtypes.config.enable_x64:
            s = s & 0xFFFFFFFF  # JAX's 32-bit mode keeps the low word only
        s &= 0xFFFFFFFFFFFFFFFF
        return as_operand(np.array([s >> 32, s & 0xFFFFFFFF], dtype=np.uint32))
    seed = as_operand(seed, what="fd.random.key's seed")
    aval = get_aval(seed)
    if aval.ndim or aval.dtype.kind not in "iu":
        raise TypeError(
            f"fd.random.key needs an integer scalar seed, got {aval.str_short()}; for many "
            "keys, use fd.vmap(fd.random.key)(seeds) or fd.random.split"
        )
    lo = lax.convert_element_type(seed, _U32)
    if aval.dtype.itemsize == 8:
        hi = lax.convert_element_type(lax.shift_right_logical(seed, 32), _U32)
    else:
        hi = lax.full((), 0, _U32)
    return lax.concatenate([lax.reshape(hi, (1,)), lax.reshape(lo, (1,))], 0)


PRNGKey = key


def key_data(keys: Any) -> Any:
    """The raw ``uint32`` data of keys: funcdiff's keys are raw already, so ``keys`` itself.

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.key_data(fd.random.key(3))
        Array([0, 3], dtype=uint32)
    """
    keys = as_operand(keys) if not isinstance(keys, Array) else keys
    if get_aval(keys).dtype != _U32 or get_aval(keys).shape[-1:] != (2,):
        raise TypeError(f"key_data needs uint32 keys of shape (..., 2), got "
                        f"{get_aval(keys).str_short()}")
    return keys


def wrap_key_data(key_bits_array: Any) -> Any:
    """Keys from raw ``uint32`` data of shape ``(..., 2)`` (the inverse of :func:`key_data`).

    Examples:
        >>> import funcdiff as fd
        >>> import numpy as np
        >>> fd.random.wrap_key_data(np.array([0, 3], dtype=np.uint32))
        Array([0, 3], dtype=uint32)
    """
    return key_data(key_bits_array)


def split(key: Any, num: int | Sequence[int] = 2) -> Any:
    """Split a key into ``num`` new, independent keys (stacked on a new leading axis).

    Args:
        key: a PRNG key.
        num: how many keys, or a shape of keys.

    Returns:
        ``uint32`` keys of shape ``(num, 2)`` (or ``(*num, 2)``).

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.split(fd.random.key(0))
        Array([[1797259609, 2579123966],
               [ 928981903, 3453687069]], dtype=uint32)
        >>> k, sub = fd.random.split(fd.random.key(0))   # the usual idiom
    """
    key = check_key("split", key)
    shape = canonical_shape("split", num)
    b1, b2 = _hash_counters(key, shape)
    n = len(shape)
    return lax.concatenate([lax.reshape(b1, (*shape, 1)), lax.reshape(b2, (*shape, 1))], n)


def fold_in(key: Any, data: Any) -> Any:
    """A new key that depends on ``key`` and the integer ``data`` (e.g. a step number).

    Args:
        key: a PRNG key.
        data: an integer scalar (taken modulo 2**32), concrete or traced.

    Returns:
        A new key, ``uint32[2]``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.fold_in(fd.random.key(0), 3)
        Array([2467461003, 3840466878], dtype=uint32)
    """
    key = check_key("fold_in", key)
    if isinstance(data, (int, np.integer)) and not isinstance(data, (bool, np.bool_)):
        d = as_operand(np.array(int(data) & 0xFFFFFFFF, dtype=np.uint32))
    else:
        d = as_operand(data, what="fold_in's data")
        if get_aval(d).ndim or get_aval(d).dtype.kind not in "iu":
            raise TypeError(
                f"fd.random.fold_in needs an integer scalar, got {get_aval(d).str_short()}; "
                "for many values use fd.vmap(fd.random.fold_in, in_axes=(None, 0))"
            )
        d = lax.convert_element_type(d, _U32)
    k1, k2 = _words(key)
    b1, b2 = threefry2x32(k1, k2, lax.full((1,), 0, _U32), lax.reshape(d, (1,)))
    return lax.concatenate([b1, b2], 0)


def clone(key: Any) -> Any:
    """The same key (JAX's keys may be consumed once; funcdiff's are plain arrays).

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.clone(fd.random.key(1))
        Array([0, 1], dtype=uint32)
    """
    return check_key("clone", key)


# --- bits -----------------------------------------------------------------------------------


def random_bits(key: Any, bit_width: int, shape: tuple[int, ...]) -> Any:
    """Uniform unsigned integers of ``bit_width`` bits (8, 16, 32 or 64), JAX's layout."""
    b1, b2 = _hash_counters(key, shape)
    if bit_width == 64:
        u64 = dtypes.uint64
        hi, lo = lax.convert_element_type(b1, u64), lax.convert_element_type(b2, u64)
        return lax.bitwise_or(lax.shift_left(hi, np.uint64(32)), lo)
    bits = lax.bitwise_xor(b1, b2)
    if bit_width == 32:
        return bits
    return lax.convert_element_type(bits, np.dtype(f"uint{bit_width}"))


def bits(key: Any, shape: Any = (), dtype: Any = None) -> Any:
    """Uniform random bits as unsigned integers.

    Args:
        key: a PRNG key.
        shape: the result's shape.
        dtype: an unsigned integer dtype (default ``uint32``; ``uint64`` with x64).

    Returns:
        An array of ``shape`` and ``dtype``.

    Raises:
        ValueError: if ``dtype`` is not an unsigned integer type.

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.bits(fd.random.key(0), (3,))
        Array([4070199207, 4202968722, 1427181096], dtype=uint32)
    """
    key = check_key("bits", key)
    if dtype is None:
        dt = dtypes.uint64 if dtypes.config.enable_x64 else _U32
    else:
        dt = dtypes.canonicalize(dtype, explicit=True)
    if dt.kind != "u":
        raise ValueError(f"fd.random.bits needs an unsigned integer dtype, got {dt}")
    return random_bits(key, dt.itemsize * 8, canonical_shape("bits", shape))

