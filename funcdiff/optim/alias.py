"""Ready-made optimizers, each a :func:`chain` of transformations as in optax: ``sgd``,
``adam``, ``nadam``, ``adamw``, ``rmsprop``, ``adagrad``, ``lion``.

Every ``learning_rate`` (and AdamW's/Lion's ``weight_decay``) may be a number or a schedule
of the step count; the state then carries that count.
"""

from __future__ import annotations

from typing import Any

from .base import GradientTransformation, ScalarOrSchedule, identity
from .combine import chain
from .transform import (
    add_decayed_weights,
    scale_by_adam,
    scale_by_learning_rate,
    scale_by_lion,
    scale_by_rms,
    scale_by_rss,
    scale_by_stddev,
    trace,
)


def sgd(learning_rate: ScalarOrSchedule, momentum: float | None = None,
        nesterov: bool = False, accumulator_dtype: Any = None) -> GradientTransformation:
    r"""Stochastic gradient descent, with optional (Nesterov) momentum.

    .. math:: t_k = g_k + \mu t_{k-1},\quad u_k = -\eta\, t_k

    Args:
        learning_rate: :math:`\eta`, a number or a schedule.
        momentum: :math:`\mu`; ``None`` for plain SGD.
        nesterov: use Nesterov momentum.
        accumulator_dtype: dtype of the momentum buffer (default: the params').

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> opt = fd.optim.sgd(0.1, momentum=0.9)
        >>> params = fnp.array([1.0, -1.0])
        >>> state = opt.init(params)
        >>> for _ in range(2):
        ...     updates, state = opt.update(2 * params, state)
        ...     params = fd.optim.apply_updates(params, updates)
        >>> params
        Array([ 0.46, -0.46], dtype=float32)
    """
    momentum_part = (trace(momentum, nesterov, accumulator_dtype) if momentum is not None
                     else identity())
    return chain(momentum_part, scale_by_learning_rate(learning_rate))


def adam(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
         eps: float = 1e-8, eps_root: float = 0.0, mu_dtype: Any = None, *,
         nesterov: bool = False) -> GradientTransformation:
    r"""Adam: steps of size :math:`\eta` along bias-corrected moment ratios.

    ``chain(scale_by_adam(b1, b2, eps, eps_root), scale_by_learning_rate(learning_rate))``;
    see :func:`funcdiff.optim.scale_by_adam` for the update rule.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> opt = fd.optim.adam(0.1)
        >>> params = {"w": fnp.array([1.0, 2.0])}
        >>> state = opt.init(params)
        >>> grads = fd.grad(lambda p: (p["w"] ** 2).sum())(params)
        >>> updates, state = opt.update(grads, state)
        >>> fnp.round(fd.optim.apply_updates(params, updates)["w"], 4)
        Array([0.9, 1.9], dtype=float32)

    References:
        Kingma and Ba, "Adam: A Method for Stochastic Optimization", 2014.
    """
    return chain(scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
                 scale_by_learning_rate(learning_rate))


def nadam(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
          eps: float = 1e-8, eps_root: float = 0.0, mu_dtype: Any = None
          ) -> GradientTransformation:
    """Adam with Nesterov momentum (Dozat 2016): ``adam(..., nesterov=True)``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.optim.nadam(1e-3).init({"w": 0.0}).__class__.__name__
        'tuple'
    """
    return adam(learning_rate, b1, b2, eps, eps_root, mu_dtype, nesterov=True)


def adamw(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.999,
          eps: float = 1e-8, eps_root: float = 0.0, mu_dtype: Any = None,
          weight_decay: ScalarOrSchedule = 1e-4, mask: Any = None, *,
          nesterov: bool = False) -> GradientTransformation:
    r"""Adam with decoupled weight decay: the step adds :math:`-\eta\lambda\theta`.

    Args:
        learning_rate: :math:`\eta`, a number or a schedule.
        b1, b2, eps, eps_root, mu_dtype, nesterov: as in :func:`adam`.
        weight_decay: :math:`\lambda`.
        mask: which params decay: a pytree of bools like the params, or a function of
            them (e.g. ``lambda p: fd.tree.map(lambda x: x.ndim > 1, p)`` skips biases).

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> opt = fd.optim.adamw(0.1, weight_decay=0.5)
        >>> params = fnp.array([2.0])
        >>> updates, _ = opt.update(fnp.array([0.0]), opt.init(params), params)
        >>> updates  # no gradient: only the decay, -0.1 * 0.5 * 2
        Array([-0.1], dtype=float32)

    References:
        Loshchilov and Hutter, "Decoupled Weight Decay Regularization", 2019.
    """
    return chain(scale_by_adam(b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov),
                 add_decayed_weights(weight_decay, mask),
                 scale_by_learning_rate(learning_rate))


def rmsprop(learning_rate: ScalarOrSchedule, decay: float = 0.9, eps: float = 1e-8,
            initial_scale: float = 0.0, eps_in_sqrt: bool = True, centered: bool = False,
            momentum: float | None = None, nesterov: bool = False,
            bias_correction: bool = False) -> GradientTransformation:
    r"""RMSProp: divide by the root of a moving average of squared gradients.

    Args:
        learning_rate: a number or a schedule.
        decay: the moving average's decay.
        eps: added to the average (inside the root, unless ``eps_in_sqrt=False``).
        initial_scale: the average's initial value.
        eps_in_sqrt: where ``eps`` goes.
        centered: divide by the standard deviation instead (subtract the squared mean).
        momentum: momentum applied after scaling, or ``None``.
        nesterov: Nesterov momentum.
        bias_correction: correct the averages' bias toward their initial value.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> opt = fd.optim.rmsprop(0.01, decay=0.0, eps=0.0)
        >>> opt.update(fnp.array([3.0, -0.5]), opt.init(fnp.zeros(2)))[0]
        Array([-0.01,  0.01], dtype=float32)
    """
    scaler = (scale_by_stddev if centered else scale_by_rms)(
        decay, eps, initial_scale, eps_in_sqrt, bias_correction)
    return chain(scaler, scale_by_learning_rate(learning_rate),
                 trace(momentum, nesterov) if momentum is not None else identity())


def adagrad(learning_rate: ScalarOrSchedule, initial_accumulator_value: float = 0.1,
            eps: float = 1e-7) -> GradientTransformation:
    """AdaGrad: divide by the root of the sum of all squared gradients so far.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> opt = fd.optim.adagrad(1.0, initial_accumulator_value=0.0, eps=0.0)
        >>> opt.update(fnp.array([2.0]), opt.init(fnp.zeros(1)))[0]
        Array([-1.], dtype=float32)

    References:
        Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and
        Stochastic Optimization", 2011.
    """
    return chain(scale_by_rss(initial_accumulator_value, eps),
                 scale_by_learning_rate(learning_rate))


def lion(learning_rate: ScalarOrSchedule, b1: float = 0.9, b2: float = 0.99,
         mu_dtype: Any = None, weight_decay: ScalarOrSchedule = 1e-3, mask: Any = None
         ) -> GradientTransformation:
    """Lion: signed momentum steps with decoupled weight decay.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> opt = fd.optim.lion(0.1, weight_decay=0.0)
        >>> params = fnp.array([1.0, 1.0])
        >>> opt.update(fnp.array([0.2, -3.0]), opt.init(params), params)[0]
        Array([-0.1,  0.1], dtype=float32)

    References:
        Chen et al., "Symbolic Discovery of Optimization Algorithms", 2023.
    """
    return chain(scale_by_lion(b1, b2, mu_dtype), add_decayed_weights(weight_decay, mask),
                 scale_by_learning_rate(learning_rate))
