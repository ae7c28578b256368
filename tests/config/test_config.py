"""Configuration is validated at init_app, naming the provider and key."""

from __future__ import annotations

import pytest
from flask import Flask

from flask_oauth2login import ConfigurationError, OAuth2Login
from flask_oauth2login.config.settings import load_provider


def init(tmp_path, providers, **config):
    app = Flask("cfg", instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="x", OAUTH2LOGIN_PROVIDERS=providers, **config)
    OAuth2Login(app)
    return app


OIDC = {
    "client_id": "id",
    "client_secret": "s",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}  # noqa: E501


@pytest.mark.parametrize(
    ("providers", "match"),
    [
        ({"corp": {"client_secret": "s", "server_metadata_url": OIDC["server_metadata_url"]}},
         r"\['corp'\]\['client_id'\]: missing.*OAUTH2LOGIN_CORP_CLIENT_ID"),
        ({"corp": {**OIDC, "preset": "nope"}}, r"\['corp'\]\['preset'\]: unknown preset 'nope'"),
        ({"corp": {"client_id": "id", "client_secret": "s"}}, r"\['corp'\]\['authorize_url'\]"),
        ({"corp": {**OIDC, "client_secret": None}}, r"\['corp'\]\['client_secret'\]"),
        ({"corp": {**OIDC, "scopes": "openid"}},
         r"\['corp'\]\['scopes'\]: unknown key; did you mean 'scope'\? known keys are .*allowed_"),
        ({"corp": {**OIDC, "xyz": 1}}, r"\['corp'\]\['xyz'\]: unknown key; known keys are "),
        ({"corp": {**OIDC, "token_endpoint_auth_method": "tls_client_auth"}},
         r"\['corp'\]\['token_endpoint_auth_method'\]"),
        ({"corp": {**OIDC, "scope": 42}}, r"\['corp'\]\['scope'\]"),
        ({"corp": {**OIDC, "token_url": "ftp://x"}}, r"\['corp'\]\['token_url'\]"),
        ({"corp": {**OIDC, "id_token_algorithms": ["none"]}}, r"\[.id_token_algorithms.\]"),
        ({"legacy": {"client_id": "i", "client_secret": "s", "authorize_url": "https://a/x",
                     "token_url": "https://a/t", "scope": "openid"}},
         r"\['legacy'\]\['jwks_uri'\]"),
        ({}, r"OAUTH2LOGIN_PROVIDERS: configure at least one provider"),
        ({"bad name!": OIDC}, r"\['bad name!'\]"),
    ],
)  # fmt: skip
def test_bad_configuration_fails_at_init_app(tmp_path, providers, match):
    with pytest.raises(ConfigurationError, match=match):
        init(tmp_path, providers)


@pytest.mark.parametrize(
    ("key", "value"),
    [("OAUTH2LOGIN_HTTP_TIMEOUT", 0), ("OAUTH2LOGIN_HTTP_TIMEOUT", "soon"),
     ("OAUTH2LOGIN_URL_PREFIX", "auth/"), ("OAUTH2LOGIN_EXTERNAL_URL", "app.example")],
)  # fmt: skip
def test_bad_global_settings_name_the_key(tmp_path, key, value):
    with pytest.raises(ConfigurationError, match=key):
        init(tmp_path, {"corp": OIDC}, **{key: value})


def test_plain_oauth2_with_endpoints_by_hand(tmp_path):
    app = init(
        tmp_path,
        {
            "legacy": {
                "client_id": "i",
                "client_secret": "s",
                "authorize_url": "https://a.example/authorize",
                "token_url": "https://a.example/token",
                "userinfo_url": "https://a.example/me",
                "scope": ["read", "write"],
            }
        },
    )
    config = app.extensions["oauth2login"].providers["legacy"].config
    assert config.scope == ("read", "write")
    assert not config.is_oidc


def test_client_credentials_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OAUTH2LOGIN_CORP_CLIENT_ID", "from-env")
    monkeypatch.setenv("OAUTH2LOGIN_CORP_CLIENT_SECRET", "secret-from-env")
    app = init(tmp_path, {"corp": {"server_metadata_url": OIDC["server_metadata_url"]}})
    config = app.extensions["oauth2login"].providers["corp"].config
    assert (config.client_id, config.client_secret) == ("from-env", "secret-from-env")


def test_issuer_alone_implies_discovery(tmp_path):
    app = init(
        tmp_path,
        {"corp": {"client_id": "i", "client_secret": "s", "issuer": "https://idp.example/realm"}},
    )  # noqa: E501
    config = app.extensions["oauth2login"].providers["corp"].config
    assert (
        config.server_metadata_url == "https://idp.example/realm/.well-known/openid-configuration"
    )


@pytest.mark.parametrize("value", [1, 0, "yes", None])
def test_fetch_userinfo_takes_auto_true_or_false_only(value):
    entry = {"client_id": "a", "client_secret": "b", "issuer": "https://idp.example"}
    with pytest.raises(ConfigurationError, match="fetch_userinfo"):
        load_provider("corp", {**entry, "fetch_userinfo": value}, {}, {})
