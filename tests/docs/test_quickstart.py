"""The quickstart works exactly as written, with only the development provider:
the README's and the tutorial's are one code, and it logs a person in."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import typing as t
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from tests.docs.examples import DOCS, read_page

README = Path(__file__).resolve().parents[2] / "README.md"
TUTORIAL = read_page(DOCS / "tutorial.rst")
#: The README stays short: what it is, the two commands, the quickstart, links.
MOST_README_LINES = 300


def readme_quickstart() -> str:
    section = README.read_text().split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    return block


def test_the_readme_quickstart_is_the_tutorials():
    assert readme_quickstart() == TUTORIAL.blocks[0]
    assert "github" not in readme_quickstart()  # only the development provider


def test_the_readme_is_short():
    assert len(README.read_text().splitlines()) <= MOST_README_LINES


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> t.Iterator[str]:
    """The tutorial's app, from its code as written, on a real server."""
    monkeypatch.setenv("FLASK_DEBUG", "1")  # flask run --debug
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, t.Any] = {"__name__": "hello"}
    exec(compile("".join(TUTORIAL.blocks[:2]), "tutorial.rst", "exec"), namespace)  # noqa: S102
    app = namespace["app"]
    app.instance_path = str(tmp_path / "instance")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_quickstart_logs_a_person_in(served):
    browser = requests.Session()
    browser.trust_env = False
    start = browser.get(served + "/", allow_redirects=False, timeout=10)
    assert start.status_code == 302
    login = browser.get(served + start.headers["Location"], allow_redirects=False, timeout=10)
    page = browser.get(login.headers["Location"], timeout=10).text
    fields = {
        name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        for name in ("request_id", "csrf_token")
    }
    answer = browser.post(
        served + "/_devidp/authorize",
        data={**fields, "action": "login", "sub": "ada"},
        allow_redirects=False,
        timeout=10,
    )
    callback = urlsplit(answer.headers["Location"])
    home = browser.get(f"{served}{callback.path}?{callback.query}", timeout=10)
    assert home.text == "Hello Ada Lovelace! You logged in with dev."
    me = browser.get(served + "/me", timeout=10)
    assert "ada@example.com" in me.text and "Log out" in me.text


CHECK = "flask --app hello --debug oauth2login check"


def test_the_check_command_of_the_tutorial_runs_on_the_quickstart(tmp_path):
    assert CHECK in (DOCS / "tutorial.rst").read_text() and CHECK in README.read_text()
    (tmp_path / "hello.py").write_text(TUTORIAL.blocks[0])
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root, "FLASK_DEBUG": ""}
    env.pop("FLASK_RUN_PORT", None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", *CHECK.split()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "redirect URI to register: http://127.0.0.1:5000/callback/dev" in done.stdout
