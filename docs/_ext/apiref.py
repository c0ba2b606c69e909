"""The ``api-module`` directive: one reference section per public funcdiff module.

``.. api-module:: funcdiff.numpy`` documents every public name of the module: the names in
its ``__all__``, or, where it has none, every name not starting with ``_`` that is defined
in the module's package (or in a package named by ``:public-from:``), plus its constants.
Names are grouped by the submodule that defines them, each group an autosummary table
followed by the full autodoc entries, so the reference cannot fall behind the code: a new
function appears on the next build, and a name that fails to import fails the build.
Primitive objects (``sin_p``…) are listed by name; their rules live beside them in the code.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

# Titles of the groups, by the last component of the defining module.
GROUP_TITLES = {
    "array": "Arrays", "creation": "Array creation", "ufuncs": "Elementwise math",
    "floating": "Floating point", "reductions": "Reductions", "statistics": "Statistics",
    "shapes": "Shapes", "manipulation": "Array manipulation", "indexing": "Indexing",
    "products": "Products", "einsum": "einsum", "sorting": "Sorting and searching",
    "scalar_types": "Scalar types (dtypes)", "dtypes": "dtype information",
    "elementwise": "Elementwise operations", "dot": "Matrix products", "conv": "Convolutions",
    "windowed": "Windowed reductions (pooling)", "conditionals": "Control flow: branches",
    "loops": "Control flow: loops", "while_loops": "Control flow: while loops",
    "common": "Control flow", "decompositions": "Decompositions", "linalg": "Linear algebra",
    "alias": "Optimizers", "base": "Building blocks", "transform": "Transformations",
    "clipping": "Clipping", "combine": "Combinators", "schedules": "Schedules",
    "update": "Utilities", "dataset": "Datasets", "loader": "Loading", "collate": "Collation",
    "keys": "Keys", "distributions": "Distributions", "ad_api": "Differentiation",
    "vmap": "Vectorization", "jit": "Compilation", "builder": "Inspecting programs",
    "custom": "Custom derivative rules", "checkpoint": "Rematerialization",
    "devices": "Devices", "checkpoint_io": "Saving and loading", "testing": "Testing",
    "config": "Configuration", "tracing": "Errors", "ir": "The IR",
}

# Names whose defining module would file them under a less telling title.
NAME_GROUPS = {
    ("funcdiff", "stop_gradient"): "Differentiation",
    ("funcdiff", "Jaxpr"): "Inspecting programs",
    ("funcdiff", "config"): "Configuration",
    ("funcdiff", "ConcretizationTypeError"): "Errors",
    ("funcdiff", "UnexpectedTracerError"): "Errors",
}
# Groups shown first on a module's page, in this order; the others follow alphabetically.
FIRST_GROUPS = ["General", "Differentiation", "Vectorization", "Compilation", "Arrays",
                "Array creation", "Elementwise math", "Elementwise operations", "Keys",
                "Optimizers", "Datasets", "Module", "Linear", "Convolutions"]

# A line for data that carries no docstring of its own.
DATA_DOCS = {
    "pi": "The constant π (a Python float).", "e": "Euler's number e (a Python float).",
    "inf": "Positive infinity (a Python float).", "nan": "Not a number (a Python float).",
    "euler_gamma": "The Euler–Mascheroni constant γ (a Python float).",
    "newaxis": "``None``: insert a new axis when indexing (``x[:, fnp.newaxis]``).",
    "s_": "NumPy's index expression builder: ``fnp.s_[1:3]`` is ``slice(1, 3)``.",
    "index_exp": "NumPy's index expression builder, always returning a tuple.",
}


def public_names(mod: types.ModuleType, prefixes: list[str]) -> list[str]:
    """The module's public names: ``__all__``, or what it defines under ``prefixes``."""
    if hasattr(mod, "__all__"):
        return [n for n in mod.__all__
                if not isinstance(getattr(mod, n), types.ModuleType)]
    names = []
    for n in sorted(vars(mod)):
        obj = getattr(mod, n)
        if n.startswith("_") or isinstance(obj, types.ModuleType):
            continue
        if inspect.isclass(obj) or inspect.isroutine(obj):
            if any(obj.__module__.startswith(p) for p in prefixes):
                names.append(n)
        elif type(obj).__module__ not in ("__future__", "typing"):
            names.append(n)
    return names


def _kind(obj: object) -> str:
    if type(obj).__name__ == "Primitive":
        return "primitive"
    if not getattr(obj, "__module__", None) or not obj.__module__.startswith("funcdiff"):
        return "data"  # re-exported from NumPy: its docstring is NumPy's, not ours
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if inspect.isroutine(obj) or (callable(obj) and hasattr(obj, "__name__")):
        return "function"
    return "data"


def _data_doc(name: str, obj: object) -> list[str]:
    """The description of a constant: a known line, or its funcdiff type's docstring."""
    if name in DATA_DOCS:
        return [DATA_DOCS[name]]
    cls = type(obj)
    if cls.__module__.startswith("funcdiff") and cls.__doc__:
        return inspect.cleandoc(cls.__doc__).splitlines()
    return ["Re-exported from NumPy, as in ``jax.numpy``."]


def _defining_submodule(mod_name: str, name: str, obj: object) -> str | None:
    """The submodule of ``mod_name`` that holds ``obj`` under ``name``, for objects whose
    ``__module__`` names the package itself (made by a factory, e.g. the scalar types)."""
    for sub in sorted(m for m in sys.modules if m.startswith(mod_name + ".")):
        if any(v is obj for v in vars(sys.modules[sub]).values()):
            return sub
    return None


