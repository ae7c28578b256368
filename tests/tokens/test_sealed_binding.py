"""A token sealed in the session is bound to its login's provider, issuer
and subject: moved to another one, it does not open (no token is sent).
The token store's records: :mod:`tests.tokenstore.test_login_identity`."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask

from flask_oauth2login.tokens.logins import TOKENS_KEY
from tests.conftest import log_in, rogue_entry
from tests.support.rogue_idp import RogueProvider

SECRET_KEY = "sealed-binding-test-secret-key-0123456789abcdef"


@pytest.fixture
def app(make_app: t.Callable[..., Flask], rogue: RogueProvider) -> Flask:
    # "twin": another provider entry for the same issuer (and so the same subject).
    return make_app(
        {"rogue": rogue_entry(rogue), "twin": rogue_entry(rogue)},
        SECRET_KEY=SECRET_KEY,
        TEST_API_URLS={name: rogue.issuer + "/api/me" for name in ("rogue", "twin")},
    )


def test_a_token_moved_to_another_issuer_does_not_open(app, client, rogue):
    assert log_in(client, rogue).status_code == 302
    with client.session_transaction() as sess:
        tokens = dict(sess[TOKENS_KEY])
        tokens["rogue"] = {**tokens["rogue"], "iss": "https://another-issuer.example"}
        sess[TOKENS_KEY] = tokens
    response = client.get("/api/rogue", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert rogue.calls["api"] == 0  # no token was sent


def test_a_token_moved_to_another_provider_entry_does_not_open(app, client, rogue):
    assert log_in(client, rogue).status_code == 302
    with client.session_transaction() as sess:
        entry = sess[TOKENS_KEY]["rogue"]
        sess[TOKENS_KEY] = {"twin": entry}  # the same issuer and subject
    response = client.get("/api/twin", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert rogue.calls["api"] == 0


def test_the_token_opens_where_it_was_sealed(app, client, rogue):
    assert log_in(client, rogue).status_code == 302
    assert client.get("/api/rogue").get_json()["status"] == 200
    assert rogue.calls["api"] == 1
