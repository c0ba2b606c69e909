"""Checks of the built documentation site (``docs/_build/html``).

The site is built by ``sphinx-build -W --keep-going -b html docs docs/_build/html``, which
executes every tutorial (a failing cell fails the build). These tests then check what a
reader gets: every tutorial page exists with its figures, no cell shows an error or stray
stderr output, and every public name of the API contract has an entry in the reference.
Building takes minutes, so the plain test suite does not do it: without a built site the
tests skip; ``.ci/run`` builds the site and runs them.
"""

from __future__ import annotations

import html
import importlib
import pathlib
import re
import sys
import zlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SITE = DOCS / "_build" / "html"
TUTORIALS = sorted((DOCS / "tutorials").glob("*.md"))

BUILD = "`sphinx-build -W --keep-going -b html docs docs/_build/html` (pip install -e \".[docs]\")"


def _newest_source() -> float:
    """The latest change to what the site is built from: the docs and the package."""
    files = [*DOCS.glob("**/*.md"), *DOCS.glob("**/*.py"), *(ROOT / "funcdiff").glob("**/*.py")]
    return max(f.stat().st_mtime for f in files if "_build" not in f.parts)


def _site_state() -> str | None:
    """Why the checks cannot run (no site, or one older than the sources), or None."""
    inventory = SITE / "objects.inv"
    if not (SITE / "index.html").exists() or not inventory.exists():
        return f"the documentation site is not built; build it with {BUILD} to run these checks"
    if inventory.stat().st_mtime < _newest_source():
        return f"the built site is older than the sources; rebuild it with {BUILD}"
    return None


pytestmark = pytest.mark.skipif(_site_state() is not None, reason=str(_site_state()))

# The public names that DESIGN.md promises, by module (each must have a reference entry).
CONTRACT = {
    "funcdiff": [
        "Array", "grad", "value_and_grad", "jvp", "vjp", "linearize", "jacfwd", "jacrev",
        "hessian", "vmap", "jit", "make_jaxpr", "custom_jvp", "custom_vjp", "stop_gradient",
        "checkpoint", "devices", "device_put", "device_get", "config", "save", "load",
        "check_grads",
    ],
    "funcdiff.numpy": [
        "array", "asarray", "zeros", "ones", "full", "zeros_like", "ones_like", "full_like",
        "arange", "linspace", "eye", "sum", "mean", "max", "min", "prod", "var", "std",
        "argmax", "argmin", "all", "any", "reshape", "transpose", "swapaxes", "moveaxis",
        "expand_dims", "squeeze", "concatenate", "stack", "split", "tile", "repeat",
        "broadcast_to", "pad", "flip", "where", "take", "take_along_axis", "matmul", "dot",
        "tensordot", "einsum", "outer", "cumsum", "sort", "argsort", "clip", "maximum",
        "minimum", "float32", "float64", "int32", "exp", "log", "sin", "tanh", "equal",
    ],
    "funcdiff.numpy.linalg": ["norm", "inv", "solve", "det", "cholesky"],
    "funcdiff.lax": [
        "add", "mul", "dot_general", "conv_general_dilated", "reduce_window", "select",
        "cond", "switch", "scan", "while_loop", "fori_loop",
    ],
    "funcdiff.random": [
        "key", "PRNGKey", "split", "fold_in", "uniform", "normal", "truncated_normal",
        "bernoulli", "randint", "categorical", "permutation", "choice",
    ],
    "funcdiff.tree": [
        "map", "leaves", "structure", "flatten", "unflatten", "reduce",
        "register_pytree_node", "register_dataclass", "flatten_with_path", "map_with_path",
    ],
    "funcdiff.nn": [
        "Module", "Linear", "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm",
        "LayerNorm", "Dropout", "Embedding", "MultiheadAttention", "Sequential", "relu",
        "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax", "logsumexp", "one_hot",
        "mse_loss", "cross_entropy", "binary_cross_entropy", "init",
    ],
    "funcdiff.optim": [
        "GradientTransformation", "apply_updates", "chain", "sgd", "adam", "adamw",
        "rmsprop", "adagrad", "lion", "clip", "clip_by_global_norm", "add_decayed_weights",
        "scale_by_adam", "masked", "constant_schedule", "exponential_decay",
        "cosine_decay_schedule", "warmup_cosine_decay_schedule", "piecewise_constant_schedule",
    ],
    "funcdiff.data": ["Dataset", "ArrayDataset", "DataLoader", "datasets", "transforms"],
}
# Public names that are submodules: each has its own section (checked below), not an entry.
MODULE_NAMES = {("funcdiff.nn", "init"), ("funcdiff.data", "datasets"),
                ("funcdiff.data", "transforms")}


