"""The public differentiation API: ``grad``, ``value_and_grad``, ``jvp``, ``vjp``,
``linearize``, ``jacfwd``, ``jacrev``, ``hessian`` — named and called as in JAX."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from .. import tree
from ..core import dtypes
from ..core.builder import JaxprBuilder
from ..core.convert import as_operand
from ..core.tracing import current_interpreter, eval_jaxpr, get_aval, use_interpreter
from .ad import jvp_flat, vjp_flat
from .ad_rules import Zero, instantiate


def _argnums_tuple(fun: Callable, argnums: int | Sequence[int], nargs: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not -nargs <= n < nargs:
            raise ValueError(
                f"argnums={argnums} is out of range: {_name(fun)} was called with {nargs} "
                "positional arguments"
            )
    return tuple(n % nargs for n in nums)


def _name(fun: Callable) -> str:
    return getattr(fun, "__name__", type(fun).__name__)


def _arg_label(fun: Callable, i: int) -> str:
    try:
        params = list(inspect.signature(fun).parameters)
        return f"argument {i} ({params[i]})" if i < len(params) else f"argument {i}"
    except (TypeError, ValueError):
        return f"argument {i}"


def _operands(xs: Any, what: str) -> list:
    return [as_operand(x, what=what) for x in xs]


def vjp(fun: Callable[..., Any], *primals: Any, has_aux: bool = False):
    """Reverse mode: ``fun``'s output and a function pulling cotangents back to the inputs.

    Args:
        fun: a function of pytrees of arrays.
        *primals: the point to differentiate at.
        has_aux: ``fun`` returns ``(out, aux)``; ``aux`` is returned as is.

    Returns:
        ``(out, vjp_fn)`` or ``(out, vjp_fn, aux)``; ``vjp_fn(ct)`` takes a cotangent shaped
        like ``out`` and returns a tuple with one cotangent per primal.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> y, pullback = fd.vjp(fnp.sin, fnp.zeros(()))
        >>> pullback(fnp.ones(()))
        (Array(1., dtype=float32),)
    """
    flat, in_tree = tree.flatten(primals)
    flat = _operands(flat, "a primal of vjp")

    def flat_fun(*xs: Any) -> Any:
        return fun(*tree.unflatten(in_tree, list(xs)))

    out, backward, aux = vjp_flat(flat_fun, flat, has_aux)
    flat_out, out_tree = tree.flatten(out)

    def vjp_fn(ct: Any) -> tuple:
        flat_ct, ct_tree = tree.flatten(ct)
        if ct_tree != out_tree:
            raise TypeError(
                f"the cotangent's structure {ct_tree} does not match the output's {out_tree}"
            )
        flat_ct = _operands(flat_ct, "a cotangent")
        for c, o in zip(flat_ct, flat_out, strict=True):
            if get_aval(c).shape != get_aval(o).shape:
                raise ValueError(
                    f"cotangent of shape {get_aval(c).shape} given for an output of shape "
                    f"{get_aval(o).shape}"
                )
        cts = [None if _is_int(o) else c for c, o in zip(flat_ct, flat_out)]
        return tuple(tree.unflatten(in_tree, backward(cts)))

    if has_aux:
        return out, vjp_fn, aux
    return out, vjp_fn


def _is_int(x: Any) -> bool:
    return not dtypes.is_inexact(get_aval(x).dtype)


def value_and_grad(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
                   has_aux: bool = False, allow_int: bool = False) -> Callable[..., Any]:
    """A function returning ``fun``'s value and its gradient (as ``jax.value_and_grad``).

    Args:
        fun: a function with a real scalar output.
        argnums: which positional argument(s) to differentiate with respect to.
        has_aux: ``fun`` returns ``(value, aux)``; then the result is ``((value, aux), grad)``.
        allow_int: permit integer arguments (their gradient is zero).

    Returns:
        ``(value, grad)`` where ``grad`` has the structure of the chosen argument(s).

    Raises:
        TypeError: if the output is not a real scalar, or a differentiated argument has an
            integer dtype (without ``allow_int``).

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.value_and_grad(lambda w: fnp.sum(w ** 2))(fnp.array([1.0, 2.0]))
        (Array(5., dtype=float32), Array([2., 4.], dtype=float32))
    """

    @functools.wraps(fun)
    def vg(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(fun, argnums, len(args))
        dyn = tuple(args[i] for i in nums)
        for i, a in zip(nums, dyn):
            for leaf in tree.leaves(a):
                aval = get_aval(as_operand(leaf, what=_arg_label(fun, i)))
                if not dtypes.is_inexact(aval.dtype) and not allow_int:
                    raise TypeError(
                        f"grad requires real- or complex-valued inputs, but {_arg_label(fun, i)}"
                        f" of {_name(fun)} has dtype {aval.dtype}. Differentiate with respect "
                        "to a float argument (x.astype('float32')), or pass allow_int=True."
                    )

        def partial(*d: Any) -> Any:
            full = list(args)
            for i, v in zip(nums, d):
                full[i] = v
            return fun(*full, **kwargs)

        res = vjp(partial, *dyn, has_aux=has_aux)
        out, pullback = res[0], res[1]
        aval = get_aval(as_operand(out, what="the differentiated function's output")) if not \
            isinstance(out, (tuple, list, dict)) else None
        if aval is None or aval.shape != ():
            shown = aval.str_short() if aval is not None else type(out).__name__
            raise TypeError(
                f"grad requires a scalar output, got {shown} from {_name(fun)}: reduce it "
                "(`loss.sum()` or `loss.mean()`) or use fd.jacrev for the Jacobian"
            )
        if not dtypes.is_inexact(aval.dtype):
            raise TypeError(
                f"grad requires a real-valued output, got {aval.str_short()} from {_name(fun)}"
            )
        from .. import lax

        g = pullback(lax.full((), 1, aval.dtype))
        g = g[0] if isinstance(argnums, int) else g
        value = (out, res[2]) if has_aux else out
        return value, g

    return vg


def grad(fun: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
         allow_int: bool = False) -> Callable[..., Any]:
    """The gradient of a scalar function (as ``jax.grad``).

    Args:
        fun: a function with a real scalar output; arguments are pytrees of arrays.
        argnums: which positional argument(s) to differentiate with respect to.
        has_aux: ``fun`` returns ``(value, aux)``; then the result is ``(grad, aux)``.
        allow_int: permit integer arguments (their gradient is zero).

    Returns:
        A function with ``fun``'s arguments returning the gradient, shaped like the
        argument (a tuple of them when ``argnums`` is a tuple).

    Raises:
        TypeError: for a non-scalar output or an integer argument.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.grad(fnp.tanh)(0.0)
        Array(1., dtype=float32, weak_type=True)
        >>> fd.grad(fd.grad(fnp.sin))(0.0)
        Array(-0., dtype=float32, weak_type=True)
        >>> params = {"w": fnp.array([1.0, 2.0]), "b": 1.0}
        >>> g = fd.grad(lambda p, x: fnp.sum(p["w"] * x) + p["b"])(params, fnp.ones(2))
        >>> g["w"], g["b"]
        (Array([1., 1.], dtype=float32), Array(1., dtype=float32, weak_type=True))
    """
    vg = value_and_grad(fun, argnums, has_aux, allow_int)

    @functools.wraps(fun)
    def g(*args: Any, **kwargs: Any) -> Any:
        value, gr = vg(*args, **kwargs)
        return (gr, value[1]) if has_aux else gr

    return g


def jvp(fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False):
    """Forward mode: ``(fun(*primals), J @ tangents)`` (as ``jax.jvp``).

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.jvp(fnp.sin, (0.0,), (2.0,))
        (Array(0., dtype=float32, weak_type=True), Array(2., dtype=float32, weak_type=True))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp takes primals and tangents as tuples, e.g. jvp(f, (x,), (t,))")
    flat_p, p_tree = tree.flatten(tuple(primals))
    flat_t, t_tree = tree.flatten(tuple(tangents))
    if p_tree != t_tree:
        raise TypeError(f"primal structure {p_tree} does not match tangent structure {t_tree}")
    flat_p = _operands(flat_p, "a primal of jvp")
    flat_t = _operands(flat_t, "a tangent of jvp")
    for p, t in zip(flat_p, flat_t):
        if get_aval(p).shape != get_aval(t).shape:
            raise ValueError(
                f"jvp got a tangent of shape {get_aval(t).shape} for a primal of shape "
                f"{get_aval(p).shape}"
            )
    flat_t = [Zero(get_aval(t)) if _is_int(p) else t for p, t in zip(flat_p, flat_t)]
    out_holder: dict = {}

    def flat_fun(*xs: Any) -> list:
        out = fun(*tree.unflatten(p_tree, list(xs)))
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError("with has_aux=True the function must return (output, aux)")
            out, out_holder["aux"] = out
        leaves, out_holder["tree"] = tree.flatten(out)
        return _operands(leaves, "an output of jvp's function")

    p_out, t_out = jvp_flat(flat_fun, flat_p, flat_t)
    out_tree = out_holder["tree"]
    result = (tree.unflatten(out_tree, p_out),
              tree.unflatten(out_tree, [instantiate(t) for t in t_out]))
    if has_aux:
        return (*result, _lower_jvp_aux(out_holder["aux"]))
    return result


