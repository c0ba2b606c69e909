"""``vmap``: vectorizing a function by batching each primitive it applies.

A batch tracer holds a value of the parent interpreter together with the axis carrying the
batch. Each primitive's batching rule (``batching_rules.batch_rules``) expresses the batched
operation as one primitive call; nothing loops over the batch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.primitive import Primitive, ShapeError
from ..core.source import at_user_line
from ..core.tracing import (
    ConcretizationTypeError,
    Interpreter,
    Tracer,
    current_interpreter,
    get_aval,
    use_interpreter,
)
from .batching_rules import batch_rules, bdim_to_front, moveaxis


class BatchTracer(Tracer):
    __slots__ = ("val", "bdim")

    def __init__(self, interp: BatchInterpreter, val: Any, bdim: int) -> None:
        aval = get_aval(val)
        super().__init__(interp, aval.update(shape=aval.shape[:bdim] + aval.shape[bdim + 1:]))
        self.val = val
        self.bdim = bdim


class BatchInterpreter(Interpreter):
    """Runs each primitive's batching rule on values that carry a batch axis."""

    def __init__(self, parent: Interpreter, size: int) -> None:
        self.parent = parent
        self.size = size

    def process(self, prim: Primitive, args: Sequence[Any], params: dict) -> list:
        vals, dims, batched = [], [], False
        for a in args:
            if isinstance(a, BatchTracer) and a._interp is self:
                vals.append(a.val)
                dims.append(a.bdim)
                batched = True
            else:
                vals.append(a)
                dims.append(None)
        if not batched:
            return self.parent.process(prim, vals, params)
        rule = batch_rules.get(prim)
        if rule is None:
            raise NotImplementedError(
                f"primitive {prim.name!r} has no batching rule, so vmap cannot vectorize it; "
                "register one in batching_rules.batch_rules beside the primitive"
            )
        try:
            with use_interpreter(self.parent):
                outs, out_dims = rule(vals, dims, **params)
        except ShapeError:
            per_example = _per_example_shape_error(prim, args, params)
            if per_example is None:
                raise
            raise per_example from None
        return [o if d is None else BatchTracer(self, o, d)
                for o, d in zip(outs, out_dims, strict=True)]

    def concrete_value(self, tracer: Tracer) -> Any:
        raise ConcretizationTypeError(
            f"a batched value {tracer.aval.str_short()} cannot choose a Python branch under "
            f"vmap{at_user_line()}: each example may go a different way. Use "
            "`fd.numpy.where(cond, a, b)` or `fd.lax.cond` instead of `if`."
        )


def _per_example_shape_error(prim: Primitive, args: Sequence[Any],
                             params: dict) -> ShapeError | None:
    # A rule sees batched shapes; the user wrote the function for one example, so a shape
    # error should name the shapes of one example, as the unbatched function would.
    try:
        prim.abstract_eval(*(get_aval(a) for a in args), **params)
    except ShapeError as e:
        return e
    except Exception:  # no clearer message to give: keep the rule's own
        return None
    return None


class _AxesMismatch(ValueError):
    pass


def _flat_axes(axes: Any, tree_def: Any, what: str, whose: str) -> list:
    """Broadcast ``axes`` (an int, ``None`` or a prefix of the tree) to one entry per leaf."""
    try:
        return _broadcast_prefix(axes, tree_def)
    except _AxesMismatch as e:
        raise ValueError(f"vmap {what}={axes!r}: {e}") from None
    except (ValueError, TypeError) as e:
        raise ValueError(
            f"vmap {what}={axes!r} does not match the structure of {whose} {tree_def}: {e}. "
            "Give an int or None for the whole of it, or a tree of ints/None matching it."
        ) from None


def _is_axis(p: Any) -> bool:
    return p is None or (isinstance(p, (int, np.integer)) and not isinstance(p, bool))


def _broadcast_prefix(prefix: Any, tree_def: Any) -> list:
    from .. import tree

    full = tree.unflatten(tree_def, list(range(tree_def.num_leaves)))
    out: list = [None] * tree_def.num_leaves

    def fill(p: Any, sub: Any) -> None:
        if _is_axis(p):
            for i in tree.leaves(sub):
                out[i] = None if p is None else int(p)
            return
        pl, pdef = tree.flatten(p, is_leaf=lambda x: x is None)
        if pdef.num_nodes == 1:  # a leaf that is not an axis: a string, a float…
            raise _AxesMismatch(
                f"axes must be ints or None, got {p!r} ({type(p).__name__})")
        subs = pdef.flatten_up_to(sub)
        for a, s in zip(pl, subs, strict=True):
            fill(a, s)

    fill(prefix, full)
    return out


def _per_arg_axes(in_axes: Any, nargs: int) -> tuple:
    if _is_axis(in_axes):
        return (in_axes,) * nargs
    if not isinstance(in_axes, tuple):
        from .. import tree

        container = tree.structure(in_axes).num_nodes > 1
        hint = (f"; for a function of one argument write in_axes=({in_axes!r},)" if container
                else "")
        raise ValueError(
            f"vmap in_axes must be an int, None, or a tuple with one entry per positional "
            f"argument, got {in_axes!r} ({type(in_axes).__name__}){hint}"
        )
    if len(in_axes) != nargs:
        raise ValueError(
            f"vmap in_axes has {len(in_axes)} entries but the function got {nargs} "
            "positional arguments; give one entry per argument (None for unmapped ones)"
        )
    return in_axes


