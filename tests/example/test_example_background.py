"""The example app's background job: ``flask --app example_app refresh-profiles``."""

from __future__ import annotations

import dataclasses
import re
import threading
import typing as t
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from example_app import create_app, oauth
from flask_oauth2login.tokenstore import TokenKey


@pytest.fixture
def served(tmp_path: t.Any) -> t.Iterator[tuple[Flask, str]]:
    """The example app (with its development provider) on a real server."""
    app = create_app({"TESTING": True, "SECRET_KEY": "example-secret"}, str(tmp_path))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def sign_in(url: str, sub: str) -> requests.Session:
    """A browser that logs in as *sub* through the development provider."""
    browser = requests.Session()
    browser.trust_env = False
    response = browser.get(url + "/login/dev", allow_redirects=False, timeout=10)
    page = browser.get(response.headers["Location"], timeout=10).text
    fields = {
        name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        for name in ("request_id", "csrf_token")
    }
    answer = browser.post(
        url + "/_devidp/authorize",
        data={**fields, "action": "login", "sub": sub},
        allow_redirects=False,
        timeout=10,
    )
    callback = urlsplit(answer.headers["Location"])
    done = browser.get(f"{url}{callback.path}?{callback.query}", allow_redirects=False, timeout=10)
    assert done.status_code == 302, done.text
    return browser


def test_refresh_profiles_calls_the_api_for_every_stored_login(served):
    app, url = served
    sign_in(url, "ada")
    sign_in(url, "grace")
    # One token has expired: the job refreshes it, with no request.
    state = app.extensions["oauth2login"]
    with app.app_context():
        (record,) = state.token_store.find("dev", "grace")
        state.token_store.set(dataclasses.replace(record, expires_at=0))

    result = app.test_cli_runner().invoke(args=["refresh-profiles", "--app-url", url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "2 stored logins."
    assert sorted(line.split(":")[0] for line in lines[:-1]) == ["dev ada", "dev grace"]
    assert all(": 200" in line for line in lines[:-1]), result.output
    with app.app_context():
        refreshed = state.token_store.get(TokenKey("dev", record.issuer, "grace"))
    assert refreshed.version == record.version + 2  # written by the job's refresh
    assert refreshed.expires_at > 0


def test_refresh_profiles_says_when_a_login_has_ended(served):
    app, url = served
    browser = sign_in(url, "ada")
    state = app.extensions["oauth2login"]
    with app.app_context():
        token = oauth.token("dev", subject="ada")
        (record,) = state.token_store.find("dev", "ada")
        state.token_store.set(dataclasses.replace(record, expires_at=0))
    # The user withdrew the app's access at the provider.
    revoked = requests.post(
        url + "/_devidp/revoke",
        data={"token": token["refresh_token"]},
        auth=("dev-client", "dev-secret"),
        timeout=10,
    )
    assert revoked.status_code == 200

    result = app.test_cli_runner().invoke(args=["refresh-profiles", "--app-url", url])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "dev ada: must log in again (the provider ended the login)",
        "1 stored login.",
    ]
    with app.app_context():
        assert state.token_store.find() == []
    assert browser.get(url + "/profile", allow_redirects=False).status_code == 302


def test_refresh_profiles_with_nothing_stored(served):
    app, url = served
    result = app.test_cli_runner().invoke(args=["refresh-profiles", "--app-url", url])
    assert result.exit_code == 0, result.output
    assert result.output == "0 stored logins.\n"
