"""The routes: :mod:`flask_oauth2login.views` (and the callback checks of ``login.code_flow``).

Callback answers, the session cookie, what reaches the browser and the logs,
and the contract that a failed login is a clean 4xx/5xx page (or JSON) that
fires ``login_failed`` once and logs nobody in.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import typing as t
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

from flask_oauth2login.protocol import redaction
from flask_oauth2login.signals import logged_in
from tests.support.logins import assert_refused, follow_callback, log_in, start_login
from tests.support.oauth import query, with_params
from tests.support.threads import http_session

# ----------------------------------------------------------------- helpers


@pytest.fixture
def issued() -> t.Iterator[list[dict[str, t.Any]]]:
    """The tokens of the ``logged_in`` signals sent during the test."""
    tokens: list[dict[str, t.Any]] = []

    def record(sender: t.Any, **kwargs: t.Any) -> None:
        tokens.append(kwargs["token"])

    with logged_in.connected_to(record):
        yield tokens


def set_cookie(response: t.Any, name: str = "session") -> list[str]:
    """The attributes of the Set-Cookie header for *name*."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return [part.strip() for part in header.split(";")]
    raise AssertionError(f"no {name} cookie set: {response.headers}")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- routes


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/login/nope"),
        ("GET", "/callback/nope"),
        ("GET", "/callback/nope?code=abc&state=def"),
        ("POST", "/callback/nope"),
    ],
)
def test_unknown_provider_answers_404(client, rogue, method, path):
    response = client.open(path, method=method, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert sum(rogue.calls.values()) == 0
    page = response.get_data(as_text=True)
    assert "Other ways to log in" in page  # the extension's page, not Werkzeug's
    assert "There is no way to log in by that name here" in page
    assert response.headers["X-Frame-Options"] == "DENY"


def test_unknown_provider_answers_json_clients_with_json(client):
    response = client.get("/login/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "unknown_provider"


def test_get_logout_answers_405_with_a_logout_button(client):
    response = client.get("/logout?next=/bye", headers={"Accept": "text/html"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    page = response.get_data(as_text=True)
    assert '<form method="post" action="/logout">' in page
    assert 'name="next" value="/bye"' in page
    json_answer = client.get("/logout", headers={"Accept": "application/json"})
    assert json_answer.status_code == 405
    assert json_answer.get_json()["error"] == "method_not_allowed"


@pytest.mark.parametrize(
    "path", ["/login", "/login/nope", "/logout", "/callback/rogue?state=x&code=y"]
)
def test_pages_of_the_extension_refuse_framing(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


# ----------------------------------------------------------- error answers


def test_error_answer_is_shown_escaped_and_logs_nobody_in(client, rogue, failures):
    rogue.behaviour.authorize_error = "access_denied"
    response = log_in(client, rogue)
    assert_refused(client, response, failures, 403)
    page = response.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert failures[0]["error"].error == "access_denied"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert rogue.calls["token"] == 0


def test_error_answer_clears_the_pending_login(client, rogue, failures):
    location = start_login(client)
    rogue.behaviour.authorize_error = "access_denied"
    assert follow_callback(client, rogue.authorize(location)).status_code == 403
    # The same login, now with a code: its state was used up by the error.
    rogue.behaviour.authorize_error = None
    response = follow_callback(client, rogue.authorize(location))
    assert response.status_code == 400
    assert failures[-1]["error"].error_code == "invalid_state"
    assert rogue.calls["token"] == 0


def test_error_answer_as_json(client, rogue):
    rogue.behaviour.authorize_error = "server_error"
    callback = rogue.authorize(start_login(client))
    response = follow_callback(client, callback, headers={"Accept": "application/json"})
    assert response.status_code == 403
    body = response.get_json()
    assert body["error"] == "access_denied"
    assert body["provider"] == "rogue"
    assert "server_error" in body["message"]


def test_answer_without_code_is_refused(client, rogue, failures):
    # An implicit-flow style answer: tokens in the URL, no code.
    callback = with_params(
        rogue.authorize(start_login(client)),
        code=None,
        access_token="injected",
        id_token=rogue.make_id_token(),
        token_type="bearer",
    )
    assert_refused(client, follow_callback(client, callback), failures, 400)
    assert rogue.calls["token"] == 0


# ---------------------------------------------------------------- RFC 9207


@pytest.mark.parametrize("iss", ["https://evil.example", "{issuer}/", ""], ids=repr)
def test_iss_of_another_issuer_is_refused_before_the_token_request(client, rogue, failures, iss):
    callback = with_params(
        rogue.authorize(start_login(client)), iss=iss.format(issuer=rogue.issuer)
    )
    assert_refused(client, follow_callback(client, callback), failures, 400)
    assert failures[0]["error"].error_code == "invalid_callback"
    assert rogue.calls["token"] == 0


def test_missing_iss_is_refused_when_advertised(client, rogue, failures):
    rogue.behaviour.send_iss = False
    assert_refused(client, log_in(client, rogue), failures, 400)
    assert rogue.calls["token"] == 0


def test_missing_iss_is_accepted_when_not_advertised(client, rogue):
    rogue.behaviour.send_iss = False
    rogue.behaviour.advertise_iss_parameter = False
    assert log_in(client, rogue).status_code == 302


def test_wrong_iss_is_refused_even_when_not_advertised(client, rogue, failures):
    rogue.behaviour.advertise_iss_parameter = False
    rogue.behaviour.iss_value = "https://evil.example"
    assert_refused(client, log_in(client, rogue), failures, 400)


# ------------------------------------------------------ the callback answer


def test_callback_redirects_without_the_code_and_without_referrer(client, rogue):
    callback = rogue.authorize(start_login(client, next="/profile?tab=1"))
    code = query(callback)["code"]
    response = follow_callback(client, callback)
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile?tab=1"
    assert code not in response.headers["Location"]
    assert code not in response.get_data(as_text=True)
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_failed_callback_page_sends_no_referrer(client, rogue):
    rogue.behaviour.token_status = 400
    response = log_in(client, rogue)
    assert response.status_code == 502
    assert response.headers["Referrer-Policy"] == "no-referrer"


# ----------------------------------------------------------------- session


def test_session_id_changes_at_login(app, client, rogue):
    location = start_login(client)
    before = client.get_cookie("session").value
    assert follow_callback(client, rogue.authorize(location)).status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    assert client.get("/").get_json()["user"]["sub"] == "user-123"
    # Whoever knew (or planted) the id from before the login gets nobody.
    fixer = app.test_client()
    fixer.set_cookie("session", before)
    assert fixer.get("/").get_json()["user"] is None


def test_session_cookie_is_httponly_and_samesite_lax(client, rogue):
    attributes = set_cookie(client.get("/login/rogue"))
    assert "HttpOnly" in attributes
    assert "SameSite=Lax" in attributes


def test_session_cookie_is_secure_on_https(client, rogue):
    response = client.get("/login/rogue", base_url="https://localhost")
    assert "Secure" in set_cookie(response)
    callback = rogue.authorize(response.headers["Location"])
    response = follow_callback(client, callback, base_url="https://localhost")
    assert response.status_code == 302
    attributes = set_cookie(response)
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= set(attributes)


def test_cookie_holds_only_a_session_id(client, rogue, issued):
    assert log_in(client, rogue).status_code == 302
    value = client.get_cookie("session").value
    assert re.fullmatch(r"[A-Za-z0-9_.\-]{16,100}", value), value
    [token] = issued
    for secret in (token["access_token"], token["refresh_token"], token["id_token"], "user-123"):
        assert secret not in value


def test_tokens_never_reach_the_browser(client, rogue, issued):
    responses = [client.get("/login/rogue")]
    responses.append(follow_callback(client, rogue.authorize(responses[0].headers["Location"])))
    responses += [client.get("/"), client.get("/private"), client.get("/api/rogue")]
    assert [r.status_code for r in responses] == [302, 302, 200, 200, 200]
    [token] = issued
    for response in responses:
        seen = response.get_data(as_text=True) + str(response.headers)
        for secret in (token["access_token"], token["refresh_token"], token["id_token"]):
            assert secret not in seen


# ---------------------------------------------------------------- contract


#: Misbehaviours, one at a time, and the status the user must get.
MISBEHAVIOURS: dict[str, tuple[dict[str, t.Any], int]] = {
    "user-said-no": ({"authorize_error": "access_denied"}, 403),
    "authorize-server-error": ({"authorize_error": "server_error"}, 403),
    "discovery-down": ({"discovery_status": 500}, 503),
    "discovery-nonsense": ({"metadata_overrides": {"issuer": None}}, 502),
    "token-down": ({"token_status": 503}, 503),
    "token-refused": ({"token_status": 400}, 502),
    "token-nonsense": ({"token_body": b"<html>oops</html>"}, 502),
    "bad-signature": ({"id_token_signing": "wrong-key"}, 401),
    "replayed-id-token": ({"id_token_claims": {"nonce": "old"}}, 401),
    "jwks-down": ({"jwks_status": 500}, 503),
    "jwks-refused": ({"jwks_status": 404}, 502),
    # An ID token without picture, so that UserInfo is asked.
    "userinfo-down": ({"userinfo_status": 500, "id_token_claims": {"picture": None}}, 503),
    "userinfo-refused": ({"userinfo_status": 401, "id_token_claims": {"picture": None}}, 502),
    "userinfo-other-user": (
        {"userinfo_overrides": {"sub": "mallory"}, "id_token_claims": {"picture": None}},
        401,
    ),
}


def attempt_login(client: t.Any, rogue: t.Any, **kwargs: t.Any) -> t.Any:
    """A login that may already fail at its start."""
    response = client.get("/login/rogue", **kwargs)
    if response.status_code != 302:
        return response
    return follow_callback(client, rogue.authorize(response.headers["Location"]), **kwargs)


@pytest.mark.parametrize("case", MISBEHAVIOURS)
def test_failed_login_is_a_clean_error_page(client, rogue, failures, case):
    knobs, status = MISBEHAVIOURS[case]
    for knob, value in knobs.items():
        setattr(rogue.behaviour, knob, value)
    response = attempt_login(client, rogue)
    assert_refused(client, response, failures, status)
    assert response.mimetype == "text/html"
    assert failures[0]["provider"] == "rogue"
    assert failures[0]["error"].status_code == status


@pytest.mark.parametrize("case", MISBEHAVIOURS)
def test_failed_login_answers_json_to_json_requests(client, rogue, failures, case):
    knobs, status = MISBEHAVIOURS[case]
    for knob, value in knobs.items():
        setattr(rogue.behaviour, knob, value)
    response = attempt_login(client, rogue, headers={"Accept": "application/json"})
    assert_refused(client, response, failures, status)
    body = response.get_json()
    assert body["error"] == failures[0]["error"].error_code
    assert body["provider"] == "rogue"
    assert body["message"]


@pytest.mark.parametrize(
    "params",
    [{}, {"state": "x"}, {"code": "x"}, {"code": "x", "state": "x", "iss": "x"}, {"error": ""}],
    ids=repr,
)
def test_garbage_callback_is_a_clean_4xx(client, rogue, failures, params):
    response = client.get("/callback/rogue?" + urlencode(params))
    assert 400 <= response.status_code < 500
    assert len(failures) == 1
    assert rogue.calls["token"] == 0


def test_bad_state_answers_json_to_json_requests(client, rogue, failures):
    callback = with_params(rogue.authorize(start_login(client)), state="forged")
    response = follow_callback(client, callback, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_state"
    assert len(failures) == 1


def test_unreachable_provider_answers_503_as_json(make_app, failures):
    url = f"http://127.0.0.1:{closed_port()}/.well-known/openid-configuration"
    app = make_app({"gone": {"client_id": "c", "client_secret": "s", "server_metadata_url": url}})
    response = app.test_client().get("/login/gone", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"] == "provider_unavailable"
    assert len(failures) == 1


# ----------------------------------------------------------------- logging


def _secrets_seen_by(rogue: t.Any) -> set[str]:
    """Every secret that crossed the wire to the provider."""
    found = {rogue.client_secret}
    for entry in rogue.requests_log:
        form, headers = entry["form"], entry["headers"]
        found |= {form[k] for k in ("code", "code_verifier", "refresh_token") if form.get(k)}
        if "Authorization" in headers:
            found.add(headers["Authorization"].partition(" ")[2])
    # The rogue's own records of what it issued, including to logins that failed.
    found |= set(rogue._access_tokens) | set(rogue._refresh_tokens)
    return {s for s in found if s}


def test_no_secret_in_logs_or_pages_at_debug(client, rogue, issued, caplog):
    caplog.set_level(logging.DEBUG)
    responses = [log_in(client, rogue), client.get("/api/rogue"), client.post("/logout")]
    secrets = _secrets_seen_by(rogue) | {issued[0]["id_token"]}
    for knobs in (
        {"token_status": 400},  # a refused answer that still carries tokens
        {"id_token_signing": "wrong-key"},
        {"userinfo_overrides": {"sub": "mallory"}, "id_token_claims": {"picture": None}},
        {"authorize_error": "access_denied"},
    ):
        rogue.reset()
        for knob, value in knobs.items():
            setattr(rogue.behaviour, knob, value)
        responses.append(log_in(client, rogue))
        secrets |= _secrets_seen_by(rogue)
    assert [r.status_code for r in responses] == [302, 200, 303, 502, 401, 401, 403]

    names = {record.name for record in caplog.records}
    assert "flask_oauth2login.views" in names
    assert "urllib3.connectionpool" in names  # DEBUG records are captured
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    pages = "\n".join(r.get_data(as_text=True) for r in responses)
    for secret in secrets:
        assert secret not in logged
        assert secret not in pages


def test_werkzeug_request_line_is_redacted(app, caplog):
    caplog.set_level(logging.DEBUG)
    server = make_server("127.0.0.1", 0, app)  # the development server's request log
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/callback/rogue"
        query = "?code=SECRET-CODE-1&state=SECRET-STATE-1&iss=x"
        assert http_session().get(url + query, timeout=10).status_code == 400
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/callback/rogue?code=" in line for line in lines), lines
    assert not any("SECRET-" in line for line in lines), lines


@pytest.mark.parametrize(
    "line",
    [
        '"GET /callback/x?code=SECRET1&state=SECRET2&iss=https%3A%2F%2Fidp HTTP/1.1" 302 -',
        '"GET /callback/x?state=SECRET2&code=SECRET1 HTTP/1.1" 400 -',
        'http://idp:80 "GET /api?access_token=SECRET1&x=1 HTTP/1.1" 200 12',
        "POST /token?client_secret=SECRET1&code_verifier=SECRET2",
        "/cb?refresh_token=SECRET1&id_token=SECRET2&token=SECRET3",
        "/cb?CODE=SECRET1&Access_Token=SECRET2",
        "/cb?code=SECRET1'",
    ],
)
def test_redact_masks_secret_parameters(line):
    cleaned = redaction.redact(line)
    assert "SECRET" not in cleaned
    assert "[redacted]" in cleaned


@pytest.mark.parametrize(
    "line", ['"GET /profile?tab=1&next=/x HTTP/1.1" 200 -', "/search?barcode=1&codename=x"]
)
def test_redact_keeps_other_parameters(line):
    assert redaction.redact(line) == line


def test_redacting_filter_rewrites_formatted_records():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s "%s" %s',
        ("127.0.0.1", "GET /cb?code=S1", 302),
        None,
    )
    assert redaction.RedactingFilter().filter(record) is True
    assert "S1" not in record.getMessage()
    assert "/cb?code=[redacted]" in record.getMessage()


def test_error_answer_without_a_login_of_this_browser_is_refused_unshown(
    client, rogue, failures, caplog
):
    """Anyone could send a browser to the callback with an error text of
    their own: it is neither shown nor logged without a matching state."""
    forged = "x\r\nINFO flask_oauth2login.views: Logged in rogue:admin."
    response = client.get(
        "/callback/rogue?" + urlencode({"error": "access_denied", "error_description": forged}),
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 400
    assert [f["error"].error_code for f in failures] == ["invalid_state"]
    assert "Logged in rogue:admin" not in response.get_data(as_text=True)
    assert "Logged in rogue:admin" not in caplog.text


def test_provider_text_in_log_lines_cannot_start_a_line(client, rogue, caplog):
    caplog.set_level(logging.INFO, logger="flask_oauth2login")
    rogue.behaviour.authorize_error = "access_denied"
    rogue.behaviour.authorize_error_description = "no\r\nINFO Logged in rogue:admin."
    assert log_in(client, rogue).status_code == 403
    failed = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert failed and all("\n" not in line and "\r" not in line for line in failed)
    assert "no\\x0d\\x0aINFO Logged in" in failed[0]


def test_escape_controls():
    assert redaction.escape_controls("a\r\nb\x1b[31m\u2028c\x85") == (
        "a\\x0d\\x0ab\\x1b[31m\\u2028c\\x85"
    )


def test_extension_installs_the_filter_on_url_logging_loggers(app):
    for name in redaction.LOGGERS:
        assert any(
            isinstance(f, redaction.RedactingFilter) for f in logging.getLogger(name).filters
        )
