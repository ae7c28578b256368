"""Signing out at the development provider: sessions with ``sid``, the
end-session endpoint with its confirmation page, and logout tokens sent to
the clients that registered a back-channel logout URI (a small client of our
own on loopback receives them)."""

from __future__ import annotations

import re
import threading
import typing as t

import jwt
import pytest
import requests
from flask import Flask, request

from flask_oauth2login import ConfigurationError
from flask_oauth2login.devidp import DevIdentityProvider
from flask_oauth2login.protocol.oidc import KeyCache, TokenRules, validate_logout_token
from tests.support.devidp import REDIRECT_URI, auth_params, form_fields, pkce_pair, query
from tests.support.threads import serving

SECRETS = {"dev-client": "dev-secret", "quiet-client": "quiet-secret"}


class Receiver:
    """A client's back-channel logout URI: keeps the tokens it gets."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.tokens: list[str] = []
        self.lock = threading.Lock()
        self.app = Flask("receiver")
        self.app.add_url_rule("/bcl", "bcl", self.receive, methods=["POST"])

    def receive(self) -> tuple[str, int]:
        with self.lock:
            self.tokens.append(request.form["logout_token"])
        return "", self.status


@pytest.fixture
def receiver() -> t.Iterator[tuple[Receiver, str]]:
    got = Receiver()
    with serving(got.app) as url:
        yield got, url + "/bcl"


def make_provider(backchannel_uri: str | None = None, **config: t.Any) -> Flask:
    app = Flask("devidp_logout")
    app.testing = True
    clients = {
        "dev-client": {"client_secret": "dev-secret", "redirect_uris": None},
        "quiet-client": {"client_secret": "quiet-secret", "redirect_uris": None},
    }
    if backchannel_uri is not None:
        clients["dev-client"]["backchannel_logout_uri"] = backchannel_uri
    app.config.update(OAUTH2LOGIN_DEVIDP_CLIENTS=clients, **config)
    DevIdentityProvider(app)
    return app


def sign_in(client: t.Any, sub: str = "grace", client_id: str = "dev-client") -> dict[str, t.Any]:
    """Sign in at the provider in *client*'s browser; the token answer."""
    verifier, challenge = pkce_pair()
    page = client.get(
        "/_devidp/authorize", query_string=auth_params(challenge, client_id=client_id)
    )
    data = {**form_fields(page.get_data(as_text=True)), "action": "login", "sub": sub}
    code = query(client.post("/_devidp/authorize", data=data).headers["Location"])["code"]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        "client_id": client_id,
        "client_secret": SECRETS[client_id],
    }
    response = client.post("/_devidp/token", data=data)
    assert response.status_code == 200, response.json
    return response.json


def unverified(token: str) -> dict[str, t.Any]:
    return jwt.decode(token, options={"verify_signature": False})


def claims_of(app: Flask, token: str, client_id: str = "dev-client") -> dict[str, t.Any]:
    state = app.extensions["oauth2login_devidp"]
    keys = KeyCache(lambda: state.key.jwks, ttl=60, min_refetch_interval=60)
    return validate_logout_token(
        token,
        TokenRules(
            client_id=client_id,
            issuer="http://localhost/_devidp",
            algorithms=["RS256"],
            keys=keys,
            leeway=5,
        ),
    )


def test_id_tokens_name_the_browsers_session_at_the_provider():
    app = make_provider()
    browser, other = app.test_client(), app.test_client()
    first = sign_in(browser)
    again = sign_in(browser, client_id="quiet-client")  # the same browser session
    elsewhere = sign_in(other)

    def sid(id_token: str) -> str:
        return unverified(id_token)["sid"]

    assert sid(first["id_token"]) == sid(again["id_token"])
    assert sid(first["id_token"]) != sid(elsewhere["id_token"])
    cookie = browser.get_cookie("devidp_session", path="/_devidp")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    # Another user in the same browser starts another session.
    assert sid(sign_in(browser, sub="ada")["id_token"]) != sid(first["id_token"])


def test_the_provider_advertises_back_channel_logout_with_sid():
    doc = make_provider().test_client().get("/_devidp/.well-known/openid-configuration").json
    assert doc["backchannel_logout_supported"] is True
    assert doc["backchannel_logout_session_supported"] is True
    assert doc["end_session_endpoint"].endswith("/_devidp/logout")
    assert "sid" in doc["claims_supported"]


