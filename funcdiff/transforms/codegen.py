"""Lowering: an optimized jaxpr becomes one straight-line Python function over backend arrays.

Each equation becomes one line. Common primitives are written as the backend call itself
(``_add(a, b)``, ``_matmul(a.T, b)``, ``_sum(x, axis=(1,), dtype=_f32)``); any other
primitive — control flow, sorting, gathers, primitives added later — calls its
implementation, ``prim.impl(xp, ...)``, from the generated code, so every primitive runs
without changes here. There is no dispatch per operation when the function runs.

Memory planning happens while the code is written. A buffer the program allocated itself
(an ``owned`` buffer: the fresh result of an inline call) is recycled once the last value
reading it is dead: an elementwise operation whose operand dies there writes its result
over it (``_mul(a, b, out=a)``), and other operations (``matmul``, reductions, joins) take
a dead buffer of their result's shape and dtype from a pool. A ``scatter`` (``x.at[i].set``)
or ``dynamic_update_slice`` whose operand dies updates it in place instead of copying.
Donated arguments count as owned. Views (``reshape``, ``transpose``, slices, broadcasts)
keep the buffers they look into alive, and the results of implementations called
generically are treated as possible views of their inputs, so nothing still readable is
ever overwritten. The plan's peak of live buffer bytes is what :mod:`.cost` reports.

How each primitive is written (the emitters) and the helpers the generated code calls are
:mod:`.emitters`'; this module schedules the equations, plans the buffers and assembles the
function.
"""

from __future__ import annotations

import bisect
import keyword
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import dtypes
from ..core.ir import Atom, Eqn, Jaxpr, Literal, Var
from . import fusion
from .emitters import (
    _BINARY,
    _UNARY,
    EMITTERS,
    Emit,
    _fix,
    _nan_checker,
    _scatter_into,
    _update_slice_into,
    _Writer,
)
from .passes._util import literal_scalar
from .passes.inline import call_jaxpr

# Elementwise primitives whose result may be written over a dying operand (see _schedule).
_ELEMENTWISE = frozenset({*_UNARY, *_BINARY, "div", "integer_pow", "select"})
# Results at least this large are consumed as soon as their readers can run (_schedule).
_EARLY_BYTES = 1 << 16
# Operands updated in place when they die (index of the operand).
_INPLACE = {"scatter": 0, "dynamic_update_slice": 0}
# Most dead buffers of one shape and dtype kept for reuse.
POOL_CAP = 4



@dataclass
class Step:
    """The memory plan of one equation."""

    eqn: int
    out_buffer: str | None  # the dead buffer written through out=, if any
    inplace: bool  # a scatter / dynamic_update_slice updating its dead operand
    alloc_bytes: int
    freed_bytes: int
    live_bytes: int  # bytes of buffers the program holds after this equation


@dataclass
class MemoryPlan:
    """What the lowering decided about buffers: one :class:`Step` per equation."""

    steps: list[Step] = field(default_factory=list)
    peak_bytes: int = 0
    reused: int = 0  # equations writing into a recycled buffer or in place


@dataclass
class Executable:
    """A compiled jaxpr: ``fn(*raw_args) -> tuple of raw outputs``, with its source."""

    fn: Callable[..., tuple]
    source: str
    plan: MemoryPlan
    donated: tuple[int, ...]
    backend: Any
    kernels: list = field(default_factory=list)  # fused elementwise kernels (CuPy)

    def __call__(self, raws: Sequence[Any]) -> tuple:
        if self.donated:
            raws = _checked_donations(list(raws), self.donated, self.backend)
        return self.fn(*raws)


