"""``Linear``: the fully connected layer, with PyTorch's arguments, names and layout."""

from __future__ import annotations

from typing import Any

from .. import lax
from ..numpy._promote import promote_dtypes
from ._checks import as_input, layer_name, param_dtype, positive_int, split_key
from .init import default_uniform
from .module import Module

__all__ = ["Linear"]


class Linear(Module):
    """``y = x @ weight.T + bias`` over the last axis of ``x`` (as ``torch.nn.Linear``).

    Parameters (PyTorch's names and layout): ``weight`` of shape ``(out_features,
    in_features)`` and ``bias`` of shape ``(out_features,)`` (``None`` with ``bias=False``),
    both drawn from PyTorch's default ``uniform(-1/sqrt(in_features), 1/sqrt(in_features))``.

    Args:
        in_features: the size of the input's last axis.
        out_features: the size of the output's last axis.
        bias: whether to add a learned bias.
        key: the PRNG key for initialization (keyword-only).
        dtype: the parameters' float dtype (default float32; float64 with x64).

    Input: ``(*, in_features)``, any number of leading axes (none too). Output:
    ``(*, out_features)``.

    Raises:
        ValueError: when called on an input whose last axis is not ``in_features``.

    Examples:
        >>> import funcdiff as fd
        >>> lin = fd.nn.Linear(10, 20, key=fd.random.key(0))
        >>> lin
        Linear(in_features=10, out_features=20, weight=f32[20,10], bias=f32[20])
        >>> lin(fd.numpy.ones((4, 10))).shape
        (4, 20)
        >>> lin(fd.numpy.ones((4, 3)))
        Traceback (most recent call last):
        ...
        ValueError: Linear(in_features=10, out_features=20) expected input with last axis 10, ...
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, key: Any,
                 dtype: Any = None) -> None:
        self.in_features = positive_int("Linear", "in_features", in_features, 0)
        self.out_features = positive_int("Linear", "out_features", out_features, 0)
        dt = param_dtype(dtype, "Linear")
        wkey, bkey = split_key("Linear", key, 2)
        shape = (self.out_features, self.in_features)
        self.weight = default_uniform(wkey, shape, self.in_features, dt)
        self.bias = (default_uniform(bkey, (self.out_features,), self.in_features, dt)
                     if bias else None)

    def __call__(self, x: Any) -> Any:
        """Apply the layer to ``x`` of shape ``(*, in_features)``."""
        x = as_input(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"{layer_name(self, 'in_features', 'out_features')} expected input with last "
                f"axis {self.in_features}, got shape {tuple(x.shape)}"
            )
        x, w = promote_dtypes(x, self.weight, op="Linear")
        y = lax.dot_general(x, w, (((x.ndim - 1,), (1,)), ((), ())))
        if self.bias is not None:
            y = y + self.bias
        return y
