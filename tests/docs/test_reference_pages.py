"""The documentation's reference pages cover what the package has: every public
name in the API reference, every setting, preset and error in the pages generated
from the package (docs/_ext/oauth2login_pages.py)."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

import flask_oauth2login
from flask_oauth2login.config.settings import APP_SETTINGS, PREFIX
from flask_oauth2login.config.table import PROVIDER_SETTINGS
from flask_oauth2login.providers.registry import BUILTIN

DOCS = Path(__file__).resolve().parents[2] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
import oauth2login_pages as oauth2login_docs  # noqa: E402


def documented_objects() -> dict[str, object]:
    """Each ``.. auto...:: target`` of the API reference: target to the object."""
    found = {}
    for target in re.findall(r"^\.\. auto\w+:: ([\w.]+)", (DOCS / "api.rst").read_text(), re.M):
        module, _, name = target.rpartition(".")
        found[target] = getattr(importlib.import_module(module), name)
    return found


@pytest.mark.parametrize("name", flask_oauth2login.__all__)
def test_every_public_name_is_in_the_api_reference(name):
    documented = documented_objects()
    assert f"flask_oauth2login.{name}" in documented, f"docs/api.rst lacks {name}"
    assert documented[f"flask_oauth2login.{name}"] is getattr(flask_oauth2login, name)


def test_the_configuration_reference_lists_every_setting():
    text = "\n".join(oauth2login_docs.config_reference_rst())
    for name in APP_SETTINGS:
        assert f"``{PREFIX}{name}``" in text, name
    for name in PROVIDER_SETTINGS:
        assert f"   * - ``{name}``" in text, name


def test_the_presets_page_has_every_builtin_preset():
    text = "\n".join(oauth2login_docs.presets_rst())
    for name in BUILTIN:
        assert f".. _preset-{name}:" in text, name
    assert "https://github.com/settings/developers" in text


def test_each_error_has_one_stable_anchor():
    classes = oauth2login_docs.error_classes()
    anchors = [oauth2login_docs.error_anchor(cls) for cls in classes]
    assert len(set(anchors)) == len(anchors)
    assert "invalid-state" in anchors and "configurationerror" in anchors
    assert "account-refused" in anchors
    for name in flask_oauth2login.__all__:
        obj = getattr(flask_oauth2login, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert obj in classes, name
    text = "\n".join(oauth2login_docs.errors_rst())
    for anchor in anchors:
        assert f".. _{anchor}:" in text
