"""The accounts page, ``GET /accounts`` (``OAUTH2LOGIN_ACCOUNTS_PAGE = True``):
the session's connected accounts, with Disconnect buttons, and Connect
buttons for the configured providers not connected yet.

For each account it shows the provider's title, the account's name and
e-mail, the scopes granted and when it was connected. Connect is a ``POST``
form to ``/login/<provider>``, so the login joins the session's others (see
:mod:`~flask_oauth2login.login.outcome`); Disconnect is a ``POST`` form to
``/disconnect/<provider>`` (see :mod:`~flask_oauth2login.login.disconnect`).
The page is the template ``oauth2login/accounts.html``, which an app
overrides like the other built-in pages. The extension serves it behind
``@login_required``.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, render_template, url_for

from .._runtime import get_state
from ..pages.responses import protect
from ..tokens import logins
from ..user import User
from .disconnect import LOGOUT


@dataclass(frozen=True)
class Account:
    """One connected account, as the page shows it."""

    #: The provider's name (in URLs and element ids).
    provider: str
    #: The provider's title.
    title: str
    #: The account's user.
    user: User
    #: The scopes granted to the login.
    scopes: tuple[str, ...]
    #: When it was connected (UTC), if known.
    connected: datetime | None


def accounts() -> list[Account]:
    """The session's connected accounts, the earliest connected first."""
    app_state = get_state()
    found = []
    for name, user in logins.get_users().items():
        provider = app_state.providers.get(name)
        if provider is None:  # configured away since: its login is over
            continue
        at = logins.connected_at(name)
        found.append(
            Account(
                provider=name,
                title=provider.config.title,
                user=user,
                scopes=logins.granted_scope(provider),
                connected=datetime.fromtimestamp(at, UTC) if at is not None else None,
            )
        )
    return found


def page() -> t.Any:
    """``GET /accounts``: the page (for a logged-in session)."""
    app_state = get_state()
    connected = accounts()
    names = {account.provider for account in connected}
    others = [
        (name, provider.config.title)
        for name, provider in app_state.providers.items()
        if name not in names
    ]
    here = url_for("oauth2login.accounts")
    rendered = render_template(
        "oauth2login/accounts.html",
        accounts=connected,
        others=others,
        can_disconnect=len(connected) > 1 or app_state.settings.disconnect_last == LOGOUT,
        next=here,
    )
    response = current_app.response_class(rendered, mimetype="text/html")
    # Not no-referrer: that would turn the Origin header of its forms into "null".
    response.headers["Referrer-Policy"] = "same-origin"
    return protect(response)
