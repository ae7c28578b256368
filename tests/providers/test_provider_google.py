"""Google's quirk: ID tokens may name the issuer without its scheme."""

from __future__ import annotations

import pytest

from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["google"])


@pytest.fixture
def client(make_app, fake):
    return make_app({"google": fake.entry()}).test_client()


def test_issuer_without_scheme_is_googles_too(client, fake):
    fake.id_token_overrides = {"iss": "accounts.google.com"}
    assert log_in(client, "google").status_code == 302
    assert logged_in_user(client)["issuer"] == "https://accounts.google.com"


@pytest.mark.parametrize("iss", ["https://accounts.google.com.evil.test", "evil.test"])
def test_another_issuer_is_refused(client, fake, iss):
    fake.id_token_overrides = {"iss": iss}
    assert log_in(client, "google").status_code == 401
    assert logged_in_user(client) is None
