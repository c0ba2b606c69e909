"""``custom_jvp`` and ``custom_vjp``: functions whose derivative the user writes.

A call of a custom function binds a primitive (``custom_jvp_call`` or ``custom_vjp_call``)
whose inputs are the values the function closed over (the first ``num_consts``) followed by
the leaves of its arguments, and whose params hold

* ``call_jaxpr``: the function traced to a jaxpr (no constvars; evaluation and ``jit`` run
  or inline it, ``vmap`` batches it);
* the user's rules wrapped as callables on flat lists: ``jvp(primals, tangents) -> (outs,
  tangents_out)``, or ``fwd(primals) -> (outs, residuals)`` and ``bwd(residuals, cts) ->
  cts`` (a ``None`` cotangent is zero). ``vmap`` wraps them in ``vmap``.

So custom functions compose with every transform: ``jvp`` calls the rule; reverse mode
linearizes a custom JVP rule once in the forward pass, or runs ``fwd`` in the forward pass
and ``bwd`` in the backward pass (``ad.fwd_rules`` / ``ad.bwd_rules``); rules are written in
funcdiff operations, so higher derivatives nest. Without any transform the function is
simply called.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import tree
from ..backend import is_device_array
from ..core import dtypes
from ..core.builder import JaxprBuilder
from ..core.convert import as_operand
from ..core.ir import Jaxpr
from ..core.primitive import Primitive
from ..core.tracing import (
    ConcretizationTypeError,
    EvalInterpreter,
    current_interpreter,
    eval_jaxpr,
    get_aval,
    use_interpreter,
)
from . import ad
from .ad_rules import Zero, jvp_rules, vjp_rules, zeros_like_aval
from .batching_rules import batch_rules, batch_size, moveaxis

# ---------------------------------------------------------------------------------------
# Shared helpers: tracing to a closed jaxpr, evaluating and batching one


def trace_closed(fn: Callable[..., Any], avals: Sequence[Any], *, why: str,
                 what: str = "an output") -> tuple[Jaxpr, list, Any]:
    """Trace ``fn`` (flat arrays in, a pytree out) on abstract values.

    Returns ``(jaxpr, consts, out_tree)``: the jaxpr takes the values ``fn`` closed over
    (``consts``, which may be tracers of enclosing transforms) as its first inputs, so a
    primitive holding it receives them as ordinary operands.
    """
    builder = JaxprBuilder(current_interpreter(), why=why)
    ins = [builder.new_arg(a) for a in avals]
    with use_interpreter(builder):
        out = fn(*ins)
    flat, out_tree = tree.flatten(out)
    flat = [as_operand(o, what=what) for o in flat]
    jaxpr = builder.build(flat)
    closed = Jaxpr([], [*jaxpr.constvars, *jaxpr.invars], jaxpr.eqns, jaxpr.outvars)
    return closed, list(jaxpr.consts), out_tree


def eval_impl(jaxpr: Jaxpr, raw_args: Sequence[Any]) -> list:
    """Run ``jaxpr`` on backend arrays: the ``impl`` of primitives that hold one."""
    from ..core.array import ArrayImpl

    # Backend arrays become arrays again; scalars (literals of the caller) stay as they are.
    args = [ArrayImpl(a, v.aval) if isinstance(a, np.ndarray) or is_device_array(a) else a
            for a, v in zip(raw_args, jaxpr.invars, strict=True)]
    with use_interpreter(EvalInterpreter()):
        outs = eval_jaxpr(jaxpr, [], *args)
    return [o._value if isinstance(o, ArrayImpl) else o for o in outs]


def batch_call(jaxpr: Jaxpr, args: Sequence[Any], dims: Sequence[int | None], *, why: str):
    """Batch a closed jaxpr: move batch axes to the front and trace ``vmap`` of it.

    Returns ``(batched_jaxpr, new_consts, moved_args, axes, size)``; every output of the
    batched jaxpr carries the batch at axis 0, and its inputs are ``new_consts`` followed by
    ``moved_args``.
    """
    from .vmap import vmap

    size = batch_size(args, dims)
    moved = [a if d is None else moveaxis(a, d, 0) for a, d in zip(args, dims, strict=True)]
    axes = tuple(None if d is None else 0 for d in dims)
    body = vmap(lambda *xs: eval_jaxpr(jaxpr, [], *xs), in_axes=axes, out_axes=0,
                axis_size=size)
    b_jaxpr, consts, _ = trace_closed(lambda *xs: body(*xs), [get_aval(a) for a in moved],
                                      why=why)
    return b_jaxpr, consts, moved, axes, size


def _fun_name(fun: Any) -> str:
    return getattr(fun, "__name__", None) or type(fun).__name__


_LEAF = tree.structure(0)


def _is_leaf_value(x: Any) -> bool:
    """Whether ``x`` is one leaf (an array or a number), not a container of leaves."""
    return tree.structure(x) == _LEAF


def _signature(fun: Callable) -> tuple[inspect.Signature | None, int]:
    """``fun``'s signature and its number of positional parameters (``-1``: unknown)."""
    try:
        sig = inspect.signature(fun)
    except (TypeError, ValueError):
        return None, -1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sig, sum(p.kind in kinds for p in sig.parameters.values())


