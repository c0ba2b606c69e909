"""``funcdiff.optim``: optax-style optimizers — stateless gradient transformations.

An optimizer is a :class:`GradientTransformation`: ``init(params) -> state`` and
``update(grads, state, params=None) -> (updates, state)``, with NamedTuple states that are
pytrees. Names, arguments and numbers follow optax::

    opt = fd.optim.adamw(fd.optim.warmup_cosine_decay_schedule(0.0, 1e-3, 100, 1000))
    state = opt.init(params)
    grads = fd.grad(loss)(params, batch)
    updates, state = opt.update(grads, state, params)
    params = fd.optim.apply_updates(params, updates)

Examples:
    >>> import funcdiff as fd
    >>> opt = fd.optim.chain(fd.optim.clip_by_global_norm(1.0), fd.optim.adam(1e-3))
    >>> isinstance(opt, fd.optim.GradientTransformation)
    True
"""

from .alias import adagrad, adam, adamw, lion, nadam, rmsprop, sgd
from .base import (
    EmptyState,
    GradientTransformation,
    Schedule,
    identity,
    init_empty_state,
    safe_increment,
    set_to_zero,
    stateless,
)
from .clipping import clip, clip_by_global_norm
from .combine import MaskedNode, MaskedState, chain, masked, named_chain
from .schedules import (
    constant_schedule,
    cosine_decay_schedule,
    exponential_decay,
    join_schedules,
    linear_schedule,
    piecewise_constant_schedule,
    polynomial_schedule,
    warmup_constant_schedule,
    warmup_cosine_decay_schedule,
    warmup_exponential_decay_schedule,
)
from .transform import (
    ScaleByAdamState,
    ScaleByLionState,
    ScaleByRmsState,
    ScaleByRmsWithCountState,
    ScaleByRssState,
    ScaleByRStdDevState,
    ScaleByRStdDevWithCountState,
    ScaleByScheduleState,
    TraceState,
    WeightDecaySchedule,
    add_decayed_weights,
    scale,
    scale_by_adam,
    scale_by_learning_rate,
    scale_by_lion,
    scale_by_rms,
    scale_by_rss,
    scale_by_schedule,
    scale_by_stddev,
    trace,
)
from .update import apply_updates, global_norm

__all__ = [
    "EmptyState", "GradientTransformation", "MaskedNode", "MaskedState", "Schedule",
    "ScaleByAdamState", "ScaleByLionState", "ScaleByRStdDevState",
    "ScaleByRStdDevWithCountState", "ScaleByRmsState", "ScaleByRmsWithCountState",
    "ScaleByRssState", "ScaleByScheduleState", "TraceState", "WeightDecaySchedule",
    "adagrad", "adam", "adamw", "add_decayed_weights", "apply_updates", "chain", "clip",
    "clip_by_global_norm", "constant_schedule", "cosine_decay_schedule", "exponential_decay",
    "global_norm", "identity", "init_empty_state", "join_schedules", "linear_schedule", "lion",
    "masked", "nadam", "named_chain", "piecewise_constant_schedule", "polynomial_schedule",
    "rmsprop", "safe_increment", "scale", "scale_by_adam", "scale_by_learning_rate",
    "scale_by_lion", "scale_by_rms", "scale_by_rss", "scale_by_schedule", "scale_by_stddev",
    "set_to_zero", "sgd", "stateless", "trace", "warmup_constant_schedule",
    "warmup_cosine_decay_schedule", "warmup_exponential_decay_schedule",
]
