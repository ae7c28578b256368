"""Pushed authorization requests (:rfc:`9126`).

``POST /par`` takes an authorization request's parameters from an
authenticated client and answers ``201`` with a ``request_uri`` that stands
for them, valid for :data:`REQUEST_TTL` seconds and usable once; the browser
then goes to ``/authorize`` with only ``client_id`` and ``request_uri``. A
client registered with ``require_pushed_authorization_requests`` may not
send its parameters any other way.
"""

from __future__ import annotations

import secrets
import threading
import time
import typing as t

from .errors import OAuthError

if t.TYPE_CHECKING:  # pragma: no cover
    from .clients import Client

#: Seconds a pushed request may wait for the browser.
REQUEST_TTL = 60
#: The prefix of every ``request_uri`` (RFC 9126 §2.2).
URN_PREFIX = "urn:ietf:params:oauth:request_uri:"
#: Pushed requests kept at most (the oldest is dropped past it).
MAX_REQUESTS = 1000
#: Parameters that authenticate the client, not part of the request itself.
CLIENT_AUTH_PARAMS = ("client_secret", "client_assertion", "client_assertion_type")


class PushedRequests:
    """Pushed requests waiting for the browser. Thread-safe."""

    def __init__(self, clock: t.Callable[[], float] = time.time) -> None:
        self._requests: dict[str, tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def add(self, params: dict[str, str]) -> str:
        """Keep *params*; the ``request_uri`` that names them."""
        request_uri = URN_PREFIX + secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            for old in [k for k, (until, _) in self._requests.items() if until <= now]:
                del self._requests[old]
            while len(self._requests) >= MAX_REQUESTS:
                del self._requests[next(iter(self._requests))]
            self._requests[request_uri] = (now + REQUEST_TTL, params)
        return request_uri

    def take(self, request_uri: str, client_id: str) -> dict[str, str] | None:
        """The parameters *request_uri* stands for, once, if *client_id* pushed them."""
        with self._lock:
            until, params = self._requests.get(request_uri, (0.0, {}))
            if params.get("client_id") != client_id:
                return None
            del self._requests[request_uri]
        return params if until > self._clock() else None


def check(params: t.Mapping[str, str], client: Client) -> None:
    """Refuse a pushed request the authorization endpoint would refuse
    before showing its page.

    :raises OAuthError: as the PAR endpoint answers it.
    """
    if "request_uri" in params:
        raise OAuthError("invalid_request", "request_uri cannot be pushed.")
    if "request" in params:
        raise OAuthError("request_not_supported", "Request objects are not supported.")
    if not client.allows_redirect_uri(params.get("redirect_uri", "")):
        raise OAuthError("invalid_request", "The redirect_uri is not registered for this client.")
    if params.get("response_type") != "code":
        raise OAuthError("unsupported_response_type", "Only response_type=code is supported.")
