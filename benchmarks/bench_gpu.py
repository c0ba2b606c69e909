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


# --- counting backend calls (no GPU needed) --------------------------------------------------


class CallCounter:
    """Counts the strict backend's calls while installed, each attributed to the generated
    line (of the ``<jit ...>`` code registered with :meth:`watch`) that made it.

    It wraps the strict namespace's functions, the strict array's methods and operators,
    and each fused kernel's Python twin (one call, whatever the twin does inside).
    """

    ALLOC = frozenset({"empty", "empty_like"})

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], dict[str, int]] = {}
        self.sources: dict[str, list[str]] = {}
        self._depth = 0

    def watch(self, source: str, name: str) -> None:
        self.sources[f"<jit {name}>"] = source.splitlines()

    def reset(self) -> None:
        self.rows = {}

    def _where(self) -> tuple[str, int]:
        f = sys._getframe(2)
        while f is not None and f.f_code.co_filename not in self.sources:
            f = f.f_back
        return ("", 0) if f is None else (f.f_code.co_filename, f.f_lineno)

    def _note(self, kind: str, name: str) -> None:
        row = self.rows.setdefault(self._where(), {"kernels": 0, "views": 0, "allocs": 0})
        row[kind] += 1
        row.setdefault("names", []).append(name)  # type: ignore[attr-defined]

    def _classify(self, name: str, args: tuple, kwargs: dict, res: Any, owner: Any) -> str:
        import numpy as np

        from funcdiff.backend import strict

        if name in self.ALLOC:
            return "allocs"
        if kwargs.get("out") is not None or type(res) is not strict.StrictArray:
            return "kernels"
        ins = [a for v in (*args, *kwargs.values())
               for a in (v if type(v) in (tuple, list) else (v,))
               if type(a) is strict.StrictArray]
        if owner is not None:
            ins.append(owner)
        if any(np.may_share_memory(res._a, a._a) for a in ins):
            return "views"
        return "kernels"

    def _wrap(self, name: str, fn: Any, owner: Any = None) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            if self._depth:
                return fn(*args, **kwargs)
            self._depth += 1
            try:
                res = fn(*args, **kwargs)
            finally:
                self._depth -= 1
            self._note(self._classify(name, args, kwargs, res, owner), name)
            return res

        return counted

    def install(self) -> Any:
        """Patch the strict backend and fusion; returns a function undoing it."""
        from funcdiff.backend import strict
        from funcdiff.transforms import fusion

        undo = []

        def patch(owner: Any, attr: str, new: Any) -> None:
            undo.append((owner, attr, owner.__dict__.get(attr)))
            setattr(owner, attr, new)

        checked = strict._checked
        patch(strict, "_checked", lambda prefix, name, attr: self._wrap(
            prefix + name, checked(prefix, name, attr)))
        for k in [k for k, v in vars(strict.strict_np).items() if callable(v)]:
            del strict.strict_np.__dict__[k]  # made again, counted, on first use
        cls = strict.StrictArray
        for dunder in ("__getitem__", "__setitem__", *(
                d for d in vars(cls) if d.startswith("__") and d[2:-2] in _OPERATORS)):
            patch(cls, dunder, self._wrap(dunder.strip("_"), vars(cls)[dunder]))
        getattr_ = vars(cls)["__getattr__"]

        def get(arr: Any, name: str) -> Any:
            attr = getattr_(arr, name)
            return self._wrap(f".{name}", attr, arr) if callable(attr) else attr

        patch(cls, "__getattr__", get)
        bind = fusion.FusedKernel.bind
        patch(fusion.FusedKernel, "bind", lambda kern, xp: self._wrap(
            f"fused kernel {kern.name}", bind(kern, xp)))

        def restore() -> None:
            for owner, attr, old in reversed(undo):
                if old is None:
                    delattr(owner, attr)
                else:
                    setattr(owner, attr, old)
            for k in [k for k, v in vars(strict.strict_np).items() if callable(v)]:
                del strict.strict_np.__dict__[k]

        return restore

    def table(self) -> list[dict]:
        """One row per generated line that made calls: phase, primitive, counts."""
        out = []
        for (file, line), row in sorted(self.rows.items()):
            if not file:
                text, prim, phase = "", "(jit's call handling)", "call"
            else:
                text = self.sources[file][line - 1].strip()
                code, _, comment = text.partition("  # ")
                prim, _, where = comment.partition("  ")
                phase = _phase(where)
                text = code
            out.append({"line": line, "code": text, "primitive": prim, "phase": phase,
                        "kernels": row["kernels"], "views": row["views"],
                        "allocs": row["allocs"], "names": list(row["names"])})
        return out


