"""Op-table rows for control flow (``funcdiff/lax/control_flow``).

``cond`` and ``switch`` (the ``cond`` primitive; under ``vmap`` with a batched predicate,
``batched_cond``), ``scan`` (forward, ``reverse``, pytrees, closed-over constants, no
``xs``), ``while_loop`` (a trip count from an argument, and one that depends on the values),
``fori_loop`` (known bounds: a scan; traced ones, under vmap: a while loop), control flow nested in
control flow, and the gradient of a ``while_loop`` (which binds ``batch_upper_bound``).
Each reference is the plain Python loop or ``if`` in NumPy.
"""

from __future__ import annotations

import numpy as np
from op_table import Arg, OpRow

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax

ROWS: list[OpRow] = []
BOOL = Arg((), "bool", diff=False)


# --- cond / switch ---------------------------------------------------------------------------


def _cond(p, x, y):
    return lax.cond(p, lambda x, y: fnp.sin(x) * y, lambda x, y: fnp.cos(x) - y, x, y)


def _cond_ref(p, x, y):
    return np.sin(x) * y if p else np.cos(x) - y


def _cond_tree(p, x, w):
    def yes(d):
        return {"out": d["x"] @ d["w"], "s": fnp.sum(d["x"] ** 2)}

    def no(d):
        return {"out": fnp.tanh(d["x"]) @ d["w"].T.T, "s": fnp.max(d["x"])}

    r = lax.cond(p, yes, no, {"x": x, "w": w})
    return r["out"], r["s"]


def _cond_tree_ref(p, x, w):
    if p:
        return x @ w, np.sum(x ** 2)
    return np.tanh(x) @ w, np.max(x)


def _cond_closure(p, x, w):
    # w is closed over: it becomes an explicit operand of the cond.
    return lax.cond(p, lambda x: x * w, lambda x: x + fnp.sum(w), x)


def _cond_closure_ref(p, x, w):
    return x * w if p else x + np.sum(w)


_BRANCHES = [lambda x: fnp.exp(x) / 2, lambda x: x ** 3, lambda x: fnp.sin(x) * x]
_BRANCHES_NP = [lambda x: np.exp(x) / 2, lambda x: x ** 3, lambda x: np.sin(x) * x]


def _switch(i, x):
    return lax.switch(i, _BRANCHES, x)


def _switch_ref(i, x):
    return _BRANCHES_NP[min(max(int(i), 0), 2)](x)


def _vmapped_cond(p, x):
    # A predicate per example: batched_cond, with sqrt's branch not taken at x <= 0.
    f = lambda p, x: lax.cond(p, lambda x: fnp.sqrt(x) * 2.0, lambda x: -x * x, x)
    return fd.vmap(f)(p, x)


def _vmapped_cond_ref(p, x):
    out = np.where(p[:, None], np.sqrt(np.abs(x)) * 2.0, -x * x)
    return out.astype(x.dtype)


ROWS += [
    OpRow("cond", _cond, _cond_ref, [BOOL, Arg((3,)), Arg((3,))], prims=("cond",)),
    OpRow("cond_pytree_operands_and_outputs", _cond_tree, _cond_tree_ref,
          [BOOL, Arg((2, 3)), Arg((3, 4))], prims=("cond",), atol=1e-4),
    OpRow("cond_closed_over_operand", _cond_closure, _cond_closure_ref,
          [BOOL, Arg((3,)), Arg((3,))], prims=("cond",)),
    OpRow("switch_index_clamped", _switch, _switch_ref,
          [Arg((), "int32", bounds=(-2, 5), diff=False), Arg((2, 2))], prims=("cond",)),
    OpRow("batched_cond", _vmapped_cond, _vmapped_cond_ref,
          [Arg((4,), "bool", diff=False), Arg((4, 3), domain="positive")],
          prims=("batched_cond",)),
]


# --- scan ------------------------------------------------------------------------------------


def _scan(init, xs):
    return lax.scan(lambda c, x: (c * fnp.tanh(x) + x, c * x), init, xs)


def _scan_ref(init, xs):
    c, ys = init, []
    for x in xs:
        ys.append(c * x)
        c = c * np.tanh(x) + x
    return c, np.stack(ys)


def _scan_tree_reverse(init, a, b, w):
    def body(carry, x):
        h = fnp.sin(carry["h"] * w) + x["a"] * x["b"]
        return {"h": h}, (h * 2.0, fnp.sum(carry["h"]))

    carry, (ys, sums) = lax.scan(body, {"h": init}, {"a": a, "b": b}, reverse=True)
    return carry["h"], ys, sums


def _scan_tree_reverse_ref(init, a, b, w):
    h, ys, sums = init, [None] * len(a), [None] * len(a)
    for t in reversed(range(len(a))):
        sums[t] = np.sum(h)
        h = np.sin(h * w) + a[t] * b[t]
        ys[t] = h * 2.0
    return h, np.stack(ys), np.asarray(sums, dtype=init.dtype)