def _group(mod_name: str, name: str, obj: object, kind: str) -> str:
    if (mod_name, name) in NAME_GROUPS:
        return NAME_GROUPS[(mod_name, name)]
    if kind in ("primitive", "data"):
        return "Objects and constants" if kind == "data" else "Primitives"
    owner = getattr(obj, "__module__", None) or mod_name
    if owner == mod_name:
        owner = _defining_submodule(mod_name, name, obj) or owner
    last = owner.rsplit(".", 1)[-1]
    if owner == mod_name or last == "__init__":
        return "General"
    return GROUP_TITLES.get(last, last.replace("_", " ").capitalize())


def _alias_of(name: str, obj: object, names: dict[int, str]) -> str | None:
    """The public name this one repeats (``fnp.absolute`` is ``fnp.abs``), if any."""
    canonical = names.get(id(obj))
    return canonical if canonical is not None and canonical != name else None


def _top_level_name(name: str, obj: object) -> str | None:
    """``funcdiff.X`` when this is another name for the top-level ``fd.X`` (``fnp.ndarray``
    is ``fd.Array``)."""
    import funcdiff

    own = getattr(obj, "__name__", name)
    if own != name and getattr(funcdiff, own, None) is obj:
        return f"~funcdiff.{own}"
    return None


class ApiModule(SphinxDirective):
    """``.. api-module:: funcdiff.numpy`` with optional ``:public-from:`` prefixes,
    ``:exclude:`` names and ``:no-members:`` classes (documented without their methods)."""

    required_arguments = 1
    option_spec = {
        "public-from": directives.unchanged,
        "exclude": directives.unchanged,
        "no-members": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        mod_name = self.arguments[0]
        try:
            mod = importlib.import_module(mod_name)
        except Exception as exc:  # the build must fail loudly, naming the module
            raise self.error(f"api-module: cannot import {mod_name}: {exc!r}") from exc
        if getattr(mod, "__file__", None) is None:
            raise self.error(f"api-module: {mod_name} is not a package yet (no __init__.py)")
        prefixes = self.options.get("public-from", mod_name).split()
        exclude = set(self.options.get("exclude", "").split())
        bare = set(self.options.get("no-members", "").split())
        groups: dict[str, list[tuple[str, str, object]]] = {}
        names = [n for n in public_names(mod, prefixes) if n not in exclude]
        # Each object's canonical name: its own __name__ when that is public, else the first.
        canonical: dict[int, str] = {}
        for name in names:
            obj = getattr(mod, name)
            if getattr(obj, "__name__", None) == name or id(obj) not in canonical:
                canonical[id(obj)] = name
        for name in names:
            obj = getattr(mod, name)
            kind = _kind(obj)
            group = _group(mod_name, name, obj, kind)
            if kind in ("class", "exception", "function"):
                if _alias_of(name, obj, canonical):
                    kind = "alias:" + canonical[id(obj)]
                elif mod_name != "funcdiff" and _top_level_name(name, obj):
                    kind = "alias:" + _top_level_name(name, obj)
            groups.setdefault(group, []).append((name, kind, obj))
        if getattr(mod, "__file__", None):
            self.env.note_dependency(mod.__file__)
        lines = [f".. currentmodule:: {mod_name}", ""]
        rank = {g: i for i, g in enumerate(FIRST_GROUPS)}
        order = sorted(groups, key=lambda g: (
            rank.get(g, len(rank)), g in ("Objects and constants", "Primitives"), g))
        for title in order:
            lines += self._group_lines(title, groups[title], bare)
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source=mod_name), node)
        return node.children

    def _group_lines(self, title: str, entries: list, bare: set) -> list[str]:
        lines = [f".. rubric:: {title}", ""]
        if title == "Primitives":
            names = ", ".join(f"``{n}``" for n, _, _ in entries)
            return lines + [
                "The primitive objects behind the functions above, for writing rules and "
                "reading jaxprs (see the *Inside funcdiff* tutorial): " + names + ".", ""]
        lines += [".. autosummary::", "   :nosignatures:", ""]
        lines += [f"   {n}" for n, _, _ in entries] + [""]
        for name, kind, obj in entries:
            if kind.startswith("alias:"):
                target = kind.split(":", 1)[1]
                role = "class" if inspect.isclass(obj) else "func"
                lines += [f".. py:data:: {name}", "", f"   Alias of :py:{role}:`{target}`.", ""]
                continue
            if kind == "data":
                lines += [f".. py:data:: {name}", ""]
                lines += [f"   {line}" if line else "" for line in _data_doc(name, obj)]
                lines += [""]
                continue
            directive = {"class": "autoclass", "exception": "autoexception"}.get(
                kind, "autofunction")
            lines += [f".. {directive}:: {name}"]
            if kind in ("class", "exception") and name in bare:
                lines += ["   :no-members:"]
            lines += [""]
        return lines


def _skip_namedtuple_fields(app, what, name, obj, skip, options):  # noqa: ARG001
    doc = getattr(obj, "__doc__", None) or ""
    if doc.startswith("Alias for field number"):
        return True
    return None


def setup(app):
    app.add_directive("api-module", ApiModule)
    app.connect("autodoc-skip-member", _skip_namedtuple_fields)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
