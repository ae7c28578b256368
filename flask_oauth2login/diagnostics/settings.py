"""Checking the app's ``OAUTH2LOGIN_*`` keys against the settings tables.

A key that no setting reads (a typo such as ``OAUTH2LOGIN_REDIRECT_ULR``, or a
setting of another version) would change nothing, silently: ``OAuth2Login(app)``
refuses it, and the check fails it too (a key set after ``init_app``), naming
the setting it probably meant with what that one does.
"""

from __future__ import annotations

from flask import Flask

from .._runtime import EXTENSION_KEY, AppState
from ..config.settings import known_keys, unknown_keys
from .report import ERROR, Report

#: The topic of these findings.
TOPIC = "configuration"


def check_settings(app: Flask, report: Report) -> None:
    """Fail each ``OAUTH2LOGIN_*`` key of the app's config that no setting reads."""
    app_state: AppState = app.extensions[EXTENSION_KEY]
    known = known_keys(app_state.settings)
    for key, meant in unknown_keys(app.config, known).items():
        hint = f" Did you mean {meant} ({known[meant]})?" if meant else ""
        report.add(
            ERROR,
            TOPIC,
            f"{key} is no setting of flask-oauth2login.{hint}",
        )
