"""Tokens in Redis, for apps that already share a Redis.

The logins of one user at one provider are one hash, under
``oauth2login:token:{<sha256 of provider and subject>}``: the fields
``provider`` and ``subject``, and per issuer (usually one), fields named
``<issuer digest>:issuer``, ``:sealed`` (the token, encrypted), ``:scope``,
``:expires_at``, ``:version`` and ``:updated_at``. So a job that knows the
provider and the subject reads everything in one round trip. Nothing
expires by itself: a login's token stays until the user logs out, the
provider refuses a refresh, or it is revoked (``flask oauth2login tokens
--revoke``). Run Redis with persistence (RDB or AOF) if tokens should
survive its restart.

Writes are Lua scripts, so a compare-and-swap on ``version`` is one atomic
step. The refresh lock is the one sessions in Redis use too
(:func:`~flask_oauth2login.storage.redis.refresh_lock`), under
``oauth2login:token-lock:{...}``; it expires by itself after twice the wait,
so a process that dies holding it delays the others by at most that. Keys
carry a hash tag, so a login's keys share a Redis Cluster slot.
"""

from __future__ import annotations

import hashlib
import time
import typing as t

from ..storage.redis import RedisCoordinator, describe, outage_errors, refresh_lock
from .base import StoredToken, TokenKey, TokenStore, check_storable, unstorable

#: Lua: write one issuer's fields and bump its version, only if its version
#: is still ARGV[2] (unless that is empty); the new version, or nil.
#: ARGV: field prefix, expected version, provider, subject, then name/value pairs.
_WRITE = """
local p = ARGV[1]
if ARGV[2] ~= '' and redis.call('HGET', KEYS[1], p .. 'version') ~= ARGV[2] then
    return false
end
redis.call('HSET', KEYS[1], 'provider', ARGV[3], 'subject', ARGV[4])
for i = 5, #ARGV, 2 do
    redis.call('HSET', KEYS[1], p .. ARGV[i], ARGV[i + 1])
end
return redis.call('HINCRBY', KEYS[1], p .. 'version', 1)
"""

#: Lua: delete one issuer's fields, only if its version is ARGV[2] (unless
#: that is empty); the key goes with its last issuer. 1 if deleted.
_DELETE = """
local p = ARGV[1]
local version = redis.call('HGET', KEYS[1], p .. 'version')
if not version or (ARGV[2] ~= '' and version ~= ARGV[2]) then
    return 0
end
for i = 3, #ARGV do
    redis.call('HDEL', KEYS[1], p .. ARGV[i])
end
if redis.call('HLEN', KEYS[1]) <= 2 then
    redis.call('DEL', KEYS[1])
end
return 1
"""

#: The fields kept per issuer.
_FIELDS = ("issuer", "sealed", "scope", "expires_at", "version", "updated_at")


