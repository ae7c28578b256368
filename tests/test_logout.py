"""POST /logout: forget the login, revoke at the provider (best effort)."""

from __future__ import annotations

from flask_oauth2login import logged_out
from flask_oauth2login.tokens import TOKENS_KEY
from tests.conftest import log_in
from tests.support.sealed import session_token


def stored_tokens(client):
    with client.session_transaction() as sess:
        return dict(sess.get(TOKENS_KEY, {}))


def test_logout_revokes_refresh_and_access_token_and_forgets(app, client, rogue):
    log_in(client, rogue)
    token = session_token(client)
    seen = []
    with logged_out.connected_to(lambda sender, **kw: seen.append(kw), app):
        response = client.post("/logout")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert set(rogue.revoked) == {token["refresh_token"], token["access_token"]}
    assert seen == [{"provider": "rogue"}]
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
    app.extensions["oauth2login"].clients["rogue"].timeout = 0.3
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
