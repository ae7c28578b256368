"""Every name the README, the documentation and the public contract document can be
imported where they say.

The README's and the documentation's examples are read from their code blocks: each
``from flask_oauth2login... import ...`` line and each ``flask_oauth2login.x.y``
path in its text. The contract's names are listed here, since they are
promises whatever the README says this week.
"""

from __future__ import annotations

import ast
import importlib
import re
import typing as t
from pathlib import Path

import pytest

import flask_oauth2login

ROOT = Path(__file__).resolve().parents[1]

#: What the public contract names: a module, and the names users import from it.
CONTRACT: dict[str, tuple[str, ...]] = {
    "flask_oauth2login": (
        "OAuth2Login",
        "login_required",
        "ConfigurationError",
        "NotLoggedInError",
        "OAuth2LoginError",
        "logged_in",
        "login_failed",
        "logged_out",
        "token_refreshed",
        # The third release.
        "disconnected",
        "__version__",
    ),
    "flask_oauth2login.providers": ("Preset",),
    "flask_oauth2login.providers.registry": ("BUILTIN",),
    "flask_oauth2login.clientauth": ("JwtSigner",),
    "flask_oauth2login.csrf": ("same_origin_only",),
    "flask_oauth2login.contrib.flask_login": ("FlaskLoginBridge",),
    "flask_oauth2login.testing": ("login_as",),
    "flask_oauth2login.devidp": ("DevIdentityProvider",),
}

#: What ``OAuth2Login`` offers in views and jobs (the contract's "In views"
#: and "Tokens outside a request").
EXTENSION_MEMBERS = (
    "init_app",
    "user",
    "users",
    "session",
    "token",
    "revoke",
    "login_url",
    "disconnect",
)


def code_blocks() -> list[str]:
    """The Python code blocks of the README and of every page of docs/."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    for page in sorted((ROOT / "docs").rglob("*.rst")):
        for body in re.findall(
            r"^\.\. code-block:: python\n(?:   :.*\n)*\n((?:(?:   .*)?\n)+)",
            page.read_text(),
            re.M,
        ):
            blocks.append("\n".join(line[3:] for line in body.splitlines()) + "\n")
    return blocks


def documented_text() -> str:
    """The README and every page of docs/, as one text."""
    pages = sorted((ROOT / "docs").rglob("*.rst"))
    return "\n".join([(ROOT / "README.md").read_text(), *(p.read_text() for p in pages)])


def readme_imports() -> set[tuple[str, str]]:
    """(module, name) of every ``from flask_oauth2login... import`` in the documented code."""
    found = set()
    for block in code_blocks():
        for line in block.splitlines():
            line = line.strip()
            if not line.startswith("from flask_oauth2login"):
                continue
            if line.endswith("("):  # a parenthesized import: read the whole statement
                line = block[block.index(line) :].split(")")[0] + ")"
            node = ast.parse(line).body[0]
            assert isinstance(node, ast.ImportFrom) and node.module
            found |= {(node.module, alias.name) for alias in node.names}
    return found


def readme_paths() -> set[str]:
    """Every dotted ``flask_oauth2login.x`` path the README's and the docs' text names."""
    return set(re.findall(r"\bflask_oauth2login(?:\.\w+)+", documented_text()))


def test_the_readme_documents_imports():
    # The reading above must find something, or every check below passes on nothing.
    assert ("flask_oauth2login", "OAuth2Login") in readme_imports()
    assert ("flask_oauth2login.contrib.flask_login", "FlaskLoginBridge") in readme_imports()
    assert "flask_oauth2login.providers.registry.BUILTIN" in readme_paths()


@pytest.mark.parametrize(("module", "name"), sorted(readme_imports()))
def test_every_readme_import_works(module, name):
    assert hasattr(importlib.import_module(module), name), f"from {module} import {name}"


@pytest.mark.parametrize("path", sorted(readme_paths()))
def test_every_dotted_path_in_the_readme_resolves(path):
    parts = path.split(".")
    # The longest importable prefix, then attributes down from it.
    for cut in range(len(parts), 0, -1):
        try:
            obj: t.Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            if attr == "presets":  # the entry-point group's name, not a module
                return
            assert hasattr(obj, attr), f"{path}: {'.'.join(parts[:cut])} has no {attr}"
            obj = getattr(obj, attr)
        return
    pytest.fail(f"{path} is not importable")


@pytest.mark.parametrize(
    ("module", "name"), [(m, n) for m, names in CONTRACT.items() for n in names]
)
def test_every_contract_name_imports(module, name):
    assert hasattr(importlib.import_module(module), name), f"from {module} import {name}"


def test_the_package_exports_what_all_lists():
    for name in flask_oauth2login.__all__:
        assert hasattr(flask_oauth2login, name), name
    assert set(CONTRACT["flask_oauth2login"]) <= set(flask_oauth2login.__all__)


@pytest.mark.parametrize("member", EXTENSION_MEMBERS)
def test_the_extension_offers_what_the_contract_names(member):
    assert hasattr(flask_oauth2login.OAuth2Login, member), member


def test_the_version_is_the_distributions():
    import importlib.metadata
    import tomllib

    assert flask_oauth2login.__version__ == importlib.metadata.version("flask-oauth2login")
    assert "__version__" in flask_oauth2login.__all__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # The installed metadata is this checkout's (an editable install of it).
    assert flask_oauth2login.__version__ == project["version"]
