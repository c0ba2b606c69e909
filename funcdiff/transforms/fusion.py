"""Elementwise fusion for ``jit`` on CuPy: chains of elementwise equations become one kernel.

On a GPU every CuPy call launches a kernel and writes its result to memory, so an MLP's
``add`` (bias) → ``max`` (ReLU) → their gradients, or an optimizer's dozen updates per
parameter, cost a launch and a round trip to memory each. This pass finds maximal groups of
elementwise equations of one result shape and replaces each group (of two or more, or a
``select`` alone: see :data:`ALONE`) with one ``fused_elementwise`` equation that runs a
generated ``cupy.ElementwiseKernel``: the intermediates stay in registers, only the values
read after the group are written out.

The rules for a group:

* members are elementwise primitives of the table :data:`OPS` (arithmetic, ``exp``/``log``/
  ``tanh``/``logistic``…, comparisons, ``select``, ``convert_element_type``, ``integer_pow``,
  ``max``/``min``…) on real dtypes CUDA C computes natively (not float16 or complex);
* all members produce the group's *loop shape*; inputs read from outside are arrays that
  broadcast to it (NumPy's rules, which CuPy's elementwise kernels apply too: a bias of
  shape ``(256,)`` beside ``(128, 256)``, scalars), and ``broadcast_in_dim`` results stay
  views that the kernel reads in place (never copied into a kernel argument);
* the kernel takes the place of its *last* member, so an equation outside the group that
  reads a member's value must come after it (otherwise that member starts a new group):
  the program order stays a valid one.

The same group is also written as Python over the backend namespace (:attr:`FusedKernel.
python_source`), which runs wherever CuPy does not (NumPy, the strict backend): tests check
the grouping there against eager evaluation, and the CUDA C text
(:attr:`FusedKernel.cuda_source`) against expected strings. Fusion is on by default only
for CuPy; ``FUNCDIFF_FUSION=1`` (or :func:`forced`) turns it on for every backend, which is
how the test suite exercises it without a GPU, and ``FUNCDIFF_FUSION=0`` turns it off.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..core.aval import ShapedArray
from ..core.ir import Atom, Eqn, Jaxpr, Literal, Var
from ..core.primitive import Primitive
from .passes._util import literal_scalar

# ---------------------------------------------------------------------------------------
# When to fuse

_override = threading.local()


def enabled(backend: Any) -> bool:
    """Whether ``jit`` fuses elementwise groups for ``backend`` (CuPy by default)."""
    forced = getattr(_override, "value", None)
    if forced is not None:
        return forced
    env = os.environ.get("FUNCDIFF_FUSION", "")
    if env in ("0", "1"):
        return env == "1"
    return getattr(backend, "name", "") == "cupy"


@contextmanager
def forced(on: bool = True) -> Iterator[None]:
    """Fuse (or not) in code compiled inside this block, whatever the backend.

    Compiled code is cached per function and backend: use new ``jit`` functions inside.
    """
    prev = getattr(_override, "value", None)
    _override.value = on
    try:
        yield
    finally:
        _override.value = prev


# ---------------------------------------------------------------------------------------
# Types

# NVRTC options of every fused kernel. No contraction of a*b+c into an FMA: CuPy evaluates
# each operation as its own kernel, rounding in between, and jit must give eager's numbers
# (an H200 run showed 1-ulp differences in fd.random.normal under jit without this).
NVRTC_OPTIONS = ("--fmad=false",)

C_TYPES = {
    "bool": "bool", "int8": "signed char", "uint8": "unsigned char", "int16": "short",
    "uint16": "unsigned short", "int32": "int", "uint32": "unsigned int",
    "int64": "long long", "uint64": "unsigned long long", "float32": "float",
    "float64": "double",
}


def c_type(dtype: Any) -> str:
    """The CUDA C type of a dtype (one of :data:`C_TYPES`)."""
    return C_TYPES[np.dtype(dtype).name]


def c_literal(value: Any, dtype: Any) -> str:
    """A scalar as a typed CUDA C literal (exact for every finite value; inf and NaN by bits).

    Examples:
        >>> c_literal(0.1, "float32"), c_literal(-3, "int32"), c_literal(True, "bool")
        ('0.1f', '-3', 'true')
        >>> c_literal(float("inf"), "float32"), c_literal(2**40, "int64")
        ('__int_as_float(0x7f800000)', '1099511627776LL')
    """
    dt = np.dtype(dtype)
    v = np.asarray(value).astype(dt)[()]
    if dt.kind == "b":
        return "true" if v else "false"
    if dt.kind == "f":
        if not np.isfinite(v):
            bits = int(v.view(np.uint32 if dt.itemsize == 4 else np.uint64))
            return (f"__int_as_float({bits:#010x})" if dt.itemsize == 4
                    else f"__longlong_as_double({bits:#018x}LL)")
        # NumPy's shortest text that reads back as the same value of this precision.
        text = str(v)
        return text + "f" if dt.itemsize == 4 else text
    i = int(v)
    if dt.kind == "u":
        return f"{i}u" if dt.itemsize <= 4 else f"{i}ull"
    if dt.itemsize == 8:
        return f"{i}LL" if i != -2**63 else "(-9223372036854775807LL - 1)"
    return str(i) if i != -2**31 else "(-2147483647 - 1)"


# ---------------------------------------------------------------------------------------
# The operations a kernel can hold: (CUDA C, Python over xp) for each primitive

_FLOAT_FNS = {  # primitive -> C function (float32 name gets an "f" suffix), xp function
    "exp": ("exp", "exp"), "log": ("log", "log"), "log1p": ("log1p", "log1p"),
    "expm1": ("expm1", "expm1"), "sqrt": ("sqrt", "sqrt"), "cbrt": ("cbrt", "cbrt"),
    "sin": ("sin", "sin"), "cos": ("cos", "cos"), "tan": ("tan", "tan"),
    "asin": ("asin", "arcsin"), "acos": ("acos", "arccos"), "atan": ("atan", "arctan"),
    "sinh": ("sinh", "sinh"), "cosh": ("cosh", "cosh"), "tanh": ("tanh", "tanh"),
    "asinh": ("asinh", "arcsinh"), "acosh": ("acosh", "arccosh"),
    "atanh": ("atanh", "arctanh"), "floor": ("floor", "floor"), "ceil": ("ceil", "ceil"),
    "erf": ("erf", "_erf"), "erf_inv": ("erfinv", "_erf_inv"),
}
_INFIX = {"add": "+", "sub": "-", "mul": "*", "eq": "==", "ne": "!=", "lt": "<", "le": "<=",
          "gt": ">", "ge": ">="}
_XP_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "eq": "equal",
              "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater",
              "ge": "greater_equal"}


def _fn(name: str, dtype: np.dtype) -> str:
    return name + "f" if dtype == np.float32 else name


def _op(eqn: Eqn, a: list[str], dts: list[np.dtype]) -> tuple[str, str] | None:
    """``(C expression, Python expression)`` for one equation over operand texts ``a``, or
    None when the equation cannot join a kernel. Both compute the same function."""
    name, out = eqn.prim.name, eqn.outvars[0].aval.dtype
    floating = out.kind == "f"
    t = c_type(out)
    if name in _FLOAT_FNS and floating and not eqn.params:
        c, p = _FLOAT_FNS[name]
        py = f"{p}(_xp, {a[0]})" if p.startswith("_") else f"_xp.{p}({a[0]})"
        return f"{_fn(c, out)}({a[0]})", py
    if name in _INFIX:
        if name in ("add", "sub", "mul") and out.kind == "b":
            return None
        return f"({a[0]} {_INFIX[name]} {a[1]})", f"_xp.{_XP_BINARY[name]}({a[0]}, {a[1]})"
    if name == "div" and floating:
        return f"({a[0]} / {a[1]})", f"_xp.true_divide({a[0]}, {a[1]})"
    if name == "neg" and out.kind != "b":
        return f"(-{a[0]})", f"_xp.negative({a[0]})"
    if name in ("max", "min"):
        cmp = ">" if name == "max" else "<"
        nan = f" || {a[0]} != {a[0]}" if floating else ""  # NaN wins, as in NumPy and JAX
        fn = "maximum" if name == "max" else "minimum"
        return f"(({a[0]} {cmp} {a[1]}{nan}) ? {a[0]} : {a[1]})", f"_xp.{fn}({a[0]}, {a[1]})"
    if name == "abs" and out.kind in "fi":
        c = f"{_fn('fabs', out)}({a[0]})" if floating else f"({a[0]} < 0 ? -{a[0]} : {a[0]})"
        return c, f"_xp.abs({a[0]})"
    if name == "sign" and out.kind in "fi":
        one = c_literal(1, out)
        return (f"({a[0]} > 0 ? {one} : ({a[0]} < 0 ? ({t})(-{one}) : {a[0]}))",
                f"_xp.sign({a[0]})")
    if name == "rsqrt" and floating:
        return f"{_fn('rsqrt', out)}({a[0]})", f"(1 / _xp.sqrt({a[0]}))"
    if name == "logistic" and floating:
        return f"_fd_logistic({a[0]})", f"_logistic(_xp, {a[0]})"
    if name in ("pow", "atan2", "rem") and floating:
        c = {"pow": "pow", "atan2": "atan2", "rem": "fmod"}[name]
        p = {"pow": "power", "atan2": "arctan2", "rem": "fmod"}[name]
        return f"{_fn(c, out)}({a[0]}, {a[1]})", f"_xp.{p}({a[0]}, {a[1]})"
    if name == "integer_pow" and floating:
        return _integer_pow(a[0], int(eqn.params["y"]), out)
    if name == "is_finite" and dts[0].kind == "f":
        return f"isfinite({a[0]})", f"_xp.isfinite({a[0]})"
    if name == "select" and dts[0].kind == "b":
        return f"({a[0]} ? {a[1]} : {a[2]})", f"_xp.where({a[0]}, {a[1]}, {a[2]})"
    if name in ("and", "or", "xor") and out.kind in "biu":
        if out.kind == "b":
            c = {"and": "&&", "or": "||", "xor": "!="}[name]
        else:
            c = {"and": "&", "or": "|", "xor": "^"}[name]
        return f"({a[0]} {c} {a[1]})", f"_xp.bitwise_{name}({a[0]}, {a[1]})"
    if name == "not" and out.kind in "biu":
        return (f"(!{a[0]})" if out.kind == "b" else f"(~{a[0]})"), f"_xp.invert({a[0]})"
    if name == "convert_element_type":
        dt = np.dtype(eqn.params["new_dtype"])
        c = f"({a[0]} != 0)" if dt.kind == "b" else f"(({t})({a[0]}))"
        return c, f"_astype({a[0]}, _np.dtype({dt.name!r}))"
    if name == "stop_gradient":
        return a[0], a[0]
    return None


def _integer_pow(x: str, y: int, dtype: np.dtype) -> tuple[str, str]:
    if y == 0:
        return c_literal(1, dtype), f"_xp.ones_like({x})"
    if y == 1:
        return x, x
    if y == 2:
        return f"({x} * {x})", f"({x} * {x})"
    py = f"_ipow({x}, {y})"
    if y < 0:
        return f"({c_literal(1, dtype)} / _fd_ipow({x}, {-y}))", py
    return f"_fd_ipow({x}, {y})", py


# Helpers the operations above call: CUDA C (the kernel's preamble) and their Python twins.
_C_HELPERS = {
    "_fd_logistic": """\
