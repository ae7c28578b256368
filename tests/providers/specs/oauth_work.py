"""Plain OAuth 2.0 presets (no ID token: the profile comes from an API or the
token answer) of developer and workplace tools: Atlassian, Bitbucket, GitHub,
Notion and Zoom.

The data the rows share with their test modules (GitHub's and Bitbucket's
e-mail lists, Atlassian's sites) is here too.
"""

from __future__ import annotations

from tests.support.spec_fake import ProviderSpec, Resource

__all__ = [
    "ATLASSIAN_CLOUD_ID",
    "ATLASSIAN_SITES",
    "BITBUCKET_EMAILS",
    "GITHUB_EMAILS",
    "NOTION_USER_ID",
    "ROWS",
]

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
NOTION_USER_ID = "4b5dcd74-8b4e-4e5f-9b1a-6c2b9d2a2b1c"


# -- the rows -------------------------------------------------------------------------------

#: This family's rows, in order of name.
ROWS: list[ProviderSpec] = [
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
