"""POST /logout: forget the login, revoke at the provider (best effort), and
with ``logout_at_provider`` log out there too (RP-Initiated Logout 1.0)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from flask_oauth2login import ConfigurationError, logged_out, providers
from flask_oauth2login.tokens.logins import TOKENS_KEY
from tests.conftest import log_in, rogue_entry
from tests.support.sealed import opened_session, session_token


def stored_tokens(client):
    return opened_session(client).get(TOKENS_KEY, {})


def test_logout_revokes_refresh_and_access_token_and_forgets(app, client, rogue):
    log_in(client, rogue)
    token = session_token(client)
    seen = []
    with logged_out.connected_to(lambda sender, **kw: seen.append(kw), app):
        response = client.post("/logout")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert set(rogue.revoked) == {token["refresh_token"], token["access_token"]}
    assert seen == [{"provider": "rogue", "reason": "logout"}]
    assert client.get("/").get_json()["user"] is None
    assert stored_tokens(client) == {}
    assert client.get("/api/rogue").status_code == 302


def test_logout_clears_the_session_when_revocation_fails(client, rogue):
    log_in(client, rogue)
    rogue.behaviour.revoke_status = 503
    response = client.post("/logout")
    assert response.status_code == 303
    assert client.get("/").get_json()["user"] is None
    assert stored_tokens(client) == {}


def test_logout_clears_the_session_when_the_provider_hangs(app, client, rogue):
    assert log_in(client, rogue).status_code == 302
    app.extensions["oauth2login"].providers["rogue"].timeout = 0.3
    rogue.behaviour.revoke_delay = 3
    assert client.post("/logout").status_code == 303
    assert client.get("/").get_json()["user"] is None


def test_logout_follows_local_next_only(client, rogue):
    log_in(client, rogue)
    assert client.post("/logout", data={"next": "/bye"}).headers["Location"] == "/bye"
    log_in(client, rogue)
    assert client.post("/logout?next=//evil.example").headers["Location"] == "/"


def test_logout_answers_json_clients_with_204(client, rogue):
    log_in(client, rogue)
    response = client.post("/logout", headers={"Accept": "application/json"})
    assert response.status_code == 204
    assert client.get("/").get_json()["user"] is None


def test_logout_is_post_only(client, rogue):
    log_in(client, rogue)
    assert client.get("/logout").status_code == 405
    assert client.get("/").get_json()["user"] is not None


# -- logging out at the provider (RP-Initiated Logout 1.0) -----------------------


@pytest.fixture
def rp_app(make_app, rogue):
    """An app whose rogue provider logs out at the provider too."""
    return make_app(
        {"rogue": rogue_entry(rogue, logout_at_provider=True)},
        TEST_API_URLS={"rogue": rogue.issuer + "/api/me"},
    )


def query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def back_from_provider(client, rogue, location):
    """Follow the provider's end-session redirect back to the app's callback."""
    assert location.startswith(rogue.issuer + "/logout?")
    back = requests.get(location, allow_redirects=False, timeout=10)
    assert back.status_code == 303
    parts = urlsplit(back.headers["Location"])
    return client.get(f"{parts.path}?{parts.query}")


def test_logout_at_the_provider_ends_the_session_first_then_goes_there(rp_app, rogue):
    client = rp_app.test_client()
    log_in(client, rogue)
    token = stored_tokens(client)["rogue"]
    seen = []
    with logged_out.connected_to(lambda sender, **kw: seen.append(kw), rp_app):
        response = client.post("/logout", data={"next": "/bye"})
    assert response.status_code == 303
    location = response.headers["Location"]
    params = query(location)
    assert params["client_id"] == rogue.client_id
    assert params["id_token_hint"] == token["id_token"]
    assert params["post_logout_redirect_uri"] == "http://localhost/logout/callback/rogue"
    assert len(params["state"]) >= 43
    assert "bye" not in location  # next stays here
    # Logged out here before the browser even reaches the provider.
    assert client.get("/").get_json()["user"] is None
    assert seen == [{"provider": "rogue", "reason": "logout"}]
    assert set(rogue.revoked) == {token["refresh_token"], token["access_token"]}

    back = back_from_provider(client, rogue, location)
    assert back.status_code == 303
    assert back.headers["Location"] == "/bye"
    assert back.headers["Cache-Control"] == "no-store"
    # The state is used up: Back, or a replay, lands on the default page.
    parts = urlsplit(requests.get(location, allow_redirects=False).headers["Location"])
    assert client.get(f"{parts.path}?{parts.query}").headers["Location"] == "/"
    assert stored_tokens(client) == {}


def test_the_logout_state_belongs_to_this_browser_and_this_provider(rp_app, rogue):
    client = rp_app.test_client()
    log_in(client, rogue)
    location = client.post("/logout", data={"next": "/bye"}).headers["Location"]
    state = query(location)["state"]
    other = rp_app.test_client()
    assert other.get(f"/logout/callback/rogue?state={state}").headers["Location"] == "/"
    assert client.get(f"/logout/callback/nobody?state={state}").status_code == 404
    assert client.get("/logout/callback/rogue").headers["Location"] == "/"
    assert client.get("/logout/callback/rogue?state=forged").headers["Location"] == "/"
    assert client.get(f"/logout/callback/rogue?state={state}").headers["Location"] == "/bye"


def test_the_logout_state_lives_only_as_long_as_a_login_may_take(rp_app, rogue):
    client = rp_app.test_client()
    log_in(client, rogue)
    client.post("/logout")
    interface = rp_app.session_interface
    with client.session_transaction() as sess:
        assert set(sess) - {"_permanent"} == {"_oauth2login_pending"}  # nothing else
        assert interface.get_expiration_time(rp_app, sess) is not None
        lifetime = interface.get_expiration_time(rp_app, sess).timestamp() - time.time()
    assert lifetime <= rp_app.extensions["oauth2login"].settings.login_timeout


def test_the_post_logout_redirect_uri_is_pinned_by_the_external_url(make_app, rogue):
    app = make_app(
        {"rogue": rogue_entry(rogue, logout_at_provider=True)},
        OAUTH2LOGIN_EXTERNAL_URL="https://app.example",
    )
    client = app.test_client()
    log_in(client, rogue)
    location = client.post("/logout").headers["Location"]  # asked at http://localhost
    assert query(location)["post_logout_redirect_uri"] == (
        "https://app.example/logout/callback/rogue"
    )


def test_outside_debug_the_host_header_never_makes_the_post_logout_redirect_uri(
    make_app, rogue, caplog
):
    app = make_app({"rogue": rogue_entry(rogue, logout_at_provider=True)}, TESTING=False)
    client = app.test_client()
    log_in(client, rogue)
    location = client.post("/logout").headers["Location"]
    params = query(location)
    assert "post_logout_redirect_uri" not in params
    assert "state" not in params
    assert params["client_id"] == rogue.client_id
    assert "OAUTH2LOGIN_EXTERNAL_URL" in caplog.text
    assert client.get("/").get_json()["user"] is None


def test_a_provider_that_is_down_still_leaves_the_user_logged_out_and_told(rp_app, rogue):
    client = rp_app.test_client()
    log_in(client, rogue)
    # As after a restart.
    rp_app.extensions["oauth2login"].providers["rogue"].discovery._endpoints.clear()
    rogue.behaviour.discovery_status = 503
    response = client.post("/logout", data={"next": "/bye"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "could not be reached" in page
    assert 'href="/bye"' in page
    assert response.headers["X-Frame-Options"] == "DENY"
    assert client.get("/").get_json()["user"] is None
    assert stored_tokens(client) == {}


def test_a_provider_without_end_session_endpoint_still_leaves_the_user_logged_out_and_told(
    rp_app, rogue
):
    rogue.behaviour.metadata_overrides = {"end_session_endpoint": None}
    client = rp_app.test_client()
    log_in(client, rogue)
    response = client.post("/logout")
    assert response.status_code == 200
    assert "offers no way to log out from here" in response.get_data(as_text=True)
    assert client.get("/").get_json()["user"] is None
    json_client = rp_app.test_client()
    log_in(json_client, rogue)
    answer = json_client.post("/logout", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.get_json()["end_session_url"] is None
    assert "offers no way" in answer.get_json()["message"]


def test_json_clients_get_the_end_session_url(rp_app, rogue):
    client = rp_app.test_client()
    log_in(client, rogue)
    answer = client.post("/logout", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.get_json()["end_session_url"].startswith(rogue.issuer + "/logout?")
    assert client.get("/").get_json()["user"] is None


def test_with_several_logins_the_browser_goes_to_the_latest_ones_provider(make_app, rogue):
    entry = rogue_entry(rogue, logout_at_provider=True)
    app = make_app({"rogue": entry, "second": dict(entry)})
    client = app.test_client()
    log_in(client, rogue, "rogue")
    log_in(client, rogue, "second")
    location = client.post("/logout").headers["Location"]
    assert query(location)["post_logout_redirect_uri"].endswith("/logout/callback/second")


def test_logout_at_provider_is_off_by_default_but_on_for_presets_that_want_it(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)})
    assert app.extensions["oauth2login"].providers["rogue"].config.logout_at_provider is False
    client = app.test_client()
    log_in(client, rogue)
    assert client.post("/logout").headers["Location"] == "/"
    assert rogue.calls["end_session"] == 0
    for name in ("keycloak", "okta", "auth0", "devidp"):
        assert providers.get(name).logout_at_provider is True
    assert providers.get("github").logout_at_provider is False


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_logout_at_provider_must_be_a_boolean(make_app, rogue, value):
    with pytest.raises(ConfigurationError, match=r"\['rogue'\]\['logout_at_provider'\]"):
        make_app({"rogue": rogue_entry(rogue, logout_at_provider=value)})


def test_a_receiver_written_before_reason_keeps_working(app, client, rogue):
    seen = []

    def old_receiver(sender, provider):
        seen.append(provider)

    log_in(client, rogue)
    with logged_out.connected_to(old_receiver, app):
        assert client.post("/logout").status_code == 303
    assert seen == ["rogue"]


def test_a_refresh_keeps_the_hint_and_the_session_id_for_logging_out(rp_app, rogue):
    rogue.behaviour.id_token_claims = {"sid": "op-session"}
    client = rp_app.test_client()
    log_in(client, rogue)
    first = stored_tokens(client)["rogue"]
    assert first["sid"] == "op-session"
    with client.session_transaction() as sess:
        tokens = dict(sess[TOKENS_KEY])
        tokens["rogue"] = {**tokens["rogue"], "expires_at": 0}  # as time would
        sess[TOKENS_KEY] = tokens
    rogue.behaviour.token_overrides = {"id_token": None}  # a refresh answer without one
    assert client.get("/api/rogue").get_json()["status"] == 200
    refreshed = stored_tokens(client)["rogue"]
    assert refreshed["access_token"] != first["access_token"]
    assert (refreshed["id_token"], refreshed["sid"]) == (first["id_token"], "op-session")
    location = client.post("/logout").headers["Location"]
    assert query(location)["id_token_hint"] == first["id_token"]