def _lower_jvp_aux(aux: Any) -> Any:
    from .ad import JVPTracer

    return tree.map(lambda x: x.primal if isinstance(x, JVPTracer) else x, aux)


def linearize(fun: Callable[..., Any], *primals: Any):
    """``fun``'s output and its linear map ``tangents -> J @ tangents``, traced once.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> y, f_jvp = fd.linearize(fnp.sin, 0.0)
        >>> f_jvp(3.0)
        Array(3., dtype=float32, weak_type=True)
    """
    flat_p, p_tree = tree.flatten(primals)
    flat_p = _operands(flat_p, "a primal of linearize")
    lin = JaxprBuilder(current_interpreter(), why="linearize")
    ts = [lin.new_arg(get_aval(p)) for p in flat_p]
    holder: dict = {}

    def flat_fun(*xs: Any) -> list:
        leaves, holder["tree"] = tree.flatten(fun(*tree.unflatten(p_tree, list(xs))))
        return _operands(leaves, "an output of linearize's function")

    with use_interpreter(lin):
        p_out, t_out = jvp_flat(flat_fun, flat_p,
                                [Zero(get_aval(p)) if _is_int(p) else t
                                 for p, t in zip(flat_p, ts)])
    jaxpr = lin.build([instantiate(t) if isinstance(t, Zero) else t for t in t_out])
    out_tree = holder["tree"]

    def f_jvp(*tangents: Any) -> Any:
        flat_t, t_tree = tree.flatten(tangents)
        if t_tree != p_tree:
            raise TypeError(f"tangent structure {t_tree} does not match primals' {p_tree}")
        outs = eval_jaxpr(jaxpr, jaxpr.consts, *_operands(flat_t, "a tangent"))
        return tree.unflatten(out_tree, outs)

    return tree.unflatten(out_tree, p_out), f_jvp


