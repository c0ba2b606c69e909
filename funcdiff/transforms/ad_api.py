"""The public differentiation API: ``grad``, ``value_and_grad``, ``jvp``, ``vjp``,
``linearize``, ``jacfwd``, ``jacrev``, ``hessian`` — named and called as in JAX."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from .. import backend as _backend
from .. import tree
from ..core import dtypes
from ..core.builder import JaxprBuilder
from ..core.convert import as_operand
from ..core.tracing import current_interpreter, eval_jaxpr, get_aval, use_interpreter
from .ad import jvp_flat, vjp_flat
from .ad_rules import Zero, instantiate


def _argnums_tuple(fun: Callable, argnums: int | Sequence[int], nargs: int) -> tuple[int, ...]:
    if argnums.__class__ is int and 0 <= argnums < nargs:
        return (argnums,)  # the common case (grad's default argnums=0)
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


def _check_like(what: str, given: Any, ref: Any, role: str) -> Any:
    """``given`` (a tangent or cotangent) checked against its primal ``ref``'s type.

    Shapes must match; a weakly typed value (a Python scalar) takes the primal's dtype, a
    strongly typed float of another precision is an error (as in JAX).
    """
    g, r = get_aval(given), get_aval(ref)
    if g.shape != r.shape:
        raise ValueError(
            f"{what} got a {role} of type {g.str_short()} for {_primal_role(role)} of type "
            f"{r.str_short()}; shapes must match"
        )
    if g.dtype == r.dtype or not dtypes.is_inexact(r.dtype):
        return given
    if g.weak_type or not dtypes.is_inexact(g.dtype):
        from .. import lax

        return lax.convert_element_type(given, r.dtype)
    raise TypeError(
        f"{what} got a {role} of dtype {g.dtype} for {_primal_role(role)} of dtype {r.dtype}; "
        f"give it the same dtype (x.astype({r.dtype.name!r}))"
    )


def _primal_role(role: str) -> str:
    return "an output" if role == "cotangent" else "a primal"


def vjp(fun: Callable[..., Any], *primals: Any, has_aux: bool = False):
    """Reverse mode: ``fun``'s output and a function pulling cotangents back to the inputs.

    Args:
        fun: a function of pytrees of arrays.
        *primals: the point to differentiate at.
        has_aux: ``fun`` returns ``(out, aux)``; ``aux`` is returned as is.

    Returns:
        ``(out, vjp_fn)`` or ``(out, vjp_fn, aux)``; ``vjp_fn(ct)`` takes a cotangent shaped
        like ``out`` and returns a tuple with one cotangent per primal. ``vjp_fn`` may be
        called many times (the forward pass is not repeated).

    Raises:
        TypeError: from ``vjp_fn`` if the cotangent's structure or dtypes do not match the
            output's; ``ValueError`` if its shapes do not.

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
                f"vjp's pullback got a cotangent of structure {ct_tree}, but the function's "
                f"output has structure {out_tree}; pass one cotangent per output leaf"
            )
        flat_ct = _operands(flat_ct, "a cotangent")
        cts = [None if _is_int(o) else _check_like("vjp's pullback", c, o, "cotangent")
               for c, o in zip(flat_ct, flat_out, strict=True)]
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
        flat, in_tree = tree.flatten(tuple(args[i] for i in nums))
        leaves = []
        for k, leaf in enumerate(flat):
            try:
                leaf = as_operand(leaf)
            except TypeError:
                raise TypeError(_bad_leaf(fun, nums, in_tree, k, leaf)) from None
            if not allow_int and not dtypes.is_inexact(leaf.aval.dtype):
                raise TypeError(
                    f"grad requires real- or complex-valued inputs, but "
                    f"{_leaf_label(fun, nums, in_tree, k)} of {_name(fun)} has dtype "
                    f"{leaf.aval.dtype}. Differentiate with respect to a float argument "
                    "(x.astype('float32')), or pass allow_int=True."
                )
            leaves.append(leaf)

        def partial(*xs: Any) -> Any:
            full = list(args)
            for i, v in zip(nums, tree.unflatten(in_tree, list(xs)), strict=True):
                full[i] = v
            return fun(*full, **kwargs)

        out, backward, aux = vjp_flat(partial, leaves, has_aux)
        aval = _scalar_output_aval(fun, out)
        g = tree.unflatten(in_tree, backward([_one(aval.dtype)]))
        g = g[0] if isinstance(argnums, int) else g
        return ((out, aux) if has_aux else out), g

    return vg


_ones: dict[tuple, Any] = {}


def _one(dtype: Any) -> Any:
    """The scalar 1 of ``dtype``, grad's output cotangent: made once per dtype and backend
    (arrays are immutable, so every gradient may share it)."""
    key = (dtype, _backend.get_backend())
    one = _ones.get(key)
    if one is None:
        from .. import lax

        one = _ones[key] = lax.full((), 1, dtype)
    return one


