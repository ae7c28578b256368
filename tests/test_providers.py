"""The preset registry and how provider entries merge with presets."""

from __future__ import annotations

import importlib

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config import load_provider, load_settings
from flask_oauth2login.providers import _MODULES, Preset, get, names

BIG_PROVIDERS = (
    "apple",
    "discord",
    "facebook",
    "github",
    "gitlab",
    "google",
    "linkedin",
    "microsoft",
    "slack",
    "twitch",
)
DISCOVERED = ("auth0", "keycloak", "okta")


def test_registry_lists_every_preset():
    assert set(BIG_PROVIDERS + DISCOVERED + ("oidc", "devidp")) <= set(names())
    assert names() == sorted(names())


@pytest.mark.parametrize("name", sorted(_MODULES))
def test_each_preset_is_data_in_its_own_module(name):
    module = importlib.import_module(f"flask_oauth2login.providers.{_MODULES[name]}")
    assert isinstance(module.preset, Preset)
    assert get(name) is module.preset
    assert module.preset.name == name
    assert module.preset.title


@pytest.mark.parametrize("name", BIG_PROVIDERS + ("auth0", "okta"))
def test_each_preset_says_where_to_register(name):
    assert get(name).console_url.startswith("https://")


@pytest.mark.parametrize("name", BIG_PROVIDERS)
def test_big_providers_need_no_discovery(name):
    preset = get(name)
    assert preset.server_metadata_url is None
    if "openid" in preset.scope:
        assert preset.issuer or preset.configure  # Microsoft and GitLab: per tenant / host
        assert preset.jwks_uri or preset.configure
    else:
        assert preset.issuer is None  # plain OAuth 2.0: no ID token


def test_unknown_name_is_none():
    assert get("myspace") is None


def test_unknown_preset_is_a_configuration_error():
    with pytest.raises(ConfigurationError) as info:
        load_provider("corp", {"preset": "myspace", "client_id": "c", "client_secret": "s"}, {}, {})
    assert info.value.key == "preset"
    assert "github" in str(info.value)


def test_a_preset_under_another_name():
    config = load_provider(
        "work", {"preset": "github", "client_id": "c", "client_secret": "s"}, {}, {}
    )
    assert config.preset.name == "github"
    assert config.title == "GitHub"
    assert config.authorize_url == "https://github.com/login/oauth/authorize"


def test_any_key_overrides_the_preset():
    config = load_provider(
        "google",
        {"client_id": "c", "client_secret": "s", "scope": ["openid", "email"], "title": "Work"},
        {},
        {},
    )
    assert config.scope == ("openid", "email")
    assert config.title == "Work"
    assert config.issuer == "https://accounts.google.com"


def test_preset_options_are_only_accepted_by_their_preset():
    with pytest.raises(ConfigurationError) as info:
        load_provider("github", {"client_id": "c", "client_secret": "s", "tenant": "x"}, {}, {})
    assert info.value.key == "tenant"


@pytest.mark.parametrize(
    ("name", "entry", "key"),
    [
        ("microsoft", {"tenant": ""}, "tenant"),
        ("microsoft", {"tenant": "contoso.com"}, "tenant"),
        ("apple", {"key_id": "K", "private_key": "x"}, "team_id"),
        ("apple", {"team_id": "T", "private_key": "x"}, "key_id"),
        ("apple", {"team_id": "T", "key_id": "K"}, "private_key"),
        ("keycloak", {"base_url": "https://sso.example"}, "realm"),
        ("okta", {}, "domain"),
        ("auth0", {}, "domain"),
        ("facebook", {"api_version": "21"}, "api_version"),
        ("gitlab", {"base_url": "ftp://git.example"}, "base_url"),
    ],
)
def test_missing_tenant_team_and_other_fields(name, entry, key):
    with pytest.raises(ConfigurationError) as info:
        load_provider(name, {"client_id": "c", "client_secret": "s", **entry}, {}, {})
    assert info.value.key == key
    assert info.value.provider == name
    message = str(info.value)
    assert message.startswith(f"OAUTH2LOGIN_PROVIDERS[{name!r}][{key!r}]: ")
    assert f"{key}: " not in message.split("]: ", 1)[1]  # the key is named once


