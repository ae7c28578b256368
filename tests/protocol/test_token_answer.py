"""The token as this client keeps it (:mod:`flask_oauth2login.protocol.token_answer`):
its expiry, its granted scope, and a ``repr`` that shows no token."""

from __future__ import annotations

import pytest

from flask_oauth2login import InvalidProviderResponse
from flask_oauth2login.protocol.token_answer import Token, check_token_response

NOW = 1_700_000_000


@pytest.mark.parametrize(
    ("expires_at", "leeway", "expired"),
    [
        (NOW + 100, 0, False),
        (NOW + 100, 99, False),
        (NOW + 100, 100, True),  # within the leeway counts as expired
        (NOW, 0, True),
        (NOW - 1, 0, True),
        (None, 10_000, False),  # an unknown expiry never expires
    ],
)
def test_a_token_is_expired_within_its_leeway(expires_at, leeway, expired):
    token = Token(access_token="at", token_type="Bearer", expires_at=expires_at)
    assert token.is_expired(leeway, now=NOW) is expired


def test_a_token_says_its_expiry_and_granted_scope():
    token = Token(access_token="at", expires_at=NOW, scope=["openid", "email"])
    assert token.access_token == "at"
    assert token.expires_at == float(NOW)
    assert token.scope == "openid email"
    assert Token(access_token="at").scope is None
    assert Token(access_token="at").expires_at is None


def test_a_token_answer_becomes_a_token_with_an_absolute_expiry():
    token = check_token_response(
        {"access_token": "at", "token_type": "bearer", "expires_in": 60, "scope": "a b"},
        provider="p",
    )
    assert isinstance(token, Token)
    assert token.scope == "a b"
    assert not token.is_expired(30)
    assert token.is_expired(61)
    with pytest.raises(InvalidProviderResponse, match="no access_token"):
        check_token_response({"token_type": "Bearer"}, provider="p")


def test_a_tokens_repr_shows_no_token():
    token = Token(
        access_token="at-secret",
        refresh_token="rt-secret",
        id_token="eyJ.secret",
        token_type="Bearer",
        expires_at=NOW,
        scope="openid email",
    )
    shown = repr(token)
    assert "secret" not in shown
    assert "openid email" in shown and str(NOW) in shown
    assert "access_token, id_token, refresh_token" in shown
    assert token == dict(token)  # still the mapping sessions and stores keep