def _checked_donations(raws: list, donated: tuple[int, ...], backend: Any) -> list:
    """Donated buffers are written to only when that is safe: a contiguous, writable array
    owning its memory, which no other argument shares. Any other one is copied first (the
    result is the same)."""
    xp = backend.xp
    for i in donated:
        x = raws[i]
        flags = getattr(x, "flags", None)
        # (CuPy's flags have no ``writeable``: its arrays always are.)
        ok = flags is not None and flags.c_contiguous and getattr(
            flags, "writeable", True) and getattr(x, "base", None) is None
        if ok:
            # Two arrays that each own their memory (base None) cannot overlap: only the
            # others (views) need the memory-range test.
            ok = not any(r is x or (getattr(r, "base", None) is not None and bool(
                xp.may_share_memory(x, r))) for j, r in enumerate(raws)
                if j != i and hasattr(r, "shape"))
        if not ok:
            raws[i] = xp.array(x, copy=True)
    return raws


# ---------------------------------------------------------------------------------------
# Names


def _names() -> Any:
    n = 1
    while True:
        for k in range(26 ** n):
            s, r = "", k
            for _ in range(n):
                s = chr(97 + r % 26) + s
                r //= 26
            yield s + "_" if keyword.iskeyword(s) else s
        n += 1





# ---------------------------------------------------------------------------------------
# The planner and writer


def _schedule(jaxpr: Jaxpr) -> Jaxpr:
    """The equations reordered so that more elementwise results can overwrite an operand.

    An elementwise equation can write over an operand only where that operand dies. When
    the operand's other readers come later but could already run (ReLU's ``max(h, 0)``
    before ``gt(h, 0)``, its gradient's mask), those readers (elementwise ones) move up in
    front of it. Every equation still comes after its inputs; nothing else moves.
    """
    eqns = jaxpr.eqns
    readers: dict[Var, list[int]] = {}
    for i, eqn in enumerate(eqns):
        for x in dict.fromkeys(eqn.invars):
            if isinstance(x, Var):
                readers.setdefault(x, []).append(i)
    outs = {x for x in jaxpr.outvars if isinstance(x, Var)}
    avail = {*jaxpr.invars, *jaxpr.constvars}
    done = [False] * len(eqns)
    order: list[Eqn] = []

    def emit(j: int) -> None:
        order.append(eqns[j])
        done[j] = True
        avail.update(eqns[j].outvars)

    def hoistable(later: list[int]) -> bool:
        have = set()
        for j in later:
            e = eqns[j]
            if e.prim.name not in _ELEMENTWISE or not all(
                    not isinstance(x, Var) or x in avail or x in have for x in e.invars):
                return False
            have.update(e.outvars)
        return True

    for i, eqn in enumerate(eqns):
        if done[i]:
            continue
        if eqn.prim.name in _ELEMENTWISE and len(eqn.outvars) == 1:
            for x in eqn.invars:
                if not isinstance(x, Var) or x in outs or _key(x) != _key(eqn.outvars[0]):
                    continue
                later = [j for j in readers[x] if j != i and not done[j]]
                if later and hoistable(later):
                    for j in later:
                        emit(j)
                    break
        emit(i)
        # A large result whose readers could all run now is consumed now, so that its
        # memory is free for the next large array (a weight's gradient is added to the
        # weight before the next layer's gradient is made, as NumPy code by hand does).
        for v in eqn.outvars:
            later = [j for j in readers.get(v, []) if not done[j]]
            if (later and v not in outs and _nbytes(v) >= _EARLY_BYTES and hoistable(later)
                    and all(_nbytes(u) <= _nbytes(v) for j in later for u in eqns[j].outvars)):
                for j in later:
                    emit(j)
    if all(a is b for a, b in zip(order, eqns)):
        return jaxpr
    return Jaxpr(jaxpr.constvars, jaxpr.invars, order, jaxpr.outvars, jaxpr.consts)


class _Buf:
    """A buffer: who holds it, whether the program may overwrite it, when it dies."""

    __slots__ = ("nbytes", "owned", "holder", "last", "key", "counted", "names")

    def __init__(self, nbytes: int, owned: bool, holder: str, key: Any, counted: bool) -> None:
        self.nbytes, self.owned, self.holder, self.key = nbytes, owned, holder, key
        self.counted = counted  # allocated by the program (arguments are not)
        self.last = -1
        self.names: list[str] = []  # every local name that may reference this memory


def _nbytes(v: Var) -> int:
    return v.aval.size * v.aval.dtype.itemsize


