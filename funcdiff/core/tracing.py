"""Interpreters and tracers: how a bound primitive is evaluated, recorded or transformed.

One *current interpreter* is active at a time; each has a ``parent``. A primitive's
``bind`` goes to the current one. An interpreter handles operations on its own tracers and
hands anything else to its parent, and computes its results by binding operations on the
parent's values, so transforms nest (``grad`` of ``vmap`` of ``jit``…) with no levels to
number. The root interpreter evaluates on the backend.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .. import backend as _backend
from . import dtypes
from . import primitive as _primitive_module
from .array import Array, ArrayImpl
from .aval import ShapedArray
from .config import config
from .primitive import Primitive
from .source import at_user_line


class ConcretizationTypeError(TypeError):
    """A traced value was used where Python needs a concrete one (``if``, ``int()``…)."""


class UnexpectedTracerError(TypeError):
    """A tracer escaped the transform that made it (stored in a global, returned in aux…)."""


class Interpreter:
    """Handles bound primitives. Subclasses define ``process`` for their own tracers."""

    parent: Interpreter | None = None

    def process(self, prim: Primitive, args: Sequence[Any], params: dict) -> list:
        raise NotImplementedError

    def concrete_value(self, tracer: Tracer) -> Any:
        raise ConcretizationTypeError(
            f"a traced value {tracer.aval.str_short()} was used where a concrete value is "
            f"needed{at_user_line()}"
        )

    def owns(self, x: Any) -> bool:
        return isinstance(x, Tracer) and x._interp is self


class Tracer(Array):
    """An array standing in for a value while an interpreter traces a function."""

    __slots__ = ("_interp", "aval")

    def __init__(self, interp: Interpreter, aval: ShapedArray) -> None:
        self._interp = interp
        self.aval = aval

    def _concrete(self) -> Any:
        return self._interp.concrete_value(self)

    def __bool__(self) -> bool:
        return bool(to_host(self._concrete()))

    def __float__(self) -> float:
        return float(to_host(self._concrete()))

    def __int__(self) -> int:
        return int(to_host(self._concrete()))

    def __complex__(self) -> complex:
        return complex(to_host(self._concrete()))

    def __index__(self) -> int:
        if self.aval.dtype.kind not in "iub" or self.aval.shape:
            raise TypeError(
                f"only integer scalar arrays can be used as an index, got {self.aval.str_short()}"
            )
        return int(to_host(self._concrete()))

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        return np.asarray(to_host(self._concrete()))

    def item(self, *args: Any) -> Any:
        return to_host(self._concrete()).item(*args)

    def tolist(self) -> Any:
        return to_host(self._concrete()).tolist()

    @property
    def device(self) -> Any:
        return device_of(self._concrete())

    def __repr__(self) -> str:
        return f"Traced<{self.aval.str_short()}> with {type(self._interp).__name__}"

    __str__ = __repr__


# ---------------------------------------------------------------------------------------
# The current interpreter


class _State(threading.local):
    def __init__(self) -> None:
        self.current: Interpreter = EvalInterpreter()


def current_interpreter() -> Interpreter:
    return _state.current


@contextmanager
def use_interpreter(interp: Interpreter):
    prev = _state.current
    _state.current = interp
    try:
        yield interp
    finally:
        _state.current = prev


def process_in(interp: Interpreter, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` with ``interp`` current: rules bind their operations one level up."""
    prev = _state.current
    _state.current = interp
    try:
        return fn(*args, **kwargs)
    finally:
        _state.current = prev


# ---------------------------------------------------------------------------------------
# Abstract values of anything an operation accepts


# Abstract values of scalars depend only on their type (and on enable_x64): keep them.
_scalar_avals: dict[tuple, ShapedArray] = {}


