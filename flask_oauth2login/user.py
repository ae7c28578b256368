"""The normalized user: the same keys whatever the provider."""

from __future__ import annotations

import typing as t
from collections.abc import Mapping

from .errors import InvalidProviderResponse

#: Keys every user mapping has (missing values are ``None``).
FIELDS = ("provider", "issuer", "sub", "email", "email_verified", "name", "picture", "raw")
#: The fields a ``user_map`` may map.
USER_MAP_FIELDS = ("sub", "email", "email_verified", "name", "picture")


class User(Mapping[str, t.Any]):
    """The logged-in user, as a read-only mapping.

    ``user["sub"]`` and ``user.sub`` are the same. Users are identified by
    :attr:`id`, the pair (issuer, subject), never by e-mail.
    """

    __slots__ = ("_data",)

    def __init__(self, data: t.Mapping[str, t.Any]) -> None:
        self._data = {key: data.get(key) for key in FIELDS}
        self._data.update({k: v for k, v in data.items() if k not in self._data})
        self._data["email_verified"] = self._data["email_verified"] is True

    def __getitem__(self, key: str) -> t.Any:
        return self._data[key]

    def __iter__(self) -> t.Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getattr__(self, name: str) -> t.Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"<User {self._data['provider']}:{self._data['sub']} {self._data['email']!r}>"

    @property
    def id(self) -> tuple[str, str]:
        """The stable identity: (issuer, subject)."""
        return (str(self._data["issuer"] or self._data["provider"]), str(self._data["sub"]))

    def to_dict(self) -> dict[str, t.Any]:
        """A plain dict copy, e.g. for JSON."""
        return dict(self._data)


#: Normalized fields that are strings (or ``None``).
TEXT_FIELDS = ("sub", "email", "name", "picture")
#: Integers beyond this are kept as strings: session stores encode 64 bits at most.
_MAX_INT = 2**63 - 1


def normalize(
    provider: str,
    issuer: str | None,
    profile: t.Mapping[str, t.Any],
    raw: t.Mapping[str, t.Any],
) -> User:
    """Build the user from a preset's profile mapping and the raw claims.

    ``issuer`` is the configured one, unless the profile mapping names the
    user's own (a multi-tenant provider's tenant).

    A text field the provider sent as something else (a list, an object)
    becomes ``None``; ``raw`` keeps what the provider said, in a form every
    session store can hold.
    """
    data = dict(profile)
    for key in TEXT_FIELDS:
        if not isinstance(data.get(key), str) or not data[key]:
            data[key] = None
    # A multi-tenant preset's profile names the user's own issuer (Microsoft's
    # tenant) where the configured one is a template.
    if not isinstance(data.get("issuer"), str) or not data["issuer"]:
        data["issuer"] = issuer
    data.update(provider=provider, raw=_storable(dict(raw)))
    return User(data)


def _storable(value: t.Any, depth: int = 0) -> t.Any:
    """*value* with integers too large for a session store as strings, and
    nesting cut at a sane depth."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return value if -_MAX_INT - 1 <= value <= _MAX_INT else str(value)
    if depth >= 16:
        return None
    if isinstance(value, dict):
        return {str(k): _storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v, depth + 1) for v in value]
    return str(value)


# -- user_map: profile mapping as data -------------------------------------------------


def parse_path(path: str) -> tuple[str, ...] | None:
    """The steps of a dotted path (``"emails.0.value"``), or ``None`` if it
    is not one (empty, or with an empty step)."""
    steps = tuple(path.split("."))
    return steps if all(steps) else None


def lookup(raw: t.Any, path: str) -> t.Any:
    """The value at dotted *path* in *raw*, or ``None`` when there is none.

    A step is a key of an object, or the index of a list (``0``, ``1``...).
    """
    value = raw
    for step in parse_path(path) or ():
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and step.isascii() and step.isdigit():
            index = int(step)
            value = value[index] if index < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value


def apply_user_map(
    provider: str,
    user_map: t.Mapping[str, str],
    raw: t.Mapping[str, t.Any],
    profile: t.Mapping[str, t.Any],
) -> dict[str, t.Any]:
    """*profile* with the fields *user_map* names taken from *raw*.

    ``email_verified`` is true only when its mapped value is ``True`` or
    ``"true"``; when ``email`` is mapped and ``email_verified`` is not, it is
    false (nothing says the mapped address was verified). A mapped field
    found missing is ``None``, except ``sub``.

    :raises InvalidProviderResponse: if the path of ``sub`` finds no string
        or number.
    """
    mapped = dict(profile)
    for key, path in user_map.items():
        mapped[key] = lookup(raw, path)
    if "email_verified" in user_map:
        verified = mapped["email_verified"]
        mapped["email_verified"] = verified is True or (
            isinstance(verified, str) and verified.lower() == "true"
        )
    elif "email" in user_map:
        mapped["email_verified"] = False
    if "sub" in user_map:
        sub = mapped["sub"]
        if isinstance(sub, int) and not isinstance(sub, bool):
            sub = str(sub)
        if not isinstance(sub, str) or not sub:
            raise InvalidProviderResponse(
                f"The provider's answer has no user id at {user_map['sub']!r}, the path that "
                f"OAUTH2LOGIN_PROVIDERS[{provider!r}]['user_map'] gives for 'sub'.",
                provider=provider,
            )
        mapped["sub"] = sub
    return mapped
