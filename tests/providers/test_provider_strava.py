"""Strava's quirks: the athlete comes in the token answer (not kept with the
token: see ``test_presets.py``), with a placeholder for no picture."""

from __future__ import annotations

import pytest

from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["strava"])


@pytest.fixture
def client(make_app, fake):
    return make_app({"strava": fake.entry()}).test_client()


def test_the_default_picture_is_none(client, fake):
    fake.token_fields["athlete"]["profile"] = "avatar/athlete/large.png"  # Strava's placeholder
    log_in(client, "strava")
    assert logged_in_user(client)["picture"] is None


def test_a_token_answer_without_athlete_fails_the_login(client, fake):
    fake.token_fields["athlete"] = None
    response = log_in(client, "strava")
    assert response.status_code == 502
    assert logged_in_user(client) is None
