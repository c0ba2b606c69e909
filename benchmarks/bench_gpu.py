"""Training steps on a GPU: ``fd.jit`` on CuPy (with fused elementwise kernels) against
PyTorch CUDA eager, in the same run. The goal of issue #8: within 1.5x of PyTorch eager.

Workloads (float32, cross-entropy, Adam with the same hyperparameters on both sides):

* ``MNIST MLP``: 784→256→256→10 with ReLU, batch 128;
* ``small CNN``: the CNN of ``funcdiff/examples/train.py`` (conv 1→32, pool, conv 32→64,
  pool, dense 256→128→10, ReLU, 3×3 kernels with padding 1, 2×2 max pooling) on a batch
  of 128 random 1×8×8 images, as the UCI digits are.

Each side first takes one step from the same parameters and the losses are compared (so
both compute the same thing); then steps are timed in rounds, interleaved, after a warm-up
that compiles every kernel, with the device synchronized before reading the clock. The
table gives the median ms per step, the ratio funcdiff / PyTorch, and funcdiff without
fusion (``FUNCDIFF_FUSION=0``'s code) to show what fusion buys. Without a GPU (or without
CuPy) it prints that it skipped and exits 0; without PyTorch it times funcdiff alone::

    python benchmarks/bench_gpu.py [--rounds 7] [--steps 30] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any

import numpy as np

GOAL = 1.5


def gpu_available() -> str | None:
    """None when a GPU is usable through CuPy, else why not."""
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "CuPy sees no GPU"
    except Exception as e:  # no CuPy, no driver
        return f"{type(e).__name__}: {e}"
    return None


# --- funcdiff ------------------------------------------------------------------------------


def fd_models() -> dict[str, Any]:
    import funcdiff as fd
    from funcdiff import nn
    from funcdiff.examples.train import CNN

    class MLP(nn.Module):
        def __init__(self, *, key: Any) -> None:
            k1, k2, k3 = fd.random.split(key, 3)
            self.fc1 = nn.Linear(784, 256, key=k1)
            self.fc2 = nn.Linear(256, 256, key=k2)
            self.fc3 = nn.Linear(256, 10, key=k3)

        def __call__(self, x: Any) -> Any:
            return self.fc3(nn.relu(self.fc2(nn.relu(self.fc1(x)))))

    return {"MNIST MLP": (MLP, (128, 784)), "small CNN": (CNN, (128, 1, 8, 8))}


def fd_step(fused: bool) -> Any:
    import funcdiff as fd
    from funcdiff import nn, optim
    from funcdiff.transforms import fusion

    opt = optim.adam(1e-3)

    def step(model, state, x, y):
        loss, g = fd.value_and_grad(lambda m: nn.cross_entropy(m(x), y))(model)
        updates, state = opt.update(g, state, model)
        return optim.apply_updates(model, updates), state, loss

    step.__name__ = "step_fused" if fused else "step_unfused"
    jitted = fd.jit(step, donate_argnums=(0, 1))
    return opt, jitted, (lambda: fusion.forced(fused))


# --- PyTorch -------------------------------------------------------------------------------


def torch_model(name: str, fd_model: Any) -> Any:
    """The PyTorch twin of a funcdiff model, with the same parameters (same layouts)."""
    import torch
    from torch import nn as tnn

    import funcdiff as fd

    if name == "MNIST MLP":
        m = tnn.Sequential(tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 256), tnn.ReLU(),
                           tnn.Linear(256, 10))
        pairs = [(m[0], fd_model.fc1), (m[2], fd_model.fc2), (m[4], fd_model.fc3)]
    else:
        m = tnn.Sequential(tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                           tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                           tnn.Flatten(), tnn.Linear(256, 128), tnn.ReLU(), tnn.Linear(128, 10))
        pairs = [(m[0], fd_model.conv1), (m[3], fd_model.conv2), (m[7], fd_model.fc1),
                 (m[9], fd_model.fc2)]
    with torch.no_grad():
        for t, f in pairs:
            t.weight.copy_(torch.from_numpy(fd.device_get(f.weight)))
            t.bias.copy_(torch.from_numpy(fd.device_get(f.bias)))
    return m.cuda()


def torch_step(model: Any) -> Any:
    import torch

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


# --- timing --------------------------------------------------------------------------------


def timed(fn: Any, steps: int, sync: Any) -> float:
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    sync()
    return (time.perf_counter() - t0) / steps * 1e3


def run(rounds: int, steps: int) -> list[dict]:
    import cupy

    import funcdiff as fd

    try:
        import torch

        has_torch = torch.cuda.is_available()
    except ImportError:
        has_torch = False
    rng = np.random.default_rng(0)
    results = []
    for name, (cls, shape) in fd_models().items():
        host_x = rng.normal(size=shape).astype(np.float32)
        host_y = rng.integers(0, 10, shape[0])
        x, y = fd.device_put(host_x, "gpu"), fd.device_put(host_y, "gpu")
        row: dict[str, Any] = {"workload": name}
        contenders = {}
        for fused in (True, False):
            opt, step, mode = fd_step(fused)
            model = fd.device_put(cls(key=fd.random.key(0)), "gpu")
            holder = {"m": model, "s": opt.init(model)}
            with mode():
                if fused:
                    row["fused kernels"] = len(step.lower(
                        holder["m"], holder["s"], x, y).kernels)
                # The first step (it traces and compiles); its inputs are donated.
                holder["m"], holder["s"], loss = step(holder["m"], holder["s"], x, y)
            row["funcdiff loss" if fused else "_"] = float(loss)

            def go(step=step, holder=holder, mode=mode, x=x, y=y):
                with mode():
                    holder["m"], holder["s"], _ = step(holder["m"], holder["s"], x, y)

            contenders["funcdiff" if fused else "funcdiff unfused"] = go
        if has_torch:
            tm = torch_model(name, cls(key=fd.random.key(0)))
            tstep = torch_step(tm)
            tx = torch.from_numpy(host_x).cuda()
            ty = torch.from_numpy(host_y).cuda()
            row["torch loss"] = float(tstep(tx, ty))
            contenders["torch eager"] = lambda tstep=tstep, tx=tx, ty=ty: tstep(tx, ty)
        sync = cupy.cuda.Device().synchronize
        if has_torch:
            def sync():
                cupy.cuda.Device().synchronize()
                torch.cuda.synchronize()
        for fn in contenders.values():  # warm-up: every kernel compiled, pools filled
            timed(fn, 5, sync)
        times: dict[str, list[float]] = {k: [] for k in contenders}
        order = list(contenders)
        for r in range(rounds):
            for k in (order if r % 2 == 0 else order[::-1]):
                times[k].append(timed(contenders[k], steps, sync))
        for k, ts in times.items():
            row[f"{k} ms"] = statistics.median(ts)
        if has_torch:
            row["ratio"] = row["funcdiff ms"] / row["torch eager ms"]
        row.pop("_", None)
        results.append(row)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--json", default=None, help="also write the results here")
    args = p.parse_args(argv)
    why = gpu_available()
    if why is not None:
        print(f"bench_gpu: skipped, no GPU through CuPy ({why})")
        return 0
    os.environ.setdefault("FUNCDIFF_BACKEND", "cupy")
    results = run(args.rounds, args.steps)
    print(f"{'workload':<12} {'funcdiff':>10} {'unfused':>10} {'torch':>10} {'ratio':>7} "
          f"{'kernels':>8}   losses (funcdiff / torch, first step)")
    worst = 0.0
    for r in results:
        ratio = r.get("ratio")
        worst = max(worst, ratio or 0.0)
        torch_ms = f"{r['torch eager ms']:10.3f}" if "torch eager ms" in r else f"{'-':>10}"
        print(f"{r['workload']:<12} {r['funcdiff ms']:10.3f} {r['funcdiff unfused ms']:10.3f} "
              f"{torch_ms} {'-' if ratio is None else f'{ratio:.2f}':>7} "
              f"{r['fused kernels']:>8}   {r['funcdiff loss']:.5f} / "
              f"{r.get('torch loss', float('nan')):.5f}")
    if any("ratio" in r for r in results):
        verdict = "met" if worst <= GOAL else "NOT met"
        print(f"goal: funcdiff jit within {GOAL}x of PyTorch eager: {verdict} "
              f"(worst ratio {worst:.2f})")
    else:
        print("PyTorch with CUDA is not installed: no comparison")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
