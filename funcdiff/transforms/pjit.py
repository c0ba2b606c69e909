"""``pjit``: a jitted function called inside another trace, as one primitive with its rules.

Under another transform (``grad``, ``vmap``, an outer ``jit``, ``make_jaxpr``) a jitted
function binds ``pjit_p``, which holds the traced jaxpr: ``make_jaxpr(jit(f))`` shows it as
one equation, an outer ``jit`` inlines it before optimizing, and the rules below let every
transform see through it. Evaluating it runs the compiled code; ``jvp``, ``vjp`` and ``vmap``
of it are compiled too, through jitted helpers, when their arguments are concrete.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

from .. import backend as _backends
from ..core.array import ArrayImpl
from ..core.config import config
from ..core.ir import Jaxpr, Literal, Var
from ..core.primitive import Primitive
from ..core.tracing import EvalInterpreter, current_interpreter, eval_jaxpr
from . import codegen
from .ad import backward_pass, jvp_flat, vjp_flat
from .ad_rules import Zero, is_undefined, jvp_rules, transpose_rules, vjp_rules
from .batching_rules import batch_rules
from .passes import optimize


def _ident(name: str) -> str:
    """``name`` as a Python identifier (the generated function's name)."""
    name = re.sub(r"\W", "_", name).strip("_") or "jitted"
    return "_" + name if name[0].isdigit() else name

# ---------------------------------------------------------------------------------------
# The pjit primitive: a call of a jitted function inside another trace

pjit_p = Primitive("pjit", multiple_results=True)
pjit_p.is_call = True  # type: ignore[attr-defined]  # the inline pass splices it


def _pjit_abstract_eval(*avals: Any, jaxpr: Jaxpr, name: str) -> list:
    want = jaxpr.in_avals
    if len(avals) != len(want) or any(
            a.shape != w.shape or a.dtype != w.dtype for a, w in zip(avals, want)):
        got = ", ".join(a.str_short() for a in avals)
        raise TypeError(f"jit of {name} was traced for ({', '.join(map(str, want))}), "
                        f"called with ({got})")
    return list(jaxpr.out_avals)


_cache_lock = threading.Lock()


def _side_cache(jaxpr: Jaxpr, what: str) -> dict:
    """A cache kept on the jaxpr itself, so that it goes when the jaxpr does (what it holds
    refers back to the jaxpr: a global table would keep both alive forever)."""
    cache = jaxpr.__dict__.get(what)
    if cache is None:
        with _cache_lock:
            cache = jaxpr.__dict__.setdefault(what, {})
    return cache


def _compiled_call(jaxpr: Jaxpr, name: str, backend: Any) -> codegen.Executable:
    """The executable of a ``pjit`` equation's jaxpr, compiled once per backend and flags."""
    cache = _side_cache(jaxpr, "_jit_executables")
    key = (_device_key(backend), config.debug_nans)
    exe = cache.get(key)
    if exe is None:
        opt, _ = optimize(jaxpr)
        exe = cache[key] = codegen.lower(opt, backend, debug_nans=config.debug_nans,
                                         name=_ident(name))
    return exe


def _device_key(backend: Any) -> Any:
    """What compiled code is cached by: the backend, and the device where it holds several
    (the program's constants are placed on the device it runs on)."""
    return (backend.name, backend.current_device()) if backend.multi_device else backend.name


def _backend_for_xp(xp: Any) -> Any:
    for name in ("numpy", "strict", "cupy"):
        try:
            b = _backends.get_backend(name)
        except (RuntimeError, ValueError):
            continue
        if b.xp is xp:
            return b
    raise TypeError(f"no funcdiff backend has the namespace {xp!r}")


def _pjit_impl(xp: Any, *raws: Any, jaxpr: Jaxpr, name: str) -> list:
    return list(_compiled_call(jaxpr, name, _backend_for_xp(xp))(list(raws)))


pjit_p.def_impl(_pjit_impl)
pjit_p.def_abstract_eval(_pjit_abstract_eval)


def _derived(jaxpr: Jaxpr, key: Any, make: Callable[[], Any]) -> Any:
    """A jitted helper (the jvp, vjp or vmap of ``jaxpr``), made once and cached."""
    cache = _side_cache(jaxpr, "_jit_derived")
    fn = cache.get(key)
    if fn is None:
        with _cache_lock:
            fn = cache.get(key)
            if fn is None:
                fn = cache[key] = make()
    return fn


def _runner(jaxpr: Jaxpr) -> Callable[..., list]:
    return lambda *xs: eval_jaxpr(jaxpr, [], *xs)


def _eager(*values: Any) -> bool:
    """Whether these values are concrete at the root: helpers then run compiled."""
    return type(current_interpreter()) is EvalInterpreter and all(
        isinstance(v, ArrayImpl) for v in values)


def _jit(fn: Callable) -> Any:
    from .jit import jit  # jit.py imports this module: bound at first use

    return jit(fn)


def _named(fn: Callable, name: str) -> Callable:
    fn.__name__ = fn.__qualname__ = name
    return fn


def _pjit_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, jaxpr: Jaxpr, name: str):
    nonzero = [t for t in tangents if type(t) is not Zero]
    if not _eager(*primals, *nonzero):
        return jvp_flat(_runner(jaxpr), list(primals), list(tangents))
    mask = tuple(type(t) is not Zero for t in tangents)

    def make() -> Any:
        def jvp_fn(ps: list, ts: list) -> tuple:
            it = iter(ts)
            full = [next(it) if m else Zero(v.aval) for m, v in zip(mask, jaxpr.invars)]
            p_out, t_out = jvp_flat(_runner(jaxpr), ps, full)
            return p_out, [None if type(t) is Zero else t for t in t_out]

        return _jit(_named(jvp_fn, f"jvp_{name}"))

    p_out, t_out = _derived(jaxpr, ("jvp", mask), make)(list(primals), nonzero)
    return p_out, [Zero(a) if t is None else t for t, a in zip(t_out, jaxpr.out_avals)]


