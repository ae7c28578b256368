"""App-level tokens: calling a provider's API as the app, not as a user.

The client credentials grant (RFC 6749 §4.4) gives the app a token of its
own. :func:`app_session` returns a :class:`requests.Session` that sends it.
The token is fetched on first use, kept in this process's memory (never in a
user's session, never in a cookie), shared by every request and thread of
the app, fetched again shortly before it expires, and fetched again once when
the API answers 401. Only one fetch per provider and scope runs at a time;
requests that need the token meanwhile wait for it.
"""

from __future__ import annotations

import threading
import time
import typing as t

from ..protocol.api_session import OAuth2Session
from ..protocol.provider import Provider
from ..protocol.token_answer import Token

if t.TYPE_CHECKING:  # pragma: no cover
    from .._runtime import AppState

#: Scopes as given: a space-separated string, a list, or ``None``.
Scope = str | t.Sequence[str] | None


class AppTokenCache:
    """The client credentials tokens of one provider, per scope.

    :param leeway: seconds before expiry at which a token is fetched anew.
    :param clock: where the time comes from (for tests).
    """

    def __init__(self, *, leeway: float, clock: t.Callable[[], float] = time.time) -> None:
        self.leeway = leeway
        self._clock = clock
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, ...], threading.Lock] = {}
        self._tokens: dict[tuple[str, ...], Token] = {}

    def access_token(self, provider: Provider, scope: tuple[str, ...] = ()) -> str:
        """A current token for *scope*, fetched first from *provider* if
        there is none or it is about to expire.

        :raises ProviderError: if the provider refuses or cannot be reached.
        """
        token = self._tokens.get(scope)
        if token is not None and not self._expired(token):
            return token.access_token
        with self._lock(scope):
            token = self._tokens.get(scope)  # fetched meanwhile by another thread?
            if token is None or self._expired(token):
                token = self._fetch(provider, scope)
            return token.access_token

    def refetch(self, provider: Provider, scope: tuple[str, ...], rejected: str) -> str:
        """Replace the token *rejected* by the API (unless another thread
        already did) and return the current one."""
        with self._lock(scope):
            token = self._tokens.get(scope)
            if token is None or token.access_token == rejected:
                token = self._fetch(provider, scope)
            return token.access_token

    def _fetch(self, provider: Provider, scope: tuple[str, ...]) -> Token:
        token = provider.client_credentials(scope)
        self._tokens[scope] = token
        return token

    def _expired(self, token: Token) -> bool:
        return token.is_expired(self.leeway, now=self._clock())

    def _lock(self, scope: tuple[str, ...]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(scope, threading.Lock())


class AppTokenSource:
    """Gives :class:`~flask_oauth2login.protocol.api_session.BearerAuth` the app's token.

    :param provider: the provider, :meth:`pinned <.Provider.pinned>` (the
        source outlives the request).
    """

    def __init__(self, cache: AppTokenCache, provider: Provider, scope: tuple[str, ...]) -> None:
        self.cache = cache
        self.provider = provider
        self.scope = scope

    def access_token(self) -> str:
        return self.cache.access_token(self.provider, self.scope)

    def refresh(self, rejected: str) -> str | None:
        return self.cache.refetch(self.provider, self.scope, rejected)


_caches_lock = threading.Lock()


def token_cache(app_state: AppState, provider: Provider) -> AppTokenCache:
    """The app token cache of *provider* in the app *app_state* belongs to: one
    per app, provider and process, kept in the app's state (and gone with it)."""
    with _caches_lock:
        cache = app_state.app_token_caches.get(provider.name)
        if cache is None:
            cache = AppTokenCache(leeway=app_state.settings.refresh_leeway)
            app_state.app_token_caches[provider.name] = cache
        return cache


def app_session(app_state: AppState, provider: Provider, scope: Scope = None) -> OAuth2Session:
    """A :class:`requests.Session` that calls *provider*'s API as the app.

    It sends an app-level token from the client credentials grant, placed as
    the provider wants (``Authorization: Bearer`` unless the preset says
    otherwise), with the provider's API headers; relative URLs resolve
    against the provider's ``api_base_url``. Needs an app context.

    :param scope: the scopes to ask for (a space-separated string or a
        list); ``None`` asks for the provider's default.
    :raises ProviderError: (when a request is sent) if the provider refuses
        the client credentials or cannot be reached.
    """
    scopes = tuple(scope.split()) if isinstance(scope, str) else tuple(scope or ())
    source = AppTokenSource(token_cache(app_state, provider), provider.pinned(), scopes)
    return provider.api_session(source)