def vmap(fun: Callable[..., Any], in_axes: Any = 0, out_axes: Any = 0,
         axis_size: int | None = None) -> Callable[..., Any]:
    """Vectorize ``fun`` over an axis of its arguments (as ``jax.vmap``).

    Args:
        fun: the function to vectorize; arguments and results are pytrees of arrays.
        in_axes: an int, ``None`` (not mapped) or a pytree prefix of the positional
            arguments giving the mapped axis of each leaf; negative axes count from the end.
        out_axes: where the batch axis goes in each output (int, ``None`` or a prefix tree).
        axis_size: the batch size, needed when no argument is mapped.

    Returns:
        The batched function.

    Raises:
        ValueError: if ``in_axes`` does not match the arguments, an axis is out of range,
            or the mapped axes have different sizes.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> fd.vmap(lambda a, b: fnp.dot(a, b))(fnp.ones((5, 3)), fnp.ones((5, 3))).shape
        (5,)
        >>> fd.vmap(lambda a, b: a + b, in_axes=(0, None))(fnp.ones((5, 3)), fnp.ones(3)).shape
        (5, 3)
        >>> per_example = fd.vmap(fd.grad(lambda w, x: fnp.sum(w * x)), in_axes=(None, 0))
        >>> per_example(fnp.ones(3), fnp.arange(6.0).reshape(2, 3))
        Array([[0., 1., 2.],
               [3., 4., 5.]], dtype=float32)
    """
    from .. import tree
    from ..core.convert import as_operand

    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if axis_size is not None and (not _is_axis(axis_size) or axis_size < 0):
        raise ValueError(f"vmap axis_size must be a non-negative int, got {axis_size!r}")

    @functools.wraps(fun)
    def batched(*args: Any, **kwargs: Any) -> Any:
        axes = _per_arg_axes(in_axes, len(args))
        flat_axes = []
        for i, (a, ax) in enumerate(zip(args, axes)):
            what = "in_axes" if _is_axis(in_axes) else f"in_axes[{i}]"
            flat_axes += _flat_axes(ax, tree.structure(a), what, f"argument {i}")
        flat_axes += [0] * len(tree.leaves(kwargs))  # keyword arguments map axis 0
        flat, in_tree = tree.flatten((args, kwargs))
        flat = [as_operand(x, what="a vmapped argument") if a is not None else x
                for x, a in zip(flat, flat_axes, strict=True)]
        paths = [_arg_name(p) for p, _ in tree.flatten_with_path((args, kwargs))[0]]
        size, norm = _batch_size(flat, flat_axes, paths, axis_size)
        interp = BatchInterpreter(current_interpreter(), size)
        ins = [x if a is None else BatchTracer(interp, x, a) for x, a in zip(flat, norm)]
        b_args, b_kwargs = tree.unflatten(in_tree, ins)
        with use_interpreter(interp):
            out = fun(*b_args, **b_kwargs)
        flat_out, out_tree = tree.flatten(out)
        o_axes = _flat_axes(out_axes, out_tree, "out_axes", "the outputs")
        o_paths = ["output" + tree.keystr(p) for p, _ in tree.flatten_with_path(out)[0]]
        return tree.unflatten(out_tree, [
            _finish(o, interp, a, size, p)
            for o, a, p in zip(flat_out, o_axes, o_paths, strict=True)])

    return batched


def _arg_name(path: tuple) -> str:
    from .. import tree

    return ("args" if path[0].idx == 0 else "kwargs") + tree.keystr(path[1:])


def _batch_size(flat: list, axes: list, paths: list, axis_size: int | None):
    sizes: dict[int, list[str]] = {}
    norm = []
    for x, a, p in zip(flat, axes, paths, strict=True):
        if a is None:
            norm.append(None)
            continue
        aval = get_aval(x)
        nd = aval.ndim
        if not -nd <= a < nd:
            hint = "; a scalar cannot be mapped: use in_axes=None for it" if nd == 0 else ""
            raise ValueError(
                f"vmap in_axes={a} is out of range for argument {p} of rank {nd} "
                f"(shape {aval.shape}){hint}"
            )
        a %= nd
        norm.append(a)
        sizes.setdefault(aval.shape[a], []).append(f"{p} (axis {a})")
    if not sizes:
        if axis_size is None:
            raise ValueError(
                "vmap needs at least one mapped argument (an in_axes entry that is not None) "
                "or an explicit axis_size"
            )
        return axis_size, norm
    if len(sizes) > 1 or (axis_size is not None and axis_size not in sizes):
        found = "; ".join(f"size {s}: {', '.join(w)}" for s, w in sizes.items())
        given = f"axis_size={axis_size} was given, but " if axis_size is not None else ""
        raise ValueError(
            f"vmap got inconsistent sizes for the mapped axes: {given}{found}. Every mapped "
            "axis must have the same size."
        )
    return next(iter(sizes)), norm


def _finish(o: Any, interp: BatchInterpreter, axis: int | None, size: int, path: str) -> Any:
    from ..core.convert import as_operand

    if isinstance(o, BatchTracer) and o._interp is interp:
        if axis is None:
            raise ValueError(
                f"vmap out_axes=None was given for {path}, which varies along the batch; "
                "return a value that does not depend on the mapped inputs, or use out_axes=0"
            )
        return moveaxis(o.val, o.bdim, _out_axis(axis, o.val.ndim, path))
    if axis is None:
        return o
    o = as_operand(o, what="a vmapped function's output")
    x = bdim_to_front(o, None, size)
    return moveaxis(x, 0, _out_axis(axis, x.ndim, path))


def _out_axis(axis: int, ndim: int, path: str) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"vmap out_axes={axis} is out of range for {path}, which has rank {ndim} with the "
            "batch axis"
        )
    return axis % ndim
