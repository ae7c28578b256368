"""Every built-in preset as a row of data: its configuration, how its provider
answers, and what a login there gives (see :class:`ProviderSpec`).

``test_presets.py`` runs what every preset shares against the fake each row
makes; a ``test_provider_<name>.py`` module tests only that provider's quirks,
with the same fake (``fake = spec_fake(SPECS["github"])``).

The rows live by family of provider, each module's in its ``ROWS``:

- ``oidc_services``: OpenID Connect at one fixed address (Apple, Dropbox,
  GitLab, Google, LinkedIn, Slack, Twitch), with Apple's fake and key;
- ``oidc_tenants``: OpenID Connect set up per tenant, domain, realm or user
  pool (Amazon Cognito, Auth0, Azure AD B2C, Entra External ID, Keycloak,
  Microsoft, Okta, Salesforce), with those tenants and issuers;
- ``oauth_work``: plain OAuth 2.0 of developer and workplace tools (Atlassian,
  Bitbucket, GitHub, Notion, Zoom);
- ``oauth_social``: plain OAuth 2.0 of social networks and consumer apps
  (Discord, Facebook, Reddit, Spotify, Strava, X).

A new preset's row goes in its family's module; the data a test module needs
too (a tenant, Apple's key) sits beside the row and is exported here.
"""

from __future__ import annotations

from tests.providers.specs import oauth_social, oauth_work, oidc_services, oidc_tenants
from tests.providers.specs.oauth_work import ATLASSIAN_CLOUD_ID
from tests.providers.specs.oidc_services import (
    APPLE_KEY,
    APPLE_KEY_ID,
    APPLE_PRIVATE_KEY,
    APPLE_TEAM_ID,
)
from tests.providers.specs.oidc_tenants import (
    B2C_HOST,
    B2C_OID,
    B2C_POLICY,
    B2C_TENANT_ID,
    CIAM_ISSUER,
    CIAM_TENANT_ID,
    COGNITO_ISSUER,
    COGNITO_POOL,
    MICROSOFT_TENANT_ID,
    microsoft_issuer,
)
from tests.support.spec_fake import ProviderSpec

__all__ = [
    "APPLE_KEY",
    "APPLE_KEY_ID",
    "APPLE_PRIVATE_KEY",
    "APPLE_TEAM_ID",
    "ATLASSIAN_CLOUD_ID",
    "B2C_HOST",
    "B2C_OID",
    "B2C_POLICY",
    "B2C_TENANT_ID",
    "CIAM_ISSUER",
    "CIAM_TENANT_ID",
    "COGNITO_ISSUER",
    "COGNITO_POOL",
    "MICROSOFT_TENANT_ID",
    "SPECS",
    "ProviderSpec",
    "microsoft_issuer",
]

#: Every family's rows, by name (as the presets' modules sort).
_SPECS = sorted(
    oidc_services.ROWS + oidc_tenants.ROWS + oauth_work.ROWS + oauth_social.ROWS,
    key=lambda spec: spec.name,
)

#: The spec of each built-in preset but ``oidc`` and ``devidp``, by name.
SPECS: dict[str, ProviderSpec] = {spec.name: spec for spec in _SPECS}
