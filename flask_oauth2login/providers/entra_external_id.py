"""Microsoft Entra External ID (external tenants, "CIAM").

Give ``tenant`` (the tenant's subdomain, the part before
``.onmicrosoft.com``, e.g. ``contoso`` for ``contoso.ciamlogin.com``) and
``tenant_id`` (its GUID); with a custom URL domain, give ``domain``
(``login.contoso.com``). Which user flow runs is set on the app
registration in the admin center, not in the request.

The issuer is ``https://<tenant_id>.ciamlogin.com/<tenant_id>/v2.0``; ID
tokens that name the same tenant id under ``<tenant>.ciamlogin.com`` or
``login.microsoftonline.com`` are accepted too (Microsoft issues both).
The user comes from the ID token: add the ``email`` optional claim to the app
registration to get the address. It is not marked verified, so
``email_verified`` is false.
"""

from __future__ import annotations

import re
import typing as t

from .base import Preset, domain_url, oidc_profile, tenant_guid, tenant_name

_ISSUER = re.compile(r"https://([0-9a-f-]{36})\.ciamlogin\.com/([0-9a-f-]{36})/v2\.0")


def configure(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """The tenant's endpoints, keys and issuer."""
    tenant = tenant_name(
        entry.get("tenant"),
        what="tenant's subdomain",
        suffixes=(".onmicrosoft.com", ".ciamlogin.com"),
    )
    tenant_id = tenant_guid(
        entry.get("tenant_id"),
        what="tenant's id",
        where="Entra admin center, Overview, Tenant ID",
    )
    entry.update(tenant=tenant, tenant_id=tenant_id)
    if entry.get("domain") is not None:
        host = domain_url(entry["domain"], key="domain")
    else:
        host = f"https://{tenant}.ciamlogin.com"
    entry.setdefault("issuer", f"https://{tenant_id}.ciamlogin.com/{tenant_id}/v2.0")
    entry.setdefault("authorize_url", f"{host}/{tenant_id}/oauth2/v2.0/authorize")
    entry.setdefault("token_url", f"{host}/{tenant_id}/oauth2/v2.0/token")
    entry.setdefault("jwks_uri", f"{host}/{tenant_id}/discovery/v2.0/keys")
    return entry


def issuer_matches(expected: str, claims: t.Mapping[str, t.Any]) -> bool:
    """The configured issuer, or the same tenant's under another Microsoft host."""
    iss = claims.get("iss")
    if iss == expected:
        return True
    match = _ISSUER.fullmatch(expected)
    if match is None or not isinstance(iss, str):
        return False
    tenant_id = match.group(2)
    return (
        re.fullmatch(
            rf"https://(?:[a-z0-9-]+\.ciamlogin\.com|login\.microsoftonline\.com)/{tenant_id}/v2\.0",
            iss,
        )
        is not None
    )


def profile(claims: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Standard claims; the address is not marked verified."""
    mapped = oidc_profile(claims)
    mapped["email_verified"] = False
    mapped["picture"] = None
    return mapped


preset = Preset(
    name="entra_external_id",
    title="Microsoft Entra External ID",
    scope=("openid", "email", "profile"),
    id_token_algorithms=("RS256",),
    options=("tenant", "tenant_id", "domain"),
    configure=configure,
    issuer_matches=issuer_matches,
    profile=profile,
    fetch_userinfo=False,
    console_url="https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade",
)
