"""Atlassian: Jira, Confluence and other Atlassian cloud apps (OAuth 2.0 "3LO").

The authorization request carries ``audience=api.atlassian.com`` and
``prompt=consent``, as Atlassian requires. The user is ``/me`` (scope
``read:me``): ``sub`` is the Atlassian account id. A second call lists the
sites the token may reach (``accessible-resources``): they are
``raw["accessible_resources"]``, each with its ``id`` (the *cloud id* of API
URLs such as ``https://api.atlassian.com/ex/jira/<cloud id>/rest/api/3/...``)
and ``url``; ``raw["cloud_id"]`` is that id when there is exactly one site.
Add the scopes of the product APIs you call (``read:jira-work``, ...) and
``offline_access`` for a refresh token.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

from ..errors import InvalidProviderResponse
from .base import GetJson, Preset


def fetch_sites(
    get_json: GetJson, raw: t.Mapping[str, t.Any], userinfo_url: str | None
) -> dict[str, t.Any]:
    """Add the sites the token may reach, from ``/oauth/token/accessible-resources``
    on the API host; a refusal leaves the list empty."""
    if not userinfo_url:
        return {}
    parts = urlsplit(userinfo_url)
    url = f"{parts.scheme}://{parts.netloc}/oauth/token/accessible-resources"
    try:
        answer = get_json(url, what="accessible-resources API")
    except InvalidProviderResponse:
        answer = []
    sites = [s for s in answer if isinstance(s, dict)] if isinstance(answer, list) else []
    only = sites[0].get("id") if len(sites) == 1 else None
    return {"accessible_resources": sites, "cloud_id": only if isinstance(only, str) else None}


preset = Preset(
    name="atlassian",
    title="Atlassian",
    authorize_url="https://auth.atlassian.com/authorize",
    token_url="https://auth.atlassian.com/oauth/token",
    userinfo_url="https://api.atlassian.com/me",
    scope=("read:me",),
    authorize_params={"audience": "api.atlassian.com", "prompt": "consent"},
    token_endpoint_auth_method="client_secret_post",
    user_map={
        "sub": "account_id",
        "email": "email",
        "email_verified": "email_verified",
        "name": "name",
        "picture": "picture",
    },
    fetch_profile=fetch_sites,
    api_base_url="https://api.atlassian.com/",
    console_url="https://developer.atlassian.com/console/myapps/",
)
