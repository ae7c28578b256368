"""Tokens and the user in the server-side session, and refreshing them.

The session holds, per provider, the token the provider issued (access
token, refresh token, expiry, ID token, granted scope) and the normalized
user, and which login is the most recent. None of it ever reaches the
browser: the session cookie carries only the session id.

A refresh is single-flight: requests of one session that find the token
expired at the same moment wait for the first one's refresh, through the
app's :mod:`~flask_oauth2login.coordination` backend, and use its result.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import time
import typing as t

from flask import session

from .errors import InvalidToken, NotLoggedInError, RefreshError
from .signals import current_sender, token_refreshed
from .state import AppState
from .user import User

log = logging.getLogger(__name__)

#: Session key of the tokens, a dict of provider name to token.
TOKENS_KEY = "_oauth2login_tokens"
#: Session key of the logged-in user (a plain dict): the most recent login's.
USER_KEY = "_oauth2login_user"
#: Session key of the users of the session's logins, a dict of provider name
#: to user (plain dicts), the oldest login first and the most recent last.
USERS_KEY = "_oauth2login_users"


def get_token(provider: str) -> dict[str, t.Any] | None:
    """The stored token for *provider*, or ``None``."""
    token = session.get(TOKENS_KEY, {}).get(provider)
    return dict(token) if token else None


def save_token(provider: str, token: t.Mapping[str, t.Any]) -> None:
    """Store *token* for *provider* in the session."""
    tokens = dict(session.get(TOKENS_KEY, {}))
    tokens[provider] = dict(token)
    session[TOKENS_KEY] = tokens


def get_user() -> User | None:
    """The user of the session's most recent login, or ``None``."""
    data = session.get(USER_KEY)
    return User(data) if data else None


def get_users() -> dict[str, User]:
    """The users of the session's logins, by provider, the most recent last."""
    return {provider: User(data) for provider, data in _users().items()}


def _users() -> dict[str, dict[str, t.Any]]:
    users = session.get(USERS_KEY)
    if users is None:  # a session stored before there was a users map
        user = session.get(USER_KEY)
        return {user["provider"]: user} if user else {}
    return dict(users)


def save_login(provider: str, user: User, token: t.Mapping[str, t.Any]) -> None:
    """Store a completed login, as the session's most recent one, in place of
    any earlier login with *provider*."""
    save_token(provider, token)
    users = {name: data for name, data in _users().items() if name != provider}
    users[provider] = user.to_dict()
    session[USERS_KEY] = users
    session[USER_KEY] = users[provider]


def forget(provider: str | None = None) -> list[str]:
    """Forget the login with *provider* (all when ``None``): its token and its
    user. The most recent login left, if any, gives :func:`get_user`.
    Returns the providers forgotten."""
    tokens = dict(session.get(TOKENS_KEY, {}))
    names = list(tokens) if provider is None else [p for p in tokens if p == provider]
    for name in names:
        del tokens[name]
    if tokens:
        session[TOKENS_KEY] = tokens
    else:
        session.pop(TOKENS_KEY, None)
    users = _users()
    names.extend(p for p in users if (provider is None or p == provider) and p not in names)
    left = {name: data for name, data in users.items() if name not in names}
    if left:
        session[USERS_KEY] = left
        session[USER_KEY] = list(left.values())[-1]
    else:
        session.pop(USERS_KEY, None)
        session.pop(USER_KEY, None)
    return names


def granted_scope(state: AppState, provider: str) -> tuple[str, ...]:
    """The scopes the session's token for *provider* was granted (none
    without a token; the configured scope for a token that does not say)."""
    token = get_token(provider)
    if token is None:
        return ()
    config = state.client(provider).config
    return config.preset.granted_scope(token.get("scope"), config.scope)


def snapshot() -> dict[str, t.Any]:
    """The whole session as it is now, for :func:`restore`."""
    return copy.deepcopy(dict(session))


def restore(saved: t.Mapping[str, t.Any]) -> None:
    """Put the session back as a :func:`snapshot` saw it, after a refused
    login: its logins, and whatever hooks stored meanwhile (a Flask-Login
    user id, say)."""
    session.clear()
    session.update(copy.deepcopy(dict(saved)))


def is_expired(token: t.Mapping[str, t.Any], leeway: float) -> bool:
    """Whether *token* expires within *leeway* seconds (never, if its expiry is unknown)."""
    expires_at = token.get("expires_at")
    return expires_at is not None and expires_at - leeway <= time.time()


def fresh_token(state: AppState, provider: str) -> dict[str, t.Any]:
    """The token for *provider*, refreshed first if it has expired.

    :raises NotLoggedInError: if there is none, or it expired and cannot be
        refreshed (the stale token is then forgotten).
    """
    token = get_token(provider)
    if token is None:
        raise NotLoggedInError(f"Nobody is logged in with {provider!r}.", provider=provider)
    if is_expired(token, state.settings.refresh_leeway):
        token = refresh(state, provider, token)
    return token


