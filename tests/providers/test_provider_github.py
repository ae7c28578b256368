"""The GitHub preset, against a fake GitHub on loopback."""

from __future__ import annotations

import typing as t
from urllib.parse import urlencode

import pytest
from werkzeug.wrappers import Request, Response

from flask_oauth2login import login_failed
from flask_oauth2login.providers import github
from tests.support.fake_providers import FakeProvider, Grant, fake_provider, json_response, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query


class FakeGitHub(FakeProvider):
    """github.com's OAuth endpoints and api.github.com's ``/user`` and ``/user/emails``."""

    client_id = "Iv1.0123456789abcdef"
    client_secret = "github-secret"
    client_auth = "client_secret_post"
    authorize_path = "/login/oauth/authorize"
    token_path = "/login/oauth/access_token"
    issues_id_tokens = False
    entry_paths = {"userinfo_url": "/user"}

    def reset(self) -> None:
        super().reset()
        self.user: dict[str, t.Any] = {
            "login": "octocat",
            "id": 583231,
            "node_id": "MDQ6VXNlcjU4MzIzMQ==",
            "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
            "type": "User",
            "name": "The Octocat",
            "email": None,
        }
        self.emails: list[dict[str, t.Any]] = [
            {"email": "old@example.test", "primary": False, "verified": True, "visibility": None},
            {
                "email": "octocat@example.test",
                "primary": True,
                "verified": True,
                "visibility": "private",
            },
        ]

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {"/user": self.handle_user, "/user/emails": self.handle_emails}

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        # GitHub: lower-case "bearer", comma-separated scopes, no expiry.
        return {
            "access_token": access_token,
            "token_type": "bearer",
            "scope": ",".join(grant.scope),
        }

    def handle_token(self, request: Request) -> Response:
        response = super().handle_token(request)
        if "application/json" not in request.headers.get("Accept", ""):
            # GitHub's default answer is form-encoded.
            response.set_data(urlencode(response.get_json()))
            response.mimetype = "application/x-www-form-urlencoded"
        return response

    def token_error_response(self, error: str, description: str, status: int) -> Response:
        # GitHub answers token errors with HTTP 200.
        return json_response(
            {
                "error": error,
                "error_description": description,
                "error_uri": "https://docs.github.com/apps/oauth",
            }
        )

    def handle_user(self, request: Request) -> Response:
        if self.grant_for(request) is None:
            return _bad_credentials()
        return json_response(self.user)

    def handle_emails(self, request: Request) -> Response:
        grant = self.grant_for(request)
        if grant is None:
            return _bad_credentials()
        if "user:email" not in grant.scope:
            return json_response({"message": "Not Found"}, 404)
        return json_response(self.emails)


def _bad_credentials() -> Response:
    return json_response(
        {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, 401
    )


fake = fake_provider(FakeGitHub)


@pytest.fixture
def app(make_app, fake):
    api = fake.url("/")
    return make_app({"github": fake.entry(api_base_url=api)}, TEST_API_URLS={"github": "/user"})


def test_preset_is_plain_oauth_with_github_endpoints():
    preset = github.preset
    assert preset.authorize_url == "https://github.com/login/oauth/authorize"
    assert preset.token_url == "https://github.com/login/oauth/access_token"
    assert preset.userinfo_url == "https://api.github.com/user"
    assert "openid" not in preset.scope
    assert preset.token_request_headers["Accept"] == "application/json"
    assert preset.console_url.startswith("https://github.com/")


def test_authorization_request_has_no_openid_and_no_nonce(app, fake):
    params = query(start_login(app.test_client(), "github"))
    assert params["scope"] == "read:user user:email"
    assert "nonce" not in params
    assert params["code_challenge_method"] == "S256"


def test_login_takes_the_primary_verified_address(app, fake):
    client = app.test_client()
    response = log_in(client, "github")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["provider"] == "github"
    assert user["sub"] == "583231"
    assert user["email"] == "octocat@example.test"
    assert user["email_verified"] is True
    assert user["name"] == "The Octocat"
    assert user["picture"] == "https://avatars.githubusercontent.com/u/583231?v=4"
    assert user["issuer"] == fake.base_url  # plain OAuth: the authorization server's origin
    assert user["raw"]["login"] == "octocat"
    assert user["raw"]["emails"] == fake.emails
    token_request = fake.requests_to(fake.token_path)[0]
    assert token_request["headers"]["Accept"] == "application/json"
    assert token_request["form"]["client_secret"] == fake.client_secret


def test_unverified_primary_falls_back_to_the_public_address_unverified(app, fake):
    fake.user["email"] = "public@example.test"
    fake.emails = [
        {"email": "octocat@example.test", "primary": True, "verified": False, "visibility": None}
    ]
    client = app.test_client()
    log_in(client, "github")
    user = logged_in_user(client)
    assert user["email"] == "public@example.test"
    assert user["email_verified"] is False


def test_emails_endpoint_refused_keeps_the_login(make_app, fake):
    fake.user["email"] = "public@example.test"
    app = make_app({"github": fake.entry(scope="read:user")})
    client = app.test_client()
    assert log_in(client, "github").status_code == 302
    user = logged_in_user(client)
    assert user["email"] == "public@example.test"
    assert user["email_verified"] is False
    assert "emails" not in user["raw"]


def test_no_address_at_all(app, fake):
    fake.emails = []
    client = app.test_client()
    log_in(client, "github")
    user = logged_in_user(client)
    assert user["email"] is None
    assert user["email_verified"] is False


def test_token_error_answered_with_200_fails_the_login(app, fake):
    fake.token_error = "bad_verification_code"
    failures = []

    def record(sender, **extra):
        failures.append(extra)

    client = app.test_client()
    with login_failed.connected_to(record, app):
        response = log_in(client, "github")
    assert response.status_code == 502
    assert "bad_verification_code" in response.get_data(as_text=True)
    assert logged_in_user(client) is None
    assert failures and failures[0]["provider"] == "github"


def test_user_who_says_no(app, fake):
    fake.authorize_error = "access_denied"
    client = app.test_client()
    response = log_in(client, "github")
    assert response.status_code == 403
    assert logged_in_user(client) is None


def test_api_session_sends_bearer_and_github_headers(app, fake):
    client = app.test_client()
    log_in(client, "github")
    answer = client.get("/api/github").get_json()
    assert answer["status"] == 200
    assert answer["body"]["login"] == "octocat"
    api_call = fake.requests_to("/user")[-1]
    assert api_call["headers"]["Authorization"].startswith("Bearer ")
    assert api_call["headers"]["X-Github-Api-Version"] == "2022-11-28"
