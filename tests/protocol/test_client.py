"""Calls to the provider: :mod:`flask_oauth2login.protocol.provider` and its client.

Discovery and the token endpoint, against the rogue provider over HTTP:
client authentication, no redirects, one deadline per exchange, no waiting
in line behind a slow provider, a size cap that compression cannot get
round, and refusing token answers that must not be accepted, before anything
is stored.
"""

from __future__ import annotations

import base64
import socket
import typing as t
import zlib
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit

import pytest
import requests

from flask_oauth2login.protocol.http import MAX_ANSWER_BYTES, seconds
from tests.support.logins import assert_refused, log_in, start_login
from tests.support.rogue_idp import KeepAliveProvider, RogueProvider, rogue_entry
from tests.support.threads import in_parallel, wait_for

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


def compress(data: bytes, coding: str) -> bytes:
    """*data* with the content coding *coding* applied."""
    wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}[coding]
    compressor = zlib.compressobj(wbits=wbits)
    return compressor.compress(data) + compressor.flush()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------ client authentication


def test_client_secret_basic_form_urlencodes_id_and_secret(make_app, odd):
    client = make_app({"odd": rogue_entry(odd)}).test_client()
    response = log_in(client, odd, "odd")
    assert response.status_code == 302, response.get_data(as_text=True)
    [exchange] = odd.requests_to("token")
    scheme, _, value = exchange["headers"]["Authorization"].partition(" ")
    assert scheme == "Basic"
    expected = f"{quote_plus(odd.client_id)}:{quote_plus(odd.client_secret)}"
    assert base64.b64decode(value).decode("ascii") == expected
    assert "client_secret" not in exchange["form"]


def test_client_secret_post_sends_the_credentials_in_the_form(make_app, odd):
    entry = rogue_entry(odd, token_endpoint_auth_method="client_secret_post")
    client = make_app({"odd": entry}).test_client()
    assert log_in(client, odd, "odd").status_code == 302
    [exchange] = odd.requests_to("token")
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


@pytest.mark.parametrize("endpoint", ["discovery", "token"])
def test_provider_trickling_its_headers_is_cut_off_at_the_deadline(
    make_app, rogue, failures, endpoint
):
    # Each byte comes well within the timeout, the whole header never does.
    rogue.behaviour.trickle = endpoint
    client = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_HTTP_TIMEOUT=0.5).test_client()
    response = client.get("/login/rogue") if endpoint == "discovery" else log_in(client, rogue)
    assert_refused(client, response, failures, 503)
    assert "did not answer within 0.5 seconds" in failures[0]["error"].message
    [trickle] = wait_for(lambda: rogue.trickles)
    assert trickle["closed"]  # the client hung up long before the header's end
    assert trickle["sent"] < rogue.behaviour.trickle_bytes


def test_reused_connection_is_held_to_the_deadline_too(make_app, failures):
    with KeepAliveProvider() as provider:
        entry = {"client_id": "c", "client_secret": "s"}
        entry["server_metadata_url"] = provider.metadata_url
        client = make_app({"slow": entry}, OAUTH2LOGIN_HTTP_TIMEOUT=0.5).test_client()
        [state] = parse_qs(urlsplit(start_login(client, "slow")).query)["state"]
        response = client.get("/callback/slow?" + urlencode({"code": "c", "state": state}))
        assert_refused(client, response, failures, 503)
        assert "did not answer within 0.5 seconds" in failures[0]["error"].message
        [discovery, token] = provider.requests
        assert discovery[0] == token[0]  # the token request reused the connection
        [trickle] = wait_for(lambda: provider.trickles)
        assert trickle["closed"]


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


# ------------------------------------------------------ content codings


def metadata(rogue: RogueProvider) -> bytes:
    return requests.get(rogue.metadata_url, timeout=5).content


@pytest.mark.parametrize(
    "codings",
    [["gzip"], ["deflate"], ["raw-deflate"], ["gzip", "gzip"], ["deflate", "gzip"]],
)
def test_compressed_answers_are_decoded(make_app, rogue, codings):
    body = metadata(rogue)
    for coding in codings:
        body = compress(body, coding)
    header = ", ".join("deflate" if c == "raw-deflate" else c for c in codings)
    rogue.behaviour.raw_answers = {"discovery": (body, {"Content-Encoding": header})}
    client = make_app({"rogue": rogue_entry(rogue)}).test_client()
    assert start_login(client).startswith(rogue.issuer + "/authorize?")


def test_gzip_answer_in_several_members_is_decoded_whole(make_app, rogue):
    body = metadata(rogue)
    half = len(body) // 2
    two_members = compress(body[:half], "gzip") + compress(body[half:], "gzip")
    rogue.behaviour.raw_answers = {"discovery": (two_members, {"Content-Encoding": "gzip"})}
    client = make_app({"rogue": rogue_entry(rogue)}).test_client()
    assert start_login(client).startswith(rogue.issuer + "/authorize?")


def test_only_decodable_codings_are_asked_for(make_app, rogue):
    client = make_app({"rogue": rogue_entry(rogue)}).test_client()
    start_login(client)
    assert rogue.requests_log[0]["headers"]["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize(
    ("header", "body"),
    [
        ("br", b"\x0b\x02\x80{}\x03"),
        ("gzip, " * 6 + "gzip", b"{}"),
        ("gzip", b"{not gzip at all}"),
    ],
)
def test_answers_that_cannot_be_decoded_are_refused(make_app, rogue, failures, header, body):
    rogue.behaviour.raw_answers = {"discovery": (body, {"Content-Encoding": header})}
    client = make_app({"rogue": rogue_entry(rogue)}).test_client()
    assert_refused(client, client.get("/login/rogue"), failures, 502)
    assert failures[0]["error"].error_code == "invalid_provider_response"


def gzip_bomb() -> bytes:
    """gzip of gzip: 64 MiB of JSON whitespace in about a hundred bytes. Its
    inner stream turns corrupt after 2 MiB, so a client that decodes past
    the cap (and a chunk) finds it corrupt instead of too large."""
    inner = compress(b" " * (64 * 1024 * 1024), "gzip")
    decompress = zlib.decompressobj(31)
    produced = offset = 0
    while produced < 2 * MAX_ANSWER_BYTES:
        produced += len(decompress.decompress(inner[offset : offset + 16]))
        offset += 16
    return compress(inner[:offset] + b"\xff" * (len(inner) - offset), "gzip")


def test_compression_bomb_is_refused_without_decoding_it(make_app, rogue, failures):
    bomb = gzip_bomb()
    assert len(bomb) < 1000
    rogue.behaviour.raw_answers = {"discovery": (bomb, {"Content-Encoding": "gzip, gzip"})}
    client = make_app({"rogue": rogue_entry(rogue)}).test_client()
    assert_refused(client, client.get("/login/rogue"), failures, 502)
    # Refused at the cap: what lies beyond it was never decoded.
    assert failures[0]["error"].message == (
        "The provider's discovery document answer is too large."
    )


def test_answer_past_the_cap_is_refused(make_app, rogue, failures):
    rogue.behaviour.metadata_overrides = {"padding": "x" * MAX_ANSWER_BYTES}
    client = make_app({"rogue": rogue_entry(rogue)}).test_client()
    assert_refused(client, client.get("/login/rogue"), failures, 502)
    assert "too large" in failures[0]["error"].message


@pytest.mark.parametrize(
    ("value", "words"),
    [(1, "1 second"), (1.0, "1 second"), (0.5, "0.5 seconds"), (10, "10 seconds")],
)
def test_a_timeout_is_told_in_words(value, words):
    assert seconds(value) == words
