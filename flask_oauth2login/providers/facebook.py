"""Facebook Login (plain OAuth 2.0, Graph API).

The Graph API version is part of every URL; pick it with ``api_version``
(default :data:`API_VERSION`). Facebook does not say whether the address
it gives is verified, so ``email_verified`` is always false.

The Graph API also accepts the token as an ``access_token`` query
parameter; this preset sends it in the ``Authorization`` header, which the
Graph API accepts as well and which keeps it out of URLs and logs.
"""

from __future__ import annotations

import re
import typing as t

from ..errors import ConfigurationError
from .base import Preset

#: Graph API version used unless ``api_version`` says otherwise.
API_VERSION = "v23.0"
#: Fields asked of ``/me``.
FIELDS = "id,name,email,picture.type(large)"


def configure(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """Put the Graph API version into the endpoint URLs."""
    version = entry.get("api_version", API_VERSION)
    if not isinstance(version, str) or not re.fullmatch(r"v\d+\.\d+", version):
        raise ConfigurationError(
            f"must look like {API_VERSION!r}, not {version!r}", key="api_version"
        )
    entry["api_version"] = version
    graph = f"https://graph.facebook.com/{version}"
    entry.setdefault("authorize_url", f"https://www.facebook.com/{version}/dialog/oauth")
    entry.setdefault("token_url", f"{graph}/oauth/access_token")
    entry.setdefault("userinfo_url", f"{graph}/me?fields={FIELDS}")
    entry.setdefault("api_base_url", f"{graph}/")
    return entry


def profile(raw: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Map ``/me`` (with the fields asked for)."""
    picture = raw.get("picture")
    data = picture.get("data") if isinstance(picture, dict) else None
    return {
        "sub": str(raw["id"]),
        "email": raw.get("email") or None,
        "email_verified": False,
        "name": raw.get("name"),
        "picture": data.get("url") if isinstance(data, dict) else None,
    }


preset = Preset(
    name="facebook",
    title="Facebook",
    scope=("email", "public_profile"),
    token_endpoint_auth_method="client_secret_post",
    options=("api_version",),
    configure=configure,
    profile=profile,
    console_url="https://developers.facebook.com/apps/",
)
