"""The session ``oauth.session()`` returns: :mod:`flask_oauth2login.protocol.api_session`.

Against two real servers on loopback, two origins: the rogue provider, whose
``/api/...`` is the provider's API, and another host that must never see the
user's token unless configured as one of the API's origins.
"""

from __future__ import annotations

import pytest
import requests

from flask_oauth2login import ForeignOriginError, OAuth2LoginError
from flask_oauth2login.protocol.api_session import (
    ApiOrigins,
    BearerAuth,
    OAuth2Session,
    join_url,
    url_origin,
)
from tests.support.logins import log_in
from tests.support.rogue_idp import RogueProvider, rogue_entry

# ----------------------------------------------------------------- helpers


@pytest.fixture
def other(second: RogueProvider) -> RogueProvider:
    """Another origin than the provider's API."""
    return second


class Source:
    """A token source that counts what it is asked."""

    def __init__(self) -> None:
        self.token = "token-1"
        self.asked = 0
        self.refreshed: list[str] = []

    def access_token(self) -> str:
        self.asked += 1
        return self.token

    def refresh(self, rejected: str) -> str | None:
        self.refreshed.append(rejected)
        self.token = f"token-{len(self.refreshed) + 1}"
        return self.token


def api(
    source: Source,
    origins: list[str],
    *,
    base_url: str | None = None,
    placement: str = "header",
) -> OAuth2Session:
    auth = BearerAuth(source, origins=ApiOrigins(origins), provider="rogue", placement=placement)
    return OAuth2Session("rogue", auth, base_url=base_url)


# ------------------------------------------------------------------ origins


def test_token_goes_to_the_api_and_is_refreshed_once_on_401(rogue):
    source = Source()
    response = api(source, [rogue.issuer]).get(rogue.issuer + "/api/me", timeout=5)
    assert response.status_code == 401  # the provider does not know these tokens
    first, retry = rogue.requests_to("api")
    assert first["headers"]["Authorization"] == "Bearer token-1"
    assert retry["headers"]["Authorization"] == "Bearer token-2"
    assert source.refreshed == ["token-1"]


@pytest.mark.parametrize("url", ["//{host}/api/me", "http://{host}/api/me", "HTTP://{host}/api/me"])
def test_no_token_to_another_origin(rogue, other, url):
    source = Source()
    host = other.issuer.removeprefix("http://")
    session = api(source, [rogue.issuer], base_url=rogue.issuer + "/api/")
    with pytest.raises(ForeignOriginError) as info:
        session.get(url.format(host=host), timeout=5)
    assert other.issuer in info.value.message
    assert "OAUTH2LOGIN_PROVIDERS['rogue']['api_origins']" in info.value.message
    assert info.value.provider == "rogue"
    assert not other.requests_log  # nothing was sent
    assert source.asked == 0 and source.refreshed == []  # nor refreshed for it


def test_configured_origins_may_receive_the_token(rogue, other):
    source = Source()
    api(source, [rogue.issuer, other.issuer]).get(other.issuer + "/api/me", timeout=5)
    assert other.requests_to("api")[0]["headers"]["Authorization"] == "Bearer token-1"


@pytest.mark.parametrize("placement", ["header", "query"])
def test_redirect_to_another_origin_carries_no_token(rogue, other, placement):
    rogue.behaviour.api_redirect_to = other.issuer + "/api/me"
    source = Source()
    response = api(source, [rogue.issuer], placement=placement).get(
        rogue.issuer + "/api/me", timeout=5
    )
    assert response.status_code == 401
    [sent] = rogue.requests_to("api")
    if placement == "query":
        assert sent["args"]["access_token"] == "token-1"
    else:
        assert sent["headers"]["Authorization"] == "Bearer token-1"
    [followed] = other.requests_to("api")
    assert "Authorization" not in followed["headers"]
    assert "access_token" not in followed["args"]
    assert source.refreshed == []  # a 401 from elsewhere refreshes nothing


