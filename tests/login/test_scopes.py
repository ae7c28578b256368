"""Login options per request and incremental authorization.

``GET /login/<provider>`` with ``scope`` (only from ``allowed_scopes``),
``prompt``, ``login_hint`` and ``max_age``; ``@login_required(provider,
scope=...)`` against the rogue provider, which can grant less than it was
asked; and the presets' ways with scopes.
"""

from __future__ import annotations

import time
import typing as t

import pytest
from flask import Flask, jsonify

from flask_oauth2login import ConfigurationError, login_required
from flask_oauth2login.login.outcome import REFUSED_KEY
from flask_oauth2login.providers import github, google, microsoft, slack
from flask_oauth2login.tokens.logins import TOKENS_KEY
from tests.support.logins import follow_callback, log_in_from, log_in_here, start_login
from tests.support.oauth import query
from tests.support.rogue_idp import RogueProvider, rogue_entry

BASE_SCOPE = "openid email profile"


@pytest.fixture
def app(make_app: t.Callable[..., Flask], rogue: RogueProvider) -> Flask:
    entry = rogue_entry(rogue, allowed_scopes=["api:read", "api:write", "offline_access"])
    app = make_app({"rogue": entry})
    oauth = app.extensions["test_oauth"]

    @app.get("/reports")
    @login_required("rogue", scope="api:read")
    def reports() -> t.Any:
        return jsonify(scope=oauth.token("rogue")["scope"])

    @app.get("/admin")
    @login_required("rogue", scope=["api:read", "api:write"])
    def admin() -> str:
        return "admin"

    @app.get("/latest")
    @login_required(scope="api:read")
    def latest() -> str:
        return "latest"

    @app.get("/login-url")
    def login_url() -> str:
        return oauth.login_url(
            "rogue",
            next="/reports",
            scope=["api:read"],
            prompt="consent",
            login_hint="ada@example.test",
            max_age=300,
        )

    return app


def granted(client: t.Any) -> str:
    with client.session_transaction() as sess:
        return sess[TOKENS_KEY]["rogue"]["scope"]  # type: ignore[no-any-return]


def follow(client: t.Any, rogue: RogueProvider, response: t.Any) -> t.Any:
    """Follow a redirect to log in, through the provider, back to the app."""
    assert response.status_code == 302, response.get_data(as_text=True)
    started = client.get(response.headers["Location"])
    assert started.status_code == 302, started.get_data(as_text=True)
    return follow_callback(client, rogue.authorize(started.headers["Location"]))


# -- the scope of a login link ---------------------------------------------------------------


def test_the_granted_scope_is_what_the_provider_said(client, rogue):
    rogue.behaviour.token_overrides = {"scope": "openid  email"}
    log_in_here(client, rogue)
    assert granted(client) == "openid email"


def test_the_granted_scope_is_what_was_asked_when_the_provider_is_silent(client, rogue):
    rogue.behaviour.token_overrides = {"scope": None}
    log_in_here(client, rogue, "rogue")
    assert granted(client) == BASE_SCOPE


def test_an_allowed_scope_is_passed_through(client, rogue):
    location = start_login(client, scope="api:read api:read offline_access")
    assert query(location)["scope"] == f"{BASE_SCOPE} api:read offline_access"
    assert follow_callback(client, rogue.authorize(location)).status_code == 302
    assert granted(client) == f"{BASE_SCOPE} api:read offline_access"


def test_a_configured_scope_may_be_asked_again(client, rogue):
    assert query(start_login(client, scope="email"))["scope"] == BASE_SCOPE