def _scalar_output_aval(fun: Callable, out: Any) -> Any:
    """The aval of ``grad``'s output, which must be a real scalar array."""
    if isinstance(out, (tuple, list, dict)) or out is None:
        raise TypeError(
            f"grad requires a scalar output, got a {type(out).__name__} from {_name(fun)}: "
            "return one scalar (pass has_aux=True to return (loss, aux)), or use fd.jacrev "
            "for the Jacobian of several outputs"
        )
    aval = get_aval(as_operand(out, what=f"the output of {_name(fun)}"))
    if aval.shape != ():
        raise TypeError(
            f"grad requires a scalar output, got {aval.str_short()} from {_name(fun)}: reduce "
            "it (`loss.sum()` or `loss.mean()`) or use fd.jacrev for the Jacobian"
        )
    if not dtypes.is_inexact(aval.dtype):
        raise TypeError(
            f"grad requires a real-valued output, got {aval.str_short()} from {_name(fun)}: "
            "integer and boolean results have no gradient"
        )
    return aval


def _leaf_label(fun: Callable, nums: tuple[int, ...], in_tree: Any, k: int) -> str:
    skeleton = in_tree.unflatten(list(range(in_tree.num_leaves)))
    path = [p for p, _ in tree.flatten_with_path(skeleton)[0]][k]
    return _arg_label(fun, nums[path[0].idx]) + tree.keystr(path[1:])


def _bad_leaf(fun: Callable, nums: tuple[int, ...], in_tree: Any, k: int, leaf: Any) -> str:
    return (
        f"grad got {type(leaf).__name__} {leaf!r:.60} as {_leaf_label(fun, nums, in_tree, k)} "
        f"of {_name(fun)}, which is not an array or a number. Differentiated arguments must "
        "be pytrees of arrays: choose others with argnums, or close over non-array values"
    )


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


def _flat_tangents(what: str, primals: Any, tangents: Any) -> tuple[list, list, Any]:
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"{what} takes primals and tangents as tuples, e.g. {what}(f, (x,), (t,)), got "
            f"{type(primals).__name__} and {type(tangents).__name__}"
        )
    flat_p, p_tree = tree.flatten(tuple(primals))
    flat_t, t_tree = tree.flatten(tuple(tangents))
    if p_tree != t_tree:
        raise TypeError(
            f"{what}: the tangents' structure {t_tree} does not match the primals' {p_tree}"
        )
    flat_p = _operands(flat_p, f"a primal of {what}")
    flat_t = [_check_like(what, t, p, "tangent")
              for t, p in zip(_operands(flat_t, f"a tangent of {what}"), flat_p, strict=True)]
    flat_t = [Zero(get_aval(p)) if _is_int(p) else t for p, t in zip(flat_p, flat_t)]
    return flat_p, flat_t, p_tree


def jvp(fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False):
    """Forward mode: ``(fun(*primals), J @ tangents)`` (as ``jax.jvp``).

    Args:
        fun: a function of pytrees of arrays.
        primals: a tuple with one entry per argument of ``fun``.
        tangents: a tuple of the same structure, shapes and dtypes.
        has_aux: ``fun`` returns ``(out, aux)``; then the result is ``(out, t_out, aux)``.

    Returns:
        ``(out, t_out)``: the output and its tangent (same structure).

    Raises:
        TypeError: if primals and tangents are not tuples or differ in structure or dtype.
        ValueError: if a tangent's shape differs from its primal's.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.jvp(fnp.sin, (0.0,), (2.0,))
        (Array(0., dtype=float32, weak_type=True), Array(2., dtype=float32, weak_type=True))
    """
    flat_p, flat_t, p_tree = _flat_tangents("jvp", primals, tangents)
    holder: dict = {}
    p_out, t_out = jvp_flat(_flat_output_fun(fun, p_tree, has_aux, holder, "jvp"), flat_p,
                            flat_t)
    out_tree = holder["tree"]
    result = (tree.unflatten(out_tree, p_out),
              tree.unflatten(out_tree, [instantiate(t) for t in t_out]))
    if has_aux:
        return (*result, _lower_jvp_aux(holder["aux"]))
    return result


def _flat_output_fun(fun: Callable, p_tree: Any, has_aux: bool, holder: dict,
                     what: str) -> Callable[..., list]:
    """``fun`` on flat leaves returning flat outputs; the tree (and aux) go to ``holder``."""

    def flat_fun(*xs: Any) -> list:
        out = fun(*tree.unflatten(p_tree, list(xs)))
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(
                    f"with has_aux=True the function must return a pair (output, aux), got "
                    f"{type(out).__name__}"
                )
            out, holder["aux"] = out
        leaves, holder["tree"] = tree.flatten(out)
        return _operands(leaves, f"an output of {what}'s function")

    return flat_fun


