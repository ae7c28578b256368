"""``flask oauth2login check`` gets severity and advice right: a redirect URI
mismatch fails, and its fix has the app's URL prefix and real address; a
placeholder ``client_id`` fails."""

from __future__ import annotations

import secrets
import typing as t

import pytest

from tests.support.rogue_idp import rogue_entry


@pytest.fixture
def build(make_app: t.Callable[..., t.Any], rogue: t.Any) -> t.Callable[..., t.Any]:
    def factory(entry: dict[str, t.Any] | None = None, **config: t.Any) -> t.Any:
        config.setdefault("SECRET_KEY", secrets.token_hex(32))
        return make_app({"rogue": entry or rogue_entry(rogue)}, **config)

    return factory


def check(app: t.Any, *args: str, env: dict[str, str] | None = None) -> t.Any:
    return app.test_cli_runner().invoke(
        args=["oauth2login", "check", "--offline", "--processes", "1", *args], env=env
    )


def lines(result: t.Any, mark: str) -> list[str]:
    return [line.strip()[4:].strip() for line in result.output.splitlines() if mark in line[:8]]


def test_a_mismatch_fails_with_the_apps_prefix_and_port(build):
    app = build(OAUTH2LOGIN_URL_PREFIX="/auth")
    result = check(app, "--redirect-uri", "http://127.0.0.1:5001/callback/rogue")
    assert result.exit_code == 1
    (failure,) = lines(result, "FAIL")
    assert failure == (
        "the app sends http://127.0.0.1:5001/auth/callback/rogue but "
        "http://127.0.0.1:5001/callback/rogue is registered: the provider refuses every login "
        "(redirect_uri_mismatch). Fix: register http://127.0.0.1:5001/auth/callback/rogue; or "
        'set OAUTH2LOGIN_URL_PREFIX = ""; or set '
        "OAUTH2LOGIN_PROVIDERS['rogue']['redirect_uri'] (behind a proxy)."
    )


def test_a_registered_uri_with_another_prefix_suggests_that_prefix(build):
    app = build(OAUTH2LOGIN_EXTERNAL_URL="https://app.example")
    result = check(app, "--redirect-uri", "https://app.example/oauth/callback/rogue")
    (failure,) = lines(result, "FAIL")
    assert "Fix: register https://app.example/callback/rogue; or set " in failure
    assert "OAUTH2LOGIN_URL_PREFIX = '/oauth'" in failure


def test_an_unpinned_app_matches_a_uri_registered_on_another_port(build):
    result = check(build(), "--redirect-uri", "http://127.0.0.1:5001/callback/rogue")
    assert result.exit_code == 0, result.output
    assert (
        "the registered redirect URI matches when the app is browsed at http://127.0.0.1:5001."
        in lines(result, "ok")
    )


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--url", "http://127.0.0.1:5001"], None), ([], {"FLASK_RUN_PORT": "5001"})],
)
def test_an_app_served_on_another_port_than_the_registered_uri_fails(build, args, env):
    app = build(OAUTH2LOGIN_URL_PREFIX="/auth")
    result = check(app, *args, "--redirect-uri", "http://localhost:5000/callback/rogue", env=env)
    assert result.exit_code == 1, result.output
    (failure,) = lines(result, "FAIL")
    assert failure == (
        "the app sends http://127.0.0.1:5001/auth/callback/rogue but "
        "http://localhost:5000/callback/rogue is registered: the provider refuses every login "
        "(redirect_uri_mismatch). Fix: register http://127.0.0.1:5001/auth/callback/rogue; or "
        "serve the app at http://localhost:5000; or set "
        "OAUTH2LOGIN_PROVIDERS['rogue']['redirect_uri'] (behind a proxy)."
    )


def test_an_app_served_on_the_registered_port_matches_under_another_loopback_name(build):
    args = (
        "--url",
        "http://127.0.0.1:5001",
        "--redirect-uri",
        "http://localhost:5001/callback/rogue",
    )
    result = check(build(), *args)
    assert result.exit_code == 0, result.output
    assert (
        "the registered redirect URI matches when the app is browsed at http://localhost:5001."
        in lines(result, "ok")
    )


