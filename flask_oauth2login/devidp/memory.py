"""The provider's in-memory state: users, pending sign-ins, sessions, codes and tokens.

Everything lives in one :class:`Store` per app, guarded by a lock, so the
provider is safe under a threaded server. It is **per process**: a restart
forgets every token, and several worker processes would not share it, which
is fine for a development tool and wrong for anything else.

Codes and tokens are kept under the SHA-256 digest of their value, never the
value itself, and nothing here is ever logged.

Nothing grows without bound, however many requests come: expired entries
are purged whenever a new one is added, and each table has a cap past which
the oldest entry is forgotten (typed-in users: the least recently used one;
the configured users are always kept). See :class:`Store`'s ``max_*``
attributes.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
import typing as t
from collections import OrderedDict

from .records import (
    AuthorizationCode,
    Grant,
    IssuedTokens,
    PendingAuthorization,
    PendingLogout,
    ProviderSession,
    Token,
)

logger = logging.getLogger(__name__)

#: How long the sign-in page stays usable, in seconds.
PENDING_TTL = 300


def new_secret() -> str:
    """A fresh random value for a code, token or CSRF token (256 bits)."""
    return secrets.token_urlsafe(32)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class Store:
    """Thread-safe in-memory state of one provider.

    :param users: The users offered on the sign-in page; they are never
        forgotten.
    :param clock: Returns the current time in seconds; tests replace it.
    """

    #: Most sign-in pages waiting for an answer; past it the oldest is forgotten.
    max_pending = 1000
    #: Most users typed in on the sign-in page; past it the least recently
    #: used one is forgotten (and its tokens stop working).
    max_typed_users = 100
    #: Most authorization codes not yet expired.
    max_codes = 1000
    #: Most access tokens, and separately refresh tokens, kept.
    max_tokens = 10_000
    #: Most browser sessions, and separately sign-outs waiting, kept.
    max_sessions = 1000

    def __init__(
        self,
        users: t.Iterable[t.Mapping[str, t.Any]] = (),
        clock: t.Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        self._users: dict[str, dict[str, t.Any]] = {u["sub"]: dict(u) for u in users}
        #: Typed-in users, least recently used first.
        self._typed: OrderedDict[str, dict[str, t.Any]] = OrderedDict()
        self._pending: OrderedDict[str, PendingAuthorization] = OrderedDict()
        self._codes: OrderedDict[str, AuthorizationCode] = OrderedDict()
        self._access: OrderedDict[str, Token] = OrderedDict()
        self._refresh: OrderedDict[str, Token] = OrderedDict()
        #: Browser sessions, under the digest of their cookie.
        self._sessions: OrderedDict[str, ProviderSession] = OrderedDict()
        self._pending_logouts: OrderedDict[str, PendingLogout] = OrderedDict()

    def sizes(self) -> dict[str, int]:
        """How many entries each table holds (each is bounded by a ``max_*``)."""
        with self._lock:
            return {
                "typed_users": len(self._typed),
                "pending": len(self._pending),
                "codes": len(self._codes),
                "access_tokens": len(self._access),
                "refresh_tokens": len(self._refresh),
                "sessions": len(self._sessions),
                "pending_logouts": len(self._pending_logouts),
            }

    # -- users ---------------------------------------------------------

    def users(self) -> list[dict[str, t.Any]]:
        """The configured users, then the typed-in ones (least recently used first)."""
        with self._lock:
            return [dict(u) for u in (*self._users.values(), *self._typed.values())]

    def get_user(self, sub: str) -> dict[str, t.Any] | None:
        """The user with ``sub``, if any; a typed-in user counts as used."""
        with self._lock:
            user = self._users.get(sub)
            if user is None and sub in self._typed:
                self._typed.move_to_end(sub)
                user = self._typed[sub]
            return dict(user) if user is not None else None

    def add_user(self, user: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """Add (or replace) a typed-in user, keyed by ``sub``.

        A configured user with the same ``sub`` is replaced in place instead.
        """
        sub = user["sub"]
        with self._lock:
            if sub in self._users:
                self._users[sub] = dict(user)
            else:
                self._typed.pop(sub, None)
                _make_room(self._typed, self.max_typed_users)
                self._typed[sub] = dict(user)
            return dict(user)

    # -- pending authorization requests --------------------------------

    def add_pending(self, **fields: t.Any) -> PendingAuthorization:
        """Remember a validated authorization request for the sign-in page."""
        with self._lock:
            self._purge()
            pending = PendingAuthorization(
                id=new_secret(),
                csrf_token=new_secret(),
                expires_at=self.clock() + PENDING_TTL,
                **fields,
            )
            _make_room(self._pending, self.max_pending)
            self._pending[pending.id] = pending
            return pending

    def get_pending(self, request_id: str) -> PendingAuthorization | None:
        """The pending request ``request_id`` unless it expired or was used."""
        with self._lock:
            pending = self._pending.get(request_id)
            if pending is None or pending.expires_at <= self.clock():
                return None
            return pending

    def take_pending(self, request_id: str) -> PendingAuthorization | None:
        """Remove and return the pending request; ``None`` if already taken."""
        with self._lock:
            pending = self._pending.pop(request_id, None)
            if pending is None or pending.expires_at <= self.clock():
                return None
            return pending

    # -- browser sessions ----------------------------------------------

    def sign_in(
        self, cookie: str | None, sub: str, client_id: str, ttl: float
    ) -> tuple[str, ProviderSession]:
        """Sign the browser holding *cookie* in as *sub* for *client_id*.

        The browser's session goes on if it is for *sub*; otherwise (no
        cookie, an expired session, another user) a new one starts, with a
        new cookie and a new ``sid``. Returns the cookie to set and the session.
        """
        with self._lock:
            self._purge()
            session = self._sessions.get(_digest(cookie)) if cookie else None
            if cookie is None or session is None or session.sub != sub:
                if cookie:
                    self._sessions.pop(_digest(cookie), None)
                cookie = new_secret()
                session = ProviderSession(sid=new_secret(), sub=sub, expires_at=0)
                _make_room(self._sessions, self.max_sessions)
                self._sessions[_digest(cookie)] = session
            session.expires_at = self.clock() + ttl
            if client_id not in session.clients:
                session.clients.append(client_id)
            return cookie, session

    def session_for(self, cookie: str | None) -> ProviderSession | None:
        """The live session of the browser holding *cookie*, if any."""
        if not cookie:
            return None
        with self._lock:
            session = self._sessions.get(_digest(cookie))
            if session is None or session.expires_at <= self.clock():
                return None
            return session

    def end_session(self, sid: str) -> ProviderSession | None:
        """End the live session *sid*; return it, or ``None`` if there was none."""
        with self._lock:
            for key, session in list(self._sessions.items()):
                if session.sid == sid:
                    del self._sessions[key]
                    return session if session.expires_at > self.clock() else None
        return None

    def add_pending_logout(
        self, sid: str, target: str | None, client_id: str | None
    ) -> PendingLogout:
        """Remember a sign-out to confirm on the confirmation page."""
        with self._lock:
            self._purge()
            pending = PendingLogout(
                id=new_secret(),
                csrf_token=new_secret(),
                sid=sid,
                target=target,
                client_id=client_id,
                expires_at=self.clock() + PENDING_TTL,
            )
            _make_room(self._pending_logouts, self.max_sessions)
            self._pending_logouts[pending.id] = pending
            return pending

    def take_pending_logout(self, request_id: str) -> PendingLogout | None:
        """Remove and return the sign-out waiting; ``None`` if answered or expired."""
        with self._lock:
            pending = self._pending_logouts.pop(request_id, None)
            if pending is None or pending.expires_at <= self.clock():
                return None
            return pending

    # -- authorization codes -------------------------------------------

    def add_code(self, grant: Grant, redirect_uri: str, code_challenge: str, ttl: float) -> str:
        """Issue an authorization code for ``grant``; returns its value."""
        code = new_secret()
        with self._lock:
            self._purge()
            _make_room(self._codes, self.max_codes)
            self._codes[_digest(code)] = AuthorizationCode(
                grant=grant,
                redirect_uri=redirect_uri,
                code_challenge=code_challenge,
                expires_at=self.clock() + ttl,
            )
        return code

    def redeem_code(self, code: str) -> AuthorizationCode | None:
        """Use up an authorization code.

        Returns ``None`` if the code is unknown or expired. A code used a
        second time also returns ``None`` and revokes every token issued
        from it, as :rfc:`6749#section-4.1.2` recommends.
        """
        with self._lock:
            record = self._codes.get(_digest(code))
            if record is None or record.expires_at <= self.clock():
                return None
            if record.used:
                logger.warning(
                    "devidp: an authorization code was used twice; revoking its grant (client %s).",
                    record.grant.client_id,
                )
                self._revoke_grant(record.grant)
                return None
            record.used = True
            return record

    # -- tokens --------------------------------------------------------

    def issue_tokens(
        self,
        grant: Grant,
        *,
        scope: tuple[str, ...],
        access_ttl: float,
        refresh: bool,
        refresh_ttl: float | None = None,
    ) -> IssuedTokens:
        """Issue an access token (and optionally a refresh token) for ``grant``.

        :param scope: The access token's scope; the refresh token always
            carries the grant's full scope.
        """
        now = self.clock()
        issued = IssuedTokens(
            access_token=new_secret(),
            access=Token(grant=grant, scope=scope, issued_at=now, expires_at=now + access_ttl),
        )
        if refresh:
            issued.refresh_token = new_secret()
            issued.refresh = Token(
                grant=grant,
                scope=grant.scope,
                issued_at=now,
                expires_at=None if refresh_ttl is None else now + refresh_ttl,
            )
        with self._lock:
            self._purge()
            if grant.revoked:  # revoked while the request was running
                raise LookupError("grant revoked")
            _make_room(self._access, self.max_tokens)
            self._access[_digest(issued.access_token)] = issued.access
            if issued.refresh_token is not None and issued.refresh is not None:
                _make_room(self._refresh, self.max_tokens)
                self._refresh[_digest(issued.refresh_token)] = issued.refresh
        return issued

    def get_access_token(self, token: str) -> Token | None:
        """The live access token ``token``, or ``None``."""
        with self._lock:
            record = self._access.get(_digest(token))
            if record is None or not self._alive(record):
                return None
            return record

    def find_refresh_token(self, token: str, client_id: str) -> Token | None:
        """The live, unused refresh token ``token`` of ``client_id``; does not use it."""
        with self._lock:
            record = self._refresh.get(_digest(token))
            if record is None or record.grant.client_id != client_id:
                return None
            if record.used or not self._alive(record):
                return None
            return record

    def use_refresh_token(self, token: str, client_id: str) -> Token | None:
        """Use up a refresh token of ``client_id`` (rotation).

        Returns ``None`` for an unknown, expired or foreign token. Presenting
        an already rotated token again revokes the whole grant: one of the two
        parties holding it is not the legitimate client.
        """
        with self._lock:
            record = self._refresh.get(_digest(token))
            if record is None or record.grant.client_id != client_id:
                return None
            if not self._alive(record):
                return None
            if record.used:
                logger.warning(
                    "devidp: a rotated refresh token was reused; revoking its grant (client %s).",
                    client_id,
                )
                self._revoke_grant(record.grant)
                return None
            record.used = True
            return record

    def revoke(self, token: str, client_id: str, hint: str | None = None) -> bool:
        """Revoke an access or refresh token of ``client_id`` (:rfc:`7009`).

        Revoking a refresh token revokes its whole grant, so the access
        tokens issued with it stop working as well. Tokens of other clients
        are left alone.

        :returns: Whether something was revoked.
        """
        key = _digest(token)
        tables = (self._refresh, self._access)
        if hint == "access_token":
            tables = (self._access, self._refresh)
        with self._lock:
            for table in tables:
                record = table.get(key)
                if record is None or record.grant.client_id != client_id:
                    continue
                if table is self._refresh:
                    self._revoke_grant(record.grant)
                else:
                    del table[key]
                return True
        return False

    def revoke_grant(self, grant: Grant) -> None:
        """Invalidate every code and token issued from ``grant``."""
        with self._lock:
            self._revoke_grant(grant)

    # -- internals (call with the lock held) -----------------------------

    def _alive(self, record: Token) -> bool:
        if record.grant.revoked:
            return False
        return record.expires_at is None or record.expires_at > self.clock()

    def _revoke_grant(self, grant: Grant) -> None:
        grant.revoked = True
        for table in (self._access, self._refresh):
            for key in [k for k, r in table.items() if r.grant is grant]:
                del table[key]

    def _purge(self) -> None:
        now = self.clock()
        for key in [k for k, p in self._pending.items() if p.expires_at <= now]:
            del self._pending[key]
        for key in [k for k, c in self._codes.items() if c.expires_at <= now]:
            del self._codes[key]
        for table in (self._access, self._refresh):
            for key in [k for k, r in table.items() if not self._alive(r)]:
                del table[key]
        for key in [k for k, s in self._sessions.items() if s.expires_at <= now]:
            del self._sessions[key]
        for key in [k for k, p in self._pending_logouts.items() if p.expires_at <= now]:
            del self._pending_logouts[key]


def _make_room(table: OrderedDict[str, t.Any], limit: int) -> None:
    """Forget the oldest entries of ``table`` until one more fits in ``limit``."""
    while table and len(table) >= max(limit, 1):
        table.popitem(last=False)