def _resolve_args(fun: Callable, sig: tuple[inspect.Signature | None, int], args: tuple,
                  kwargs: dict, kind: str) -> tuple:
    """All arguments made positional by ``fun``'s signature, defaults filled in (as JAX)."""
    signature, n_positional = sig
    if not kwargs and len(args) >= n_positional >= 0:
        return args  # every positional parameter is given: nothing to fill in
    if signature is None:
        if kwargs:
            raise TypeError(
                f"{kind} function {_fun_name(fun)} was called with keyword arguments but its "
                "signature cannot be inspected; pass the arguments positionally"
            )
        return args
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    passed = sorted(k for k in bound.kwargs if k in kwargs)
    if passed:
        raise TypeError(
            f"{kind} function {_fun_name(fun)} got keyword-only arguments {passed}; custom "
            "rules see positional arguments only, so make them positional (or close over "
            "them)"
        )
    return tuple(bound.args)


class _Call:
    """One call of a custom function: its static and differentiable arguments, traced."""

    def __init__(self, kind: str, fun: Callable, nondiff_argnums: tuple[int, ...],
                 args: tuple) -> None:
        n = len(args)
        for i in nondiff_argnums:
            if not -n <= i < n:
                raise ValueError(
                    f"{kind} function {_fun_name(fun)} has nondiff_argnums={nondiff_argnums}"
                    f" but was called with {n} positional arguments"
                )
        static = sorted({i % n for i in nondiff_argnums})
        self.kind, self.fun, self.n = kind, fun, n
        self.static = {i: args[i] for i in static}
        self.dyn_pos = [i for i in range(n) if i not in self.static]
        dyn = tuple(args[i] for i in self.dyn_pos)
        leaves, self.in_tree = tree.flatten(dyn)
        self.leaves = [self._operand(x) for x in leaves]
        self.in_avals = [get_aval(x) for x in self.leaves]
        try:
            self.jaxpr, self.consts, self.out_tree = trace_closed(
                lambda *xs: fun(*self.full_args(xs)), self.in_avals, why=kind,
                what=f"an output of {kind} function {_fun_name(fun)}")
        except ConcretizationTypeError as e:
            raise ConcretizationTypeError(
                f"{kind} function {_fun_name(fun)} is traced to a jaxpr when a transform is "
                f"active, so Python control flow cannot depend on its array arguments: {e}. "
                "Use fd.numpy.where or fd.lax.cond inside it, or pass Python values through "
                "nondiff_argnums."
            ) from None
        self.out_avals = [v.aval for v in self.jaxpr.outvars]

    def _operand(self, x: Any) -> Any:
        try:
            return as_operand(x, what=f"an argument of {self.kind} function "
                                      f"{_fun_name(self.fun)}")
        except TypeError as e:
            raise TypeError(
                f"{e}. Arguments that are not arrays (functions, strings, settings) must be "
                "listed in nondiff_argnums"
            ) from None

    def full_args(self, leaves: Sequence[Any]) -> list:
        """All positional arguments, with ``leaves`` in place of the differentiable ones."""
        dyn = iter(tree.unflatten(self.in_tree, list(leaves)))
        return [self.static[i] if i in self.static else next(dyn) for i in range(self.n)]

    def nondiff(self) -> list:
        return [self.static[i] for i in sorted(self.static)]

    def dyn_args(self, leaves: Sequence[Any]) -> tuple:
        return tuple(tree.unflatten(self.in_tree, list(leaves)))

    def check_outs(self, out: Any, rule: str, what: str) -> list:
        """``out`` (a rule's primal output) flattened, checked against the function's."""
        flat, got_tree = tree.flatten(out)
        if got_tree != self.out_tree:
            raise TypeError(
                f"the {rule} of {self.kind} function {_fun_name(self.fun)} returned {what} "
                f"with structure {got_tree}, but the function returns {self.out_tree}"
            )
        flat = [as_operand(o, what=f"{what} of the {rule}") for o in flat]
        for k, (o, want) in enumerate(zip(flat, self.out_avals, strict=True)):
            got = get_aval(o)
            if got.shape != want.shape or got.dtype != want.dtype:
                raise TypeError(
                    f"the {rule} of {self.kind} function {_fun_name(self.fun)} returned {what}"
                    f" of type {got.str_short()} at {_leaf_name(self.out_tree, k)}, but the "
                    f"function returns {want.str_short()} there"
                )
        return flat