def _key(v: Atom) -> tuple:
    return (v.aval.shape, v.aval.dtype)


def _short(source: str) -> str:
    """``dir/file.py:12 (fn)`` as ``file.py:12 (fn)``."""
    head, _, rest = source.partition(":")
    return head.replace("\\", "/").rsplit("/", 1)[-1] + ":" + rest


def _raw_on(c: Any, backend: Any) -> Any:
    """A constant as an array of ``backend`` on its current device (copied there once, when
    the program is compiled for that device)."""
    from .. import backend as _backends
    from ..core.array import ArrayImpl

    if isinstance(c, ArrayImpl):
        # Kept where it is only if it already lives where the program runs.
        if _backends.backend_of(c._value) is backend and (
                not backend.multi_device
                or backend.device_of(c._value) == backend.current_device()):
            return c._value
        return backend.from_host(c._host())
    return backend.from_host(np.asarray(c))


class _Lowering:
    def __init__(self, jaxpr: Jaxpr, backend: Any, donate: Sequence[int], debug_nans: bool,
                 name: str, fuse: bool = True) -> None:
        if fuse and fusion.enabled(backend) and not debug_nans:
            # CuPy: elementwise chains become one kernel each (not when NaNs are checked:
            # that names each operation, so each keeps its own line)
            jaxpr = fusion.fuse(jaxpr, name)
        jaxpr = _schedule(jaxpr)
        self.jaxpr, self.backend, self.name = jaxpr, backend, name
        self.w = _Writer(backend.xp)
        self.debug_nans = debug_nans
        self.donate = set(donate)
        self.names: dict[Var, str] = {}
        self.bufs: dict[Var, list[_Buf]] = {}
        self.pool: dict[Any, list[_Buf]] = {}
        self.bound: set[str] = set()
        self.whole: set[str] = set()  # reshapes of a whole owned buffer (see dying_owned)
        self.plan = MemoryPlan()
        self.live = 0
        self.nan_where: list[str] = []
        self.consts = set(jaxpr.constvars)
        n = len(jaxpr.eqns)
        self.last: dict[Var, int] = {}
        for i, eqn in enumerate(jaxpr.eqns):
            for v in eqn.outvars:
                self.last[v] = i  # an output nothing reads dies where it is made
            for x in eqn.invars:
                if isinstance(x, Var):
                    self.last[x] = i
        for x in jaxpr.outvars:
            if isinstance(x, Var):
                self.last[x] = n  # outputs outlive the program
        for v in jaxpr.invars:
            self.last.setdefault(v, -1)
        # Where results of each shape and dtype are made: a dead buffer is pooled only if a
        # later equation could write into it; otherwise it is freed at once, so that the
        # allocator can hand its memory to the next array (fresh pages cost page faults).
        self.made_at: dict[Any, list[int]] = {}
        for i, eqn in enumerate(jaxpr.eqns):
            for v in eqn.outvars:
                self.made_at.setdefault(_key(v), []).append(i)

    def wanted_later(self, key: Any, i: int) -> int:
        """How many results of ``key``'s shape and dtype equations after ``i`` make."""
        made = self.made_at.get(key, [])
        return len(made) - bisect.bisect_right(made, i)

    # --- atoms
    def atom(self, a: Atom) -> str:
        if isinstance(a, Literal):
            val = np.asarray(literal_scalar(a.val)).astype(a.aval.dtype)[()]
            return self.w.value("k", val, key=("lit", a.aval.dtype.str, val.tobytes()))
        return self.names[a]

    def attach(self, v: Var, bufs: list[_Buf]) -> None:
        self.bufs[v] = bufs
        for b in bufs:
            b.last = max(b.last, self.last[v])
            b.names.append(self.names[v])

    # --- the program
    def run(self) -> Executable:
        gen = _names()
        for v, c in zip(self.jaxpr.constvars, self.jaxpr.consts, strict=True):
            self.names[v] = next(gen)
            self.w.globals[self.names[v]] = _raw_on(c, self.backend)
            self.attach(v, [])
        args = []
        for i, v in enumerate(self.jaxpr.invars):
            self.names[v] = name = next(gen)
            args.append(name)
            self.bound.add(name)
            own = i in self.donate and bool(v.aval.shape)
            self.attach(v, [_Buf(_nbytes(v), True, name, _key(v), False)] if own else [])
        for i, eqn in enumerate(self.jaxpr.eqns):
            for v in eqn.outvars:
                self.names[v] = next(gen)
            self.eqn(i, eqn)
        outs = [self.output(a) for a in self.jaxpr.outvars]
        ret = f"    return ({', '.join(outs)}{',' if len(outs) == 1 else ''})"
        src = "\n".join([f"def {self.name}({', '.join(args)}):", *self.w.lines, ret]) + "\n"
        if self.nan_where:
            self.w.globals["_nan"] = _nan_checker(self.w.xp, self.nan_where)
        namespace = dict(self.w.globals)
        exec(compile(src, f"<jit {self.name}>", "exec"), namespace)
        kernels = [e.params["kernel"] for e in self.jaxpr.eqns
                   if e.prim is fusion.fused_p]
        return Executable(namespace[self.name], src, self.plan,
                          tuple(sorted(i for i in self.donate if i < len(args))), self.backend,
                          kernels)

    def fix_name(self) -> str:
        self.w.globals.setdefault("_fix", _fix)
        return self.w.value("types", self.backend.array_types, key="types")

    def output(self, a: Atom) -> str:
        if isinstance(a, Var) and a in self.consts:
            # A copy: the caller may donate it later, and the constant must stay as it is.
            return f"{self.w.fn('array')}({self.names[a]}, copy=True)"
        if isinstance(a, Literal) or not a.aval.shape:
            types = self.fix_name()
            return f"_fix({self.atom(a)}, {self.w.dtype(a.aval.dtype)}, _xp, {types})"
        return self.names[a]

    def eqn(self, i: int, eqn: Eqn) -> None:
        args = [self.atom(a) for a in eqn.invars]
        emitter = EMITTERS.get(eqn.prim.name)
        emit = emitter(self.w, eqn, args) if emitter is not None else None
        if emit is None and call_jaxpr(eqn) is not None:
            emit = self.call(eqn, args)
        out_buf, inplace = None, False
        if eqn.prim.name in _INPLACE:
            out_buf = self.dying_owned(i, eqn, _INPLACE[eqn.prim.name], reshaped=True)
            if out_buf is not None:
                emit, inplace = self.inplace(eqn, args), True
        if emit is None:
            emit = self.generic(eqn, args)
        if out_buf is None and emit.out_ok and emit.kind == "fresh":
            out_buf = self.reusable(i, eqn, emit)
        outs = [self.names[v] for v in eqn.outvars]
        out_text = f", out={out_buf.holder}" if out_buf is not None and not inplace else ""
        lhs = ", ".join(outs) + ("," if len(outs) == 1 and eqn.prim.multiple_results else "")
        lhs = lhs or "_"
        line = f"    {lhs} = {emit.expr.replace('{out}', out_text)}"
        comment = f"  # {eqn.prim.name}" + (f"  {_short(eqn.source)}" if eqn.source else "")
        self.w.lines.append(line + comment)
        self.bound.update(outs)
        reused = out_buf.holder if out_buf is not None else None
        alloc = self.account(eqn, emit, out_buf)
        if self.debug_nans:
            self.nan_checks(eqn, outs)
        freed = self.release(i, eqn)
        self.plan.steps.append(Step(i, reused, inplace, alloc, freed, self.live))

    def generic(self, eqn: Eqn, args: list[str]) -> Emit:
        if eqn.prim.impl is None:
            raise NotImplementedError(
                f"jit cannot compile primitive {eqn.prim.name!r}: it has no implementation "
                "(Primitive.def_impl)"
            )
        impl = self.w.value("impl", eqn.prim.impl)
        params = self.w.value("p", eqn.params)
        call = f"{impl}(_xp, {', '.join(args)}{', ' if args else ''}**{params})"
        types = self.fix_name()
        if eqn.prim.multiple_results:
            dts = [self.w.dtype(v.aval.dtype) for v in eqn.outvars]
            fixes = ", ".join(f"_fix(_r[{k}], {d}, _xp, {types})" for k, d in enumerate(dts))
            return Emit(f"(lambda _r: ({fixes},))({call})", "opaque")
        # A primitive may declare that its implementation always returns a new buffer
        # (``returns_new_buffer``, e.g. a convolution): the program then owns the result and
        # may write over it (a bias added in place). Others may return views of operands.
        kind = "fresh" if getattr(eqn.prim, "returns_new_buffer", False) else "opaque"
        return Emit(f"_fix({call}, {self.w.dtype(eqn.outvars[0].aval.dtype)}, _xp, {types})",
                    kind)

    def call(self, eqn: Eqn, args: list[str]) -> Emit:
        """A call the passes kept (a ``checkpoint`` that must stay apart): its jaxpr is
        optimized and compiled on its own, and called from here."""
        from .passes import optimize

        callee, _ = optimize(call_jaxpr(eqn))
        sub = _Lowering(callee, self.backend, (), self.debug_nans, self.name).run()
        self.plan.peak_bytes = max(self.plan.peak_bytes, self.live + sub.plan.peak_bytes)
        fn = self.w.value("call", sub.fn)
        return Emit(f"{fn}({', '.join(args)})", "opaque")

    def inplace(self, eqn: Eqn, args: list[str]) -> Emit:
        if eqn.prim.name == "scatter":
            fn = self.w.value("scatter_into", _scatter_into, key="scatter_into")
            params = self.w.value("p", eqn.params)
            return Emit(f"{fn}(_xp, {', '.join(args)}, **{params})", "fresh")
        fn = self.w.value("update_slice_into", _update_slice_into, key="update_slice_into")
        return Emit(f"{fn}(_xp, {', '.join(args)})", "fresh")

    # --- memory
    def dying_owned(self, i: int, eqn: Eqn, k: int, elementwise: bool = False,
                    reshaped: bool = False) -> _Buf | None:
        """Operand ``k``'s buffer if it is owned, is that buffer (or, with ``reshaped``, a
        reshape of all of it, as ``x.at[i]`` makes: an update in place writes through the
        operand itself), has the result's shape and dtype, dies here, and no other operand
        reads it — except, for an elementwise operation, as this very array (``add d d``
        may write over ``d``)."""
        a = eqn.invars[k]
        if not isinstance(a, Var) or _key(a) != _key(eqn.outvars[0]):
            return None
        bufs = self.bufs.get(a, [])
        if len(bufs) != 1 or not bufs[0].owned or (bufs[0].holder != self.names[a] and not (
                reshaped and self.names[a] in self.whole)):
            return None
        b = bufs[0]
        if b.last != i or any(b in self.bufs.get(x, []) for j, x in enumerate(eqn.invars)
                              if isinstance(x, Var) and j != k and not (elementwise and x is a)):
            return None
        return b

    def reusable(self, i: int, eqn: Eqn, emit: Emit) -> _Buf | None:
        if emit.elementwise:
            for k in range(len(eqn.invars)):
                b = self.dying_owned(i, eqn, k, elementwise=True)
                if b is not None:
                    return b
        free = self.pool.get(_key(eqn.outvars[0]))
        return free.pop() if free else None

    def account(self, eqn: Eqn, emit: Emit, out_buf: _Buf | None) -> int:
        alloc = 0
        ins = [x for x in eqn.invars if isinstance(x, Var)]
        for k, v in enumerate(eqn.outvars):
            if out_buf is not None and k == 0:
                out_buf.holder = self.names[v]
                self.attach(v, [out_buf])
                self.plan.reused += 1
            elif emit.kind == "view":
                self.attach(v, list(self.bufs.get(ins[0], [])) if ins else [])
                src = self.names.get(ins[0]) if ins else None
                bufs = self.bufs.get(ins[0], [])
                if eqn.prim.name == "reshape" and len(bufs) == 1 and (
                        src == bufs[0].holder or src in self.whole):
                    self.whole.add(self.names[v])  # all of the buffer, in another shape
            else:
                fresh = _Buf(_nbytes(v), emit.kind == "fresh" and bool(v.aval.shape),
                             self.names[v], _key(v), True)
                # What an implementation returns may be a view of its operands.
                inherited = [b for x in ins for b in self.bufs.get(x, [])
                             ] if emit.kind == "opaque" else []
                self.attach(v, [fresh, *dict.fromkeys(inherited)])
                self.live += fresh.nbytes
                alloc += fresh.nbytes
        self.plan.peak_bytes = max(self.plan.peak_bytes, self.live)
        return alloc

    def release(self, i: int, eqn: Eqn) -> int:
        """Buffers whose last reader was equation ``i`` go to the pool or are freed."""
        dead = [x for x in dict.fromkeys([*eqn.invars, *eqn.outvars])
                if isinstance(x, Var) and self.last.get(x) == i and x not in self.consts]
        freed, keep, drop = 0, set(), []
        seen: set[int] = set()
        for b in (b for x in dead for b in self.bufs.get(x, [])):
            if b.last != i or id(b) in seen:
                continue
            seen.add(id(b))
            pool = self.pool.setdefault(b.key, [])
            if b.owned and len(pool) < min(POOL_CAP, self.wanted_later(b.key, i)):
                # Pooled: its holder's name stays bound, to be written through later; the
                # other names reading it go when its memory finally does.
                pool.append(b)
                keep.add(b.holder)
                continue
            if b.counted:
                self.live -= b.nbytes
                freed += b.nbytes
            drop.extend(b.names)
            b.names = []
        drop = [n for n in dict.fromkeys(drop) if n in self.bound and n not in keep]
        if drop and i < len(self.jaxpr.eqns) - 1:  # (returning frees them anyway)
            self.bound.difference_update(drop)
            self.w.lines.append(f"    del {', '.join(drop)}")
        return freed

    def nan_checks(self, eqn: Eqn, outs: list[str]) -> None:
        for v, name in zip(eqn.outvars, outs):
            if dtypes.is_inexact(v.aval.dtype):
                where = f"{eqn.prim.name} produced a NaN"
                where += f" (at {eqn.source})" if eqn.source else ""
                where += f" in jit of {self.name}"
                self.nan_where.append(where)
                self.w.lines.append(f"    _nan({name}, {len(self.nan_where) - 1})")


