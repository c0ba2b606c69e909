"""Global configuration flags: ``fd.config.update(name, value)``, as in ``jax.config``."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

_DEFAULTS: dict[str, Any] = {
    "enable_x64": os.environ.get("FUNCDIFF_ENABLE_X64", "0").lower() in ("1", "true"),
    "debug_nans": os.environ.get("FUNCDIFF_DEBUG_NANS", "0").lower() in ("1", "true"),
    "eager_backward_compile": os.environ.get("FUNCDIFF_EAGER_BACKWARD_COMPILE",
                                             "1").lower() in ("1", "true"),
}

# Flags that only change how eager code runs, not what a trace records: not in snapshot().
_NOT_TRACED = frozenset({"eager_backward_compile"})


class Config:
    """The flags that change how funcdiff computes.

    * ``enable_x64`` (default False): keep 64-bit dtypes; otherwise float64/int64 requests
      become float32/int32, as in JAX.
    * ``debug_nans`` (default False): stop at the first operation that produces a NaN.
    * ``eager_backward_compile`` (default True): eager ``grad`` runs the backward pass of a
      tape structure it has seen before as generated code (see the autodiff guide); False
      always walks the tape equation by equation.

    Examples:
        >>> import funcdiff as fd
        >>> fd.config.enable_x64
        False
        >>> with fd.config.override(enable_x64=True):
        ...     fd.numpy.ones(2, dtype="float64").dtype
        dtype('float64')
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_values", dict(_DEFAULTS))
        # The snapshot, remade on each change of a flag (jit reads it on every call).
        object.__setattr__(self, "_lock", threading.Lock())
        self._resnap()

    def update(self, name: str, value: Any) -> None:
        """Set flag ``name`` to ``value`` (``fd.config.update("enable_x64", True)``).

        JAX's spelling (``"jax_enable_x64"``) is accepted too, so ported code runs as is.
        """
        given, name = name, _unprefixed(name)
        if name not in self._values:
            known = ", ".join(sorted(self._values))
            raise ValueError(f"unknown config option {given!r}; known options: {known}")
        if not isinstance(value, bool):
            raise TypeError(f"config option {name!r} takes a bool, got {value!r}")
        with self._lock:
            self._values[name] = value
            self._resnap()

    @contextlib.contextmanager
    def override(self, **flags: bool) -> Iterator[None]:
        """Set flags inside a ``with`` block and restore them afterwards."""
        names = [_unprefixed(k) for k in flags]
        old = {k: self._values[k] for k in names if k in self._values}  # unknown ones raise
        try:
            for k, v in flags.items():
                self.update(k, v)
            yield
        finally:
            with self._lock:
                self._values.update(old)
                self._resnap()

    def snapshot(self) -> tuple:
        """The values of the flags that change what a trace records, as a hashable tuple
        (jit keys its cache on it)."""
        return self._snapshot

    def _resnap(self) -> None:
        object.__setattr__(self, "_snapshot", tuple(sorted(
            (k, v) for k, v in self._values.items() if k not in _NOT_TRACED)))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[_unprefixed(name)]
        except KeyError:
            raise AttributeError(f"funcdiff.config has no option {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"use fd.config.update({name!r}, {value!r}) to change a flag")

    def __repr__(self) -> str:
        return f"Config({', '.join(f'{k}={v}' for k, v in sorted(self._values.items()))})"


def _unprefixed(name: str) -> str:
    return name[4:] if name.startswith("jax_") else name


config = Config()
