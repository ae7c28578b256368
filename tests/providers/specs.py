"""Every built-in preset as a row of data: its configuration, how its provider
answers, and what a login there gives (see :class:`ProviderSpec`).

``test_presets.py`` runs what every preset shares against the fake each row
makes; a ``test_provider_<name>.py`` module tests only that provider's quirks,
with the same fake (``fake = spec_fake(SPECS["github"])``).
"""

from __future__ import annotations

import typing as t

import jwt
from werkzeug.wrappers import Request, Response

from flask_oauth2login.providers import apple, facebook
from tests.support.client_keys import ec_key, pem
from tests.support.fake_providers import json_response
from tests.support.spec_fake import ProviderSpec, Resource, SpecFake

__all__ = ["SPECS", "ProviderSpec"]


def unverify_claims(fake: t.Any) -> None:
    """The ID token says the address is not verified."""
    fake.claims["email_verified"] = False


# -- Apple: a client secret that is a JWT the app signs --------------------------------

APPLE_TEAM_ID = "ABCDE12345"
APPLE_KEY_ID = "XYZ987KLMN"
APPLE_KEY = ec_key()
APPLE_PRIVATE_KEY = pem(APPLE_KEY)


class FakeAppleBase(SpecFake):
    """appleid.apple.com checks the client secret: an ES256 JWT signed with
    the key the app registered."""

    def reset(self) -> None:
        super().reset()
        #: The client secrets (JWTs) the token endpoint accepted.
        self.secrets: list[str] = []

    def check_client_secret(self, secret: str) -> bool:
        try:
            header = jwt.get_unverified_header(secret)
            claims = jwt.decode(
                secret,
                APPLE_KEY.public_key(),
                algorithms=["ES256"],
                audience=apple.ISSUER,
                issuer=APPLE_TEAM_ID,
                options={"require": ["iss", "sub", "aud", "iat", "exp"]},
            )
        except jwt.PyJWTError:
            return False
        if header.get("kid") != APPLE_KEY_ID or claims["sub"] != self.client_id:
            return False
        self.secrets.append(secret)
        return True

    def handle_authorize(self, request: Request) -> Response:
        scope = request.args.get("scope", "").split()
        if {"name", "email"} & set(scope) and request.args.get("response_mode") != "form_post":
            return json_response({"error": "invalid_request"}, 400)  # as Apple does
        return super().handle_authorize(request)


# -- data more than one place needs -------------------------------------------------------

GITHUB_EMAILS = [
    {"email": "old@example.test", "primary": False, "verified": True, "visibility": None},
    {"email": "octocat@example.test", "primary": True, "verified": True, "visibility": "private"},
]
BITBUCKET_EMAILS = [
    {
        "is_primary": primary,
        "is_confirmed": True,
        "type": "email",
        "email": f"{name}@example.test",
        "links": {"self": {"href": f"https://api.bitbucket.org/2.0/user/emails/{name}"}},
    }
    for name, primary in (("old", False), ("erik", True))
]
ATLASSIAN_CLOUD_ID = "1324a887-45db-1bf4-1e99-ef0ff456d421"
ATLASSIAN_SITES = [
    {
        "id": ATLASSIAN_CLOUD_ID,
        "name": "Site name",
        "url": "https://your-domain.atlassian.net",
        "scopes": ["read:jira-work", "read:jira-user"],
        "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/flag.png",
    }
]
STRAVA_ATHLETE = {
    "id": 134815,
    "username": "marianne_t",
    "resource_state": 2,
    "firstname": "Marianne",
    "lastname": "Teutenberg",
    "city": "San Francisco",
    "sex": "F",
    "premium": True,
    "created_at": "2017-11-14T02:30:05Z",
    "profile_medium": "https://dgalywyr863hv.cloudfront.net/pictures/athletes/134815/medium.jpg",
    "profile": "https://dgalywyr863hv.cloudfront.net/pictures/athletes/134815/large.jpg",
}
NOTION_USER_ID = "4b5dcd74-8b4e-4e5f-9b1a-6c2b9d2a2b1c"
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

FB = f"/{facebook.API_VERSION}"
FB_GRAPH = f"https://graph.facebook.com{FB}"


def microsoft_issuer(tid: str) -> str:
    """The issuer of an ID token from Entra ID tenant *tid*."""
    return f"https://login.microsoftonline.com/{tid}/v2.0"


# -- the table ------------------------------------------------------------------------------

