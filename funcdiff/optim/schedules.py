"""Schedules: functions from a step count to a value (a learning rate, a weight decay…).

Each is a pure function of the step, written in ``funcdiff.numpy`` operations as optax writes
its own, so it accepts a Python int or an int32 array (the ``count`` kept in optimizer states)
and is traceable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .. import numpy as fnp
from .base import Schedule


def constant_schedule(value: Any) -> Schedule:
    """``value`` at every step.

    Examples:
        >>> import funcdiff as fd
        >>> fd.optim.constant_schedule(0.1)(1000)
        0.1
    """
    return lambda count: value


def polynomial_schedule(init_value: Any, end_value: Any, power: Any, transition_steps: int,
                        transition_begin: int = 0) -> Schedule:
    r"""From ``init_value`` to ``end_value`` along :math:`(1 - t/T)^{power}` over
    ``transition_steps`` steps, after ``transition_begin`` constant steps.

    Examples:
        >>> import funcdiff as fd
        >>> s = fd.optim.polynomial_schedule(1.0, 0.0, power=2, transition_steps=10)
        >>> float(s(5))
        0.25
    """
    if transition_steps <= 0:
        return lambda count: init_value
    transition_begin = max(transition_begin, 0)

    def schedule(count: Any) -> Any:
        count = fnp.clip(fnp.asarray(count) - transition_begin, 0, transition_steps)
        frac = 1 - count / transition_steps
        return (init_value - end_value) * (frac ** power) + end_value

    return schedule


def linear_schedule(init_value: Any, end_value: Any, transition_steps: int,
                    transition_begin: int = 0) -> Schedule:
    """From ``init_value`` to ``end_value`` linearly over ``transition_steps`` steps.

    Examples:
        >>> import funcdiff as fd
        >>> s = fd.optim.linear_schedule(1.0, 0.0, transition_steps=4)
        >>> [float(s(i)) for i in range(6)]
        [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """
    return polynomial_schedule(init_value, end_value, 1, transition_steps, transition_begin)


def piecewise_constant_schedule(init_value: Any,
                                boundaries_and_scales: dict[int, float] | None = None
                                ) -> Schedule:
    """``init_value``, multiplied by ``scale`` from each step ``boundary`` on (inclusive).

    Raises:
        ValueError: for a negative scale.

    Examples:
        >>> import funcdiff as fd
        >>> s = fd.optim.piecewise_constant_schedule(1.0, {2: 0.5, 4: 0.1})
        >>> [round(float(s(i)), 4) for i in range(6)]
        [1.0, 1.0, 0.5, 0.5, 0.05, 0.05]
    """
    if boundaries_and_scales is not None and any(
            s < 0.0 for s in boundaries_and_scales.values()):
        raise ValueError(
            f"piecewise_constant_schedule needs non-negative scales, got {boundaries_and_scales}"
        )

    def schedule(count: Any) -> Any:
        count = fnp.asarray(count)
        v = init_value
        for threshold, scale in sorted((boundaries_and_scales or {}).items()):
            indicator = fnp.maximum(0.0, fnp.sign(threshold - count))
            v = v * indicator + (1 - indicator) * scale * v
        return v

    return schedule


def exponential_decay(init_value: Any, transition_steps: int, decay_rate: float,
                      transition_begin: int = 0, staircase: bool = False,
                      end_value: Any = None) -> Schedule:
    r"""``init_value * decay_rate ** ((step - transition_begin) / transition_steps)``.

    Args:
        init_value: the value up to ``transition_begin``.
        transition_steps: steps per factor of ``decay_rate``.
        decay_rate: the factor.
        transition_begin: steps before the decay starts.
        staircase: decay in whole steps of ``transition_steps`` (an integer exponent).
        end_value: a floor (or a ceiling when ``decay_rate > 1``).

    Examples:
        >>> import funcdiff as fd
        >>> s = fd.optim.exponential_decay(1.0, transition_steps=2, decay_rate=0.5)
        >>> [float(s(i)) for i in (0, 2, 4)]
        [1.0, 0.5, 0.25]
    """
    if transition_steps <= 0 or decay_rate == 0:
        return lambda count: init_value
    transition_begin = max(transition_begin, 0)
    clip_fn: Callable | None = None
    if end_value is not None:
        clip_fn = fnp.maximum if decay_rate < 1.0 else fnp.minimum

    def schedule(count: Any) -> Any:
        decreased = fnp.asarray(count) - transition_begin
        p = decreased / transition_steps
        if staircase:
            p = fnp.floor(p)
        value = fnp.where(decreased <= 0, init_value, init_value * fnp.power(decay_rate, p))
        if clip_fn is not None:
            value = clip_fn(value, end_value)
        return value

    return schedule


def cosine_decay_schedule(init_value: Any, decay_steps: int, alpha: Any = 0.0,
                          exponent: Any = 1.0) -> Schedule:
    r"""Cosine decay from ``init_value`` to ``alpha * init_value`` over ``decay_steps``.

    .. math:: v(t) = v_0 \left((1-\alpha)\left(\tfrac12(1 + \cos(\pi \min(t, T)/T))
        \right)^{p} + \alpha\right)

    Raises:
        ValueError: if ``decay_steps`` is not positive.

    Examples:
        >>> import funcdiff as fd
        >>> s = fd.optim.cosine_decay_schedule(1.0, decay_steps=4)
        >>> [round(float(s(i)), 4) for i in range(6)]
        [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]

    References:
        Loshchilov and Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017.
    """
    if not decay_steps > 0:
        raise ValueError(
            f"cosine_decay_schedule needs a positive decay_steps, got decay_steps={decay_steps}"
        )
    steps = float(decay_steps)

    def schedule(count: Any) -> Any:
        count = fnp.minimum(fnp.asarray(count), steps)
        cosine = 0.5 * (1 + fnp.cos(math.pi * count / steps))
        return init_value * ((1 - alpha) * cosine ** exponent + alpha)

    return schedule


def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """Run ``schedules[i]`` from ``boundaries[i-1]`` on, each seeing the steps since its start.

    Examples:
        >>> import funcdiff as fd
        >>> s = fd.optim.join_schedules([fd.optim.constant_schedule(1.0),
        ...                              fd.optim.linear_schedule(0.5, 0.0, 2)], [3])
        >>> [float(s(i)) for i in range(6)]
        [1.0, 1.0, 1.0, 0.5, 0.25, 0.0]
    """
    if len(boundaries) != len(schedules) - 1:
        raise ValueError(
            f"join_schedules needs one boundary fewer than schedules, got {len(schedules)} "
            f"schedules and {len(boundaries)} boundaries"
        )

    def schedule(step: Any) -> Any:
        step = fnp.asarray(step)
        out = schedules[0](step)
        for boundary, s in zip(boundaries, schedules[1:], strict=True):
            out = fnp.where(step < boundary, out, s(step - boundary))
        return out

    return schedule


def warmup_constant_schedule(init_value: Any, peak_value: Any, warmup_steps: int) -> Schedule:
    """Linear warmup from ``init_value`` to ``peak_value``, then constant.

    Examples:
        >>> import funcdiff as fd
        >>> s = fd.optim.warmup_constant_schedule(0.0, 1.0, 2)
        >>> [float(s(i)) for i in range(4)]
        [0.0, 0.5, 1.0, 1.0]
    """
    return linear_schedule(init_value, peak_value, warmup_steps)


def warmup_cosine_decay_schedule(init_value: Any, peak_value: Any, warmup_steps: int,
                                 decay_steps: int, end_value: Any = 0.0,
                                 exponent: Any = 1.0) -> Schedule:
    """Linear warmup to ``peak_value`` over ``warmup_steps``, then cosine decay to
    ``end_value`` at step ``decay_steps`` (counted from the start, warmup included).

    Examples:
        >>> import funcdiff as fd
        >>> s = fd.optim.warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=2, decay_steps=4)
        >>> [round(float(s(i)), 4) for i in range(6)]
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    return join_schedules(
        [linear_schedule(init_value, peak_value, warmup_steps),
         cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha, exponent)],
        [warmup_steps])


def warmup_exponential_decay_schedule(init_value: Any, peak_value: Any, warmup_steps: int,
                                      transition_steps: int, decay_rate: float,
                                      transition_begin: int = 0, staircase: bool = False,
                                      end_value: Any = None) -> Schedule:
    """Linear warmup to ``peak_value``, then :func:`exponential_decay` from it.

    Examples:
        >>> import funcdiff as fd
        >>> s = fd.optim.warmup_exponential_decay_schedule(0.0, 1.0, 2, 1, 0.5)
        >>> [float(s(i)) for i in range(5)]
        [0.0, 0.5, 1.0, 0.5, 0.25]
    """
    return join_schedules(
        [linear_schedule(init_value, peak_value, warmup_steps),
         exponential_decay(peak_value, transition_steps, decay_rate, transition_begin,
                           staircase, end_value)],
        [warmup_steps])