def test_configuration_error_at_init_app(make_app):
    with pytest.raises(ConfigurationError) as info:
        make_app({"microsoft": {"client_id": "c", "client_secret": "s", "tenant": "nope"}})
    assert info.value.key == "tenant"


def test_credentials_from_the_environment():
    environ = {
        "OAUTH2LOGIN_GITHUB_CLIENT_ID": "env-id",
        "OAUTH2LOGIN_GITHUB_CLIENT_SECRET": "env-secret",
    }
    settings = load_settings({"OAUTH2LOGIN_PROVIDERS": {"github": {}}}, environ)
    config = settings.providers["github"]
    assert (config.client_id, config.client_secret) == ("env-id", "env-secret")


def test_credentials_from_the_app_config_and_the_entry_win():
    app_config = {
        "OAUTH2LOGIN_PROVIDERS": {"github": {"client_secret": "entry-secret"}},
        "OAUTH2LOGIN_GITHUB_CLIENT_ID": "config-id",
        "OAUTH2LOGIN_GITHUB_CLIENT_SECRET": "config-secret",
    }
    config = load_settings(app_config, {"OAUTH2LOGIN_GITHUB_CLIENT_ID": "env-id"}).providers[
        "github"
    ]
    assert config.client_id == "config-id"
    assert config.client_secret == "entry-secret"


def test_preset_options_from_the_environment():
    environ = {"OAUTH2LOGIN_MY_TEAMS_TENANT": "organizations"}
    entry = {"preset": "microsoft", "client_id": "c", "client_secret": "s"}
    config = load_provider("my-teams", entry, {}, environ)
    assert config.options["tenant"] == "organizations"


def test_credentials_from_the_process_environment(make_app, monkeypatch):
    monkeypatch.setenv("OAUTH2LOGIN_GITHUB_CLIENT_ID", "from-os-environ")
    monkeypatch.setenv("OAUTH2LOGIN_GITHUB_CLIENT_SECRET", "secret-from-os-environ")
    app = make_app({"github": {}})
    response = app.test_client().get("/login/github")
    assert response.status_code == 302
    assert "client_id=from-os-environ" in response.headers["Location"]
    assert "secret-from-os-environ" not in response.headers["Location"]


def test_missing_credentials_name_the_environment_variable():
    with pytest.raises(ConfigurationError) as info:
        load_provider("github", {}, {}, {})
    assert info.value.key == "client_id"
    assert "OAUTH2LOGIN_GITHUB_CLIENT_ID" in str(info.value)


def test_client_secret_is_required_unless_the_preset_builds_one():
    with pytest.raises(ConfigurationError) as info:
        load_provider("google", {"client_id": "c"}, {}, {})
    assert info.value.key == "client_secret"


def test_api_base_url_follows_the_preset_and_can_be_overridden():
    assert load_provider(
        "github", {"client_id": "c", "client_secret": "s"}, {}, {}
    ).api_base_url == ("https://api.github.com/")
    config = load_provider(
        "github",
        {"client_id": "c", "client_secret": "s", "api_base_url": "https://ghe.example/api/v3/"},
        {},
        {},
    )
    assert config.api_base_url == "https://ghe.example/api/v3/"


def test_login_starts_at_each_big_providers_real_endpoint(make_app):
    providers = {name: {"client_id": "c", "client_secret": "s"} for name in BIG_PROVIDERS}
    del providers["apple"]  # needs a key; see test_provider_apple
    app = make_app(providers)
    client = app.test_client()
    for name in providers:
        config = app.extensions["oauth2login"].clients[name].config
        response = client.get(f"/login/{name}")
        assert response.status_code == 302, name
        assert response.headers["Location"].startswith(config.authorize_url + "?"), name
        assert config.authorize_url.startswith("https://"), name
