"""Spotify's quirks: a profile mapped by ``user_map`` alone, which an entry
can change field by field."""

from __future__ import annotations

from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["spotify"])


def test_a_user_without_images_or_email(make_app, fake):
    fake.profile["images"] = []
    client = make_app({"spotify": fake.entry(scope="")}).test_client()
    assert log_in(client, "spotify").status_code == 302
    user = logged_in_user(client)
    assert user["picture"] is None
    assert user["email"] is None


def test_the_entry_can_remap_one_field(make_app, fake):
    client = make_app({"spotify": fake.entry(user_map={"name": "id"})}).test_client()
    log_in(client, "spotify")
    user = logged_in_user(client)
    assert user["name"] == "jl123"
    assert user["email"] == "jane@example.test"  # the preset's mapping of the rest stays
