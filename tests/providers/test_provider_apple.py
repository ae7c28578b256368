"""The Apple preset, against a fake Apple on loopback.

Apple POSTs the callback (``form_post``) and authenticates clients with an
ES256 JWT the app signs; the fake checks that JWT with the public key.
"""

from __future__ import annotations

import json
import time
import typing as t

import jwt
import pytest
from werkzeug.wrappers import Request, Response

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.providers import apple
from flask_oauth2login.views import RESUBMIT_FIELD
from tests.support.client_keys import ec_key, pem, rsa_key
from tests.support.fake_providers import (
    FakeProvider,
    Grant,
    authorize,
    deliver,
    fake_provider,
    json_response,
    parse_form,
)
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query

TEAM_ID = "ABCDE12345"
KEY_ID = "XYZ987KLMN"
_KEY = ec_key()
PRIVATE_KEY = pem(_KEY)
FIRST_LOGIN_USER = json.dumps(
    {"name": {"firstName": "Jane", "lastName": "Appleseed"}, "email": "jane@privaterelay.test"}
)


class FakeApple(FakeProvider):
    """appleid.apple.com's authorize, token, keys and revoke endpoints."""

    client_id = "com.example.web"  # a Services ID
    client_secret = ""  # none: Apple wants a signed JWT
    client_auth = "client_secret_post"
    issuer = apple.ISSUER
    authorize_path = "/auth/authorize"
    token_path = "/auth/token"
    jwks_path = "/auth/keys"
    revocation_path = "/auth/revoke"
    issues_refresh_tokens = True
    entry_options = {"team_id": TEAM_ID, "key_id": KEY_ID, "private_key": PRIVATE_KEY}

    def reset(self) -> None:
        super().reset()
        #: The client secrets (JWTs) the token endpoint accepted.
        self.secrets: list[str] = []

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": "001234.0a1b2c3d4e5f60718293a4b5c6d7e8f9.1234",
            "email": "jane@privaterelay.test",
            "email_verified": "true",  # Apple sends strings
            "is_private_email": "true",
            "auth_time": int(time.time()),
            "nonce_supported": True,
        }

    def handle_authorize(self, request: Request) -> Response:
        scope = request.args.get("scope", "").split()
        if {"name", "email"} & set(scope) and request.args.get("response_mode") != "form_post":
            return json_response({"error": "invalid_request"}, 400)  # as Apple does
        return super().handle_authorize(request)

    def check_client_secret(self, secret: str) -> bool:
        try:
            header = jwt.get_unverified_header(secret)
            claims = jwt.decode(
                secret,
                _KEY.public_key(),
                algorithms=["ES256"],
                audience=apple.ISSUER,
                issuer=TEAM_ID,
                options={"require": ["iss", "sub", "aud", "iat", "exp"]},
            )
        except jwt.PyJWTError:
            return False
        if header.get("kid") != KEY_ID or claims["sub"] != self.client_id:
            return False
        self.secrets.append(secret)
        return True

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        answer = super().token_answer(grant, access_token)
        del answer["scope"]  # Apple's answer has none
        return answer

    def token_error_response(self, error: str, description: str, status: int) -> Response:
        return json_response({"error": error}, 400)


fake = fake_provider(FakeApple)


@pytest.fixture
def app(make_app, fake):
    return make_app({"apple": fake.entry()})


def test_authorization_request_asks_for_form_post(app, fake):
    params = query(start_login(app.test_client(), "apple"))
    assert params["response_mode"] == "form_post"
    assert params["scope"] == "openid email name"
    assert params["nonce"]


def test_login_by_post_callback(app, fake):
    fake.callback_extra = {"user": FIRST_LOGIN_USER}
    client = app.test_client()
    callback = authorize(start_login(client, "apple", next="/private"))
    assert callback.method == "POST"
    assert set(callback.fields) == {"code", "state", "user"}
    response = deliver(client, callback)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/private"
    user = logged_in_user(client)
    assert user["provider"] == "apple"
    assert user["issuer"] == "https://appleid.apple.com"
    assert user["sub"] == fake.claims["sub"]
    assert user["email"] == "jane@privaterelay.test"
    assert user["email_verified"] is True
    assert user["name"] == "Jane Appleseed"
    assert user["picture"] is None
    assert user["raw"]["is_private_email"] == "true"
    assert json.loads(user["raw"]["user"])["name"]["firstName"] == "Jane"


def test_later_logins_have_no_name(app, fake):
    client = app.test_client()
    assert deliver(client, authorize(start_login(client, "apple"))).status_code == 302
    user = logged_in_user(client)
    assert user["name"] is None
    assert user["email"] == "jane@privaterelay.test"


def test_the_user_field_never_overrides_the_signed_email(app, fake):
    fake.callback_extra = {"user": json.dumps({"email": "evil@example.test"}), "email": "x@y.test"}
    client = app.test_client()
    assert deliver(client, authorize(start_login(client, "apple"))).status_code == 302
    user = logged_in_user(client)
    assert user["email"] == "jane@privaterelay.test"
    assert user["name"] is None


def test_a_malformed_user_field_is_ignored(app, fake):
    fake.callback_extra = {"user": "{not json"}
    client = app.test_client()
    assert deliver(client, authorize(start_login(client, "apple"))).status_code == 302
    assert logged_in_user(client)["name"] is None


