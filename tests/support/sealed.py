"""Reading the tokens the extension keeps sealed, as the app itself would."""

from __future__ import annotations

import typing as t

from flask import Flask

from flask_oauth2login.state import get_state
from flask_oauth2login.store import TokenKey
from flask_oauth2login.tokens import TOKENS_KEY, unseal


def open_entry(app: Flask, provider: str, entry: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The token a session entry of *app* holds, opened with the app's keys."""
    key = TokenKey(provider, str(entry.get("iss") or ""), str(entry.get("sub") or ""))
    with app.app_context():
        return unseal(get_state(), key, entry)


def session_token(client: t.Any, provider: str = "rogue") -> dict[str, t.Any] | None:
    """The token the test client's session holds for *provider*, opened."""
    with client.session_transaction() as sess:
        entry = sess.get(TOKENS_KEY, {}).get(provider)
    return None if entry is None else open_entry(client.application, provider, entry)
