"""The example app's wiring (its journeys run in tests/test_browser.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from example_app import create_app
from flask_oauth2login import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment less any Flask setting or provider credential."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "OAUTH2LOGIN_"))}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def flask_run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``flask --app example_app run``, which must end by itself."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "example_app", "run", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_development_provider_is_offered_in_debug_or_testing(tmp_path):
    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    page = app.test_client().get("/").get_data(as_text=True)
    assert 'id="login-dev"' in page
    assert "oauth2login_devidp" in app.blueprints


def test_home_page_asks_how_to_sign_in(tmp_path):
    page = create_app({"TESTING": True}, instance_path=str(tmp_path)).test_client().get("/")
    html = page.get_data(as_text=True)
    assert "<h1>Choose how to sign in</h1>" in html
    assert "Continue with the development provider</a>" in html
    assert "Log in with" not in html  # read as "the social network X"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/profile"),
        ("GET", "/favicon.ico"),
        ("GET", "/callback/dev?state=x&code=y"),  # the extension's error page
        ("POST", "/logout"),
        ("GET", "/no-such-page"),
        ("GET", "/_devidp/jwks"),
    ],
)
def test_every_answer_refuses_framing(tmp_path, method, path):
    client = create_app({"TESTING": True}, instance_path=str(tmp_path)).test_client()
    response = client.open(path, method=method)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_favicon(tmp_path):
    client = create_app({"TESTING": True}, instance_path=str(tmp_path)).test_client()
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).startswith("<svg")
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="data:image/svg+xml,' in html


def test_without_debug_and_credentials_start_up_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    for name in ("GITHUB", "GOOGLE"):
        monkeypatch.delenv(f"OAUTH2LOGIN_{name}_CLIENT_ID", raising=False)
    with pytest.raises(ConfigurationError, match="--debug"):
        create_app(instance_path=str(tmp_path))
    assert not list(tmp_path.iterdir())  # failed before writing a secret key


def test_flask_run_without_debug_or_credentials_says_what_to_do():
    result = flask_run(clean_env())
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) <= 2
    assert "No login provider is configured." in output
    assert "--debug" in output
    assert "OAUTH2LOGIN_GITHUB_CLIENT_ID" in output


def test_flask_run_with_half_the_credentials_names_the_missing_one():
    result = flask_run(clean_env(OAUTH2LOGIN_GITHUB_CLIENT_ID="id", FLASK_SECRET_KEY="k"))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) <= 2
    assert "OAUTH2LOGIN_GITHUB_CLIENT_SECRET" in output


def test_secret_key_is_kept_in_the_instance_folder(tmp_path):
    first = create_app({"TESTING": True}, instance_path=str(tmp_path))
    second = create_app({"TESTING": True}, instance_path=str(tmp_path))
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_profile_requires_login(tmp_path):
    client = create_app({"TESTING": True}, instance_path=str(tmp_path)).test_client()
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/dev?next=/profile"


def test_a_whole_login_under_a_url_prefix(tmp_path):
    from urllib.parse import parse_qs, urlsplit

    from tests.support.devidp import form_fields
    from tests.support.threads import http_session, serving

    app = create_app(
        {"TESTING": True, "OAUTH2LOGIN_URL_PREFIX": "/auth"}, instance_path=str(tmp_path)
    )
    with serving(app) as url:
        browser = http_session()
        assert "/auth/login/dev" in browser.get(url + "/", timeout=10).text
        page = browser.get(url + "/auth/login/dev", timeout=10)
        assert page.status_code == 200, page.text
        sent = parse_qs(urlsplit(page.url).query)["redirect_uri"]
        assert sent == [f"{url}/auth/callback/dev"]
        done = browser.post(
            page.url.split("?", 1)[0],
            data={**form_fields(page.text), "action": "login", "sub": "ada"},
            timeout=10,
        )
        assert done.status_code == 200, done.text
        assert "/auth/logout" in done.text  # signed in: the sign-out form posts under the prefix


@pytest.mark.parametrize("accounts_page", [True, False])
def test_the_home_page_links_the_accounts_page_when_it_is_on(tmp_path, accounts_page):
    from flask_oauth2login.testing import login_as

    app = create_app(
        {"TESTING": True, "OAUTH2LOGIN_ACCOUNTS_PAGE": accounts_page}, instance_path=str(tmp_path)
    )
    client = app.test_client()
    login_as(client, "dev", sub="ada", name="Ada")
    page = client.get("/")
    assert page.status_code == 200
    assert ('id="manage-accounts"' in page.get_data(as_text=True)) is accounts_page
