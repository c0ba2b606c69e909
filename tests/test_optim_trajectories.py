"""fd.optim over long runs: 60-step trajectories on a parabola and on the Rosenbrock function,
and schedules far into training, against optax's numbers.

Both libraries see the same gradients: each step computes them on the host in float32 from
the current parameters (``parabola_grad``, ``rosenbrock_grad``), so the comparison measures
the optimizers only. The tables at the bottom hold the parameters after steps 1, 10, 20, …,
60 (``CHECKPOINTS``) and the schedules' values at ``SCHEDULE_STEPS``. They were generated once
with optax 0.2.8 (jax 0.10.2, float32, CPU) by running this file as a script, which builds
the very same optimizers from optax (the table ``optimizers(o)`` takes the library as an
argument, since the names and arguments agree)::

    python tests/test_optim_trajectories.py    # needs jax and optax; prints the tables
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import optim

STEPS = 60
CHECKPOINTS = (1, 10, 20, 30, 40, 50, 60)
SCHEDULE_STEPS = (0, 1, 7, 10, 99, 100, 101, 250, 999, 1000, 1001, 5000)

# --- the two problems (gradients in host float32, identical for both libraries) ------------

CURVATURE = np.array([1.0, 4.0, 0.25], np.float32)


def parabola_start():
    return {"w": np.array([1.0, -1.5, 2.0], np.float32), "b": np.array(-0.5, np.float32)}


def parabola_grad(p):
    # f = 0.5 * sum(c * w**2) + 1.5 * (b - 1)**2: an ill-conditioned bowl, minimum (0, 1).
    return {"w": CURVATURE * p["w"], "b": np.float32(3.0) * (p["b"] - np.float32(1.0))}


def rosenbrock_start():
    return {"xy": np.array([-1.2, 1.0], np.float32)}


def rosenbrock_grad(p):
    # f = (1 - x)**2 + 100 (y - x**2)**2: the curved valley, minimum (1, 1).
    x, y = p["xy"]
    r = y - x * x
    gx = np.float32(-2.0) * (np.float32(1.0) - x) - np.float32(400.0) * x * r
    gy = np.float32(200.0) * r
    return {"xy": np.array([gx, gy], np.float32)}


PROBLEMS = {"parabola": (parabola_start, parabola_grad),
            "rosenbrock": (rosenbrock_start, rosenbrock_grad)}


def optimizers(o):
    """The optimizers under test, built from ``o`` (``funcdiff.optim`` or ``optax``)."""
    return {
        "sgd": o.sgd(1e-3),
        "sgd_momentum": o.sgd(5e-4, momentum=0.9),
        "sgd_nesterov": o.sgd(5e-4, momentum=0.9, nesterov=True),
        "adam": o.adam(0.02),
        "adam_b": o.adam(0.01, b1=0.5, b2=0.9, eps=1e-6),
        "adamw": o.adamw(0.02, weight_decay=0.05),
        "rmsprop": o.rmsprop(3e-3),
        "rmsprop_centered": o.rmsprop(3e-3, centered=True),
        "rmsprop_centered_momentum": o.rmsprop(1e-3, decay=0.95, centered=True, momentum=0.5),
        "adagrad": o.adagrad(0.05),
        "lion": o.lion(3e-3),
        "lion_decay": o.lion(1e-3, b1=0.95, b2=0.98, weight_decay=0.1),
        "clip_sgd_exponential": o.chain(
            o.clip_by_global_norm(1.0), o.sgd(o.exponential_decay(0.05, 10, 0.8))),
        "clip_adamw_warmup_cosine": o.chain(
            o.clip_by_global_norm(0.5),
            o.adamw(o.warmup_cosine_decay_schedule(0.0, 0.05, 10, 60, end_value=1e-3),
                    weight_decay=1e-2)),
        "adam_piecewise": o.adam(o.piecewise_constant_schedule(0.03, {20: 0.5, 40: 0.2})),
        "sgd_momentum_cosine": o.sgd(o.cosine_decay_schedule(5e-4, 60, alpha=0.1),
                                     momentum=0.8),
        "lion_linear": o.lion(o.linear_schedule(3e-3, 1e-4, 50, transition_begin=5),
                              weight_decay=0.0),
    }


def schedules(o):
    """Schedules over a 1000-step run, built from ``o``."""
    return {
        "constant": o.constant_schedule(3e-4),
        "linear": o.linear_schedule(1e-3, 1e-5, 900, transition_begin=100),
        "polynomial": o.polynomial_schedule(1e-2, 1e-4, 3.0, 1000, transition_begin=7),
        "exponential": o.exponential_decay(1e-3, 100, 0.9),
        "exponential_staircase": o.exponential_decay(1e-3, 100, 0.5, transition_begin=10,
                                                     staircase=True, end_value=1e-5),
        "cosine": o.cosine_decay_schedule(1e-3, 1000, alpha=0.05),
        "cosine_exponent": o.cosine_decay_schedule(2e-3, 1000, exponent=1.5),
        "warmup_cosine": o.warmup_cosine_decay_schedule(0.0, 1e-3, 100, 1000, end_value=1e-5),
        "warmup_exponential": o.warmup_exponential_decay_schedule(1e-5, 1e-3, 100, 250, 0.5,
                                                                  end_value=1e-4),
        "piecewise": o.piecewise_constant_schedule(0.1, {100: 0.1, 250: 0.5, 1000: 0.1}),
        "join": o.join_schedules([o.linear_schedule(0.0, 1.0, 10),
                                  o.exponential_decay(1.0, 100, 0.5)], [10]),
    }


def trajectory(o, asarray, opt, problem, step=None):
    """Parameters (flattened, float32) after each step in ``CHECKPOINTS``.

    ``asarray`` makes the library's arrays from host ones; ``step(p, state, g)`` (default:
    ``opt.update`` then ``o.apply_updates``) is the training step, so it can be jitted.
    """
    start, grad = PROBLEMS[problem]
    if step is None:
        def step(p, state, g):
            updates, state = opt.update(g, state, p)
            return o.apply_updates(p, updates), state
    p = {k: asarray(v) for k, v in start().items()}
    state = opt.init(p)
    out = []
    for i in range(1, STEPS + 1):
        g = grad({k: np.asarray(host(v) if isinstance(v, fd.Array) else v, np.float32)
                  for k, v in p.items()})
        p, state = step(p, state, {k: asarray(v) for k, v in g.items()})
        if i in CHECKPOINTS:
            out.append(np.concatenate([np.ravel(host(v) if isinstance(v, fd.Array) else v)
                                       for _, v in sorted(p.items())]).astype(np.float32))
    return out


CASES = [(prob, name) for prob in PROBLEMS for name in optimizers(optim)]


def assert_matches(got, prob, name):
    for step, g, ref in zip(CHECKPOINTS, got, TRAJECTORIES[prob][name], strict=True):
        np.testing.assert_allclose(g, np.array(ref, np.float32), rtol=1e-4, atol=1e-5,
                                   err_msg=f"{name} on the {prob}, step {step}")


@pytest.mark.parametrize(("prob", "name"), CASES)
def test_trajectory_matches_optax(prob, name):
    got = trajectory(optim, fnp.asarray, optimizers(optim)[name], prob)
    assert_matches(got, prob, name)


@pytest.mark.parametrize("name", ["adam", "rmsprop_centered", "clip_adamw_warmup_cosine",
                                  "lion_linear"])
def test_jitted_step_matches_optax(name):
    opt = optimizers(optim)[name]

    @fd.jit
    def step(p, state, g):
        updates, state = opt.update(g, state, p)
        return optim.apply_updates(p, updates), state

    got = trajectory(optim, fnp.asarray, opt, "rosenbrock", step=step)
    assert_matches(got, "rosenbrock", name)


def test_trajectories_make_progress():
    # The references are not degenerate: every optimizer lowers the parabola's loss.
    def loss(flat):
        b, w = flat[0], flat[1:]
        return 0.5 * float(np.sum(CURVATURE * w * w)) + 1.5 * float((b - 1) ** 2)

    start = np.concatenate([[parabola_start()["b"]], parabola_start()["w"]])
    for name, traj in TRAJECTORIES["parabola"].items():
        assert loss(np.array(traj[-1])) < loss(start), name


@pytest.mark.parametrize("name", list(schedules(optim)))
def test_schedule_matches_optax_at_chosen_steps(name):
    sched = schedules(optim)[name]
    got = [float(host(fnp.asarray(sched(fnp.array(s, fnp.int32))))) for s in SCHEDULE_STEPS]
    np.testing.assert_allclose(got, SCHEDULES[name], rtol=2e-6, atol=1e-10, err_msg=name)
    # Python ints give the same numbers as the int32 counts kept in optimizer states.
    got_int = [float(host(fnp.asarray(sched(s)))) for s in SCHEDULE_STEPS]
    np.testing.assert_allclose(got_int, SCHEDULES[name], rtol=2e-6, atol=1e-10, err_msg=name)


def test_schedule_state_counts_steps():
    # A schedule as a learning rate is evaluated at the step count kept in the state, which
    # starts at 0: the k-th update (k = 1, 2, …) uses schedule(k - 1), as in optax.
    sched = optim.exponential_decay(1.0, 1, 0.5)
    opt = optim.sgd(sched)
    p = fnp.zeros(1)
    state = opt.init(p)
    for k in range(1, 5):
        updates, state = opt.update(fnp.ones(1), state, p)
        assert float(host(updates)[0]) == pytest.approx(-(0.5 ** (k - 1)))
    assert int(host(state[-1].count)) == 4


# --- regenerating the tables -----------------------------------------------------------------


def _print_references() -> None:  # pragma: no cover - run by hand with optax installed
    import jax
    import jax.numpy as jnp
    import optax

    jax.config.update("jax_platforms", "cpu")
    print(f"# optax {optax.__version__}, jax {jax.__version__}")
    print("TRAJECTORIES = {")
    for prob in PROBLEMS:
        print(f"    {prob!r}: {{")
        for name, opt in optimizers(optax).items():
            rows = trajectory(optax, jnp.asarray, opt, prob)
            text = ", ".join("[" + ", ".join(f"{v:.9g}" for v in r) + "]" for r in rows)
            print(f"        {name!r}: [{text}],")
        print("    },")
    print("}")
    print("SCHEDULES = {")
    for name, sched in schedules(optax).items():
        vals = [float(sched(jnp.array(s, jnp.int32))) for s in SCHEDULE_STEPS]
        print(f"    {name!r}: [" + ", ".join(f"{v:.9g}" for v in vals) + "],")
    print("}")


if __name__ == "__main__":
    _print_references()