def _scan_no_xs(x):
    return lax.scan(lambda c, _: (fnp.sin(c) * 1.5, c), x, None, length=3)


def _scan_no_xs_ref(x):
    c, ys = x, []
    for _ in range(3):
        ys.append(c)
        c = np.sin(c) * 1.5
    return c, np.stack(ys)


def _scan_of_cond(xs):
    def body(c, x):
        c = lax.cond(fnp.sum(x) > 0, lambda c: c * x, lambda c: c - x, c)
        return c, fnp.sum(c)

    return lax.scan(body, fnp.ones(xs.shape[1:], xs.dtype), xs)


def _scan_of_cond_ref(xs):
    c, ys = np.ones(xs.shape[1:], xs.dtype), []
    for x in xs:
        c = c * x if np.sum(x) > 0 else c - x
        ys.append(np.sum(c))
    return c, np.asarray(ys, dtype=xs.dtype)


ROWS += [
    OpRow("scan", _scan, _scan_ref, [Arg((3,)), Arg((4, 3))], prims=("scan",)),
    OpRow("scan_reverse_pytree_consts", _scan_tree_reverse, _scan_tree_reverse_ref,
          [Arg((2,)), Arg((3, 2)), Arg((3, 2)), Arg((2,))], prims=("scan",), atol=1e-5),
    OpRow("scan_length_without_xs", _scan_no_xs, _scan_no_xs_ref, [Arg((2, 2))],
          prims=("scan",)),
    OpRow("scan_of_cond", _scan_of_cond, _scan_of_cond_ref, [Arg((4, 3))],
          prims=("scan", "cond"), atol=1e-4),
]


# --- while_loop / fori_loop --------------------------------------------------------------------


def _while_counted(n, x):
    body = lambda c: (c[0] + 1, fnp.sin(c[1]) + c[1] * 0.5)
    return lax.while_loop(lambda c: c[0] < n, body, (0, x))[1]


def _while_counted_ref(n, x):
    for _ in range(int(n)):
        x = np.sin(x) + x * 0.5
    return x


def _while_by_value(x):
    # The trip count depends on the values (differently for each example under vmap).
    return lax.while_loop(lambda x: fnp.sum(x) < 10.0, lambda x: x * 1.5 + 0.25, x)


def _while_by_value_ref(x):
    while np.sum(x) < 10.0:
        x = x * 1.5 + 0.25
    return x


def _fori_static(x):
    return lax.fori_loop(0, 3, lambda i, c: c * fnp.cos(c) + i, x)


def _fori_static_ref(x):
    for i in range(3):
        x = x * np.cos(x) + i
    return x


def _fori_traced(n, x):
    return lax.fori_loop(0, n, lambda i, c: fnp.tanh(c) * (i + 1), x)


def _fori_traced_ref(n, x):
    for i in range(int(n)):
        x = np.tanh(x) * (i + 1)
    return x


def _grad_of_while(x):
    f = lambda x: fnp.sum(lax.while_loop(lambda c: fnp.sum(c) < 8.0,
                                         lambda c: c * fnp.exp(c * 0.1) + 0.5, x))
    return fd.grad(f)(x)


def _grad_of_while_ref(x):
    # Forward: record the carries; backward: the chain rule through each step.
    carries = []
    while np.sum(x) < 8.0:
        carries.append(x)
        x = x * np.exp(x * 0.1) + 0.5
    g = np.ones_like(x)
    for c in reversed(carries):
        g = g * (np.exp(c * 0.1) * (1 + 0.1 * c))
    return g


ROWS += [
    OpRow("while_loop_counted", _while_counted, _while_counted_ref,
          [Arg((), "int32", bounds=(0, 4), diff=False), Arg((3,))], prims=("while",)),
    OpRow("while_loop_value_dependent", _while_by_value, _while_by_value_ref,
          [Arg((3,), domain="positive")], prims=("while",), atol=1e-4),
    OpRow("fori_loop_static_bounds", _fori_static, _fori_static_ref, [Arg((2, 3))],
          prims=("scan",)),
    # A concrete array bound makes a scan; under vmap the bound is traced: a while loop.
    OpRow("fori_loop_array_bounds", _fori_traced, _fori_traced_ref,
          [Arg((), "int32", bounds=(0, 4), diff=False), Arg((3,))], prims=("scan",)),
    OpRow("grad_of_while_loop", _grad_of_while, _grad_of_while_ref,
          [Arg((3,), domain="positive")], prims=("while", "scan", "cond", "batch_upper_bound"),
          atol=1e-4, rtol=1e-4, grad=False, traceable=False,
          why="reverse mode of a while_loop needs its trip count, so it raises under "
              "make_jaxpr (by design), which the derivative checks use; its second "
              "derivative is checked in test_control_flow.py"),
]