def _std_basis(x: Any) -> Any:
    from .. import lax

    aval = get_aval(x)
    n = aval.size
    eye = lax.convert_element_type(
        lax.eq(lax.broadcasted_iota("int32", (n, n), 0), lax.broadcasted_iota("int32", (n, n), 1)),
        aval.dtype)
    return lax.reshape(eye, (n, *aval.shape))


def jacfwd(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
           has_aux: bool = False) -> Callable[..., Any]:
    """The Jacobian by forward mode: ``vmap`` of ``jvp`` over a basis (as ``jax.jacfwd``).

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.jacfwd(lambda x: x ** 2)(fnp.array([1.0, 2.0]))
        Array([[2., 0.],
               [0., 4.]], dtype=float32)
    """
    from .. import lax
    from .vmap import vmap

    @functools.wraps(fun)
    def jac(*args: Any) -> Any:
        nums = _argnums_tuple(fun, argnums, len(args))
        dyn = [tree.map(lambda v: as_operand(v), args[i]) for i in nums]
        flat, in_tree = tree.flatten(tuple(dyn))

        def partial(*d: Any) -> Any:
            full = list(args)
            for i, v in zip(nums, tree.unflatten(in_tree, list(d))):
                full[i] = v
            return fun(*full)

        cols = []  # per input leaf: outputs' tangents batched over that leaf's basis
        aux = None
        for k, leaf in enumerate(flat):
            basis = _std_basis(leaf)

            def push(t: Any, k: int = k) -> Any:
                tangents = [t if j == k else lax.full(get_aval(x).shape, 0, get_aval(x).dtype)
                            for j, x in enumerate(flat)]
                res = jvp(partial, tuple(flat), tuple(tangents), has_aux=has_aux)
                return res[1]

            cols.append(vmap(push)(basis))
            if has_aux and aux is None:
                aux = jvp(partial, tuple(flat), tuple(flat), has_aux=True)[2]
        out = partial(*flat)
        if has_aux:
            out = out[0]
        flat_out, out_tree = tree.flatten(out)

        def block(j: int, k: int) -> Any:
            o = get_aval(as_operand(flat_out[j]))
            t = tree.leaves(cols[k])[j]  # (n_in, *out_shape)
            moved = lax.transpose(t, (*range(1, t.ndim), 0))
            return lax.reshape(moved, (*o.shape, *get_aval(flat[k]).shape))

        result = _assemble(out_tree, in_tree, block, len(flat_out), len(flat), argnums)
        return (result, aux) if has_aux else result

    return jac


