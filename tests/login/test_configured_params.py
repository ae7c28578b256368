"""The provider entry's ``authorize_params`` win over a login link's
``prompt``, ``login_hint`` and ``max_age``, pushed (PAR) or not; and every
``max_age`` sent, from the link or from the entry, is enforced through the ID
token's ``auth_time``.

Against the rogue provider (which can sign an old ``auth_time``, or none)
and the strict FAPI provider (PAR), both on loopback.
"""

from __future__ import annotations

import secrets
import time
import typing as t

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.conftest import rogue_entry
from tests.support.fapi_idp import fapi_entry
from tests.support.logins import assert_refused, follow_callback, logged_in_user, start_login
from tests.support.oauth import query

SECRET_KEY = secrets.token_hex(32)


def rogue_app(make_app: t.Any, rogue: t.Any, **params: str) -> t.Any:
    return make_app({"rogue": rogue_entry(rogue, authorize_params=params)}, SECRET_KEY=SECRET_KEY)


def log_in_with(client: t.Any, rogue: t.Any, **link: str) -> t.Any:
    """A whole login from a link with *link*'s options; the callback's answer."""
    return follow_callback(client, rogue.authorize(start_login(client, "rogue", **link)))


# -- configured values win --------------------------------------------------------


def test_a_configured_prompt_beats_the_links(make_app, rogue):
    app = rogue_app(make_app, rogue, prompt="login", login_hint="alice@example.test")
    url = start_login(app.test_client(), "rogue", prompt="none", login_hint="mallory@example.test")
    params = query(url)
    assert params["prompt"] == "login"
    assert params["login_hint"] == "alice@example.test"


def test_the_links_prompt_is_sent_when_none_is_configured(make_app, rogue):
    app = rogue_app(make_app, rogue)
    assert query(start_login(app.test_client(), "rogue", prompt="none"))["prompt"] == "none"


def test_a_configured_max_age_beats_the_links(make_app, rogue):
    app = rogue_app(make_app, rogue, max_age="60")
    assert query(start_login(app.test_client(), "rogue", max_age="86400"))["max_age"] == "60"


def test_pushed_requests_carry_the_configured_values(make_app, fapi):
    entry = fapi_entry(
        fapi,
        pushed_authorization_requests=True,
        authorize_params={"prompt": "login", "max_age": "300"},
    )
    app = make_app({"fapi": entry}, SECRET_KEY=SECRET_KEY)
    url = start_login(app.test_client(), "fapi", prompt="none", max_age="86400")
    assert set(query(url)) == {"client_id", "request_uri"}
    (pushed,) = fapi.pushed
    assert pushed["prompt"] == "login"
    assert pushed["max_age"] == "300"


# -- every max_age sent is enforced -------------------------------------------------


def test_a_configured_max_age_refuses_an_old_sign_in(make_app, rogue, failures):
    app = rogue_app(make_app, rogue, max_age="0")
    rogue.behaviour.id_token_claims = {"auth_time": int(time.time()) - 86400}  # a day ago
    client = app.test_client()
    response = log_in_with(client, rogue)
    assert_refused(client, response, failures)
    assert "sign-in within the last 0 seconds" in response.get_data(as_text=True)
    assert failures[0]["error"].error_code == "invalid_token"


def test_a_configured_max_age_refuses_an_id_token_without_auth_time(make_app, rogue, failures):
    app = rogue_app(make_app, rogue, max_age="600")
    rogue.behaviour.id_token_claims = {"auth_time": None}
    client = app.test_client()
    response = log_in_with(client, rogue)
    assert_refused(client, response, failures)
    assert "does not say when you signed in (auth_time)" in response.get_data(as_text=True)


def test_a_configured_max_age_accepts_a_recent_sign_in(make_app, rogue):
    app = rogue_app(make_app, rogue, max_age="600")
    client = app.test_client()
    assert log_in_with(client, rogue).status_code == 302
    assert logged_in_user(client) is not None


def test_the_links_max_age_is_enforced_too(make_app, rogue, failures):
    app = rogue_app(make_app, rogue)
    rogue.behaviour.id_token_claims = {"auth_time": int(time.time()) - 3600}
    client = app.test_client()
    assert_refused(client, log_in_with(client, rogue, max_age="60"), failures)


def test_a_longer_max_age_in_the_link_does_not_loosen_the_configured_one(make_app, rogue, failures):
    app = rogue_app(make_app, rogue, max_age="60")
    rogue.behaviour.id_token_claims = {"auth_time": int(time.time()) - 3600}
    client = app.test_client()
    assert_refused(client, log_in_with(client, rogue, max_age="86400"), failures)


# -- at start-up ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"authorize_params": {"max_age": "an hour"}}, "whole number of seconds"),
        ({"authorize_params": {"max_age": -1}}, "whole number of seconds"),
        ({"authorize_params": {"max_age": True}}, "whole number of seconds"),
        ({"authorize_params": {"max_age": "60"}, "scope": ["email"]}, "auth_time"),
    ],
)
def test_a_configured_max_age_that_cannot_be_enforced_is_refused(entry, expected):
    base = {"client_id": "c", "client_secret": "s", "issuer": "https://idp.example"}
    with pytest.raises(ConfigurationError) as info:
        load_provider("corp", {**base, **entry}, {}, {})
    assert info.value.key == "authorize_params"
    assert info.value.provider == "corp"
    assert expected in str(info.value)


def test_a_configured_max_age_may_be_a_number():
    base = {"client_id": "c", "client_secret": "s", "issuer": "https://idp.example"}
    config = load_provider("corp", {**base, "authorize_params": {"max_age": 300}}, {}, {})
    assert config.authorize_params["max_age"] == "300"
