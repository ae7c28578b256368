"""``user_map``: a provider's profile mapped onto the user in configuration."""

from __future__ import annotations

import dataclasses
import typing as t

import pytest
from werkzeug.wrappers import Request, Response

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.providers import Preset, PresetRegistry
from flask_oauth2login.user import apply_user_map, lookup
from tests.support.fake_providers import FakeProvider, fake_provider, json_response, log_in
from tests.support.logins import log_in as rogue_log_in
from tests.support.logins import logged_in_user
from tests.support.rogue_idp import rogue_entry

ME = "/api/me"
USER_MAP = {
    "sub": "id",
    "email": "emails.0.value",
    "email_verified": "emails.0.verified",
    "name": "display_name",
    "picture": "images.0.url",
}


class FakeLegacy(FakeProvider):
    """A plain OAuth 2.0 provider with a profile of its own shape."""

    client_id = "legacy-client"
    client_secret = "legacy-secret"
    issues_id_tokens = False
    entry_paths = {"userinfo_url": ME}
    entry_options = {"user_map": USER_MAP}

    def reset(self) -> None:
        super().reset()
        self.profile: dict[str, t.Any] = {
            "id": 4711,
            "display_name": "Lee Gacy",
            "emails": [{"value": "lee@example.test", "verified": True}],
            "images": [{"url": "https://img.example/lee.png"}],
        }

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {ME: self.handle_me}

    def handle_me(self, request: Request) -> Response:
        if self.grant_for(request) is None:
            return json_response({"error": "invalid_token"}, 401)
        return json_response(self.profile)


fake = fake_provider(FakeLegacy)


def login(make_app: t.Any, fake: FakeLegacy, **overrides: t.Any) -> tuple[t.Any, t.Any]:
    client = make_app({"legacy": fake.entry(**overrides)}).test_client()
    return client, log_in(client, "legacy")


# -- at start-up --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_map", "expected"),
    [
        ("id", "must be a dict"),
        ({"uid": "id"}, "maps 'uid'"),
        ({"sub": 7}, "path of 'sub'"),
        ({"sub": ""}, "path of 'sub'"),
        ({"email": "emails..value"}, "path of 'email'"),
        ({"name": "display_name."}, "path of 'name'"),
        ({"provider": "id"}, "maps 'provider'"),
    ],
)
def test_a_wrong_user_map_fails_at_init_app(make_app, user_map, expected):
    with pytest.raises(ConfigurationError) as info:
        make_app(
            {
                "legacy": {
                    "client_id": "c",
                    "client_secret": "s",
                    "authorize_url": "https://legacy.example/authorize",
                    "token_url": "https://legacy.example/token",
                    "user_map": user_map,
                }
            }
        )
    assert info.value.provider == "legacy"
    assert info.value.key == "user_map"
    assert str(info.value).startswith("OAUTH2LOGIN_PROVIDERS['legacy']['user_map']: ")
    assert expected in str(info.value)


#: A preset whose profile mapping is data.
MAPPED = Preset(
    name="mapped",
    title="Mapped",
    authorize_url="https://mapped.example/authorize",
    token_url="https://mapped.example/token",
    userinfo_url="https://api.mapped.example/me",
    scope=(),
    user_map={"sub": "id", "email": "email", "name": "display_name"},
)


def presets() -> PresetRegistry:
    registry = PresetRegistry(entry_points=False)
    registry.register(MAPPED)
    return registry


def test_the_entry_maps_over_the_preset_field_by_field():
    entry = {"client_id": "c", "client_secret": "s", "user_map": {"name": "login"}}
    config = load_provider("mapped", entry, {}, {}, presets=presets())
    assert config.user_map == {"sub": "id", "email": "email", "name": "login"}


def test_a_wrong_path_in_a_preset_names_the_provider_too():
    broken = PresetRegistry(entry_points=False)
    broken.register(dataclasses.replace(MAPPED, user_map={"sub": "a..b"}))
    with pytest.raises(ConfigurationError) as info:
        load_provider(
            "mine",
            {"preset": "mapped", "client_id": "c", "client_secret": "s"},
            {},
            {},
            presets=broken,
        )
    assert (info.value.provider, info.value.key) == ("mine", "user_map")


