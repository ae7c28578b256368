"""Refreshing a token, single-flight, wherever it is kept.

The requests (and jobs, threads, processes) that find one token expired at
the same moment wait for the first one's refresh and use its result. One
function, :func:`refresh`, does it for every place a token can be (a
:class:`~flask_oauth2login.tokens.holders.Holder`); the holder says how the others
are found and told. A refreshed ID token must name the same issuer and
subject (OpenID Connect Core §12.2). :class:`HeldTokenSource` gives
:class:`~flask_oauth2login.protocol.api_session.BearerAuth` a held token, refreshed when
it expires or is rejected.
"""

from __future__ import annotations

import logging
import typing as t

from ..errors import InvalidToken, NotLoggedInError, RefreshError
from ..protocol.token_answer import ID_TOKEN_SUB, Token, protocol_subject
from ..signals import current_sender, token_refreshed

if t.TYPE_CHECKING:
    from ..protocol.provider import Provider
    from .holders import Holder

log = logging.getLogger(__name__)


def fresh_token(place: Holder) -> Token:
    """The token *place* holds, refreshed first if it has expired.

    :raises NotLoggedInError: if there is none, or it expired and cannot be
        refreshed (the stale token is then forgotten).
    """
    token = place.load()
    if token is None:
        raise NotLoggedInError(
            f"Nobody is logged in with {place.provider!r}.", provider=place.provider
        )
    if token.is_expired(place.app_state.settings.refresh_leeway):
        token = refresh(place, token)
    return token


def refresh(place: Holder, stale: t.Mapping[str, t.Any]) -> Token:
    """Refresh *stale*, once for all concurrent requests and jobs.

    :raises RefreshError: if the provider refused; the login is forgotten.
    :raises SessionStoreUnavailable: if the store that coordinates or keeps
        the token is down (before anything reached the provider, or after:
        then the new token is kept in this process until the store is back).
    """
    provider = place.provider
    if not stale.get("refresh_token"):
        place.forget(stale)
        raise NotLoggedInError(
            f"The {provider!r} token has expired and cannot be refreshed; please log in again.",
            provider=provider,
        )
    token = place.refreshed(stale)
    if token is None:
        with place.lock(stale, place.app_state.settings.refresh_wait) as acquired:
            token = place.refreshed(stale)  # another one did it meanwhile
            if token is None:
                token = _refresh_once(place, stale, acquired)
    place.save(token)
    return token


def _refresh_once(place: Holder, stale: t.Mapping[str, t.Any], acquired: bool) -> Token:
    """Refresh at the provider and keep the result for the others."""
    token: Token | None
    try:
        token = _refresh_at_provider(place.app_state.provider(place.provider), stale)
    except RefreshError:
        # A provider that rotates refresh tokens refuses the second use of
        # one: if a concurrent refresh that did not wait for this lock (or
        # whose lock expired) won, its token is the answer, not a logout.
        token = place.refreshed(stale)
        if token is None and not acquired:
            with place.lock(stale, place.app_state.settings.refresh_wait):
                token = place.refreshed(stale)
        if token is None:
            place.forget(stale)
            raise
        return token
    place.keep(stale, token)  # before anything uses it
    token_refreshed.send(current_sender(), provider=place.provider, token=token)
    return token


def _refresh_at_provider(provider: Provider, stale: t.Mapping[str, t.Any]) -> Token:
    try:
        token = provider.refresh(stale["refresh_token"])
        if token.get("id_token"):
            _check_same_identity(provider, stale, token)
        elif stale.get("id_token"):  # still the hint for logging out at the provider
            token["id_token"] = stale["id_token"]
        for key in ("iss", "sub", ID_TOKEN_SUB, "sid"):  # the identity (and session)
            if key in stale:
                token[key] = stale[key]
        # The granted scope: as the provider says, else as it was (RFC 6749 §5.1).
        config = provider.config
        asked = str(stale["scope"]).split() if stale.get("scope") else config.scope
        token["scope"] = " ".join(config.preset.granted_scope(token.get("scope"), asked))
    except (RefreshError, InvalidToken) as exc:
        log.info("Refresh of the %s login refused; the login ends: %s", provider.name, exc)
        raise RefreshError(
            f"The provider {provider.name!r} refused to refresh the login; please log in again.",
            provider=provider.name,
        ) from None
    log.debug("Refreshed the %s token.", provider.name)
    return token


def _check_same_identity(
    provider: Provider, stale: t.Mapping[str, t.Any], token: t.Mapping[str, t.Any]
) -> None:
    """OpenID Connect Core §12.2: a refreshed ID token names the same iss and sub."""
    claims = provider.check_id_token(token["id_token"], access_token=token["access_token"])
    # The ID token's sub, not the app's (user_map may have chosen another).
    if claims.get("iss") != stale.get("iss") or claims.get("sub") != protocol_subject(stale):
        raise InvalidToken(
            "The refreshed ID token names another issuer or subject.", provider=provider.name
        )


class HeldTokenSource:
    """Gives :class:`~flask_oauth2login.protocol.api_session.BearerAuth` the token a
    :class:`~flask_oauth2login.tokens.holders.Holder` keeps: the current session's,
    or a stored one.

    :param first: the token just loaded, used for the first request (so
        making the API session and its first call read the token once).
    """

    def __init__(self, place: Holder, first: t.Mapping[str, t.Any] | None = None) -> None:
        self.place = place
        self._first = Token(first) if first is not None else None

    @property
    def provider(self) -> str:
        return self.place.provider

    def access_token(self) -> str:
        token, self._first = self._first, None
        if token is not None and token.is_expired(self.place.app_state.settings.refresh_leeway):
            token = refresh(self.place, token)
        if token is None:
            token = fresh_token(self.place)
        return token.access_token

    def refresh(self, rejected: str) -> str | None:
        self._first = None
        token = self.place.load(fresh=True)  # refreshed or revoked meanwhile?
        if token is None or not token.get("refresh_token"):
            return None
        if token.access_token != rejected:  # refreshed meanwhile
            return token.access_token
        return refresh(self.place, token).access_token
