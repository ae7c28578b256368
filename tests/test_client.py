"""Calls to the provider: :mod:`flask_oauth2login.client`.

Discovery and the token endpoint, against the rogue provider over HTTP:
client authentication, no redirects, timeouts, and refusing token answers
that must not be accepted, before anything is stored.
"""

from __future__ import annotations

import base64
import socket
import typing as t
from urllib.parse import quote_plus

import pytest

from tests.conftest import log_in, rogue_entry, start_login
from tests.support.rogue_idp import RogueProvider
from tests.support.threads import in_parallel

# ----------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def _odd_server() -> t.Iterator[RogueProvider]:
    credentials = {"client_id": "app:1 ü+%/", "client_secret": "s&e=c:r+e t/ü%=="}
    with RogueProvider(**credentials) as provider:
        yield provider


@pytest.fixture
def odd(_odd_server: RogueProvider) -> RogueProvider:
    """A provider whose client credentials need form-urlencoding."""
    _odd_server.reset()
    return _odd_server


def assert_refused(client: t.Any, response: t.Any, failures: list, status: int) -> None:
    """Refused with *status*: one ``login_failed``, nobody logged in, nothing stored."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert len(failures) == 1
    assert client.get("/").get_json()["user"] is None
    with client.session_transaction() as session:
        assert "access_token" not in repr(dict(session))


def token_requests(provider: RogueProvider) -> list[dict[str, t.Any]]:
    return [entry for entry in provider.requests_log if entry["endpoint"] == "token"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------ client authentication


def test_client_secret_basic_form_urlencodes_id_and_secret(make_app, odd):
    client = make_app({"odd": rogue_entry(odd)}).test_client()
    response = log_in(client, odd, "odd")
    assert response.status_code == 302, response.get_data(as_text=True)
    [exchange] = token_requests(odd)
    scheme, _, value = exchange["headers"]["Authorization"].partition(" ")
    assert scheme == "Basic"
    expected = f"{quote_plus(odd.client_id)}:{quote_plus(odd.client_secret)}"
    assert base64.b64decode(value).decode("ascii") == expected
    assert "client_secret" not in exchange["form"]


def test_client_secret_post_sends_the_credentials_in_the_form(make_app, odd):
    entry = rogue_entry(odd, token_endpoint_auth_method="client_secret_post")
    client = make_app({"odd": entry}).test_client()
    assert log_in(client, odd, "odd").status_code == 302
    [exchange] = token_requests(odd)
    assert "Authorization" not in exchange["headers"]
    assert exchange["form"]["client_id"] == odd.client_id
    assert exchange["form"]["client_secret"] == odd.client_secret


def test_wrong_client_secret_fails_cleanly(make_app, rogue, failures):
    client = make_app({"rogue": rogue_entry(rogue, client_secret="not-the-secret")}).test_client()
    assert_refused(client, log_in(client, rogue), failures, 502)


# ------------------------------------------------------ redirects and timeouts


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_token_endpoint_redirect_is_not_followed(client, rogue, failures, status):
    rogue.behaviour.token_redirect_to = rogue.issuer + "/api/collect"
    rogue.behaviour.token_redirect_status = status
    assert_refused(client, log_in(client, rogue), failures, 502)
    assert "redirect" in failures[0]["error"].message
    assert rogue.calls["token"] == 1
    assert rogue.calls["api"] == 0


def test_slow_token_endpoint_times_out(make_app, rogue, failures):
    client = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_HTTP_TIMEOUT=0.5).test_client()
    rogue.behaviour.token_delay = 3
    assert_refused(client, log_in(client, rogue), failures, 503)
    assert failures[0]["error"].error_code == "provider_unavailable"


def test_slow_discovery_times_out(make_app, rogue, failures):
    client = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_HTTP_TIMEOUT=0.5).test_client()
    rogue.behaviour.discovery_delay = 3
    assert_refused(client, client.get("/login/rogue"), failures, 503)


def test_concurrent_discoveries_do_not_wait_in_line(make_app, rogue):
    rogue.behaviour.discovery_delay = 1
    app = make_app({"rogue": rogue_entry(rogue)})
    logins = [app.test_client().get for _ in range(4)]
    statuses = [r.status_code for r in in_parallel([lambda g=g: g("/login/rogue") for g in logins])]
    assert statuses == [302] * 4
    assert rogue.max_in_flight["discovery"] > 1


def test_unreachable_provider_answers_503(make_app, failures):
    url = f"http://127.0.0.1:{closed_port()}/.well-known/openid-configuration"
    client = make_app(
        {"gone": {"client_id": "c", "client_secret": "s", "server_metadata_url": url}}
    )
    client = client.test_client()
    assert_refused(client, client.get("/login/gone"), failures, 503)


# ----------------------------------------------------------- token answers


#: Behaviour knobs of token answers that must be refused.
BAD_TOKEN_ANSWERS: dict[str, dict[str, t.Any]] = {
    "html": {"token_body": b"<html><body>Down for maintenance</body></html>"},
    "json-array": {"token_body": b'["access_token"]', "token_content_type": "application/json"},
    "json-truncated": {
        "token_body": b'{"access_token": "a',
        "token_content_type": "application/json",
    },
    "no-access-token": {"token_overrides": {"access_token": None}},
    "empty-access-token": {"token_overrides": {"access_token": ""}},
    "access-token-not-a-string": {"token_overrides": {"access_token": 12345}},
    "access-token-not-ascii": {"token_overrides": {"access_token": "t\u00f6k\u20acn"}},
    "token-type-mac": {"token_overrides": {"token_type": "mac"}},
    "token-type-missing": {"token_overrides": {"token_type": None}},
    "token-type-bearer-ish": {"token_overrides": {"token_type": "Bearer2"}},
    "no-id-token": {"id_token_signing": "omit"},
    "id-token-not-a-string": {"token_overrides": {"id_token": {"sub": "user-123"}}},
    "error-with-200": {"token_overrides": {"error": "invalid_grant"}},
    "http-400": {"token_status": 400},
    "http-401": {"token_status": 401},
}


@pytest.mark.parametrize("case", BAD_TOKEN_ANSWERS)
def test_unacceptable_token_answer_is_refused_and_nothing_stored(client, rogue, failures, case):
    for knob, value in BAD_TOKEN_ANSWERS[case].items():
        setattr(rogue.behaviour, knob, value)
    assert_refused(client, log_in(client, rogue), failures, 502)
    assert rogue.calls["userinfo"] == 0


def test_token_endpoint_failure_answers_503(client, rogue, failures):
    rogue.behaviour.token_status = 500
    assert_refused(client, log_in(client, rogue), failures, 503)


@pytest.mark.parametrize("token_type", ["bearer", "BEARER", "Bearer", "bEaReR"])
def test_bearer_token_type_is_compared_case_insensitively(client, rogue, token_type):
    rogue.behaviour.token_overrides = {"token_type": token_type}
    assert log_in(client, rogue).status_code == 302
    assert client.get("/").get_json()["user"]["sub"] == "user-123"


def test_id_token_is_not_required_without_openid(make_app, rogue):
    entry = rogue_entry(rogue, scope="email profile")
    client = make_app({"rogue": entry}).test_client()
    assert log_in(client, rogue).status_code == 302
    assert client.get("/").get_json()["user"]["sub"] == "user-123"


# ---------------------------------------------------------------- discovery


@pytest.mark.parametrize(
    "issuer", ["https://evil.example", "{issuer}/", "{issuer}/other", None], ids=repr
)
def test_discovery_with_another_issuer_is_refused(client, rogue, failures, issuer):
    claimed = issuer.format(issuer=rogue.issuer) if issuer else None
    rogue.behaviour.metadata_overrides = {"issuer": claimed}
    assert_refused(client, client.get("/login/rogue"), failures, 502)
    assert rogue.calls["authorize"] == 0


def test_discovery_must_name_the_configured_issuer(make_app, rogue, failures):
    entry = rogue_entry(rogue, issuer="https://idp.example")
    client = make_app({"rogue": entry}).test_client()
    assert_refused(client, client.get("/login/rogue"), failures, 502)


def test_configured_issuer_matching_the_discovery_is_accepted(make_app, rogue):
    client = make_app({"rogue": rogue_entry(rogue, issuer=rogue.issuer)}).test_client()
    assert log_in(client, rogue).status_code == 302


@pytest.mark.parametrize(
    "overrides",
    [{"authorization_endpoint": None}, {"token_endpoint": 42}, {"jwks_uri": None}],
    ids=["no-authorize", "token-not-a-string", "no-jwks"],
)
def test_incomplete_discovery_fails_cleanly(client, rogue, failures, overrides):
    rogue.behaviour.metadata_overrides = overrides
    response = client.get("/login/rogue")
    if response.status_code == 302:  # the key set is needed only at the callback
        response = log_in(client, rogue)
    assert_refused(client, response, failures, 502)


def test_discovery_failure_answers_503(client, rogue, failures):
    rogue.behaviour.discovery_status = 500
    assert_refused(client, client.get("/login/rogue"), failures, 503)
    # Not cached: the next login works once the provider is back.
    rogue.behaviour.discovery_status = 200
    assert start_login(client).startswith(rogue.issuer)


def test_relative_endpoints_in_discovery_resolve_against_the_provider(make_app, rogue):
    rogue.behaviour.metadata_overrides = {"authorization_endpoint": "/authorize"}
    app = make_app({"rogue": rogue_entry(rogue)})
    location = app.test_client().get("/login/rogue").headers["Location"]
    assert location.startswith(rogue.issuer + "/authorize?")


def test_discovery_endpoint_that_is_not_http_is_refused(make_app, rogue, failures):
    rogue.behaviour.metadata_overrides = {"authorization_endpoint": "javascript:alert(1)"}
    app = make_app({"rogue": rogue_entry(rogue)})
    response = app.test_client().get("/login/rogue")
    assert response.status_code == 502
    assert len(failures) == 1


def test_host_headers_do_not_multiply_discovery(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)})
    client = app.test_client()
    for n in range(20):
        assert client.get("/login/rogue", base_url=f"http://host{n}.example").status_code == 302
    assert rogue.calls["discovery"] == 1


def test_paths_on_this_app_need_an_external_url_outside_debug(tmp_path, rogue):
    from flask import Flask

    from flask_oauth2login import ConfigurationError, OAuth2Login

    entry = {"preset": "devidp", "client_id": "dev-client", "client_secret": "dev-secret"}
    app = Flask("prod", instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="k", OAUTH2LOGIN_PROVIDERS={"dev": entry})
    with pytest.raises(
        ConfigurationError, match=r"\['dev'\]\['server_metadata_url'\].*EXTERNAL_URL"
    ):
        OAuth2Login(app)
    app.config["OAUTH2LOGIN_EXTERNAL_URL"] = "https://app.example"
    OAuth2Login(app)
    with app.test_request_context(base_url="http://attacker.example"):
        state = app.extensions["oauth2login"]
        assert state.base_url() == "https://app.example/"
