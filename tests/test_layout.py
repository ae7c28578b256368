"""The house by job: the layout the documentation's Architecture page draws is the code's.

Each package says in its docstring what lives there and lists what of it is
public (``__all__``); the top level stays small and no module grows past
what a reader takes in at once.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "flask_oauth2login"

#: The most modules the package's top level may have, ``__init__`` included.
MAX_TOP_LEVEL_MODULES = 12
#: The most lines one module may have.
MAX_MODULE_LINES = 500


def architecture_tree() -> dict[str, str]:
    """The tree of docs/architecture.rst: each entry (``views.py``, ``login/``) to its line."""
    text = (ROOT / "docs" / "architecture.rst").read_text()
    tree = re.search(r"\.\. code-block:: text\n\n   flask_oauth2login/\n(.*?)\n\n", text, re.S)
    assert tree, "the Architecture page has no tree"
    entries = {}
    for line in tree.group(1).splitlines():
        name, _, what = line.strip().partition(" ")
        entries[name] = what.strip()
    return entries


def top_level() -> set[str]:
    """The package's top-level modules and packages, as the tree names them."""
    names = {p.name for p in PACKAGE.glob("*.py")}
    names |= {p.name + "/" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    return names


def packages() -> list[Path]:
    return sorted(p.parent for p in PACKAGE.rglob("__init__.py") if "__pycache__" not in p.parts)


def test_the_tree_names_every_room_and_only_those():
    tree = architecture_tree()
    assert set(tree) == top_level()
    assert all(tree.values()), "every entry has its line"


def test_a_small_top_level():
    modules = list(PACKAGE.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, sorted(p.name for p in modules)


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=relative)
def test_no_module_is_too_long(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


@pytest.mark.parametrize("package", packages(), ids=relative)
def test_each_package_says_what_lives_there_and_what_is_public(package):
    tree = ast.parse((package / "__init__.py").read_text())
    docstring = ast.get_docstring(tree)
    assert docstring, f"{package.name} has no docstring"
    first = docstring.split("\n\n")[0]
    assert first.rstrip().endswith("."), f"{package.name}: the first paragraph is one sentence"
    targets = [
        target
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
    ]
    public = [target for target in targets if ast.unparse(target) == "__all__"]
    assert public, f"{package.name} lists its public names in __all__"
