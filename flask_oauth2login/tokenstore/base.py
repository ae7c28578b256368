"""What every token store offers: :class:`TokenStore`, and the record it keeps.

A store keeps one token per login, under (provider, issuer, subject): that
triple is the only way to reach it. What it keeps is sealed by
:mod:`~flask_oauth2login.crypto.cipher` before it gets there; the store itself only
sees what may be shown (scope, expiry) next to ciphertext.

Besides ``get``, ``set`` and ``delete``, a store offers what a refresh needs
to happen once across threads, processes and machines:

- :meth:`TokenStore.lock`: a short lock per login, which expires by itself
  when its holder dies, and which waiters give up on after a while (so a
  lock never hangs a request);
- :meth:`TokenStore.replace`: a compare-and-swap on the record's
  :attr:`~StoredToken.version`, so a refresh never writes over a token
  newer than the one it refreshed (a new login, say).

A store that cannot be reached raises
:class:`~flask_oauth2login.errors.TokenStoreUnavailable` (answered with a
503 in a request) from every method.
"""

from __future__ import annotations

import abc
import hashlib
import logging
import threading
import time
import typing as t
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import TokenStoreUnavailable

log = logging.getLogger(__name__)

#: What a request or job that meets a store that is down is told.
OUTAGE_MESSAGE = (
    "Sign-in is temporarily unavailable because the token store cannot be reached. "
    "Nothing was lost; please try again in a few seconds."
)


#: The longest issuer, subject or provider session id (``sid``) kept: OpenID
#: Connect Core §2 allows a ``sub`` of at most 255 ASCII characters, and the
#: SQL store's columns are that wide.
MAX_KEY_LENGTH = 255


def unstorable(value: str) -> str | None:
    """Why *value*, a provider's value that names a login (its issuer,
    subject, ``sid``), is one no store can keep as it is, or ``None``: too
    long, a control character (PostgreSQL refuses NUL, and NUL separates the
    parts of :attr:`TokenKey.context`), or not valid Unicode."""
    if len(value) > MAX_KEY_LENGTH:
        return f"is longer than {MAX_KEY_LENGTH} characters"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value):
        return "contains a control character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode"
    return None


def check_storable(key: TokenKey) -> None:
    """Refuse to write under a key no store can keep (a login refuses such a
    provider's values before any store sees them).

    :raises ValueError: if the key is not :attr:`~TokenKey.storable`.
    """
    if not key.storable:
        raise ValueError(
            f"a token store keeps issuers and subjects of at most {MAX_KEY_LENGTH} characters, "
            "without control characters"
        )


@dataclass(frozen=True)
class TokenKey:
    """Where a login's token is kept: its provider, issuer and subject."""

    provider: str
    issuer: str
    subject: str

    @property
    def storable(self) -> bool:
        """Whether every store can keep a login under this key (see :func:`unstorable`)."""
        return unstorable(self.issuer) is None and unstorable(self.subject) is None

    @property
    def context(self) -> str:
        """What a token sealed for this login is bound to."""
        return f"{self.provider}\0{self.issuer}\0{self.subject}"

    @property
    def digest(self) -> str:
        """A fixed-length name of this key (for key-value stores)."""
        return hashlib.sha256(self.context.encode()).hexdigest()


@dataclass(frozen=True)
class StoredToken:
    """One login's token as a store keeps it."""

    #: The provider's name in this app's configuration.
    provider: str
    #: The issuer the login belongs to.
    issuer: str
    #: The user's subject at that issuer.
    subject: str
    #: The token, sealed (see :mod:`~flask_oauth2login.crypto.cipher`).
    sealed: str
    #: The granted scope, space-separated, if known.
    scope: str | None = None
    #: When the access token expires (Unix time), if known.
    expires_at: int | None = None
    #: Grows by one with every write; :meth:`TokenStore.replace` compares it.
    version: int = 0
    #: When the record was last written (Unix time).
    updated_at: int = 0

    @property
    def key(self) -> TokenKey:
        return TokenKey(self.provider, self.issuer, self.subject)


