"""Why logins get lost: :mod:`flask_oauth2login.diagnostics`, the debug hint on the
callback's error page, and apps behind a proxy (werkzeug's ProxyFix)."""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qs, urlsplit

import pytest
from cachelib import SimpleCache
from werkzeug.middleware.proxy_fix import ProxyFix

from flask_oauth2login import diagnostics
from flask_oauth2login.tokens.logins import TOKENS_KEY
from tests.support.logins import follow_callback, log_in, start_login
from tests.support.rogue_idp import rogue_entry

HINT_ID = 'id="oauth2login-hint"'


@pytest.fixture
def debug_app(make_app: t.Callable[..., t.Any], rogue: t.Any) -> t.Callable[..., t.Any]:
    def factory(**config: t.Any) -> t.Any:
        config.setdefault("DEBUG", True)
        return make_app({"rogue": rogue_entry(rogue)}, **config)

    return factory


def hint_of(response: t.Any) -> str:
    page = response.get_data(as_text=True)
    assert HINT_ID in page, page
    return page.split(HINT_ID, 1)[1].split("</p>", 1)[0]


def callback_url(client: t.Any, rogue: t.Any) -> str:
    """Start a login with *client* and return the provider's answer (the callback URL)."""
    return rogue.authorize(start_login(client))


# -- the hint on the error page ------------------------------------------------------------


def test_no_cookie_hint(debug_app, rogue):
    app = debug_app()
    answer = callback_url(app.test_client(), rogue)
    response = follow_callback(app.test_client(), answer)  # another browser: no cookie
    assert response.status_code == 400
    hint = hint_of(response)
    assert "No session cookie (&#39;session&#39;) came with this request" in hint
    assert "localhost and 127.0.0.1" in hint
    assert "Strict" not in hint


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"SESSION_COOKIE_SAMESITE": "Strict"}, "SESSION_COOKIE_SAMESITE is &#39;Strict&#39;"),
        ({"SESSION_COOKIE_SECURE": True}, "SESSION_COOKIE_SECURE is on but this request came"),
        ({"SESSION_COOKIE_DOMAIN": "app.example"}, "does not cover localhost"),
    ],
)
def test_no_cookie_hint_names_the_setting_at_fault(debug_app, rogue, config, expected):
    app = debug_app()
    app.config.update(config)  # after init_app, which refuses SameSite=Strict
    answer = callback_url(app.test_client(), rogue)
    assert expected in hint_of(follow_callback(app.test_client(), answer))


def test_unknown_session_hint(debug_app, rogue):
    app = debug_app(SESSION_TYPE="cachelib", SESSION_CACHELIB=SimpleCache())
    client = app.test_client()
    answer = callback_url(client, rogue)
    sid = client.get_cookie("session").value
    app.session_interface.cache.clear()  # another process's store, or a restarted one
    response = follow_callback(client, answer)
    hint = hint_of(response)
    assert "this server does not know its session" in hint
    assert "process memory (cachelib SimpleCache)" in hint
    assert sid not in response.get_data(as_text=True)


def test_used_login_hint(debug_app, rogue):
    app = debug_app()
    client = app.test_client()
    answer = callback_url(client, rogue)
    assert follow_callback(client, answer).status_code == 302
    with client.session_transaction() as session:  # the login ended since
        session.pop(TOKENS_KEY)
    replay = follow_callback(client, answer)
    assert replay.status_code == 400
    hint = hint_of(replay)
    assert "Your session is known, but it holds no login this answer belongs to." in hint
    assert "already used" in hint
    assert "(600 s)" in hint


def test_other_tab_hint_counts_logins_in_progress(debug_app, rogue):
    app = debug_app()
    client = app.test_client()
    start_login(client)
    start_login(client)
    response = client.get("/callback/rogue?state=unknown&code=x")
    assert "(2 other login(s) are in progress)" in hint_of(response)


def test_missing_state_hint(debug_app):
    client = debug_app().test_client()
    assert "carries no state" in hint_of(client.get("/callback/rogue?code=x"))


