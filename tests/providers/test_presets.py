"""What every preset shares, for each row of ``specs.SPECS`` against the fake
the row makes: the configuration as data, a whole login to the normalized
user, the provider's refusals, and API calls, refresh and revocation where
the provider has them."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask, jsonify

from flask_oauth2login import login_failed
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.providers import get
from tests.providers.specs import SPECS, ProviderSpec
from tests.support.fake_providers import FakeServers, authorize, basic_credentials, deliver, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query
from tests.support.spec_fake import SpecFake, spec_fake_class

USER_FIELDS = {"sub", "email", "email_verified", "name", "picture", "issuer"}


def specs(where: t.Callable[[ProviderSpec], t.Any] = bool) -> pytest.MarkDecorator:
    """Run a test for each spec that *where* picks."""
    picked = [spec for spec in SPECS.values() if where(spec)]
    return pytest.mark.parametrize("spec", picked, ids=lambda spec: spec.name)


@pytest.fixture
def fake(spec: ProviderSpec, fake_servers: FakeServers) -> SpecFake:
    running = fake_servers.get(spec_fake_class(spec))
    running.reset()
    return running


def app_for(make_app: t.Callable[..., Flask], fake: SpecFake, **entry: t.Any) -> Flask:
    """An app with the spec's provider at *fake*; ``/api/<name>`` calls its API."""
    name = fake.spec.name
    return make_app({name: fake.entry(**entry)}, TEST_API_URLS={name: fake.spec.api})


def headers_of(request: dict[str, t.Any]) -> dict[str, str]:
    """The headers of a request the fake served, by lower-case name."""
    return {name.lower(): value for name, value in request["headers"].items()}


def assert_client_authenticated(fake: SpecFake, request: dict[str, t.Any]) -> None:
    """The client authenticated as the spec says: Basic, or in the form."""
    form = request["form"]
    if fake.spec.client_auth == "client_secret_basic":
        assert basic_credentials(request["headers"]) == (fake.client_id, fake.client_secret)
        assert "client_secret" not in form
    else:
        assert "authorization" not in headers_of(request)
        assert form["client_id"] == fake.client_id
        assert fake.check_client_secret(form["client_secret"])


# -- the configuration, as data ------------------------------------------------------------


@specs()
def test_the_configuration_is_data(spec):
    entry = {"client_id": "cid", "client_secret": "s", **spec.options}
    config = load_provider(spec.name, entry, {}, {})
    assert {key: getattr(config, key) for key in spec.urls} == dict(spec.urls)
    assert config.token_endpoint_auth_method == spec.client_auth
    preset = get(spec.name)
    assert {key: getattr(preset, key) for key in spec.preset} == dict(spec.preset)


# -- a whole login -----------------------------------------------------------------------------


@specs()
def test_login(spec, make_app, fake):
    assert set(spec.user) == USER_FIELDS
    client = app_for(make_app, fake).test_client()
    location = start_login(client, spec.name)
    params = query(location)
    assert params.get("scope") == fake.fill(spec.scope)
    assert ("nonce" in params) == ("openid" in (spec.scope or "").split())
    assert params["code_challenge_method"] == "S256"
    assert {key: params.get(key) for key in spec.params} == dict(spec.params)

    response = deliver(client, authorize(location))
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user is not None
    assert user["provider"] == spec.name
    assert {key: user[key] for key in USER_FIELDS} == fake.fill(spec.user)
    assert {key: user["raw"].get(key) for key in spec.raw} == fake.fill(spec.raw)

    skipped = (fake.authorize_path, fake.jwks_path, fake.discovery_path)
    assert [r["path"] for r in fake.requests if r["path"] not in skipped] == list(spec.calls)
    token_request = fake.requests_to(fake.token_path)[0]
    assert_client_authenticated(fake, token_request)
    assert token_request["form"]["code_verifier"]
    sent = headers_of(token_request)
    assert {name: sent.get(name.lower()) for name in spec.token_headers} == spec.token_headers
    assert bool(fake.refresh_tokens) == spec.refresh


@specs(lambda spec: spec.unverify)
def test_an_unverified_address_is_not_verified(spec, make_app, fake):
    spec.unverify(fake)
    client = app_for(make_app, fake).test_client()
    assert log_in(client, spec.name).status_code == 302
    user = logged_in_user(client)
    assert user["email"] == fake.fill(spec.user["email"])
    assert user["email_verified"] is False


# -- refusals ------------------------------------------------------------------------------------


@specs()
def test_the_user_says_no(spec, make_app, fake):
    fake.authorize_error = "access_denied"
    client = app_for(make_app, fake).test_client()
    response = log_in(client, spec.name)
    assert response.status_code == 403, response.get_data(as_text=True)
    assert logged_in_user(client) is None
    assert fake.requests_to(fake.token_path) == []


