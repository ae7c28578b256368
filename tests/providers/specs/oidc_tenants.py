"""OpenID Connect services an organisation sets up for its own users, whose
addresses follow from its tenant, domain, realm or user pool: Amazon Cognito,
Auth0, Azure AD B2C, Entra External ID, Keycloak, Microsoft (Entra ID), Okta
and Salesforce.

The tenants, pools and issuers the rows name are here too, for the
``test_provider_<name>.py`` modules that test the same tenant's quirks.
"""

from __future__ import annotations

from tests.providers.specs.oidc_services import unverify_claims
from tests.support.spec_fake import ProviderSpec, Resource

__all__ = [
    "B2C_FLOW",
    "B2C_HOST",
    "B2C_OID",
    "B2C_POLICY",
    "B2C_TENANT_ID",
    "CIAM_ISSUER",
    "CIAM_TENANT_ID",
    "COGNITO_HOST",
    "COGNITO_ISSUER",
    "COGNITO_POOL",
    "MICROSOFT_TENANT_ID",
    "ROWS",
    "SALESFORCE_USER",
    "microsoft_issuer",
]

MICROSOFT_TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
B2C_TENANT_ID = "775527ff-9a37-4307-8b3d-cc311f58d925"
B2C_POLICY = "B2C_1_signupsignin"
B2C_HOST = "https://contoso.b2clogin.com"
B2C_FLOW = f"{B2C_HOST}/contoso.onmicrosoft.com/{B2C_POLICY}"
B2C_OID = "d2c1d1e9-5c4e-4b8e-9d0a-3f5e6b7a8c9d"
CIAM_TENANT_ID = "a82813af-1054-4e2d-a8ec-c6b9c2908c91"
CIAM_ISSUER = f"https://{CIAM_TENANT_ID}.ciamlogin.com/{CIAM_TENANT_ID}/v2.0"
COGNITO_POOL = "eu-west-1_AbCdEf123"
COGNITO_ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{COGNITO_POOL}"
COGNITO_HOST = "https://my-app.auth.eu-west-1.amazoncognito.com"
SALESFORCE_USER = "{base_url}/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS"


def microsoft_issuer(tid: str) -> str:
    """The issuer of an ID token from Entra ID tenant *tid*."""
    return f"https://login.microsoftonline.com/{tid}/v2.0"


# -- the rows -------------------------------------------------------------------------------