def _pjit_vjp(needs: Sequence[bool], ct: Sequence[Any], ans: Any, *primals: Any,
              jaxpr: Jaxpr, name: str) -> list:
    cts = [None if type(c) is Zero else c for c in ct]
    live = [c for c in cts if c is not None]
    mask = tuple(c is not None for c in cts)
    wanted = tuple(bool(n) for n in needs)

    def pull(ps: list, live_cts: list) -> list:
        it = iter(live_cts)
        _, backward, _ = vjp_flat(_runner(jaxpr), ps)
        got = backward([next(it) if m else None for m in mask])
        return [g if w else None for g, w in zip(got, wanted)]

    if not _eager(*primals, *live):
        return pull(list(primals), live)
    fn = _derived(jaxpr, ("vjp", wanted, mask), lambda: _jit(_named(pull, f"vjp_{name}")))
    return fn(list(primals), live)


def _pjit_transpose(ct: Sequence[Any], *args: Any, jaxpr: Jaxpr, name: str) -> list:
    # Forward-evaluate what the defined inputs determine, then transpose the rest.
    known: dict[Var, Any] = {v: a for v, a in zip(jaxpr.invars, args) if not is_undefined(a)}
    for eqn in jaxpr.eqns:
        if all(isinstance(x, Literal) or x in known for x in eqn.invars):
            outs = eqn.prim.bind(*[x.val if isinstance(x, Literal) else known[x]
                                   for x in eqn.invars], **eqn.params)
            known.update(zip(eqn.outvars, outs if eqn.prim.multiple_results else [outs]))
    wanted = [v for v, a in zip(jaxpr.invars, args) if is_undefined(a)]
    got = iter(backward_pass(jaxpr, known, [None if type(c) is Zero else c for c in ct], wanted))
    return [next(got) if is_undefined(a) else None for a in args]


def _pjit_batch(args: Sequence[Any], dims: Sequence[int | None], *, jaxpr: Jaxpr, name: str):
    from .vmap import vmap

    axes = tuple(dims)
    fn = _derived(jaxpr, ("vmap", axes), lambda: _jit(_named(
        vmap(_runner(jaxpr), in_axes=axes), f"vmap_{name}")))
    outs = fn(*args)
    return list(outs), [0] * len(outs)


jvp_rules[pjit_p] = _pjit_jvp
vjp_rules[pjit_p] = _pjit_vjp
transpose_rules[pjit_p] = _pjit_transpose
batch_rules[pjit_p] = _pjit_batch
