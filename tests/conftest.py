"""Shared test fixtures: float64 on demand and backend-aware helpers."""

from __future__ import annotations

import os

import numpy as np
import pytest

import funcdiff as fd

BACKEND = os.environ.get("FUNCDIFF_BACKEND", "numpy")  # the backend the suite runs on
STRICT = BACKEND == "strict"


@pytest.fixture
def x64():
    """Run a test with 64-bit types enabled (for finite-difference checks)."""
    with fd.config.override(enable_x64=True):
        yield


def host(x):
    """A host NumPy copy of a funcdiff array (explicit, so it works on every backend)."""
    return fd.device_get(x) if isinstance(x, fd.Array) else np.asarray(x)


def pytest_collection_modifyitems(config, items):
    try:
        import cupy

        has_gpu = cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        has_gpu = False
    if not has_gpu:
        skip = pytest.mark.skip(reason="no CUDA GPU visible to CuPy")
        for item in items:
            if item.get_closest_marker("gpu") is not None:
                item.add_marker(skip)
