"""@login_required and the answer to NotLoggedInError."""

from __future__ import annotations

import pytest
from flask import Flask

from flask_oauth2login import NotLoggedInError, login_required
from tests.support.logins import follow_callback, log_in
from tests.support.rogue_idp import rogue_entry


@pytest.fixture
def two_provider_app(make_app, rogue) -> Flask:
    app = make_app({"rogue": rogue_entry(rogue), "other": rogue_entry(rogue)})

    @app.get("/needs-other")
    @login_required("other")
    def needs_other() -> str:
        return "other ok"

    @app.get("/async")
    @login_required
    async def async_view() -> str:
        return "async ok"

    @app.get("/raises")
    def raises() -> str:
        raise NotLoggedInError("no token", provider="other")

    return app


def test_browser_is_redirected_to_the_only_provider(client):
    response = client.get("/private?tab=2")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/rogue?next=/private?tab%3D2"


def test_json_request_gets_401(client):
    response = client.get("/private", headers={"Accept": "application/json"})
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "login_required"
    assert body["login_url"] == "/login/rogue?next=/private"


def test_several_providers_lead_to_the_chooser(two_provider_app):
    client = two_provider_app.test_client()
    response = client.get("/private")
    assert response.headers["Location"] == "/login?next=/private"
    page = client.get("/login?next=/private").get_data(as_text=True)
    assert "/login/rogue?next=/private" in page
    assert "/login/other?next=/private" in page


def test_named_provider_is_required(two_provider_app, rogue):
    client = two_provider_app.test_client()
    log_in(client, rogue, "rogue")
    assert client.get("/private").status_code == 200
    response = client.get("/needs-other")
    assert response.headers["Location"] == "/login/other?next=/needs-other"
    log_in(client, rogue, "other")
    assert client.get("/needs-other").get_data(as_text=True) == "other ok"


def test_async_views_are_guarded(two_provider_app, rogue):
    client = two_provider_app.test_client()
    assert client.get("/async").status_code == 302
    log_in(client, rogue)
    assert client.get("/async").get_data(as_text=True) == "async ok"


def test_escaped_not_logged_in_error_is_answered_like_login_required(two_provider_app):
    client = two_provider_app.test_client()
    response = client.get("/raises")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/other?next=/raises"
    response = client.get("/raises", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["message"] == "no token"


def test_async_views_are_guarded_with_a_scope(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue, allowed_scopes=["api:read"])})

    @app.get("/async-scope")
    @login_required("rogue", scope="api:read")
    async def async_scope() -> str:
        return "async scope ok"

    client = app.test_client()
    log_in(client, rogue)
    response = client.get("/async-scope")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/rogue?next=/async-scope&scope=api:read"
    start = client.get(response.headers["Location"])
    follow_callback(client, rogue.authorize(start.headers["Location"]))
    assert client.get("/async-scope").get_data(as_text=True) == "async scope ok"


def test_a_scope_without_a_login_of_that_provider_logs_in_first(two_provider_app, rogue):
    app = two_provider_app

    @app.get("/other-scope")
    @login_required("other", scope="openid")
    def other_scope() -> str:
        return "ok"

    client = app.test_client()
    log_in(client, rogue, "rogue")
    response = client.get("/other-scope")
    assert response.headers["Location"] == "/login/other?next=/other-scope&scope=openid"
