"""Testing helpers for users' own functions and rules: ``check_grads`` (as ``jax.test_util``).

``check_grads`` compares automatic derivatives with central finite differences: forward
mode directly (``J t`` against ``(f(x + eps t) - f(x - eps t)) / 2 eps``), reverse mode by
the inner-product test (``<c, J t>`` against ``<J^T c, t>``), one input leaf at a time so a
failure names the argument, and recursively to the requested order. Comparisons run on host
copies in float64.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import tree
from .core import dtypes
from .core.convert import array_from_host, as_operand
from .core.tracing import get_aval, to_host

__all__ = ["check_grads", "default_gradient_tolerance"]

#: Default ``atol`` and ``rtol`` of :func:`check_grads`, by the dtype compared (JAX's values).
default_gradient_tolerance = {
    np.dtype(np.float16): 1e-2, np.dtype(np.float32): 2e-3, np.dtype(np.float64): 1e-5,
    np.dtype(np.complex64): 1e-3, np.dtype(np.complex128): 1e-5,
}
EPS = 1e-4


def check_grads(f: Callable[..., Any], args: Sequence[Any], order: int,
                modes: Sequence[str] = ("fwd", "rev"), atol: float | None = None,
                rtol: float | None = None, eps: float | None = None) -> None:
    """Check ``f``'s derivatives against numerical differences, up to ``order``.

    In ``"fwd"`` mode each input leaf gets a random tangent and ``fd.jvp`` is compared with
    central differences; in ``"rev"`` mode ``fd.vjp`` is checked with the inner-product
    test ``<c, J t> = <J^T c, t>`` for a random output cotangent ``c``. For ``order > 1``
    the same checks run on the JVP and on the VJP as functions of the inputs, recursively.
    Integer and boolean inputs and outputs are skipped.

    Use float64 (``fd.config.update("enable_x64", True)``) for tight tolerances: central
    differences in float32 are only accurate to about ``1e-3``.

    Args:
        f: the function, of pytrees of arrays.
        args: the point (a tuple of ``f``'s positional arguments).
        order: the highest order of derivative to check (1, 2, …).
        modes: ``"fwd"``, ``"rev"`` or both.
        atol: absolute tolerance (default: by dtype, ``2e-3`` for float32, ``1e-5`` for
            float64).
        rtol: relative tolerance (same defaults).
        eps: the finite-difference step (default ``1e-4``).

    Raises:
        AssertionError: naming the mode and order (``"VJP of JVP"``…), the argument, the
            output and the error, when a derivative disagrees.
        ValueError: for an unknown mode or an order below 1.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff.testing import check_grads
        >>> with fd.config.override(enable_x64=True):
        ...     check_grads(fnp.sin, (fnp.array([0.5, 1.0]),), order=2)
        >>> check_grads(lambda x: x * 3.0, (fnp.ones(2),), order=1, modes=("rev",))
    """
    if isinstance(modes, str):
        modes = (modes,)
    bad = [m for m in modes if m not in ("fwd", "rev")]
    if bad or not modes:
        raise ValueError(f"check_grads modes must be 'fwd' and/or 'rev', got {tuple(modes)}")
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads order must be an integer >= 1, got {order!r}")
    if not isinstance(args, (tuple, list)):
        raise TypeError(
            f"check_grads takes the arguments as a tuple, e.g. check_grads(f, (x,), 1), got "
            f"{type(args).__name__}"
        )
    opts = _Options(atol, rtol, EPS if eps is None else eps, np.random.default_rng(0))
    _check(f, tuple(args), _arg_names(f, len(args)), order, tuple(modes), opts, "")


class _Options:
    def __init__(self, atol: float | None, rtol: float | None, eps: float,
                 rng: np.random.Generator) -> None:
        self.atol, self.rtol, self.eps, self.rng = atol, rtol, eps, rng

    def tols(self, *dts: np.dtype) -> tuple[float, float]:
        default = max(default_gradient_tolerance.get(np.dtype(d), 1e-5) for d in dts)
        return (default if self.atol is None else self.atol,
                default if self.rtol is None else self.rtol)


def _check(f: Callable, args: tuple, names: list[str], order: int, modes: tuple,
           opts: _Options, outer: str) -> None:
    from .transforms.ad_api import jvp, vjp

    if "fwd" in modes:
        label = f"JVP of {outer}" if outer else "JVP"
        _check_jvp(f, args, names, label, opts)
        if order > 1:
            tangents = _random_like(args, opts.rng)
            _check(lambda p, t: jvp(f, p, t), (args, tangents), ["0 (primals)", "1 (tangents)"],
                   order - 1, modes, opts, label)
    if "rev" in modes:
        label = f"VJP of {outer}" if outer else "VJP"
        _check_vjp(f, args, names, label, opts)
        if order > 1:
            out = f(*args)
            ct = _random_like(out, opts.rng)
            _check(lambda *xs: vjp(f, *xs)[1](ct), args, names, order - 1, modes, opts,
                   label)


# ---------------------------------------------------------------------------------------
# One level


def _check_jvp(f: Callable, args: tuple, names: list[str], label: str, opts: _Options) -> None:
    from .transforms.ad_api import jvp

    leaves, in_tree, leaf_names = _leaves(args, names)
    for k, x in enumerate(leaves):
        if not _is_float(x):
            continue
        t = _random_leaf(x, opts.rng)
        tangents = tree.unflatten(in_tree, [t if j == k else _zeros_leaf(v)
                                            for j, v in enumerate(leaves)])
        _, t_out = jvp(f, args, tangents)
        numeric = _numerical_jvp(f, leaves, in_tree, k, t, opts.eps)
        auto, out_tree = tree.flatten(t_out)
        for j, (a, n) in enumerate(zip(auto, numeric, strict=True)):
            if n is None:
                continue
            _assert_close(_host(a), n, opts, label, leaf_names[k],
                          _out_name(out_tree, j), get_aval(x).dtype)


def _check_vjp(f: Callable, args: tuple, names: list[str], label: str, opts: _Options) -> None:
    from .transforms.ad_api import vjp

    leaves, in_tree, leaf_names = _leaves(args, names)
    out, pullback = vjp(f, *args)
    ct = _random_like(out, opts.rng)
    ct_in = tree.leaves(pullback(ct))
    ct_flat = [_host(c) for c in tree.leaves(ct)]
    for k, x in enumerate(leaves):
        if not _is_float(x):
            continue
        t = _random_leaf(x, opts.rng)
        numeric = _numerical_jvp(f, leaves, in_tree, k, t, opts.eps)
        expected = sum(float(np.vdot(c, n)) for c, n in zip(ct_flat, numeric, strict=True)
                       if n is not None)
        got = float(np.vdot(_host(ct_in[k]), _host(t)))
        _assert_close(np.float64(got), np.float64(expected), opts, label, leaf_names[k],
                      "the inner product <ct, J t>", get_aval(x).dtype)


def _numerical_jvp(f: Callable, leaves: list, in_tree: Any, k: int, t: Any,
                   eps: float) -> list:
    """Central differences of every output leaf along ``t`` in leaf ``k`` (host float64)."""
    x = _host(leaves[k])
    step = eps * _host(t)

    def at(sign: float) -> list:
        moved = array_from_host((x + sign * step).astype(x.dtype), x.dtype)
        xs = [moved if j == k else v for j, v in enumerate(leaves)]
        return [as_operand(o) for o in tree.leaves(f(*tree.unflatten(in_tree, xs)))]

    plus, minus = at(1.0), at(-1.0)
    return [(_host(p).astype(np.float64) - _host(m).astype(np.float64)) / (2 * eps)
            if _is_float(p) else None for p, m in zip(plus, minus, strict=True)]


def _assert_close(got: np.ndarray, want: np.ndarray, opts: _Options, label: str, arg: str,
                  out: str, in_dtype: np.dtype) -> None:
    got64 = np.asarray(got, dtype=np.float64)
    want64 = np.asarray(want, dtype=np.float64)
    if got64.shape != want64.shape:
        raise AssertionError(
            f"check_grads: {label} gives {out} of shape {got64.shape} for argument {arg}, "
            f"but numerical differences have shape {want64.shape}"
        )
    atol, rtol = opts.tols(in_dtype, np.asarray(got).dtype)
    err = np.abs(got64 - want64)
    bad = ~(err <= atol + rtol * np.abs(want64))
    if not bad.any():
        return
    worst = np.unravel_index(np.argmax(np.where(bad, err, -1.0)), err.shape) if err.ndim \
        else ()
    raise AssertionError(
        f"check_grads: {label} does not match numerical differences for argument {arg}, "
        f"{out}: max abs error {float(err.max()):.3g} at index {tuple(int(i) for i in worst)} "
        f"(autodiff {float(got64[worst]):.6g}, numerical {float(want64[worst]):.6g}; "
        f"atol={atol:g}, rtol={rtol:g}, eps={opts.eps:g}); {int(bad.sum())} of "
        f"{bad.size} entries differ"
    )


# ---------------------------------------------------------------------------------------
# Leaves, names and random directions


def _arg_names(f: Callable, n: int) -> list[str]:
    try:
        params = [p for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [f"{i} ({params[i].name})" if i < len(params) else str(i) for i in range(n)]


def _leaves(args: tuple, names: list[str]) -> tuple[list, Any, list[str]]:
    with_path, in_tree = tree.flatten_with_path(args)
    leaves = [as_operand(v, what="an argument of check_grads' function") for _, v in with_path]
    labels = []
    for path, _ in with_path:
        head, rest = path[0], path[1:]
        idx = getattr(head, "idx", 0)
        labels.append(names[idx] + tree.keystr(rest))
    return leaves, in_tree, labels


def _out_name(out_tree: Any, j: int) -> str:
    skeleton = out_tree.unflatten(list(range(out_tree.num_leaves)))
    paths = [p for p, _ in tree.flatten_with_path(skeleton)[0]]
    return "output" + tree.keystr(paths[j])


def _is_float(x: Any) -> bool:
    return dtypes.is_inexact(get_aval(as_operand(x)).dtype)


def _host(x: Any) -> np.ndarray:
    return np.asarray(to_host(as_operand(x)))


def _random_leaf(x: Any, rng: np.random.Generator) -> Any:
    aval = get_aval(as_operand(x))
    if not dtypes.is_inexact(aval.dtype):
        return _zeros_leaf(x)
    return array_from_host(rng.standard_normal(aval.shape).astype(aval.dtype), aval.dtype)


def _zeros_leaf(x: Any) -> Any:
    aval = get_aval(as_operand(x))
    return array_from_host(np.zeros(aval.shape, aval.dtype), aval.dtype)


def _random_like(x: Any, rng: np.random.Generator) -> Any:
    return tree.map(lambda v: _random_leaf(v, rng), x)
