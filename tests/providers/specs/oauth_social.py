"""Plain OAuth 2.0 presets (no ID token: the profile comes from an API or the
token answer) of social networks and consumer apps: Discord, Facebook, Reddit,
Spotify, Strava and X.
"""

from __future__ import annotations

from flask_oauth2login.providers import facebook
from tests.support.spec_fake import ProviderSpec, Resource

__all__ = ["FB", "FB_GRAPH", "ROWS", "STRAVA_ATHLETE"]

FB = f"/{facebook.API_VERSION}"
FB_GRAPH = f"https://graph.facebook.com{FB}"
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


# -- the rows -------------------------------------------------------------------------------

#: This family's rows, in order of name.
ROWS: list[ProviderSpec] = [
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
]