def _page(path: pathlib.Path) -> str:
    return path.read_text(encoding="utf-8")


def _inventory() -> dict[str, str]:
    """``objects.inv`` as {full name: role}, read without Sphinx (a zlib-compressed text)."""
    raw = (SITE / "objects.inv").read_bytes()
    header_end = 0
    for _ in range(4):  # four '#' header lines, then the compressed body
        header_end = raw.index(b"\n", header_end) + 1
    body = zlib.decompress(raw[header_end:]).decode("utf-8")
    out = {}
    for line in body.splitlines():
        m = re.match(r"(.+?)\s+(\S+:\S+)\s+-?\d+\s", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def _tutorial_html(md: pathlib.Path) -> pathlib.Path:
    return SITE / "tutorials" / (md.stem + ".html")


def test_every_tutorial_is_built_and_linked_from_the_index():
    assert TUTORIALS, "no tutorials found under docs/tutorials"
    index = _page(SITE / "index.html")
    for md in TUTORIALS:
        page = _tutorial_html(md)
        assert page.exists(), f"{md.name} has no built page {page.relative_to(ROOT)}"
        assert f"tutorials/{md.stem}.html" in index, f"the index does not link {md.name}"


@pytest.mark.parametrize("md", TUTORIALS, ids=lambda p: p.name)
def test_tutorial_ran_without_errors(md):
    text = _page(_tutorial_html(md))
    cells = re.findall(r"^```\{code-cell\}", _page(md), re.M)
    assert len(cells) > 0, f"{md.name} has no executed code cells"
    outputs = text.count('class="cell_output')
    assert outputs > 0, f"{md.name}: no cell output in the built page (was it executed?)"
    for bad in ("output traceback", "output error", "output stderr"):
        assert bad not in text, f"{md.name}: a cell printed an error or stderr ({bad!r})"
    assert "Traceback (most recent call last)" not in html.unescape(text), md.name


@pytest.mark.parametrize("md", TUTORIALS, ids=lambda p: p.name)
def test_tutorial_figures_are_there(md):
    wanted = len(re.findall(r"^\s*plt\.show\(\)", _page(md), re.M))
    text = _page(_tutorial_html(md))
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', text)
    assert len(images) >= wanted, (
        f"{md.name} shows {wanted} figure(s) but its page has {len(images)} image(s)")
    for src in images:
        path = (_tutorial_html(md).parent / src).resolve()
        assert path.exists() and path.stat().st_size > 1000, f"{md.name}: missing image {src}"


def test_no_execution_failure_reports():
    reports = list((SITE / "reports").glob("*.log")) if (SITE / "reports").exists() else []
    assert not reports, f"myst-nb left execution failure reports: {reports}"


def test_guides_and_api_pages_are_built():
    for name in ["vmap", "jit", "random", "nn", "optim"]:
        if (DOCS / f"{name}.md").exists():
            assert (SITE / f"{name}.html").exists(), f"guide {name}.md was not built"
    for name in ["index", "funcdiff", "numpy", "lax", "random", "tree", "nn", "optim", "data"]:
        assert (SITE / "api" / f"{name}.html").exists(), f"API page api/{name} was not built"


@pytest.mark.parametrize("module", sorted(CONTRACT))
def test_contract_names_have_reference_entries(module):
    inventory = _inventory()
    missing = [n for n in CONTRACT[module] if (module, n) not in MODULE_NAMES
               and f"{module}.{n}" not in inventory]
    assert not missing, f"no API reference entry for {module}: {missing}"


REFERENCE_MODULES = [
    "funcdiff", "funcdiff.numpy", "funcdiff.numpy.linalg", "funcdiff.lax", "funcdiff.lax.linalg",
    "funcdiff.random", "funcdiff.tree", "funcdiff.nn", "funcdiff.nn.init", "funcdiff.optim",
    "funcdiff.data", "funcdiff.data.transforms", "funcdiff.data.datasets",
]


@pytest.mark.parametrize("module", REFERENCE_MODULES)
def test_every_public_name_has_a_reference_entry(module):
    pytest.importorskip("sphinx", reason="the docs extra is not installed")
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        apiref = importlib.import_module("apiref")
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    mod = importlib.import_module(module)
    prefixes = ["funcdiff", "numpy"] if module == "funcdiff.numpy" else [module]
    names = [n for n in apiref.public_names(mod, prefixes)
             if type(getattr(mod, n)).__name__ != "Primitive"]
    inventory = _inventory()
    missing = [n for n in names if f"{module}.{n}" not in inventory]
    assert not missing, (f"public names of {module} without a reference entry (rebuild the "
                         f"site, or check docs/api/): {missing}")
