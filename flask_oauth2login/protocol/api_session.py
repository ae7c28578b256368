"""The pre-authenticated ``requests`` session ``oauth.session()`` returns."""

from __future__ import annotations

import copy
import typing as t
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase

from ..errors import ForeignOriginError
from .dpop import asks_for_nonce, send_with_nonce

if t.TYPE_CHECKING:  # pragma: no cover
    from .dpop import DPoPKey, NonceCache

_DEFAULT_PORTS = {"http": 80, "https": 443}


class TokenSource(t.Protocol):
    """Where :class:`BearerAuth` gets its token."""

    def access_token(self) -> str:
        """A current access token, refreshed first if it has expired."""

    def refresh(self, rejected: str) -> str | None:
        """Refresh after the API rejected the token *rejected*; the new one,
        or ``None`` when refreshing is not possible."""


class BearerAuth(AuthBase):
    """Sends the user's access token with every request to the provider's API.

    By default in the ``Authorization: Bearer`` header; with
    ``placement="query"`` as a query parameter, for providers that require it.
    When the API answers 401, the token is refreshed and the request sent
    once more.

    The token goes only to the *origins* of the provider's API: a request to
    any other origin raises :class:`~flask_oauth2login.errors.ForeignOriginError`
    before anything is sent (and before any refresh). requests drops the
    ``Authorization`` header on redirects to another host, and never adds the
    token to a redirect's URL, so the token never follows one either.

    :param origins: the allowed origins, normalized by :func:`url_origin`
        (an :class:`ApiOrigins`, or any collection of them).
    :param provider: the provider's name, for error messages.
    """

    def __init__(
        self,
        source: TokenSource,
        *,
        origins: t.Collection[str],
        provider: str,
        placement: str = "header",
        query_param: str = "access_token",
    ) -> None:
        self.source = source
        self.placement = placement
        self.query_param = query_param
        self.provider = provider
        #: Where the token may go.
        self.origins = origins

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        origin = url_origin(r.url or "")
        if not self.allows(origin):
            shown = ", ".join(sorted(self.origins)) or "none"
            raise ForeignOriginError(
                f"Refusing to send the {self.provider!r} access token to "
                f"{origin or 'a URL that is not http(s)'}: "
                f"it goes only to the provider's API ({shown}). If that origin serves the "
                f"provider's API, add it to OAUTH2LOGIN_PROVIDERS[{self.provider!r}]"
                "['api_origins'].",
                provider=self.provider,
            )
        self._apply(r, self.source.access_token())
        r.register_hook("response", self.handle_401)
        return r

    def allows(self, origin: str | None) -> bool:
        """Whether the token may be sent to *origin*."""
        return origin is not None and origin in self.origins

    def _apply(self, r: requests.PreparedRequest, token: str) -> None:
        if self.placement == "query":
            r.prepare_url(r.url or "", {self.query_param: token})
        else:
            r.headers["Authorization"] = f"Bearer {token}"
        r._oauth2login_token = token  # type: ignore[attr-defined]

    def handle_401(self, r: requests.Response, **kwargs: t.Any) -> requests.Response:
        """Refresh the token and retry once when the API answers 401."""
        request = r.request
        used = getattr(request, "_oauth2login_token", None)
        if r.status_code != 401 or used is None or getattr(request, "_oauth2login_retried", False):
            return r
        if not self.allows(url_origin(request.url or "")):
            return r  # never the case: the token went to an allowed origin
        token = self.source.refresh(used)
        if token is None:
            return r
        return self._resend(r, token, kwargs, retried=True)

    def _resend(
        self, r: requests.Response, token: str, kwargs: t.Mapping[str, t.Any], **marks: bool
    ) -> requests.Response:
        """Send *r*'s request once more with *token*; the new answer."""
        r.content  # noqa: B018 - consume the body so the connection can be reused
        r.close()
        retry = r.request.copy()
        if self.placement == "query":
            retry.prepare_url(_without_param(retry.url or "", self.query_param), None)
        self._apply(retry, token)
        for mark, value in marks.items():
            setattr(retry, f"_oauth2login_{mark}", value)
        response = r.connection.send(retry, **kwargs)
        response.history.append(r)
        response.request = retry
        return response