def test_no_hint_outside_debug_mode_or_for_json(debug_app, rogue):
    app = debug_app(DEBUG=False)
    answer = callback_url(app.test_client(), rogue)
    response = follow_callback(app.test_client(), answer)
    assert response.status_code == 400
    assert HINT_ID not in response.get_data(as_text=True)

    app = debug_app()
    answer = callback_url(app.test_client(), rogue)
    response = follow_callback(app.test_client(), answer, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert set(response.get_json()) == {"error", "message", "provider"}


def test_no_hint_for_other_failures(debug_app, rogue):
    app = debug_app()
    client = app.test_client()
    rogue.behaviour.authorize_error = "access_denied"
    response = follow_callback(client, callback_url(client, rogue))
    assert response.status_code == 403
    assert HINT_ID not in response.get_data(as_text=True)


# -- the pieces behind ``flask oauth2login check`` ----------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"GUNICORN_CMD_ARGS": "--workers=5"}, (5, "GUNICORN_CMD_ARGS")),
        ({"GUNICORN_CMD_ARGS": "--bind :80"}, None),
        ({"WEB_CONCURRENCY": "3"}, (3, "WEB_CONCURRENCY")),
        ({"UWSGI_PROCESSES": "4"}, (4, "UWSGI_PROCESSES")),
        ({"WEB_CONCURRENCY": "many"}, None),
    ],
)
def test_detect_processes(environ, expected):
    assert diagnostics.detect_processes(environ) == expected


def test_describe_store(make_app, rogue, tmp_path):
    app = make_app({"rogue": rogue_entry(rogue)})
    description, sharing = diagnostics.describe_store(app)
    assert description.startswith("files (cachelib FileSystemCache) at ")
    assert description.endswith("flask_session")
    assert sharing == diagnostics.MACHINE
    app = make_app(
        {"rogue": rogue_entry(rogue)}, SESSION_TYPE="cachelib", SESSION_CACHELIB=SimpleCache()
    )
    assert diagnostics.describe_store(app) == (
        "process memory (cachelib SimpleCache)",
        diagnostics.PROCESS,
    )


def test_probe_store_works_on_the_default_store(make_app, rogue):
    assert diagnostics.probe_store(make_app({"rogue": rogue_entry(rogue)})) is None


def test_check_app_report(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, SECRET_KEY="x" * 40)
    report = diagnostics.check_app(app, processes=1, network=False)
    assert [f.message.split(":")[0] for f in report.errors] == [
        "SECRET_KEY has low entropy (about 0 bits, fewer than 96)"
    ]
    assert [f.message for f in report.warnings] == [
        "SECRET_KEY is short or repetitive (40 characters); use at least 24 random ones."
    ]
    assert list(report.topics()) == [
        "provider 'rogue' (Rogue)",
        "session store",
        "session cookie",
        "secret key",
        "secret key strength",
    ]


def test_redirect_uri_follows_requests_unless_pinned(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)})
    assert diagnostics.redirect_uri(app, "rogue") == diagnostics.RedirectURI(
        "http://127.0.0.1:5000/callback/rogue", None
    )
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_EXTERNAL_URL="https://a.example")
    assert diagnostics.redirect_uri(app, "rogue").pinned_by == "OAUTH2LOGIN_EXTERNAL_URL"


# -- behind a proxy ---------------------------------------------------------------------

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example"}


def redirect_uri_sent(client: t.Any, **kwargs: t.Any) -> str:
    response = client.get("/login/rogue", **kwargs)
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)["redirect_uri"][0]


def test_without_proxyfix_forwarded_headers_are_ignored(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)})
    uri = redirect_uri_sent(app.test_client(), headers=FORWARDED)
    assert uri == "http://localhost/callback/rogue"


def test_with_proxyfix_the_redirect_uri_uses_forwarded_proto_and_host(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)})
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)  # type: ignore[method-assign]
    client = app.test_client()

    response = client.get("/login/rogue", headers=FORWARDED)
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["redirect_uri"] == ["https://app.example/callback/rogue"]
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie  # the request came over https, as far as the app knows
    assert "SameSite=Lax" in cookie

    # The whole login behind the proxy: the token request repeats the same URI.
    answer = rogue.authorize(response.headers["Location"])
    assert answer.startswith("https://app.example/callback/rogue?")
    done = follow_callback(client, answer, headers=FORWARDED)
    assert done.status_code == 302, done.get_data(as_text=True)
    (token_request,) = rogue.requests_to("token")
    assert token_request["form"]["redirect_uri"] == "https://app.example/callback/rogue"


def test_with_proxyfix_prefix(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)})
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1, x_prefix=1)  # type: ignore[method-assign]
    uri = redirect_uri_sent(app.test_client(), headers={**FORWARDED, "X-Forwarded-Prefix": "/shop"})
    assert uri == "https://app.example/shop/callback/rogue"


def test_external_url_wins_over_the_request(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_EXTERNAL_URL="https://app.example")
    assert redirect_uri_sent(app.test_client()) == "https://app.example/callback/rogue"


def test_a_real_login_still_works_in_debug_mode(debug_app, rogue):
    client = debug_app().test_client()
    assert log_in(client, rogue).status_code == 302