class TokenStore(abc.ABC):
    """The interface of a token store; see the module docstring."""

    #: Exceptions of this backend that mean "unreachable or too slow".
    store_errors: tuple[type[BaseException], ...] = (OSError,)

    @abc.abstractmethod
    def get(self, key: TokenKey) -> StoredToken | None:
        """The record under *key*, or ``None``."""

    @abc.abstractmethod
    def set(self, token: StoredToken) -> int:
        """Write *token* under its key, whatever is there; return its new version."""

    @abc.abstractmethod
    def replace(self, token: StoredToken, expected_version: int) -> int | None:
        """Write *token* only if the record under its key still has
        *expected_version*; return the new version, or ``None`` if it had
        another one (or is gone)."""

    @abc.abstractmethod
    def delete(self, key: TokenKey, expected_version: int | None = None) -> bool:
        """Delete the record under *key* (only if it has *expected_version*,
        when given); return whether one was deleted."""

    @abc.abstractmethod
    def lock(self, key: TokenKey, wait: float) -> t.ContextManager[bool]:
        """Hold the refresh lock of *key*, waiting up to *wait* seconds;
        yields whether it was acquired (the caller goes ahead either way)."""

    @abc.abstractmethod
    def find(
        self, provider: str | None = None, subject: str | None = None, issuer: str | None = None
    ) -> list[StoredToken]:
        """The records that match what is given, sorted by provider,
        issuer and subject."""

    def create_schema(self) -> bool:
        """Create what the store needs (a table); return whether anything
        was created. Nothing to do by default."""
        return False

    def coordinator(self) -> t.Any:
        """The lock and result slot of single-flight refreshes of logins the
        store does not hold (see :mod:`~flask_oauth2login.sessions.coordination`),
        shared by every process using the store; ``None`` if it has none.
        The app uses it when its session store coordinates one process only."""
        return None

    def describe(self) -> str:
        """Where the tokens are, for messages (never with a password)."""
        return type(self).__name__

    def close(self) -> None:
        """Let go of connections."""
        return None

    @contextmanager
    def errors_as_unavailable(self) -> t.Iterator[None]:
        """Turn this store's errors into :class:`TokenStoreUnavailable`."""
        try:
            yield
        except self.store_errors as exc:
            log.warning("The token store is unavailable (%s).", type(exc).__name__)
            raise TokenStoreUnavailable(OUTAGE_MESSAGE) from None


@dataclass(frozen=True)
class StoredLogin:
    """What may be shown of a stored login: never its token."""

    provider: str
    issuer: str
    subject: str
    #: The granted scope, space-separated, if known.
    scope: str | None
    #: When the access token expires (Unix time), if known; a refresh token
    #: may keep the login going long after.
    expires_at: int | None
    #: When the token was last written (Unix time): the login or the last refresh.
    updated_at: int

    @classmethod
    def of(cls, record: StoredToken) -> StoredLogin:
        return cls(
            record.provider,
            record.issuer,
            record.subject,
            record.scope,
            record.expires_at,
            record.updated_at,
        )


class RecentTokens:
    """The records this process read from the store lately, reused for a few
    seconds (``OAUTH2LOGIN_TOKEN_CACHE_TTL``) so that a burst of API calls
    for one user does not read the store each time.

    Only what is *used* comes from here. Whatever decides something reads
    the store itself: a refresh (is there a newer token?), and the retry
    after the API refused a token (has it been refreshed or revoked?). Every
    write of this process drops the login's entry; a write of another
    process is seen once the entry is older than the TTL, or at once when
    the API refuses the old token.

    :param ttl: seconds an entry is reused; 0 turns the cache off.
    :param size: the most entries kept (the oldest give way).
    """

    def __init__(self, ttl: float, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._lock = threading.Lock()
        #: (provider, subject) to (deadline, {issuer or None: records}).
        self._entries: dict[tuple[str, str], tuple[float, dict[str | None, list[StoredToken]]]] = {}

    def get(self, provider: str, subject: str, issuer: str | None) -> list[StoredToken] | None:
        """The records found for these, if read less than :attr:`ttl` ago."""
        with self._lock:
            entry = self._entries.get((provider, subject))
            if entry is None or entry[0] < time.monotonic():
                return None
            return entry[1].get(issuer)

    def put(
        self, provider: str, subject: str, issuer: str | None, records: list[StoredToken]
    ) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            entry = self._entries.get((provider, subject))
            now = time.monotonic()
            if entry is None or entry[0] < now:
                if len(self._entries) >= self.size:  # the oldest entry gives way
                    del self._entries[next(iter(self._entries))]
                entry = self._entries[(provider, subject)] = (now + self.ttl, {})
            entry[1][issuer] = list(records)

    def forget(self, key: TokenKey) -> None:
        """Drop what was read of *key*'s login (it was just written)."""
        with self._lock:
            self._entries.pop((key.provider, key.subject), None)