def _leaf_name(treedef: Any, k: int) -> str:
    """``output``, ``output[1]``, ``output['w']``: leaf ``k`` of an output tree, named."""
    skeleton = treedef.unflatten(list(range(treedef.num_leaves)))
    paths = [p for p, _ in tree.flatten_with_path(skeleton)[0]]
    return "output" + tree.keystr(paths[k])


def _closure_error(kind: str, name: str) -> TypeError:
    return TypeError(
        f"{kind} function {name} closes over a value that is being differentiated (a traced "
        f"value from outside the function). Its custom rule only covers its explicit "
        "arguments, so the derivative with respect to that value would be wrong. Pass the "
        "value as an argument of the function instead of closing over it."
    )


def _instantiate_all(ts: Sequence[Any], avals: Sequence[Any]) -> list:
    return [zeros_like_aval(a) if t is None or type(t) is Zero else t
            for t, a in zip(ts, avals, strict=True)]


def _leading_none(n: int, rest: Sequence[Any]) -> list:
    return [None] * n + list(rest)


# ---------------------------------------------------------------------------------------
# custom_jvp


class custom_jvp:  # noqa: N801 - named as in JAX
    """A function with a user-written JVP rule (as ``jax.custom_jvp``).

    Decorate the function, then register the rule with :meth:`defjvp` (the whole rule) or
    :meth:`defjvps` (one derivative per argument). The rule is used by ``jvp``, ``grad``
    (which transposes it, so it must be linear in the tangents) and everything built on
    them; ``vmap`` batches both the function and the rule.

    Args:
        fun: the function; its positional arguments are pytrees of arrays.
        nondiff_argnums: positions of arguments that are not differentiated (Python values
            such as functions or settings); the rule receives them first.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> @fd.custom_jvp
        ... def log1pexp(x):
        ...     return fnp.log1p(fnp.exp(x))
        >>> @log1pexp.defjvp
        ... def log1pexp_jvp(primals, tangents):
        ...     (x,), (t,) = primals, tangents
        ...     return log1pexp(x), t / (1 + fnp.exp(-x))
        >>> fd.grad(log1pexp)(3.0)
        Array(0.95257413, dtype=float32, weak_type=True)
    """

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp: Callable[..., Any] | None = None
        self._sig = _signature(fun)

    def defjvp(self, jvp: Callable[..., Any], symbolic_zeros: bool = False) -> Callable:
        """Register ``jvp(*nondiff_args, primals, tangents) -> (primal_out, tangent_out)``.

        ``primals`` and ``tangents`` are tuples with one entry per (differentiable)
        argument; ``tangent_out`` has the structure, shapes and dtypes of ``primal_out``.
        Returns ``jvp``, so this works as a decorator.

        Examples:
            >>> import funcdiff as fd
            >>> f = fd.custom_jvp(lambda x: x ** 3)
            >>> _ = f.defjvp(lambda p, t: (f(p[0]), 3 * p[0] ** 2 * t[0]))
            >>> fd.jvp(f, (2.0,), (1.0,))
            (Array(8., dtype=float32, weak_type=True), Array(12., dtype=float32, weak_type=True))
        """
        if symbolic_zeros:
            raise NotImplementedError(
                "custom_jvp.defjvp(symbolic_zeros=True) is not supported: funcdiff passes "
                "zero tangents as arrays of zeros"
            )
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps: Callable[..., Any] | None) -> None:
        """Register one derivative per argument: ``jvps[i](t_i, primal_out, *primals)``.

        Each returns argument ``i``'s contribution to the output tangent (``None`` marks an
        argument with no derivative); the contributions are summed.

        Examples:
            >>> import funcdiff as fd
            >>> import funcdiff.numpy as fnp
            >>> f = fd.custom_jvp(lambda x, y: fnp.sin(x) * y)
            >>> f.defjvps(lambda t, ans, x, y: fnp.cos(x) * y * t,
            ...           lambda t, ans, x, y: fnp.sin(x) * t)
            >>> fd.grad(f, argnums=(0, 1))(0.0, 2.0)
            (Array(2., dtype=float32, weak_type=True), Array(0., dtype=float32, weak_type=True))
        """
        if self.nondiff_argnums:
            raise TypeError("defjvps cannot be used with nondiff_argnums; use defjvp")

        def jvp(primals: tuple, tangents: tuple) -> tuple:
            if len(jvps) != len(primals):
                raise TypeError(
                    f"defjvps of {_fun_name(self.fun)} got {len(jvps)} rules for a call with "
                    f"{len(primals)} arguments; give one per argument (None for none)"
                )
            ans = self(*primals)
            out = None
            for rule, t in zip(jvps, tangents, strict=True):
                if rule is None:
                    continue
                term = rule(t, ans, *primals)
                out = term if out is None else tree.map(lambda a, b: a + b, out, term)
            if out is None:
                out = tree.map(lambda a: a * 0, ans)
            return ans, out

        jvp.__name__ = f"{_fun_name(self.fun)}_jvps"
        self.defjvp(jvp)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = _fun_name(self.fun)
        if self.jvp is None:
            raise AttributeError(
                f"no JVP rule is defined for custom_jvp function {name}: register one with "
                f"`@{name}.defjvp` (a function (primals, tangents) -> (primal_out, "
                "tangent_out)) before calling it"
            )
        args = _resolve_args(self.fun, self._sig, args, kwargs, "custom_jvp")
        if type(current_interpreter()) is EvalInterpreter:
            return self.fun(*args)  # no transform is active: nothing needs the rule
        call = _Call("custom_jvp", self.fun, self.nondiff_argnums, args)
        rule = _JVPRule(self, call)
        outs = custom_jvp_call_p.bind(*call.consts, *call.leaves, call_jaxpr=call.jaxpr,
                                      jvp=rule, num_consts=len(call.consts))
        return tree.unflatten(call.out_tree, outs)


