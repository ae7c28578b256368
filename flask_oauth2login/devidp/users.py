"""The test users one can sign in as, and the claims they release.

A user is a plain dict with ``sub``, ``name``, ``email``, ``email_verified``
and ``picture`` (a ``data:`` URI, so pages need no external asset).
:data:`DEFAULT_USERS` are offered on the sign-in page; typing a name or an
e-mail address there creates another one, whose ``sub`` is derived from the
e-mail address so that signing in again with it gives the same user.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
import typing as t
from xml.sax.saxutils import escape

#: Users offered on the sign-in page when none are given.
DEFAULT_USERS: tuple[dict[str, t.Any], ...] = (
    {
        "sub": "ada",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "email_verified": True,
    },
    {
        "sub": "grace",
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "email_verified": True,
    },
    {
        "sub": "alan",
        "name": "Alan Turing",
        "email": "alan@example.com",
        "email_verified": False,
    },
)

#: Claims released per scope, as OpenID Connect Core §5.4 defines them.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": (
        "name",
        "given_name",
        "family_name",
        "preferred_username",
        "picture",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
}

MAX_NAME_LENGTH = 100
MAX_EMAIL_LENGTH = 254
_EMAIL_RE = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
_COLORS = ("#6d28d9", "#0f766e", "#b45309", "#be123c", "#1d4ed8", "#4d7c0f", "#7e22ce")


class InvalidUser(ValueError):
    """What was typed on the sign-in page does not make a user."""


def avatar(name: str) -> str:
    """A small SVG avatar with the initials of ``name``, as a ``data:`` URI."""
    initials = "".join(part[0] for part in name.split()[:2]).upper() or "?"
    color = _COLORS[hashlib.sha256(name.encode()).digest()[0] % len(_COLORS)]
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
        f'<rect width="96" height="96" rx="48" fill="{color}"/>'
        '<text x="48" y="48" dy=".35em" text-anchor="middle" fill="#fff" '
        'font-family="system-ui,sans-serif" font-size="38" font-weight="600">'
        f"{escape(initials)}</text></svg>"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def normalize_user(user: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Complete a user dict: derive ``sub``, ``picture`` and the name parts.

    :param user: A dict with at least ``name`` or ``email``.
    :raises InvalidUser: if neither is given.
    """
    data = dict(user)
    email = (data.get("email") or "").strip()
    name = (data.get("name") or "").strip()
    if not name and not email:
        raise InvalidUser("A user needs a name or an e-mail address.")
    if not email:
        email = _slug(name) + "@example.com"
    if not name:
        name = email.split("@", 1)[0]
    data["email"] = email
    data["name"] = name
    data.setdefault("sub", subject_for(email))
    data["sub"] = str(data["sub"])
    data.setdefault("email_verified", True)
    data.setdefault("picture", avatar(name))
    parts = name.split()
    data.setdefault("given_name", parts[0] if parts else name)
    data.setdefault("family_name", " ".join(parts[1:]) if len(parts) > 1 else "")
    data.setdefault("preferred_username", email.split("@", 1)[0])
    data.setdefault("updated_at", int(time.time()))
    return data


def user_from_form(name: str, email: str, email_verified: bool) -> dict[str, t.Any]:
    """Make a user from what was typed on the sign-in page.

    :raises InvalidUser: with a message to show when the input is unusable.
    """
    name = " ".join(name.split())
    email = email.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidUser(f"The name is longer than {MAX_NAME_LENGTH} characters.")
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidUser(f"The e-mail address is longer than {MAX_EMAIL_LENGTH} characters.")
    if email and not _EMAIL_RE.match(email):
        raise InvalidUser("That does not look like an e-mail address.")
    return normalize_user({"name": name, "email": email, "email_verified": email_verified})


def subject_for(email: str) -> str:
    """The stable ``sub`` of a typed-in user, derived from the e-mail address."""
    return "user-" + hashlib.sha256(email.lower().encode()).hexdigest()[:16]


def claims_for(user: t.Mapping[str, t.Any], scopes: t.Iterable[str]) -> dict[str, t.Any]:
    """The claims about ``user`` released for ``scopes``, always with ``sub``."""
    claims: dict[str, t.Any] = {"sub": user["sub"]}
    for scope in scopes:
        for name in SCOPE_CLAIMS.get(scope, ()):
            if name in user:
                claims[name] = user[name]
    return claims


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".")
    return slug or "user"
