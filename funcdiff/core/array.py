"""``Array``: funcdiff's immutable array, concrete (``ArrayImpl``) or traced (``Tracer``).

Operators and methods (``x + y``, ``x.sum()``, ``x[idx]``, ``x.at[idx].set(v)``) are
installed by :mod:`funcdiff.numpy`, which defines them in lax operations; this module owns
only storage, metadata and host conversion.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend as _backend
from .aval import ShapedArray


class Array:
    """A funcdiff array: immutable, with NumPy semantics for operators and indexing.

    Both concrete arrays and the tracers that stand for arrays during a transform are
    instances, so ``isinstance(x, fd.Array)`` holds inside ``grad``, ``vmap`` and ``jit``.

    Examples:
        >>> import funcdiff as fd
        >>> x = fd.numpy.array([1.0, 2.0])
        >>> x
        Array([1., 2.], dtype=float32)
        >>> x.shape, x.dtype, x.ndim, x.size
        ((2,), dtype('float32'), 1, 2)
        >>> x = x.at[0].set(5.0)
        >>> x.tolist()
        [5.0, 2.0]
    """

    __slots__ = ()
    __array_priority__ = 100
    __hash__ = None  # type: ignore[assignment]  # arrays compare elementwise, like NumPy's
    aval: ShapedArray

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    @property
    def ndim(self) -> int:
        return len(self.aval.shape)

    @property
    def size(self) -> int:
        return self.aval.size

    @property
    def weak_type(self) -> bool:
        return self.aval.weak_type

    @property
    def itemsize(self) -> int:
        return self.aval.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.aval.size * self.aval.dtype.itemsize

    # Arrays are immutable: a copy may share the value.
    def __copy__(self) -> Array:
        return self

    def __deepcopy__(self, memo: Any) -> Array:
        return self

    def __len__(self) -> int:
        if not self.aval.shape:
            raise TypeError(
                f"len() of a 0-d array ({self.aval.str_short()}) is undefined; a scalar has no "
                "length (use x.size or x.shape)"
            )
        return self.aval.shape[0]

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError(
                f"iteration over a 0-d array ({self.aval.str_short()}) is undefined; a scalar "
                "has no elements to loop over"
            )
        return (self[i] for i in range(self.aval.shape[0]))

    def __setitem__(self, idx: Any, value: Any) -> None:
        raise TypeError(
            f"funcdiff arrays are immutable, so `x[{_index_str(idx)}] = y` cannot change x in "
            f"place. Write `x = x.at[{_index_str(idx)}].set(y)` instead (also .add, .subtract, "
            ".mul, .divide, .min, .max, .get)"
        )

    def __delitem__(self, idx: Any) -> None:
        raise TypeError(
            "funcdiff arrays are immutable: `del x[idx]` cannot change them in place; write "
            "`x = fnp.delete(x, idx)` instead"
        )


def _index_str(idx: Any) -> str:
    """``idx`` as the user would have written it inside ``x[...]`` (for error messages)."""
    parts = idx if isinstance(idx, tuple) else (idx,)

    def one(i: Any) -> str:
        if isinstance(i, slice):
            text = ":".join("" if v is None else str(v) for v in (i.start, i.stop))
            return text if i.step is None else f"{text}:{i.step}"
        if i is Ellipsis:
            return "..."
        return repr(i) if i is None or type(i) is int else "idx"

    return ", ".join(one(i) for i in parts) if parts else "()"


class ArrayImpl(Array):
    """A concrete array: a backend array (NumPy, strict or CuPy) with its abstract value."""

    __slots__ = ("_value", "aval")

    def __init__(self, value: Any, aval: ShapedArray | None = None) -> None:
        if aval is None:
            aval = ShapedArray(value.shape, value.dtype)
        self._value = value
        self.aval = aval

    # --- host conversion -------------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raw = self._value
        if not isinstance(raw, (np.ndarray, np.generic)):
            # Device arrays (CuPy, strict) copy to the host only when asked, with one message
            # for both (CuPy's own points at its .get()).
            raise TypeError(
                f"Implicit conversion to a NumPy array is not allowed for an array on "
                f"{self.device} ({_backend.backend_of(raw).name} backend, as on CuPy): copy it "
                "to the host explicitly with fd.device_get(x) or x.cpu()"
            )
        out = np.asarray(raw)
        return out if dtype is None else out.astype(dtype)

    def _host(self) -> np.ndarray:
        return _backend.backend_of(self._value).to_host(self._value)

    def _host_scalar(self) -> Any:
        return self._host().item()

    def item(self, *args: Any) -> Any:
        """The element as a Python scalar (an explicit copy to the host)."""
        return self._host().item(*args)

    def tolist(self) -> Any:
        """The array as nested Python lists (an explicit copy to the host)."""
        return self._host().tolist()

    def _scalar(self, what: str) -> Any:
        if self.aval.shape:
            raise TypeError(
                f"only 0-d (scalar) arrays can be converted to Python scalars with {what}(); "
                f"got an array of shape {self.aval.shape}. Reduce it first (x.sum(), x[0]) "
                "or use x.item() for an array of one element."
            )
        return self._host_scalar()

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of an array with {self.size} elements (shape "
                f"{self.aval.shape}) is ambiguous; use .any() or .all()"
            )
        return bool(self._host_scalar())

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def __index__(self) -> int:
        if self.aval.dtype.kind not in "iub" or self.aval.shape:
            raise TypeError(
                f"only integer scalar arrays can be used as an index, got {self.aval.str_short()}"
            )
        return int(self._host_scalar())

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self._host_scalar(), spec)
        return format(str(self), spec)

    def __reduce__(self):
        return (_rebuild, (self._host(), self.aval.weak_type))

    @property
    def device(self) -> _backend.Device:
        """The device holding this array (``cpu:0``, ``gpu:0``…)."""
        return _backend.backend_of(self._value).device_of(self._value)

    def devices(self) -> set:
        return {self.device}

    def block_until_ready(self) -> ArrayImpl:
        """Wait for pending device work (a no-op on the CPU)."""
        sync = getattr(self._value, "device", None)
        if sync is not None and hasattr(sync, "synchronize"):
            sync.synchronize()
        return self

    def __repr__(self) -> str:
        return array_repr(self._host(), self.aval.weak_type)

    def __str__(self) -> str:
        return str(self._host())


def array_repr(host: np.ndarray, weak_type: bool = False) -> str:
    """``Array([1., 2.], dtype=float32)``: the text ``repr`` gives, as in JAX.

    Examples:
        >>> import numpy as np
        >>> array_repr(np.array([1.0, 2.0], np.float32))
        'Array([1., 2.], dtype=float32)'
        >>> array_repr(np.array(2.0, np.float32), weak_type=True)
        'Array(2., dtype=float32, weak_type=True)'
        >>> array_repr(np.zeros((2, 0), np.int32))
        'Array([], shape=(2, 0), dtype=int32)'
    """
    prefix = "Array("
    dtype_str = f"dtype={host.dtype.name}{', weak_type=True' if weak_type else ''})"
    width = np.get_printoptions()["linewidth"]
    if host.size == 0:
        body = f"[], shape={host.shape}"
    else:
        body = np.array2string(host, prefix=prefix, suffix=",", separator=", ",
                               max_line_width=width)
    # The dtype stays on the last line; when that line is full, it is set off by the width of
    # the prefix instead of one space (JAX's layout, so printed arrays read the same).
    last_line = len(body.rsplit("\n", 1)[-1]) + 2
    sep = " " * len(prefix) if last_line + len(dtype_str) + 1 > width else " "
    return f"{prefix}{body},{sep}{dtype_str}"


def _rebuild(host: np.ndarray, weak: bool) -> ArrayImpl:
    from .. import backend

    raw = backend.get_backend().from_host(host)
    return ArrayImpl(raw, ShapedArray(host.shape, host.dtype, weak))
