"""How each equation is written as source: the emitters of :mod:`.codegen`, the writer
that collects the generated function's globals, and the helpers the generated code calls.

An emitter returns an :class:`Emit` (the expression, and what kind of buffer it makes) for
the primitives written inline as backend calls, or ``None``: then the code calls the
primitive's implementation. The memory plan and the function around the lines are
:mod:`.codegen`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import dtypes
from ..core.ir import Eqn, Literal, Var
from .passes._util import literal_scalar

_UNARY = {
    "neg": "negative", "sign": "sign", "floor": "floor", "ceil": "ceil",
    "is_finite": "isfinite", "abs": "absolute", "exp": "exp", "log": "log", "log1p": "log1p",
    "expm1": "expm1", "sqrt": "sqrt", "cbrt": "cbrt", "sin": "sin", "cos": "cos", "tan": "tan",
    "asin": "arcsin", "acos": "arccos", "atan": "arctan", "sinh": "sinh", "cosh": "cosh",
    "tanh": "tanh", "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh",
    "not": "invert",
}
_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "rem": "fmod", "pow": "power",
    "max": "maximum", "min": "minimum", "atan2": "arctan2", "eq": "equal", "ne": "not_equal",
    "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor", "shift_left": "left_shift",
    "shift_right_arithmetic": "right_shift",
}
_REDUCE = {"reduce_sum": "sum", "reduce_max": "amax", "reduce_min": "amin",
           "reduce_prod": "prod", "reduce_and": "all", "reduce_or": "any"}
_REDUCE_UFUNC = {"sum": "add", "amax": "maximum", "amin": "minimum", "prod": "multiply"}

# The signed integer type of each float size: a float's bits, for masking (see _where0).
_INT_OF_SIZE = {2: np.dtype(np.int16), 4: np.dtype(np.int32), 8: np.dtype(np.int64)}


@dataclass
class Emit:
    """How one equation is written: ``expr`` (``{out}`` marks where ``, out=buf`` may go)."""

    expr: str
    kind: str  # "fresh" (a new buffer), "view" (of the first operand) or "opaque"
    out_ok: bool = False
    elementwise: bool = False


class _Writer:
    """Collects globals (backend functions, literals, params) and source lines."""

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self.globals: dict[str, Any] = {"_xp": xp}
        self.lines: list[str] = []
        self._ids: dict[tuple, str] = {}

    def fn(self, name: str) -> str:
        g = f"_{name}"
        if g not in self.globals:
            self.globals[g] = getattr(self.xp, name)
        return g

    def reducer(self, name: str) -> str:
        """``_sum``/``_amax``/…: bound to the ufunc's ``reduce`` where the namespace's ufuncs
        are NumPy's (the same call without ``np.sum``'s Python wrapper: about 1 µs less)."""
        g = f"_{name}"
        if g not in self.globals:
            ufunc = getattr(self.xp, _REDUCE_UFUNC.get(name, ""), None)
            self.globals[g] = ufunc.reduce if isinstance(ufunc, np.ufunc) else getattr(
                self.xp, name)
        return g

    def value(self, prefix: str, v: Any, key: Any = None) -> str:
        key = (prefix, id(v) if key is None else key)
        if key not in self._ids:
            name = f"_{prefix}{len(self._ids)}"
            self._ids[key] = name
            self.globals[name] = v
        return self._ids[key]

    def dtype(self, dt: Any) -> str:
        dt = np.dtype(dt)
        return self.value(f"{dtypes.short_name(dt)}_", dt, key=dt.str)


# ---------------------------------------------------------------------------------------
# Emitters: one per primitive written inline; None falls back to the implementation.


def _unary(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    if eqn.params:
        return None  # a variant this table does not know: the implementation decides
    return Emit(f"{w.fn(_UNARY[eqn.prim.name])}({a[0]}{{out}})", "fresh", True, True)


def _binary(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    if eqn.params or (eqn.prim.name == "rem" and eqn.outvars[0].aval.dtype.kind not in "fc"):
        return None  # integer rem: fmod is inexact for 64-bit ints on CuPy, see lax.rem
    return Emit(f"{w.fn(_BINARY[eqn.prim.name])}({a[0]}, {a[1]}{{out}})", "fresh", True, True)


def _div(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    if eqn.outvars[0].aval.dtype.kind not in "fc":
        return None  # integer division rounds toward zero: the implementation knows how
    return Emit(f"{w.fn('true_divide')}({a[0]}, {a[1]}{{out}})", "fresh", True, True)


def _integer_pow(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    y = eqn.params["y"]
    if eqn.outvars[0].aval.dtype.kind not in "fc":
        return None
    if y == 2:
        return Emit(f"{w.fn('multiply')}({a[0]}, {a[0]}{{out}})", "fresh", True, True)
    return Emit(f"{w.fn('power')}({a[0]}, {int(y)}{{out}})", "fresh", True, True)


def _select(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    out = eqn.outvars[0].aval
    if out.dtype.kind == "f" and out.dtype.itemsize in _INT_OF_SIZE and out.size >= 4096:
        # select(p, x, 0) (ReLU's and max pooling's gradients): on large arrays NumPy's
        # where is three to four times slower than masking x's bits, which gives the same
        # bits (+0.0 where the zero is picked, NaN payloads kept) and can write over a dying
        # x. (On small ones where's single call is quicker.)
        for k, zero in ((1, 2), (2, 1)):
            z = eqn.invars[zero]
            if isinstance(eqn.invars[k], Var) and isinstance(z, Literal):
                v = literal_scalar(z.val)
                if v == 0 and not np.signbit(v):
                    fn = w.value("where0", _where0, key="where0")
                    return Emit(f"{fn}(_xp, {a[0]}, {a[k]}, {k == 1}{{out}})", "fresh",
                                out_ok=bool(out.shape), elementwise=True)
    return Emit(f"{w.fn('where')}({a[0]}, {a[1]}, {a[2]})", "fresh")


def _convert(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    return Emit(f"{a[0]}.astype({w.dtype(eqn.params['new_dtype'])})", "fresh")


def _reduce(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    x = eqn.invars[0].aval
    if set(eqn.params) != {"axes"} or any(x.shape[k] == 0 for k in eqn.params["axes"]):
        return None  # an empty reduction: the implementation gives max/min's identity
    name = _REDUCE[eqn.prim.name]
    dt = f", dtype={w.dtype(eqn.outvars[0].aval.dtype)}" if name in ("sum", "prod") else ""
    return Emit(f"{w.reducer(name)}({a[0]}, axis={eqn.params['axes']}{dt}{{out}})", "fresh",
                out_ok=bool(eqn.outvars[0].aval.shape))


def _broadcast(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    shape, dims = eqn.params["shape"], eqn.params["broadcast_dimensions"]
    x = eqn.invars[0].aval
    if not x.shape and (eqn.outvars[0].aval.size <= 4096 or isinstance(eqn.invars[0], Literal)):
        # A small array filled with one value: a new one is quicker than broadcast_to's view
        # (and a literal, a NumPy scalar, is no device array that CuPy could broadcast).
        dt = w.dtype(eqn.outvars[0].aval.dtype)
        return Emit(f"{w.fn('full')}({shape}, {a[0]}, dtype={dt})", "fresh")
    if dims != tuple(range(len(shape) - x.ndim, len(shape))):
        expanded = [1] * len(shape)
        for i, d in enumerate(dims):
            expanded[d] = x.shape[i]
        return Emit(f"{w.fn('broadcast_to')}({w.fn('reshape')}({a[0]}, {tuple(expanded)}), "
                    f"{shape})", "view")
    return Emit(f"{w.fn('broadcast_to')}({a[0]}, {shape})", "view")


def _reshape(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    if isinstance(eqn.invars[0], Literal):  # a NumPy scalar: CuPy's reshape gives a host array
        dt = w.dtype(eqn.outvars[0].aval.dtype)
        return Emit(f"{w.fn('full')}({eqn.params['new_sizes']}, {a[0]}, dtype={dt})", "fresh")
    if eqn.invars[0].aval.ndim:
        # The method skips xp.reshape's wrapper; a 0-d value may be a NumPy scalar, which
        # the strict backend's namespace must see, so that one keeps the function.
        return Emit(f"{a[0]}.reshape({eqn.params['new_sizes']})", "view")
    return Emit(f"{w.fn('reshape')}({a[0]}, {eqn.params['new_sizes']})", "view")


def _transpose(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    perm = eqn.params["permutation"]
    if perm == (1, 0):
        return Emit(f"{a[0]}.T", "view")
    return Emit(f"{a[0]}.transpose({perm})", "view")


def _slice(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    parts = []
    for s, e, st, n in zip(eqn.params["start_indices"], eqn.params["limit_indices"],
                           eqn.params["strides"], eqn.invars[0].aval.shape):
        text = f"{s or ''}:{'' if e == n else e}"
        parts.append(text + (f":{st}" if st != 1 else ""))
    return Emit(f"{a[0]}[{', '.join(parts)}]", "view")


def _rev(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    dims = eqn.params["dimensions"]
    return Emit(f"{w.fn('flip')}({a[0]}, {dims})" if dims else a[0], "view")


def _concatenate(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    return Emit(f"{w.fn('concatenate')}(({', '.join(a)},), axis={eqn.params['dimension']}"
                "{out})", "fresh", True)


def _identity(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    return Emit(a[0], "view")


def _swap_last(w: _Writer, x: str, ndim: int) -> str:
    return f"{x}.T" if ndim == 2 else f"{w.fn('swapaxes')}({x}, -1, -2)"


def _dot_general(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    """``dot_general`` in the forms ``matmul`` takes directly (transposed operands as views)."""
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    if eqn.params.get("preferred_element_type") is not None:
        return None
    lhs, rhs = eqn.invars[0].aval, eqn.invars[1].aval
    nb = len(lb)
    if not lc and lb == tuple(range(nb)) and rb == tuple(range(nb)):
        # No contraction (an outer product, per-example gradients): a broadcast multiply
        # of the operands reshaped to (batch, lhs free, 1...) and (batch, 1..., rhs free).
        # A 0-d operand (a NumPy scalar when literal, which CuPy's reshape would turn into
        # a host array) broadcasts as it is, to the same result.
        bs, lf, rf = lhs.shape[:nb], lhs.shape[nb:], rhs.shape[nb:]
        x = (f"{w.fn('reshape')}({a[0]}, {(*bs, *lf, *(1,) * len(rf))})" if lhs.ndim
             else a[0])
        y = (f"{w.fn('reshape')}({a[1]}, {(*bs, *(1,) * len(lf), *rf)})" if rhs.ndim
             else a[1])
        return Emit(f"{w.fn('multiply')}({x}, {y}{{out}})", "fresh",
                    out_ok=bool(eqn.outvars[0].aval.shape))
    if len(lc) != 1:
        return None
    if lb != tuple(range(nb)) or rb != tuple(range(nb)):
        return None
    lr, rr = lhs.ndim - nb, rhs.ndim - nb
    if lr == 2:
        x = a[0] if lc == (nb + 1,) else _swap_last(w, a[0], lhs.ndim)
    elif lr == 1 and nb == 0:
        x = a[0]
    else:
        return None
    if rr == 2:
        y = a[1] if rc == (nb,) else _swap_last(w, a[1], rhs.ndim)
    elif rr == 1 and nb == 0:
        y = a[1]
    else:
        return None
    out_ok = bool(eqn.outvars[0].aval.shape)
    return Emit(f"{w.fn('matmul')}({x}, {y}{{out}})", "fresh", out_ok)


def _fused(w: _Writer, eqn: Eqn, a: list[str]) -> Emit | None:
    """A group of elementwise equations fused into one kernel (see :mod:`.fusion`)."""
    kernel = eqn.params["kernel"]
    fn = w.value("fk", kernel.bind(w.xp), key=("fk", id(kernel)))
    return Emit(f"{fn}({', '.join(a)}{{out}})", "fresh",
                out_ok=len(eqn.outvars) == 1 and bool(kernel.shape), elementwise=True)


EMITTERS: dict[str, Callable[[_Writer, Eqn, list[str]], Emit | None]] = {
    **{name: _unary for name in _UNARY}, **{name: _binary for name in _BINARY},
    **{name: _reduce for name in _REDUCE},
    "div": _div, "integer_pow": _integer_pow, "select": _select,
    "convert_element_type": _convert, "broadcast_in_dim": _broadcast, "reshape": _reshape,
    "transpose": _transpose, "slice": _slice, "rev": _rev, "concatenate": _concatenate,
    "stop_gradient": _identity, "dot_general": _dot_general,
    "fused_elementwise": _fused,
}


# ---------------------------------------------------------------------------------------
# Helpers called from generated code


def _fix(raw: Any, dtype: np.dtype, xp: Any, array_types: tuple) -> Any:
    """An implementation's result as a backend array of the declared dtype."""
    if type(raw) not in array_types:
        raw = xp.asarray(raw)
    return raw if raw.dtype == dtype else raw.astype(dtype)