def test_foreign_origin_error_is_an_extension_error():
    assert issubclass(ForeignOriginError, OAuth2LoginError)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://API.Example:443/v1?x=1", "https://api.example"),
        ("http://api.example:80/", "http://api.example"),
        ("https://api.example:8443", "https://api.example:8443"),
        ("http://user:pw@[::1]:8080/x", "http://[::1]:8080"),
        ("//api.example/x", None),
        ("/x", None),
        ("ftp://api.example/", None),
        ("https://api.example:99999/", None),
    ],
)
def test_url_origin(url, origin):
    assert url_origin(url) == origin


# ------------------------------------------------------ relative URLs


@pytest.mark.parametrize("base", ["/api/v1.0", "/api/v1.0/"])
@pytest.mark.parametrize("url", ["/me", "me", "me?x=1"])
def test_relative_urls_keep_the_base_path(rogue, base, url):
    api(Source(), [rogue.issuer], base_url=rogue.issuer + base).get(url, timeout=5)
    [call] = rogue.requests_to("api")[:1]
    assert call["path"] == "/api/v1.0/me"
    assert call["args"] == ({"x": "1"} if "?" in url else {})


@pytest.mark.parametrize(
    ("base", "url", "joined"),
    [
        ("https://graph.microsoft.com/v1.0/", "/me", "https://graph.microsoft.com/v1.0/me"),
        ("https://gitlab.example/api/v4/", "/user", "https://gitlab.example/api/v4/user"),
        ("https://api.github.com/", "/user/repos", "https://api.github.com/user/repos"),
        ("https://h/base", "a/b?c=d#e", "https://h/base/a/b?c=d#e"),
        ("https://h/base/", "https://other/x", "https://other/x"),
        ("https://h/base/", "//other/x", "https://other/x"),
        ("http://h/base/", "//h/x", "http://h/x"),
    ],
)
def test_join_url(base, url, joined):
    assert join_url(base, url) == joined


def test_prepared_requests_are_joined_too():
    graph = "https://graph.microsoft.com/v1.0/"
    session = api(Source(), [graph], base_url=graph)
    prepared = session.prepare_request(requests.Request("GET", "/me"))
    assert prepared.url == "https://graph.microsoft.com/v1.0/me"
    assert prepared.headers["Authorization"] == "Bearer token-1"


# ------------------------------------------------- through oauth.session()


def test_session_of_a_provider_without_api_settings_serves_its_issuer(make_app, rogue, other):
    # Generic OpenID Connect: the API lives next to the provider's endpoints.
    urls = {"rogue": rogue.issuer + "/api/me", "foreign": "//" + other.issuer[7:] + "/api/me"}
    app = make_app({"rogue": rogue_entry(rogue)}, TEST_API_URLS=urls)
    client = app.test_client()
    rogue.behaviour.expires_in = 1  # due for a refresh at the next call
    log_in(client, rogue)
    app.config["TEST_API_URLS"] = {"rogue": urls["foreign"]}
    with pytest.raises(ForeignOriginError):
        client.get("/api/rogue")
    assert not other.requests_log
    assert rogue.calls["token:refresh_token"] == 0
    app.config["TEST_API_URLS"] = {"rogue": urls["rogue"]}
    assert client.get("/api/rogue").get_json()["status"] == 200


def test_api_origins_are_all_the_token_goes_to(make_app, rogue, other):
    entry = rogue_entry(rogue, api_origins=[other.issuer])
    app = make_app({"rogue": entry}, TEST_API_URLS={"rogue": other.issuer + "/api/me"})
    client = app.test_client()
    log_in(client, rogue)
    assert client.get("/api/rogue").get_json()["status"] == 401  # other knows no token
    assert other.requests_to("api")[0]["headers"]["Authorization"].startswith("Bearer ")
    app.config["TEST_API_URLS"] = {"rogue": rogue.issuer + "/api/me"}
    with pytest.raises(ForeignOriginError):  # listed origins replace the issuer's
        client.get("/api/rogue")