class RedisTokenStore(TokenStore):
    """Tokens in Redis; see the module docstring.

    :param client: a ``redis.Redis`` client, also one of a Sentinel's
        (``Sentinel(...).master_for(...)``), or a ``redis.cluster.RedisCluster``
        (give it short socket timeouts, as for sessions).
    """

    #: Prefix of the tokens' keys.
    prefix = "oauth2login:token:"
    #: Prefix of the refresh locks' keys.
    lock_prefix = "oauth2login:token-lock:"

    def __init__(self, client: t.Any) -> None:
        #: The redis-py client.
        self.client = client
        self.store_errors = outage_errors()
        self._write = client.register_script(_WRITE)
        self._delete = client.register_script(_DELETE)
        self._coordinator: RedisCoordinator | None = None

    @classmethod
    def from_config(cls, value: t.Any, *, instance_path: str) -> RedisTokenStore:
        return cls(value)

    def get(self, key: TokenKey) -> StoredToken | None:
        if not key.storable:  # nothing can be stored there
            return None
        found = self._read(key.provider, key.subject)
        return next((record for record in found if record.issuer == key.issuer), None)

    def set(self, token: StoredToken) -> int:
        check_storable(token.key)
        return t.cast(int, self._written(token, ""))

    def replace(self, token: StoredToken, expected_version: int) -> int | None:
        check_storable(token.key)
        return self._written(token, str(expected_version))

    def delete(self, key: TokenKey, expected_version: int | None = None) -> bool:
        expected = "" if expected_version is None else str(expected_version)
        with self.errors_as_unavailable():
            deleted = self._delete(
                keys=[self._name(key.provider, key.subject)],
                args=[_field_prefix(key.issuer), expected, *_FIELDS],
            )
        return bool(deleted)

    def lock(self, key: TokenKey, wait: float) -> t.ContextManager[bool]:
        name = f"{self.lock_prefix}{{{_digest(key.provider, key.subject)}}}:{key.digest}"
        return refresh_lock(self.client, name, wait, unavailable=self.errors_as_unavailable)

    def find(
        self, provider: str | None = None, subject: str | None = None, issuer: str | None = None
    ) -> list[StoredToken]:
        if any(unstorable(value) for value in (subject, issuer) if value is not None):
            return []  # nothing can be stored under it
        if provider is not None and subject is not None:
            found = self._read(provider, subject)
        else:
            with self.errors_as_unavailable():
                names = list(self.client.scan_iter(match=self.prefix + "*", count=500))
                pipe = self.client.pipeline(transaction=False)
                for name in names:
                    pipe.hgetall(name)
                found = [record for fields in pipe.execute() for record in _records(fields)]
        wanted = {"provider": provider, "subject": subject, "issuer": issuer}
        return sorted(
            (
                record
                for record in found
                if all(v is None or getattr(record, k) == v for k, v in wanted.items())
            ),
            key=lambda r: (r.provider, r.issuer, r.subject),
        )

    def describe(self) -> str:
        return describe(self.client)

    def coordinator(self) -> RedisCoordinator:
        if self._coordinator is None:
            self._coordinator = RedisCoordinator(
                self.client, unavailable=self.errors_as_unavailable
            )
        return self._coordinator

    def close(self) -> None:
        self.client.close()

    # -- plumbing -----------------------------------------------------------------

    def _name(self, provider: str, subject: str) -> str:
        return f"{self.prefix}{{{_digest(provider, subject)}}}"

    def _read(self, provider: str, subject: str) -> list[StoredToken]:
        with self.errors_as_unavailable():
            fields = self.client.hgetall(self._name(provider, subject))
        return _records(fields)

    def _written(self, token: StoredToken, expected: str) -> int | None:
        values = {
            "issuer": token.issuer,
            "sealed": token.sealed,
            "scope": token.scope or "",
            "expires_at": "" if token.expires_at is None else str(token.expires_at),
            "updated_at": str(int(time.time())),
        }
        args = [_field_prefix(token.issuer), expected, token.provider, token.subject]
        for name, value in values.items():
            args += [name, value]
        with self.errors_as_unavailable():
            version = self._write(keys=[self._name(token.provider, token.subject)], args=args)
        return None if version is None else int(version)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _field_prefix(issuer: str) -> str:
    return _digest(issuer)[:16] + ":"


def _records(fields: t.Mapping[t.Any, t.Any]) -> list[StoredToken]:
    """The records of one hash (one per issuer)."""
    text = {_text(k): _text(v) for k, v in fields.items()}
    provider, subject = text.get("provider"), text.get("subject")
    if provider is None or subject is None:
        return []
    by_issuer: dict[str, dict[str, str]] = {}
    for name, value in text.items():
        prefix, sep, field = name.partition(":")
        if sep:
            by_issuer.setdefault(prefix, {})[field] = value
    return [
        StoredToken(
            provider=provider,
            issuer=values["issuer"],
            subject=subject,
            sealed=values["sealed"],
            scope=values.get("scope") or None,
            expires_at=int(values["expires_at"]) if values.get("expires_at") else None,
            version=int(values.get("version") or 0),
            updated_at=int(values.get("updated_at") or 0),
        )
        for values in by_issuer.values()
        if "issuer" in values and "sealed" in values
    ]


def _text(value: t.Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