@pytest.mark.parametrize(
    ("args", "env", "shown"),
    [
        (["--url", "http://127.0.0.1:5001"], None, "http://127.0.0.1:5001/auth/callback/rogue"),
        ([], {"FLASK_RUN_PORT": "5002"}, "http://127.0.0.1:5002/auth/callback/rogue"),
        ([], None, "http://127.0.0.1:5000/auth/callback/rogue"),
    ],
)
def test_the_uri_to_register_is_shown_where_the_app_is_served(build, args, env, shown):
    result = check(build(OAUTH2LOGIN_URL_PREFIX="/auth"), *args, env=env)
    expected = f"redirect URI to register: {shown} when the app is browsed"
    assert any(expected in line for line in lines(result, "ok")), result.output
    port = shown.split(":")[2][:4]
    assert any(
        f"http://127.0.0.1:{port}/auth/backchannel-logout/rogue" in line
        for line in result.output.splitlines()
    ), result.output


def test_a_pinned_server_name_gives_its_port(build):
    app = build(SERVER_NAME="app.test:5001")
    result = check(app, "--redirect-uri", "http://app.test:5000/callback/rogue")
    (failure,) = lines(result, "FAIL")
    assert failure.startswith("the app sends http://app.test:5001/callback/rogue but")
    assert "set OAUTH2LOGIN_EXTERNAL_URL = 'http://app.test:5000'" in failure


@pytest.mark.parametrize(
    "client_id", ["...", "xxx", "your-client-id", "<client id>", "changeme", "YOUR_CLIENT_ID"]
)
def test_a_placeholder_client_id_fails(build, rogue, client_id):
    result = check(build(rogue_entry(rogue, client_id=client_id)))
    assert result.exit_code == 1
    assert (
        f"client_id {client_id!r} is a placeholder: the provider refuses every login."
        in (lines(result, "FAIL")[0])
    )


def test_a_placeholder_client_id_from_the_environment_names_the_variable(build, rogue, monkeypatch):
    monkeypatch.setenv("OAUTH2LOGIN_ROGUE_CLIENT_ID", "...")
    entry = rogue_entry(rogue)
    del entry["client_id"]
    result = check(build(entry))
    assert (
        "client_id '...' is a placeholder (it comes from the environment variable "
        "OAUTH2LOGIN_ROGUE_CLIENT_ID)" in lines(result, "FAIL")[0]
    )


def test_a_real_client_id_passes(build, rogue):
    result = check(build(rogue_entry(rogue, client_id="Iv1.8a61f9b3a7aba766")))
    assert not any("placeholder" in line for line in lines(result, "FAIL"))


@pytest.mark.parametrize(
    ("env", "shown"),
    [
        ({"FLASK_RUN_HOST": "::1", "FLASK_RUN_PORT": "5001"}, "http://[::1]:5001/callback/rogue"),
        ({"FLASK_RUN_HOST": "0.0.0.0"}, "http://127.0.0.1:5000/callback/rogue"),
        ({"FLASK_RUN_PORT": "not-a-port"}, "http://127.0.0.1:5000/callback/rogue"),
    ],
)
def test_the_flask_run_address_is_shown_as_a_url(build, env, shown):
    result = check(build(), env=env)
    assert result.exit_code == 0, result.output
    expected = f"redirect URI to register: {shown} when the app is browsed"
    assert any(expected in line for line in lines(result, "ok")), result.output


@pytest.mark.parametrize("url", ["127.0.0.1:5001", "ftp://127.0.0.1", "http://", "http://h:x"])
def test_a_url_that_is_no_http_url_is_refused(build, url):
    result = check(build(), "--url", url)
    assert result.exit_code == 2
    assert "Invalid value for '--url'" in result.output
    assert "such as http://127.0.0.1:5001" in result.output


@pytest.mark.parametrize("uri", ["foo", "rogue=", "//app.example/callback/rogue", "http://[::1"])
def test_a_registered_uri_that_is_no_http_url_is_refused(build, uri):
    result = check(build(), "--redirect-uri", uri)
    assert result.exit_code == 2, result.output
    assert "Invalid value for --redirect-uri" in result.output
    assert "is no http(s) URL with a host" in result.output
