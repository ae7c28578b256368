"""Sphinx configuration of the flask-oauth2login documentation.

The API reference is read from the docstrings (autodoc); the configuration
reference, the presets page and the error reference are generated from the
package itself at build time by the small extension in ``_ext/``, so none of
them can drift from the code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
# A source checkout builds without installing the package first.
sys.path.insert(1, str(HERE.parent))

import flask_oauth2login  # noqa: E402

project = "flask-oauth2login"
author = "The flask-oauth2login team"
copyright = "The flask-oauth2login team"  # noqa: A001
release = flask_oauth2login.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "oauth2login_docs",
]

exclude_patterns = ["_build"]
root_doc = "index"

html_theme = "furo"
html_title = f"flask-oauth2login {release}"
html_static_path: list[str] = []

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

# Links to Flask's, Werkzeug's and requests' own documentation. Fetching their
# inventories needs the network, which CI and offline builds do not have, and a
# failed fetch is a warning (an error with -W). So the inventories are fetched only
# where the network is there for it: on Read the Docs (READTHEDOCS is set), or
# when OAUTH2LOGIN_DOCS_INTERSPHINX=1. Without them, references to those projects
# render as plain text (nitpicky is off), and the build stays clean.
if os.environ.get("READTHEDOCS") or os.environ.get("OAUTH2LOGIN_DOCS_INTERSPHINX"):
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3/", None),
        "flask": ("https://flask.palletsprojects.com/en/stable/", None),
        "werkzeug": ("https://werkzeug.palletsprojects.com/en/stable/", None),
        "requests": ("https://requests.readthedocs.io/en/latest/", None),
    }
else:
    intersphinx_mapping = {}
intersphinx_timeout = 10
