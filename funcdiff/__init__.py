"""funcdiff: a functional, JAX-style machine-learning framework over NumPy and CuPy.

Pure functions over immutable arrays are traced into a small typed IR (a jaxpr) that the
transforms ``grad``, ``vmap`` and ``jit`` rewrite; they compose in any order.

Examples:
    >>> import funcdiff as fd
    >>> import funcdiff.numpy as fnp
    >>> fd.grad(lambda x: fnp.sum(x ** 2))(fnp.array([1.0, 2.0]))
    Array([2., 4.], dtype=float32)
"""

from . import data, lax, nn, numpy, optim, random, tree
from .checkpoint_io import load, save
from .core.array import Array
from .core.builder import make_jaxpr
from .core.config import config
from .core.ir import Jaxpr
from .core.tracing import ConcretizationTypeError, UnexpectedTracerError
from .devices import default_device, device_get, device_put, devices
from .lax import stop_gradient
from .testing import check_grads
from .transforms.ad_api import grad, hessian, jacfwd, jacrev, jvp, linearize, value_and_grad, vjp
from .transforms.checkpoint import checkpoint, remat
from .transforms.custom import custom_jvp, custom_vjp
from .transforms.jit import jit
from .transforms.vmap import vmap

__version__ = "0.1.0"

__all__ = [
    "Array", "ConcretizationTypeError", "Jaxpr", "UnexpectedTracerError", "config",
    "default_device", "device_get", "device_put", "devices", "grad", "hessian", "jacfwd",
    "jacrev", "jvp", "lax",
    "linearize", "make_jaxpr", "numpy", "stop_gradient", "tree", "value_and_grad", "vjp", "vmap",
    "check_grads", "checkpoint", "custom_jvp", "custom_vjp", "remat",
    "data", "load", "nn", "optim", "random", "save", "jit",
]