def test_signing_out_in_the_browser_asks_first_then_tells_the_client(receiver):
    got, uri = receiver
    app = make_provider(uri)
    browser = app.test_client()
    tokens = sign_in(browser)
    sign_in(browser, client_id="quiet-client")  # no back-channel URI: not told

    page = browser.get("/_devidp/logout")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "<h1>Sign out?</h1>" in html
    assert "Grace Hopper" in html
    assert page.headers["X-Frame-Options"] == "DENY"
    assert got.tokens == []  # nothing happens before the answer

    fields = {
        "request_id": re.search(r'name="request_id" value="([^"]+)"', html).group(1),
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
    }
    done = browser.post("/_devidp/logout", data={**fields, "action": "logout"})
    assert done.status_code == 200
    assert "<h1>Signed out</h1>" in done.get_data(as_text=True)
    assert "signed out" in done.get_data(as_text=True)  # the client told, on the page
    assert len(got.tokens) == 1
    header = jwt.get_unverified_header(got.tokens[0])
    assert header["typ"] == "logout+jwt"
    claims = claims_of(app, got.tokens[0])
    assert claims["sid"] == unverified(tokens["id_token"])["sid"]
    assert claims["sub"] == "grace"
    assert "nonce" not in claims
    # The browser's session at the provider is gone: nothing more to ask.
    assert browser.get_cookie("devidp_session", path="/_devidp") is None
    assert "<h1>Signed out</h1>" in browser.get("/_devidp/logout").get_data(as_text=True)
    # The form is used up.
    replay = browser.post("/_devidp/logout", data={**fields, "action": "logout"})
    assert "expired" in replay.get_data(as_text=True)


def test_staying_signed_in_ends_nothing(receiver):
    got, uri = receiver
    app = make_provider(uri)
    browser = app.test_client()
    sign_in(browser)
    html = browser.get("/_devidp/logout").get_data(as_text=True)
    fields = dict(re.findall(r'name="(request_id|csrf_token)" value="([^"]+)"', html))
    answer = browser.post("/_devidp/logout", data={**fields, "action": "stay"})
    assert "<h1>Still signed in</h1>" in answer.get_data(as_text=True)
    assert got.tokens == []
    assert "<h1>Sign out?</h1>" in browser.get("/_devidp/logout").get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "headers"),
    [({"csrf_token": "forged"}, {}), ({}, {"Origin": "https://evil.example"})],
    ids=["forged CSRF token", "posted from another site"],
)
def test_a_forged_confirmation_ends_nothing(receiver, change, headers):
    got, uri = receiver
    app = make_provider(uri)
    browser = app.test_client()
    sign_in(browser)
    html = browser.get("/_devidp/logout").get_data(as_text=True)
    fields = dict(re.findall(r'name="(request_id|csrf_token)" value="([^"]+)"', html))
    answer = browser.post(
        "/_devidp/logout", data={**fields, **change, "action": "logout"}, headers=headers
    )
    assert answer.status_code == 400
    assert got.tokens == []
    assert browser.get_cookie("devidp_session", path="/_devidp") is not None


def test_a_client_with_a_valid_hint_is_not_asked_and_its_users_session_ends(receiver):
    got, uri = receiver
    app = make_provider(uri)
    browser = app.test_client()
    tokens = sign_in(browser)
    response = browser.get(
        "/_devidp/logout",
        query_string={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:5000/logout/callback/dev",
            "state": "s-1",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "http://127.0.0.1:5000/logout/callback/dev?state=s-1"
    assert len(got.tokens) == 1
    assert browser.get_cookie("devidp_session", path="/_devidp") is None


def test_a_client_that_cannot_be_reached_does_not_stop_the_sign_out():
    app = make_provider("http://127.0.0.1:9/bcl", OAUTH2LOGIN_DEVIDP_BACKCHANNEL_TIMEOUT=1)
    browser = app.test_client()
    tokens = sign_in(browser)
    page = browser.get("/_devidp/logout", query_string={"id_token_hint": tokens["id_token"]})
    assert page.status_code == 200
    assert "could not be reached" in page.get_data(as_text=True)
    assert browser.get_cookie("devidp_session", path="/_devidp") is None


def test_a_path_as_back_channel_uri_is_on_the_app_serving_the_provider():
    app = make_provider("/bcl", OAUTH2LOGIN_DEVIDP_ISSUER="http://localhost/_devidp")
    got: list[str] = []

    @app.post("/bcl")
    def bcl() -> str:
        got.append(request.form["logout_token"])
        return ""

    with serving(app) as url:
        http = requests.Session()
        http.trust_env = False
        # Signed in through the test client, signed out through the server.
        client = app.test_client()
        tokens = sign_in(client)
        page = http.get(url + "/_devidp/logout", params={"id_token_hint": tokens["id_token"]})
    assert page.status_code == 200
    assert len(got) == 1


@pytest.mark.parametrize("uri", ["ftp://x.example/bcl", "//evil.example/bcl", 42])
def test_a_bad_back_channel_uri_fails_at_start_up(uri):
    with pytest.raises(ConfigurationError, match="backchannel_logout_uri"):
        make_provider(uri)
