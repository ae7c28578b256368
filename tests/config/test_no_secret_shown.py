"""No secret in any ``repr``, log line or error: client secrets, private
keys, encryption keys (the token store's, ``SECRET_KEY`` and what is derived
from it), access, refresh and ID tokens.

A whole life is logged at DEBUG and searched for every secret it handled: a
login, a refresh, a refused refresh and a refused login, with a token store,
against the rogue provider on loopback.
"""

from __future__ import annotations

import logging
import secrets
import typing as t

import pytest

from flask_oauth2login import logged_in, login_failed, token_refreshed
from flask_oauth2login.config.settings import load_provider, load_settings
from tests.conftest import rogue_entry
from tests.support.client_keys import ec_key, pem
from tests.support.logins import log_in

SECRET_KEY = secrets.token_hex(32)
ENCRYPTION_KEY = secrets.token_urlsafe(32)
API_KEY = "api-key-" + secrets.token_hex(8)
EC_PEM = pem(ec_key())


def entry(rogue: t.Any) -> dict[str, t.Any]:
    return rogue_entry(rogue, api_headers={"X-Api-Key": API_KEY})


def test_provider_config_repr_shows_no_secret():
    config = load_provider(
        "corp",
        {
            "client_id": "corp-client",
            "client_secret": "s3cret-" + "x" * 40,
            "issuer": "https://idp.example",
            "api_headers": {"X-Api-Key": API_KEY},
        },
        {},
        {},
    )
    shown = repr(config)
    assert "corp-client" in shown  # still useful
    assert config.client_secret not in shown
    assert API_KEY not in shown


def test_a_private_key_jwt_entry_repr_shows_no_key():
    config = load_provider(
        "corp",
        {
            "client_id": "corp-client",
            "issuer": "https://idp.example",
            "token_endpoint_auth_method": "private_key_jwt",
            "client_private_key": EC_PEM,
        },
        {},
        {},
    )
    assert "PRIVATE KEY" not in repr(config)


def test_settings_repr_shows_no_secret(rogue):
    config = {
        "SECRET_KEY": SECRET_KEY,
        "OAUTH2LOGIN_PROVIDERS": {"rogue": entry(rogue)},
        "OAUTH2LOGIN_ENCRYPTION_KEYS": [ENCRYPTION_KEY],
        "OAUTH2LOGIN_DPOP_PRIVATE_KEY": EC_PEM,
    }
    shown = repr(load_settings(config, {}))
    assert "rogue" in shown
    for secret in (rogue.client_secret, ENCRYPTION_KEY, API_KEY, "PRIVATE KEY"):
        assert secret not in shown


@pytest.fixture
def app(make_app, rogue, tmp_path):
    return make_app(
        {"rogue": entry(rogue)},
        SECRET_KEY=SECRET_KEY,
        OAUTH2LOGIN_ENCRYPTION_KEYS=[ENCRYPTION_KEY],
        OAUTH2LOGIN_TOKEN_STORE=f"sqlite:///{tmp_path / 'tokens.db'}",
        TEST_API_URLS={"rogue": rogue.issuer + "/api/me"},
    )


def test_app_state_repr_shows_no_secret(app, rogue):
    state = app.extensions["oauth2login"]
    shown = repr(state)
    assert "rogue" in shown
    for secret in (rogue.client_secret, SECRET_KEY, ENCRYPTION_KEY, API_KEY):
        assert secret not in shown


def test_no_secret_in_the_log_or_errors_of_a_whole_life(app, rogue, caplog):
    caplog.set_level(logging.DEBUG)
    tokens: list[t.Mapping[str, t.Any]] = []
    errors: list[BaseException] = []
    with (
        logged_in.connected_to(lambda s, **kw: tokens.append(kw["token"]), app),
        token_refreshed.connected_to(lambda s, **kw: tokens.append(kw["token"]), app),
        login_failed.connected_to(lambda s, **kw: errors.append(kw["error"]), app),
    ):
        client = app.test_client()
        rogue.behaviour.expires_in = 5  # stale at once: every API call refreshes
        assert log_in(client, rogue).status_code == 302
        assert client.get("/api/rogue").get_json()["status"] == 200  # refreshed
        rogue.behaviour.refresh_error = "invalid_grant"  # a refused refresh ends the login
        assert client.get("/api/rogue").status_code == 302
        rogue.behaviour.refresh_error = None
        rogue.behaviour.token_status = 400  # a refused login
        assert log_in(client, rogue).status_code >= 400
        state = app.extensions["oauth2login"]
        shown = [repr(state), repr(state.settings), *map(repr, tokens)]
    assert len(tokens) == 2 and errors
    found = [
        token[name] for token in tokens for name in ("access_token", "refresh_token", "id_token")
    ]
    assert len(found) == 6
    everything = "\n".join([caplog.text, *(f"{e!r} {e}" for e in errors), *shown])
    for secret in (*found, rogue.client_secret, SECRET_KEY, ENCRYPTION_KEY, API_KEY):
        assert secret not in everything
