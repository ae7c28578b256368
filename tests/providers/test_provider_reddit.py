"""Reddit's quirks: a User-Agent on every request, made from the client id
when the entry gives none."""

from __future__ import annotations

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.spec_fake import spec_fake

ME = "/api/v1/me"
USER_AGENT = "web:com.example.app:v1.2 (by /u/example)"

fake = spec_fake(SPECS["reddit"])


def user_agents(fake, path):
    return [r["headers"].get("User-Agent") for r in fake.requests_to(path)]


def test_the_user_agent_goes_everywhere(make_app, fake):
    app = make_app({"reddit": fake.entry(user_agent=USER_AGENT)}, TEST_API_URLS={"reddit": ME})
    client = app.test_client()
    assert log_in(client, "reddit").status_code == 302
    assert client.get("/api/reddit").get_json()["status"] == 200
    client.post("/logout")
    assert user_agents(fake, fake.token_path) == [USER_AGENT]
    assert user_agents(fake, ME) == [USER_AGENT, USER_AGENT]  # the login's and the API's
    assert user_agents(fake, fake.revocation_path) == [USER_AGENT, USER_AGENT]


def test_without_user_agent_one_is_made_from_the_client_id(make_app, fake):
    config = load_provider("reddit", {"client_id": "abc", "client_secret": "s"}, {}, {})
    assert config.user_agent == "web:abc:v1 (flask-oauth2login)"
    client = make_app({"reddit": fake.entry()}).test_client()
    assert log_in(client, "reddit").status_code == 302
    sent = fake.requests_to(fake.token_path)[0]["headers"]["User-Agent"]
    assert sent == f"web:{fake.client_id}:v1 (flask-oauth2login)"


def test_a_user_agent_that_is_not_one_line_is_refused():
    with pytest.raises(ConfigurationError) as info:
        load_provider(
            "reddit", {"client_id": "c", "client_secret": "s", "user_agent": "a\nb"}, {}, {}
        )
    assert info.value.key == "user_agent"