class _JVPRule:
    """The user's JVP rule on flat lists of the differentiable leaves (a primitive param)."""

    def __init__(self, fn: custom_jvp, call: _Call) -> None:
        self.fn, self.call = fn, call
        self.__name__ = _fun_name(fn.jvp)
        self.fun_name = _fun_name(call.fun)

    def __call__(self, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[list, list]:
        call, name = self.call, self.__name__
        res = self.fn.jvp(*call.nondiff(), call.dyn_args(primals), call.dyn_args(tangents))
        if not (isinstance(res, (tuple, list)) and len(res) == 2):
            raise TypeError(
                f"the JVP rule {name} of custom_jvp function {_fun_name(call.fun)} must return "
                f"a pair (primal_out, tangent_out), got {ad._describe(res)}"
            )
        outs = call.check_outs(res[0], f"JVP rule {name}", "a primal output")
        try:
            t_leaves = call.out_tree.flatten_up_to(res[1])
            for t in t_leaves:
                if t is not None and not _is_leaf_value(t):
                    raise ValueError(f"a leaf holds {tree.structure(t)}")
        except ValueError as e:
            raise TypeError(
                f"the JVP rule {name} of custom_jvp function {_fun_name(call.fun)} returned a "
                f"tangent output whose structure does not match the primal output's "
                f"{call.out_tree}: {e}"
            ) from None
        t_out = [_check_tangent(t, o, k, call, name) for k, (t, o) in
                 enumerate(zip(t_leaves, outs, strict=True))]
        return outs, t_out


def _check_tangent(t: Any, primal: Any, k: int, call: _Call, rule: str) -> Any:
    aval = get_aval(primal)
    if t is None or not dtypes.is_inexact(aval.dtype):
        return Zero(aval)  # integer outputs carry no tangent
    t = as_operand(t, what=f"a tangent output of the JVP rule {rule}")
    got = get_aval(t)
    if got.shape != aval.shape or (got.dtype != aval.dtype and not got.weak_type):
        raise TypeError(
            f"the JVP rule {rule} of custom_jvp function {_fun_name(call.fun)} returned a "
            f"tangent of type {got.str_short()} for the primal {_leaf_name(call.out_tree, k)} "
            f"of type {aval.str_short()}; a tangent must have "
            "its primal's shape and dtype"
        )
    if got.dtype != aval.dtype:
        from .. import lax

        t = lax.convert_element_type(t, aval.dtype)
    return t


custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True)
custom_jvp_call_p.def_impl(
    lambda xp, *args, call_jaxpr, jvp, num_consts: eval_impl(call_jaxpr, args))
