"""Errors that say what to do, to the site's operator and only to them: an
unreachable provider (refused, DNS, TLS, timeout) and refused client
credentials are explained in the log and on the error page in debug mode,
with a link to the error reference; the person logging in gets a plain
message in production."""

from __future__ import annotations

import logging
import secrets
import socket
import typing as t
from contextlib import contextmanager

import pytest
from flask import Flask

from flask_oauth2login import (
    ConfigurationError,
    InvalidClient,
    InvalidState,
    OAuth2Login,
    ProviderUnavailable,
)
from flask_oauth2login.errors import DEFAULT_DOCS_URL, docs_anchor, docs_url_for
from flask_oauth2login.testing import DevIdPServer
from tests.support.threads import serving

DISCOVERY = "/.well-known/openid-configuration"
DOCS = "https://docs.example/oauth2login/"


# -- the error reference's anchors ------------------------------------------------------------


def test_an_error_with_a_code_links_to_its_code_with_dashes():
    assert docs_anchor(InvalidState("x")) == "invalid-state"
    assert docs_anchor(ProviderUnavailable) == "provider-unavailable"
    assert docs_url_for(InvalidClient("x")) == f"{DEFAULT_DOCS_URL}/errors.html#invalid-client"
    assert DEFAULT_DOCS_URL == "https://flask-oauth2login.readthedocs.io/en/latest"


def test_an_error_without_a_code_links_to_its_class_name():
    assert docs_anchor(ConfigurationError("x")) == "configurationerror"
    assert docs_url_for(ConfigurationError, DOCS) == (
        "https://docs.example/oauth2login/errors.html#configurationerror"
    )
    assert docs_url_for(ValueError("x"), DOCS + "/") == f"{DOCS}errors.html#valueerror"


def test_a_refused_configuration_is_logged_with_its_link(tmp_path, caplog):
    app = Flask("refused", instance_path=str(tmp_path))
    app.config.update(
        OAUTH2LOGIN_PROVIDERS={"github": {"client_id": "i"}}, OAUTH2LOGIN_DOCS_URL=DOCS
    )
    with caplog.at_level(logging.ERROR), pytest.raises(ConfigurationError):
        OAuth2Login(app)
    assert "refused the configuration: SECRET_KEY: missing" in caplog.text
    assert f"See {DOCS}errors.html#configurationerror" in caplog.text


# -- an unreachable provider --------------------------------------------------------------------


def make_app(tmp_path: t.Any, metadata_url: str, **config: t.Any) -> Flask:
    app = Flask("operator", instance_path=str(tmp_path))
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        TESTING=True,
        OAUTH2LOGIN_DOCS_URL=DOCS,
        OAUTH2LOGIN_PROVIDERS={
            "corp": {"client_id": "id", "client_secret": "s", "server_metadata_url": metadata_url}
        },
    )
    app.config.update(config)
    OAuth2Login(app)
    return app


@contextmanager
def closed_port() -> t.Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield port  # nothing listens there now


@contextmanager
def silent_port() -> t.Iterator[int]:
    """A port that accepts connections (in its backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@contextmanager
def plain_http_port() -> t.Iterator[int]:
    with serving(lambda environ, start: []) as url:
        yield int(url.rsplit(":", 1)[1])


@contextmanager
def unresolvable() -> t.Iterator[None]:
    yield None


CASES = {
    "refused": (closed_port, "http", "connection refused (nothing listens on that port)"),
    "dns": (unresolvable, "http", "the host name could not be resolved (DNS lookup failed)"),
    "tls": (plain_http_port, "https", "TLS handshake failed"),
    "timeout": (silent_port, "http", "no answer within 0.3 seconds (OAUTH2LOGIN_HTTP_TIMEOUT)"),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("debug", [False, True])
def test_an_unreachable_provider_is_explained_to_the_operator(tmp_path, caplog, case, debug):
    server, scheme, cause = CASES[case]
    with server() as port:
        where = "idp.invalid:80" if port is None else f"127.0.0.1:{port}"
        url = f"{scheme}://{where}{DISCOVERY}"
        app = make_app(tmp_path, url, OAUTH2LOGIN_HTTP_TIMEOUT=0.3, DEBUG=debug)
        with caplog.at_level(logging.WARNING):
            response = app.test_client().get("/login/corp")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "The provider&#39;s discovery document" in page
    detail = f"GET {url}: {where}: {cause}"
    logged = [r.getMessage() for r in caplog.records if "Login with corp failed" in r.getMessage()]
    assert len(logged) == 1
    assert detail in logged[0]
    assert logged[0].endswith(f"See {DOCS}errors.html#provider-unavailable")
    if debug:
        assert detail in page
        assert f'href="{DOCS}errors.html#provider-unavailable"' in page
    else:  # never to the person in production
        assert where not in page and cause not in page
        assert DOCS not in page


# -- refused client credentials -----------------------------------------------------------------


def devidp_app(tmp_path: t.Any, devidp: DevIdPServer, entry: dict[str, t.Any], **config: t.Any):
    app = Flask("operator", instance_path=str(tmp_path))
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        TESTING=True,
        OAUTH2LOGIN_PROVIDERS={"devidp": entry},
    )
    app.config.update(config)
    OAuth2Login(app)
    return app


@pytest.mark.parametrize("debug", [False, True])
def test_a_wrong_client_secret_tells_the_operator_what_to_check(tmp_path, caplog, debug):
    with DevIdPServer() as devidp:
        entry = devidp.provider_entry(client_secret="not-the-secret")
        app = devidp_app(tmp_path, devidp, entry, DEBUG=debug)
        with caplog.at_level(logging.WARNING):
            response = devidp.login(app.test_client())
    page = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "Sorry: this site cannot complete logins with this provider at the moment" in page
    logged = [
        r.getMessage() for r in caplog.records if "Login with devidp failed" in r.getMessage()
    ]
    advice = "Check client_id and client_secret (or the client&#39;s key) of OAUTH2LOGIN_PROVIDERS"
    assert "The provider refused the authorization code: invalid_client" in logged[0]
    assert advice.replace("&#39;", "'") + "['devidp']" in logged[0]
    assert logged[0].endswith("errors.html#invalid-client")
    if debug:
        assert advice in page
    else:
        assert "client_secret" not in page and "refused the authorization code" not in page


def test_a_wrong_client_secret_from_the_environment_names_the_variable(
    tmp_path, caplog, monkeypatch
):
    monkeypatch.setenv("OAUTH2LOGIN_DEVIDP_CLIENT_SECRET", "not-the-secret")
    with DevIdPServer() as devidp:
        entry = devidp.provider_entry()
        del entry["client_secret"]
        app = devidp_app(tmp_path, devidp, entry, DEBUG=True)
        with caplog.at_level(logging.WARNING):
            response = devidp.login(app.test_client())
    message = "client_secret comes from the environment variable OAUTH2LOGIN_DEVIDP_CLIENT_SECRET"
    assert message in caplog.text
    assert message in response.get_data(as_text=True)
    assert "not-the-secret" not in caplog.text + response.get_data(as_text=True)


def test_check_names_the_host_and_cause_of_an_unreachable_discovery(tmp_path):
    with closed_port() as port:
        app = make_app(tmp_path, f"http://127.0.0.1:{port}{DISCOVERY}")
        result = app.test_cli_runner().invoke(args=["oauth2login", "check", "--processes", "1"])
    assert result.exit_code == 1
    assert (
        "discovery failed: The provider's discovery document could not be reached. "
        f"GET http://127.0.0.1:{port}{DISCOVERY}: 127.0.0.1:{port}: connection refused"
    ) in " ".join(result.output.split())
