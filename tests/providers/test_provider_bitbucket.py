"""Bitbucket's quirk: the addresses come from a second call, which needs the
``email`` permission."""

from __future__ import annotations

from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["bitbucket"])


def test_without_the_email_permission_the_login_still_works(make_app, fake):
    client = make_app({"bitbucket": fake.entry(scope="account")}).test_client()
    assert log_in(client, "bitbucket").status_code == 302
    assert fake.requests_to("/2.0/user/emails")  # asked, and refused
    user = logged_in_user(client)
    assert user["sub"] == "{d301aafa-d676-4ee0-88be-962be7417567}"
    assert user["email"] is None and user["email_verified"] is False
    assert "emails" not in user["raw"]
