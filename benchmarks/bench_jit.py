"""``fd.jit`` against hand-written NumPy, eager funcdiff, JAX's jit and PyTorch (eager).

Two workloads, each a forward and a backward pass:

* ``mlp``: one SGD training step of a 784-256-256-10 ReLU network on a batch of 128, with a
  softmax cross-entropy loss written in ``funcdiff.numpy`` (``grad`` and the update under
  one ``jit``). The NumPy baseline is the step written by hand with the fewest calls.
* ``elementwise``: ``value_and_grad`` of a scalar function made of a dozen elementwise
  operations on 65,536 floats (no matrix products, so the framework's overhead and its
  memory traffic show).

It prints, for each workload, the time of one step and the ratio to hand-written NumPy,
and the time ``jit`` takes to trace and to optimize+compile. Peers that are not installed
are skipped. BLAS runs on one thread (``OPENBLAS_NUM_THREADS=1`` unless already set), so
every contender uses the same matrix-product code and the timing is stable on a shared
machine. Run it with any interpreter that imports funcdiff::

    python benchmarks/bench_jit.py
    PYTHONPATH=. /tmp/peers/bin/python benchmarks/bench_jit.py   # with JAX

This is a measurement, not a test: it asserts only that every contender computes the same
numbers.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import funcdiff as fd  # noqa: E402
import funcdiff.numpy as fnp  # noqa: E402

SIZES = (784, 256, 256, 10)
BATCH = 128
LR = 0.1


def best_ms(fn, *, number: int, repeat: int = 7) -> float:
    """The best of ``repeat`` averages over ``number`` calls, in milliseconds."""
    return best_of({"fn": (fn, number)}, repeat)["fn"]


def best_of(fns: dict, repeat: int) -> dict:
    """``{name: best ms}`` for ``{name: (fn, number)}``, the contenders interleaved round by
    round, so that a busy moment of a shared machine slows all of them alike."""
    best = {}
    for fn, _ in fns.values():
        fn()
    for _ in range(repeat):
        for name, (fn, number) in fns.items():
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            ms = (time.perf_counter() - t0) / number * 1e3
            best[name] = min(best.get(name, ms), ms)
    return best


def block(x):
    for leaf in fd.tree.leaves(x):
        if hasattr(leaf, "block_until_ready"):
            leaf.block_until_ready()
    return x


# --- the MLP step ---------------------------------------------------------------------------


def make_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    params = []
    for a, b in zip(SIZES[:-1], SIZES[1:]):
        params.append(((rng.normal(size=(a, b)) / np.sqrt(a)).astype(np.float32),
                       (rng.normal(size=b) * 0.1).astype(np.float32)))
    x = rng.normal(size=(BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=BATCH).astype(np.int32)
    return params, x, y


def fd_loss(params, x, y):
    h = x
    for i, (w, b) in enumerate(params):
        h = h @ w + b
        if i < len(params) - 1:
            h = fnp.maximum(h, 0.0)
    z = h - fd.stop_gradient(fnp.max(h, axis=1, keepdims=True))
    lse = fnp.log(fnp.sum(fnp.exp(z), axis=1))
    picked = fnp.take_along_axis(z, y[:, None], axis=1)[:, 0]
    return fnp.mean(lse - picked)


def fd_step(params, x, y):
    grads = fd.grad(fd_loss)(params, x, y)
    return [(w - LR * gw, b - LR * gb) for (w, b), (gw, gb) in zip(params, grads)]


def np_step(params, x, y):
    """The same step by hand: forward, softmax cross-entropy, backward, update."""
    grads = np_step_grads(params, x, y)
    return [(w - LR * gw, b - LR * gb) for (w, b), (gw, gb) in zip(params, grads)]


def np_step_inplace(params, x, y):
    """:func:`np_step` updating the parameters in place (no new arrays for them)."""
    new = np_step_grads(params, x, y)
    for (w, b), (gw, gb) in zip(params, new):
        gw *= LR
        w -= gw
        gb *= LR
        b -= gb
    return params


def np_step_grads(params, x, y):
    """The gradients by hand, in the fewest NumPy calls."""
    (w1, b1), (w2, b2), (w3, b3) = params
    h1 = x @ w1
    h1 += b1
    a1 = np.maximum(h1, 0)
    h2 = a1 @ w2
    h2 += b2
    a2 = np.maximum(h2, 0)
    z = a2 @ w3
    z += b3
    z -= z.max(axis=1, keepdims=True)
    g = np.exp(z)
    g /= g.sum(axis=1, keepdims=True)
    g[np.arange(len(y)), y] -= 1
    g /= len(y)
    gw3, gb3 = a2.T @ g, g.sum(0)
    d2 = g @ w3.T
    d2 *= h2 > 0
    gw2, gb2 = a1.T @ d2, d2.sum(0)
    d1 = d2 @ w2.T
    d1 *= h1 > 0
    return [(x.T @ d1, d1.sum(0)), (gw2, gb2), (gw3, gb3)]


# --- the elementwise function -----------------------------------------------------------------


def fd_elem(x):
    t = fnp.tanh(x)
    e = fnp.exp(-x * x)
    return fnp.sum(t * e + 0.5 * fnp.sin(x) - fnp.log1p(x * x) + fnp.abs(x) * 0.1)


def np_elem(x):
    """Value and gradient by hand, with as few calls as possible."""
    x2 = x * x
    t = np.tanh(x)
    e = np.exp(-x2)
    val = (t * e + 0.5 * np.sin(x) - np.log1p(x2) + 0.1 * np.abs(x)).sum()
    g = (1 - t * t - 2 * x * t) * e + 0.5 * np.cos(x) - 2 * x / (1 + x2) + 0.1 * np.sign(x)
    return val, g


# --- peers ------------------------------------------------------------------------------------


def jax_contenders(params, x, y, xe):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}

    def loss(params, x, y):
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w + b
            if i < len(params) - 1:
                h = jnp.maximum(h, 0.0)
        z = h - jax.lax.stop_gradient(jnp.max(h, axis=1, keepdims=True))
        lse = jnp.log(jnp.sum(jnp.exp(z), axis=1))
        picked = jnp.take_along_axis(z, y[:, None], axis=1)[:, 0]
        return jnp.mean(lse - picked)

    @jax.jit
    def step(params, x, y):
        grads = jax.grad(loss)(params, x, y)
        return [(w - LR * gw, b - LR * gb) for (w, b), (gw, gb) in zip(params, grads)]

    def elem(x):
        t = jnp.tanh(x)
        e = jnp.exp(-x * x)
        return jnp.sum(t * e + 0.5 * jnp.sin(x) - jnp.log1p(x * x) + jnp.abs(x) * 0.1)

    velem = jax.jit(jax.value_and_grad(elem))
    jp = jax.tree_util.tree_map(jnp.asarray, params)
    jx, jy, jxe = jnp.asarray(x), jnp.asarray(y), jnp.asarray(xe)
    return {
        "mlp": lambda: jax.block_until_ready(step(jp, jx, jy)),
        "elementwise": lambda: jax.block_until_ready(velem(jxe)),
        "mlp_out": lambda: step(jp, jx, jy),
    }


def torch_contenders(params, x, y, xe):
    try:
        import torch
    except ImportError:
        return {}
    torch.set_num_threads(1)
    tp = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
          for w, b in params]
    tx, ty, txe = torch.tensor(x), torch.tensor(y, dtype=torch.long), torch.tensor(xe)

    def step():
        h = tx
        for i, (w, b) in enumerate(tp):
            h = h @ w + b
            if i < len(tp) - 1:
                h = torch.relu(h)
        loss = torch.nn.functional.cross_entropy(h, ty)
        grads = torch.autograd.grad(loss, [p for pair in tp for p in pair])
        with torch.no_grad():
            return [p - LR * g for p, g in zip([p for pair in tp for p in pair], grads)]

    def elem():
        v = txe.detach().requires_grad_(True)
        t = torch.tanh(v)
        out = torch.sum(t * torch.exp(-v * v) + 0.5 * torch.sin(v) - torch.log1p(v * v)
                        + torch.abs(v) * 0.1)
        return out, torch.autograd.grad(out, v)[0]

    return {"mlp": step, "elementwise": elem}


# --- the report -------------------------------------------------------------------------------


def check_same(ours, theirs, what: str, rtol: float = 1e-4) -> None:
    a = [np.asarray(fd.device_get(v)) for v in fd.tree.leaves(ours)]
    b = [np.asarray(v) for v in fd.tree.leaves(theirs)]
    for u, v in zip(a, b, strict=True):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=rtol, err_msg=what)


def compile_times(params, x, y, xe) -> list[tuple[str, float, float, float]]:
    """(workload, trace ms, optimize+compile ms, first call ms) with a fresh cache."""
    rows = []
    for name, fn, args in (("mlp", fd_step, (params, x, y)),
                           ("elementwise", fd.value_and_grad(fd_elem), (xe,))):
        best = None
        for _ in range(5):
            f = fd.jit(lambda *a, _fn=fn: _fn(*a))  # a new function: a cold cache
            t0 = time.perf_counter()
            block(f(*args))
            first = (time.perf_counter() - t0) * 1e3
            low = f.lower(*args)
            row = (name, low.trace_ms, low.compile_ms, first)
            best = row if best is None or row[3] < best[3] else best
        rows.append(best)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    opts = ap.parse_args()
    reps = 3 if opts.quick else 15
    params_np, x_np, y_np = make_data()
    assert all(w.dtype == b.dtype == np.float32 for w, b in params_np) and x_np.dtype == np.float32
    xe_np = np.random.default_rng(1).normal(size=(256, 256)).astype(np.float32)
    params = [(fnp.asarray(w), fnp.asarray(b)) for w, b in params_np]
    x, y, xe = fnp.asarray(x_np), fnp.asarray(y_np), fnp.asarray(xe_np)

    jit_step = fd.jit(fd_step)
    jit_elem = fd.jit(fd.value_and_grad(fd_elem))
    donated = fd.jit(fd_step, donate_argnums=0)
    check_same(jit_step(params, x, y), np_step(params_np, x_np, y_np), "mlp: jit vs numpy")
    check_same(jit_elem(xe), np_elem(xe_np), "elementwise: jit vs numpy", rtol=1e-3)

    def donated_step():
        # Fresh copies each time keep the donated buffers private; their cost is subtracted.
        ps = [(fnp.array(w), fnp.array(b)) for w, b in params]
        return block(donated(ps, x, y))

    contenders = {
        "mlp": {
            "numpy (by hand)": lambda: np_step(params_np, x_np, y_np),
            "numpy (by hand, in-place update)": lambda: np_step_inplace(
                [(w.copy(), b.copy()) for w, b in params_np], x_np, y_np),
            "funcdiff jit": lambda: block(jit_step(params, x, y)),
            "funcdiff eager": lambda: block(fd_step(params, x, y)),
        },
        "elementwise": {
            "numpy (by hand)": lambda: np_elem(xe_np),
            "funcdiff jit": lambda: block(jit_elem(xe)),
            "funcdiff eager": lambda: block(fd.value_and_grad(fd_elem)(xe)),
        },
    }
    copy_ms = best_ms(lambda: [(fnp.array(w), fnp.array(b)) for w, b in params], number=20,
                      repeat=reps)
    np_copy_ms = best_ms(lambda: [(w.copy(), b.copy()) for w, b in params_np], number=20,
                         repeat=reps)
    peers = {"jax jit": jax_contenders(params_np, x_np, y_np, xe_np),
             "torch eager": torch_contenders(params_np, x_np, y_np, xe_np)}
    if "mlp_out" in peers["jax jit"]:
        check_same(jit_step(params, x, y), peers["jax jit"]["mlp_out"](), "mlp: jit vs jax")
    for name, fns in peers.items():
        for work, fn in fns.items():
            if work in contenders:
                contenders[work][name] = fn

    print(f"funcdiff jit benchmark (numpy {np.__version__}, BLAS threads "
          f"{os.environ['OPENBLAS_NUM_THREADS']}; best of {reps} runs)\n")
    for work, fns in contenders.items():
        number = 10 if work == "mlp" else 20
        timed = {k: (f, number if "eager" not in k else 3) for k, f in fns.items()}
        if work == "mlp":
            timed["funcdiff jit, donated params"] = (donated_step, number)
        times = best_of(timed, reps)
        if work == "mlp":
            # Both time fresh copies of the parameters (they are overwritten): not counted.
            times["numpy (by hand, in-place update)"] -= np_copy_ms
            times["funcdiff jit, donated params"] -= copy_ms
        base = times["numpy (by hand)"]
        print(f"{work:<12} {'time (ms)':>10} {'/ numpy':>9}")
        for k, t in times.items():
            print(f"  {k:<30} {t:>8.3f} {t / base:>8.2f}x")
        missing = [p for p in ("jax jit", "torch eager") if p not in fns]
        if missing:
            print(f"  (not installed: {', '.join(missing)})")
        print()
    print(f"{'trace + compile':<16} {'trace':>9} {'compile':>9} {'first call':>11}  (ms)")
    for name, tr, co, first in compile_times(params, x, y, xe):
        print(f"  {name:<14} {tr:>9.2f} {co:>9.2f} {first:>11.2f}")


if __name__ == "__main__":
    main()