def _where0(xp: Any, pred: Any, x: Any, keep_true: bool, out: Any = None) -> Any:
    """``where(pred, x, 0)`` (``keep_true``) or ``where(pred, 0, x)`` for float ``x``, as
    ``x``'s bits and-ed with a mask of all ones or zeros: two fast passes, bit-exact."""
    it = _INT_OF_SIZE[x.dtype.itemsize]
    p = pred.view(np.dtype(np.int8))  # True is 1
    if out is None:  # C order, whatever the operands' layouts (a reshape may follow)
        shape = x.shape if pred.shape == x.shape else np.broadcast_shapes(pred.shape, x.shape)
        out = xp.empty(shape, dtype=x.dtype)
    bits = out.view(it)
    # The mask can be made where the result goes, unless that is x's own memory.
    mask = bits if out is not x and pred.shape == out.shape else None
    if keep_true:
        mask = xp.negative(p, dtype=it, out=mask)
    else:
        mask = xp.subtract(p, 1, dtype=it, out=mask)
    xp.bitwise_and(x.view(it), mask, out=bits)
    return out


def _scatter_into(xp: Any, out: Any, updates: Any, *indices: Any, axes: tuple,
                  mode: str) -> Any:
    """``scatter`` writing into ``out`` (dead after this equation) instead of a copy."""
    from ..lax.indexing import scatter_into

    return scatter_into(xp, out, updates, *indices, axes=axes, mode=mode)


def _update_slice_into(xp: Any, out: Any, update: Any, *idx: Any) -> Any:
    """``dynamic_update_slice`` writing into ``out`` (dead after this equation)."""
    from ..lax.shapes import _clamped_starts

    starts = _clamped_starts(xp, out.shape, update.shape, idx)
    out[tuple(slice(s, s + n) for s, n in zip(starts, update.shape))] = update
    return out


def _nan_checker(xp: Any, where: list[str]) -> Callable[[Any, int], None]:
    def check(x: Any, k: int) -> None:
        if bool(xp.isnan(x).any()):
            raise FloatingPointError(
                f"debug_nans: {where[k]}. Turn the check off with "
                "fd.config.update('debug_nans', False)."
            )

    return check
