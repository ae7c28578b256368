"""Notion (plain OAuth 2.0, public integrations).

A Notion login connects a *workspace* to your integration: the token
belongs to the integration's bot in that workspace. The token answer says
who connected it (``owner``), and that person is the user: ``sub`` is their
Notion user id, the same in every workspace they connect; the workspace is
``raw["workspace_id"]`` (and ``workspace_name``, ``workspace_icon``,
``bot_id``). A token owned by a whole workspace rather than a person is
refused. The client authenticates with HTTP Basic; ``owner=user`` is asked
for. No further call is made: the token answer has it all. API calls through
``oauth.session("notion")`` carry the ``Notion-Version`` header.
"""

from __future__ import annotations

import typing as t

from .base import Preset

#: The Notion API version sent with API calls.
NOTION_VERSION = "2022-06-28"


def profile(raw: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Map the token answer's ``owner`` (a person)."""
    owner = raw["owner"]
    if owner.get("type") != "user":
        raise ValueError("this Notion token belongs to a workspace, not a person")
    user = owner["user"]
    person = user.get("person")
    return {
        "sub": str(user["id"]),
        "email": person.get("email") if isinstance(person, dict) else None,
        "email_verified": False,
        "name": user.get("name"),
        "picture": user.get("avatar_url"),
    }


preset = Preset(
    name="notion",
    title="Notion",
    authorize_url="https://api.notion.com/v1/oauth/authorize",
    token_url="https://api.notion.com/v1/oauth/token",
    scope=(),
    authorize_params={"owner": "user"},
    api_headers={"Notion-Version": NOTION_VERSION},
    profile=profile,
    token_profile_params=(
        "owner",
        "workspace_id",
        "workspace_name",
        "workspace_icon",
        "bot_id",
        "duplicated_template_id",
    ),
    api_base_url="https://api.notion.com/v1/",
    console_url="https://www.notion.so/profile/integrations",
)
