"""The Atlassian preset (audience, consent and accessible resources), against a fake
auth.atlassian.com and api.atlassian.com."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.wrappers import Request, Response

from flask_oauth2login.providers import atlassian
from tests.support.fake_providers import FakeProvider, Grant, fake_provider, json_response, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query

ME = "/me"
RESOURCES = "/oauth/token/accessible-resources"
ACCOUNT_ID = "112233aa-bb11-cc22-33dd-445566abcabc"
CLOUD_ID = "1324a887-45db-1bf4-1e99-ef0ff456d421"


class FakeAtlassian(FakeProvider):
    """Atlassian's 3LO: ``audience`` required, client credentials in the body."""

    client_id = "atlassian-client-id"
    client_secret = "atlassian-secret"
    client_auth = "client_secret_post"
    authorize_path = "/authorize"
    token_path = "/oauth/token"
    issues_id_tokens = False
    entry_paths = {"userinfo_url": ME}

    def reset(self) -> None:
        super().reset()
        self.me: dict[str, t.Any] = {
            "account_type": "atlassian",
            "account_id": ACCOUNT_ID,
            "email": "mia@example.test",
            "email_verified": True,
            "name": "Mia Krystof",
            "picture": "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/mia",
            "account_status": "active",
            "nickname": "mkrystof",
            "zoneinfo": "Australia/Sydney",
            "locale": "en-US",
            "extended_profile": {"job_title": "Designer", "department": "Design team"},
        }
        self.sites: list[dict[str, t.Any]] = [
            {
                "id": CLOUD_ID,
                "name": "Site name",
                "url": "https://your-domain.atlassian.net",
                "scopes": ["read:jira-work", "read:jira-user"],
                "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/flag.png",
            }
        ]
        self.resources_status = 200

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {ME: self.handle_me, RESOURCES: self.handle_resources}

    def handle_authorize(self, request: Request) -> Response:
        if request.args.get("audience") != "api.atlassian.com":
            return Response("audience is required", 400)
        return super().handle_authorize(request)

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        return {
            "access_token": access_token,
            "expires_in": 3600,
            "token_type": "Bearer",
            "scope": " ".join(grant.scope),
        }

    def handle_me(self, request: Request) -> Response:
        if self.grant_for(request) is None:
            return json_response({"code": 401, "message": "Unauthorized"}, 401)
        return json_response(self.me)

    def handle_resources(self, request: Request) -> Response:
        if self.grant_for(request) is None:
            return json_response({"code": 401, "message": "Unauthorized"}, 401)
        if self.resources_status != 200:
            return json_response({"code": 403, "message": "Forbidden"}, self.resources_status)
        return json_response(self.sites)


fake = fake_provider(FakeAtlassian)


@pytest.fixture
def client(make_app, fake):
    return make_app({"atlassian": fake.entry()}).test_client()


def test_preset_endpoints():
    preset = atlassian.preset
    assert preset.authorize_url == "https://auth.atlassian.com/authorize"
    assert preset.token_url == "https://auth.atlassian.com/oauth/token"
    assert preset.userinfo_url == "https://api.atlassian.com/me"
    assert preset.authorize_params == {"audience": "api.atlassian.com", "prompt": "consent"}


def test_authorization_request_has_audience_and_consent(client, fake):
    params = query(start_login(client, "atlassian"))
    assert params["audience"] == "api.atlassian.com"
    assert params["prompt"] == "consent"
    assert params["scope"] == "read:me"


def test_login_finds_the_user_and_the_cloud_id(client, fake):
    response = log_in(client, "atlassian")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["sub"] == ACCOUNT_ID
    assert user["email"] == "mia@example.test"
    assert user["email_verified"] is True
    assert user["name"] == "Mia Krystof"
    assert user["picture"].startswith("https://avatar-management")
    assert user["raw"]["cloud_id"] == CLOUD_ID
    assert user["raw"]["accessible_resources"][0]["url"] == "https://your-domain.atlassian.net"
    assert fake.requests_to(RESOURCES)[0]["headers"]["Authorization"].startswith("Bearer ")
    token_request = fake.requests_to(fake.token_path)[0]
    assert token_request["form"]["client_secret"] == fake.client_secret


def test_several_sites_leave_the_choice_to_the_app(client, fake):
    fake.sites.append({**fake.sites[0], "id": "another-cloud-id", "url": "https://b.atlassian.net"})
    log_in(client, "atlassian")
    raw = logged_in_user(client)["raw"]
    assert raw["cloud_id"] is None
    assert [s["id"] for s in raw["accessible_resources"]] == [CLOUD_ID, "another-cloud-id"]


def test_an_unverified_address_stays_unverified(client, fake):
    fake.me["email_verified"] = False
    log_in(client, "atlassian")
    assert logged_in_user(client)["email_verified"] is False


def test_a_refused_resources_call_keeps_the_login(client, fake):
    fake.resources_status = 403
    assert log_in(client, "atlassian").status_code == 302
    raw = logged_in_user(client)["raw"]
    assert raw["accessible_resources"] == [] and raw["cloud_id"] is None
