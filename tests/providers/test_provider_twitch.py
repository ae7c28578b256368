"""Twitch's quirks: the claims it hides unless the ``claims`` parameter asks
for them, and the ``Client-Id`` header on UserInfo calls too."""

from __future__ import annotations

import json

from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["twitch"])


def test_login_asks_for_the_claims_twitch_hides_otherwise(make_app, fake):
    client = make_app({"twitch": fake.entry()}).test_client()
    claims = json.loads(query(start_login(client, "twitch"))["claims"])
    assert {"email", "email_verified", "picture"} <= set(claims["id_token"])
    assert {"email", "email_verified", "picture"} <= set(claims["userinfo"])


def test_without_the_claims_parameter_the_address_is_hidden(make_app, fake):
    client = make_app({"twitch": fake.entry(authorize_params={})}).test_client()
    assert log_in(client, "twitch").status_code == 302
    assert logged_in_user(client)["email"] is None


def test_userinfo_calls_carry_the_client_id_header(make_app, fake):
    client = make_app({"twitch": fake.entry(fetch_userinfo=True)}).test_client()
    assert log_in(client, "twitch").status_code == 302
    assert fake.requests_to(fake.userinfo_path)[0]["headers"]["Client-Id"] == fake.client_id
