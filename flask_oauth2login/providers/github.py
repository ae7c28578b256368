"""GitHub (plain OAuth 2.0: no ``openid`` scope, no ID token).

The token endpoint answers form-encoded unless JSON is asked for. The user's
e-mail address is in ``/user`` only when they made it public; the verified
primary address comes from ``/user/emails`` (scope ``user:email``). The user's
``sub`` is GitHub's numeric user id, as a string (logins can be renamed).

Scopes are asked space-separated; token answers list the granted ones
separated by commas. A broader scope gives its narrower ones (``repo`` gives
``public_repo``, ``user`` gives ``user:email``), as GitHub documents.
"""

from __future__ import annotations

import typing as t

from ..errors import InvalidProviderResponse
from .base import GetJson, Preset


def fetch_emails(
    get_json: GetJson, raw: t.Mapping[str, t.Any], userinfo_url: str | None
) -> dict[str, t.Any]:
    """Add the user's addresses from ``/user/emails`` (next to the user
    endpoint, so GitHub Enterprise works too) as ``emails``.

    A refusal (the ``user:email`` scope was not granted) leaves them out.
    """
    if not userinfo_url:
        return {}
    try:
        emails = get_json(userinfo_url.rstrip("/") + "/emails", what="e-mail API")
    except InvalidProviderResponse:
        return {}
    return {"emails": emails if isinstance(emails, list) else []}


#: The scopes a GitHub scope includes (GitHub's "Available scopes").
IMPLIED_SCOPES: dict[str, tuple[str, ...]] = {
    "repo": ("repo:status", "repo_deployment", "public_repo", "repo:invite", "security_events"),
    "user": ("read:user", "user:email", "user:follow"),
    "admin:org": ("write:org", "read:org", "manage_runners:org"),
    "write:org": ("read:org",),
    "admin:public_key": ("write:public_key", "read:public_key"),
    "write:public_key": ("read:public_key",),
    "admin:repo_hook": ("write:repo_hook", "read:repo_hook"),
    "write:repo_hook": ("read:repo_hook",),
    "admin:gpg_key": ("write:gpg_key", "read:gpg_key"),
    "write:gpg_key": ("read:gpg_key",),
    "admin:ssh_signing_key": ("write:ssh_signing_key", "read:ssh_signing_key"),
    "write:ssh_signing_key": ("read:ssh_signing_key",),
    "write:packages": ("read:packages",),
    "write:discussion": ("read:discussion",),
    "project": ("read:project",),
    "codespace": ("codespace:secrets",),
    "admin:enterprise": (
        "manage_runners:enterprise",
        "manage_billing:enterprise",
        "read:enterprise",
    ),
}


def scope_implies(scope: str) -> tuple[str, ...]:
    """*scope* and the scopes it includes, transitively."""
    found = [scope]
    for item in found:
        found.extend(s for s in IMPLIED_SCOPES.get(item, ()) if s not in found)
    return tuple(found)


def profile(raw: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Map GitHub's user (and its e-mail list) to the normalized fields.

    The e-mail is the primary verified one (``email_verified`` true); without
    one, the public profile address, unverified.
    """
    primary = next(
        (
            e
            for e in raw.get("emails") or ()
            if isinstance(e, dict) and e.get("primary") is True and e.get("verified") is True
        ),
        None,
    )
    user_id = raw["id"]
    if isinstance(user_id, bool) or not isinstance(user_id, int | str):
        raise ValueError("GitHub user id is not a number")
    return {
        "sub": str(user_id),
        "email": primary["email"] if primary else raw.get("email") or None,
        "email_verified": primary is not None,
        "name": raw.get("name") or raw.get("login"),
        "picture": raw.get("avatar_url"),
    }


preset = Preset(
    name="github",
    title="GitHub",
    authorize_url="https://github.com/login/oauth/authorize",
    token_url="https://github.com/login/oauth/access_token",
    userinfo_url="https://api.github.com/user",
    scope=("read:user", "user:email"),
    token_endpoint_auth_method="client_secret_post",
    token_request_headers={"Accept": "application/json"},
    api_headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
    profile=profile,
    fetch_profile=fetch_emails,
    api_base_url="https://api.github.com/",
    console_url="https://github.com/settings/developers",
    scope_separators=",",
    scope_implies=scope_implies,
)
