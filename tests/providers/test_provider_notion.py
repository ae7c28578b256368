"""Notion's quirks: the user is the person who connected a workspace, named
in the token answer (not kept with the token: see ``test_presets.py``)."""

from __future__ import annotations

import pytest

from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["notion"])


@pytest.fixture
def client(make_app, fake):
    return make_app({"notion": fake.entry()}).test_client()


def test_the_profile_keeps_only_what_the_preset_names(client, fake):
    assert log_in(client, "notion").status_code == 302
    raw = logged_in_user(client)["raw"]
    assert raw["owner"]["user"]["name"] == "Avocado Lovelace"
    assert "request_id" not in raw


def test_a_workspace_owned_token_is_refused(client, fake):
    fake.token_fields["owner"] = {"type": "workspace", "workspace": True}
    response = log_in(client, "notion")
    assert response.status_code == 502
    assert logged_in_user(client) is None
