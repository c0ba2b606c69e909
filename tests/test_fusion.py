"""Elementwise fusion (jit's CuPy code generator), tested without a GPU.

The grouping and the wiring of each kernel are checked by running its Python twin (the
same group written over ``xp``) under ``fusion.forced()`` against eager evaluation; the
CUDA C it generates is checked against expected text, and compiled with NVRTC where
CuPy's NVRTC binding loads (it needs no GPU); ``test_gpu.py`` runs the kernels on a GPU.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import host

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax, nn, optim
from funcdiff.core.ir import Jaxpr
from funcdiff.transforms import fusion
from funcdiff.transforms.jit import jit


def kernels_of(fn, *args):
    """The fused kernels of ``fn`` and its fused jaxpr (jit's passes ran before fusion)."""
    jaxpr = jit(fn).lower(*args).optimized_jaxpr
    fused = fusion.fuse(jaxpr, "f")
    return [e.params["kernel"] for e in fused.eqns if e.prim is fusion.fused_p], fused


def names(fused: Jaxpr) -> list[str]:
    return [e.prim.name for e in fused.eqns]


# --- what is generated --------------------------------------------------------------------


def test_bias_add_and_tanh_become_one_kernel():
    ks, fused = kernels_of(lambda x, b: fnp.tanh(x + b), fnp.ones((4, 3)), fnp.ones(3))
    assert names(fused) == ["fused_elementwise"]
    (k,) = ks
    assert k.cuda_source == "\n".join([
        "// f_fused0: add, tanh",
        "// in:  float32 in0, float32 in1",
        "// out: float32 out0",
        "float t0 = (in0 + in1);",
        "float t1 = tanhf(t0);",
        "out0 = t1;",
    ])
    assert k.shape == (4, 3) and [a.shape for a in k.in_avals] == [(4, 3), (3,)]


def test_relu_forward_keeps_the_mask_for_the_backward_pass():
    def f(x, b):
        return fd.grad(lambda x: fnp.sum(nn.relu(x + b) ** 2))(x)

    ks, fused = kernels_of(f, fnp.ones((2, 3)), fnp.ones(3))
    assert names(fused) == ["fused_elementwise"]
    (k,) = ks
    assert k.prims[:3] == ["add", "max", "gt"] and len(k.prims) >= 5


def test_double_literals_and_integer_types():
    with fd.config.override(enable_x64=True):
        ks, _ = kernels_of(lambda x, i: (x * 0.1 + 1e-300, (i + 3) * 2),
                           fnp.ones(2, dtype=fnp.float64), fnp.ones(2, dtype=fnp.int64))
    texts = "\n".join(k.operation for k in ks)
    assert "double t0 = (in0 * 0.1);" in texts and "1e-300" in texts
    assert "long long t0 = (in0 + 3LL);" in texts and "long long t1 = (t0 * 2LL);" in texts


def test_logistic_integer_pow_and_convert_use_the_preamble():
    ks, _ = kernels_of(lambda x: lax.integer_pow(lax.logistic(x), 3).astype(fnp.int32) > 0,
                       fnp.ones(5))
    (k,) = ks
    assert k.prims == ["logistic", "integer_pow", "convert_element_type", "gt"]
    assert "_fd_logistic" in k.preamble and "_fd_ipow" in k.preamble
    assert k.operation.splitlines() == [
        "float t0 = _fd_logistic(in0);",
        "float t1 = _fd_ipow(t0, 3);",
        "int t2 = ((int)(t1));",
        "bool t3 = (t2 > 0);",
        "out0 = t3;",
    ]
    assert k.out_params == "bool out0"


def test_max_and_min_let_nan_win_as_numpy():
    ks, _ = kernels_of(lambda x, y: fnp.maximum(x, y) + fnp.minimum(x, y), fnp.ones(2),
                       fnp.ones(2))
    op = ks[0].operation
    assert "((in0 > in1 || in0 != in0) ? in0 : in1)" in op
    assert "((in0 < in1 || in0 != in0) ? in0 : in1)" in op


def test_c_literals():
    assert fusion.c_literal(float("nan"), "float32") == "__int_as_float(0x7fc00000)"
    assert fusion.c_literal(-float("inf"), "float64") == \
        "__longlong_as_double(0xfff0000000000000LL)"
    assert fusion.c_literal(-2**31, "int32") == "(-2147483647 - 1)"
    assert fusion.c_literal(7, "uint8") == "7u" and fusion.c_literal(7, "uint64") == "7ull"
    assert fusion.c_literal(1e-8, "float32") == "1e-08f"
    assert np.float32(float(fusion.c_literal(0.1, "float32")[:-1])) == np.float32(0.1)


# --- what is (not) grouped ------------------------------------------------------------------


def test_reductions_and_matmuls_end_groups():
    def f(x, w):
        h = fnp.exp(x) * 2.0
        return fnp.tanh(h @ w) + 1.0, fnp.sum(h)

    _, fused = kernels_of(f, fnp.ones((2, 2)), fnp.ones((2, 2)))
    assert names(fused).count("fused_elementwise") == 2
    assert "dot_general" in names(fused) and "reduce_sum" in names(fused)


def test_a_value_read_in_between_splits_the_group():
    # `a` is summed before `b` is computed from it and the sum: one kernel for both would
    # have to run before the sum (for a) and after it (for b).
    def f(x):
        a = x + 1.0
        s = fnp.sum(a)
        return a * s

    ks, fused = kernels_of(f, fnp.ones(3))
    assert ks == [] and "fused_elementwise" not in names(fused)


def test_values_read_later_become_extra_outputs():
    def f(x):
        a = fnp.exp(x)
        b = a + 1.0
        return b * 2.0, fnp.sum(a)

    (k,), fused = kernels_of(f, fnp.ones(3))
    assert k.prims == ["exp", "add", "mul"] and len(k.out_avals) == 2
    assert names(fused) == ["fused_elementwise", "reduce_sum"]


def test_what_cannot_fuse():
    ints = fnp.arange(4, dtype=fnp.int32)
    _, fused = kernels_of(lambda i: (i // 2) + (i % 3), ints)  # integer div / rem
    assert "div" in names(fused) and "rem" in names(fused)
    half = fnp.ones(3, dtype=fnp.float16)
    ks, _ = kernels_of(lambda x: fnp.exp(x) * x, half)  # no native float16 math
    assert ks == []
    ks, _ = kernels_of(lambda x: fnp.exp(fnp.sin(x)), fnp.ones((2, 2)))
    assert [k.prims for k in ks] == [["sin", "exp"]]


def test_single_operations_stay_as_they_are():
    _, fused = kernels_of(lambda x: fnp.exp(x), fnp.ones(3))
    assert names(fused) == ["exp"]


def test_a_select_alone_is_a_kernel():
    # (one launch, where CuPy's where or jit's masking make two)
    p, x = fnp.array([True, False, True]), _x(3)
    ks, fused = kernels_of(lambda p, x: fnp.where(p, x, 0.0), p, x)
    assert names(fused) == ["fused_elementwise"] and [k.prims for k in ks] == [["select"]]
    assert fusion.launches_saved(jit(lambda p, x: fnp.where(p, x, 0.0)).lower(
        p, x).optimized_jaxpr) == 0
    with fusion.forced():
        got = jit(lambda p, x: fnp.where(p, x, 0.0))(p, x)
    np.testing.assert_array_equal(host(got), np.where(host(p), host(x), 0.0))


# --- the Python twin runs each group: jit with fusion forced agrees with eager ----------------

RNG = np.random.default_rng(0)


def _x(*shape):
    return fnp.asarray(RNG.normal(size=shape).astype(np.float32))


CORPUS = {
    "bias_tanh": (lambda x, b: fnp.tanh(x @ x.T + b) * 0.5, (_x(4, 4), _x(4))),
    "relu_grad": (lambda x, b: fd.grad(lambda x: fnp.sum(nn.relu(x + b) ** 2))(x),
                  (_x(3, 5), _x(5))),
    "softmax_xent": (lambda z, y: fd.value_and_grad(
        lambda z: nn.cross_entropy(z, y))(z), (_x(6, 4), fnp.array([0, 1, 2, 3, 0, 1]))),
    "logistic_chain": (lambda x: nn.sigmoid(x) * (1 - nn.sigmoid(x)) + fnp.log1p(
        fnp.exp(-fnp.abs(x))), (_x(7),)),
    "select_cmp": (lambda x, y: fnp.where((x > y) & (x > 0), x * y, -y) - fnp.sign(x),
                   (_x(3, 3), _x(3, 3))),
    "nan_max": (lambda x: fnp.maximum(x, fnp.where(x > 0, fnp.nan, 0.0)) + fnp.minimum(x, 1.0),
                (_x(6),)),
    "convert": (lambda x: (x * 3).astype(fnp.int32) + (x > 0).astype(fnp.int32) * 2,
                (_x(8),)),
    "integer_pow": (lambda x: lax.integer_pow(x, -2) + lax.integer_pow(x, 5) + x ** 0,
                    (_x(5) + 3.0,)),
    "erf_gelu": (lambda x: nn.gelu(x, approximate=False) * fnp.tanh(x), (_x(9),)),
    "scalar_loop": (lambda s: (s * 2.0 + 1.0) ** 2 / (s - 5.0), (fnp.float32(1.5),)),
    "broadcast_views": (lambda x, c: fnp.exp(x[:, None] - c) * x[:, None], (_x(3), _x(3, 4))),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_fused_jit_agrees_with_eager(name):
    fn, args = CORPUS[name]
    want = fn(*args)
    with fusion.forced():
        f = jit(fn)
        got = f(*args)
        kernels = f.lower(*args).kernels
    for g, w in zip(fd.tree.leaves(got), fd.tree.leaves(want), strict=True):
        np.testing.assert_allclose(host(g), host(w), rtol=2e-6, atol=2e-6)
    if name != "broadcast_views":
        assert kernels, f"{name}: nothing was fused"


def test_adam_mlp_step_fuses_the_optimizer_and_activations():
    class MLP(nn.Module):
        def __init__(self, *, key):
            k1, k2 = fd.random.split(key)
            self.fc1 = nn.Linear(16, 32, key=k1)
            self.fc2 = nn.Linear(32, 4, key=k2)

        def __call__(self, x):
            return self.fc2(nn.relu(self.fc1(x)))

    model = MLP(key=fd.random.key(0))
    opt = optim.adam(1e-2)

    def step(model, state, x, y):
        loss, g = fd.value_and_grad(lambda m: nn.cross_entropy(m(x), y))(model)
        updates, state = opt.update(g, state, model)
        return optim.apply_updates(model, updates), state, loss

    x, y = _x(8, 16), fnp.asarray(RNG.integers(0, 4, 8))
    state = opt.init(model)
    want = step(model, state, x, y)
    with fusion.forced():
        fused_step = jit(step)
        got = fused_step(model, state, x, y)
        lowered = fused_step.lower(model, state, x, y)
    for g, w in zip(fd.tree.leaves(got), fd.tree.leaves(want), strict=True):
        np.testing.assert_allclose(host(g), host(w), rtol=1e-5, atol=1e-6)
    saved = fusion.launches_saved(lowered.optimized_jaxpr)
    # Each parameter's Adam update (moments, bias correction, step) is one kernel.
    assert saved >= 40 and len(lowered.kernels) <= 16
    assert "fused elementwise kernels" in lowered.as_text()
    assert any(k.prims[:2] == ["add", "max"] for k in lowered.kernels)  # bias + ReLU


def test_generated_lines_call_the_kernels_with_recycled_buffers():
    with fusion.forced():
        lowered = jit(lambda x: fnp.tanh(fnp.exp(x) * 2.0 + 1.0)).lower(fnp.ones(8))
    body = lowered.source.splitlines()[1:]
    assert body[0].startswith("    b, = _fk0(a)  # fused_elementwise")
    with fusion.forced():
        lowered = jit(lambda x: fnp.tanh(x * 2.0 + 1.0), donate_argnums=0).lower(fnp.ones(8))
    assert lowered.source.splitlines()[1].startswith("    b, = _fk0(a, out=a)")


def test_debug_nans_keeps_every_operation_apart():
    with fusion.forced(), fd.config.override(debug_nans=True):
        lowered = jit(lambda x: fnp.exp(x) * 2.0 + 1.0).lower(fnp.ones(3))
    assert lowered.kernels == [] and "_exp" in lowered.source


def test_fusion_is_on_for_cupy_only_unless_asked(monkeypatch):
    class FakeCupy:
        name = "cupy"

    class FakeNumpy:
        name = "numpy"

    monkeypatch.delenv("FUNCDIFF_FUSION", raising=False)
    assert fusion.enabled(FakeCupy()) and not fusion.enabled(FakeNumpy())
    monkeypatch.setenv("FUNCDIFF_FUSION", "0")
    assert not fusion.enabled(FakeCupy())
    monkeypatch.setenv("FUNCDIFF_FUSION", "1")
    assert fusion.enabled(FakeNumpy())
    with fusion.forced(False):
        assert not fusion.enabled(FakeNumpy())


def test_fused_equation_evaluates_outside_jit():
    _, fused = kernels_of(lambda x: fnp.exp(x) * 2.0 + 1.0, fnp.ones(3))
    from funcdiff.core.tracing import eval_jaxpr

    (out,) = eval_jaxpr(fused, fused.consts, fnp.zeros(3))
    np.testing.assert_allclose(host(out), [3.0, 3.0, 3.0])


# --- the CUDA C compiles (NVRTC needs no GPU; skipped where CuPy's binding is missing) --------


def _nvrtc():
    try:
        from cupy_backends.cuda.libs import nvrtc

        nvrtc.getVersion()
        return nvrtc
    except Exception:  # no CuPy, or no NVRTC library
        return None


def _nvrtc_arch(nvrtc) -> str:
    """``-arch`` for the oldest architecture from compute_70 on that this NVRTC accepts:
    CUDA 13 dropped compute_70, and compute_75 is accepted by CUDA 11.x to 13."""
    try:
        archs = [int(a) for a in nvrtc.getSupportedArchs() if int(a) >= 70]
    except Exception:  # a binding without nvrtcGetSupportedArchs (CUDA < 11.2)
        archs = []
    return f"-arch=compute_{min(archs, default=75)}"


def _harness(k: fusion.FusedKernel) -> str:
    """The kernel as CuPy's ElementwiseKernel wraps it, simplified to flat arrays."""
    params, decls = [], []
    for i, a in enumerate(k.in_avals):
        t = fusion.c_type(a.dtype)
        params.append(f"const {t}* in{i}_p")
        decls.append(f"const {t} in{i} = in{i}_p[i];")
    for i, a in enumerate(k.out_avals):
        t = fusion.c_type(a.dtype)
        params.append(f"{t}* out{i}_p")
        decls.append(f"{t} &out{i} = out{i}_p[i];")
    return "\n".join([
        k.preamble, f'extern "C" __global__ void {k.name}({", ".join(params)}, long long n) {{',
        "long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;",
        "if (i >= n) return;", *decls, k.operation, "}"])


def _every_kind_of_kernel() -> list[fusion.FusedKernel]:
    out = []
    with fd.config.override(enable_x64=True):
        for dt in (fnp.float32, fnp.float64):
            x = fnp.ones(4, dtype=dt)
            for fn in [*(v[0] for v in CORPUS.values() if v[1][0].ndim <= 1 and len(v[1]) == 1),
                       lambda x: (fnp.sqrt(x) + fnp.cbrt(x) + fnp.expm1(x) + fnp.arctan2(x, x)
                                  + fnp.floor(x) + fnp.ceil(x) + lax.rsqrt(x) + x % 2.0
                                  + fnp.arcsinh(x) + lax.erf_inv(x * 0.1) + x ** x),
                       lambda x: fnp.isfinite(x) & ~(x < 1) | (x == 2) ^ (x != 3)]:
                out += kernels_of(fn, x)[0]
        for dt in (fnp.int8, fnp.uint8, fnp.int32, fnp.uint32, fnp.int64):
            i = fnp.ones(4, dtype=dt)
            out += kernels_of(lambda i: fnp.maximum(i * 3 - 1, -i) & (i | 2) ^ ~i, i)[0]
            out += kernels_of(lambda i: fnp.abs(i + 1) * fnp.sign(i), i)[0]
    return out


@pytest.mark.skipif(_nvrtc() is None, reason="CuPy's NVRTC binding is not available")
def test_every_generated_kernel_compiles_with_nvrtc():
    nvrtc = _nvrtc()
    kernels = _every_kind_of_kernel()
    assert len(kernels) > 10
    arch = _nvrtc_arch(nvrtc)
    for k in kernels:
        prog = nvrtc.createProgram(_harness(k), f"{k.name}.cu", (), ())
        try:
            nvrtc.compileProgram(prog, (arch, "--std=c++11", *fusion.NVRTC_OPTIONS))
        except Exception:
            pytest.fail(f"{k!r} does not compile:\n{nvrtc.getProgramLog(prog)}\n"
                        f"{_harness(k)}")


def test_kernel_kinds_cover_the_table():
    prims = {p for k in _every_kind_of_kernel() for p in k.prims}
    assert {"exp", "log1p", "tanh", "logistic", "integer_pow", "max", "min", "select",
            "convert_element_type", "and", "or", "xor", "not", "sign", "abs", "rem", "pow",
            "erf", "erf_inv", "is_finite", "rsqrt", "atan2"} <= prims
    assert math.isfinite(fusion.loop_size(_every_kind_of_kernel()[0]))
