"""Amazon Cognito user pools (OpenID Connect).

Give ``user_pool_id`` (``us-east-1_AbCdEf123``) and ``domain``: the user
pool's domain, either its prefix (``my-app``, for
``my-app.auth.<region>.amazoncognito.com``) or a custom domain
(``auth.example.com``). ``region`` is the pool's AWS region; it is part of
the pool id, and if given must agree with it. The issuer and keys are the
pool's (``https://cognito-idp.<region>.amazonaws.com/<pool id>``); the
endpoints are on the domain, so no discovery call is made. Cognito revokes
refresh tokens on logout.
"""

from __future__ import annotations

import re
import typing as t

from ..errors import ConfigurationError
from .base import Preset, domain_url

_POOL_ID = re.compile(r"([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+")
_PREFIX = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def configure(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """Find the issuer from the pool and the endpoints from the domain."""
    pool = entry.get("user_pool_id")
    match = _POOL_ID.fullmatch(pool) if isinstance(pool, str) else None
    if match is None:
        raise ConfigurationError(
            "give the user pool's id, e.g. 'us-east-1_AbCdEf123' (Cognito console, "
            f"User pools), not {pool!r}",
            key="user_pool_id",
        )
    region = entry.setdefault("region", match.group(1))
    if region != match.group(1):
        raise ConfigurationError(
            f"the user pool {pool!r} is in {match.group(1)!r}, not {region!r}", key="region"
        )
    domain = entry.get("domain")
    if not isinstance(domain, str) or not domain.strip():
        raise ConfigurationError(
            "missing; give the user pool's domain: its prefix ('my-app') or your "
            "custom domain ('auth.example.com')",
            key="domain",
        )
    if _PREFIX.fullmatch(domain):
        host = f"https://{domain}.auth.{region}.amazoncognito.com"
    else:
        host = domain_url(domain, key="domain")
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool}"
    entry.setdefault("issuer", issuer)
    entry.setdefault("jwks_uri", f"{issuer}/.well-known/jwks.json")
    entry.setdefault("authorize_url", f"{host}/oauth2/authorize")
    entry.setdefault("token_url", f"{host}/oauth2/token")
    entry.setdefault("userinfo_url", f"{host}/oauth2/userInfo")
    entry.setdefault("revocation_url", f"{host}/oauth2/revoke")
    return entry


preset = Preset(
    name="amazon_cognito",
    title="Amazon Cognito",
    scope=("openid", "email", "profile"),
    id_token_algorithms=("RS256",),
    options=("user_pool_id", "domain", "region"),
    configure=configure,
    console_url="https://console.aws.amazon.com/cognito/v2/idp/user-pools",
)
