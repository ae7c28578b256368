"""Zoom's quirk: a name from its parts when there is no display name."""

from __future__ import annotations

from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["zoom"])


def test_name_from_its_parts_without_display_name(make_app, fake):
    del fake.profile["display_name"]
    client = make_app({"zoom": fake.entry()}).test_client()
    log_in(client, "zoom")
    assert logged_in_user(client)["name"] == "Jill Chill"
