"""Azure AD B2C (OpenID Connect, a user flow or custom policy per login).

Give ``tenant`` (the name before ``.onmicrosoft.com``, e.g. ``contoso``),
``tenant_id`` (the directory's GUID) and ``policy``: the user flow or custom
policy to run (``B2C_1_signupsignin``, ``B2C_1A_signup_signin``). With a
custom domain, give ``domain`` (``login.contoso.com``); else
``<tenant>.b2clogin.com`` is used. Endpoints and keys are the policy's.

The expected issuer names the policy:
``https://<host>/tfp/<tenant_id>/<policy>/v2.0/``. Tokens that name it so
are accepted (the user flow's *token compatibility* setting ``tfp``), and so
are tokens with B2C's default issuer, ``https://<host>/<tenant_id>/v2.0/``,
when their ``tfp`` (or ``acr``) claim names the configured policy: a token
from another user flow of the same tenant is refused. ``user["issuer"]`` is
the issuer the token names.

B2C issues an access token only when a scope asks for one: the scope is
``openid offline_access`` and your client id (the app's own API). The e-mail
is the ``email`` claim or the first of ``emails`` (local accounts); B2C does
not say it was verified, so ``email_verified`` is false. When the user flow
sends ``sub`` as ``"Not supported"``, the object id (``oid``) is ``sub``.
"""

from __future__ import annotations

import re
import typing as t

from ..errors import ConfigurationError
from .base import Preset, domain_url, oidc_profile, tenant_guid, tenant_name

_POLICY = re.compile(r"[A-Za-z0-9_-]+")
#: The scopes asked for besides the client id.
SCOPE = ("openid", "offline_access")
_TFP_ISSUER = re.compile(r"(https://[^/?#@]+/)tfp/([0-9a-f-]{36})/([A-Za-z0-9_-]+)/v2\.0/")


def configure(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """The policy's endpoints, keys and issuer; the client id as a scope."""
    tenant = tenant_name(entry.get("tenant"), what="tenant's name", suffixes=(".onmicrosoft.com",))
    tenant_id = tenant_guid(
        entry.get("tenant_id"),
        what="directory's id",
        where="Azure portal, Azure AD B2C, Overview",
    )
    policy = entry.get("policy")
    if not isinstance(policy, str) or not _POLICY.fullmatch(policy):
        raise ConfigurationError(
            "give the user flow or custom policy to run, e.g. 'B2C_1_signupsignin', "
            f"not {policy!r}",
            key="policy",
        )
    entry.update(tenant=tenant, tenant_id=tenant_id)
    if entry.get("domain") is not None:
        host = domain_url(entry["domain"], key="domain")
    else:
        host = f"https://{tenant}.b2clogin.com"
    base = f"{host}/{tenant}.onmicrosoft.com/{policy}"
    entry.setdefault("issuer", f"{host}/tfp/{tenant_id}/{policy}/v2.0/")
    entry.setdefault("authorize_url", f"{base}/oauth2/v2.0/authorize")
    entry.setdefault("token_url", f"{base}/oauth2/v2.0/token")
    entry.setdefault("jwks_uri", f"{base}/discovery/v2.0/keys")
    if "scope" not in entry and isinstance(entry.get("client_id"), str):
        entry["scope"] = [*SCOPE, entry["client_id"]]
    return entry


def issuer_matches(expected: str, claims: t.Mapping[str, t.Any]) -> bool:
    """Accept the configured issuer, or B2C's default issuer of the same
    tenant when the token's ``tfp`` (or ``acr``) claim names the configured policy."""
    iss = claims.get("iss")
    if iss == expected:
        return True
    match = _TFP_ISSUER.fullmatch(expected)
    if match is None:
        return False
    host, tenant_id, policy = match.groups()
    flow = claims.get("tfp") or claims.get("acr")
    return (
        iss == f"{host}{tenant_id}/v2.0/"
        and isinstance(flow, str)
        and flow.lower() == policy.lower()
    )


def profile(claims: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """B2C's claims: ``emails``, and ``oid`` when ``sub`` is not supported."""
    mapped = oidc_profile(claims)
    if mapped["sub"] == "Not supported":
        oid = claims.get("oid")
        mapped["sub"] = oid if isinstance(oid, str) else None
    emails = claims.get("emails")
    if not mapped["email"] and isinstance(emails, list) and emails:
        mapped["email"] = emails[0]
    parts = [claims.get("given_name"), claims.get("family_name")]
    mapped["name"] = mapped["name"] or " ".join(p for p in parts if isinstance(p, str) and p)
    mapped["email_verified"] = False
    mapped["picture"] = None
    iss = claims.get("iss")
    mapped["issuer"] = iss if isinstance(iss, str) else None  # as issuer_matches accepted it
    return mapped


preset = Preset(
    name="azure_ad_b2c",
    title="Azure AD B2C",
    scope=SCOPE,
    id_token_algorithms=("RS256",),
    options=("tenant", "tenant_id", "policy", "domain"),
    configure=configure,
    issuer_matches=issuer_matches,
    profile=profile,
    console_url="https://portal.azure.com/#view/Microsoft_AAD_B2CAdmin/TenantManagementMenuBlade/~/registeredApps",
)
