"""The pre-authenticated ``requests`` session ``oauth.session()`` returns."""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase


class TokenSource(t.Protocol):
    """Where :class:`BearerAuth` gets its token."""

    def access_token(self) -> str:
        """A current access token, refreshed first if it has expired."""

    def refresh(self, rejected: str) -> str | None:
        """Refresh after the API rejected the token *rejected*; the new one,
        or ``None`` when refreshing is not possible."""


class BearerAuth(AuthBase):
    """Sends the user's access token with every request.

    By default in the ``Authorization: Bearer`` header; with
    ``placement="query"`` as a query parameter, for providers that require it.
    When the API answers 401, the token is refreshed and the request sent
    once more. requests drops the ``Authorization`` header on redirects to
    another host, so the token never follows one.
    """

    def __init__(
        self, source: TokenSource, *, placement: str = "header", query_param: str = "access_token"
    ) -> None:
        self.source = source
        self.placement = placement
        self.query_param = query_param

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        self._apply(r, self.source.access_token())
        r.register_hook("response", self.handle_401)
        return r

    def _apply(self, r: requests.PreparedRequest, token: str) -> None:
        if self.placement == "query":
            r.prepare_url(r.url, {self.query_param: token})
        else:
            r.headers["Authorization"] = f"Bearer {token}"
        r._oauth2login_token = token  # type: ignore[attr-defined]

    def handle_401(self, r: requests.Response, **kwargs: t.Any) -> requests.Response:
        """Refresh the token and retry once when the API answers 401."""
        request = r.request
        used = getattr(request, "_oauth2login_token", None)
        if r.status_code != 401 or used is None or getattr(request, "_oauth2login_retried", False):
            return r
        token = self.source.refresh(used)
        if token is None:
            return r
        r.content  # noqa: B018 - consume the body so the connection can be reused
        r.close()
        retry = request.copy()
        if self.placement == "query":
            retry.prepare_url(_without_param(retry.url or "", self.query_param), None)
        self._apply(retry, token)
        retry._oauth2login_retried = True  # type: ignore[attr-defined]
        response = r.connection.send(retry, **kwargs)
        response.history.append(r)
        response.request = retry
        return response


class OAuth2Session(requests.Session):
    """A :class:`requests.Session` that calls a provider's API as the user.

    Relative URLs resolve against the provider's API base URL, if it has one.
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

    def request(
        self, method: str | bytes, url: str | bytes, *args: t.Any, **kwargs: t.Any
    ) -> requests.Response:  # type: ignore[override]  # noqa: E501
        if self.base_url and isinstance(url, str) and "://" not in url:
            url = urljoin(self.base_url, url)
        return super().request(method, url, *args, **kwargs)

    def close(self) -> None:
        """Close this session; the connection pool shared with other
        sessions of the same provider stays open."""
        shared = getattr(self, "_shared_adapter", None)
        for prefix, adapter in list(self.adapters.items()):
            if adapter is not shared:
                adapter.close()
            del self.adapters[prefix]


def _without_param(url: str, name: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urlunsplit(parts._replace(query=urlencode(query)))
