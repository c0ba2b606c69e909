"""Gradient transformations that rescale or accumulate updates: ``scale``, ``scale_by_adam``,
``scale_by_rms``, ``scale_by_stddev``, ``scale_by_rss``, ``scale_by_lion``, ``trace``,
``scale_by_learning_rate``, ``scale_by_schedule`` and ``add_decayed_weights``.

Each follows optax's definition term for term (same order of operations, same state), so the
numbers agree with optax's to float rounding. Each state is a NamedTuple whose fields say
what they hold.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .. import lax, tree
from .. import numpy as fnp
from .base import (
    NO_PARAMS_MSG,
    EmptyState,
    GradientTransformation,
    OptState,
    Params,
    ScalarOrSchedule,
    Updates,
    identity,
    init_empty_state,
    map_checked,
    safe_increment,
    zero_count,
)

# --- shared moment arithmetic --------------------------------------------------------------


def _zeros_like(params: Params, dtype: Any = None) -> Any:
    return tree.map(lambda p: fnp.zeros_like(p, dtype=dtype), params)


def _full_like(params: Params, value: Any) -> Any:
    return tree.map(lambda p: fnp.full_like(p, value), params)


def _cast(t: Any, dtype: Any) -> Any:
    return t if dtype is None else tree.map(lambda x: fnp.asarray(x).astype(dtype), t)


def _ema(g: Any, t: Any, decay: Any, order: int) -> Any:
    # Exponential moving average of g**order: (1 - decay) * g**order + decay * t.
    return (1 - decay) * (g if order == 1 else g ** order) + decay * t


def _bias_correction(moment: Any, decay: Any, count: Any) -> Any:
    correction = 1 - decay ** count
    return tree.map(lambda t: t / fnp.asarray(correction).astype(t.dtype), moment)


# --- Adam ------------------------------------------------------------------------------------


class ScaleByAdamState(NamedTuple):
    """State of :func:`scale_by_adam`."""

    count: Any  # int32 scalar: steps taken
    mu: Any  # first moment, like the params
    nu: Any  # second moment, like the params


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, eps_root: float = 0.0,
                  mu_dtype: Any = None, *, nesterov: bool = False) -> GradientTransformation:
    r"""Rescale updates by Adam's bias-corrected moment estimates.

    .. math::
        m_t = b_1 m_{t-1} + (1-b_1) g_t,\quad v_t = b_2 v_{t-1} + (1-b_2) g_t^2,\quad
        u_t = \hat m_t / (\sqrt{\hat v_t + \epsilon_{root}} + \epsilon)

    with :math:`\hat m_t = m_t / (1 - b_1^t)` and :math:`\hat v_t = v_t / (1 - b_2^t)`.

    Args:
        b1: decay of the first moment.
        b2: decay of the second moment.
        eps: added to the denominator outside the square root.
        eps_root: added inside the square root.
        mu_dtype: dtype of the first moment (default: the params').
        nesterov: use Nesterov momentum (NAdam, Dozat 2016).

    Returns:
        The transformation; its state is :class:`ScaleByAdamState`.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> t = fd.optim.scale_by_adam()
        >>> u, s = t.update(fnp.array([0.5, -2.0]), t.init(fnp.zeros(2)))
        >>> fnp.round(u, 4)  # the first step is g / |g| (up to rounding)
        Array([ 1., -1.], dtype=float32)

    References:
        Kingma and Ba, "Adam: A Method for Stochastic Optimization", 2014.
    """

    def init_fn(params: Params) -> ScaleByAdamState:
        return ScaleByAdamState(zero_count(), _zeros_like(params, mu_dtype), _zeros_like(params))

    def update_fn(updates: Updates, state: ScaleByAdamState, params: Params | None = None):
        del params
        mu = map_checked("scale_by_adam", "mu", lambda g, t: _ema(g, t, b1, 1), updates, state.mu)
        nu = map_checked("scale_by_adam", "nu", lambda g, t: _ema(g, t, b2, 2), updates, state.nu)
        count = safe_increment(state.count)
        if nesterov:
            mu_hat = tree.map(lambda m, g: b1 * m + (1 - b1) * g,
                              _bias_correction(mu, b1, safe_increment(count)),
                              _bias_correction(updates, b1, count))
        else:
            mu_hat = _bias_correction(mu, b1, count)
        nu_hat = _bias_correction(nu, b2, count)
        updates = tree.map(lambda m, v: m / (fnp.sqrt(v + eps_root) + eps), mu_hat, nu_hat)
        nu = tree.map(lambda n, old: n.astype(old.dtype), nu, state.nu)
        return updates, ScaleByAdamState(count, _cast(mu, mu_dtype), nu)

    return GradientTransformation(init_fn, update_fn)


# --- RMSProp family -----------------------------------------------------------------------------


class ScaleByRmsState(NamedTuple):
    """State of :func:`scale_by_rms`."""

    nu: Any  # moving average of squared updates


class ScaleByRmsWithCountState(NamedTuple):
    """State of :func:`scale_by_rms` with ``bias_correction=True``."""

    count: Any  # int32 scalar
    nu: Any


def _rms_scaling(nu_hat: Any, eps: float, eps_in_sqrt: bool) -> Any:
    if eps_in_sqrt:
        return tree.map(lambda n: lax.rsqrt(n + eps), nu_hat)
    return tree.map(lambda n: 1 / (fnp.sqrt(n) + eps), nu_hat)


def scale_by_rms(decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0,
                 eps_in_sqrt: bool = True, bias_correction: bool = False
                 ) -> GradientTransformation:
    r"""Rescale updates by the root of a moving average of their squares (RMSProp).

    .. math:: v_t = \rho v_{t-1} + (1-\rho) g_t^2,\quad u_t = g_t / \sqrt{v_t + \epsilon}

    Args:
        decay: the moving average's decay :math:`\rho`.
        eps: added in the denominator (inside the square root when ``eps_in_sqrt``).
        initial_scale: the initial value of :math:`v`.
        eps_in_sqrt: whether ``eps`` goes inside the square root.
        bias_correction: divide :math:`v_t` by :math:`1 - \rho^t`.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> t = fd.optim.scale_by_rms(decay=0.0, eps=0.0)
        >>> t.update(fnp.array([3.0, -4.0]), t.init(fnp.zeros(2)))[0]
        Array([ 1., -1.], dtype=float32)
    """

    def init_fn(params: Params) -> Any:
        nu = _full_like(params, initial_scale)
        return ScaleByRmsWithCountState(zero_count(), nu) if bias_correction else (
            ScaleByRmsState(nu))

    def update_fn(updates: Updates, state: Any, params: Params | None = None):
        del params
        nu = map_checked("scale_by_rms", "nu", lambda g, t: _ema(g, t, decay, 2), updates,
                         state.nu)
        if bias_correction:
            count = safe_increment(state.count)
            nu_hat = _bias_correction(nu, decay, count)
        else:
            nu_hat = nu
        scaling = _rms_scaling(nu_hat, eps, eps_in_sqrt)
        updates = tree.map(lambda s, g: s * g, scaling, updates)
        if bias_correction:
            return updates, ScaleByRmsWithCountState(count, nu)
        return updates, ScaleByRmsState(nu)

    return GradientTransformation(init_fn, update_fn)


class ScaleByRStdDevState(NamedTuple):
    """State of :func:`scale_by_stddev`."""

    mu: Any  # moving average of updates
    nu: Any  # moving average of squared updates


class ScaleByRStdDevWithCountState(NamedTuple):
    """State of :func:`scale_by_stddev` with ``bias_correction=True``."""

    count: Any
    mu: Any
    nu: Any


def scale_by_stddev(decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0,
                    eps_in_sqrt: bool = True, bias_correction: bool = False
                    ) -> GradientTransformation:
    r"""Rescale updates by a moving estimate of their standard deviation (centered RMSProp).

    .. math:: u_t = g_t / \sqrt{v_t - m_t^2 + \epsilon}

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> t = fd.optim.scale_by_stddev()
        >>> t.update(fnp.array([1.0]), t.init(fnp.zeros(1)))[0]
        Array([3.3333333], dtype=float32)
    """

    def init_fn(params: Params) -> Any:
        mu, nu = _zeros_like(params), _full_like(params, initial_scale)
        if bias_correction:
            return ScaleByRStdDevWithCountState(zero_count(), mu, nu)
        return ScaleByRStdDevState(mu, nu)

    def update_fn(updates: Updates, state: Any, params: Params | None = None):
        del params
        name = "scale_by_stddev"
        mu = map_checked(name, "mu", lambda g, t: _ema(g, t, decay, 1), updates, state.mu)
        nu = map_checked(name, "nu", lambda g, t: _ema(g, t, decay, 2), updates, state.nu)
        if bias_correction:
            count = safe_increment(state.count)
            mu_hat, nu_hat = _bias_correction(mu, decay, count), _bias_correction(nu, decay, count)
        else:
            mu_hat, nu_hat = mu, nu
        var = tree.map(lambda m, n: n - m * m, mu_hat, nu_hat)
        updates = tree.map(lambda s, g: s * g, _rms_scaling(var, eps, eps_in_sqrt), updates)
        if bias_correction:
            return updates, ScaleByRStdDevWithCountState(count, mu, nu)
        return updates, ScaleByRStdDevState(mu, nu)

    return GradientTransformation(init_fn, update_fn)


class ScaleByRssState(NamedTuple):
    """State of :func:`scale_by_rss`."""

    sum_of_squares: Any  # running sum of squared updates


def scale_by_rss(initial_accumulator_value: float = 0.1, eps: float = 1e-7
                 ) -> GradientTransformation:
    r"""Rescale updates by the root of the sum of all squared updates so far (AdaGrad).

    .. math:: s_t = s_{t-1} + g_t^2,\quad u_t = g_t / \sqrt{s_t + \epsilon}\ (0 where s_t = 0)

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> t = fd.optim.scale_by_rss(initial_accumulator_value=0.0, eps=0.0)
        >>> t.update(fnp.array([2.0, 0.0]), t.init(fnp.zeros(2)))[0]
        Array([1., 0.], dtype=float32)
    """

    def init_fn(params: Params) -> ScaleByRssState:
        return ScaleByRssState(_full_like(params, initial_accumulator_value))

    def update_fn(updates: Updates, state: ScaleByRssState, params: Params | None = None):
        del params
        sos = map_checked("scale_by_rss", "sum_of_squares", lambda g, t: g * g + t, updates,
                          state.sum_of_squares)
        # Where the sum is 0 the update is 0; rsqrt sees 1 there, so no 1/0 is ever taken.
        inv = tree.map(lambda t: fnp.where(t > 0, lax.rsqrt(fnp.where(t > 0, t + eps, 1.0)),
                                           0.0), sos)
        return tree.map(lambda s, g: s * g, inv, updates), ScaleByRssState(sos)

    return GradientTransformation(init_fn, update_fn)


# --- Lion ------------------------------------------------------------------------------------


class ScaleByLionState(NamedTuple):
    """State of :func:`scale_by_lion`."""

    count: Any  # int32 scalar
    mu: Any  # momentum, like the params


def scale_by_lion(b1: float = 0.9, b2: float = 0.99, mu_dtype: Any = None
                  ) -> GradientTransformation:
    r"""Rescale updates as Lion: the sign of an interpolation of momentum and gradient.

    .. math:: u_t = \mathrm{sign}((1-b_1) g_t + b_1 m_{t-1}),\quad
        m_t = (1-b_2) g_t + b_2 m_{t-1}

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> t = fd.optim.scale_by_lion()
        >>> t.update(fnp.array([0.3, -2.0, 0.0]), t.init(fnp.zeros(3)))[0]
        Array([ 1., -1.,  0.], dtype=float32)

    References:
        Chen et al., "Symbolic Discovery of Optimization Algorithms", 2023.
    """

    def init_fn(params: Params) -> ScaleByLionState:
        return ScaleByLionState(zero_count(), _zeros_like(params, mu_dtype))

    def update_fn(updates: Updates, state: ScaleByLionState, params: Params | None = None):
        del params
        new = map_checked("scale_by_lion", "mu",
                          lambda g, m: fnp.sign((1.0 - b1) * g + b1 * m), updates, state.mu)
        mu = tree.map(lambda g, t: _ema(g, t, b2, 1), updates, state.mu)
        return new, ScaleByLionState(safe_increment(state.count), _cast(mu, mu_dtype))

    return GradientTransformation(init_fn, update_fn)


# --- scaling -------------------------------------------------------------------------------------


def scale(step_size: Any) -> GradientTransformation:
    """Multiply updates by a fixed ``step_size``.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.optim.scale(-0.5).update(fnp.array([2.0]), fd.optim.EmptyState())[0]
        Array([-1.], dtype=float32)
    """

    def update_fn(updates: Updates, state: OptState, params: Params | None = None):
        del params
        return tree.map(lambda g: step_size * g, updates), state

    return GradientTransformation(init_empty_state, update_fn)


class ScaleByScheduleState(NamedTuple):
    """State of :func:`scale_by_schedule`."""

    count: Any  # int32 scalar: the step the schedule is evaluated at


def scale_by_schedule(step_size_fn: Any) -> GradientTransformation:
    """Multiply updates by ``step_size_fn(step)``, the step counted in the state.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> t = fd.optim.scale_by_schedule(lambda n: 1.0 / (n + 1))
        >>> s = t.init(None)
        >>> u, s = t.update(fnp.array([1.0]), s)
        >>> u, s = t.update(fnp.array([1.0]), s)
        >>> u
        Array([0.5], dtype=float32)
    """

    def init_fn(params: Params) -> ScaleByScheduleState:
        del params
        return ScaleByScheduleState(zero_count())

    def update_fn(updates: Updates, state: ScaleByScheduleState, params: Params | None = None):
        del params
        step = step_size_fn(state.count)
        updates = tree.map(lambda g: fnp.asarray(step, dtype=g.dtype) * g, updates)
        return updates, ScaleByScheduleState(safe_increment(state.count))

    return GradientTransformation(init_fn, update_fn)


def scale_by_learning_rate(learning_rate: ScalarOrSchedule | None = None, *,
                           flip_sign: bool = True) -> GradientTransformation:
    """Multiply updates by ``-learning_rate`` (a number or a schedule of the step).

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> t = fd.optim.scale_by_learning_rate(0.1)
        >>> t.update(fnp.array([1.0]), t.init(None))[0]
        Array([-0.1], dtype=float32)
    """
    if learning_rate is None:
        return identity()
    m = -1 if flip_sign else 1
    if callable(learning_rate):
        return scale_by_schedule(lambda count: m * learning_rate(count))
    return scale(m * learning_rate)


# --- momentum and weight decay ------------------------------------------------------------------


class TraceState(NamedTuple):
    """State of :func:`trace`."""

    trace: Any  # the accumulated momentum, like the params


def trace(decay: float, nesterov: bool = False, accumulator_dtype: Any = None
          ) -> GradientTransformation:
    r"""Momentum: :math:`t_k = g_k + \text{decay}\cdot t_{k-1}`; the update is :math:`t_k`
    (or :math:`g_k + \text{decay}\cdot t_k` with ``nesterov``).

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> t = fd.optim.trace(0.9)
        >>> s = t.init(fnp.zeros(1))
        >>> u, s = t.update(fnp.array([1.0]), s)
        >>> u, s = t.update(fnp.array([1.0]), s)
        >>> u
        Array([1.9], dtype=float32)
    """

    def init_fn(params: Params) -> TraceState:
        return TraceState(_zeros_like(params, accumulator_dtype))

    def update_fn(updates: Updates, state: TraceState, params: Params | None = None):
        del params
        new = map_checked("trace", "trace", lambda g, t: g + decay * t, updates, state.trace)
        out = tree.map(lambda g, t: g + decay * t, updates, new) if nesterov else new
        return out, TraceState(_cast(new, accumulator_dtype))

    return GradientTransformation(init_fn, update_fn)


class WeightDecaySchedule(NamedTuple):
    """State of :func:`add_decayed_weights` when the decay is a schedule."""

    count: Any  # int32 scalar


def add_decayed_weights(weight_decay: ScalarOrSchedule = 0.0, mask: Any = None
                        ) -> GradientTransformation:
    """Add ``weight_decay * params`` to the updates (decoupled weight decay, as AdamW).

    Args:
        weight_decay: the rate, a number or a schedule of the step.
        mask: a pytree of booleans like the params (or a prefix of them), or a function
            of the params returning one: decay only where ``True``.

    Raises:
        ValueError: if ``update`` is called without ``params``.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> t = fd.optim.add_decayed_weights(0.1)
        >>> p = fnp.array([10.0])
        >>> t.update(fnp.array([1.0]), t.init(p), p)[0]
        Array([2.], dtype=float32)
    """

    def init_fn(params: Params) -> Any:
        del params
        return WeightDecaySchedule(zero_count()) if callable(weight_decay) else EmptyState()

    def update_fn(updates: Updates, state: Any, params: Params | None = None):
        if params is None:
            raise ValueError(f"add_decayed_weights: {NO_PARAMS_MSG}")
        new_state = (WeightDecaySchedule(safe_increment(state.count)) if callable(weight_decay)
                     else state)
        if isinstance(weight_decay, (int, float)) and weight_decay == 0.0:
            return updates, new_state
        s = weight_decay(state.count) if callable(weight_decay) else weight_decay
        updates = map_checked("add_decayed_weights", "params", lambda g, p: g + s * p,
                              updates, params)
        return updates, new_state

    if mask is not None:
        from .combine import masked

        return masked(GradientTransformation(init_fn, update_fn), mask)
    return GradientTransformation(init_fn, update_fn)
