"""Each setting is declared once, in a table: the loaders follow the tables, and
the documentation's configuration reference is what :func:`config.reference` makes of
them, at build time (tests/docs/test_reference_pages.py)."""

from __future__ import annotations

import dataclasses
import string

import pytest

from flask_oauth2login import config
from flask_oauth2login.config import markdown
from flask_oauth2login.config.provider import ProviderConfig
from flask_oauth2login.config.settings import APP_SETTINGS, PREFIX, Settings, load_settings
from flask_oauth2login.config.table import PROVIDER_SETTINGS
from flask_oauth2login.providers import Preset, PresetRegistry

CORP = {"client_id": "i", "client_secret": "s", "issuer": "https://idp.example"}


def tables(markdown_text: str) -> list[dict[str, tuple[str, str]]]:
    """Each table of *markdown_text*: key to (default, meaning)."""
    found: list[dict[str, tuple[str, str]]] = []
    rows: dict[str, tuple[str, str]] | None = None
    for line in markdown_text.splitlines():
        if line.startswith("| key |"):
            rows = {}
            found.append(rows)
        elif rows is not None and line.startswith("| `"):
            key, default, meaning = (cell.strip() for cell in line.strip("|").split(" | "))
            rows[key.strip("`")] = (default, meaning)
        elif not line.startswith("|"):
            rows = None
    return found


def test_the_reference_lists_every_setting():
    app_keys, provider_keys = tables(config.reference())
    assert [PREFIX + name for name in APP_SETTINGS] == list(app_keys)[: len(APP_SETTINGS)]
    assert "OAUTH2LOGIN_<NAME>_CLIENT_SECRET" in app_keys
    assert list(PROVIDER_SETTINGS) == list(provider_keys)


def test_a_default_from_the_preset_shows_the_presets_that_differ():
    provider_keys = tables(config.reference())[1]
    assert provider_keys["logout_at_provider"][0] == (
        "`False` (`auth0`, `devidp`, `keycloak`, `okta`: `True`)"
    )
    assert provider_keys["token_placement"][0] == '`"header"`'  # no preset differs
    assert provider_keys["api_headers"][0] == "the preset's"  # nothing by default


def test_many_presets_that_differ_are_not_listed():
    presets = [
        Preset(name=f"p{i}", title="P", client_assertion_audience="endpoint")
        for i in range(markdown.MOST_EXCEPTIONS + 1)
    ]
    many = markdown._PresetDefaults(presets)
    assert (
        many["client_assertion_audience"] == 'the preset\'s (`"issuer"` unless it says otherwise)'
    )
    few = markdown._PresetDefaults(presets[:2])
    assert few["client_assertion_audience"] == '`"issuer"` (`p0`, `p1`: `"endpoint"`)'


def test_each_provider_setting_is_a_field_of_provider_config():
    fields = [f.name for f in dataclasses.fields(ProviderConfig)]
    assert set(fields) - set(PROVIDER_SETTINGS) == {"name", "options"}
    assert set(PROVIDER_SETTINGS) <= set(fields)


def test_each_app_setting_is_a_field_of_settings():
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert fields - {name.lower() for name in APP_SETTINGS} == {"presets"}
    assert {name.lower() for name in APP_SETTINGS} <= fields


def test_the_preset_fields_the_table_names_exist():
    preset_fields = {f.name for f in dataclasses.fields(Preset)}
    for setting in PROVIDER_SETTINGS.values():
        named = {name for _, name, _, _ in string.Formatter().parse(setting.shown or "") if name}
        assert {setting.preset_field, *named} - {None} <= preset_fields, setting.name
    for setting in (*PROVIDER_SETTINGS.values(), *APP_SETTINGS.values()):
        assert setting.doc and "|" not in setting.doc and "\n" not in setting.doc, setting.name


def test_a_presets_field_is_the_default_and_the_entry_overrides_it():
    acme = Preset(
        name="acme",
        title="Acme",
        issuer="https://id.acme.example",
        server_metadata_url="https://id.acme.example/.well-known/openid-configuration",
        token_endpoint_auth_method="client_secret_post",
        fetch_userinfo=True,
        logout_at_provider=True,
        authorize_params={"prompt": "login"},
    )
    registry = PresetRegistry(entry_points=False)
    registry.register(acme)
    entry = {"client_id": "i", "client_secret": "s"}
    loaded = load_settings({"OAUTH2LOGIN_PROVIDERS": {"acme": entry}}, {}, presets=registry)
    acme_config = loaded.providers["acme"]
    assert acme_config.preset is acme
    assert acme_config.title == "Acme"
    assert acme_config.token_endpoint_auth_method == "client_secret_post"
    assert (acme_config.fetch_userinfo, acme_config.logout_at_provider) == (True, True)
    assert acme_config.authorize_params == {"prompt": "login"}
    assert acme_config.authorize_params is not acme.authorize_params  # a copy
    overridden = {**entry, "token_endpoint_auth_method": "client_secret_basic", "dpop": True}
    loaded = load_settings({"OAUTH2LOGIN_PROVIDERS": {"acme": overridden}}, {}, presets=registry)
    assert loaded.providers["acme"].token_endpoint_auth_method == "client_secret_basic"
    assert loaded.providers["acme"].dpop is True


@pytest.mark.parametrize(
    "name",
    [name for name, s in PROVIDER_SETTINGS.items() if s.preset_field is None and s.shown is None],
)
def test_a_default_of_the_table_is_the_value_when_the_entry_has_none(name):
    loaded = load_settings({"OAUTH2LOGIN_PROVIDERS": {"corp": CORP}}, {})
    assert getattr(loaded.providers["corp"], name) == PROVIDER_SETTINGS[name].default


@pytest.mark.parametrize(
    "name", [name for name, s in APP_SETTINGS.items() if s.shown is None]
)  # fmt: skip
def test_an_app_setting_is_its_default_when_not_given(name):
    loaded = load_settings({"OAUTH2LOGIN_PROVIDERS": {"corp": CORP}}, {})
    assert getattr(loaded, name.lower()) == APP_SETTINGS[name].default


def test_the_generic_presets_title_is_the_entrys_name():
    loaded = load_settings({"OAUTH2LOGIN_PROVIDERS": {"my_corp": CORP}}, {})
    assert loaded.providers["my_corp"].title == "My Corp"
