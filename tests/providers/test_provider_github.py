"""GitHub's quirks: the address comes from ``/user/emails``, which needs the
``user:email`` scope, and token errors come with HTTP 200."""

from __future__ import annotations

import pytest

from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

EMAILS = "/user/emails"

fake = spec_fake(SPECS["github"])


@pytest.fixture
def client(make_app, fake):
    return make_app({"github": fake.entry()}).test_client()


def test_unverified_primary_falls_back_to_the_public_address_unverified(client, fake):
    fake.profile["email"] = "public@example.test"
    fake.answers[EMAILS] = [
        {"email": "octocat@example.test", "primary": True, "verified": False, "visibility": None}
    ]
    log_in(client, "github")
    user = logged_in_user(client)
    assert user["email"] == "public@example.test"
    assert user["email_verified"] is False


def test_emails_endpoint_refused_keeps_the_login(make_app, fake):
    fake.profile["email"] = "public@example.test"
    client = make_app({"github": fake.entry(scope="read:user")}).test_client()
    assert log_in(client, "github").status_code == 302
    assert fake.requests_to(EMAILS)  # asked, and refused
    user = logged_in_user(client)
    assert user["email"] == "public@example.test"
    assert user["email_verified"] is False
    assert "emails" not in user["raw"]


def test_no_address_at_all(client, fake):
    fake.answers[EMAILS] = []
    log_in(client, "github")
    user = logged_in_user(client)
    assert user["email"] is None
    assert user["email_verified"] is False


def test_a_token_error_answered_with_200_is_shown(client, fake):
    fake.token_error = "bad_verification_code"
    response = log_in(client, "github")
    assert response.status_code == 502
    assert "bad_verification_code" in response.get_data(as_text=True)
    assert logged_in_user(client) is None
