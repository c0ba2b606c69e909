"""Eager reverse mode, compiled: a backward pass seen before runs as generated code.

Eager ``grad`` records the forward pass on a tape every call (Python control flow must
follow the branch taken), then walks the tape backwards applying each primitive's reverse
rule. The walk costs several interpreted ``lax`` calls per equation, while the same tape
structure comes back call after call in a training loop. So the backward pass is keyed by
the tape's *structure* — each equation's primitive, parameters and inputs, the avals of
the tape's inputs, which cotangents are given — and from the second time a structure is
seen, its backward pass is traced once into a jaxpr (the same rules, run on abstract
tracers) and lowered by jit's code generator into one straight-line function. Later calls
only check the key and run that function on the tape's values.

It applies at the root (no enclosing ``jit``, ``vmap`` or ``grad`` trace: those record the
backward pass themselves), on a single-device backend, without ``debug_nans`` (whose eager
errors name each equation), and to tapes whose equations have hashable parameters and no
residual-keeping rules (control flow, ``custom_vjp``, ``custom_jvp``, which run user
callbacks or keep Python state). Anything else takes the interpreted walk, as does any
tape whose backward pass cannot be traced abstractly.

``fd.config.update("eager_backward_compile", False)`` turns it off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from .. import backend as _backends
from ..core import config as _config
from ..core import tracing as _tracing
from ..core.array import ArrayImpl
from ..core.builder import JaxprBuilder
from ..core.ir import Eqn, Jaxpr, Literal, Var

# Compiled backward passes, oldest first; at most CAPACITY of them (the oldest goes).
CAPACITY = 256
_compiled: OrderedDict[tuple, Any] = OrderedDict()
# Structures seen once (compiled at their second sighting): a single call pays no compile.
_seen: OrderedDict[tuple, None] = OrderedDict()
_lock = threading.Lock()
_UNSUPPORTED = object()  # a structure whose backward pass could not be traced
# Literals holding arrays (0-d, closed over): their values vary, so they are inputs.
_ARRAYS = (ArrayImpl, np.ndarray)
_runs = [0]  # backward passes that ran as compiled code (see info())


class _Compiled:
    """A backward pass as code: which tape values it reads, and how to wrap its results."""

    __slots__ = ("exe", "reads", "out_avals", "out_pos", "n_wanted")

    def __init__(self, exe: Any, reads: list[int], out_avals: list, out_pos: list[int],
                 n_wanted: int) -> None:
        self.exe, self.reads, self.out_avals = exe, reads, out_avals
        self.out_pos, self.n_wanted = out_pos, n_wanted


def backward(jaxpr: Jaxpr, env: dict, cts: list, wanted: list[Var]) -> list | None:
    """The cotangents of ``wanted`` (``None`` for zero), or ``None`` when this tape must take
    the interpreted :func:`~funcdiff.transforms.ad.backward_pass`."""
    values = _config.config._values
    if not values["eager_backward_compile"] or values["debug_nans"]:
        return None
    if _tracing._state.current.__class__ is not _tracing.EvalInterpreter:
        return None
    sig = _signature(jaxpr, env, cts, wanted, values["enable_x64"])
    if sig is None:
        return None
    key, raws, backend = sig
    entry = _compiled.get(key)
    if entry is None:
        entry = _miss(key, jaxpr, cts, wanted, backend)
        if entry is None:
            return None
    if entry is _UNSUPPORTED:
        return None
    outs = entry.exe([raws[i] for i in entry.reads])
    _runs[0] += 1
    got: list = [None] * entry.n_wanted
    for pos, raw, aval in zip(entry.out_pos, outs, entry.out_avals, strict=True):
        got[pos] = ArrayImpl(raw, aval)
    return got


def _raw(x: Any) -> Any:
    return x._value if x.__class__ is ArrayImpl else x


def _signature(jaxpr: Jaxpr, env: dict, cts: list, wanted: list[Var],
               x64: bool) -> tuple | None:
    """``(key, raw values, backend)``: the tape's structure, and its values in the order the
    compiled code takes them (tape vars, array literals, given cotangents); ``None`` when
    the tape does not qualify."""
    index: dict[Var, int] = {}
    raws: list = []
    lits: list = []
    parts: list = []
    for v in (*jaxpr.constvars, *jaxpr.invars):
        index[v] = len(raws)
        raws.append(_raw(env.get(v)))
        parts.append(v.aval)
    for eqn in jaxpr.eqns:
        ins = []
        for a in eqn.invars:
            if a.__class__ is Var:
                ins.append(index[a])
            elif a.val.__class__ in _ARRAYS:
                ins.append(a.aval)
                lits.append(_raw(a.val))
            else:
                val = a.val
                if val != val:  # NaN: never equal to itself, so never a cache hit
                    return None
                # (repr tells -0.0 from 0.0, which compare and hash equal)
                ins.append((val.__class__, val, a.aval, repr(val) if val == 0 else None))
        params = eqn.params
        parts.append((eqn.prim, tuple(ins), tuple(params.items()) if params else ()))
        for v in eqn.outvars:
            index[v] = len(raws)
            raws.append(_raw(env.get(v)))
    raws += lits
    ct_avals = []
    for c in cts:
        if c is None:
            ct_avals.append(None)
        elif c.__class__ is ArrayImpl:
            ct_avals.append(c.aval)
            raws.append(c._value)
        else:
            return None
    if not raws:
        return None
    backend = _backends._BY_TYPE.get(raws[0].__class__)
    if backend is None or backend.multi_device:
        return None
    types = backend.array_types
    for r in raws:
        if r.__class__ not in types:  # a tracer, a scalar, an array of another backend
            return None
    outs = tuple(index[v] if v.__class__ is Var else v.aval for v in jaxpr.outvars)
    key = (backend.name, x64, tuple(parts), outs, tuple(ct_avals),
           tuple(index[v] for v in wanted))
    try:
        hash(key)
    except TypeError:  # parameters holding jaxprs or arrays: not a structure we can key
        return None
    return key, raws, backend


def _miss(key: tuple, jaxpr: Jaxpr, cts: list, wanted: list[Var], backend: Any) -> Any:
    """Compile at the second sighting of ``key`` (``None`` at the first)."""
    with _lock:
        if key not in _seen:
            _seen[key] = None
            if len(_seen) > CAPACITY:
                _seen.popitem(last=False)
            return None
    try:
        entry = _compile(jaxpr, cts, wanted, backend)
    except Exception:  # noqa: BLE001 - any rule that needs concrete values: stay eager
        entry = _UNSUPPORTED
    with _lock:
        _compiled[key] = entry
        if len(_compiled) > CAPACITY:
            _compiled.popitem(last=False)
    return entry


def _compile(jaxpr: Jaxpr, cts: list, wanted: list[Var], backend: Any) -> Any:
    from . import codegen
    from .ad import backward_pass

    # The tape with array literals turned into vars, so that they are inputs of the code.
    tape_vars = [*jaxpr.constvars, *jaxpr.invars, *(v for e in jaxpr.eqns for v in e.outvars)]
    eqns, lit_vars = [], []
    for eqn in jaxpr.eqns:
        ins = []
        for a in eqn.invars:
            if a.__class__ is Literal and a.val.__class__ in _ARRAYS:
                a = Var(a.aval)
                lit_vars.append(a)
            ins.append(a)
        eqns.append(Eqn(eqn.prim, ins, eqn.outvars, eqn.params))
    tape = Jaxpr([], [], eqns, jaxpr.outvars)

    root = _tracing._state.current
    b = JaxprBuilder(root, why="grad")
    env = {v: b.new_arg(v.aval) for v in (*tape_vars, *lit_vars)}
    ct_in = [None if c is None else b.new_arg(c.aval) for c in cts]
    with _tracing.use_interpreter(b):
        got = backward_pass(tape, env, ct_in, wanted)
    out_pos = [i for i, g in enumerate(got) if g is not None]
    code = b.build([got[i] for i in out_pos])
    # Only the inputs the backward pass reads are passed to the code.
    used = {a for e in code.eqns for a in e.invars if a.__class__ is Var}
    used.update(v for v in code.outvars if v.__class__ is Var)
    reads = [i for i, v in enumerate(code.invars) if v in used]
    code = Jaxpr(code.constvars, [code.invars[i] for i in reads], code.eqns, code.outvars,
                 code.consts)
    # No fused CUDA kernels: eager code must not stop to compile with NVRTC.
    exe = codegen.lower(code, backend, name="backward", fuse=False)
    out_avals = [v.aval for v in code.outvars]
    return _Compiled(exe, reads, out_avals, out_pos, len(wanted))


def info() -> dict[str, int]:
    """How the cache stands: ``compiled`` structures, ``unsupported`` ones (their backward
    pass could not be traced: they stay eager), and ``runs`` of compiled code so far.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff.transforms import ad_compiled
        >>> ad_compiled.clear()
        >>> g = fd.grad(lambda x: fnp.sum(fnp.sin(x) * x))
        >>> for _ in range(3):
        ...     _ = g(fnp.ones(3))
        >>> ad_compiled.info()  # the first call walks the tape; the next two run the code
        {'compiled': 1, 'unsupported': 0, 'runs': 2}
    """
    entries = list(_compiled.values())
    bad = sum(e is _UNSUPPORTED for e in entries)
    return {"compiled": len(entries) - bad, "unsupported": bad, "runs": _runs[0]}


def clear() -> None:
    """Forget every compiled backward pass (tests; after registering new rules)."""
    with _lock:
        _compiled.clear()
        _seen.clear()
        _runs[0] = 0

