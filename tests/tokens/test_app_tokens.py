"""App-level tokens (client credentials), against the rogue provider over HTTP."""

from __future__ import annotations

import json
import threading
import time

import pytest
from flask import jsonify, session

from flask_oauth2login import ConfigurationError, ProviderError
from flask_oauth2login._runtime import get_state
from flask_oauth2login.tokens.app_tokens import AppTokenCache, app_session, token_cache
from tests.support.logins import log_in

GRANT = "token:client_credentials"


def app_session_of(name, scope=None):
    """:func:`app_session` for the provider called *name* of the current app."""
    state = get_state()
    return app_session(state, state.provider(name), scope)


def api_me(app, rogue, scope=None):
    with app.app_context(), app_session_of("rogue", scope) as api:
        return api.get(rogue.issuer + "/api/me", timeout=5)


def test_one_fetch_for_many_calls(app, rogue):
    for _ in range(5):
        response = api_me(app, rogue)
        assert response.status_code == 200
        assert response.json()["sub"] == rogue.client_id  # the app itself, not a user
    assert rogue.calls[GRANT] == 1
    api_calls = rogue.requests_to("api")
    assert len({r["headers"]["Authorization"] for r in api_calls}) == 1
    assert api_calls[0]["headers"]["Authorization"].startswith("Bearer ")


def test_refetch_when_about_to_expire(app, rogue):
    rogue.behaviour.expires_in = 5  # less than the refresh leeway: stale at once
    assert api_me(app, rogue).status_code == 200
    assert api_me(app, rogue).status_code == 200
    assert rogue.calls[GRANT] == 2


def test_refetch_once_when_the_api_says_401(app, rogue):
    assert api_me(app, rogue).status_code == 200
    rogue.expire_access_tokens()
    response = api_me(app, rogue)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert rogue.calls[GRANT] == 2
    assert api_me(app, rogue).status_code == 200
    assert rogue.calls[GRANT] == 2


def test_a_401_that_persists_is_returned_after_one_retry(app, rogue):
    api_me(app, rogue)
    rogue.behaviour.api_status = 401
    assert api_me(app, rogue).status_code == 401
    assert rogue.calls[GRANT] == 2


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_cache_refetches_before_expiry_by_its_clock(app, rogue):
    clock = Clock()
    with app.app_context():
        provider = get_state().provider("rogue").pinned()
    cache = AppTokenCache(leeway=30, clock=clock)
    first = cache.access_token(provider)
    clock.now += 3000
    assert cache.access_token(provider) == first
    clock.now += 580  # 20 seconds before the 3600 s expiry: within the leeway
    second = cache.access_token(provider)
    assert second != first
    assert rogue.calls[GRANT] == 2


def test_concurrent_first_use_fetches_once(app, rogue):
    rogue.behaviour.token_delay = 0.3  # keep the first fetch in flight while others arrive
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def worker() -> None:
        with app.app_context():
            api = app_session_of("rogue")
        barrier.wait()
        statuses.append(api.get(rogue.issuer + "/api/me", timeout=10).status_code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    assert rogue.calls[GRANT] == 1


def test_scopes_are_asked_for_and_cached_apart(app, rogue):
    api_me(app, rogue, scope="api.read")
    api_me(app, rogue, scope=["api.read"])
    api_me(app, rogue, scope="api.read api.write")
    forms = [r["form"] for r in rogue.requests_log if r["endpoint"] == "token"]
    assert [f.get("scope") for f in forms] == ["api.read", "api.read api.write"]
    assert all(f["grant_type"] == "client_credentials" for f in forms)


def test_each_app_has_its_own_tokens(make_app, rogue):
    from tests.support.rogue_idp import rogue_entry

    first = make_app({"rogue": rogue_entry(rogue)})
    second = make_app({"rogue": rogue_entry(rogue)})
    api_me(first, rogue)
    api_me(second, rogue)
    api_me(first, rogue)
    assert rogue.calls[GRANT] == 2
    with first.app_context():
        one = token_cache(get_state(), get_state().provider("rogue"))
    with second.app_context():
        assert token_cache(get_state(), get_state().provider("rogue")) is not one


def test_the_app_token_never_enters_a_users_session(app, rogue):
    @app.get("/app-call")
    def app_call():
        with app_session_of("rogue") as api:
            answer = api.get(rogue.issuer + "/api/me", timeout=5).json()
        return jsonify(answer=answer, session=json.dumps(dict(session), default=str))

    client = app.test_client()
    log_in(client, rogue)
    response = client.get("/app-call")
    assert response.get_json()["answer"]["sub"] == rogue.client_id
    app_calls = [r for r in rogue.requests_log if r["endpoint"] == "api" and r["path"] == "/api/me"]
    app_token = app_calls[-1]["headers"]["Authorization"].split(" ", 1)[1]
    assert app_token not in response.get_json()["session"]
    assert app_token not in response.headers.get("Set-Cookie", "")
    assert app_token not in client.get("/").get_data(as_text=True)
    assert client.get("/").get_json()["user"]["sub"] == "user-123"  # the user's login is intact


def test_a_refusal_raises_provider_error_without_secrets(app, rogue):
    rogue.behaviour.token_status = 401
    with pytest.raises(ProviderError) as info:
        api_me(app, rogue)
    assert rogue.client_secret not in str(info.value)


def test_unknown_provider(app):
    with app.app_context(), pytest.raises(ConfigurationError, match="no provider called .nobody."):
        app_session_of("nobody")