def get_aval(x: Any) -> ShapedArray:
    if isinstance(x, Array):
        return x.aval
    if isinstance(x, (bool, int, float, complex)):
        key = (type(x), config._values["enable_x64"])
        aval = _scalar_avals.get(key)
        if aval is None:
            aval = _scalar_avals[key] = ShapedArray((), dtypes.dtype_of_scalar(x), True)
        return aval
    if isinstance(x, np.generic):
        # Typed scalars made by funcdiff's own wrappers from Python scalars: weak.
        key = (x.dtype, config._values["enable_x64"])
        aval = _scalar_avals.get(key)
        if aval is None:
            aval = _scalar_avals[key] = ShapedArray((), dtypes.canonicalize(x.dtype), True)
        return aval
    if isinstance(x, np.ndarray) and x.ndim == 0:
        # Typed scalars with an explicit dtype (lax.full(..., dtype=...)): strong.
        return ShapedArray((), dtypes.canonicalize(x.dtype))
    raise TypeError(
        f"{type(x).__name__} is not a valid funcdiff array or scalar; convert it with "
        "fd.numpy.asarray"
    )


def to_host(x: Any) -> np.ndarray:
    """A host NumPy copy of a concrete value (explicitly, so device arrays allow it)."""
    if isinstance(x, ArrayImpl):
        return x._host()
    if isinstance(x, Tracer):
        return to_host(x._concrete())
    return np.asarray(x)


def device_of(x: Any) -> Any:
    if isinstance(x, ArrayImpl):
        return x.device
    if isinstance(x, Tracer):
        return x.device
    return _backend.get_backend().devices()[0]


# ---------------------------------------------------------------------------------------
# The root interpreter: evaluation on the backend


class EvalInterpreter(Interpreter):
    """Runs each primitive's implementation on the arrays' backend."""

    def process(self, prim: Primitive, args: Sequence[Any], params: dict) -> list:
        # The hot path of eager code: one pass over the arguments, backends found by type.
        vals, avals, backend, mixed = [], [], None, False
        by_type = _backend._BY_TYPE
        for x in args:
            if x.__class__ is ArrayImpl:
                raw = x._value
                b = by_type.get(raw.__class__) or _backend.backend_of(raw)
                if b is not backend:
                    if backend is None:
                        backend = b
                    else:
                        backend, mixed = _mixed_backends(prim, backend, b, args), True
                vals.append(raw)
                avals.append(x.aval)
            elif isinstance(x, Tracer):
                raise UnexpectedTracerError(
                    f"{prim.name} got a tracer ({x.aval.str_short()}) from a transform that has "
                    "already finished: a traced value escaped, e.g. through a global, a "
                    f"closure kept for later, or a side output{at_user_line()}. Return values "
                    "from the transformed function instead."
                )
            else:
                avals.append(get_aval(x))
                vals.append(x[()] if isinstance(x, np.ndarray) else x)
        # The shape rule's answer, remembered per primitive (see _cached_abstract_eval).
        try:
            key = (_x64(), *avals, *params.items()) if params else (_x64(), *avals)
            out_avals = prim._aval_cache.get(key)
        except TypeError:  # unhashable params (sub-jaxprs): no caching
            key = out_avals = None
        if out_avals is None:
            out_avals = _cached_abstract_eval(prim, avals, params, key)
        if backend is None:
            backend = _backend.get_backend()
        if mixed or backend.multi_device:
            outs = _run_placed(prim, backend, vals, params, args)
        else:
            outs = prim.impl(backend.xp, *vals, **params)
        types = backend.array_types
        if not prim.multiple_results:
            a = out_avals[0]
            if outs.__class__ in types and outs.dtype == a.dtype:
                results = [ArrayImpl(outs, a)]
            elif isinstance(outs, np.generic) and outs.dtype == a.dtype:
                # NumPy returns scalars for 0-d results: every scalar op lands here.
                results = [ArrayImpl(backend.xp.asarray(outs), a)]
            else:
                results = [_wrap(outs, a, backend)]
        else:
            results = [ArrayImpl(o, a) if o.__class__ in types and o.dtype == a.dtype
                       else _wrap(o, a, backend) for o, a in zip(outs, out_avals, strict=True)]
        if _config_values["debug_nans"]:
            _check_nans(prim, results)
        return results


_config_values = config._values


def _x64() -> bool:
    return _config_values["enable_x64"]


