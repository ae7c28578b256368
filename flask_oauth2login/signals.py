"""Signals sent by flask-oauth2login, in the manner of Flask's own.

Each signal is sent with the application as sender. Signals notify; to steer
a login, use the hooks on :class:`~flask_oauth2login.OAuth2Login`.
"""

from __future__ import annotations

from blinker import Namespace
from flask import Flask, current_app

_signals = Namespace()

#: Sent after a successful login, with ``provider`` (the provider's name),
#: ``user`` (the normalized user mapping) and ``token`` (the token mapping).
logged_in = _signals.signal("oauth2login.logged-in")

#: Sent when a login fails for any reason, with ``provider`` and ``error``
#: (the :class:`~flask_oauth2login.errors.LoginError` raised).
login_failed = _signals.signal("oauth2login.login-failed")

#: Sent after a user logged out, once per provider the session held a login for.
logged_out = _signals.signal("oauth2login.logged-out")

#: Sent after an access token was refreshed, with ``provider`` and ``token``.
token_refreshed = _signals.signal("oauth2login.token-refreshed")


def current_sender() -> Flask:
    """The current app itself, not its proxy: the sender of every signal."""
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
