"""The published metadata: its links lead somewhere, and only what users
install is offered as an extra."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
DOCS_SITE = "https://flask-oauth2login.readthedocs.io/en/latest/"


def test_every_project_url_on_the_documentation_site_is_a_page_of_docs():
    pages = [url.removeprefix(DOCS_SITE) for url in PROJECT["urls"].values()]
    missing = [
        page
        for page in pages
        if page.endswith(".html") and not (ROOT / "docs" / page.replace(".html", ".rst")).is_file()
    ]
    assert not missing


def test_the_changelog_url_names_the_changelog():
    assert PROJECT["urls"]["Changelog"].endswith("/CHANGELOG.md")
    assert (ROOT / "CHANGELOG.md").is_file()


def test_the_readme_names_every_published_extra():
    readme = (ROOT / "README.md").read_text()
    extras = PROJECT["optional-dependencies"]
    assert not {"test", "bench", "docs"} & set(extras)
    assert all(f"`{extra}`" in readme.split("## Project", 1)[1] for extra in extras)