_OPERATORS = frozenset({"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
                        "and", "or", "xor", "lshift", "rshift", "lt", "le", "gt", "ge", "eq",
                        "ne", "neg", "pos", "abs", "invert", "radd", "rsub", "rmul",
                        "rtruediv", "rmatmul"})
# Where step() (fd_step) computes the gradient and the optimizer's update: generated lines
# name the user line that made them, e.g. "bench_gpu.py:77 (step)".
_STEP_LINES: dict[str, int] = {}


def _phase(where: str) -> str:
    if not where.startswith("bench_gpu.py:") or not where.endswith("(step)"):
        return "forward"  # the model and the loss
    line = int(where.split(":")[1].split()[0])
    return "backward" if line == _STEP_LINES["grad"] else "optimizer"


def count(verbose: bool) -> list[dict]:
    """Backend calls of one fused, jitted training step per workload, on the strict
    backend (see the module's docstring)."""
    import inspect

    os.environ["FUNCDIFF_BACKEND"] = "strict"
    import funcdiff as fd
    from funcdiff import backend

    if backend.get_backend().name != "strict":
        raise SystemExit("--count needs funcdiff on the strict backend: run it in a fresh "
                         "process")
    src, first = inspect.getsourcelines(fd_step)
    for k, text in enumerate(src):
        if "value_and_grad" in text:
            _STEP_LINES["grad"] = first + k
    counter = CallCounter()
    restore = counter.install()
    rng = np.random.default_rng(0)
    results = []
    try:
        for name, (cls, shape) in fd_models().items():
            x = fd.device_put(rng.normal(size=shape).astype(np.float32))
            y = fd.device_put(rng.integers(0, 10, shape[0]))
            opt, step, mode = fd_step(True)
            model = cls(key=fd.random.key(0))
            m, s = model, opt.init(model)
            with mode():
                lowered = step.lower(m, s, x, y)
                counter.watch(lowered.source, step.__name__)
                m, s, _ = step(m, s, x, y)  # compiles
                counter.reset()
                m, s, _ = step(m, s, x, y)
            rows = counter.table()
            counter.reset()
            results.append({"workload": name, "fused kernels": len(lowered.kernels),
                            "rows": rows})
    finally:
        restore()
    for r in results:
        print_counts(r, verbose)
    return results


def print_counts(result: dict, verbose: bool) -> None:
    rows = result["rows"]
    tot = {k: sum(r[k] for r in rows) for k in ("kernels", "views", "allocs")}
    print(f"{result['workload']}: {sum(tot.values())} backend calls per step: "
          f"{tot['kernels']} kernels ({result['fused kernels']} distinct fused ones), "
          f"{tot['views']} views, {tot['allocs']} allocs")
    groups: dict[tuple[str, str], dict[str, int]] = {}
    for r in rows:
        g = groups.setdefault((r["phase"], r["primitive"]), {"kernels": 0, "views": 0,
                                                              "allocs": 0, "lines": 0})
        g["lines"] += 1
        for k in ("kernels", "views", "allocs"):
            g[k] += r[k]
    print(f"  {'phase':<10} {'primitive':<22} {'lines':>5} {'calls':>6} {'kernels':>8} "
          f"{'views':>6} {'allocs':>6}")
    for (phase, prim), g in sorted(groups.items(), key=lambda kv: (
            ["call", "forward", "backward", "optimizer"].index(kv[0][0]), -kv[1]["kernels"])):
        calls = g["kernels"] + g["views"] + g["allocs"]
        print(f"  {phase:<10} {prim:<22} {g['lines']:>5} {calls:>6} {g['kernels']:>8} "
              f"{g['views']:>6} {g['allocs']:>6}")
    if verbose:
        for r in rows:
            calls = r["kernels"] + r["views"] + r["allocs"]
            print(f"    {calls:>3} ({r['kernels']} k) {r['phase']:<9} {r['code'][:60]:<60} "
                  f"{' '.join(r['names'])[:120]}")
    print()


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
    p.add_argument("--count", action="store_true",
                   help="count the backend calls per step on the strict backend (no GPU)")
    p.add_argument("-v", "--verbose", action="store_true", help="with --count: every line")
    args = p.parse_args(argv)
    if args.count:
        counts = count(args.verbose)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(counts, f, indent=2)
        return 0
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