@specs()
def test_a_refused_code_fails_the_login(spec, make_app, fake):
    """The token endpoint's error, in the provider's shape and status."""
    fake.token_error = "invalid_grant"
    app = app_for(make_app, fake)
    client = app.test_client()
    failures: list[dict[str, t.Any]] = []
    with login_failed.connected_to(lambda sender, **extra: failures.append(extra), app):
        response = log_in(client, spec.name)
    assert response.status_code == 502, response.get_data(as_text=True)
    assert logged_in_user(client) is None
    assert [failure["provider"] for failure in failures] == [spec.name]


@specs(lambda spec: spec.oidc)
def test_an_id_token_from_another_issuer_is_refused(spec, make_app, fake):
    fake.id_token_overrides = {"iss": "https://evil.test"}
    client = app_for(make_app, fake).test_client()
    assert log_in(client, spec.name).status_code == 401
    assert logged_in_user(client) is None


@specs(lambda spec: not spec.oidc and spec.urls.get("userinfo_url"))
def test_a_user_endpoint_that_refuses_the_token_fails_the_login(spec, make_app, fake):
    """The user endpoint's refusal, in the provider's shape and status."""
    fake.reject_tokens = True
    client = app_for(make_app, fake).test_client()
    assert log_in(client, spec.name).status_code == 502
    assert logged_in_user(client) is None


@specs(lambda spec: spec.oidc and "userinfo_url" in spec.paths_of())
def test_userinfo_about_someone_else_is_refused(spec, make_app, fake):
    fake.userinfo_overrides = {"sub": "someone-else"}
    client = app_for(make_app, fake, fetch_userinfo=True).test_client()
    assert log_in(client, spec.name).status_code == 401
    assert fake.requests_to(fake.userinfo_path)
    assert logged_in_user(client) is None


# -- after the login: the API, refresh, logout ------------------------------------------------


@specs(lambda spec: spec.api)
def test_api_calls_carry_the_token_and_the_providers_headers(spec, make_app, fake):
    client = app_for(make_app, fake).test_client()
    assert log_in(client, spec.name).status_code == 302
    answer = client.get(f"/api/{spec.name}").get_json()
    assert answer["status"] == 200, answer
    path = fake.requests[-1]["path"]
    assert answer["body"] == fake.answers[path]
    expected = fake.fill(spec.api_headers)
    for call in fake.requests_to(path):  # the login's too, if it called there
        sent = headers_of(call)
        assert sent["authorization"].startswith("Bearer ")
        assert "access_token" not in call["args"]
        assert {name: sent.get(name.lower()) for name in expected} == expected


@specs(lambda spec: get(spec.name).token_profile_params)
def test_the_profile_in_the_token_answer_is_not_kept_with_the_token(spec, make_app, fake):
    app = app_for(make_app, fake)
    app.add_url_rule(
        "/_token", "token", lambda: jsonify(app.extensions["test_oauth"].token(spec.name))
    )
    client = app.test_client()
    assert log_in(client, spec.name).status_code == 302
    token = client.get("/_token").get_json()
    assert token["access_token"]
    assert ("refresh_token" in token) == spec.refresh
    assert not {*get(spec.name).token_profile_params, "_profile"} & set(token)


@specs(lambda spec: spec.refresh and spec.api)
def test_an_expired_token_is_refreshed(spec, make_app, fake):
    fake.expires_in = 1  # within the refresh leeway: the first API call refreshes
    client = app_for(make_app, fake).test_client()
    assert log_in(client, spec.name).status_code == 302
    assert client.get(f"/api/{spec.name}").get_json()["status"] == 200
    grants = [r["form"]["grant_type"] for r in fake.requests_to(fake.token_path)]
    assert grants == ["authorization_code", "refresh_token"]
    assert_client_authenticated(fake, fake.requests_to(fake.token_path)[1])
    assert logged_in_user(client) is not None


@specs(lambda spec: spec.urls.get("revocation_url") or "revocation_url" in spec.paths)
def test_logout_revokes_the_tokens(spec, make_app, fake):
    client = app_for(make_app, fake).test_client()
    assert log_in(client, spec.name).status_code == 302
    response = client.post("/logout")
    # The fakes have no end-session endpoint: presets that log out at the provider
    # too answer with a page saying the user may still be logged in there.
    expected = 200 if get(spec.name).logout_at_provider else 303
    assert response.status_code == expected, response.get_data(as_text=True)
    revocations = fake.requests_to(fake.revocation_path)
    hints = [r["form"]["token_type_hint"] for r in revocations]
    assert hints == (["refresh_token", "access_token"] if spec.refresh else ["access_token"])
    for revocation in revocations:
        assert_client_authenticated(fake, revocation)
    assert fake.tokens == {}  # the access token is gone
