"""Every Python example of the documentation runs (conventions: tests/docs/examples.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.examples import DOCS, pages, read_page

PAGES = pages()


def test_the_examples_are_found():
    tutorial = read_page(DOCS / "tutorial.rst")
    assert "DevIdentityProvider(app)" in tutorial.blocks[0]
    assert len(PAGES) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.path.relative_to(DOCS)))
def test_the_examples_of_a_page_run(page, tmp_path, monkeypatch):
    for name, text in page.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    for block in page.compile_only:
        compile(block, f"{page.path.name} (not run)", "exec")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLASK_DEBUG", "1")  # as `flask run --debug` does
    namespace = {"__name__": "docs_example"}
    code = page.setup + "".join(page.blocks)
    environ = dict(os.environ)
    try:
        exec(compile(code, str(page.path), "exec"), namespace)  # noqa: S102
    finally:
        os.environ.clear()
        os.environ.update(environ)
    tests = sorted(name for name in page.files if Path(name).name.startswith("test_"))
    if tests:
        # The page's small project runs its own tests, as its author would.
        env = {**os.environ, "PYTHONPATH": str(tmp_path)}
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
            + ["-p", "no:randomly", *tests],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
