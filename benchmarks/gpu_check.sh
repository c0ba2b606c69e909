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
set -uo pipefail
cd "$(dirname "$0")/.."
out="${GPU_CHECK_OUT:-}"
[ -n "$out" ] && mkdir -p "$out"
log() { if [ -n "$out" ]; then tee -a "$out/$1"; else cat; fi; }

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu_check: skipped, no NVIDIA GPU (nvidia-smi finds none)"
  exit 0
fi
nvidia-smi -L

if ! python -c "import cupy" >/dev/null 2>&1; then
  cuda_major=$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9]*\).*/\1/p' | head -1)
  extra=cuda
  if [ "${cuda_major:-12}" -ge 13 ]; then extra=cuda13; fi
  echo "gpu_check: installing .[${extra},test] (driver CUDA ${cuda_major:-?})"
  timeout 240 python -m pip install -q -e ".[${extra},test]" || {
    echo "gpu_check: could not install CuPy"; exit 1; }
fi
python -c "import cupy; print('CuPy', cupy.__version__, 'sees', cupy.cuda.runtime.getDeviceCount(), 'GPU(s)')" \
  || { echo "gpu_check: CuPy cannot reach the GPU"; exit 1; }

status=0
export FUNCDIFF_BACKEND=cupy

echo "== 1/3 GPU tests (pytest -m gpu) =="
timeout 150 python -m pytest -q -m gpu tests -p no:cacheprovider -o addopts="" 2>&1 \
  | tail -25 | log gpu_tests.txt
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "gpu_check: GPU tests failed or timed out"; status=1; }

echo "== 2/3 the whole suite on the cupy backend =="
# With the existing code generator (FUNCDIFF_FUSION=0): tests/test_codegen.py checks its
# text line by line; the fused generator runs in stage 1 (every op-table row under jit,
# the fusion corpus, training steps) and in tests/test_fusion.py, which forces it.
FUNCDIFF_FUSION=0 timeout 210 python -m pytest -q tests -p no:cacheprovider -o addopts="" \
  --maxfail=50 2>&1 \
  | tail -40 | log suite_cupy.txt
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "gpu_check: suite on cupy failed or timed out"; status=1; }

echo "== 3/3 benchmarks/bench_gpu.py =="
json_arg=()
[ -n "$out" ] && json_arg=(--json "$out/bench_gpu.json")
timeout 90 python benchmarks/bench_gpu.py "${json_arg[@]}" 2>&1 | log bench_gpu.txt
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "gpu_check: benchmark failed or timed out"; status=1; }

exit $status