# -- at login -----------------------------------------------------------------------


def test_login_maps_the_profile(make_app, fake):
    client, response = login(make_app, fake)
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["sub"] == "4711"  # a number becomes a string
    assert user["email"] == "lee@example.test"
    assert user["email_verified"] is True
    assert user["name"] == "Lee Gacy"
    assert user["picture"] == "https://img.example/lee.png"
    assert user["raw"] == fake.profile


@pytest.mark.parametrize(
    ("verified", "expected"),
    [(True, True), ("true", True), ("True", True), ("yes", False), (1, False), (False, False)],
)
def test_email_verified_only_when_the_mapped_claim_says_true(make_app, fake, verified, expected):
    fake.profile["emails"][0]["verified"] = verified
    client, _ = login(make_app, fake)
    assert logged_in_user(client)["email_verified"] is expected


def test_a_mapped_email_without_a_mapped_claim_is_not_verified(make_app, fake):
    fake.profile["email_verified"] = True  # about some other address, perhaps
    user_map = {k: v for k, v in USER_MAP.items() if k != "email_verified"}
    client, _ = login(make_app, fake, user_map=user_map)
    user = logged_in_user(client)
    assert user["email"] == "lee@example.test"
    assert user["email_verified"] is False


def test_fields_the_paths_do_not_find_are_none(make_app, fake):
    fake.profile["emails"] = []
    del fake.profile["images"]
    fake.profile["display_name"] = {"first": "Lee"}  # not text
    client, response = login(make_app, fake)
    assert response.status_code == 302
    user = logged_in_user(client)
    assert user["email"] is None
    assert user["email_verified"] is False
    assert user["picture"] is None
    assert user["name"] is None


@pytest.mark.parametrize("value", [None, {"id": 1}, [1], True, ""])
def test_a_sub_path_that_finds_no_id_is_a_clear_login_error(make_app, fake, failures, value):
    if value is None:
        del fake.profile["id"]
    else:
        fake.profile["id"] = value
    client, response = login(make_app, fake)
    assert response.status_code == 502
    page = response.get_data(as_text=True)
    assert "OAUTH2LOGIN_PROVIDERS[&#39;legacy&#39;][&#39;user_map&#39;]" in page
    assert "&#39;id&#39;" in page
    assert logged_in_user(client) is None
    assert failures[-1]["provider"] == "legacy"


def test_without_user_map_a_plain_provider_uses_id_as_before(make_app, fake):
    client, _ = login(make_app, fake, user_map={})
    user = logged_in_user(client)
    assert user["sub"] == "4711"
    assert user["email"] is None


def test_an_oidc_provider_can_remap_a_claim(make_app, rogue):
    rogue.behaviour.user["nickname"] = "rogue-nick"
    app = make_app({"rogue": rogue_entry(rogue, user_map={"name": "nickname"})})
    client = app.test_client()
    assert rogue_log_in(client, rogue).status_code == 302
    user = logged_in_user(client)
    assert user["name"] == "rogue-nick"
    assert user["sub"] == "user-123"
    assert user["email_verified"] is True  # email is not remapped: the claim still counts


# -- the pieces ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a", 1),
        ("b.c", 2),
        ("l.0.x", 3),
        ("l.1", None),
        ("l.x", None),
        ("a.b", None),
        ("missing.deeper", None),
        ("l.٠", None),  # only ASCII digits index lists
    ],
)
def test_lookup(path, expected):
    raw = {"a": 1, "b": {"c": 2}, "l": [{"x": 3}]}
    assert lookup(raw, path) == expected


def test_apply_user_map_keeps_unmapped_fields():
    profile = {"sub": "s", "email": "e@x", "email_verified": True, "name": "n", "picture": None}
    mapped = apply_user_map("p", {"name": "nick"}, {"nick": "Nick"}, profile)
    assert mapped == {**profile, "name": "Nick"}
