"""``funcdiff.nn``: models as pytrees — ``Module``, PyTorch-style layers, activations
(``jax.nn``), losses (``torch.nn.functional``) and initializers (``fd.nn.init``).

A model is a :class:`Module`: its attributes set in ``__init__`` are its fields, arrays and
submodules are pytree leaves and nodes, everything else is static, and it is frozen once
built. So a model goes straight through ``grad``, ``vmap``, ``jit``, optimizers and
``fd.save``. Layers take PyTorch's arguments and parameter layouts plus a ``key`` keyword
for initialization; randomness (``key=``), mode (``inference=``/``training=``) and state
(``BatchNorm``) are explicit arguments. See ``docs/nn.md``.

Examples:
    >>> import funcdiff as fd
    >>> from funcdiff import nn
    >>> model = nn.Sequential(nn.Linear(3, 4, key=fd.random.key(0)), nn.relu,
    ...                       nn.Linear(4, 1, key=fd.random.key(1)))
    >>> loss = lambda m, x, y: nn.mse_loss(m(x), y)
    >>> grads = fd.grad(loss)(model, fd.numpy.ones((2, 3)), fd.numpy.zeros((2, 1)))
    >>> grads[0].weight.shape
    (4, 3)
"""

from . import init
from .activations import (
    celu,
    elu,
    gelu,
    glu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    logsumexp,
    mish,
    normalize,
    one_hot,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_sign,
    softmax,
    softplus,
    standardize,
    swish,
    tanh,
)
from .attention import MultiheadAttention
from .containers import Flatten, Identity, Lambda, Sequential
from .conv import Conv1d, Conv2d, Conv3d
from .dropout import Dropout
from .embedding import Embedding
from .linear import Linear
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .module import FrozenModuleError, Module, tree_at
from .norm import BatchNorm, BatchNormState, LayerNorm
from .pooling import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d

__all__ = [
    "AvgPool1d", "AvgPool2d", "BatchNorm", "BatchNormState", "Conv1d", "Conv2d", "Conv3d",
    "Dropout", "Embedding", "Flatten", "FrozenModuleError", "Identity", "Lambda", "LayerNorm",
    "Linear", "MaxPool1d", "MaxPool2d", "Module", "MultiheadAttention", "Sequential",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "celu", "cross_entropy", "elu",
    "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "huber_loss",
    "init", "l1_loss", "leaky_relu", "log_sigmoid", "log_softmax", "logsumexp", "mish",
    "mse_loss", "nll_loss", "normalize", "one_hot", "relu", "relu6", "selu", "sigmoid", "silu",
    "smooth_l1_loss", "soft_sign", "softmax", "softplus", "standardize", "swish", "tanh",
    "tree_at",
]
