"""Sphinx configuration of hmmkit's documentation site (built from this folder).

Build: ``sphinx-build -W --keep-going -b html docs out/docs`` (warnings are errors, so a
broken reference or a docstring Sphinx cannot read fails the build; a test runs it).
"""

from __future__ import annotations

import hmmkit

project = "hmmkit"
author = "the hmmkit authors"
release = version = hmmkit.__version__
copyright = "hmmkit authors; data sets: see data/*/NOTICE.md"  # noqa: A001 - Sphinx's name

extensions = [
    "myst_parser",  # the pages are Markdown, as they read on a code host
    "sphinx.ext.autodoc",  # the API reference, from the docstrings
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
html_theme = "furo"
html_title = f"hmmkit {release}"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {
    "members": True,
    "inherited-members": "BaseException,dict",  # the HMM methods live in a base class
    "show-inheritance": True,
}
nitpicky = False