_SPECS = [
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
        name="apple",
        options={
            "team_id": APPLE_TEAM_ID,
            "key_id": APPLE_KEY_ID,
            "private_key": APPLE_PRIVATE_KEY,
        },
        urls={
            "authorize_url": "https://appleid.apple.com/auth/authorize",
            "token_url": "https://appleid.apple.com/auth/token",
            "jwks_uri": "https://appleid.apple.com/auth/keys",
            "revocation_url": "https://appleid.apple.com/auth/revoke",
            "issuer": "https://appleid.apple.com",
        },
        preset={"response_mode": "form_post", "callback_profile_params": ("user",)},
        client_auth="client_secret_post",
        client_id="com.example.web",  # a Services ID
        client_secret="",  # none: Apple wants a signed JWT
        fake=FakeAppleBase,
        issuer=apple.ISSUER,
        claims={
            "sub": "001234.0a1b2c3d4e5f60718293a4b5c6d7e8f9.1234",
            "email": "jane@privaterelay.test",
            "email_verified": "true",  # Apple sends strings
            "is_private_email": "true",
            "auth_time": 1700000000,
            "nonce_supported": True,
        },
        scope_format=None,  # Apple's answer has none
        token_error={"error": "{error}"},
        refresh=True,
        scope="openid email name",
        params={"response_mode": "form_post"},
        calls=("/auth/token",),
        user={
            "sub": "001234.0a1b2c3d4e5f60718293a4b5c6d7e8f9.1234",
            "email": "jane@privaterelay.test",
            "email_verified": True,
            "name": None,  # only the first login's callback names the user
            "picture": None,
            "issuer": "https://appleid.apple.com",
        },
        raw={"is_private_email": "true"},
        unverify=lambda fake: fake.claims.update(email_verified="false"),
    ),
    ProviderSpec(
        name="atlassian",
        urls={
            "authorize_url": "https://auth.atlassian.com/authorize",
            "token_url": "https://auth.atlassian.com/oauth/token",
            "userinfo_url": "https://api.atlassian.com/me",
            "api_base_url": "https://api.atlassian.com/",
        },
        preset={"authorize_params": {"audience": "api.atlassian.com", "prompt": "consent"}},
        client_auth="client_secret_post",
        client_id="atlassian-client-id",
        client_secret="atlassian-secret",
        resources={
            "/me": Resource(
                {
                    "account_type": "atlassian",
                    "account_id": "112233aa-bb11-cc22-33dd-445566abcabc",
                    "email": "mia@example.test",
                    "email_verified": True,
                    "name": "Mia Krystof",
                    "picture": "https://avatar-management.atl-paas.net/mia",
                    "account_status": "active",
                    "nickname": "mkrystof",
                    "extended_profile": {"job_title": "Designer", "department": "Design team"},
                }
            ),
            "/oauth/token/accessible-resources": Resource(ATLASSIAN_SITES),
        },
        unauthorized=({"code": 401, "message": "Unauthorized"}, 401),
        scope="read:me",
        params={"audience": "api.atlassian.com", "prompt": "consent"},
        calls=("/oauth/token", "/me", "/oauth/token/accessible-resources"),
        user={
            "sub": "112233aa-bb11-cc22-33dd-445566abcabc",
            "email": "mia@example.test",
            "email_verified": True,
            "name": "Mia Krystof",
            "picture": "https://avatar-management.atl-paas.net/mia",
            "issuer": "{base_url}",
        },
        raw={"cloud_id": ATLASSIAN_CLOUD_ID, "accessible_resources": ATLASSIAN_SITES},
        unverify=lambda fake: fake.profile.update(email_verified=False),
        api="me",
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
        name="bitbucket",
        urls={
            "authorize_url": "https://bitbucket.org/site/oauth2/authorize",
            "token_url": "https://bitbucket.org/site/oauth2/access_token",
            "userinfo_url": "https://api.bitbucket.org/2.0/user",
            "api_base_url": "https://api.bitbucket.org/2.0/",
        },
        preset={"scope": ("account", "email")},
        client_id="Y7PJWBKtEnb8mmVsr2",
        client_secret="bitbucket-secret",
        resources={
            "/2.0/user": Resource(
                {
                    "display_name": "Erik van Zijst",
                    "links": {
                        "self": {"href": "https://api.bitbucket.org/2.0/users/%7Bd301aafa%7D"},
                        "avatar": {"href": "https://secure.gravatar.com/avatar/ev.png"},
                        "html": {"href": "https://bitbucket.org/%7Bd301aafa%7D/"},
                    },
                    "created_on": "2010-05-27T10:36:26.584957+00:00",
                    "type": "user",
                    "uuid": "{d301aafa-d676-4ee0-88be-962be7417567}",
                    "username": "evzijst",
                    "account_id": "557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443",
                    "nickname": "evzijst",
                    "account_status": "active",
                }
            ),
            "/2.0/user/emails": Resource(
                {"pagelen": 100, "values": BITBUCKET_EMAILS, "page": 1, "size": 2},
                scope="email",
                refusal=(
                    {"type": "error", "error": {"message": "Access denied: missing scope email"}},
                    403,
                ),
            ),
        },
        unauthorized=({"type": "error", "error": {"message": "Access token expired."}}, 401),
        # Bitbucket says "scopes" (plural) and echoes the grant type as "state".
        token_type="bearer",
        expires_in=7200,
        scope_key="scopes",
        token_fields={"state": "authorization_code"},
        refresh=True,
        scope="account email",
        calls=("/site/oauth2/access_token", "/2.0/user", "/2.0/user/emails"),
        user={
            "sub": "{d301aafa-d676-4ee0-88be-962be7417567}",
            "email": "erik@example.test",
            "email_verified": True,
            "name": "Erik van Zijst",
            "picture": "https://secure.gravatar.com/avatar/ev.png",
            "issuer": "{base_url}",
        },
        raw={
            "account_id": "557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443",
            "emails": BITBUCKET_EMAILS,
        },
        unverify=lambda fake: fake.answers["/2.0/user/emails"]["values"][1].update(
            is_confirmed=False
        ),
        api="user",
    ),
    ProviderSpec(
        name="discord",
        urls={
            "authorize_url": "https://discord.com/oauth2/authorize",
            "token_url": "https://discord.com/api/oauth2/token",
            "userinfo_url": "https://discord.com/api/v10/users/@me",
            "revocation_url": "https://discord.com/api/oauth2/token/revoke",
            "api_base_url": "https://discord.com/api/v10/",
        },
        preset={"console_url": "https://discord.com/developers/applications"},
        client_id="1234567890123456789",
        client_secret="discord-secret",
        resources={
            "/api/v10/users/@me": Resource(
                {
                    "id": "80351110224678912",
                    "username": "nelly",
                    "discriminator": "0",
                    "global_name": "Nelly",
                    "avatar": "8342729096ea3675442027381ff50dfe",
                    "verified": True,
                    "email": "nelly@discord.test",
                    "flags": 64,
                    "premium_type": 1,
                    "mfa_enabled": False,
                    "locale": "en-US",
                },
                hidden={"email": "email", "verified": "email"},
            )
        },
        unauthorized=({"message": "401: Unauthorized", "code": 0}, 401),
        expires_in=604800,
        refresh=True,
        scope="identify email",
        calls=("/api/oauth2/token", "/api/v10/users/@me"),
        user={
            "sub": "80351110224678912",
            "email": "nelly@discord.test",
            "email_verified": True,
            "name": "Nelly",
            "picture": "https://cdn.discordapp.com/avatars/80351110224678912/"
            "8342729096ea3675442027381ff50dfe.png",
            "issuer": "{base_url}",
        },
        raw={"username": "nelly"},
        unverify=lambda fake: fake.profile.update(verified=False),
        api="users/@me",
    ),
    ProviderSpec(
        name="dropbox",
        urls={
            "authorize_url": "https://www.dropbox.com/oauth2/authorize",
            "token_url": "https://api.dropboxapi.com/oauth2/token",
            "server_metadata_url": "https://www.dropbox.com/.well-known/openid-configuration",
            "issuer": "https://www.dropbox.com",
        },
        preset={"authorize_params": {"token_access_type": "offline"}, "fetch_userinfo": False},
        client_id="a12fbpq596acfbc",
        client_secret="dropbox-secret",
        # Found by discovery; its UserInfo is an RPC (POST) the login never calls.
        paths={"jwks_uri": "/oauth2/jwks", "userinfo_url": "/2/openid/userinfo"},
        issuer="https://www.dropbox.com",
        claims={
            "sub": "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
            "email": "franz@example.test",
            "email_verified": True,
            "given_name": "Franz",
            "family_name": "Ferdinand",
            "dropbox:team_id": "dbtid:WxbNQOurtaONIb-AAH4fQn",
        },
        refresh=True,
        refresh_if={"token_access_type": "offline"},
        params={"token_access_type": "offline"},
        calls=("/oauth2/token",),
        user={
            "sub": "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
            "email": "franz@example.test",
            "email_verified": True,
            "name": "Franz Ferdinand",
            "picture": None,
            "issuer": "https://www.dropbox.com",
        },
        raw={"dropbox:team_id": "dbtid:WxbNQOurtaONIb-AAH4fQn"},
        unverify=unverify_claims,
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
        name="facebook",
        urls={
            "authorize_url": f"https://www.facebook.com{FB}/dialog/oauth",
            "token_url": f"{FB_GRAPH}/oauth/access_token",
            "userinfo_url": f"{FB_GRAPH}/me?fields=id,name,email,picture.type(large)",
            "api_base_url": f"{FB_GRAPH}/",
        },
        preset={"console_url": "https://developers.facebook.com/apps/"},
        client_auth="client_secret_post",
        client_id="1234567890123456",
        client_secret="facebook-app-secret",
        resources={
            f"{FB}/me": Resource(
                {
                    "id": "10158000000000001",
                    "name": "Mark Example",
                    "email": "mark@facebook.test",
                    "picture": {
                        "data": {
                            "height": 200,
                            "is_silhouette": False,
                            "url": "https://platform-lookaside.fbsbx.test/profile.jpg",
                            "width": 200,
                        }
                    },
                }
            )
        },
        unauthorized=(
            {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException"}},
            400,
        ),
        token_type="bearer",
        expires_in=5183944,
        scope_format=None,
        token_error={
            "error": {
                "message": "Invalid verification code format.",
                "type": "OAuthException",
                "code": 100,
                "fbtrace_id": "AbCdEfGhIjK",
            }
        },
        token_error_status=400,
        scope="email public_profile",
        calls=(f"{FB}/oauth/access_token", f"{FB}/me"),
        user={
            "sub": "10158000000000001",
            "email": "mark@facebook.test",
            "email_verified": False,  # Facebook does not say
            "name": "Mark Example",
            "picture": "https://platform-lookaside.fbsbx.test/profile.jpg",
            "issuer": "{base_url}",
        },
        api="me",
    ),
    ProviderSpec(
        name="github",
        urls={
            "authorize_url": "https://github.com/login/oauth/authorize",
            "token_url": "https://github.com/login/oauth/access_token",
            "userinfo_url": "https://api.github.com/user",
            "api_base_url": "https://api.github.com/",
        },
        preset={
            "token_request_headers": {"Accept": "application/json"},
            "console_url": "https://github.com/settings/developers",
        },
        client_auth="client_secret_post",
        client_id="Iv1.0123456789abcdef",
        client_secret="github-secret",
        resources={
            "/user": Resource(
                {
                    "login": "octocat",
                    "id": 583231,
                    "node_id": "MDQ6VXNlcjU4MzIzMQ==",
                    "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
                    "type": "User",
                    "name": "The Octocat",
                    "email": None,
                }
            ),
            "/user/emails": Resource(
                GITHUB_EMAILS, scope="user:email", refusal=({"message": "Not Found"}, 404)
            ),
        },
        unauthorized=(
            {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
            401,
        ),
        # Lower-case "bearer", comma-separated scopes, no expiry.
        token_type="bearer",
        expires_in=None,
        scope_format="comma",
        # Token errors come with HTTP 200.
        token_error={
            "error": "{error}",
            "error_description": "{description}",
            "error_uri": "https://docs.github.com/apps/oauth",
        },
        token_error_status=200,
        scope="read:user user:email",
        token_headers={"Accept": "application/json"},
        calls=("/login/oauth/access_token", "/user", "/user/emails"),
        user={
            "sub": "583231",
            "email": "octocat@example.test",  # the primary verified address
            "email_verified": True,
            "name": "The Octocat",
            "picture": "https://avatars.githubusercontent.com/u/583231?v=4",
            "issuer": "{base_url}",  # plain OAuth: the authorization server's origin
        },
        raw={"login": "octocat", "emails": GITHUB_EMAILS},
        api="user",
        api_headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
    ),
    ProviderSpec(
        name="gitlab",
        urls={
            "authorize_url": "https://gitlab.com/oauth/authorize",
            "token_url": "https://gitlab.com/oauth/token",
            "userinfo_url": "https://gitlab.com/oauth/userinfo",
            "jwks_uri": "https://gitlab.com/oauth/discovery/keys",
            "revocation_url": "https://gitlab.com/oauth/revoke",
            "issuer": "https://gitlab.com",
            "api_base_url": "https://gitlab.com/api/v4/",
        },
        preset={"fetch_userinfo": True},
        client_id="9d2b3c4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a",
        client_secret="gloas-gitlab-secret",
        issuer="https://gitlab.com",
        claims={
            "sub": "1234567",
            "sub_legacy": "2ab1c6a8d4e0f3b5a7c9e1d3f5b7a9c1e3d5f7b9a1c3e5d7f9b1a3c5e7d9f1b3",
            "name": "Ada Lovelace",
            "nickname": "ada",
            "preferred_username": "ada",
            "email": "ada@example.test",
            "email_verified": True,
            "profile": "https://gitlab.com/ada",
            "picture": "https://gitlab.com/uploads/-/system/user/avatar/1234567/avatar.png",
            "groups": ["analytical-engines"],
        },
        resources={"/api/v4/user": Resource({"id": 1234567, "username": "ada"})},
        expires_in=7200,
        token_fields={"created_at": 1700000000},
        refresh=True,
        calls=("/oauth/token", "/oauth/userinfo"),
        user={
            "sub": "1234567",
            "email": "ada@example.test",
            "email_verified": True,
            "name": "Ada Lovelace",
            "picture": "https://gitlab.com/uploads/-/system/user/avatar/1234567/avatar.png",
            "issuer": "https://gitlab.com",
        },
        raw={"groups": ["analytical-engines"]},
        unverify=unverify_claims,
        api="user",
    ),
    ProviderSpec(
        name="google",
        urls={
            "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
            "token_url": "https://oauth2.googleapis.com/token",
            "userinfo_url": "https://openidconnect.googleapis.com/v1/userinfo",
            "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
            "revocation_url": "https://oauth2.googleapis.com/revoke",
            "issuer": "https://accounts.google.com",
            "server_metadata_url": None,  # no discovery round trip
        },
        preset={"console_url": "https://console.cloud.google.com/apis/credentials"},
        client_id="1234567890-abc.apps.googleusercontent.com",
        client_secret="GOCSPX-google-secret",
        issuer="https://accounts.google.com",
        claims={
            "sub": "110169484474386276334",
            "email": "alice@gmail.test",
            "email_verified": True,
            "name": "Alice Example",
            "given_name": "Alice",
            "family_name": "Example",
            "picture": "https://lh3.googleusercontent.com/a/alice",
            "locale": "en",
        },
        expires_in=3599,
        granted_scope="openid https://www.googleapis.com/auth/userinfo.email "
        "https://www.googleapis.com/auth/userinfo.profile",
        calls=("/token",),
        user={
            "sub": "110169484474386276334",
            "email": "alice@gmail.test",
            "email_verified": True,
            "name": "Alice Example",
            "picture": "https://lh3.googleusercontent.com/a/alice",
            "issuer": "https://accounts.google.com",
        },
        raw={"given_name": "Alice", "iss": "https://accounts.google.com"},
        unverify=unverify_claims,
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
        name="linkedin",
        urls={
            "authorize_url": "https://www.linkedin.com/oauth/v2/authorization",
            "token_url": "https://www.linkedin.com/oauth/v2/accessToken",
            "userinfo_url": "https://api.linkedin.com/v2/userinfo",
            "jwks_uri": "https://www.linkedin.com/oauth/openid/jwks",
            "issuer": "https://www.linkedin.com/oauth",
        },
        preset={"console_url": "https://www.linkedin.com/developers/apps"},
        client_auth="client_secret_post",
        client_id="86abcdefghij12",
        client_secret="linkedin-secret",
        issuer="https://www.linkedin.com/oauth",
        claims={
            "sub": "782bbtaQ",
            "name": "John Doe",
            "given_name": "John",
            "family_name": "Doe",
            "picture": "https://media.licdn.test/dms/image/john.jpg",
            "locale": "en-US",
            "email": "doe@email.test",
            "email_verified": True,
        },
        expires_in=5183999,
        scope_format="comma",  # LinkedIn joins scopes with commas
        calls=("/oauth/v2/accessToken",),
        user={
            "sub": "782bbtaQ",
            "email": "doe@email.test",
            "email_verified": True,
            "name": "John Doe",
            "picture": "https://media.licdn.test/dms/image/john.jpg",
            "issuer": "https://www.linkedin.com/oauth",
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
        name="notion",
        urls={
            "authorize_url": "https://api.notion.com/v1/oauth/authorize",
            "token_url": "https://api.notion.com/v1/oauth/token",
            "userinfo_url": None,
            "api_base_url": "https://api.notion.com/v1/",
        },
        preset={
            "authorize_params": {"owner": "user"},
            "token_profile_params": (
                "owner",
                "workspace_id",
                "workspace_name",
                "workspace_icon",
                "bot_id",
                "duplicated_template_id",
            ),
        },
        client_id="2a1d872b-594c-80b4-9a1f-0037c0a4d3c2",
        client_secret="secret_notion",
        resources={
            "/v1/users/me": Resource({"object": "user", "id": "b3414d65", "type": "bot", "bot": {}})
        },
        unauthorized=({"object": "error", "status": 401, "code": "unauthorized"}, 401),
        # The token answer names the workspace and the person who connected it.
        token_type="bearer",
        expires_in=None,
        scope_format=None,
        token_fields={
            "bot_id": "b3414d65-1224-4e25-9e8b-0c8dfed1a0f5",
            "workspace_name": "Avocado's Notion",
            "workspace_icon": "https://www.notion.so/images/page-cover/met_bruegel.jpg",
            "workspace_id": "17ab3186-873d-418b-b899-d2f1a7f9b6b2",
            "owner": {
                "type": "user",
                "user": {
                    "object": "user",
                    "id": NOTION_USER_ID,
                    "name": "Avocado Lovelace",
                    "avatar_url": "https://secure.notion-static.com/e6a352a8.jpg",
                    "type": "person",
                    "person": {"email": "avo@example.test"},
                },
            },
            "duplicated_template_id": None,
            "request_id": "f0a9d6a2-5e4b-4b53-9b23-7a1a2b5b4d34",
        },
        require_pkce=False,  # Notion ignores PKCE
        scope=None,
        params={"owner": "user"},
        calls=("/v1/oauth/token",),  # one call: the token answer says it all
        user={
            "sub": NOTION_USER_ID,
            "email": "avo@example.test",
            "email_verified": False,
            "name": "Avocado Lovelace",
            "picture": "https://secure.notion-static.com/e6a352a8.jpg",
            "issuer": "{base_url}",
        },
        raw={
            "workspace_id": "17ab3186-873d-418b-b899-d2f1a7f9b6b2",
            "workspace_name": "Avocado's Notion",
            "bot_id": "b3414d65-1224-4e25-9e8b-0c8dfed1a0f5",
        },
        api="users/me",
        api_headers={"Notion-Version": "2022-06-28"},
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
        name="reddit",
        urls={
            "authorize_url": "https://www.reddit.com/api/v1/authorize",
            "token_url": "https://www.reddit.com/api/v1/access_token",
            "userinfo_url": "https://oauth.reddit.com/api/v1/me?raw_json=1",  # no HTML escapes
            "revocation_url": "https://www.reddit.com/api/v1/revoke_token",
            "api_base_url": "https://oauth.reddit.com/",
        },
        preset={"authorize_params": {"duration": "permanent"}},
        client_id="p-jcoLKBynTLew",
        client_secret="gko_LXELoV07ZBNUXrvWZfzE3aI",
        resources={
            "/api/v1/me": Resource(
                {
                    "id": "1w72",
                    "name": "reddit_bot",
                    "icon_img": "https://styles.redditmedia.com/t5_6/profileIcon_x.png?width=256&s=0f",
                    "has_verified_email": True,
                    "created_utc": 1132012800.0,
                    "link_karma": 12,
                }
            )
        },
        unauthorized=({"message": "Unauthorized", "error": 401}, 401),
        token_type="bearer",
        expires_in=86400,
        refresh=True,
        refresh_if={"duration": "permanent"},
        scope="identity",
        params={"duration": "permanent"},
        calls=("/api/v1/access_token", "/api/v1/me"),
        user={
            "sub": "1w72",
            "email": None,
            "email_verified": False,
            "name": "reddit_bot",
            "picture": "https://styles.redditmedia.com/t5_6/profileIcon_x.png?width=256&s=0f",
            "issuer": "{base_url}",
        },
        raw={"link_karma": 12},
        api="api/v1/me",
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
    ProviderSpec(
        name="slack",
        urls={
            "authorize_url": "https://slack.com/openid/connect/authorize",
            "token_url": "https://slack.com/api/openid.connect.token",
            "userinfo_url": "https://slack.com/api/openid.connect.userInfo",
            "jwks_uri": "https://slack.com/openid/connect/keys",
            "issuer": "https://slack.com",
        },
        client_auth="client_secret_post",
        client_id="1234567890.0987654321",
        client_secret="slack-client-secret",
        issuer="https://slack.com",
        claims={
            "sub": "U0R7JM",
            "https://slack.com/user_id": "U0R7JM",
            "https://slack.com/team_id": "T0R7GR",
            "email": "krane@slack-corp.test",
            "email_verified": True,
            "date_email_verified": 1622128723,
            "name": "krane",
            "picture": "https://secure.gravatar.test/avatar/krane.png",
            "given_name": "Bront",
            "family_name": "Labradoodle",
            "locale": "en-US",
            "https://slack.com/team_name": "kraneflannel",
        },
        envelope={"ok": True},  # the Web API's envelope
        token_error={"ok": False, "error": "{error}"},  # with HTTP 200
        token_error_status=200,
        calls=("/api/openid.connect.token",),  # the ID token carries every claim
        user={
            "sub": "U0R7JM",
            "email": "krane@slack-corp.test",
            "email_verified": True,
            "name": "krane",
            "picture": "https://secure.gravatar.test/avatar/krane.png",
            "issuer": "https://slack.com",
        },
        raw={"https://slack.com/team_id": "T0R7GR"},
        unverify=unverify_claims,
    ),
    ProviderSpec(
        name="spotify",
        urls={
            "authorize_url": "https://accounts.spotify.com/authorize",
            "token_url": "https://accounts.spotify.com/api/token",
            "userinfo_url": "https://api.spotify.com/v1/me",
            "api_base_url": "https://api.spotify.com/v1/",
        },
        # A profile mapped by user_map alone: data only.
        preset={
            "user_map": {
                "sub": "id",
                "email": "email",
                "name": "display_name",
                "picture": "images.0.url",
            },
            "fetch_profile": None,
            "configure": None,
        },
        client_id="5fe01282e44241328a84e7c5cc169165",
        client_secret="spotify-secret",
        resources={
            "/v1/me": Resource(
                {
                    "country": "SE",
                    "display_name": "Jane Listener",
                    "email": "jane@example.test",
                    "external_urls": {"spotify": "https://open.spotify.com/user/jl123"},
                    "followers": {"href": None, "total": 12},
                    "href": "https://api.spotify.com/v1/users/jl123",
                    "id": "jl123",
                    "images": [
                        {"url": "https://i.scdn.co/image/ab67757000ee85", "height": 300},
                        {"url": "https://i.scdn.co/image/ab67757000003b", "height": 64},
                    ],
                    "product": "premium",
                    "type": "user",
                    "uri": "spotify:user:jl123",
                },
                hidden={"email": "user-read-email"},
            )
        },
        unauthorized=({"error": {"status": 401, "message": "Invalid access token"}}, 401),
        refresh=True,
        scope="user-read-email",
        calls=("/api/token", "/v1/me"),
        user={
            "sub": "jl123",
            "email": "jane@example.test",
            "email_verified": False,  # Spotify: "this email address is unverified"
            "name": "Jane Listener",
            "picture": "https://i.scdn.co/image/ab67757000ee85",
            "issuer": "{base_url}",
        },
        raw={"product": "premium"},
        api="me",
    ),
    ProviderSpec(
        name="strava",
        urls={
            "authorize_url": "https://www.strava.com/oauth/authorize",
            "token_url": "https://www.strava.com/oauth/token",
            "userinfo_url": None,
            "api_base_url": "https://www.strava.com/api/v3/",
        },
        preset={"token_profile_params": ("athlete",)},
        client_auth="client_secret_post",
        client_id="51234",
        client_secret="strava-secret",
        resources={"/api/v3/athlete": Resource(STRAVA_ATHLETE)},
        unauthorized=({"message": "Authorization Error", "errors": []}, 401),
        # The token answer carries the athlete (summary representation).
        expires_in=21600,
        scope_format=None,
        token_fields={"expires_at": 1568775134, "athlete": STRAVA_ATHLETE},
        refresh=True,
        scope="read",
        calls=("/oauth/token",),  # no call besides the token request
        user={
            "sub": "134815",
            "email": None,
            "email_verified": False,
            "name": "Marianne Teutenberg",
            "picture": STRAVA_ATHLETE["profile"],
            "issuer": "{base_url}",
        },
        raw={"athlete": STRAVA_ATHLETE},
        api="athlete",
    ),
    ProviderSpec(
        name="twitch",
        urls={
            "authorize_url": "https://id.twitch.tv/oauth2/authorize",
            "token_url": "https://id.twitch.tv/oauth2/token",
            "userinfo_url": "https://id.twitch.tv/oauth2/userinfo",
            "jwks_uri": "https://id.twitch.tv/oauth2/keys",
            "revocation_url": "https://id.twitch.tv/oauth2/revoke",
            "issuer": "https://id.twitch.tv/oauth2",
            "api_base_url": "https://api.twitch.tv/helix/",
        },
        client_auth="client_secret_post",
        client_id="hof5gwx0su6owfnys0yan9c87zr6t",
        client_secret="twitch-secret",
        issuer="https://id.twitch.tv/oauth2",
        claims={
            "sub": "713936733",
            "preferred_username": "twitchdev",
            "email": "twitchdev@twitch.test",
            "email_verified": True,
            "picture": "https://static-cdn.jtvnw.test/user-default-pictures.png",
            "updated_at": "2022-01-01T00:00:00Z",
        },
        claims_on_request=True,  # Twitch hides the rest
        resources={
            "/helix/users": Resource(
                {"data": [{"id": "713936733", "login": "twitchdev", "display_name": "TwitchDev"}]}
            )
        },
        unauthorized=({"error": "Unauthorized", "status": 401, "message": "Invalid token"}, 401),
        token_type="bearer",
        expires_in=14124,
        scope_format="list",  # Twitch: a list
        refresh=True,
        scope="openid user:read:email",
        calls=("/oauth2/token",),  # the ID token carries the claims asked for
        user={
            "sub": "713936733",
            "email": "twitchdev@twitch.test",
            "email_verified": True,
            "name": "twitchdev",
            "picture": "https://static-cdn.jtvnw.test/user-default-pictures.png",
            "issuer": "https://id.twitch.tv/oauth2",
        },
        unverify=unverify_claims,
        api="users",
        api_headers={"Client-Id": "{client_id}"},
    ),
    ProviderSpec(
        name="x",
        urls={
            "authorize_url": "https://x.com/i/oauth2/authorize",
            "token_url": "https://api.x.com/2/oauth2/token",
            "userinfo_url": "https://api.x.com/2/users/me?user.fields=profile_image_url",
            "revocation_url": "https://api.x.com/2/oauth2/revoke",
            "api_base_url": "https://api.x.com/2/",
        },
        preset={"scope": ("users.read", "tweet.read")},
        client_id="M1M5R3BMVy13QmpScXkzTUt5OE46MTpjaQ",
        client_secret="x-client-secret",
        resources={
            "/2/users/me": Resource(
                {
                    "data": {
                        "id": "2244994945",
                        "name": "X Dev",
                        "username": "TwitterDev",
                        "profile_image_url": "https://pbs.twimg.com/profile_images/W2zEPN7U.jpg",
                    }
                }
            )
        },
        unauthorized=({"title": "Unauthorized", "type": "about:blank", "status": 401}, 401),
        token_type="bearer",
        expires_in=7200,
        scope="users.read tweet.read",
        calls=("/2/oauth2/token", "/2/users/me"),
        user={
            "sub": "2244994945",
            "email": None,
            "email_verified": False,
            "name": "X Dev",
            "picture": "https://pbs.twimg.com/profile_images/W2zEPN7U.jpg",
            "issuer": "{base_url}",
        },
        raw={
            "data": {
                "id": "2244994945",
                "name": "X Dev",
                "username": "TwitterDev",
                "profile_image_url": "https://pbs.twimg.com/profile_images/W2zEPN7U.jpg",
            }
        },
        api="users/me",
    ),
    ProviderSpec(
        name="zoom",
        urls={
            "authorize_url": "https://zoom.us/oauth/authorize",
            "token_url": "https://zoom.us/oauth/token",
            "userinfo_url": "https://api.zoom.us/v2/users/me",
            "revocation_url": "https://zoom.us/oauth/revoke",
            "api_base_url": "https://api.zoom.us/v2/",
        },
        preset={"scope": ()},  # scopes come from the app's settings
        client_id="7lstjKqdwjgHhzQrnG9oQ",
        client_secret="zoom-secret",
        resources={
            "/v2/users/me": Resource(
                {
                    "id": "KDcuGIm1QgePTO8WbOqwIQ",
                    "first_name": "Jill",
                    "last_name": "Chill",
                    "display_name": "Jill Chill",
                    "email": "jchill@example.test",
                    "type": 1,
                    "role_name": "Owner",
                    "timezone": "Asia/Shanghai",
                    "verified": 1,
                    "pic_url": "https://lh4.googleusercontent.com/photo.jpg",
                    "account_id": "q6gBJVO5TzexKYTb_I2rpg",
                    "status": "active",
                }
            )
        },
        unauthorized=({"code": 124, "message": "Invalid access token."}, 401),
        token_type="bearer",
        expires_in=3599,
        granted_scope="user:read:user",  # what the app's settings grant
        refresh=True,
        scope=None,  # set on the app, not asked for
        calls=("/oauth/token", "/v2/users/me"),
        user={
            "sub": "KDcuGIm1QgePTO8WbOqwIQ",
            "email": "jchill@example.test",
            "email_verified": False,
            "name": "Jill Chill",
            "picture": "https://lh4.googleusercontent.com/photo.jpg",
            "issuer": "{base_url}",
        },
        raw={"account_id": "q6gBJVO5TzexKYTb_I2rpg"},
        api="users/me",
    ),
]

#: The spec of each built-in preset but ``oidc`` and ``devidp``, by name.
SPECS: dict[str, ProviderSpec] = {spec.name: spec for spec in _SPECS}
