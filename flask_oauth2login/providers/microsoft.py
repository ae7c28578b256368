"""Microsoft Entra ID (Azure AD) and personal Microsoft accounts, v2.0 endpoints.

The ``tenant`` option picks who may log in:

``common`` (default)
    work, school and personal accounts;
``organizations``
    work and school accounts only;
``consumers``
    personal Microsoft accounts only;
a tenant id (a GUID)
    accounts of that one tenant.

ID tokens from ``common`` and ``organizations`` carry the issuer of the
user's own tenant, ``https://login.microsoftonline.com/{tid}/v2.0``; the
issuer check accepts exactly that, for the ``tid`` the token names, and the
user's ``issuer`` is that tenant's (never the ``{tenantid}`` template). A
fixed tenant accepts its own issuer only.

``email`` is the address the account claims; it is not verified by
Microsoft, so ``email_verified`` is true only when the token carries the
optional claim ``xms_edov`` (the domain owner verified it).

Scopes: ``https://graph.microsoft.com/User.Read`` may be written
``User.Read`` (Graph is the default resource), and token answers use either
spelling. ``<resource>/.default`` asks for every permission configured for
the app at that resource; Microsoft refuses it together with single scopes
of the same resource, so those are left out of a request that asks for it.
It counts as granted when any scope of that resource is.
"""

from __future__ import annotations

import re
import typing as t

from ..errors import ConfigurationError
from .base import GUID, Preset

LOGIN = "https://login.microsoftonline.com"
#: The tenant of personal Microsoft accounts.
CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
#: The issuer Microsoft's multi-tenant metadata names: a template.
TENANT_TEMPLATE = "{tenantid}"
_GUID = GUID
_MULTI_TENANT = ("common", "organizations")


def configure(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """Set the endpoints, issuer and keys of the chosen tenant."""
    tenant = entry.get("tenant", "common")
    if not isinstance(tenant, str) or not (
        tenant in (*_MULTI_TENANT, "consumers") or _GUID.fullmatch(tenant.lower())
    ):
        raise ConfigurationError(
            "must be 'common', 'organizations', 'consumers' or your tenant id (a GUID, "
            f"shown as 'Directory (tenant) ID' in the Entra admin center), not {tenant!r}",
            key="tenant",
        )
    tenant = tenant.lower()
    entry["tenant"] = tenant
    if tenant in _MULTI_TENANT:
        issuer = f"{LOGIN}/{TENANT_TEMPLATE}/v2.0"
    elif tenant == "consumers":
        issuer = f"{LOGIN}/{CONSUMERS_TENANT_ID}/v2.0"
    else:
        issuer = f"{LOGIN}/{tenant}/v2.0"
    entry.setdefault("issuer", issuer)
    entry.setdefault("authorize_url", f"{LOGIN}/{tenant}/oauth2/v2.0/authorize")
    entry.setdefault("token_url", f"{LOGIN}/{tenant}/oauth2/v2.0/token")
    entry.setdefault("jwks_uri", f"{LOGIN}/{tenant}/discovery/v2.0/keys")
    return entry


def issuer_matches(expected: str, claims: t.Mapping[str, t.Any]) -> bool:
    """Accept the configured issuer; for the multi-tenant template, the
    issuer of the tenant the token names in ``tid``."""
    iss = claims.get("iss")
    if TENANT_TEMPLATE not in expected:
        return iss == expected
    tid = claims.get("tid")
    return (
        isinstance(tid, str)
        and _GUID.fullmatch(tid) is not None
        and iss == expected.replace(TENANT_TEMPLATE, tid)
    )


def tenant_issuer(claims: t.Mapping[str, t.Any]) -> str | None:
    """``iss`` if it is the v2.0 issuer of the tenant named in ``tid``
    (``https://<login host>/<tid>/v2.0``, in any Microsoft cloud), else ``None``."""
    tid, iss = claims.get("tid"), claims.get("iss")
    if not isinstance(tid, str) or _GUID.fullmatch(tid) is None or not isinstance(iss, str):
        return None
    if re.fullmatch(rf"https://[^/?#@]+/{tid}/v2\.0", iss) is None:
        return None
    return iss


#: Microsoft Graph, the resource of scopes written without one.
GRAPH = "https://graph.microsoft.com"
#: OpenID Connect scopes, which belong to no resource.
_OIDC_SCOPES = frozenset(("openid", "email", "profile", "offline_access"))


def _resource(scope: str) -> str | None:
    """The resource a scope belongs to (``None`` for the OpenID Connect ones)."""
    if scope in _OIDC_SCOPES:
        return None
    if "://" in scope:
        return scope.rsplit("/", 1)[0]
    return GRAPH


def scope_request(scopes: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, str]]:
    """Leave out single scopes of a resource whose ``.default`` is asked."""
    defaults = {s.removesuffix("/.default") for s in scopes if s.endswith("/.default")}
    kept = tuple(s for s in scopes if s.endswith("/.default") or _resource(s) not in defaults)
    return kept, {}


def scope_implies(scope: str) -> tuple[str, ...]:
    """A Graph scope in both spellings, and its resource's ``.default``."""
    resource = _resource(scope)
    if resource is None:
        return (scope,)
    name = scope.rsplit("/", 1)[-1] if "://" in scope else scope
    implied = [scope, f"{resource}/{name}", f"{resource}/.default"]
    if resource == GRAPH:
        implied.append(name)
    return tuple(dict.fromkeys(implied))


def profile(claims: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Map Entra ID token claims; ``preferred_username`` is not an e-mail.

    The user's ``issuer`` is their tenant's, as the ID token names it (the
    issuer check has accepted it); without one the configured issuer stays.
    """
    return {
        "sub": claims["sub"],
        "issuer": tenant_issuer(claims),
        "email": claims.get("email"),
        "email_verified": claims.get("xms_edov") in (True, "1", "true"),
        "name": claims.get("name") or claims.get("preferred_username"),
        "picture": None,
    }


preset = Preset(
    name="microsoft",
    title="Microsoft",
    scope=("openid", "email", "profile"),
    id_token_algorithms=("RS256",),
    options=("tenant",),
    configure=configure,
    issuer_matches=issuer_matches,
    profile=profile,
    api_base_url="https://graph.microsoft.com/v1.0/",
    # Client assertions name the endpoint they are sent to.
    client_assertion_audience="endpoint",
    console_url="https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade",
    scope_request=scope_request,
    scope_implies=scope_implies,
)