def jacrev(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
           has_aux: bool = False) -> Callable[..., Any]:
    """The Jacobian by reverse mode: ``vmap`` of the pullback over a basis (as ``jax.jacrev``).

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.jacrev(lambda x: fnp.sin(x))(fnp.zeros(2))
        Array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    from .. import lax
    from .vmap import vmap

    @functools.wraps(fun)
    def jac(*args: Any) -> Any:
        nums = _argnums_tuple(fun, argnums, len(args))
        dyn = tuple(args[i] for i in nums)

        def partial(*d: Any) -> Any:
            full = list(args)
            for i, v in zip(nums, d):
                full[i] = v
            return fun(*full)

        res = vjp(partial, *dyn, has_aux=has_aux)
        out, pullback = res[0], res[1]
        flat_out, out_tree = tree.flatten(out)
        flat_out = _operands(flat_out, "an output")
        in_flat, in_tree = tree.flatten(dyn)
        rows = []
        for j, o in enumerate(flat_out):
            basis = _std_basis(o)

            def pull(c: Any, j: int = j) -> Any:
                cts = [c if i == j else lax.full(get_aval(x).shape, 0, get_aval(x).dtype)
                       for i, x in enumerate(flat_out)]
                return tree.leaves(pullback(tree.unflatten(out_tree, cts)))

            rows.append(vmap(pull)(basis))

        def block(j: int, k: int) -> Any:
            g = rows[j][k]  # (n_out, *in_shape)
            o = get_aval(flat_out[j])
            return lax.reshape(g, (*o.shape, *get_aval(as_operand(in_flat[k])).shape))

        result = _assemble(out_tree, in_tree, block, len(flat_out), len(in_flat), argnums)
        return (result, res[2]) if has_aux else result

    return jac


def _assemble(out_tree: Any, in_tree: Any, block: Callable, n_out: int, n_in: int,
              argnums: Any) -> Any:
    """Jacobian blocks as JAX lays them out: the output tree of input trees."""
    per_out = []
    for j in range(n_out):
        ins = tree.unflatten(in_tree, [block(j, k) for k in range(n_in)])
        per_out.append(ins[0] if isinstance(argnums, int) else ins)
    return tree.unflatten(out_tree, per_out)


def hessian(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
            has_aux: bool = False) -> Callable[..., Any]:
    """The Hessian, ``jacfwd(jacrev(fun))`` (as ``jax.hessian``).

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.hessian(lambda x: fnp.sum(x ** 3))(fnp.array([1.0, 2.0]))
        Array([[ 6.,  0.],
               [ 0., 12.]], dtype=float32)
    """
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux), argnums, has_aux=has_aux)