def test_cross_site_post_without_cookie_is_reposted_from_our_page(app, fake):
    fake.callback_extra = {"user": FIRST_LOGIN_USER}
    client = app.test_client()
    callback = authorize(start_login(client, "apple"))

    # Apple's page POSTs cross-site: the SameSite=Lax cookie stays home.
    cookieless = app.test_client()
    page = deliver(cookieless, callback)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    action, fields = parse_form(page.get_data(as_text=True))
    assert fields == {**callback.fields, RESUBMIT_FIELD: "1"}
    assert fake.requests_to(fake.token_path) == []  # nothing exchanged yet

    # Our own page re-posts it, same-site, with the cookie.
    response = client.post("/callback/apple", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert logged_in_user(client)["name"] == "Jane Appleseed"
    assert cookieless.get("/").get_json()["user"] is None


def test_client_secret_is_the_signed_jwt_apple_wants(app, fake):
    client = app.test_client()
    before = int(time.time())
    deliver(client, authorize(start_login(client, "apple")))
    form = fake.requests_to(fake.token_path)[0]["form"]
    assert form["client_id"] == fake.client_id
    secret = form["client_secret"]
    header = jwt.get_unverified_header(secret)
    assert header["alg"] == "ES256"
    assert header["kid"] == KEY_ID
    claims = jwt.decode(secret, _KEY.public_key(), algorithms=["ES256"], audience=apple.ISSUER)
    assert claims["iss"] == TEAM_ID
    assert claims["sub"] == fake.client_id
    assert claims["aud"] == "https://appleid.apple.com"
    assert claims["iat"] >= before
    assert claims["exp"] - claims["iat"] == apple.SECRET_LIFETIME
    assert apple.SECRET_LIFETIME <= 15_777_000  # Apple's limit: six months


def test_client_secret_is_reused_while_fresh(app, fake):
    for _ in range(2):
        client = app.test_client()
        assert deliver(client, authorize(start_login(client, "apple"))).status_code == 302
    assert len(fake.secrets) == 2
    assert fake.secrets[0] == fake.secrets[1]


def test_logout_revokes_with_the_client_secret(app, fake):
    client = app.test_client()
    deliver(client, authorize(start_login(client, "apple")))
    client.post("/logout")
    revocations = fake.requests_to(fake.revocation_path)
    assert [r["form"]["token_type_hint"] for r in revocations] == ["refresh_token", "access_token"]
    assert fake.check_client_secret(revocations[0]["form"]["client_secret"])


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def apple_config(**overrides: t.Any) -> t.Any:
    entry = {"client_id": "com.example.web", "team_id": TEAM_ID, "key_id": KEY_ID}
    entry["private_key"] = PRIVATE_KEY
    return load_provider("apple", {**entry, **overrides}, {}, {})


def secret_claims(secret: str) -> dict[str, t.Any]:
    """The claims of a client secret signed with the Apple key, however old."""
    key = _KEY.public_key()
    options = {"verify_exp": False, "verify_iat": False}
    return jwt.decode(secret, key, algorithms=["ES256"], audience=apple.ISSUER, options=options)


def test_client_secret_is_built_on_first_use_and_rebuilt_before_it_expires():
    clock = Clock(1_700_000_000)
    config = apple_config()
    secret = apple.ClientSecret(config.client_id, config.options, clock=clock)
    first = secret()
    claims = secret_claims(first)
    assert claims["iat"] == 1_700_000_000
    clock.now += apple.SECRET_LIFETIME - apple.RENEW_BEFORE - 1
    assert secret() == first  # still fresh
    clock.now += 1
    second = secret()  # about to expire: a new one
    assert second != first
    renewed = secret_claims(second)
    assert renewed["iat"] == clock.now
    assert renewed["exp"] > claims["exp"]


def test_no_client_secret_is_built_at_import_or_configuration():
    assert not any(isinstance(v, str) and v.startswith("eyJ") for v in vars(apple).values())
    config = apple_config()
    assert config.client_secret is None


def test_private_key_from_an_environment_line():
    squeezed = PRIVATE_KEY.replace("\n", "\\n")
    config = load_provider(
        "apple",
        {"client_id": "com.example.web", "team_id": TEAM_ID, "key_id": KEY_ID},
        {},
        {"OAUTH2LOGIN_APPLE_PRIVATE_KEY": squeezed},
    )
    loaded = config.options["private_key"]  # a key object: its repr shows nothing of it
    assert loaded.private_numbers() == _KEY.private_numbers()
    assert "PRIVATE" not in repr(config)
    assert apple.ClientSecret(config.client_id, config.options)()


@pytest.mark.parametrize("missing", ["team_id", "key_id", "private_key"])
def test_missing_key_material_is_a_configuration_error(missing):
    with pytest.raises(ConfigurationError) as info:
        apple_config(**{missing: None})
    assert info.value.key == missing


def test_a_key_that_is_not_es256_is_refused():
    rsa_pem = pem(rsa_key())
    for bad in (rsa_pem, "not a key"):
        with pytest.raises(ConfigurationError) as info:
            apple_config(private_key=bad)
        assert info.value.key == "private_key"
        assert rsa_pem.splitlines()[1] not in str(info.value)  # the key is never shown