def lower(jaxpr: Jaxpr, backend: Any, *, donate: Sequence[int] = (), debug_nans: bool = False,
          name: str = "jitted", fuse: bool = True) -> Executable:
    """Compile ``jaxpr`` (consts included) into an :class:`Executable` on ``backend``.

    Args:
        jaxpr: the (optimized) program.
        backend: a :class:`funcdiff.backend.Backend`; its namespace is bound into the code.
        donate: positions of inputs whose buffers the program may overwrite.
        debug_nans: check every floating-point result for NaNs, naming the equation.
        name: the generated function's name (a valid identifier).
        fuse: fuse elementwise chains into CUDA kernels where the backend allows it
            (False: array calls only, nothing compiled at run time).

    Returns:
        The executable: call it with a list of backend arrays, one per input.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff import backend
        >>> jaxpr = fd.make_jaxpr(lambda x: fnp.exp(x) * 2.0 + 1.0)(fnp.ones(3))
        >>> exe = lower(jaxpr, backend.get_backend("numpy"), name="f")
        >>> print(exe.source)  # doctest: +NORMALIZE_WHITESPACE
        def f(a):
            b = _exp(a)  # exp ...
            c = _multiply(b, _k0, out=b)  # mul ...
            d = _add(c, _k1, out=c)  # add ...
            return (d,)
        >>> exe([np.ones(3, np.float32)])[0]
        array([6.436564, 6.436564, 6.436564], dtype=float32)
    """
    name = name if name.isidentifier() and not keyword.iskeyword(name) else "jitted"
    return _Lowering(jaxpr, backend, donate, debug_nans, name, fuse).run()
