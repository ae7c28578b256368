"""Atlassian's quirk: the sites the user can reach, from a second call, and
the cloud id when there is only one."""

from __future__ import annotations

import pytest

from tests.providers.specs import ATLASSIAN_CLOUD_ID, SPECS
from tests.support.fake_providers import json_response, log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

RESOURCES = "/oauth/token/accessible-resources"

fake = spec_fake(SPECS["atlassian"])


@pytest.fixture
def client(make_app, fake):
    return make_app({"atlassian": fake.entry()}).test_client()


def test_several_sites_leave_the_choice_to_the_app(client, fake):
    sites = fake.answers[RESOURCES]
    sites.append({**sites[0], "id": "another-cloud-id", "url": "https://b.atlassian.net"})
    log_in(client, "atlassian")
    raw = logged_in_user(client)["raw"]
    assert raw["cloud_id"] is None
    assert [s["id"] for s in raw["accessible_resources"]] == [
        ATLASSIAN_CLOUD_ID,
        "another-cloud-id",
    ]


def test_a_refused_resources_call_keeps_the_login(client, fake):
    fake.answers[RESOURCES] = json_response({"code": 403, "message": "Forbidden"}, 403)
    assert log_in(client, "atlassian").status_code == 302
    raw = logged_in_user(client)["raw"]
    assert raw["accessible_resources"] == [] and raw["cloud_id"] is None