def _cached_abstract_eval(prim: Primitive, avals: list, params: dict, key: Any) -> list:
    # Eager code applies the same op to the same types again and again (every training
    # step): each primitive remembers its shape rule's answers (``key``: enable_x64, the
    # avals and the params; None when the params are unhashable) instead of re-deriving
    # them each time.
    out = prim.abstract_eval(*avals, **params)
    if key is not None:
        cache = prim._aval_cache
        if len(cache) > 1024:
            cache.clear()
        cache[key] = out
    return out


def _wrap(raw: Any, aval: ShapedArray, backend: Any) -> ArrayImpl:
    if type(raw) not in backend.array_types:
        raw = backend.xp.asarray(raw)
    if raw.dtype != aval.dtype:
        raw = raw.astype(aval.dtype)
    return ArrayImpl(raw, aval)


def _mixed_backends(prim: Primitive, a: Any, b: Any, args: Sequence[Any]) -> Any:
    # Host NumPy data is placed automatically next to device data; two devices never mix.
    if a.name == "numpy":
        return b
    if b.name == "numpy":
        return a
    devs = sorted({str(device_of(x)) + f" ({_backend.backend_of(x._value).name})"
                   for x in args if isinstance(x, ArrayImpl)})
    raise ValueError(
        f"{prim.name} got arrays on different devices: {', '.join(devs)}{at_user_line()}. "
        "Move them to one device first with fd.device_put(x, device)."
    )


def _run_placed(prim: Primitive, backend: Any, vals: list, params: dict,
                args: Sequence[Any]) -> Any:
    """Run ``prim`` where its device arrays live: host NumPy operands and scalars (0-d
    arrays, such as those made for Python numbers) are copied there first; arrays on two
    devices of one backend (two GPUs) are an error."""
    types = backend.array_types
    scalar = [isinstance(a, ArrayImpl) and not a.aval.shape for a in args]
    devs = {backend.device_of(v) for v, s in zip(vals, scalar) if type(v) in types and not s}
    if len(devs) > 1:
        names = ", ".join(sorted(str(d) for d in devs))
        raise ValueError(
            f"{prim.name} got arrays on different devices: {names}{at_user_line()}. Move them "
            "to one device first with fd.device_put(x, device) (or x.to(device))."
        )
    if not devs:  # scalars only: the first one's device
        devs = {next((backend.device_of(v) for v in vals if type(v) in types),
                     backend.current_device())}
    dev = devs.pop()
    with backend.on_device(dev):
        vals = [backend.from_host(v, dev) if type(v) is np.ndarray
                else backend.from_host(backend.to_host(v), dev)
                if s and type(v) in types and backend.device_of(v) != dev else v
                for v, s in zip(vals, scalar)]
        return prim.impl(backend.xp, *vals, **params)


def _check_nans(prim: Primitive, results: list[ArrayImpl]) -> None:
    for r in results:
        if dtypes.is_inexact(r.dtype):
            xp = _backend.backend_of(r._value).xp
            if bool(xp.isnan(r._value).any()):
                raise FloatingPointError(
                    f"debug_nans: {prim.name} produced a NaN{at_user_line()}. Turn the check "
                    "off with fd.config.update('debug_nans', False)."
                )


_state = _State()
_primitive_module._state = _state  # Primitive.bind reads the current interpreter from here


# ---------------------------------------------------------------------------------------
# Evaluating a jaxpr: bind each equation in the current interpreter, so it nests


def eval_jaxpr(jaxpr: Any, consts: Sequence[Any], *args: Any) -> list:
    """Evaluate ``jaxpr`` on ``args`` (binding each equation, so transforms see them)."""
    from .ir import Literal

    env: dict[Any, Any] = {}
    for v, x in zip(jaxpr.constvars, consts, strict=True):
        env[v] = x
    if len(args) != len(jaxpr.invars):
        raise TypeError(f"jaxpr takes {len(jaxpr.invars)} arguments, got {len(args)}")
    for v, x in zip(jaxpr.invars, args, strict=True):
        env[v] = x

    def read(a: Any) -> Any:
        return a.val if isinstance(a, Literal) else env[a]

    interp = _state.current
    for eqn in jaxpr.eqns:
        outs = interp.process(eqn.prim, [read(a) for a in eqn.invars], eqn.params)
        for v, o in zip(eqn.outvars, outs, strict=True):
            env[v] = o
    return [read(a) for a in jaxpr.outvars]