@pytest.mark.parametrize(
    ("scope", "shown"),
    [
        ("admin", "&#39;admin&#39;"),
        ("api:read <script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('"quoted"', "is not a scope"),
    ],
)
def test_a_scope_not_allowed_answers_400_naming_it(client, rogue, failures, scope, shown):
    response = client.get("/login/rogue", query_string={"scope": scope})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert shown in html
    assert "<script>alert" not in html
    assert response.headers["X-Frame-Options"] == "DENY"
    assert rogue.requests_log == []  # nothing was asked of the provider
    assert [f["error"].error_code for f in failures] == ["invalid_request"]
    with client.session_transaction() as sess:
        assert "_oauth2login_pending" not in sess
    as_json = client.get(
        "/login/rogue", query_string={"scope": scope}, headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 400
    assert as_json.get_json()["error"] == "invalid_request"


def test_no_scope_is_allowed_by_default(make_app, rogue):
    client = make_app({"rogue": rogue_entry(rogue)}).test_client()
    response = client.get("/login/rogue?scope=api:read")
    assert response.status_code == 400
    assert "allowed_scopes" in response.get_data(as_text=True)


def test_prompt_login_hint_and_max_age_are_passed_through(client):
    params = query(
        start_login(client, prompt="login consent", login_hint="ada@example.test", max_age="0")
    )
    assert params["prompt"] == "login consent"
    assert params["login_hint"] == "ada@example.test"
    assert params["max_age"] == "0"
    plain = query(start_login(client))
    assert not {"prompt", "login_hint", "max_age"} & set(plain)


@pytest.mark.parametrize(
    "params",
    [
        {"prompt": "please"},
        {"prompt": "none login"},
        {"max_age": "-1"},
        {"max_age": "soon"},
        {"max_age": "٣"},  # a digit, but not an ASCII one
        {"max_age": str(10**12)},
        {"login_hint": "x" * 300},
        {"login_hint": "ada\r\nSet-Cookie: x"},
    ],
)
def test_malformed_options_answer_400(client, rogue, params):
    response = client.get("/login/rogue", query_string=params)
    assert response.status_code == 400
    assert response.get_json(silent=True) is None
    assert rogue.requests_log == []


def test_max_age_needs_openid_connect(make_app, rogue):
    legacy = {
        "client_id": rogue.client_id,
        "client_secret": rogue.client_secret,
        "authorize_url": rogue.issuer + "/authorize",
        "token_url": rogue.issuer + "/token",
    }
    client = make_app({"legacy": legacy}).test_client()
    response = client.get("/login/legacy?max_age=60")
    assert response.status_code == 400
    assert "OpenID Connect" in response.get_data(as_text=True)
    assert client.get("/login/legacy?prompt=login").status_code == 302


def test_a_post_takes_the_same_options(client, rogue):
    response = client.post(
        "/login/rogue", data={"scope": "api:read", "prompt": "consent", "next": "/reports"}
    )
    assert response.status_code == 303
    params = query(response.headers["Location"])
    assert params["scope"] == f"{BASE_SCOPE} api:read"
    assert params["prompt"] == "consent"
    assert (
        follow_callback(client, rogue.authorize(response.headers["Location"])).headers["Location"]
        == "/reports"
    )


def test_oauth_login_url(app, client):
    url = client.get("/login-url").get_data(as_text=True)
    assert url.startswith("/login/rogue?")
    assert query(url) == {
        "next": "/reports",
        "scope": "api:read",
        "prompt": "consent",
        "login_hint": "ada@example.test",
        "max_age": "300",
    }
    assert query(start_login(client, **query(url)))["scope"] == f"{BASE_SCOPE} api:read"
    with app.test_request_context():
        oauth = app.extensions["test_oauth"]
        assert oauth.login_url("rogue") == "/login/rogue"
        assert oauth.login_url("rogue", scope="a b") == "/login/rogue?scope=a+b"
        with pytest.raises(ConfigurationError, match="nobody"):
            oauth.login_url("nobody")


def test_allowed_scopes_is_checked_at_start_up(make_app, rogue):
    with pytest.raises(ConfigurationError, match=r"\['rogue'\]\['allowed_scopes'\]"):
        make_app({"rogue": rogue_entry(rogue, allowed_scopes=['a"b'])})
    with pytest.raises(ConfigurationError, match="allowed_scopes"):
        make_app({"rogue": rogue_entry(rogue, allowed_scopes=42)})


# -- incremental authorization ---------------------------------------------------------------


def test_a_missing_scope_sends_the_browser_to_ask_for_it_and_back(client, rogue):
    log_in_here(client, rogue)
    assert granted(client) == BASE_SCOPE
    needs = client.get("/reports?week=2")
    assert needs.status_code == 302
    login_url = needs.headers["Location"]
    assert login_url.startswith("/login/rogue?")
    assert query(login_url) == {"next": "/reports?week=2", "scope": "api:read"}

    back = follow(client, rogue, needs)
    assert back.status_code == 302
    assert back.headers["Location"] == "/reports?week=2"
    asked = rogue.requests_to("authorize")[-1]["args"]
    assert asked["scope"] == f"{BASE_SCOPE} api:read"  # configured + granted + new
    assert client.get("/reports?week=2").get_json() == {"scope": f"{BASE_SCOPE} api:read"}
    assert client.get("/").get_json()["user"]["sub"] == "user-123"


def test_the_granted_scope_is_kept_when_asking_for_more(client, rogue):
    log_in_from(client, rogue, "rogue", None, scope="api:read")
    location = start_login(client, scope="api:write")
    assert query(location)["scope"] == f"{BASE_SCOPE} api:read api:write"


def test_not_logged_in_asks_for_the_scope_at_once(client, rogue):
    needs = client.get("/reports")
    assert query(needs.headers["Location"]) == {"next": "/reports", "scope": "api:read"}
    follow(client, rogue, needs)
    assert client.get("/reports").status_code == 200


def test_without_a_provider_the_most_recent_login_is_checked(client, rogue):
    log_in_here(client, rogue)
    needs = client.get("/latest")
    assert query(needs.headers["Location"])["scope"] == "api:read"
    follow(client, rogue, needs)
    assert client.get("/latest").get_data(as_text=True) == "latest"


def test_json_clients_get_401_insufficient_scope(client, rogue):
    log_in_here(client, rogue)
    response = client.get("/admin", headers={"Accept": "application/json"})
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "insufficient_scope"
    assert body["scope"] == "api:read api:write"
    assert query(body["login_url"]) == {"next": "/admin", "scope": "api:read api:write"}
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="api:read api:write"' in challenge


def test_a_provider_granting_less_is_not_asked_again_in_a_loop(app, client, rogue):
    log_in_here(client, rogue)
    rogue.behaviour.token_overrides = {"scope": "openid email profile api:read"}
    back = follow(client, rogue, client.get("/admin"))
    assert back.status_code == 302  # the login itself worked
    assert granted(client) == f"{BASE_SCOPE} api:read"

    answer = client.get("/admin")  # api:write was asked for moments ago, and not granted
    assert answer.status_code == 403
    html = answer.get_data(as_text=True)
    assert "was not granted" in html
    assert "api:write" in html
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert '<a class="button primary" href="/login/rogue?next=/admin&amp;scope=api:write">' in html
    assert client.get("/reports").status_code == 200  # what was granted works
    as_json = client.get("/admin", headers={"Accept": "application/json"})
    assert as_json.status_code == 401
    assert as_json.get_json()["scope"] == "api:write"

    # A login timeout later, the page asks again.
    with client.session_transaction() as sess:
        refused = dict(sess[REFUSED_KEY])
        refused["rogue"] = {**refused["rogue"], "at": time.time() - 601}
        sess[REFUSED_KEY] = refused
    again = client.get("/admin")
    assert again.status_code == 302
    assert query(again.headers["Location"])["scope"] == "api:write"


def test_a_later_grant_clears_the_loop_guard(client, rogue):
    log_in_here(client, rogue)
    rogue.behaviour.token_overrides = {"scope": BASE_SCOPE}
    follow(client, rogue, client.get("/reports"))
    assert client.get("/reports").status_code == 403
    rogue.behaviour.token_overrides = {}
    ask_again = client.get("/login/rogue?next=/reports&scope=api:read")  # the page's button
    assert (
        follow_callback(client, rogue.authorize(ask_again.headers["Location"])).status_code == 302
    )
    assert client.get("/reports").status_code == 200
    with client.session_transaction() as sess:
        assert REFUSED_KEY not in sess


def test_a_refresh_keeps_the_granted_scope(make_app, rogue):
    entry = rogue_entry(rogue, allowed_scopes=["api:read"])
    app = make_app({"rogue": entry}, TEST_API_URLS={"rogue": rogue.issuer + "/api/me"})
    client = app.test_client()
    log_in_from(client, rogue, "rogue", None, scope="api:read")
    rogue.behaviour.token_overrides = {"scope": None}  # the refresh answer says no scope
    with client.session_transaction() as sess:
        tokens = dict(sess[TOKENS_KEY])
        tokens["rogue"] = {**tokens["rogue"], "expires_at": 0}
        sess[TOKENS_KEY] = tokens
    assert client.get("/api/rogue").get_json()["status"] == 200
    assert rogue.calls["token:refresh_token"] == 1
    assert granted(client) == f"{BASE_SCOPE} api:read"


# -- max_age and auth_time -------------------------------------------------------------------


def test_an_old_sign_in_is_refused_when_max_age_was_asked(client, rogue, failures):
    rogue.behaviour.id_token_claims = {"auth_time": int(time.time()) - 3600}
    response = log_in_from(client, rogue, "rogue", None, max_age="300")
    assert response.status_code == 401
    assert "within the last 300 seconds" in response.get_data(as_text=True)
    assert [f["error"].error_code for f in failures] == ["invalid_token"]
    assert client.get("/").get_json()["user"] is None


def test_an_old_sign_in_is_fine_without_max_age(client, rogue):
    rogue.behaviour.id_token_claims = {"auth_time": int(time.time()) - 3600}
    assert log_in_from(client, rogue, "rogue").status_code == 302


def test_a_recent_sign_in_meets_max_age(client, rogue):
    rogue.behaviour.id_token_claims = {"auth_time": int(time.time()) - 100}
    assert log_in_from(client, rogue, "rogue", None, max_age="300").status_code == 302


@pytest.mark.parametrize("auth_time", [None, "yesterday", True])
def test_max_age_needs_auth_time_in_the_id_token(client, rogue, auth_time):
    rogue.behaviour.id_token_claims = {"auth_time": auth_time}
    response = log_in_from(client, rogue, "rogue", None, max_age="300")
    assert response.status_code == 401
    assert "auth_time" in response.get_data(as_text=True)
    assert client.get("/").get_json()["user"] is None


def test_max_age_allows_the_clock_skew(client, rogue):
    rogue.behaviour.id_token_claims = {"auth_time": int(time.time()) - 330}
    assert log_in_from(client, rogue, "rogue", None, max_age="300").status_code == 302


# -- the presets' ways -----------------------------------------------------------------------


def preset_app(make_app: t.Callable[..., Flask], name: str, **entry: t.Any) -> Flask:
    return make_app({name: {"client_id": "id", "client_secret": "secret", **entry}})


def test_google_asks_incrementally_and_spells_offline_access(make_app):
    app = preset_app(make_app, "google", allowed_scopes=["offline_access", "drive"])
    params = query(start_login(app.test_client(), "google", scope="offline_access drive"))
    assert params["include_granted_scopes"] == "true"
    assert params["access_type"] == "offline"
    assert params["scope"] == "openid email profile drive"
    assert "access_type" not in query(start_login(app.test_client(), "google"))
    assert google.preset.missing_scopes(
        ["email", "profile", "openid"],
        ["openid", "https://www.googleapis.com/auth/userinfo.email"],
    ) == ("profile",)


def test_github_asks_space_separated_and_reads_commas(make_app):
    app = preset_app(make_app, "github", allowed_scopes="repo gist")
    assert query(start_login(app.test_client(), "github", scope="repo gist"))["scope"] == (
        "read:user user:email repo gist"
    )
    granted = github.preset.granted_scope("read:user,user:email,repo", ())
    assert granted == ("read:user", "user:email", "repo")
    assert github.preset.missing_scopes(["public_repo", "repo:status", "gist"], granted) == (
        "gist",
    )
    assert github.preset.missing_scopes(["read:org"], ["admin:org"]) == ()


def test_microsoft_default_scope(make_app):
    graph = "https://graph.microsoft.com"
    app = preset_app(make_app, "microsoft", allowed_scopes=[f"{graph}/.default", "User.Read"])
    scope = f"User.Read {graph}/.default"
    assert query(start_login(app.test_client(), "microsoft", scope=scope))["scope"] == (
        f"openid email profile {graph}/.default"
    )
    preset = microsoft.preset
    assert preset.missing_scopes([f"{graph}/User.Read", f"{graph}/.default"], ["User.Read"]) == ()
    assert preset.missing_scopes(["Mail.Read"], [f"{graph}/Mail.Read", "openid"]) == ()
    assert preset.missing_scopes(["api://app/.default"], ["User.Read"]) == ("api://app/.default",)


def test_slack_user_scopes(make_app):
    app = preset_app(make_app, "slack", allowed_scopes="channels:read users:read")
    params = query(start_login(app.test_client(), "slack", scope="channels:read users:read"))
    assert params["scope"] == "openid email profile"
    assert params["user_scope"] == "channels:read,users:read"
    assert slack.preset.granted_scope("openid,email,profile", ()) == ("openid", "email", "profile")


# -- flask oauth2login check ---------------------------------------------------------------


def test_check_lists_each_providers_allowed_scopes(make_app, rogue):
    from flask_oauth2login.cli import oauth2login_group

    app = make_app(
        {
            "rogue": rogue_entry(rogue, allowed_scopes="api:read api:write"),
            "plain": rogue_entry(rogue),
        }
    )
    app.cli.add_command(oauth2login_group)
    result = app.test_cli_runner().invoke(args=["oauth2login", "check", "--offline"])
    rogue_part, plain_part = result.output.split("Provider 'plain'")
    assert (
        "scope: openid email profile; allowed_scopes (asked for on demand): api:read api:write."
        in " ".join(rogue_part.split())
    )
    assert "allowed_scopes: none" in " ".join(plain_part.split())
