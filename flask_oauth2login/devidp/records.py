"""The records the development provider keeps: pending sign-ins, grants,
its own browser sessions, pending logouts, codes and tokens (see
:mod:`~flask_oauth2login.devidp.memory`, which holds and bounds them)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PendingAuthorization:
    """A validated authorization request waiting on the sign-in page."""

    id: str
    #: Must come back with the form; binds the POST to this request.
    csrf_token: str
    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    state: str
    nonce: str | None
    code_challenge: str
    expires_at: float


@dataclass
class Grant:
    """What a user (or, for ``client_credentials``, a client) authorized.

    Every code and token issued from one authorization shares its grant;
    revoking the grant invalidates all of them at once.
    """

    id: str
    client_id: str
    #: The user's ``sub``, or ``None`` for a client credentials grant.
    sub: str | None
    scope: tuple[str, ...]
    auth_time: int | None = None
    nonce: str | None = None
    #: The provider session (browser sign-in) it was made in, if any.
    sid: str | None = None
    revoked: bool = False


@dataclass
class ProviderSession:
    """A browser signed in at the provider, known by its cookie.

    Its ``sid`` goes into the ID tokens and logout tokens of every client the
    browser signed in to (OpenID Connect Back-Channel Logout 1.0 §2.1).
    """

    sid: str
    sub: str
    expires_at: float
    #: The clients that got a code in this session, in order.
    clients: list[str] = field(default_factory=list)


@dataclass
class PendingLogout:
    """A sign-out waiting on the confirmation page."""

    id: str
    #: Must come back with the form; binds the POST to this request.
    csrf_token: str
    sid: str
    #: Where to send the browser afterwards (a client's post-logout URI
    #: with its state), if anywhere.
    target: str | None
    client_id: str | None
    expires_at: float


@dataclass
class AuthorizationCode:
    """An authorization code; single use, short lived."""

    grant: Grant
    redirect_uri: str
    code_challenge: str
    expires_at: float
    used: bool = False


@dataclass
class Token:
    """An access or refresh token."""

    grant: Grant
    scope: tuple[str, ...]
    issued_at: float
    #: ``None`` for a refresh token that never expires.
    expires_at: float | None
    #: Set on a refresh token once it was exchanged (rotation).
    used: bool = False


@dataclass
class IssuedTokens:
    """The values of freshly issued tokens, returned once to the client."""

    access_token: str
    access: Token
    refresh_token: str | None = None
    refresh: Token | None = field(default=None)
