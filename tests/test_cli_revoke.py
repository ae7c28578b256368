"""``flask oauth2login tokens --revoke`` says, for each login, whether its
token was revoked or why not (the URL tried and the cause), counts honestly,
and exits with status 1 when a revocation failed; the development provider's
URLs outside a request come from the configured address."""

from __future__ import annotations

import re
import secrets
import typing as t

from flask import Flask

from flask_oauth2login import OAuth2Login
from flask_oauth2login._runtime import app_base_url, get_state
from flask_oauth2login.devidp import DevIdentityProvider
from flask_oauth2login.testing import DevIdPServer
from tests.support.devidp import form_fields
from tests.support.threads import http_session, serving


def app_with(tmp_path: t.Any, providers: dict[str, t.Any], **config: t.Any) -> Flask:
    app = Flask("revoke", instance_path=str(tmp_path / "instance"))
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        TESTING=True,
        OAUTH2LOGIN_PROVIDERS=providers,
        OAUTH2LOGIN_TOKEN_STORE=f"sqlite:///{tmp_path / 'tokens.db'}",
    )
    app.config.update(config)
    return app


def revoke(app: Flask) -> t.Any:
    return app.test_cli_runner().invoke(
        args=["oauth2login", "tokens", "--revoke", "--subject", "ada"]
    )


def test_a_revocation_that_fails_names_the_url_and_the_cause(tmp_path):
    devidp = DevIdPServer().start()
    try:
        app = app_with(tmp_path, {"devidp": devidp.provider_entry()})
        OAuth2Login(app)
        assert devidp.login(app.test_client()).status_code == 302
    finally:
        devidp.stop()  # the provider is down now
    port = devidp.url.rsplit(":", 1)[1]
    result = revoke(app)
    assert result.exit_code == 1
    assert re.search(
        rf"Deleted devidp http://127\.0\.0\.1:{port} ada from the store, but NOT revoked at the "
        rf"provider: POST http://127\.0\.0\.1:{port}/revoke: 127\.0\.0\.1:{port}: connection",
        result.stderr,
    ), result.stderr
    assert "1 login deleted: 0 revoked at the provider, 1 failed, 0 not revocable." in (
        result.stdout
    )
    assert "1 login revoked" not in result.output


def mounted_app(tmp_path: t.Any) -> Flask:
    """An app with the development provider mounted in it (its URLs are paths
    of the app)."""
    app = app_with(tmp_path, {"devidp": {"client_id": "dev-client", "client_secret": "dev-secret"}})
    DevIdentityProvider(app)
    OAuth2Login(app)
    return app


def browser_login(url: str) -> None:
    browser = http_session()
    page = browser.get(url + "/login/devidp", timeout=10)
    assert page.status_code == 200, page.text
    done = browser.post(
        page.url.split("?", 1)[0],
        data={**form_fields(page.text), "action": "login", "sub": "ada"},
        timeout=10,
    )
    assert done.url == url + "/", done.text  # logged in, and on to the landing page


def test_the_mounted_providers_urls_outside_a_request_come_from_the_configured_address(tmp_path):
    app = mounted_app(tmp_path)
    with serving(app) as url:
        browser_login(url)
        unknown = revoke(app)  # nothing says where the app lives: http://localhost/
        assert unknown.exit_code == 1
        assert "POST http://localhost/_devidp/" in unknown.stderr or (
            "GET http://localhost/_devidp/.well-known/openid-configuration" in unknown.stderr
        ), unknown.stderr
        assert (
            "resolved against http://localhost/: set OAUTH2LOGIN_EXTERNAL_URL or SERVER_NAME"
            in (unknown.stderr)
        )

        browser_login(url)
        app.config["OAUTH2LOGIN_DEVIDP_ISSUER"] = url + "/_devidp"
        with app.app_context():
            assert app_base_url(get_state().settings) == url + "/"
        pinned = revoke(app)
        assert pinned.exit_code == 0, pinned.output
        assert "1 login deleted: 1 revoked at the provider, 0 failed" in pinned.stdout
