"""Proxies for calls to a provider come from the environment, as it is at each call.

The proxies a URL gets are worked out once per URL and set of proxy
variables (reading the whole environment per call is a cost of every
login); a change of ``HTTP_PROXY`` or ``NO_PROXY`` between two calls must
still take effect at the second. The proxy here is the rogue provider
itself: a request for ``http://proxied.invalid/...`` reaches it only
through the proxy, as that host does not resolve.
"""

from __future__ import annotations

import os
import typing as t

import pytest
import requests

from flask_oauth2login.errors import ProviderUnavailable
from flask_oauth2login.protocol.http import Transport, environ_proxies
from tests.support.rogue_idp import RogueProvider

URL = "http://proxied.invalid/.well-known/openid-configuration"


@pytest.fixture
def proxy() -> t.Iterator[RogueProvider]:
    with RogueProvider() as provider:
        yield provider


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_a_change_of_the_proxy_variables_is_seen_at_the_next_call(
    proxy: RogueProvider, clean_environment: pytest.MonkeyPatch
) -> None:
    transport = Transport("rogue", timeout=5)
    clean_environment.setenv("HTTP_PROXY", proxy.issuer)
    assert transport.send("GET", URL, what="discovery").status_code == 200

    clean_environment.setenv("NO_PROXY", "proxied.invalid")
    with pytest.raises(ProviderUnavailable):
        transport.send("GET", URL, what="discovery")

    clean_environment.delenv("NO_PROXY")
    assert transport.send("GET", URL, what="discovery").status_code == 200

    clean_environment.delenv("HTTP_PROXY")
    with pytest.raises(ProviderUnavailable):
        transport.send("GET", URL, what="discovery")

    clean_environment.setenv("http_proxy", proxy.issuer)  # lower case counts too
    assert transport.send("GET", URL, what="discovery").status_code == 200


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"HTTPS_PROXY": "http://127.0.0.1:9"},
        {"https_proxy": "http://127.0.0.1:9", "NO_PROXY": "idp.example"},
        {"ALL_PROXY": "http://127.0.0.1:9", "no_proxy": "*"},
        {"HTTP_PROXY": "http://127.0.0.1:9", "REQUEST_METHOD": "GET"},
        {"Https_Proxy": "http://127.0.0.1:9", "NO_PROXY": "10.0.0.0/8,other.example"},
    ],
)
def test_the_proxies_are_those_requests_finds(
    clean_environment: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    clean_environment.delenv("REQUEST_METHOD", raising=False)
    for name, value in variables.items():
        clean_environment.setenv(name, value)
    for url in ("https://idp.example/token", "http://idp.example/token", "https://10.1.2.3/t"):
        assert environ_proxies(url) == requests.utils.get_environ_proxies(url)
        assert environ_proxies(url) == requests.utils.get_environ_proxies(url)  # from the cache