template <typename T> __device__ T _fd_logistic(T x) {
    // exp of a non-positive number only: no overflow in either tail.
    T e = exp(-fabs(x));
    return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
}""",
    "_fd_ipow": """\
template <typename T> __device__ T _fd_ipow(T x, int n) {
    // Square-and-multiply, as lax.integer_pow.
    T acc = T(1);
    while (n > 0) {
        if (n & 1) acc *= x;
        x *= x;
        n >>= 1;
    }
    return acc;
}""",
}


def _py_logistic(xp: Any, x: Any) -> Any:
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _py_ipow(x: Any, y: int) -> Any:
    acc, n, base = None, abs(y), x
    while n:
        if n & 1:
            acc = base if acc is None else acc * base
        base = base * base
        n >>= 1
    return 1 / acc if y < 0 else acc


def _py_astype(x: Any, dtype: np.dtype) -> Any:
    return x.astype(dtype)


def _py_erf(xp: Any, x: Any) -> Any:
    from ..backend import extras

    return extras.erf(xp, x)


def _py_erf_inv(xp: Any, x: Any) -> Any:
    from ..backend import extras

    return extras.erf_inv(xp, x)


_PY_HELPERS = {"_logistic": _py_logistic, "_ipow": _py_ipow, "_astype": _py_astype,
               "_erf": _py_erf, "_erf_inv": _py_erf_inv, "_np": np}


def _fusible(eqn: Eqn) -> bool:
    if len(eqn.outvars) != 1 or eqn.prim.multiple_results:
        return False
    avals = [eqn.outvars[0].aval, *(a.aval for a in eqn.invars)]
    if any(np.dtype(a.dtype).name not in C_TYPES for a in avals):
        return False
    names = [f"x{k}" for k in range(len(eqn.invars))]
    return _op(eqn, names, [a.aval.dtype for a in eqn.invars]) is not None


# ---------------------------------------------------------------------------------------
# The kernel of one group


class FusedKernel:
    """One group of elementwise equations as a CUDA C elementwise kernel and its Python twin.

    Attributes:
        name: the kernel's name (a C identifier).
        in_avals / out_avals: abstract values of the kernel's inputs and outputs.
        shape: the loop shape (every output's shape).
        in_params / out_params: CuPy ``ElementwiseKernel`` parameter lists
            (``"float32 in0, float32 in1"``).
        operation: the CUDA C body run per element (locals, then the outputs' assignments).
        preamble: CUDA C helpers the body calls (``_fd_logistic``, ``_fd_ipow``).
        prims: the fused primitives' names, in program order.
        python_source: the same computation as a Python function over ``xp``.
    """

    def __init__(self, name: str, ins: Sequence[Var], outs: Sequence[Var],
                 eqns: Sequence[Eqn]) -> None:
        self.name = name
        self.in_avals = [v.aval for v in ins]
        self.out_avals = [v.aval for v in outs]
        self.shape = outs[0].aval.shape
        self.prims = [e.prim.name for e in eqns]
        self._consts: dict[str, Any] = {}  # the Python twin's literals, by name
        c_names: dict[Var, str] = {v: f"in{k}" for k, v in enumerate(ins)}
        py_names = dict(c_names)
        c_lines, py_lines, helpers = [], [], []
        for k, eqn in enumerate(eqns):
            args_c = [self._c_atom(a, c_names) for a in eqn.invars]
            args_py = [self._py_atom(a, py_names) for a in eqn.invars]
            c, _ = _op(eqn, args_c, [a.aval.dtype for a in eqn.invars])
            _, py = _op(eqn, args_py, [a.aval.dtype for a in eqn.invars])
            helpers += [h for h in _C_HELPERS if h + "(" in c and h not in helpers]
            v = eqn.outvars[0]
            c_names[v] = py_names[v] = f"t{k}"
            c_lines.append(f"{c_type(v.aval.dtype)} t{k} = {c};")
            py_lines.append(f"    t{k} = {py}")
        for k, v in enumerate(outs):
            c_lines.append(f"out{k} = {c_names[v]};")
        self.operation = "\n".join(c_lines)
        self.preamble = "\n".join(_C_HELPERS[h] for h in helpers)
        self.in_params = ", ".join(f"{np.dtype(a.dtype).name} in{k}"
                                   for k, a in enumerate(self.in_avals))
        self.out_params = ", ".join(f"{np.dtype(a.dtype).name} out{k}"
                                    for k, a in enumerate(self.out_avals))
        rets = [f"_as_array(_xp, {py_names[v]}, _np.dtype({np.dtype(v.aval.dtype).name!r}))"
                for v in outs]
        sig = ", ".join(["_xp", *(f"in{k}" for k in range(len(ins)))])
        self.python_source = "\n".join([f"def {name}({sig}):", *py_lines,
                                        f"    return ({', '.join(rets)},)", ""])
        # Inputs alone broadcast to a smaller loop (all of them broadcasts): pass outputs.
        self._alloc_outs = tuple(np.broadcast_shapes(*(a.shape for a in self.in_avals))
                                 ) != self.shape
        self._python: Callable[..., tuple] | None = None
        self._cupy: Any = None
        self._lock = threading.Lock()

    # --- the texts
    @staticmethod
    def _c_atom(a: Atom, names: dict) -> str:
        if isinstance(a, Literal):
            return c_literal(literal_scalar(a.val), a.aval.dtype)
        return names[a]

    def _py_atom(self, a: Atom, names: dict) -> str:
        if isinstance(a, Literal):
            key = f"_k{len(self._consts)}"
            self._consts[key] = np.asarray(literal_scalar(a.val)).astype(a.aval.dtype)[()]
            return key
        return names[a]

    @property
    def cuda_source(self) -> str:
        """The kernel as CuPy sees it: parameters, preamble and per-element operation."""
        return "\n".join([
            f"// {self.name}: {', '.join(self.prims)}",
            f"// in:  {self.in_params}", f"// out: {self.out_params}",
            *([self.preamble] if self.preamble else []), self.operation])

    def __repr__(self) -> str:
        shape = ",".join(map(str, self.shape))
        return f"<fused kernel {self.name}[{shape}]: {' '.join(self.prims)}>"

    # --- running
    def python(self) -> Callable[..., tuple]:
        """The Python twin, compiled once: ``fn(xp, *ins) -> tuple of outputs``."""
        if self._python is None:
            ns: dict[str, Any] = {**_PY_HELPERS, "_as_array": _as_array, **self._consts}
            exec(compile(self.python_source, f"<fused {self.name}>", "exec"), ns)
            self._python = ns[self.name]
        return self._python

    def cupy_kernel(self) -> Any:
        """The ``cupy.ElementwiseKernel`` (made once; CuPy compiles it per dtype and device)."""
        kern = self._cupy
        if kern is None:
            with self._lock:
                if self._cupy is None:
                    import cupy

                    self._cupy = cupy.ElementwiseKernel(
                        self.in_params, self.out_params, self.operation, self.name,
                        preamble=self.preamble, options=NVRTC_OPTIONS)
                kern = self._cupy
        return kern

    def bind(self, xp: Any) -> Callable[..., tuple]:
        """``fn(*ins, out=None) -> tuple of outputs`` on the backend namespace ``xp``: the
        CuPy kernel on CuPy, the Python twin elsewhere (``out`` may take the only output)."""
        if getattr(xp, "__name__", "") != "cupy":
            twin = self.python()

            def run_twin(*ins: Any, out: Any = None) -> tuple:
                res = twin(xp, *ins)
                if out is not None:
                    out[...] = res[0]
                    return (out,)
                return res

            return run_twin
        shape, avals, alloc, n_out = self.shape, self.out_avals, self._alloc_outs, len(
            self.out_avals)

        def run_cupy(*ins: Any, out: Any = None) -> tuple:
            if out is not None:
                outs = (out,)
            elif alloc:
                outs = tuple(xp.empty(shape, dtype=a.dtype) for a in avals)
            else:
                outs = ()
            res = self.cupy_kernel()(*ins, *outs)
            return res if n_out > 1 else (res,)

        return run_cupy

    def __call__(self, xp: Any, *ins: Any, out: Any = None) -> tuple:
        return self.bind(xp)(*ins, out=out)


def _as_array(xp: Any, x: Any, dtype: np.dtype) -> Any:
    # NumPy makes scalars of 0-d results; outputs are arrays of the declared dtype.
    if not hasattr(x, "shape") or isinstance(x, np.generic):
        x = xp.asarray(x)
    return x if x.dtype == dtype else x.astype(dtype)


# ---------------------------------------------------------------------------------------
# The primitive standing for a group in the jaxpr

fused_p = Primitive("fused_elementwise", multiple_results=True)
fused_p.def_impl(lambda xp, *ins, kernel: list(kernel(xp, *ins)))
fused_p.def_abstract_eval(lambda *avals, kernel: list(kernel.out_avals))


# ---------------------------------------------------------------------------------------
# Grouping


class _Group:
    __slots__ = ("members", "shape")

    def __init__(self, shape: tuple) -> None:
        self.members: list[int] = []
        self.shape = shape


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    """Whether NumPy's (and CuPy's) broadcasting takes ``shape`` to ``target``."""
    if len(shape) > len(target):
        return False
    return all(d in (1, t) for d, t in zip(shape[::-1], target[::-1]))


# Fused even alone: ``select`` costs CuPy two kernels as its own call (``cupy.where``
# copies the condition first; jit writes ``select(p, x, 0)`` as two bitwise passes), one
# as a kernel (the gradients of ReLU and max pooling).
ALONE = frozenset({"select"})


def find_groups(jaxpr: Jaxpr) -> list[list[int]]:
    """Maximal groups (equation indices, in order) of fusible equations; see the module text.

    Each group has two or more members, or is one equation of :data:`ALONE`; a fusible
    equation joins the groups of the
    fusible producers of its operands when they share its shape and no equation outside
    them, before it, reads their values.
    """
    consumers: dict[Var, list[int]] = {}
    producer: dict[Var, int] = {}
    for i, eqn in enumerate(jaxpr.eqns):
        for a in eqn.invars:
            if isinstance(a, Var):
                consumers.setdefault(a, []).append(i)
        for v in eqn.outvars:
            producer[v] = i
    group_of: dict[int, _Group] = {}
    for i, eqn in enumerate(jaxpr.eqns):
        if not _fusible(eqn):
            continue
        shape = eqn.outvars[0].aval.shape
        if any(isinstance(a, Var) and not _broadcasts_to(a.aval.shape, shape)
               for a in eqn.invars):
            continue
        producers = {id(g): g for a in eqn.invars if isinstance(a, Var)
                     for g in [group_of.get(producer.get(a, -1))] if g is not None}
        cands = [g for g in producers.values() if g.shape == shape]
        chosen: list[_Group] = []
        for g in cands:
            inside = {m for h in [*chosen, g] for m in h.members} | {i}
            if all(c > i or c in inside for m in g.members
                   for c in consumers.get(jaxpr.eqns[m].outvars[0], [])):
                chosen.append(g)
        group = chosen[0] if chosen else _Group(shape)
        for g in chosen[1:]:
            group.members.extend(g.members)
            for m in g.members:
                group_of[m] = group
        group.members.append(i)
        group.members.sort()
        group_of[i] = group
    seen, out = set(), []
    for g in group_of.values():
        if id(g) not in seen and (len(g.members) > 1
                                  or jaxpr.eqns[g.members[0]].prim.name in ALONE):
            seen.add(id(g))
            out.append(sorted(g.members))
    return sorted(out, key=lambda ms: ms[-1])


def fuse(jaxpr: Jaxpr, name: str = "jitted") -> Jaxpr:
    """``jaxpr`` with each group of :func:`find_groups` replaced by one ``fused_elementwise``
    equation (at its last member's place) whose ``kernel`` param is a :class:`FusedKernel`.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> jaxpr = fd.make_jaxpr(lambda x, b: fnp.tanh(x + b) * 2.0)(fnp.ones((2, 3)),
        ...                                                            fnp.ones((2, 3)))
        >>> fused = fuse(jaxpr, "f")
        >>> [e.prim.name for e in fused.eqns]
        ['fused_elementwise']
        >>> print(fused.eqns[0].params["kernel"].cuda_source)
        // f_fused0: add, tanh, mul
        // in:  float32 in0, float32 in1
        // out: float32 out0
        float t0 = (in0 + in1);
        float t1 = tanhf(t0);
        float t2 = (t1 * 2.0f);
        out0 = t2;
    """
    groups = [g for g in find_groups(jaxpr) if _reads_an_array(jaxpr, g)]
    if not groups:
        return jaxpr
    member_of = {m: k for k, g in enumerate(groups) for m in g}
    last = {g[-1]: k for k, g in enumerate(groups)}
    readers: dict[Var, set[int]] = {}
    for i, eqn in enumerate(jaxpr.eqns):
        for a in eqn.invars:
            if isinstance(a, Var):
                readers.setdefault(a, set()).add(i)
    returned = {v for v in jaxpr.outvars if isinstance(v, Var)}
    eqns: list[Eqn] = []
    for i, eqn in enumerate(jaxpr.eqns):
        if i not in member_of:
            eqns.append(eqn)
        elif i in last:
            k = last[i]
            eqns.append(_group_eqn(jaxpr, groups[k], f"{name}_fused{k}", readers, returned))
    return Jaxpr(list(jaxpr.constvars), list(jaxpr.invars), eqns, list(jaxpr.outvars),
                 list(jaxpr.consts))


def _reads_an_array(jaxpr: Jaxpr, members: list[int]) -> bool:
    """Whether the group reads a value made outside it (a kernel's loop needs an input)."""
    made = {jaxpr.eqns[m].outvars[0] for m in members}
    return any(isinstance(a, Var) and a not in made for m in members
               for a in jaxpr.eqns[m].invars)


def _group_eqn(jaxpr: Jaxpr, members: list[int], name: str, readers: dict,
               returned: set) -> Eqn:
    inside = set(members)
    made = {jaxpr.eqns[m].outvars[0] for m in members}
    ins: list[Var] = []
    for m in members:
        for a in jaxpr.eqns[m].invars:
            if isinstance(a, Var) and a not in made and a not in ins:
                ins.append(a)
    outs = [jaxpr.eqns[m].outvars[0] for m in members
            if jaxpr.eqns[m].outvars[0] in returned
            or readers.get(jaxpr.eqns[m].outvars[0], set()) - inside]
    kernel = FusedKernel(name, ins, outs, [jaxpr.eqns[m] for m in members])
    sources = [jaxpr.eqns[m].source for m in members if jaxpr.eqns[m].source]
    return Eqn(fused_p, list(ins), outs, {"kernel": kernel}, sources[-1] if sources else None)


def launches_saved(jaxpr: Jaxpr) -> int:
    """How many kernel launches fusion removes from ``jaxpr`` (members minus kernels)."""
    return sum(len(g) - 1 for g in find_groups(jaxpr))


def loop_size(kernel: FusedKernel) -> int:
    """Elements one launch of ``kernel`` computes."""
    return math.prod(kernel.shape)


del ShapedArray
