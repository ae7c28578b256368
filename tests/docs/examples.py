"""Reading the Python examples out of the documentation's pages.

Conventions (for ``docs/**/*.rst``):

- Every ``.. code-block:: python`` runs. The blocks of one page run in order,
  in one namespace, like a reader typing them in.
- A page may start its examples from a hidden setup: an rst comment
  ``.. examples-setup`` whose indented body is Python (it defines what the
  page's prose takes as given, such as ``app`` and ``oauth``).
- A block whose first line is ``# some/path.py`` is a file of a small project:
  it is written to that path (in a temporary directory on ``sys.path``) instead
  of running, and a page with ``tests/test_*.py`` files has its project's tests run.
- A block right after the comment ``.. not-run: <why>`` is only compiled. Keep it rare.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"

_BLOCK = re.compile(
    r"^(?P<marker>\.\. not-run:[^\n]*\n\n)?"
    r"(?P<kind>\.\. code-block:: python|\.\. examples-setup)[^\n]*\n"
    r"(?P<options>(?:   :[^\n]*\n)*)\n"
    r"(?P<body>(?:(?:   [^\n]*)?\n)+)",
    re.M,
)


@dataclass
class Page:
    path: Path
    setup: str = ""
    blocks: list[str] = field(default_factory=list)
    compile_only: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)


def read_page(path: Path) -> Page:
    page = Page(path)
    for match in _BLOCK.finditer(path.read_text(encoding="utf-8")):
        body = textwrap.dedent(match.group("body")).strip("\n") + "\n"
        first = body.splitlines()[0]
        if match.group("kind") == ".. examples-setup":
            page.setup += body
        elif match.group("marker"):
            page.compile_only.append(body)
        elif re.fullmatch(r"# [\w./-]+\.py", first):
            page.files[first[2:]] = body
        else:
            page.blocks.append(body)
    return page


def pages() -> list[Page]:
    found = [read_page(p) for p in sorted(DOCS.rglob("*.rst")) if "_build" not in p.parts]
    return [p for p in found if p.blocks or p.files or p.compile_only]
