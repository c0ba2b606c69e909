"""Sphinx configuration for the funcdiff documentation."""

project = "funcdiff"
author = "the funcdiff developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.autosummary"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
html_theme = "furo"
exclude_patterns = ["_build"]