class DPoPAuth(BearerAuth):
    """Sends a DPoP-bound access token (RFC 9449) with every request to the
    provider's API: ``Authorization: DPoP <token>``, never as a Bearer
    token, with a fresh proof of the app's key (``htm``, ``htu``, ``ath``,
    and the server's last nonce).

    When the API answers ``use_dpop_nonce`` with a new nonce, the request is
    sent once more with it; when it answers any other 401, the token is
    refreshed and the request sent once more, as :class:`BearerAuth` does.
    Tokens go only to the *origins* of the provider's API.

    :param key: the app's DPoP key.
    :param nonces: the servers' nonces, shared with the provider's client.
    """

    def __init__(
        self,
        source: TokenSource,
        *,
        key: DPoPKey,
        nonces: NonceCache,
        origins: t.Collection[str],
        provider: str,
    ) -> None:
        super().__init__(source, origins=origins, provider=provider)
        self.key = key
        self.nonces = nonces

    def _apply(self, r: requests.PreparedRequest, token: str) -> None:
        url = r.url or ""
        nonce = self.nonces.get(url)
        r.headers["Authorization"] = f"DPoP {token}"
        r.headers["DPoP"] = self.key.proof(r.method or "GET", url, nonce=nonce, access_token=token)
        r._oauth2login_token = token  # type: ignore[attr-defined]
        r._oauth2login_nonce = nonce  # type: ignore[attr-defined]

    def handle_401(self, r: requests.Response, **kwargs: t.Any) -> requests.Response:
        """Answer a nonce challenge once, then a rejected token as
        :meth:`BearerAuth.handle_401` does."""
        request = r.request
        url = request.url or ""
        used = getattr(request, "_oauth2login_token", None)
        if used is None or not self.allows(url_origin(url)):
            return r
        if r.status_code != 401 or getattr(request, "_oauth2login_nonce_retried", False):
            self.nonces.update(url, r)
        else:
            first = r
            r = send_with_nonce(
                self.nonces,
                url,
                lambda nonce: self._resend(first, used, kwargs, nonce_retried=True),
                answer=first,
                sent=getattr(request, "_oauth2login_nonce", None),
            )
            if r is not first and asks_for_nonce(r):
                return r  # a second challenge: not answered again
        return super().handle_401(r, **kwargs)


class ApiOrigins(t.Collection[str]):
    """The origins of a provider's API: those known from the configuration,
    and those only discovery can tell, looked up the first time an origin is
    not among the former.

    :param known: URLs or origins; each stands for its origin.
    :param discover: gives more of them (it may call the provider).
    """

    def __init__(
        self, known: t.Iterable[str], discover: t.Callable[[], t.Iterable[str]] | None = None
    ) -> None:
        self._origins = {o for o in map(url_origin, known) if o}
        self._discover = discover

    def __contains__(self, origin: object) -> bool:
        if origin not in self._origins and self._discover is not None:
            self._origins.update(o for o in map(url_origin, self._discover()) if o)
            self._discover = None
        return origin in self._origins

    def __iter__(self) -> t.Iterator[str]:
        return iter(sorted(self._origins))

    def __len__(self) -> int:
        return len(self._origins)


class OAuth2Session(requests.Session):
    """A :class:`requests.Session` that calls a provider's API as the user.

    A relative URL (a path, with neither scheme nor host) is joined to the
    provider's API base URL the way httpx's ``base_url`` does: the base
    URL's path is kept and the URL's leading ``/`` merged, so with the base
    ``https://graph.microsoft.com/v1.0/`` (or ``.../v1.0``), ``"/me"`` and
    ``"me"`` both go to ``https://graph.microsoft.com/v1.0/me``. A URL with a
    host is not relative: ``//host/path`` names *host* (with the base URL's
    scheme), like ``https://host/path``.

    The user's token is sent only to the origins of the provider's API; see
    :class:`BearerAuth`.
    """

    def __init__(
        self,
        provider: str,
        auth: BearerAuth,
        *,
        base_url: str | None = None,
        headers: t.Mapping[str, str] | None = None,
        adapter: requests.adapters.BaseAdapter | None = None,
    ) -> None:
        super().__init__()
        #: The provider's name.
        self.provider = provider
        #: Base of relative URLs, e.g. ``https://api.github.com/``.
        self.base_url = base_url
        self.auth = auth
        self.headers.update(headers or {})
        if adapter is not None:
            self.mount("https://", adapter)
            self.mount("http://", adapter)
            self._shared_adapter = adapter

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """Prepare *request*, its URL joined to :attr:`base_url` if relative."""
        if self.base_url and isinstance(request.url, str | bytes):
            url = request.url.decode() if isinstance(request.url, bytes) else request.url
            joined = join_url(self.base_url, url)
            if joined != url:
                request = copy.copy(request)
                request.url = joined
        return super().prepare_request(request)

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        """On a redirect, drop a DPoP proof with the ``Authorization`` header
        that requests drops (to another host): nothing of the token follows."""
        super().rebuild_auth(prepared_request, response)
        if "Authorization" not in prepared_request.headers:
            prepared_request.headers.pop("DPoP", None)

    def close(self) -> None:
        """Close this session; the connection pool shared with other
        sessions of the same provider stays open."""
        shared = getattr(self, "_shared_adapter", None)
        for prefix, adapter in list(self.adapters.items()):
            if adapter is not shared:
                adapter.close()
            del self.adapters[prefix]


def join_url(base_url: str, url: str) -> str:
    """*url* joined to *base_url* if it is a path (neither scheme nor host),
    keeping the base path: ``join_url("https://h/v1.0", "/me")`` is
    ``https://h/v1.0/me``. A scheme-relative URL (``//host/path``) takes the
    base URL's scheme; any other URL is returned as it is."""
    parts = urlsplit(url)
    base = urlsplit(base_url)
    if parts.scheme:
        return url
    if parts.netloc or url.startswith("//"):
        return f"{base.scheme}:{url}"
    path = base.path if base.path.endswith("/") else base.path + "/"
    return f"{base.scheme}://{base.netloc}{path}{url.lstrip('/')}"


def url_origin(url: str) -> str | None:
    """The origin of an absolute http(s) *url*, normalized as
    ``scheme://host[:port]`` (lowercase, default port left out); ``None``
    for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _without_param(url: str, name: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urlunsplit(parts._replace(query=urlencode(query)))
