"""The main job (a first version): fit a small tanh network to a curve with ``fd.grad``.

The digits classifier of the data-loading work replaces this with a real dataset.
"""

from __future__ import annotations

import time

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp


def init(rng: np.random.Generator, sizes: list[int]) -> list[dict]:
    return [{"w": fnp.asarray(rng.normal(0, 1 / np.sqrt(m), (m, n)).astype(np.float32)),
             "b": fnp.zeros(n)} for m, n in zip(sizes[:-1], sizes[1:])]


def predict(params: list[dict], x):
    for layer in params[:-1]:
        x = fnp.tanh(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


def loss(params: list[dict], x, y):
    return fnp.mean((predict(params, x) - y) ** 2)


def main(epochs: int = 200, lr: float = 0.1) -> float:
    rng = np.random.default_rng(0)
    x = fnp.asarray(np.linspace(-2, 2, 256, dtype=np.float32)[:, None])
    y = fnp.sin(3 * x)
    params = init(rng, [1, 32, 32, 1])
    step = fd.value_and_grad(loss)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        value, grads = step(params, x, y)
        params = fd.tree.map(lambda p, g: p - lr * g, params, grads)
        if epoch % 20 == 0 or epoch == 1:
            print(f"epoch {epoch:4d}/{epochs}  loss {float(value):.5f}", flush=True)
    print(f"done in {time.perf_counter() - start:.1f}s, final loss {float(value):.5f}")
    return float(value)


if __name__ == "__main__":
    main()
