"""``jit``: trace a function once per signature, optimize the jaxpr, compile it to Python.

A jitted function keeps a cache keyed by everything tracing depends on: the pytree
structure of the arguments, each leaf's shape, dtype and weak type, the static arguments'
values and the config flags. On a miss it traces the function with abstract values into a
jaxpr; the first time that trace runs on a backend, :mod:`.passes` optimize the jaxpr and
:mod:`.codegen` turns it into one straight-line Python function calling the backend, with
its buffers planned. Later calls go straight to that function.

Under another transform (``grad``, ``vmap``, an outer ``jit``, ``make_jaxpr``) the call binds
``pjit``, a primitive holding the traced jaxpr, whose rules (:mod:`.pjit`) let every
transform see through it.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from .. import backend as _backends
from .. import tree
from ..core.array import ArrayImpl
from ..core.aval import ShapedArray
from ..core.builder import trace_to_jaxpr
from ..core.config import config
from ..core.convert import as_operand
from ..core.ir import Jaxpr, _Names, _param_str, pp_jaxpr
from ..core.tracing import EvalInterpreter, Tracer, current_interpreter
from . import codegen
from .cost import Cost, estimate
from .passes import PassRecord, optimize
from .pjit import _device_key, _ident, pjit_p

# A function traced more often than this warns, naming what changed.
RETRACE_WARN_AFTER = 5


class RetraceWarning(UserWarning):
    """A jitted function keeps being traced again, so each call pays tracing and compiling."""


class NonHashableStaticArgError(TypeError, ValueError):
    """A static argument of ``jit`` cannot be hashed, so it cannot key the cache."""


# ---------------------------------------------------------------------------------------
# The cache


class _Compiled:
    """One traced signature, optimized and lowered for one backend."""

    def __init__(self, entry: _Entry, backend: Any, name: str) -> None:
        t0 = time.perf_counter()
        self.optimized, self.passes = optimize(entry.jaxpr)
        self.executable = codegen.lower(self.optimized, backend, donate=entry.donated,
                                        debug_nans=entry.debug_nans, name=_ident(name))
        self.compile_ms = (time.perf_counter() - t0) * 1e3


class _Entry:
    """One traced signature: the jaxpr and what the call needs to wrap its results."""

    def __init__(self, jaxpr: Jaxpr, out_tree: Any, donated: tuple[int, ...],
                 trace_ms: float, debug_nans: bool) -> None:
        self.jaxpr, self.out_tree, self.donated = jaxpr, out_tree, donated
        self.trace_ms, self.debug_nans = trace_ms, debug_nans
        self.out_avals = [_intern(a.aval) for a in jaxpr.outvars]
        self.builder: Callable[[Sequence[Any]], Any] | None = None  # see _Fast
        self.transient = any(isinstance(c, Tracer) for c in jaxpr.consts)
        # For pjit: the constants become leading inputs (they may be an outer trace's).
        self.closed = Jaxpr([], [*jaxpr.constvars, *jaxpr.invars], jaxpr.eqns, jaxpr.outvars)
        self.compiled: dict[str, _Compiled] = {}
        self.lock = threading.Lock()

    def compile(self, backend: Any, name: str) -> _Compiled:
        key = _device_key(backend)
        c = self.compiled.get(key)
        if c is None:
            with self.lock:
                c = self.compiled.get(key)
                if c is None:
                    c = self.compiled[key] = _Compiled(self, backend, name)
        return c


class _Store:
    """The cache of one function (shared by every ``jit`` of it with the same options)."""

    def __init__(self) -> None:
        self.entries: dict[tuple, _Entry] = {}
        self.lock = threading.RLock()
        self.traces = 0
        self.hits = 0
        self.last: tuple | None = None  # (key, leaf descriptions) of the latest trace
        # The fast call path (see _Fast): the one of the latest structure, and all made.
        self.fast: _Fast | None = None
        self.fast_by_tree: dict[Any, _Fast] = {}


_stores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def _store_for(fun: Callable, options: tuple) -> _Store:
    if inspect.ismethod(fun):
        return _Store()  # a bound method is made anew on each attribute access
    try:
        with _stores_lock:
            per_fun = _stores.setdefault(fun, {})
            return per_fun.setdefault(options, _Store())
    except TypeError:  # not weakly referenceable or not hashable
        return _Store()


def _tuple(x: Any) -> tuple:
    if x is None:
        return ()
    return (x,) if isinstance(x, (int, str)) else tuple(x)


# ---------------------------------------------------------------------------------------
# The fast call path: a call with the structure of the latest call, every leaf an array


_MISS = object()
# Abstract values of cache keys and of results, one object per value: a key built from the
# results of an earlier call then compares equal by identity, with no Python ``__eq__``.
_interned: dict[ShapedArray, ShapedArray] = {}


def _intern(aval: ShapedArray) -> ShapedArray:
    return _interned.setdefault(aval, aval)


class _Hit:
    """What a call of one cached signature runs: the executable and the result builder."""

    __slots__ = ("key", "fn", "exe", "build")

    def __init__(self, key: tuple, exe: codegen.Executable, build: Callable) -> None:
        self.key, self.exe, self.build = key, exe, build
        self.fn = None if exe.donated else exe.fn  # donations are checked by exe itself


class _Fast:
    """The call path for arguments of one pytree structure whose leaves are concrete arrays
    of one backend type: a compiled matcher flattens them (or says they differ), the
    signature is the leaves' (interned) abstract values and the config, and the results are
    built by compiled code. Anything else (tracers, Python numbers, keyword or static
    arguments, another structure, a cache miss) takes :meth:`JitFunction._prepare`."""

    __slots__ = ("match", "raw_type", "table", "last")

    def __init__(self, match: Callable[[Any], list | None], raw_type: type) -> None:
        self.match, self.raw_type = match, raw_type
        self.table: dict[tuple, _Hit] = {}
        self.last: _Hit | None = None

    def __call__(self, args: tuple) -> Any:
        leaves = self.match(args)
        if leaves is None:
            return _MISS
        avals, raws, rt = [], [], self.raw_type
        for x in leaves:
            if type(x) is not ArrayImpl or type(x._value) is not rt:
                return _MISS
            avals.append(x.aval)
            raws.append(x._value)
        key = (tuple(avals), config.snapshot())
        hit = self.last
        if hit is None or hit.key != key:  # (identical avals compare without __eq__)
            hit = self.table.get(key)
            if hit is None:
                return _MISS
            self.last = hit
        if type(current_interpreter()) is not EvalInterpreter:
            return _MISS
        fn = hit.fn
        return hit.build(fn(*raws) if fn is not None else hit.exe(raws))

    def add(self, leaves: list, entry: _Entry, exe: codegen.Executable) -> None:
        key = (tuple([_intern(x.aval) for x in leaves]), config.snapshot())
        if entry.builder is None:
            entry.builder = _result_builder(entry)
        hit = self.table[key] = _Hit(key, exe, entry.builder)
        self.last = hit


def _result_builder(entry: _Entry) -> Callable[[Sequence[Any]], Any]:
    """Raw outputs -> the result pytree of arrays, as one generated expression."""
    n = len(entry.out_avals)
    if tree._compilable(entry.out_tree):
        env = {"W": ArrayImpl, **{f"A{i}": a for i, a in enumerate(entry.out_avals)}}
        return tree._make_builder(entry.out_tree, "W(l[{0}], A{0})".format, env)
    out_tree, avals = entry.out_tree, entry.out_avals
    return lambda outs: tree.unflatten(out_tree, [ArrayImpl(outs[i], avals[i])
                                                  for i in range(n)])


# ---------------------------------------------------------------------------------------
# Arguments: static and dynamic, named for messages


class _Signature:
    """Which arguments are static or donated, resolved against the function's signature."""

    def __init__(self, fun: Callable, static_argnums: Any, static_argnames: Any,
                 donate_argnums: Any) -> None:
        nums, names = _tuple(static_argnums), _tuple(static_argnames)
        self.donate = _tuple(donate_argnums)
        for what, xs, kind in (("static_argnums", nums, int), ("static_argnames", names, str),
                               ("donate_argnums", self.donate, int)):
            if any(not isinstance(x, kind) or isinstance(x, bool) for x in xs):
                raise TypeError(f"jit's {what} takes {kind.__name__}s, got {xs!r}")
        try:
            params = list(inspect.signature(fun).parameters.values())
        except (TypeError, ValueError):
            params = None
        self.positional = [p.name for p in params or [] if p.kind in (
            p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        self.varargs = params is None or any(p.kind == p.VAR_POSITIONAL for p in params)
        if params is not None and not any(p.kind == p.VAR_KEYWORD for p in params):
            known = {p.name for p in params}
            bad = [n for n in names if n not in known]
            if bad:
                raise ValueError(f"jit: static_argnames {bad} are not parameters of "
                                 f"{_fun_name(fun)} (it takes {sorted(known)})")
        # Static positions and names imply each other through the signature, as in JAX.
        n = len(self.positional)
        nums = tuple(i % n if i < 0 and n and not self.varargs else i for i in nums)
        self.nums = frozenset(nums) | {i for i, p in enumerate(self.positional) if p in names}
        self.names = frozenset(names) | {self.positional[i] for i in self.nums
                                         if 0 <= i < len(self.positional)}

    def label(self, i: int) -> str:
        return f"argument {i} ({self.positional[i]})" if i < len(self.positional) else \
            f"argument {i}"

    def split(self, args: tuple, kwargs: dict) -> tuple[list, dict, tuple]:
        """Dynamic positional args, dynamic keyword args, and the static key."""
        if not self.nums and not self.names:
            return list(args), kwargs, ()
        n = len(args)
        nums = {i % n if i < 0 else i for i in self.nums} if n else set()
        static: list[tuple] = []
        dyn = []
        for i, a in enumerate(args):
            if i in nums:
                static.append((i, _hashable(a, self.label(i))))
            else:
                dyn.append(a)
        dyn_kw = {}
        for k, v in kwargs.items():
            if k in self.names:
                static.append((k, _hashable(v, f"argument {k!r}")))
            else:
                dyn_kw[k] = v
        return dyn, dyn_kw, tuple(sorted(static, key=lambda kv: (isinstance(kv[0], str),
                                                                 kv[0])))

    def merge(self, args: tuple, dyn: list, dyn_kw: dict, kwargs: dict) -> tuple[list, dict]:
        """The full arguments again: statics from the call, dynamic ones substituted."""
        if not self.nums and not self.names:
            return dyn, dyn_kw
        n = len(args)
        nums = {i % n if i < 0 else i for i in self.nums} if n else set()
        it = iter(dyn)
        full = [args[i] if i in nums else next(it) for i in range(n)]
        kw = {k: (v if k in self.names else dyn_kw[k]) for k, v in kwargs.items()}
        return full, kw


def _hashable(v: Any, label: str) -> Any:
    try:
        hash(v)
    except TypeError:
        raise NonHashableStaticArgError(
            f"jit: static {label} must be hashable, since its value keys the cache, but got "
            f"{type(v).__name__} {v!r:.60}. Pass a hashable value (a tuple instead of a "
            "list, a frozen dataclass), or pass arrays as ordinary, traced arguments (drop "
            "it from static_argnums / static_argnames)."
        ) from None
    return v


def _fun_name(fun: Any) -> str:
    return getattr(fun, "__name__", type(fun).__name__)


def _leaf_names(sig: _Signature, dyn: list, dyn_kw: dict, nums: set) -> list[str]:
    """A readable name for each dynamic leaf: ``x``, ``params['w']``, ``args[2][0]``."""
    positions = [i for i in range(len(dyn) + len(nums)) if i not in nums]
    out = []
    for path, _ in tree.flatten_with_path((dyn, dyn_kw))[0]:
        if path[0].idx == 0:
            i = positions[path[1].idx]
            base = sig.positional[i] if i < len(sig.positional) else f"args[{i}]"
        else:
            base = str(path[1].key)
        out.append(base + tree.keystr(path[2:]))
    return out


def _changes(before: tuple, after: tuple) -> str:
    """What differs between two traces' descriptions, for the retrace warning."""
    (k0, _), (k1, d1) = before, after
    if k0[0] != k1[0]:
        return f"the argument structure changed from {k0[0]} to {k1[0]}"
    diffs = [f"{name} changed from {a} to {b}" for name, a, b in
             zip(d1, [x.str_short() for x in k0[1]], [x.str_short() for x in k1[1]])
             if a != b]
    s0, s1 = dict(k0[2]), dict(k1[2])
    diffs += [f"static argument {k} changed from {s0.get(k)!r:.40} to {s1.get(k)!r:.40}"
              for k in sorted(set(s0) | set(s1), key=str) if s0.get(k) != s1.get(k)]
    if k0[3] != k1[3]:
        diffs.append(f"the config changed from {dict(k0[3])} to {dict(k1[3])}")
    return "; ".join(diffs) or "nothing visible changed"


# ---------------------------------------------------------------------------------------
# The jitted function


class JitFunction:
    """A function compiled by :func:`jit`; call it like the original.

    Attributes:
        trace_count: how many times the function has been traced (cache misses).
    """

    def __init__(self, fun: Callable, static_argnums: Any = (), static_argnames: Any = (),
                 donate_argnums: Any = ()) -> None:
        if not callable(fun):
            raise TypeError(f"jit expects a function, got {type(fun).__name__} {fun!r:.60}")
        self._fun = fun
        self._sig = _Signature(fun, static_argnums, static_argnames, donate_argnums)
        options = (self._sig.nums, self._sig.names, self._sig.donate)
        self._store = _store_for(fun, options)
        self.__name__ = _fun_name(fun)
        functools.update_wrapper(self, fun, updated=())

    def __repr__(self) -> str:
        return f"<jitted function {self.__name__}>"

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # As a method: bind the instance as the first (traced or static) argument.
        return self if obj is None else functools.partial(self, obj)

    @property
    def trace_count(self) -> int:
        """How many times the function has been traced (each one a cache miss)."""
        return self._store.traces

    def _cache_size(self) -> int:
        """How many traced signatures the cache holds (as ``jax.jit``'s)."""
        return len(self._store.entries)

    def cache_info(self) -> dict[str, int]:
        """``{"hits", "misses", "size"}`` of the cache."""
        s = self._store
        return {"hits": s.hits, "misses": s.traces, "size": len(s.entries)}

    def clear_cache(self) -> None:
        """Forget every traced signature (the trace count stays)."""
        with self._store.lock:
            self._store.entries.clear()
            self._store.fast = None
            self._store.fast_by_tree.clear()

    # --- calling
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        store = self._store
        if store.fast is not None and not kwargs:
            out = store.fast(args)
            if out is not _MISS:
                store.hits += 1
                return out
        entry, leaves, backend, raws = self._prepare(args, kwargs)
        if raws is not None:
            if backend.multi_device:
                outs = _run_on_device(entry, backend, raws, self.__name__)
            else:
                exe = entry.compile(backend, self.__name__).executable
                outs = exe(raws)
                if not kwargs and not self._sig.nums and raws:
                    self._add_fast(args, entry, backend, exe)
            results = [ArrayImpl(o, a) for o, a in zip(outs, entry.out_avals)]
        else:
            results = pjit_p.bind(*entry.jaxpr.consts, *leaves, jaxpr=entry.closed,
                                  name=self.__name__)
        return tree.unflatten(entry.out_tree, results)

    def _add_fast(self, args: tuple, entry: _Entry, backend: Any, exe: Any) -> None:
        """Let later calls like this one take the fast path (arrays of one backend type)."""
        if entry.transient:
            return
        store = self._store
        fast = store.fast
        leaves = fast.match(args) if fast is not None else None
        if leaves is None:
            treedef = tree.structure(args)
            match = tree._matcher(treedef)  # made again after a pytree registration
            leaves = match(args) if match is not None else None
            if leaves is None or type(leaves[0]) is not ArrayImpl:
                return
            fast = store.fast_by_tree.get(treedef)
            if fast is None:
                fast = store.fast_by_tree[treedef] = _Fast(match, type(leaves[0]._value))
            fast.match = match
        rt = fast.raw_type
        if leaves is None or not all(type(x) is ArrayImpl and type(x._value) is rt
                                     for x in leaves) or rt not in backend.array_types:
            return
        fast.add(leaves, entry, exe)
        store.fast = fast

    def _prepare(self, args: tuple, kwargs: dict) -> tuple:
        """The cache entry for these arguments (tracing on a miss), the flat leaves, and —
        when everything is concrete at the root — the backend and raw arrays to run on.

        The key is what tracing depends on: the arguments' structure, each leaf's abstract
        value, the static values and the config. (Not the backend: a trace serves all.)"""
        if not kwargs and not self._sig.nums and all(type(a) is ArrayImpl for a in args):
            # The common call: arrays only. The count of arguments stands for the structure.
            dyn, dyn_kw, static_key, leaves, treedef = args, {}, (), list(args), None
        else:
            dyn, dyn_kw, static_key = self._sig.split(args, kwargs)
            leaves, treedef = tree.flatten((dyn, dyn_kw))
        avals, raws = [], []
        eager = type(current_interpreter()) is EvalInterpreter
        for k, x in enumerate(leaves):
            if type(x) is not ArrayImpl:
                if isinstance(x, Tracer):
                    eager = False
                else:
                    x = leaves[k] = self._operand(x, k, dyn, dyn_kw, args)
            avals.append(x.aval)
            if eager:
                raws.append(x._value)
        key = (len(leaves) if treedef is None else treedef, tuple(avals), static_key,
               config.snapshot())
        entry = self._store.entries.get(key)
        if entry is None:
            if treedef is None:
                treedef = tree.structure((list(dyn), dyn_kw))
            entry = self._trace(key, args, kwargs, list(dyn), dyn_kw, treedef, avals)
        else:
            self._store.hits += 1
        if not eager or entry.transient:
            return entry, leaves, None, None
        backend = _backend_of(raws)
        raws = [r if type(r) in backend.array_types else _move(r, backend) for r in raws]
        return entry, leaves, backend, raws

    def _operand(self, x: Any, k: int, dyn: list, dyn_kw: dict, args: tuple) -> Any:
        try:
            return as_operand(x)
        except TypeError:
            nums = {i % len(args) for i in self._sig.nums} if args else set()
            name = _leaf_names(self._sig, dyn, dyn_kw, nums)[k]
            raise TypeError(
                f"jit of {self.__name__}: argument {name} is a {type(x).__name__} "
                f"({x!r:.40}), not an array or a number, so it cannot be traced. Mark it "
                "static (jit(f, static_argnums=...) or static_argnames=...) so its value "
                "is part of the cache key."
            ) from None

    def _trace(self, key: tuple, args: tuple, kwargs: dict, dyn: list, dyn_kw: dict,
               treedef: Any, avals: list) -> _Entry:
        store = self._store
        with store.lock:
            entry = store.entries.get(key)
            if entry is not None:  # another thread traced it meanwhile
                store.hits += 1
                return entry
            sig = self._sig

            def flat_fun(*xs: Any) -> Any:
                d, dk = tree.unflatten(treedef, list(xs))
                full, kw = sig.merge(args, d, dk, kwargs)
                return self._fun(*full, **kw)

            t0 = time.perf_counter()
            jaxpr, out_tree = trace_to_jaxpr(flat_fun, avals, parent=current_interpreter(),
                                             why=f"jit of {self.__name__}")
            trace_ms = (time.perf_counter() - t0) * 1e3
            nums = {i % len(args) for i in sig.nums} if args else set()
            donated = self._donated_leaves(args, nums)
            entry = _Entry(jaxpr, out_tree, donated, trace_ms, config.debug_nans)
            store.traces += 1
            names = _leaf_names(sig, dyn, dyn_kw, nums)
            now = ((treedef, *key[1:]), names)
            if store.traces > RETRACE_WARN_AFTER and store.last is not None:
                warnings.warn(
                    f"jit of {self.__name__} has been traced {store.traces} times; this "
                    f"time because {_changes(store.last, now)}. Every new shape, dtype, "
                    "pytree structure or static value traces and compiles again: keep them "
                    "fixed (pad batches to one size), or make a changing Python value a "
                    "traced argument.", RetraceWarning, stacklevel=4)
            store.last = now
            if not entry.transient:
                store.entries[key] = entry
            return entry

    def _donated_leaves(self, args: tuple, static: set) -> tuple[int, ...]:
        if not self._sig.donate or not args:
            return ()
        donate = {i % len(args) for i in self._sig.donate}
        out, k = [], 0
        for i, a in enumerate(args):
            if i in static:
                continue
            n = len(tree.leaves(a))
            if i in donate:
                out.extend(range(k, k + n))
            k += n
        return tuple(out)

    # --- seeing inside
    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        """Trace (or look up) and compile for these arguments, without running.

        Returns:
            A :class:`Lowered` showing the jaxpr before and after the passes (each equation
            with its source line), what each pass did, the static cost estimate, the
            generated source and the timings.
        """
        dyn, dyn_kw, _ = self._sig.split(args, kwargs)
        leaves = tree.leaves((dyn, dyn_kw))
        raws = [x._value for x in leaves if isinstance(x, ArrayImpl)]
        backend = _backend_of(raws)
        entry, _, _, _ = self._prepare(args, kwargs)
        return Lowered(self, entry, entry.compile(backend, self.__name__), args, kwargs)

    def eval_shape(self, *args: Any, **kwargs: Any) -> Any:
        """The outputs' abstract values (shape, dtype), from tracing alone."""
        entry = self._prepare(args, kwargs)[0]
        return tree.unflatten(entry.out_tree, entry.out_avals)


def _backend_of(raws: Sequence[Any]) -> Any:
    found = None
    for r in raws:
        b = _backends.backend_of(r)
        if found is None or (b is not found and found.name == "numpy"):
            found = b
        elif b is not found and b.name != "numpy":
            raise ValueError(
                f"jit got arrays on different devices ({found.name} and {b.name}); move them "
                "to one device first with fd.device_put(x, device)"
            )
    return found or _backends.get_backend()


def _run_on_device(entry: _Entry, backend: Any, raws: list, name: str) -> Any:
    """Run on the device holding the arguments (compiled for it, constants placed there)."""
    devs = {backend.device_of(r) for r in raws if type(r) in backend.array_types}
    if len(devs) > 1:
        raise ValueError(
            f"jit of {name} got arrays on different devices ({', '.join(sorted(map(str, devs)))})"
            "; move them to one device first with fd.device_put(x, device)"
        )
    with backend.on_device(devs.pop() if devs else backend.current_device()):
        raws = [r if type(r) in backend.array_types else _move(r, backend) for r in raws]
        return entry.compile(backend, name).executable(raws)


def _move(raw: Any, backend: Any) -> Any:
    # Host NumPy data is placed next to device data, as eager operations do.
    return backend.from_host(_backends.backend_of(raw).to_host(raw))


class Lowered:
    """What ``jit(f).lower(*args)`` made: read ``jaxpr``, ``optimized_jaxpr``, ``passes``,
    ``cost``, ``source``, ``kernels`` (fused CuPy kernels), ``trace_ms``, ``compile_ms``;
    ``print`` it for all of them."""

    def __init__(self, fn: JitFunction, entry: _Entry, compiled: _Compiled, args: tuple,
                 kwargs: dict) -> None:
        self._fn, self._entry, self._compiled = fn, entry, compiled
        self._args, self._kwargs = args, kwargs
        self.name = fn.__name__
        self.jaxpr: Jaxpr = entry.jaxpr
        self.optimized_jaxpr: Jaxpr = compiled.optimized
        self.passes: list[PassRecord] = compiled.passes
        self.source: str = compiled.executable.source
        self.plan = compiled.executable.plan
        self.kernels: list = compiled.executable.kernels  # fused elementwise kernels (CuPy)
        self.cost: Cost = estimate(compiled.optimized, compiled.executable.plan)
        self.trace_ms: float = entry.trace_ms
        self.compile_ms: float = compiled.compile_ms

    def compile(self) -> Callable[..., Any]:
        """A callable running the compiled code (the jitted function itself, already warm)."""
        return self._fn

    def as_text(self) -> str:
        """The whole report: both jaxprs with source lines, passes, cost and source."""
        passes = ", ".join(f"{r.name} {r.eqns_before}->{r.eqns_after}" for r in self.passes)
        return "\n".join([
            f"jit of {self.name}: traced in {self.trace_ms:.2f} ms, optimized and compiled "
            f"in {self.compile_ms:.2f} ms",
            f"--- traced jaxpr ({len(self.jaxpr.eqns)} equations) ---",
            pp_with_sources(self.jaxpr),
            f"--- passes (equations before->after) ---\n{passes}",
            f"--- optimized jaxpr ({len(self.optimized_jaxpr.eqns)} equations) ---",
            pp_with_sources(self.optimized_jaxpr),
            f"--- cost estimate ---\n{self.cost}",
            f"--- generated code ({self.plan.reused} results written into recycled "
            "buffers) ---",
            self.source.rstrip(),
            *([f"--- fused elementwise kernels ({len(self.kernels)}) ---",
               *(k.cuda_source for k in self.kernels)] if self.kernels else []),
        ])

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return f"<Lowered jit of {self.name}: {len(self.optimized_jaxpr.eqns)} equations>"


def pp_with_sources(jaxpr: Jaxpr) -> str:
    """The jaxpr as text, each equation followed by the user source line that made it."""
    names = _Names()
    consts = " ".join(names.decl(v) for v in jaxpr.constvars)
    ins = " ".join(names.decl(v) for v in jaxpr.invars)
    lines = [f"{{ lambda {consts}; {ins}. let"]
    for eqn in jaxpr.eqns:
        lhs = " ".join(names.decl(v) for v in eqn.outvars)
        plain = ", ".join(f"{k}={_param_str(v)}" for k, v in sorted(eqn.params.items())
                          if not isinstance(v, Jaxpr))
        subs = [f"{k}={pp_jaxpr(v, 8, names).lstrip()}" for k, v in eqn.params.items()
                if isinstance(v, Jaxpr)]
        prm = ", ".join(p for p in [plain, *subs] if p)
        args = " ".join(names(a) for a in eqn.invars)
        text = f"    {lhs} = {eqn.prim.name}{f'[{prm}]' if prm else ''} {args}".rstrip()
        if eqn.source:
            text += f"    # {codegen._short(eqn.source)}"
        lines.append(text)
    outs = ", ".join(names(a) for a in jaxpr.outvars) + ("," if len(jaxpr.outvars) == 1 else "")
    return "\n".join([*lines, f"  in ({outs}) }}"])


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] | None = (),
        static_argnames: str | Sequence[str] | None = (),
        donate_argnums: int | Sequence[int] | None = ()) -> Any:
    """Compile ``fun``: trace it once per signature, optimize, run generated code (as
    ``jax.jit``).

    The cache is keyed by the arguments' pytree structure, shapes, dtypes and weak types, the
    static arguments' values, the config flags and the backend; it is shared by every ``jit``
    of the same function with the same options, and safe to use from several threads.
    Python control flow on traced values raises :class:`~funcdiff.ConcretizationTypeError`
    (mark the argument static, or use ``fd.lax.cond`` / ``fd.numpy.where``). Under ``grad``,
    ``vmap`` or another ``jit`` a jitted function is one ``pjit`` equation that those
    transforms see through; an outer ``jit`` inlines it.

    Args:
        fun: the function; arguments and results are pytrees of arrays. Without it,
            ``jit(static_argnums=...)`` returns a decorator.
        static_argnums: positions of arguments that are Python values, not traced: each
            distinct (hashable) value traces and compiles once.
        static_argnames: the same by keyword name.
        donate_argnums: positions of arguments whose buffers the compiled code may reuse
            for its results; do not use a donated array (or views of it) afterwards.

    Returns:
        A :class:`JitFunction`: call it as ``fun``; ``.lower(*args)`` shows what jit made,
        ``.trace_count`` how often it traced.

    Raises:
        NonHashableStaticArgError: a static argument cannot be hashed (a ``TypeError``).

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> @fd.jit
        ... def f(x, y):
        ...     return fnp.sin(x) * y + 1.0
        >>> f(fnp.zeros(3), 2.0)
        Array([1., 1., 1.], dtype=float32)
        >>> f(fnp.ones(3), 3.0).shape, f.trace_count    # same shapes and dtypes: no retrace
        ((3,), 1)
        >>> @fd.jit(static_argnums=1)
        ... def power(x, n):
        ...     for _ in range(n - 1):    # Python loop over a static value
        ...         x = x * x
        ...     return x
        >>> power(fnp.ones(()) * 2.0, 3)
        Array(16., dtype=float32)
        >>> print(f.lower(fnp.zeros(3), 2.0).source)   # doctest: +ELLIPSIS
        def f(a, b):
            c = _sin(a)  # sin ...
            d = _multiply(c, b, out=c)  # mul ...
            e = _add(d, _k0, out=d)  # add ...
            return (e,)
    """
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames, donate_argnums=donate_argnums)
    return JitFunction(fun, static_argnums, static_argnames, donate_argnums)