def refresh(state: AppState, provider: str, stale: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Refresh *stale*, once for all concurrent requests of this session.

    :raises RefreshError: if the provider refused; the login is forgotten.
    :raises SessionStoreUnavailable: if the store that coordinates is down
        (nothing reached the provider then).
    """
    refresh_token = stale.get("refresh_token")
    if not refresh_token:
        forget(provider)
        raise NotLoggedInError(
            f"The {provider!r} token has expired and cannot be refreshed; please log in again.",
            provider=provider,
        )
    key = hashlib.sha256(f"{provider}\0{refresh_token}".encode()).hexdigest()

    token = _result(state, key, stale)
    if token is None:
        with state.coordinator.lock(key, state.settings.refresh_wait) as acquired:
            token = _result(state, key, stale)  # another request did it meanwhile
            if token is None:
                token = _refresh_once(state, provider, stale, key, acquired)
    save_token(provider, token)
    return token


def _result(state: AppState, key: str, stale: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
    """The token a refresh of *stale*'s refresh token left, if still of use.

    Slots are keyed by the refresh token used, so any request (in any
    process) holding the old token finds the new one, also a request that
    loaded the session before the refresh was saved.
    """
    token = state.coordinator.get_result(key)
    if (
        token is None
        or token.get("access_token") == stale.get("access_token")
        # An older result: a refresh token that is not rotated is used again.
        or is_expired(token, state.settings.refresh_leeway)
    ):
        return None
    return token


def _refresh_once(
    state: AppState, provider: str, stale: t.Mapping[str, t.Any], key: str, acquired: bool
) -> dict[str, t.Any]:
    """Refresh at the provider and leave the result for the others."""
    coordinator = state.coordinator
    token: dict[str, t.Any] | None
    try:
        token = _refresh_at_provider(state, provider, stale)
    except RefreshError:
        # A provider that rotates refresh tokens refuses the second use of
        # one: if a concurrent refresh that did not wait for this lock (or
        # whose lock expired) won, its token is the answer, not a logout.
        token = _result(state, key, stale)
        if token is None and not acquired:
            with coordinator.lock(key, state.settings.refresh_wait):
                token = _result(state, key, stale)
        if token is None:
            forget(provider)
            raise
        return token
    ttl = max(60, int((token.get("expires_at") or time.time() + 3600) - time.time()))
    coordinator.set_result(key, token, min(ttl, 3600))
    token_refreshed.send(current_sender(), provider=provider, token=token)
    return token


def _refresh_at_provider(state: AppState, provider: str, stale: t.Mapping[str, t.Any]) -> dict:
    client = state.client(provider)
    endpoints = state.endpoints(provider)
    try:
        token = client.refresh(endpoints, stale["refresh_token"])
        if token.get("id_token"):
            _check_same_identity(state, provider, stale, token)
        elif stale.get("id_token"):  # still the hint for logging out at the provider
            token["id_token"] = stale["id_token"]
        for key in ("iss", "sub", "sid"):  # the identity (and session) it was issued for
            if key in stale:
                token[key] = stale[key]
        # The granted scope: as the provider says, else as it was (RFC 6749 §5.1).
        config = state.client(provider).config
        asked = str(stale["scope"]).split() if stale.get("scope") else config.scope
        token["scope"] = " ".join(config.preset.granted_scope(token.get("scope"), asked))
    except (RefreshError, InvalidToken) as exc:
        log.info("Refresh of the %s login refused; the login ends: %s", provider, exc)
        raise RefreshError(
            f"The provider {provider!r} refused to refresh the login; please log in again.",
            provider=provider,
        ) from None
    log.debug("Refreshed the %s token.", provider)
    return token


def _check_same_identity(
    state: AppState, provider: str, stale: t.Mapping[str, t.Any], token: t.Mapping[str, t.Any]
) -> None:
    """OpenID Connect Core §12.2: a refreshed ID token names the same iss and sub."""
    claims = state.client(provider).check_id_token(
        state.endpoints(provider),
        token["id_token"],
        leeway=state.settings.clock_skew,
        access_token=token["access_token"],
    )
    if claims.get("iss") != stale.get("iss") or claims.get("sub") != stale.get("sub"):
        raise InvalidToken(
            "The refreshed ID token names another issuer or subject.", provider=provider
        )


class SessionTokenSource:
    """Gives :class:`~flask_oauth2login.auth.BearerAuth` the token stored in
    the current session for one provider."""

    def __init__(self, state: AppState, provider: str) -> None:
        self.state = state
        self.provider = provider

    def access_token(self) -> str:
        return fresh_token(self.state, self.provider)["access_token"]  # type: ignore[no-any-return]

    def refresh(self, rejected: str) -> str | None:
        token = get_token(self.provider)
        if token is None or not token.get("refresh_token"):
            return None
        if token["access_token"] != rejected:  # refreshed meanwhile
            return token["access_token"]  # type: ignore[no-any-return]
        return refresh(self.state, self.provider, token)["access_token"]  # type: ignore[no-any-return]
