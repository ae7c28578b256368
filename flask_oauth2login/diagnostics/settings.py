"""Checking the app's ``OAUTH2LOGIN_*`` keys against the settings tables.

A key that no setting reads (a typo such as ``OAUTH2LOGIN_REDIRECT_ULR``, or a
setting of another version) would change nothing, silently: ``OAuth2Login(app)``
refuses it, and the check fails it too (a key set after ``init_app``), naming
the setting it probably meant with what that one does.

The template the pages extend (``OAUTH2LOGIN_BASE_TEMPLATE``) must load:
otherwise every page of the extension fails.
"""

from __future__ import annotations

from flask import Flask
from jinja2 import TemplateError, TemplateNotFound

from .._runtime import EXTENSION_KEY, AppState
from ..config.settings import known_keys, unknown_keys
from .report import ERROR, Report

#: The topic of these findings.
TOPIC = "configuration"


def check_settings(app: Flask, report: Report) -> None:
    """Fail each ``OAUTH2LOGIN_*`` key of the app's config that no setting
    reads, and a base template that does not load."""
    app_state: AppState = app.extensions[EXTENSION_KEY]
    check_base_template(app, app_state.settings.base_template, report)
    known = known_keys(app_state.settings)
    for key, meant in unknown_keys(app.config, known).items():
        hint = f" Did you mean {meant} ({known[meant]})?" if meant else ""
        report.add(
            ERROR,
            TOPIC,
            f"{key} is no setting of flask-oauth2login.{hint}",
        )


def check_base_template(app: Flask, name: str, report: Report) -> None:
    """Fail when the template *name* (``OAUTH2LOGIN_BASE_TEMPLATE``) cannot be
    loaded: every page of the extension extends it."""
    try:
        app.jinja_env.get_template(name)
    except TemplateError as exc:
        if isinstance(exc, TemplateNotFound):
            problem = "is not found"
        else:
            problem = f"does not load ({type(exc).__name__}: {exc})"
        report.add(
            ERROR,
            TOPIC,
            f"OAUTH2LOGIN_BASE_TEMPLATE {name!r} {problem}; every page of flask-oauth2login "
            "extends it. Name a template of the app's that has the blocks title, head and "
            "content.",
        )
