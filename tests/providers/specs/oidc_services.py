"""OpenID Connect providers at one fixed address, the same for every app:
Apple, Dropbox, GitLab, Google, LinkedIn, Slack and Twitch.

Each row's fake signs the ID token the login checks. Apple's fake also checks
the client secret, a JWT the app signs with the key below. ``unverify_claims``
is the ``unverify`` of most OpenID Connect rows, here and in ``oidc_tenants``.
"""

from __future__ import annotations

import typing as t

import jwt
from werkzeug.wrappers import Request, Response

from flask_oauth2login.providers import apple
from tests.support.client_keys import ec_key, pem
from tests.support.fake_providers import json_response
from tests.support.spec_fake import ProviderSpec, Resource, SpecFake

__all__ = [
    "APPLE_KEY",
    "APPLE_KEY_ID",
    "APPLE_PRIVATE_KEY",
    "APPLE_TEAM_ID",
    "ROWS",
    "FakeAppleBase",
    "unverify_claims",
]


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


# -- the rows -------------------------------------------------------------------------------

#: This family's rows, in order of name.
ROWS: list[ProviderSpec] = [
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
]
