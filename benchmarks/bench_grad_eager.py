"""Eager reverse mode: ``fd.grad`` of small functions (no jit) against HIPS autograd.

Small arrays make every operation cheap, so the time is the framework's own cost per
operation: dispatch through the interpreters, shape rules, array wrapping, promotion and
the backward pass. For each function the script prints the time of one gradient call, the
cost per primitive operation of the forward pass (counted in funcdiff's jaxpr) and the
ratio funcdiff / autograd. Peers that are not installed are skipped.

funcdiff's figure is the steady state of a loop: from the second call with the same tape
structure, the backward pass runs as generated code (``funcdiff/transforms/ad_compiled.py``).
Two more columns give the other side of that: ``walk``, a call that walks the tape
equation by equation (every first call of a structure, or ``eager_backward_compile``
off), and ``compile``, what the call that compiles a structure costs once, in ms.

Run it with any interpreter that can import funcdiff; autograd is compared when present::

    python benchmarks/bench_grad_eager.py
    PYTHONPATH=. /tmp/peers/bin/python benchmarks/bench_grad_eager.py   # with autograd

``--profile NAME`` prints a cProfile of funcdiff's gradient of one function instead.
"""

from __future__ import annotations

import argparse
import cProfile
import math
import pstats
import sys
import time
import timeit

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.transforms import ad_compiled

try:  # an optional peer
    import autograd
    import autograd.numpy as anp
except ImportError:  # pragma: no cover - depends on the environment
    autograd = anp = None


# Each case is written once against a NumPy-like module ``m`` and called as fn(m, *args).

def scalar_chain(m, x):
    return m.sin(x) * m.cos(x) + m.exp(-x * x) / (1.0 + x * x)


def tanh_layer(m, w, x):
    return m.sum(m.tanh(m.dot(w, x) + 0.5) ** 2)


def mlp(m, w1, w2, x):
    h = m.tanh(m.dot(x, w1))
    return m.mean((m.dot(h, w2) - 1.0) ** 2)


def logistic(m, w, x, y):
    z = m.dot(x, w)
    return m.mean(m.log(1.0 + m.exp(-y * z)))


def poly_loop(m, x):
    acc = x
    for k in range(20):
        acc = acc * x + float(k)
    return m.sum(acc)


def _cases(rng: np.random.Generator) -> dict:
    f32 = lambda *s: rng.normal(size=s).astype(np.float32)
    return {
        "scalar_chain": (scalar_chain, [np.float32(0.3)]),
        "tanh_layer": (tanh_layer, [f32(8, 8), f32(8)]),
        "mlp": (mlp, [f32(8, 16), f32(16, 4), f32(4, 8)]),
        "logistic": (logistic, [f32(5), f32(16, 5), np.sign(f32(16))]),
        "poly_loop": (poly_loop, [f32(4)]),
    }


def _count_ops(fn, args) -> int:
    jaxpr = fd.make_jaxpr(lambda *a: fn(fnp, *a))(*args)
    return len(jaxpr.eqns)


def _time(calls: list, number: int, rounds: int = 7) -> list[float]:
    """Best time per call of each callable, in rounds that alternate between them.

    CPU time of this process (``time.process_time``), so other programs running on the
    machine disturb the comparison as little as possible; alternating rounds spread what
    disturbance remains over all the callables alike.
    """
    for call in calls:
        call()  # warm up
    best = [math.inf] * len(calls)
    for _ in range(rounds):
        for i, call in enumerate(calls):
            t = timeit.Timer(call, timer=time.process_time).timeit(number)
            best[i] = min(best[i], t / number)
    return best


def _walk(g, args):
    fd.config.update("eager_backward_compile", False)
    try:
        return g(*args)
    finally:
        fd.config.update("eager_backward_compile", True)


def _compile_ms(g, args, tries: int = 5) -> float:
    """Best time of the call that compiles the backward pass (the second of a structure)."""
    best = math.inf
    for _ in range(tries):
        ad_compiled.clear()
        g(*args)
        t0 = time.perf_counter()
        g(*args)
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def run(number: int) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for name, (fn, host_args) in _cases(rng).items():
        fd_args = [fnp.asarray(a) for a in host_args]
        fd_grad = fd.grad(lambda *a, fn=fn: fn(fnp, *a))
        ops = _count_ops(fn, fd_args)
        compile_ms = _compile_ms(fd_grad, fd_args)
        calls = [lambda g=fd_grad, a=fd_args: g(*a), lambda g=fd_grad, a=fd_args: _walk(g, a)]
        if autograd is not None:
            ag_grad = autograd.grad(lambda *a, fn=fn: fn(anp, *a))
            ref = ag_grad(*host_args)
            got = fd.device_get(fd_grad(*fd_args))
            assert np.allclose(ref, got, rtol=1e-4, atol=1e-5), (name, ref, got)
            calls.append(lambda g=ag_grad, a=host_args: g(*a))
        times = _time(calls, number)
        rows.append((name, ops, times[0], times[2] if len(times) > 2 else None, times[1],
                     compile_ms))
    print(f"eager grad, CPU time per call, best of 7 rounds of {number} (microseconds)")
    print(f"{'function':14} {'ops':>4} {'funcdiff':>10} {'per op':>8} {'autograd':>10} "
          f"{'per op':>8} {'ratio':>6} {'walk':>8} {'ratio':>6} {'compile':>8}")
    for name, ops, t_fd, t_ag, t_walk, c_ms in rows:
        ag = f"{t_ag * 1e6:10.1f} {t_ag * 1e6 / ops:8.2f} {t_fd / t_ag:6.2f}" if t_ag else \
            f"{'-':>10} {'-':>8} {'-':>6}"
        walk = f"{t_walk * 1e6:8.1f} " + (f"{t_walk / t_ag:6.2f}" if t_ag else f"{'-':>6}")
        print(f"{name:14} {ops:4d} {t_fd * 1e6:10.1f} {t_fd * 1e6 / ops:8.2f} {ag} {walk} "
              f"{c_ms:6.1f}ms")
    if autograd is None:
        print("autograd is not installed: no comparison (pip install autograd)")


def profile(name: str, number: int) -> None:
    fn, host_args = _cases(np.random.default_rng(0))[name]
    fd_args = [fnp.asarray(a) for a in host_args]
    g = fd.grad(lambda *a: fn(fnp, *a))
    g(*fd_args)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(number):
        g(*fd_args)
    prof.disable()
    pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=200, help="calls per timing")
    parser.add_argument("--profile", metavar="NAME", help="cProfile one case instead")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, args.number)
    else:
        run(args.number)


if __name__ == "__main__":
    main()
