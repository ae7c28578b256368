"""``flask oauth2login check``: a ``SECRET_KEY`` strong enough to derive keys
from, and the ``__Host-`` prefix of the session cookie; and a login with a
``__Host-`` cookie, end to end."""

from __future__ import annotations

import os
import secrets
import typing as t
from urllib.parse import urlsplit

import pytest

from flask_oauth2login import diagnostics
from flask_oauth2login.diagnostics import ERROR, OK, WARNING
from tests.conftest import rogue_entry

STRONG_KEY = secrets.token_hex(32)


def findings(app: t.Any, topic: str) -> list[tuple[str, str]]:
    report = diagnostics.check_app(app, processes=1, network=False)
    return [(f.level, f.message) for f in report.findings if f.topic == topic]


# -- SECRET_KEY ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (secrets.token_hex(15) + "x", "is 31 bytes long, shorter than 32"),
        ("a" * 64, "low entropy (about 0 bits"),
        ("ab" * 32, "low entropy (about 2 bits"),
        ("passwordpasswordpasswordpassword", "low entropy"),
        ("abcd" * 16, "low entropy (about 8 bits"),
        ("abcd" * 16 + "x", "low entropy"),
        ("0123456789abcdef" * 2, "low entropy (about 64 bits"),
    ],
    ids=[
        "31 bytes",
        "one character",
        "two characters",
        "a repeated word",
        "four characters repeated",
        "a repeat cut short",
        "sixteen characters twice",
    ],
)
def test_check_fails_on_a_weak_secret_key(make_app, rogue, key, expected):
    app = make_app({"rogue": rogue_entry(rogue)}, SECRET_KEY=key)
    ((level, message),) = findings(app, "secret key strength")
    assert level == ERROR
    assert expected in message
    assert "guessed offline" in message
    assert key not in message


@pytest.mark.parametrize(
    "key",
    [STRONG_KEY, secrets.token_hex(16), secrets.token_urlsafe(32), os.urandom(32)],
    ids=["token_hex()", "token_hex(16)", "token_urlsafe(32)", "32 random bytes"],
)
def test_check_accepts_a_random_secret_key(make_app, rogue, key):
    app = make_app({"rogue": rogue_entry(rogue)}, SECRET_KEY=key)
    assert [level for level, _ in findings(app, "secret key strength")] == [OK]


# -- the __Host- prefix --------------------------------------------------------------


def test_check_recommends_the_host_prefix_over_https(make_app, rogue):
    app = make_app(
        {"rogue": rogue_entry(rogue)},
        SECRET_KEY=STRONG_KEY,
        OAUTH2LOGIN_EXTERNAL_URL="https://app.example",
    )
    ((level, message),) = findings(app, "session cookie prefix")
    assert level == WARNING
    assert "SESSION_COOKIE_NAME = '__Host-session'" in message


def test_check_says_nothing_of_the_prefix_over_http(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, SECRET_KEY=STRONG_KEY)
    assert findings(app, "session cookie prefix") == []


HOST_COOKIE = {"SESSION_COOKIE_NAME": "__Host-session", "SESSION_COOKIE_SECURE": True}


def test_check_accepts_a_host_cookie(make_app, rogue):
    app = make_app(
        {"rogue": rogue_entry(rogue)},
        SECRET_KEY=STRONG_KEY,
        OAUTH2LOGIN_EXTERNAL_URL="https://app.example",
        **HOST_COOKIE,
    )
    assert [level for level, _ in findings(app, "session cookie prefix")] == [OK]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE is off"),
        ({"SESSION_COOKIE_DOMAIN": "app.example"}, "SESSION_COOKIE_DOMAIN is 'app.example'"),
        ({"SESSION_COOKIE_PATH": "/app"}, "the cookie's path is '/app'"),
    ],
)
def test_check_fails_on_a_host_cookie_browsers_refuse(make_app, rogue, config, expected):
    app = make_app(
        {"rogue": rogue_entry(rogue)}, SECRET_KEY=STRONG_KEY, **{**HOST_COOKIE, **config}
    )
    ((level, message),) = findings(app, "session cookie prefix")
    assert level == ERROR
    assert expected in message


def test_a_login_with_a_host_cookie(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, SECRET_KEY=STRONG_KEY, **HOST_COOKIE)
    client = app.test_client()
    base = "https://app.example"
    start = client.get("/login/rogue", base_url=base)
    assert start.status_code == 302
    cookie = start.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert "secure" in attributes and "domain" not in attributes
    assert "; Path=/;" in cookie or cookie.endswith("; Path=/")
    callback = urlsplit(rogue.authorize(start.headers["Location"]))
    done = client.get(f"{callback.path}?{callback.query}", base_url=base)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert client.get("/", base_url=base).get_json()["user"]["sub"] == "user-123"
