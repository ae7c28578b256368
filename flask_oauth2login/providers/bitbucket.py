"""Bitbucket Cloud (plain OAuth 2.0).

The user endpoint (``/2.0/user``) has no e-mail address; as with GitHub, a
second call (``/2.0/user/emails``, permission *Email* on the OAuth consumer)
lists the user's addresses, and the primary *confirmed* one is the user's
e-mail (``email_verified`` true). ``sub`` is the account's ``uuid`` (with
its braces); ``raw["account_id"]`` is the Atlassian account id.
"""

from __future__ import annotations

import typing as t

from ..errors import InvalidProviderResponse
from .base import GetJson, Preset


def fetch_emails(
    get_json: GetJson, raw: t.Mapping[str, t.Any], userinfo_url: str | None
) -> dict[str, t.Any]:
    """Add the user's addresses from ``/user/emails`` (next to the user
    endpoint) as ``emails``; a refusal (no *Email* permission) leaves them out."""
    if not userinfo_url:
        return {}
    try:
        page = get_json(userinfo_url.rstrip("/") + "/emails?pagelen=100", what="e-mail API")
    except InvalidProviderResponse:
        return {}
    values = page.get("values") if isinstance(page, dict) else None
    return {"emails": values if isinstance(values, list) else []}


def profile(raw: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Map ``/2.0/user`` and its addresses."""
    emails = [e for e in raw.get("emails") or () if isinstance(e, dict)]
    primary = next((e for e in emails if e.get("is_primary") is True), None)
    confirmed = primary is not None and primary.get("is_confirmed") is True
    uuid = raw["uuid"]
    if not isinstance(uuid, str):
        raise ValueError("Bitbucket uuid is not a string")
    links = raw.get("links")
    avatar = links.get("avatar") if isinstance(links, dict) else None
    return {
        "sub": uuid,
        "email": primary.get("email") if primary else None,
        "email_verified": confirmed,
        "name": raw.get("display_name") or raw.get("nickname"),
        "picture": avatar.get("href") if isinstance(avatar, dict) else None,
    }


preset = Preset(
    name="bitbucket",
    title="Bitbucket",
    authorize_url="https://bitbucket.org/site/oauth2/authorize",
    token_url="https://bitbucket.org/site/oauth2/access_token",
    userinfo_url="https://api.bitbucket.org/2.0/user",
    scope=("account", "email"),
    profile=profile,
    fetch_profile=fetch_emails,
    api_base_url="https://api.bitbucket.org/2.0/",
    console_url="https://bitbucket.org/account/workspaces/",
)