#: This family's rows, in order of name.
ROWS: list[ProviderSpec] = [
    ProviderSpec(
        name="amazon_cognito",
        options={"user_pool_id": COGNITO_POOL, "domain": "my-app"},
        urls={
            "authorize_url": f"{COGNITO_HOST}/oauth2/authorize",
            "token_url": f"{COGNITO_HOST}/oauth2/token",
            "userinfo_url": f"{COGNITO_HOST}/oauth2/userInfo",
            "revocation_url": f"{COGNITO_HOST}/oauth2/revoke",
            "jwks_uri": f"{COGNITO_ISSUER}/.well-known/jwks.json",
            "issuer": COGNITO_ISSUER,
            "server_metadata_url": None,
        },
        client_id="1example23456789",
        client_secret="cognito-secret",
        issuer=COGNITO_ISSUER,
        claims={
            "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "cognito:username": "jdoe",
            "email": "jdoe@example.test",
            "email_verified": True,
            "token_use": "id",
            "auth_time": 1500009400,
            "origin_jti": "2a1bcd4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
        },
        # Cognito's UserInfo sends booleans as strings, and the username.
        userinfo={
            "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "email_verified": "true",
            "email": "jdoe@example.test",
            "name": "Jane Doe",
            "username": "jdoe",
        },
        refresh=True,
        calls=("/oauth2/token", "/oauth2/userInfo"),
        user={
            "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "email": "jdoe@example.test",
            "email_verified": True,
            "name": "Jane Doe",  # the ID token had none: from UserInfo
            "picture": None,
            "issuer": COGNITO_ISSUER,
        },
        raw={"cognito:username": "jdoe"},
    ),
    ProviderSpec(
        name="auth0",
        options={"domain": "example-tenant.eu.auth0.test"},
        urls={
            "server_metadata_url": "https://example-tenant.eu.auth0.test/.well-known/openid-configuration",
            "issuer": "https://example-tenant.eu.auth0.test/",  # Auth0's ends with "/"
        },
        preset={"logout_at_provider": True},
        client_id="yW2h5fLzg0D8Xq3kR9pV1cT6nB4mJ7sA",
        client_secret="auth0-secret",
        paths={
            "authorize_url": "/authorize",
            "token_url": "/oauth/token",
            "userinfo_url": "/userinfo",
            "jwks_uri": "/.well-known/jwks.json",
            "revocation_url": "/oauth/revoke",
        },
        issuer="https://example-tenant.eu.auth0.test/",
        claims={
            "sub": "auth0|5f7c8ec7c33c6c004bbafe82",
            "nickname": "jdoe",
            "name": "jdoe@example.test",
            "picture": "https://s.gravatar.test/avatar/jdoe.png",
            "updated_at": "2024-05-01T10:00:00.000Z",
            "email": "jdoe@example.test",
            "email_verified": False,
        },
        calls=("/oauth/token",),
        user={
            "sub": "auth0|5f7c8ec7c33c6c004bbafe82",
            "email": "jdoe@example.test",
            "email_verified": False,
            "name": "jdoe@example.test",
            "picture": "https://s.gravatar.test/avatar/jdoe.png",
            "issuer": "https://example-tenant.eu.auth0.test/",
        },
    ),
    ProviderSpec(
        name="azure_ad_b2c",
        options={"tenant": "contoso", "tenant_id": B2C_TENANT_ID, "policy": B2C_POLICY},
        urls={
            "authorize_url": f"{B2C_FLOW}/oauth2/v2.0/authorize",
            "token_url": f"{B2C_FLOW}/oauth2/v2.0/token",
            "jwks_uri": f"{B2C_FLOW}/discovery/v2.0/keys",
            "issuer": f"{B2C_HOST}/tfp/{B2C_TENANT_ID}/{B2C_POLICY}/v2.0/",
        },
        client_id="90c0fe63-bcf2-44d5-8fb7-b8bbc0b29dc6",
        client_secret="b2c-secret",
        # B2C's default issuer; the policy is in tfp.
        issuer=f"{B2C_HOST}/{B2C_TENANT_ID}/v2.0/",
        claims={
            "sub": B2C_OID,
            "oid": B2C_OID,
            "emails": ["jane@example.test"],
            "name": "Jane Doe",
            "idp": "LocalAccount",
            "tfp": B2C_POLICY,
            "ver": "1.0",
        },
        access_token_scope="{client_id}",  # openid alone: an ID token, no access token
        scope="openid offline_access {client_id}",
        calls=(f"/contoso.onmicrosoft.com/{B2C_POLICY}/oauth2/v2.0/token",),
        user={
            "sub": B2C_OID,
            "email": "jane@example.test",
            "email_verified": False,
            "name": "Jane Doe",
            "picture": None,
            "issuer": f"{B2C_HOST}/{B2C_TENANT_ID}/v2.0/",
        },
    ),
    ProviderSpec(
        name="entra_external_id",
        options={"tenant": "contoso", "tenant_id": CIAM_TENANT_ID},
        urls={
            "authorize_url": f"https://contoso.ciamlogin.com/{CIAM_TENANT_ID}/oauth2/v2.0/authorize",
            "token_url": f"https://contoso.ciamlogin.com/{CIAM_TENANT_ID}/oauth2/v2.0/token",
            "jwks_uri": f"https://contoso.ciamlogin.com/{CIAM_TENANT_ID}/discovery/v2.0/keys",
            "issuer": CIAM_ISSUER,
        },
        client_id="9d8909e8-a7e3-496e-83b3-62995d06e20b",
        client_secret="ciam-secret",
        issuer=CIAM_ISSUER,
        claims={
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
            "oid": "00000000-0000-0000-66f3-3332eca7ea81",
            "tid": CIAM_TENANT_ID,
            "name": "Jane Doe",
            "preferred_username": "jane@example.test",
            "email": "jane@example.test",
            "ver": "2.0",
        },
        calls=(f"/{CIAM_TENANT_ID}/oauth2/v2.0/token",),
        user={
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
            "email": "jane@example.test",
            "email_verified": False,
            "name": "Jane Doe",
            "picture": None,
            "issuer": CIAM_ISSUER,
        },
    ),
    ProviderSpec(
        name="keycloak",
        options={"base_url": "https://sso.example", "realm": "acme"},
        urls={
            "server_metadata_url": "https://sso.example/realms/acme/.well-known/openid-configuration",
            "issuer": "https://sso.example/realms/acme",
        },
        preset={"logout_at_provider": True},
        client_id="flask-app",
        client_secret="keycloak-secret",
        found_by="base_url",  # the preset derives the rest from it and the realm
        paths={
            "authorize_url": "/realms/acme/protocol/openid-connect/auth",
            "token_url": "/realms/acme/protocol/openid-connect/token",
            "userinfo_url": "/realms/acme/protocol/openid-connect/userinfo",
            "jwks_uri": "/realms/acme/protocol/openid-connect/certs",
            "revocation_url": "/realms/acme/protocol/openid-connect/revoke",
        },
        issuer="{base_url}/realms/acme",
        iss_parameter=True,  # Keycloak 22+ sends iss
        claims={
            "sub": "f1c3b6a2-9d4e-4f6a-8b7c-0d1e2f3a4b5c",
            "preferred_username": "jdoe",
            "given_name": "Jane",
            "family_name": "Doe",
            "email": "jane@acme.test",
            "email_verified": True,
        },
        calls=(
            "/realms/acme/protocol/openid-connect/token",
            "/realms/acme/protocol/openid-connect/userinfo",  # for the picture profile promises
        ),
        user={
            "sub": "f1c3b6a2-9d4e-4f6a-8b7c-0d1e2f3a4b5c",
            "email": "jane@acme.test",
            "email_verified": True,
            "name": "jdoe",  # no "name" claim: preferred_username
            "picture": None,
            "issuer": "{base_url}/realms/acme",
        },
        unverify=unverify_claims,
    ),
    ProviderSpec(
        name="microsoft",
        urls={
            "authorize_url": "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            "token_url": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
            "jwks_uri": "https://login.microsoftonline.com/common/discovery/v2.0/keys",
            # Multi-tenant: each ID token names the user's own tenant.
            "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
            "server_metadata_url": None,
            "api_base_url": "https://graph.microsoft.com/v1.0/",
        },
        client_id="6731de76-14a6-49ae-97bc-6eba6914391e",
        client_secret="entra~secret",
        issuer=microsoft_issuer(MICROSOFT_TENANT_ID),
        claims={
            "ver": "2.0",
            "tid": MICROSOFT_TENANT_ID,
            "oid": "00000000-0000-0000-66f3-3332eca7ea81",
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
            "name": "Megan Bowen",
            "preferred_username": "meganb@contoso.test",
            "email": "megan.bowen@contoso.test",
        },
        resources={
            "/v1.0/me": Resource(
                {"id": "00000000-0000-0000-66f3-3332eca7ea81", "displayName": "Megan Bowen"}
            )
        },
        unauthorized=({"error": {"code": "InvalidAuthenticationToken"}}, 401),
        token_fields={"ext_expires_in": 3600},
        refresh=True,
        calls=("/common/oauth2/v2.0/token",),
        user={
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
            "email": "megan.bowen@contoso.test",
            "email_verified": False,  # Entra does not verify e-mail addresses
            "name": "Megan Bowen",
            "picture": None,
            # The user's tenant's, not the "{tenantid}" template.
            "issuer": microsoft_issuer(MICROSOFT_TENANT_ID),
        },
        raw={"tid": MICROSOFT_TENANT_ID, "iss": microsoft_issuer(MICROSOFT_TENANT_ID)},
        api="me",
    ),
    ProviderSpec(
        name="okta",
        options={"domain": "dev-123456.okta.test", "authorization_server": "default"},
        urls={
            "server_metadata_url": "https://dev-123456.okta.test/oauth2/default"
            "/.well-known/openid-configuration",
            "issuer": "https://dev-123456.okta.test/oauth2/default",
        },
        preset={"logout_at_provider": True},
        client_id="0oa1b2c3d4e5f6g7h8i9",
        client_secret="okta-secret",
        paths={
            "authorize_url": "/oauth2/default/v1/authorize",
            "token_url": "/oauth2/default/v1/token",
            "userinfo_url": "/oauth2/default/v1/userinfo",
            "jwks_uri": "/oauth2/default/v1/keys",
            "revocation_url": "/oauth2/default/v1/revoke",
        },
        issuer="https://dev-123456.okta.test/oauth2/default",
        iss_parameter=True,  # Okta sends iss with the authorization response
        claims={
            "sub": "00uid4BxXw6I6TV4m0g3",
            "name": "John Doe",
            "preferred_username": "john.doe@example.test",
            "email": "john.doe@example.test",
            "email_verified": True,
        },
        calls=("/oauth2/default/v1/token", "/oauth2/default/v1/userinfo"),
        user={
            "sub": "00uid4BxXw6I6TV4m0g3",
            "email": "john.doe@example.test",
            "email_verified": True,
            "name": "John Doe",
            "picture": None,
            "issuer": "https://dev-123456.okta.test/oauth2/default",
        },
        unverify=unverify_claims,
    ),
    ProviderSpec(
        name="salesforce",
        urls={
            "authorize_url": "https://login.salesforce.com/services/oauth2/authorize",
            "token_url": "https://login.salesforce.com/services/oauth2/token",
            "userinfo_url": "https://login.salesforce.com/services/oauth2/userinfo",
            "revocation_url": "https://login.salesforce.com/services/oauth2/revoke",
            "jwks_uri": "https://login.salesforce.com/id/keys",
            "issuer": "https://login.salesforce.com",
            "server_metadata_url": None,  # no discovery round trip
            "api_base_url": None,  # the org's API host is not known here
        },
        preset={"token_profile_params": ("instance_url",)},
        client_auth="client_secret_post",
        client_id="3MVG9lKcPoNINVBIPJjdw1J9LLM82HnFVVX19KY1uA5mu0QqEWhqKpoW3svG3X",
        client_secret="salesforce-secret",
        found_by="base_url",  # a My Domain: the issuer and every endpoint follow from it
        issuer="{base_url}",
        claims={"sub": SALESFORCE_USER},  # the user's identity URL
        userinfo={
            "sub": SALESFORCE_USER,
            "user_id": "005xx000001SwiUAAS",
            "organization_id": "00Dxx0000001gPLEAY",
            "preferred_username": "admin@acme.example",
            "nickname": "admin",
            "name": "Ada Admin",
            "email": "admin@acme.example",
            "email_verified": True,
            "given_name": "Ada",
            "family_name": "Admin",
            "photos": {"picture": "https://c.example/profilephoto/005/F"},
            "picture": "https://c.example/profilephoto/005/F",
            "active": True,
            "user_type": "STANDARD",
        },
        expires_in=None,  # Salesforce does not say
        token_fields={
            "signature": "CMJ4l+CCaPQiKjoOEwEig9H4wqhpuLSk4J2urAe+fVg=",
            "instance_url": "{base_url}",
            "id": SALESFORCE_USER,
            "issued_at": "1278448101416",
        },
        calls=("/services/oauth2/token", "/services/oauth2/userinfo"),
        user={
            "sub": SALESFORCE_USER,
            "email": "admin@acme.example",
            "email_verified": True,
            "name": "Ada Admin",
            "picture": "https://c.example/profilephoto/005/F",
            "issuer": "{base_url}",
        },
        raw={"organization_id": "00Dxx0000001gPLEAY", "instance_url": "{base_url}"},
    ),
]