def _lower_jvp_aux(aux: Any) -> Any:
    from .ad import JVPTracer

    return tree.map(lambda x: x.primal if isinstance(x, JVPTracer) else x, aux)


def linearize(fun: Callable[..., Any], *primals: Any, has_aux: bool = False):
    """``fun``'s output and its linear map ``tangents -> J @ tangents``, traced once.

    Python control flow in ``fun`` follows the primal values; the returned function replays
    only the recorded tangent operations.

    Args:
        fun: a function of pytrees of arrays.
        *primals: the point to linearize at.
        has_aux: ``fun`` returns ``(out, aux)``; then the result is ``(out, f_jvp, aux)``.

    Returns:
        ``(out, f_jvp)`` where ``f_jvp(*tangents)`` equals ``jvp(fun, primals, tangents)[1]``.

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
    ts = [Zero(get_aval(p)) if _is_int(p) else lin.new_arg(get_aval(p)) for p in flat_p]
    holder: dict = {}
    with use_interpreter(lin):
        p_out, t_out = jvp_flat(_flat_output_fun(fun, p_tree, has_aux, holder, "linearize"),
                                flat_p, ts)
    jaxpr = lin.build([instantiate(t) for t in t_out])
    out_tree = holder["tree"]

    def f_jvp(*tangents: Any) -> Any:
        flat_t, t_tree = tree.flatten(tangents)
        if t_tree != p_tree:
            raise TypeError(
                f"linearize's function got tangents of structure {t_tree}, but the primals "
                f"have structure {p_tree}"
            )
        flat_t = [_check_like("linearize's function", t, p, "tangent")
                  for t, p in zip(_operands(flat_t, "a tangent"), flat_p, strict=True)]
        live = [t for t, p in zip(flat_t, flat_p, strict=True) if not _is_int(p)]
        outs = eval_jaxpr(jaxpr, jaxpr.consts, *live)
        return tree.unflatten(out_tree, outs)

    out = tree.unflatten(out_tree, p_out)
    if has_aux:
        return out, f_jvp, _lower_jvp_aux(holder["aux"])
    return out, f_jvp


def _basis(avals: Sequence[Any]) -> list:
    """Rows of the identity over all leaves at once: leaf ``k`` gets ``(n, *shape_k)``.

    Row ``r`` is one unit vector of the concatenated leaves, so a single ``vmap`` pushes (or
    pulls) every direction of every leaf.
    """
    from .. import lax

    n = sum(a.size for a in avals)
    out, off = [], 0
    for a in avals:
        rows = lax.broadcasted_iota("int32", (n, a.size), 0)
        cols = lax.broadcasted_iota("int32", (n, a.size), 1)
        eye = lax.convert_element_type(lax.eq(rows, lax.add(cols, off)), a.dtype)
        out.append(lax.reshape(eye, (n, *a.shape)))
        off += a.size
    return out


def _rows(x: Any, start: int, size: int) -> Any:
    from .. import lax

    if start == 0 and size == x.shape[0]:
        return x
    return lax.slice_in_dim(x, start, start + size, axis=0)


def _offsets(avals: Sequence[Any]) -> list[int]:
    offs, off = [], 0
    for a in avals:
        offs.append(off)
        off += a.size
    return offs


def _check_real(what: str, where: str, avals: Sequence[Any], labels: Sequence[str]) -> None:
    for a, label in zip(avals, labels, strict=True):
        if not dtypes.is_inexact(a.dtype):
            raise TypeError(
                f"{what} requires real-valued {where}, but {label} has dtype {a.dtype}. "
                f"Convert it to a float dtype (x.astype('float32')) first, or use fd.jvp / "
                "fd.vjp directly"
            )


def _dyn_leaves(fun: Callable, args: tuple, nums: tuple[int, ...]) -> tuple[list, Any, list]:
    """The differentiated arguments' leaves (as operands), their tree and their names."""
    dyn = tuple(args[i] for i in nums)
    with_path, in_tree = tree.flatten_with_path(dyn)
    flat, labels = [], []
    for path, leaf in with_path:
        i = nums[path[0].idx]
        flat.append(as_operand(leaf, what=_arg_label(fun, i)))
        labels.append(_arg_label(fun, i) + tree.keystr(path[1:]))
    return flat, in_tree, labels


def _substitute(fun: Callable, args: tuple, nums: tuple[int, ...], in_tree: Any,
                kwargs: dict) -> Callable[..., Any]:
    """``fun`` as a function of the differentiated leaves, other arguments fixed."""

    def partial(*leaves: Any) -> Any:
        full = list(args)
        for i, v in zip(nums, tree.unflatten(in_tree, list(leaves)), strict=True):
            full[i] = v
        return fun(*full, **kwargs)

    return partial


