"""When a login calls the UserInfo endpoint (``fetch_userinfo``), counted at
real providers on loopback: the rogue provider and the npm ``oidc-provider``."""

from __future__ import annotations

import typing as t
from collections.abc import Iterator

import pytest

from flask_oauth2login.config.settings import load_provider
from tests.support.logins import follow_callback, log_in, start_login
from tests.support.oidc_provider import OidcProvider, login, require_node
from tests.support.rogue_idp import rogue_entry
from tests.support.threads import http_session

#: The claims of the normalized user that the scopes ``email`` and ``profile`` promise.
USER_CLAIMS = ("email", "email_verified", "name", "picture")


def logged_in_user(client: t.Any) -> dict[str, t.Any]:
    user = client.get("/").get_json()["user"]
    assert user is not None
    return user


def legacy_entry(rogue: t.Any, **overrides: t.Any) -> dict[str, t.Any]:
    """The rogue provider as plain OAuth 2.0: endpoints by hand, no ``openid``."""
    return {
        "client_id": rogue.client_id,
        "client_secret": rogue.client_secret,
        "authorize_url": rogue.issuer + "/authorize",
        "token_url": rogue.issuer + "/token",
        "userinfo_url": rogue.issuer + "/userinfo",
        **overrides,
    }


def test_a_login_whose_id_token_carries_the_claims_makes_one_call(app, rogue):
    assert log_in(app.test_client(), rogue).status_code == 302  # discovery and keys, cached
    rogue.requests_log.clear()
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    # The browser's visit to the authorization endpoint, then the token request only.
    assert [r["endpoint"] for r in rogue.requests_log] == ["authorize", "token"]
    user = logged_in_user(client)
    assert user["email"] == "alice@example.test"
    assert user["email_verified"] is True
    assert user["name"] == "Alice Example"
    assert user["picture"] == "https://img.example.test/alice.png"


@pytest.mark.parametrize("claim", USER_CLAIMS)
def test_userinfo_is_asked_for_a_claim_the_id_token_lacks(app, rogue, claim):
    assert log_in(app.test_client(), rogue).status_code == 302
    assert rogue.calls["userinfo"] == 0  # the ID token had it
    rogue.behaviour.id_token_claims = {claim: None}
    rogue.behaviour.userinfo_overrides = {"email": "from-userinfo@example.test"}
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    assert rogue.calls["userinfo"] == 1
    user = logged_in_user(client)
    # The ID token's claims win; UserInfo fills in what it lacks.
    expected = "from-userinfo@example.test" if claim == "email" else "alice@example.test"
    assert user["email"] == expected
    assert user["email_verified"] is True
    assert user["name"] == "Alice Example"


@pytest.mark.parametrize(
    ("scope", "missing"),
    [
        ("openid email", ("name", "picture")),
        ("openid profile", ("email", "email_verified")),
        ("openid", USER_CLAIMS),
    ],
)
def test_a_claim_no_asked_scope_promises_does_not_call_userinfo(make_app, rogue, scope, missing):
    app = make_app({"rogue": rogue_entry(rogue, scope=scope)})
    rogue.behaviour.id_token_claims = dict.fromkeys(missing)
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    assert rogue.calls["token"] == 1
    assert rogue.calls["userinfo"] == 0
    user = logged_in_user(client)
    assert user["sub"] == "user-123"
    for claim in set(missing) - {"email_verified"}:
        assert user[claim] is None


def test_fetch_userinfo_true_always_calls(make_app, rogue):
    app = make_app({"always": rogue_entry(rogue, fetch_userinfo=True), "auto": rogue_entry(rogue)})
    rogue.behaviour.userinfo_overrides = {"locale": "en-GB"}
    client = app.test_client()
    assert log_in(client, rogue, "always").status_code == 302
    assert rogue.calls["userinfo"] == 1
    assert logged_in_user(client)["raw"]["locale"] == "en-GB"
    assert log_in(app.test_client(), rogue, "auto").status_code == 302
    assert rogue.calls["userinfo"] == 1  # the same ID token: "auto" did not call


def test_fetch_userinfo_true_still_checks_the_subject(make_app, rogue, failures):
    app = make_app({"always": rogue_entry(rogue, fetch_userinfo=True), "auto": rogue_entry(rogue)})
    rogue.behaviour.userinfo_overrides = {"sub": "mallory"}
    client = app.test_client()
    assert log_in(client, rogue, "always").status_code == 401
    assert rogue.calls["userinfo"] == 1
    assert failures[0]["error"].error_code == "invalid_token"
    assert client.get("/").get_json()["user"] is None
    # "auto" never hears the lying UserInfo: the ID token says it all.
    client = app.test_client()
    assert log_in(client, rogue, "auto").status_code == 302
    assert rogue.calls["userinfo"] == 1
    assert logged_in_user(client)["sub"] == "user-123"


def test_fetch_userinfo_false_never_calls(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue, fetch_userinfo=False)})
    rogue.behaviour.id_token_claims = {"email": None, "picture": None}
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    assert rogue.calls["userinfo"] == 0
    user = logged_in_user(client)
    assert user["sub"] == "user-123"
    assert user["email"] is None
    assert user["name"] == "Alice Example"