custom_jvp_call_p.def_abstract_eval(
    lambda *avals, call_jaxpr, jvp, num_consts: [v.aval for v in call_jaxpr.outvars])


def _custom_jvp_call_jvp(primals: Sequence[Any], tangents: Sequence[Any], *,
                         call_jaxpr: Jaxpr, jvp: Callable, num_consts: int):
    if any(type(t) is not Zero for t in tangents[:num_consts]):
        raise _closure_error("custom_jvp", getattr(jvp, "fun_name", "?"))
    avals = [get_aval(p) for p in primals[num_consts:]]
    return jvp(list(primals[num_consts:]), _instantiate_all(tangents[num_consts:], avals))


def _custom_jvp_call_fwd(args: Sequence[Any], diff: Sequence[bool], **params: Any):
    # Reverse mode: linearize the custom rule once, in the forward pass; its primal output
    # is the output (as in JAX, the rule replaces the function under differentiation).
    outs, lin = ad.linearize_rule(custom_jvp_call_p, args, diff, params)
    return outs, lin


def _custom_jvp_call_batch(args: Sequence[Any], dims: Sequence[int | None], *,
                           call_jaxpr: Jaxpr, jvp: Callable, num_consts: int):
    b_jaxpr, consts, moved, axes, size = batch_call(call_jaxpr, args, dims, why="vmap")
    rule = _BatchedJVP(jvp, axes[num_consts:], size)
    outs = custom_jvp_call_p.bind(*consts, *moved, call_jaxpr=b_jaxpr, jvp=rule,
                                  num_consts=len(consts) + num_consts)
    return outs, [0] * len(outs)