def jacfwd(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
           has_aux: bool = False) -> Callable[..., Any]:
    """The Jacobian by forward mode: ``vmap`` of ``jvp`` over a basis (as ``jax.jacfwd``).

    Args:
        fun: a function of pytrees of arrays.
        argnums: which positional argument(s) to differentiate with respect to.
        has_aux: ``fun`` returns ``(out, aux)``; then the result is ``(jacobian, aux)``.

    Returns:
        A function returning the Jacobian: for each output leaf, the input structure (one
        entry per argument when ``argnums`` is a tuple) of arrays shaped
        ``out.shape + in.shape``.

    Raises:
        TypeError: if a differentiated input has an integer or boolean dtype.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.jacfwd(lambda x: x ** 2)(fnp.array([1.0, 2.0]))
        Array([[2., 0.],
               [0., 4.]], dtype=float32)
    """
    from .vmap import vmap

    @functools.wraps(fun)
    def jac(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(fun, argnums, len(args))
        flat, in_tree, labels = _dyn_leaves(fun, args, nums)
        in_avals = [get_aval(x) for x in flat]
        _check_real("jacfwd", "inputs", in_avals, labels)
        partial = _substitute(fun, args, nums, in_tree, kwargs)

        def push(*ts: Any) -> Any:
            return jvp(partial, tuple(flat), ts, has_aux=has_aux)

        axes = (None, 0, None) if has_aux else (None, 0)
        res = vmap(push, out_axes=axes)(*_basis(in_avals))
        out, cols = res[0], res[1]
        flat_out, out_tree = tree.flatten(out)
        flat_cols = tree.leaves(cols)  # per output leaf: (n_in, *out_shape)
        offs = _offsets(in_avals)

        def block(j: int, k: int) -> Any:
            from .. import lax

            o, a = get_aval(flat_out[j]), in_avals[k]
            t = _rows(flat_cols[j], offs[k], a.size)
            moved = lax.transpose(t, (*range(1, t.ndim), 0))
            return lax.reshape(moved, (*o.shape, *a.shape))

        result = _assemble(out_tree, in_tree, block, len(flat_out), len(flat), argnums)
        return (result, res[2]) if has_aux else result

    return jac


def jacrev(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
           has_aux: bool = False) -> Callable[..., Any]:
    """The Jacobian by reverse mode: ``vmap`` of the pullback over a basis (as ``jax.jacrev``).

    Args:
        fun: a function of pytrees of arrays with real-valued outputs.
        argnums: which positional argument(s) to differentiate with respect to.
        has_aux: ``fun`` returns ``(out, aux)``; then the result is ``(jacobian, aux)``.

    Returns:
        A function returning the Jacobian, laid out as for :func:`jacfwd`.

    Raises:
        TypeError: if a differentiated input or an output has an integer or boolean dtype.

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
    def jac(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums_tuple(fun, argnums, len(args))
        flat, in_tree, labels = _dyn_leaves(fun, args, nums)
        in_avals = [get_aval(x) for x in flat]
        _check_real("jacrev", "inputs", in_avals, labels)
        res = vjp(_substitute(fun, args, nums, in_tree, kwargs), *flat, has_aux=has_aux)
        out, pullback = res[0], res[1]
        flat_out, out_tree = tree.flatten(out)
        out_avals = [get_aval(as_operand(o)) for o in flat_out]
        _check_real("jacrev", "outputs", out_avals,
                    [f"output {k}" for k in range(len(out_avals))])
        rows = vmap(lambda *cs: pullback(tree.unflatten(out_tree, list(cs))))(
            *_basis(out_avals))  # per input leaf: (n_out, *in_shape)
        offs = _offsets(out_avals)

        def block(j: int, k: int) -> Any:
            o, a = out_avals[j], in_avals[k]
            return lax.reshape(_rows(rows[k], offs[j], o.size), (*o.shape, *a.shape))

        result = _assemble(out_tree, in_tree, block, len(flat_out), len(flat), argnums)
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

    Args:
        fun: a function with a real scalar output.
        argnums: which positional argument(s) to differentiate with respect to.
        has_aux: ``fun`` returns ``(out, aux)``; then the result is ``(hessian, aux)``.

    Returns:
        A function returning the matrix of second derivatives, shaped
        ``in.shape + in.shape`` for one array argument.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.hessian(lambda x: fnp.sum(x ** 3))(fnp.array([1.0, 2.0]))
        Array([[ 6.,  0.],
               [ 0., 12.]], dtype=float32)
    """
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux), argnums, has_aux=has_aux)
