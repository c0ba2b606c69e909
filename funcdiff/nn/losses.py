"""Loss functions following ``torch.nn.functional``: names, arguments (``input``, ``target``,
``reduction="mean"``), class-axis conventions and numbers, computed stably (log-sum-exp,
logits forms). One difference: mismatched ``input``/``target`` shapes are an error here,
where PyTorch warns and broadcasts (a classic silent bug: ``(N, 1)`` against ``(N,)``)."""

from __future__ import annotations

from typing import Any

from .. import lax
from .. import numpy as fnp
from ..numpy._promote import promote_inexact
from ._checks import as_input
from .activations import log_softmax, softplus

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "huber_loss",
    "l1_loss", "mse_loss", "nll_loss", "smooth_l1_loss",
]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(loss: Any, reduction: str) -> Any:
    if reduction == "mean":
        return fnp.mean(loss)
    if reduction == "sum":
        return fnp.sum(loss)
    return loss


def _pair(name: str, input: Any, target: Any, reduction: str) -> tuple[Any, Any]:
    _check_reduction(name, reduction)
    x, t = promote_inexact(as_input(input), as_input(target), op=name)
    if x.shape != t.shape:
        raise ValueError(
            f"{name}: input and target must have the same shape, got input {tuple(x.shape)} "
            f"and target {tuple(t.shape)}; reshape one (e.g. `target.reshape(input.shape)`) "
            f"— broadcasting them would compare every input with every target."
        )
    return x, t


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Squared error ``(input - target)**2``, averaged by default.

    Args:
        input: predictions.
        target: targets of the same shape.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (elementwise).

    Raises:
        ValueError: for different shapes or an unknown reduction.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.mse_loss(fd.numpy.array([1.0, 2.0]), fd.numpy.array([0.0, 4.0]))
        Array(2.5, dtype=float32)
    """
    x, t = _pair("mse_loss", input, target, reduction)
    return _reduce(fnp.square(x - t), reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """Absolute error ``|input - target|``, averaged by default.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.l1_loss(fd.numpy.array([1.0, 2.0]), fd.numpy.array([0.0, 4.0]), "sum")
        Array(3., dtype=float32)
    """
    x, t = _pair("l1_loss", input, target, reduction)
    return _reduce(fnp.abs(x - t), reduction)


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Any:
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input -
    target``).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.smooth_l1_loss(fd.numpy.array([0.5, 3.0]), fd.numpy.zeros(2), "none")
        Array([0.125, 2.5  ], dtype=float32)
    """
    x, t = _pair("smooth_l1_loss", input, target, reduction)
    d = fnp.abs(x - t)
    if beta == 0:
        return _reduce(d, reduction)
    small = d < beta
    return _reduce(fnp.where(small, 0.5 * fnp.square(fnp.where(small, d, 0)) / beta,
                             d - 0.5 * beta), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Any:
    """``0.5 d**2`` where ``|d| <= delta``, else ``delta * (|d| - 0.5 delta)``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.huber_loss(fd.numpy.array([0.5, 3.0]), fd.numpy.zeros(2), "none")
        Array([0.125, 2.5  ], dtype=float32)
    """
    x, t = _pair("huber_loss", input, target, reduction)
    d = fnp.abs(x - t)
    small = d <= delta
    return _reduce(fnp.where(small, 0.5 * fnp.square(fnp.where(small, d, 0)),
                             delta * (d - 0.5 * delta)), reduction)


# --- classification ----------------------------------------------------------------------


def _class_axis(name: str, x: Any) -> int:
    if x.ndim == 0:
        raise ValueError(f"{name}: input must have a class axis, got a scalar")
    return 0 if x.ndim == 1 else 1


def _weights_along(w: Any, axis: int, ndim: int) -> Any:
    return w.reshape(tuple(-1 if a == axis else 1 for a in range(ndim)))


def _check_weight(name: str, weight: Any, c: int) -> Any:
    if weight is None:
        return None
    w = as_input(weight)
    if w.shape != (c,):
        raise ValueError(f"{name}: weight must have shape (C,) = ({c},), got {tuple(w.shape)}")
    return w


def _check_target(name: str, x: Any, target: Any, axis: int) -> None:
    want = x.shape[:axis] + x.shape[axis + 1:]
    if target.shape != want:
        raise ValueError(
            f"{name}: for input of shape {tuple(x.shape)} (classes on axis {axis}), integer "
            f"target must have shape {tuple(want)}, got {tuple(target.shape)}"
        )


def _nll(name: str, s: Any, lse: Any, target: Any, weight: Any, ignore_index: int,
         reduction: str, label_smoothing: float = 0.0) -> Any:
    """``-log p[i, t_i]`` for ``log p = s - lse`` (``lse`` None: ``s`` is ``log p``), masked,
    weighted, smoothed and reduced as PyTorch.

    The target is picked with a one-hot mask (one compare against a constant ``arange``
    and one ``where``), not a gather: its gradient is then a ``where`` too, instead of a
    bounds-checked scatter, and the whole loss stays a handful of elementwise ops. A
    non-ignored target out of ``[0, C)`` hits no class and gives NaN (as a gather's fill).
    """
    axis = _class_axis(name, s)
    c = s.shape[axis]
    _check_target(name, s, target, axis)
    w = _check_weight(name, weight, c)
    classes = _weights_along(fnp.arange(c, dtype=target.dtype), axis, s.ndim)
    hot = classes == fnp.expand_dims(target, axis)
    picked = fnp.sum(fnp.where(hot, s, 0), axis=axis)
    nll = -picked if lse is None else lse - picked
    valid = target != ignore_index
    # A target hits exactly one class unless ignored or out of range; an ignore_index
    # outside [0, C) never hits, so the mask needs no second compare.
    hit = fnp.any(hot, axis=axis)
    if 0 <= ignore_index < c:
        hit = hit & valid
    w_i = None if w is None else fnp.sum(fnp.where(hot, _weights_along(w, axis, s.ndim), 0),
                                         axis=axis).astype(s.dtype)
    loss = nll if w_i is None else nll * w_i
    if label_smoothing:
        # -sum_c w_c log p_c = sum_c w_c (lse - s_c), without forming log p.
        ws = s if w is None else s * _weights_along(w, axis, s.ndim)
        smooth = -fnp.sum(ws, axis=axis)
        if lse is not None:
            smooth = smooth + lse * (c if w is None else fnp.sum(w).astype(s.dtype))
        loss = (1 - label_smoothing) * loss + (label_smoothing / c) * smooth
    # One select: the loss where a class is hit, 0 where ignored, NaN where out of range.
    loss = fnp.where(hit, loss, fnp.where(valid, fnp.nan, 0))
    if reduction != "mean":
        return _reduce(loss, reduction)
    count = valid.astype(s.dtype) if w_i is None else fnp.where(valid, w_i, 0)
    return fnp.sum(loss) / fnp.sum(count)


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Any:
    """Negative log-likelihood of integer ``target`` under log-probabilities ``input``.

    ``loss_i = -weight[t_i] * input[i, t_i]``; the mean divides by the sum of the weights
    of the targets counted; targets equal to ``ignore_index`` count nothing.

    Args:
        input: log-probabilities ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``.
        target: class indices ``(N,)``, ``()`` or ``(N, d1, ...)``.
        weight: optional per-class weights ``(C,)``.
        ignore_index: a target value to skip.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Raises:
        ValueError: for shapes that do not match, or an unknown reduction.

    Examples:
        >>> import funcdiff as fd
        >>> logp = fd.numpy.log(fd.numpy.array([[0.5, 0.5], [0.1, 0.9]]))
        >>> fd.nn.nll_loss(logp, fd.numpy.array([0, 1]))
        Array(0.39925388, dtype=float32)
    """
    _check_reduction("nll_loss", reduction)
    (logp,) = promote_inexact(as_input(input), op="nll_loss")
    t = as_input(target)
    if not fnp.issubdtype(t.dtype, fnp.integer):
        raise TypeError(f"nll_loss: target must hold integer class indices, got {t.dtype}")
    return _nll("nll_loss", logp, None, t, weight, ignore_index, reduction)


def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Any:
    """Cross-entropy between logits and class indices or class probabilities (as
    ``torch.nn.functional.cross_entropy``).

    Classes are on the last axis of ``(N, C)`` (or the only axis of ``(C,)``) and on axis 1
    of ``(N, C, d1, ...)``, as PyTorch. Log-probabilities come from a stable
    ``log_softmax``.

    * Integer ``target`` (indices, ``input``'s shape without the class axis):
      ``loss_i = -weight[t_i] * log_softmax(input)[i, t_i]``; targets equal to
      ``ignore_index`` are skipped; the mean divides by the sum of the counted targets'
      weights; any other target outside ``[0, C)`` gives NaN (PyTorch raises). With
      ``label_smoothing = e`` the loss is ``(1 - e) * nll + e / C *
      sum_c(-weight[c] * logp[i, c])``.
    * Float ``target`` (probabilities, ``input``'s shape): ``loss_i = -sum_c weight[c] *
      target[i, c] * logp[i, c]`` with ``target`` smoothed to ``(1 - e) target + e / C``;
      the mean divides by the number of samples.

    Args:
        input: logits.
        target: class indices (integers) or class probabilities (floats).
        weight: optional per-class weights ``(C,)``.
        ignore_index: an index target value to skip.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
        label_smoothing: ``e`` in ``[0, 1]``.

    Raises:
        ValueError: for shapes that do not match, a bad reduction or label smoothing.

    Examples:
        >>> import funcdiff as fd
        >>> logits = fd.numpy.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
        >>> fd.nn.cross_entropy(logits, fd.numpy.array([0, 1]))
        Array(0.36064535, dtype=float32)
        >>> fd.nn.cross_entropy(logits, fd.nn.one_hot(fd.numpy.array([0, 1]), 3))
        Array(0.36064535, dtype=float32)
        >>> fd.nn.cross_entropy(logits, fd.numpy.array([0, 1]), label_smoothing=0.1)
        Array(0.477312, dtype=float32)
    """
    name = "cross_entropy"
    _check_reduction(name, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    (x,) = promote_inexact(as_input(input), op=name)
    axis = _class_axis(name, x)
    t = as_input(target)
    if fnp.issubdtype(t.dtype, fnp.integer):
        _check_target(name, x, t, axis)  # before any op, so a bad shape fails first
        # log_softmax without materializing it: s = x - max, lse = log(sum(exp(s))),
        # -log p[t] = lse - s[t] (the max carries no gradient: it only shifts).
        s = x - lax.stop_gradient(fnp.max(x, axis=axis, keepdims=True))
        lse = fnp.log(fnp.sum(fnp.exp(s), axis=axis))
        return _nll(name, s, lse, t, weight, ignore_index, reduction, label_smoothing)
    logp = log_softmax(x, axis=axis)
    if t.shape != x.shape:
        raise ValueError(
            f"{name}: class-probability target must have input's shape {tuple(x.shape)}, got "
            f"{tuple(t.shape)} (integer class indices would have shape "
            f"{tuple(x.shape[:axis] + x.shape[axis + 1:])})"
        )
    c = x.shape[axis]
    t = t.astype(logp.dtype)
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / c
    w = _check_weight(name, weight, c)
    wl = logp if w is None else logp * _weights_along(w, axis, x.ndim)
    loss = -fnp.sum(t * wl, axis=axis)
    return _reduce(loss, reduction)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Any:
    """``-weight * (t log p + (1 - t) log(1 - p))`` for probabilities ``p = input``; each log
    is clamped at -100, as PyTorch (prefer :func:`binary_cross_entropy_with_logits`).

    Examples:
        >>> import funcdiff as fd
        >>> fd.nn.binary_cross_entropy(fd.numpy.array([0.9, 0.2]), fd.numpy.array([1.0, 0.0]))
        Array(0.16425206, dtype=float32)
    """
    p, t = _pair("binary_cross_entropy", input, target, reduction)
    # Clamped at -100 as PyTorch; log(0) is never evaluated, so no warnings and no NaN
    # gradients at p = 0 or 1.
    log_p = fnp.where(p > 0, fnp.maximum(fnp.log(fnp.where(p > 0, p, 1)), -100.0), -100.0)
    log_1mp = fnp.where(p < 1, fnp.maximum(fnp.log1p(-fnp.where(p < 1, p, 0)), -100.0), -100.0)
    loss = -(t * log_p + (1 - t) * log_1mp)
    if weight is not None:
        loss = loss * as_input(weight)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Any:
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits.

    ``loss = -weight * (pos_weight * t * log sigmoid(x) + (1 - t) * log(1 - sigmoid(x)))``,
    evaluated as ``(1 - t) x + (1 + (pos_weight - 1) t) * softplus(-x)`` without overflow.

    Args:
        input: logits.
        target: targets in ``[0, 1]``, of ``input``'s shape.
        weight: optional weights broadcast to the loss.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
        pos_weight: optional weight of positive examples, broadcast along the last axis.

    Examples:
        >>> import funcdiff as fd
        >>> x, t = fd.numpy.array([1000.0, -1000.0, 0.0]), fd.numpy.array([1.0, 0.0, 1.0])
        >>> fd.nn.binary_cross_entropy_with_logits(x, t, reduction="none")
        Array([0.       , 0.       , 0.6931472], dtype=float32)
    """
    x, t = _pair("binary_cross_entropy_with_logits", input, target, reduction)
    softplus_neg = softplus(-x)  # log(1 + e^-x) = -log(sigmoid(x)), without overflow
    if pos_weight is None:
        loss = (1 - t) * x + softplus_neg
    else:
        loss = (1 - t) * x + (1 + (as_input(pos_weight) - 1) * t) * softplus_neg
    if weight is not None:
        loss = loss * as_input(weight)
    return _reduce(loss, reduction)
