"""Comparing funcdiff results with numbers computed once with JAX and pasted into tests."""

from __future__ import annotations

import numpy as np

import funcdiff as fd

_DTYPES = ("float64", "float32", "int64", "int32", "bool")


def to_py(r):
    """Arrays to (dtype, nested lists); containers kept (namedtuples become tuples)."""
    if isinstance(r, dict):
        return {k: to_py(v) for k, v in r.items()}
    if isinstance(r, (list, tuple)):
        return tuple(to_py(v) for v in r)
    if isinstance(r, (bool, int, str)) or r is None:
        return r
    arr = np.asarray(fd.device_get(r))
    return (str(arr.dtype), arr.tolist())


def assert_same(got, want, path="out"):
    """``got`` (from funcdiff, through to_py) has JAX's structure, dtypes and values."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), (path, got, want)
        for k in want:
            assert_same(got[k], want[k], f"{path}[{k!r}]")
    elif isinstance(want, tuple) and len(want) == 2 and want[0] in _DTYPES:
        assert isinstance(got, tuple) and got[0] == want[0], f"{path}: {got} vs JAX {want}"
        np.testing.assert_allclose(np.asarray(got[1], float), np.asarray(want[1], float),
                                   rtol=1e-9, atol=1e-12, err_msg=path)
    elif isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), (path, got, want)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{path}[{i}]")
    else:
        assert got == want, (path, got, want)
