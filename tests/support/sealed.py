"""Reading the tokens the extension keeps sealed, as the app itself would."""

from __future__ import annotations

import typing as t

from flask import Flask

from flask_oauth2login._runtime import get_state
from flask_oauth2login.login.held_login import HELD_KEY, open_held
from flask_oauth2login.tokens.logins import TOKENS_KEY, seal, unseal
from flask_oauth2login.tokenstore import TokenKey


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


def change_session_token(client: t.Any, provider: str = "rogue", **changes: t.Any) -> None:
    """Change fields of the token the test client's session holds for
    *provider* (a field given ``None`` is removed), sealed again as the app
    would keep it."""
    app = client.application
    with client.session_transaction() as sess:
        tokens = dict(sess[TOKENS_KEY])
        token = open_entry(app, provider, tokens[provider])
        token.update(changes)
        token = {name: value for name, value in token.items() if value is not None}
        key = TokenKey(provider, str(token.get("iss") or ""), str(token.get("sub") or ""))
        with app.app_context():
            tokens[provider] = seal(get_state(), key, token)
        sess[TOKENS_KEY] = tokens


def opened_session(client: t.Any) -> dict[str, t.Any]:
    """The test client's session as stored, with its tokens opened."""
    with client.session_transaction() as sess:
        data = dict(sess)
    if TOKENS_KEY in data:
        data[TOKENS_KEY] = {
            provider: open_entry(client.application, provider, entry)
            for provider, entry in data[TOKENS_KEY].items()
        }
    if HELD_KEY in data:
        with client.application.app_context():
            token = open_held(get_state(), data[HELD_KEY])
        data[HELD_KEY] = {**data[HELD_KEY], "token": token}
    return data
