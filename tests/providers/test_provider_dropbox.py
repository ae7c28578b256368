"""Dropbox's quirks: refresh tokens only for offline access, and a name made of
the given and family names."""

from __future__ import annotations

from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["dropbox"])


def test_a_name_in_one_part(make_app, fake):
    fake.claims.pop("family_name")
    client = make_app({"dropbox": fake.entry()}).test_client()
    log_in(client, "dropbox")
    assert logged_in_user(client)["name"] == "Franz"


def test_without_offline_access_there_is_no_refresh_token(make_app, fake):
    client = make_app({"dropbox": fake.entry(authorize_params={})}).test_client()
    assert log_in(client, "dropbox").status_code == 302
    assert fake.refresh_tokens == {}
    assert logged_in_user(client) is not None