class _BatchedJVP:
    """A flat JVP rule under ``vmap``: the inner rule, vectorized over the batch axis 0."""

    def __init__(self, inner: Callable, axes: tuple, size: int) -> None:
        self.inner, self.axes, self.size = inner, list(axes), size
        self.__name__ = f"vmap({_fun_name(inner)})"
        self.fun_name = getattr(inner, "fun_name", "?")

    def __call__(self, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[list, list]:
        from .vmap import vmap

        def one(ps: list, ts: list) -> tuple:
            outs, t_out = self.inner(ps, ts)
            return outs, [ad.zeros_for(t.aval) if type(t) is Zero else t for t in t_out]

        return vmap(one, in_axes=(self.axes, self.axes), out_axes=0, axis_size=self.size)(
            list(primals), list(tangents))


jvp_rules[custom_jvp_call_p] = _custom_jvp_call_jvp
ad.fwd_rules[custom_jvp_call_p] = _custom_jvp_call_fwd
ad.bwd_rules[custom_jvp_call_p] = ad.bwd_by_transposing
batch_rules[custom_jvp_call_p] = _custom_jvp_call_batch


# ---------------------------------------------------------------------------------------
# custom_vjp


class custom_vjp:  # noqa: N801 - named as in JAX
    """A function with a user-written VJP (as ``jax.custom_vjp``).

    Decorate the function, then register ``fwd`` and ``bwd`` with :meth:`defvjp`. Reverse
    mode (``grad``, ``vjp``, ``jacrev``) runs ``fwd`` in the forward pass and ``bwd`` in the
    backward pass; ``vmap`` batches the function, ``fwd`` and ``bwd``. Forward mode
    (``jvp``, ``jacfwd``) is an error: use :class:`custom_jvp` for that.

    Args:
        fun: the function; its positional arguments are pytrees of arrays.
        nondiff_argnums: positions of arguments that are not differentiated (Python values
            such as functions or settings); ``bwd`` receives them first.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> @fd.custom_vjp
        ... def clip_gradient(x):
        ...     return x
        >>> def fwd(x):
        ...     return x, None
        >>> def bwd(res, g):
        ...     return (fnp.clip(g, -1.0, 1.0),)
        >>> clip_gradient.defvjp(fwd, bwd)
        >>> fd.grad(lambda x: 5.0 * clip_gradient(x))(2.0)
        Array(1., dtype=float32, weak_type=True)
    """

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd: Callable[..., Any] | None = None
        self.bwd: Callable[..., Any] | None = None
        self._sig = _signature(fun)

    def defvjp(self, fwd: Callable[..., Any], bwd: Callable[..., Any],
               symbolic_zeros: bool = False, optimize_remat: bool = False) -> None:
        """Register ``fwd(*args) -> (out, residuals)`` and ``bwd(*nondiff, residuals, ct)``.

        ``fwd`` takes the function's arguments and returns its output and the residuals
        (a pytree of arrays) that ``bwd`` needs. ``bwd`` returns a tuple with one cotangent
        per differentiable argument, each shaped like it (``None`` for zero).

        Examples:
            >>> import funcdiff as fd
            >>> f = fd.custom_vjp(lambda x: x * x)
            >>> f.defvjp(lambda x: (x * x, x), lambda x, g: (2 * x * g,))
            >>> fd.grad(f)(3.0)
            Array(6., dtype=float32, weak_type=True)
        """
        if symbolic_zeros:
            raise NotImplementedError(
                "custom_vjp.defvjp(symbolic_zeros=True) is not supported: funcdiff passes "
                "zero cotangents as arrays of zeros"
            )
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = _fun_name(self.fun)
        if self.fwd is None:
            raise AttributeError(
                f"no VJP is defined for custom_vjp function {name}: register one with "
                f"`{name}.defvjp(fwd, bwd)` before calling it"
            )
        args = _resolve_args(self.fun, self._sig, args, kwargs, "custom_vjp")
        if type(current_interpreter()) is EvalInterpreter:
            return self.fun(*args)
        call = _Call("custom_vjp", self.fun, self.nondiff_argnums, args)
        outs = custom_vjp_call_p.bind(
            *call.consts, *call.leaves, call_jaxpr=call.jaxpr, fwd=_FwdRule(self, call),
            bwd=_BwdRule(self, call), num_consts=len(call.consts))
        return tree.unflatten(call.out_tree, outs)


class _FwdRule:
    """The user's ``fwd`` on the flat differentiable leaves: ``-> (outs, residuals)``."""

    def __init__(self, fn: custom_vjp, call: _Call) -> None:
        self.fn, self.call = fn, call
        self.__name__ = _fun_name(fn.fwd)
        self.fun_name = _fun_name(call.fun)

    def __call__(self, primals: Sequence[Any]) -> tuple[list, Any]:
        call = self.call
        res = self.fn.fwd(*call.full_args(primals))
        if not (isinstance(res, (tuple, list)) and len(res) == 2):
            raise TypeError(
                f"the fwd rule {self.__name__} of custom_vjp function {_fun_name(call.fun)} "
                f"must return a pair (output, residuals), got {ad._describe(res)}"
            )
        return call.check_outs(res[0], f"fwd rule {self.__name__}", "an output"), res[1]


class _BwdRule:
    """The user's ``bwd`` on flat lists: output cotangents in, one per input leaf out."""

    def __init__(self, fn: custom_vjp, call: _Call) -> None:
        self.fn, self.call = fn, call
        self.__name__ = _fun_name(fn.bwd)
        self.fun_name = _fun_name(call.fun)

    def __call__(self, res: Any, cts: Sequence[Any]) -> list:
        call, name = self.call, self.__name__
        fname = _fun_name(call.fun)
        ct = tree.unflatten(call.out_tree, _instantiate_all(cts, call.out_avals))
        got = self.fn.bwd(*call.nondiff(), res, ct)
        n = len(call.dyn_pos)
        if not isinstance(got, (tuple, list)) or len(got) != n:
            raise TypeError(
                f"the bwd rule {name} of custom_vjp function {fname} must return a tuple with "
                f"one cotangent per differentiable argument ({n}), got {ad._describe(got)}"
            )
        dyn = call.dyn_args(call.in_avals)
        out: list = []
        for pos, g, arg in zip(call.dyn_pos, got, dyn, strict=True):
            arg_def = tree.structure(arg)
            if g is None:
                out.extend([None] * arg_def.num_leaves)
                continue
            try:
                leaves = arg_def.flatten_up_to(g)
                for leaf in leaves:
                    if leaf is not None and not _is_leaf_value(leaf):
                        raise ValueError(f"a leaf holds {tree.structure(leaf)}")
            except ValueError as e:
                raise TypeError(
                    f"the bwd rule {name} of custom_vjp function {fname} returned a cotangent "
                    f"for argument {pos} whose structure does not match the argument's "
                    f"{arg_def}: {e}"
                ) from None
            for leaf, aval in zip(leaves, tree.leaves(arg), strict=True):
                out.append(_check_cotangent(leaf, aval, pos, name, fname))
        return out


def _check_cotangent(g: Any, aval: Any, pos: int, rule: str, fname: str) -> Any:
    if g is None or not dtypes.is_inexact(aval.dtype):
        return None
    g = as_operand(g, what=f"a cotangent returned by the bwd rule {rule}")
    got = get_aval(g)
    if got.shape != aval.shape:
        raise TypeError(
            f"the bwd rule {rule} of custom_vjp function {fname} returned a cotangent of type "
            f"{got.str_short()} for argument {pos} of type {aval.str_short()}; a cotangent "
            "must have its argument's shape"
        )
    if got.dtype != aval.dtype:
        from .. import lax

        g = lax.convert_element_type(g, aval.dtype)
    return g


custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True)
custom_vjp_call_p.def_impl(
    lambda xp, *args, call_jaxpr, fwd, bwd, num_consts: eval_impl(call_jaxpr, args))