def test_plain_oauth2_calls_its_user_endpoint_unless_told_not_to(make_app, rogue, failures):
    app = make_app(
        {"auto": legacy_entry(rogue), "never": legacy_entry(rogue, fetch_userinfo=False)}
    )
    client = app.test_client()
    assert log_in(client, rogue, "auto").status_code == 302
    assert rogue.calls["userinfo"] == 1  # the only source of the user
    assert logged_in_user(client)["email"] == "alice@example.test"
    # Without it nothing says who the user is: a clean refusal, not a crash.
    client = app.test_client()
    assert log_in(client, rogue, "never").status_code == 502
    assert rogue.calls["userinfo"] == 1
    assert failures[0]["error"].error_code == "invalid_provider_response"
    assert client.get("/").get_json()["user"] is None


@pytest.mark.parametrize("fetch_userinfo", ["auto", True])
def test_without_a_userinfo_endpoint_the_id_token_is_enough(make_app, rogue, fetch_userinfo):
    rogue.behaviour.metadata_overrides = {"userinfo_endpoint": None}
    rogue.behaviour.id_token_claims = {"email": None}
    app = make_app(
        {
            "without": rogue_entry(rogue, fetch_userinfo=fetch_userinfo),
            # Contrast: the same provider with the endpoint, ID token complete.
            "with": rogue_entry(rogue, userinfo_url=rogue.issuer + "/userinfo"),
        }
    )
    client = app.test_client()
    assert log_in(client, rogue, "without").status_code == 302
    user = logged_in_user(client)
    assert user["sub"] == "user-123"
    assert user["email"] is None
    rogue.behaviour.id_token_claims = {}
    assert log_in(app.test_client(), rogue, "with").status_code == 302
    assert rogue.calls["userinfo"] == 0


def test_presets_default_to_auto_and_gitlab_to_true():
    def loaded(preset: str, **entry: t.Any) -> t.Any:
        entry = {"client_id": "c", "client_secret": "s", "preset": preset, **entry}
        options = {"auth0": {"domain": "t.example"}, "okta": {"domain": "t.example"}}
        return load_provider(preset, {**entry, **options.get(preset, {})}, {}, {})

    for preset in ("oidc", "google", "linkedin", "slack", "twitch", "auth0", "okta"):
        extra = (
            {"server_metadata_url": "https://op.example/.well-known"} if preset == "oidc" else {}
        )
        assert loaded(preset, **extra).fetch_userinfo == "auto", preset
    # GitLab puts picture (and its username) in UserInfo only.
    assert loaded("gitlab").fetch_userinfo is True
    assert loaded("gitlab", fetch_userinfo="auto").fetch_userinfo == "auto"


def test_the_gitlab_preset_calls_userinfo_though_the_id_token_looks_complete(make_app, rogue):
    endpoints = {
        "base_url": rogue.issuer,
        "issuer": rogue.issuer,
        "authorize_url": rogue.issuer + "/authorize",
        "token_url": rogue.issuer + "/token",
        "userinfo_url": rogue.issuer + "/userinfo",
        "jwks_uri": rogue.issuer + "/jwks",
    }
    gitlab = {"client_id": rogue.client_id, "client_secret": rogue.client_secret, **endpoints}
    app = make_app(
        {"gitlab": gitlab, "lab-auto": {**gitlab, "preset": "gitlab", "fetch_userinfo": "auto"}}
    )
    rogue.behaviour.userinfo_overrides = {"nickname": "alice"}
    client = app.test_client()
    assert log_in(client, rogue, "gitlab").status_code == 302
    assert rogue.calls["userinfo"] == 1
    assert logged_in_user(client)["raw"]["nickname"] == "alice"
    assert log_in(app.test_client(), rogue, "lab-auto").status_code == 302
    assert rogue.calls["userinfo"] == 1


# -- the certified npm oidc-provider -----------------------------------------------------

CLIENT = {
    "client_id": "userinfo-app",
    "client_secret": "userinfo-secret",
    "redirect_uris": ["http://localhost/callback/op"],
    "grant_types": ["authorization_code"],
    "token_endpoint_auth_method": "client_secret_basic",
}


@pytest.fixture(scope="module")
def providers() -> Iterator[dict[str, OidcProvider]]:
    """Two oidc-provider instances: one that keeps the claims out of the ID
    token (its default, ``conformIdTokenClaims``), one that puts them in."""
    require_node()
    with (
        OidcProvider([CLIENT]) as conform,
        OidcProvider([CLIENT], id_token_claims=True) as full,
    ):
        yield {"conform": conform, "full": full}


def test_oidc_provider_userinfo_only_when_the_id_token_lacks_claims(make_app, providers):
    seen = {}
    for kind, provider in providers.items():
        provider.reset_stats()
        entry = {
            "client_id": CLIENT["client_id"],
            "client_secret": CLIENT["client_secret"],
            "server_metadata_url": provider.metadata_url,
        }
        client = make_app({"op": entry}).test_client()
        callback = login(http_session(), start_login(client, "op"), username="grace")
        assert follow_callback(client, callback).status_code == 302
        user = logged_in_user(client)
        assert (user["sub"], user["email"], user["email_verified"]) == (
            "grace",
            "grace@example.test",
            True,
        )
        assert user["name"] == "Grace"
        assert user["picture"] == "https://img.example.test/grace.png"
        stats = provider.stats()
        seen[kind] = (stats["grants"]["authorization_code"], stats["userinfo"])
    assert seen == {"conform": (1, 1), "full": (1, 0)}
