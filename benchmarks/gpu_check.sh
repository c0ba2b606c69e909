#!/usr/bin/env bash
# The GPU check of issue #8, for a machine with an NVIDIA GPU (about 8 minutes at most):
#   1. installs `.[cuda,test]` (or `.[cuda13,test]` for a CUDA 13 driver) when CuPy is missing;
#   2. runs the GPU tests: `pytest -m gpu tests` with FUNCDIFF_BACKEND=cupy;
#   3. runs the whole test suite on the cupy backend;
#   4. runs benchmarks/bench_gpu.py (funcdiff jit on CuPy against PyTorch CUDA eager).
# Each stage has a time limit; the script goes on after a failing stage and exits non-zero
# if any failed. Without an NVIDIA GPU it says so and exits 0.
#
#   bash benchmarks/gpu_check.sh            # from the repository root or anywhere
#   GPU_CHECK_OUT=/tmp/out bash benchmarks/gpu_check.sh   # also keep logs and the JSON there
#
# On a machine with no network (a lent GPU box whose image already has CuPy, PyTorch and
# pytest) nothing is installed: the checkout is put on PYTHONPATH and the stages run under
# `python3` when there is no `python`. With pytest-xdist and 8+ cores the test stages run
# in parallel (GPU_CHECK_WORKERS overrides the count; 0 turns it off).
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-$(command -v python || command -v python3)}"
# JAX, where installed beside PyTorch, must neither take the GPU's memory nor its device.
export JAX_PLATFORMS=cpu XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
out="${GPU_CHECK_OUT:-}"
[ -n "$out" ] && mkdir -p "$out"
# keep the whole output of a stage under $out (when set); print its last $2 lines
log() { if [ -n "$out" ]; then tee -a "$out/$1"; else cat; fi | tail -n "${2:-1000}"; }

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu_check: skipped, no NVIDIA GPU (nvidia-smi finds none)"
  exit 0
fi
nvidia-smi -L

if ! "$PY" -c "import cupy" >/dev/null 2>&1; then
  cuda_major=$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9]*\).*/\1/p' | head -1)
  extra=cuda
  if [ "${cuda_major:-12}" -ge 13 ]; then extra=cuda13; fi
  echo "gpu_check: installing .[${extra},test] (driver CUDA ${cuda_major:-?})"
  timeout 240 "$PY" -m pip install -q -e ".[${extra},test]" || {
    echo "gpu_check: could not install CuPy"; exit 1; }
fi
# this checkout, installed or not (the benchmark runs as a script, outside the repo root)
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
"$PY" -c "import cupy; print('CuPy', cupy.__version__, 'sees', cupy.cuda.runtime.getDeviceCount(), 'GPU(s)')" \
  || { echo "gpu_check: CuPy cannot reach the GPU"; exit 1; }

status=0
export FUNCDIFF_BACKEND=cupy
workers="${GPU_CHECK_WORKERS:-}"
if [ -z "$workers" ]; then
  workers=0
  if "$PY" -c "import xdist" >/dev/null 2>&1 && [ "$(nproc)" -ge 8 ]; then workers=8; fi
fi
par=()
[ "$workers" -gt 0 ] && par=(-n "$workers")

echo "== 1/3 GPU tests (pytest -m gpu) =="
timeout 150 "$PY" -m pytest -q -m gpu tests -p no:cacheprovider -o addopts="" "${par[@]}" 2>&1 \
  | log gpu_tests.txt 25
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "gpu_check: GPU tests failed or timed out"; status=1; }

echo "== 2/3 the whole suite on the cupy backend =="
# With the existing code generator (FUNCDIFF_FUSION=0): tests/test_codegen.py checks its
# text line by line; the fused generator runs in stage 1 (every op-table row under jit,
# the fusion corpus, training steps) and in tests/test_fusion.py, which forces it.
FUNCDIFF_FUSION=0 timeout 210 "$PY" -m pytest -q tests -p no:cacheprovider -o addopts="" \
  --maxfail=50 "${par[@]}" 2>&1 \
  | log suite_cupy.txt 40
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "gpu_check: suite on cupy failed or timed out"; status=1; }

echo "== 3/3 benchmarks/bench_gpu.py =="
json_arg=()
[ -n "$out" ] && json_arg=(--json "$out/bench_gpu.json")
timeout 90 "$PY" benchmarks/bench_gpu.py "${json_arg[@]}" 2>&1 | log bench_gpu.txt
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "gpu_check: benchmark failed or timed out"; status=1; }

exit $status