custom_vjp_call_p.def_abstract_eval(
    lambda *avals, call_jaxpr, fwd, bwd, num_consts: [v.aval for v in call_jaxpr.outvars])


def _custom_vjp_call_jvp(primals: Sequence[Any], tangents: Sequence[Any], *, fwd: Callable,
                         **params: Any):
    raise TypeError(
        f"can't apply forward-mode autodiff (jvp, jacfwd, hessian) to custom_vjp function "
        f"{getattr(fwd, 'fun_name', '?')}: it defines only a reverse-mode rule. Use reverse "
        "mode (fd.grad, fd.vjp, fd.jacrev), or define the derivative with fd.custom_jvp, "
        "which serves both modes."
    )


def _custom_vjp_call_fwd(args: Sequence[Any], diff: Sequence[bool], *, call_jaxpr: Jaxpr,
                         fwd: Callable, bwd: Callable, num_consts: int):
    if any(diff[:num_consts]):
        raise _closure_error("custom_vjp", getattr(fwd, "fun_name", "?"))
    return fwd(list(args[num_consts:]))


def _custom_vjp_call_bwd(res: Any, needs: Sequence[bool], cts: Sequence[Any], *,
                         call_jaxpr: Jaxpr, fwd: Callable, bwd: Callable, num_consts: int):
    got = _leading_none(num_consts, bwd(res, list(cts)))
    return [g if need else None for g, need in zip(got, needs, strict=True)]


