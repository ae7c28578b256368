"""Discord's quirks: the address only with the ``email`` scope, and an
avatar hash to build the picture's URL from."""

from __future__ import annotations

from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["discord"])


def test_without_email_scope_and_avatar(make_app, fake):
    fake.profile.update(avatar=None, global_name=None)
    client = make_app({"discord": fake.entry(scope="identify")}).test_client()
    log_in(client, "discord")
    user = logged_in_user(client)
    assert user["email"] is None
    assert user["email_verified"] is False
    assert user["picture"] is None
    assert user["name"] == "nelly"
