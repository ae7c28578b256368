"""The Apple preset's quirks, against a fake Apple on loopback.

Apple POSTs the callback (``form_post``) and authenticates clients with an
ES256 JWT the app signs; the fake checks that JWT with the public key.
"""

from __future__ import annotations

import json
import time
import typing as t

import jwt
import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.providers import apple
from flask_oauth2login.views import RESUBMIT_FIELD
from tests.providers.specs import APPLE_KEY as _KEY
from tests.providers.specs import APPLE_KEY_ID as KEY_ID
from tests.providers.specs import APPLE_PRIVATE_KEY as PRIVATE_KEY
from tests.providers.specs import APPLE_TEAM_ID as TEAM_ID
from tests.providers.specs import SPECS
from tests.support.client_keys import pem, rsa_key
from tests.support.fake_providers import authorize, deliver, parse_form
from tests.support.logins import logged_in_user, start_login
from tests.support.spec_fake import spec_fake

FIRST_LOGIN_USER = json.dumps(
    {"name": {"firstName": "Jane", "lastName": "Appleseed"}, "email": "jane@privaterelay.test"}
)

fake = spec_fake(SPECS["apple"])


@pytest.fixture
def app(make_app, fake):
    return make_app({"apple": fake.entry()})


def test_the_first_login_names_the_user_in_a_posted_field(app, fake):
    fake.callback_extra = {"user": FIRST_LOGIN_USER}
    client = app.test_client()
    callback = authorize(start_login(client, "apple", next="/private"))
    assert callback.method == "POST"
    assert set(callback.fields) == {"code", "state", "user"}
    response = deliver(client, callback)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/private"
    user = logged_in_user(client)
    assert user["name"] == "Jane Appleseed"
    assert user["email"] == "jane@privaterelay.test"
    assert json.loads(user["raw"]["user"])["name"]["firstName"] == "Jane"


def test_the_user_field_never_overrides_the_signed_email(app, fake):
    fake.callback_extra = {"user": json.dumps({"email": "evil@example.test"}), "email": "x@y.test"}
    client = app.test_client()
    assert deliver(client, authorize(start_login(client, "apple"))).status_code == 302
    user = logged_in_user(client)
    assert user["email"] == "jane@privaterelay.test"
    assert user["name"] is None


@pytest.mark.parametrize("field", ["{not json", "[" * 100_000])
def test_a_malformed_user_field_is_ignored(app, fake, field):
    # The second is nested too deeply for the JSON parser (a RecursionError).
    fake.callback_extra = {"user": field}
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