def _custom_vjp_call_vjp(needs: Sequence[bool], ct: Any, ans: Any, *primals: Any,
                         call_jaxpr: Jaxpr, fwd: Callable, bwd: Callable, num_consts: int):
    # Only for equations that reach a backward pass without their forward residuals.
    if any(needs[:num_consts]):
        raise _closure_error("custom_vjp", getattr(fwd, "fun_name", "?"))
    _, res = fwd(list(primals[num_consts:]))
    cts = [None if type(c) is Zero else c for c in ct]
    return _custom_vjp_call_bwd(res, needs, cts, call_jaxpr=call_jaxpr, fwd=fwd, bwd=bwd,
                                num_consts=num_consts)


def _custom_vjp_call_batch(args: Sequence[Any], dims: Sequence[int | None], *,
                           call_jaxpr: Jaxpr, fwd: Callable, bwd: Callable, num_consts: int):
    b_jaxpr, consts, moved, axes, size = batch_call(call_jaxpr, args, dims, why="vmap")
    dyn_axes = list(axes[num_consts:])
    outs = custom_vjp_call_p.bind(
        *consts, *moved, call_jaxpr=b_jaxpr, fwd=_BatchedFwd(fwd, dyn_axes, size),
        bwd=_BatchedBwd(bwd, dyn_axes, size), num_consts=len(consts) + num_consts)
    return outs, [0] * len(outs)


class _BatchedFwd:
    """``fwd`` under ``vmap``: outputs and residuals all carry the batch at axis 0."""

    def __init__(self, inner: Callable, axes: list, size: int) -> None:
        self.inner, self.axes, self.size = inner, axes, size
        self.__name__ = f"vmap({_fun_name(inner)})"
        self.fun_name = getattr(inner, "fun_name", "?")

    def __call__(self, primals: Sequence[Any]) -> tuple[list, Any]:
        from .vmap import vmap

        return vmap(lambda ps: self.inner(ps), in_axes=(self.axes,), out_axes=0,
                    axis_size=self.size)(list(primals))


class _BatchedBwd:
    """``bwd`` under ``vmap``; unbatched inputs get their cotangents summed over the batch."""

    def __init__(self, inner: Callable, axes: list, size: int) -> None:
        self.inner, self.axes, self.size = inner, axes, size
        self.__name__ = f"vmap({_fun_name(inner)})"
        self.fun_name = getattr(inner, "fun_name", "?")

    def __call__(self, res: Any, cts: Sequence[Any]) -> list:
        from .. import lax
        from .vmap import vmap

        got = vmap(lambda r, cs: self.inner(r, cs), in_axes=(0, 0), out_axes=0,
                   axis_size=self.size)(res, list(cts))
        return [None if g is None else (g if a is not None else lax.reduce_sum(g, (0,)))
                for g, a in zip(got, self.axes, strict=True)]


jvp_rules[custom_vjp_call_p] = _custom_vjp_call_jvp
vjp_rules[custom_vjp_call_p] = _custom_vjp_call_vjp
ad.fwd_rules[custom_vjp_call_p] = _custom_vjp_call_fwd
ad.bwd_rules[custom_vjp_call_p] = _custom_vjp_call_bwd
batch_rules[custom_vjp_call_p] = _custom_vjp_call_batch
