"""Sphinx configuration for the funcdiff documentation.

Build the site with ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (after
``pip install -e ".[docs]"``). The tutorials under ``tutorials/`` are MyST notebooks that
myst-nb executes on every build, so each output and figure comes from the current code; a
cell that raises fails the build. The API reference is generated from the docstrings by the
``api-module`` directive of ``_ext/apiref.py``.
"""

import os
import sys

sys.path.insert(0, os.path.abspath("_ext"))

project = "funcdiff"
author = "the funcdiff developers"
copyright = "the funcdiff developers"
release = version = "0.1.0"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "apiref",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "_generated", "jupyter_execute", "README.md", "**.ipynb_checkpoints"]
html_theme = "furo"
html_title = "funcdiff"
html_static_path = ["_static"]
html_css_files = ["custom.css"]

# --- MyST and notebook execution ---------------------------------------------------------
myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "force"            # run every tutorial on every build
nb_execution_raise_on_error = True     # a failing cell fails the build
nb_execution_timeout = 300             # seconds per cell
nb_execution_show_tb = True            # print the traceback of a failing cell in the log
nb_merge_streams = True

# --- API reference -----------------------------------------------------------------------
autodoc_default_options = {"members": True, "undoc-members": False, "member-order": "bysource"}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autosummary_generate = False
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
add_module_names = False


def _always_reread(app, env, added, changed, removed):
    """Re-read the tutorials and the API pages on every build, even an incremental one, so
    that their outputs and entries always come from the current code."""
    return [d for d in env.found_docs if d.startswith(("tutorials/", "api/"))]


def setup(app):
    app.connect("env-get-outdated", _always_reread)
