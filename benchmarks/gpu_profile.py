"""Where a jitted training step's time goes on a GPU: host time, device time, and the
device time of each function the generated code calls.

For the two workloads of ``bench_gpu.py`` (fused, as ``fd.jit`` runs them on CuPy):

1. ``cupyx.profiler.benchmark`` of the whole step, and of PyTorch's eager step: CPU time
   (what Python spends issuing the work) against GPU time (what the device spends). A step
   whose CPU time is close to its GPU time is bound by the host: fewer, cheaper calls help;
   one whose GPU time dominates needs faster kernels.
2. Each global function of the generated code (``_matmul``, a fused kernel ``_fk3``, an
   implementation ``_impl0``…) timed with the device synchronized around every call, summed
   per function over a number of steps: the device time and launch cost of each part.

Without a GPU it says so and exits 0::

    python benchmarks/gpu_profile.py [--steps 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from typing import Any

import bench_gpu
import numpy as np


def _cupyx_times(fn: Any, n: int) -> tuple[float, float]:
    from cupyx.profiler import benchmark

    r = benchmark(fn, n_repeat=n, n_warmup=5)
    return float(np.median(r.cpu_times)) * 1e3, float(np.median(r.gpu_times[0])) * 1e3


def _per_function(exe: Any, step: Any, steps: int) -> list[tuple[str, int, float]]:
    """Device-synchronized time of each callable global of the executable's code."""
    import cupy

    sync = cupy.cuda.Device().synchronize
    g = exe.fn.__globals__
    totals: dict[str, list] = defaultdict(lambda: [0, 0.0])
    originals = {}
    for name, fn in list(g.items()):
        if (not name.startswith("_") or name == "_fix" or not callable(fn)
                or isinstance(fn, type)):
            continue

        def timed(*a, __fn=fn, __name=name, **k):
            sync()
            t0 = time.perf_counter()
            out = __fn(*a, **k)
            sync()
            row = totals[__name]
            row[0] += 1
            row[1] += time.perf_counter() - t0
            return out

        originals[name] = fn
        g[name] = timed
    try:
        for _ in range(steps):
            step()
    finally:
        g.update(originals)
    rows = [(n, c // steps, t / steps * 1e3) for n, (c, t) in totals.items()]
    return sorted(rows, key=lambda r: -r[2])


def _profile(name: str, cls: Any, shape: tuple, rng: np.random.Generator, steps: int) -> None:
    import funcdiff as fd

    host_x = rng.normal(size=shape).astype(np.float32)
    host_y = rng.integers(0, 10, shape[0])
    x, y = fd.device_put(host_x, "gpu"), fd.device_put(host_y, "gpu")
    opt, step, mode = bench_gpu.fd_step(True)
    model = fd.device_put(cls(key=fd.random.key(0)), "gpu")
    h = {"m": model, "s": opt.init(model)}

    def go() -> None:
        h["m"], h["s"], _ = step(h["m"], h["s"], x, y)

    with mode():
        lowered = step.lower(h["m"], h["s"], x, y)
        go()
        cpu, gpu = _cupyx_times(go, 50)
        print(f"== {name}: funcdiff step  CPU {cpu:.3f} ms  GPU {gpu:.3f} ms")
        try:
            import torch

            tstep = bench_gpu.torch_step(bench_gpu.torch_model(name, cls(key=fd.random.key(0))))
            tx, ty = torch.from_numpy(host_x).cuda(), torch.from_numpy(host_y).cuda()
            tcpu, tgpu = _cupyx_times(lambda: tstep(tx, ty), 50)
            print(f"== {name}: torch eager    CPU {tcpu:.3f} ms  GPU {tgpu:.3f} ms")
        except Exception as e:  # noqa: BLE001 - PyTorch is an optional peer
            print(f"   (no PyTorch comparison: {type(e).__name__}: {e})")
        rows = _per_function(lowered._compiled.executable, go, steps)
    total = sum(r[2] for r in rows)
    print(f"   synchronized per function (ms per step, sum {total:.3f}):")
    for fn_name, calls, ms in rows[:25]:
        print(f"   {fn_name:<22} x{calls:<3} {ms:8.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    why = bench_gpu.gpu_available()
    if why is not None:
        print(f"gpu_profile: skipped ({why})")
        return 0
    rng = np.random.default_rng(0)
    for name, (cls, shape) in bench_gpu.fd_models().items():
        _profile(name, cls, shape, rng, args.steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
