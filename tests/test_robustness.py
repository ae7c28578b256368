"""Odd answers and failures that must end cleanly, never in a 500 that logs
someone in, and never with a secret in an exception."""

from __future__ import annotations

import threading
import typing as t

import cachelib
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from flask_oauth2login import ConfigurationError
from flask_oauth2login.tokens.logins import TOKENS_KEY
from tests.support.logins import follow_callback, log_in, start_login
from tests.support.rogue_idp import rogue_entry


def logged_in_user(client: t.Any) -> t.Any:
    return client.get("/").get_json()["user"]


def test_hook_that_fails_unexpectedly_logs_nobody_in(app, client, rogue):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.extensions["test_oauth"].on_login
    def broken(provider, user, token):
        raise KeyError("bug in the app's hook")

    response = log_in(client, rogue)
    assert response.status_code == 500
    assert logged_in_user(client) is None


def test_session_for_an_unconfigured_provider_is_a_configuration_error(app, client, rogue):
    log_in(client, rogue)
    with app.test_request_context(), pytest.raises(ConfigurationError, match="'githbu'"):
        app.extensions["test_oauth"].session("githbu")


@pytest.mark.parametrize("expires_in", [float("inf"), "inf", "NaN", 1e30, -5, True, "soon"])
def test_absurd_expires_in_is_taken_as_unknown(client, rogue, expires_in):
    rogue.behaviour.token_overrides = {"expires_in": expires_in}
    assert log_in(client, rogue).status_code == 302
    with client.session_transaction() as sess:
        assert sess[TOKENS_KEY]["rogue"]["expires_at"] is None
    assert client.get("/api/rogue").get_json()["status"] == 200


def test_deeply_nested_json_is_refused_not_a_crash(client, rogue, failures):
    rogue.behaviour.token_body = b"[" * 100_000 + b"]" * 100_000
    rogue.behaviour.token_content_type = "application/json"
    response = log_in(client, rogue)
    assert response.status_code == 502
    assert len(failures) == 1


def test_user_fields_of_the_wrong_type_become_none_and_big_numbers_strings(client, rogue):
    rogue.behaviour.userinfo_overrides = {"name": {"first": "A"}, "big": 2**70}
    rogue.behaviour.id_token_claims = {"name": {"first": "A"}, "picture": None}
    assert log_in(client, rogue).status_code == 302
    user = logged_in_user(client)
    assert user["name"] is None
    assert user["raw"]["big"] == str(2**70)


def test_exceptions_do_not_carry_the_request_with_its_secrets(client, rogue, failures):
    rogue.behaviour.token_status = 400
    rogue.behaviour.token_overrides = {"error": "invalid_grant", "access_token": None}
    log_in(client, rogue)
    error = failures[0]["error"]
    assert error.response is not None
    assert error.response.request is None


def test_trusted_audiences_given_as_a_string_is_one_audience(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue, trusted_audiences="api")})
    assert app.extensions["oauth2login"].providers["rogue"].config.trusted_audiences == ("api",)
    with pytest.raises(ConfigurationError, match="trusted_audiences"):
        make_app({"rogue": rogue_entry(rogue, trusted_audiences=["api", 3])})


class FlakyCache(cachelib.SimpleCache):
    """A session store that can be switched off."""

    down = False

    def _check(self) -> None:
        if self.down:
            raise ConnectionError("store down")

    def get(self, key: str) -> t.Any:
        self._check()
        return super().get(key)

    def set(self, key: str, value: t.Any, timeout: int | None = None) -> bool:
        self._check()
        return super().set(key, value, timeout)

    def delete(self, key: str) -> bool:
        self._check()
        return super().delete(key)


def test_store_outage_during_callback_is_a_503_and_signals_login_failed(make_app, rogue, failures):
    store = FlakyCache()
    app = make_app({"rogue": rogue_entry(rogue)}, SESSION_TYPE="cachelib", SESSION_CACHELIB=store)
    client = app.test_client()
    callback = rogue.authorize(start_login(client))
    store.down = True
    response = follow_callback(client, callback)
    assert response.status_code == 503
    assert [f["error"].error_code for f in failures] == ["session_store_unavailable"]
    store.down = False
    assert logged_in_user(client) is None


@pytest.fixture
def trickling_provider(rogue):
    """A discovery document sent one byte every 0.2 s (about 4 s in all)."""
    document = (
        '{"issuer": "%s", "authorization_endpoint": "%s/authorize", "token_endpoint": "%s/token"}'
        % ((rogue.issuer,) * 3)
    ).encode()
    stop = threading.Event()

    def app(environ: t.Any, start_response: t.Any) -> t.Any:
        def trickle() -> t.Iterator[bytes]:
            for i in range(len(document)):
                if stop.wait(0.2):
                    return
                yield document[i : i + 1]

        return Response(trickle(), headers={"Content-Length": str(len(document))})(
            environ, start_response
        )

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    stop.set()
    server.shutdown()
    server.server_close()


def test_http_timeout_bounds_the_whole_answer_not_each_read(make_app, rogue, trickling_provider):
    entry = rogue_entry(
        rogue,
        server_metadata_url=trickling_provider + "/.well-known/openid-configuration",
        issuer=rogue.issuer,
    )
    app = make_app({"rogue": entry}, OAUTH2LOGIN_HTTP_TIMEOUT=0.5)
    response = app.test_client().get("/login/rogue")
    assert response.status_code == 503
    assert "did not answer within 0.5 seconds" in response.get_data(as_text=True)
