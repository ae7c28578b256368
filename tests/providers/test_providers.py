"""The preset registry and how provider entries merge with presets."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import re
import subprocess
import sys
import textwrap
import tomllib
import typing as t
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.wrappers import Request, Response

from flask_oauth2login import ConfigurationError, OAuth2Login
from flask_oauth2login.config.settings import load_provider, load_settings
from flask_oauth2login.providers import BUILTIN, GROUP, Preset, PresetRegistry, get, names
from tests.providers.specs import SPECS
from tests.support.fake_providers import FakeProvider, fake_provider, json_response, log_in
from tests.support.logins import logged_in_user
from tests.support.requirements import require

ROOT = Path(__file__).resolve().parents[2]

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


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_each_preset_is_data_in_its_own_module(name):
    module = importlib.import_module(BUILTIN[name].partition(":")[0])
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
        config = app.extensions["oauth2login"].providers[name].config
        response = client.get(f"/login/{name}")
        assert response.status_code == 302, name
        assert response.headers["Location"].startswith(config.authorize_url + "?"), name
        assert config.authorize_url.startswith("https://"), name


# -- where presets come from ------------------------------------------------------------


def test_pyproject_declares_the_built_in_presets_as_entry_points():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = pyproject["project"]["entry-points"][GROUP]
    assert declared == BUILTIN


def test_built_in_presets_load_without_installed_metadata():
    registry = PresetRegistry(entry_points=False)
    assert registry.names() == sorted(BUILTIN)
    for name in BUILTIN:
        assert registry.get(name) is get(name)
        assert registry.source(name).origin == "built-in"


class Installed:
    """Packages "installed" in a folder on ``sys.path``: a ``.dist-info`` with
    entry points, and the modules, as pip leaves them."""

    def __init__(self, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.site = site
        self.modules: list[str] = []
        monkeypatch.syspath_prepend(str(site))

    def add(
        self, dist: str, entry_points: dict[str, str], modules: dict[str, str], version: str = "1.0"
    ) -> None:
        info = self.site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = [f"{name} = {value}" for name, value in entry_points.items()]
        (info / "entry_points.txt").write_text(f"[{GROUP}]\n" + "\n".join(lines) + "\n")
        for module, source in modules.items():
            (self.site / f"{module}.py").write_text(textwrap.dedent(source))
            self.modules.append(module)
        importlib.invalidate_caches()


@pytest.fixture
def installed(tmp_path, monkeypatch) -> t.Iterator[Installed]:
    site = tmp_path / "site"
    site.mkdir()
    packages = Installed(site, monkeypatch)
    yield packages
    for module in packages.modules:
        sys.modules.pop(module, None)


ACME = """
    from flask_oauth2login.providers import Preset

    preset = Preset(
        name="acme",
        title="Acme ID",
        authorize_url="https://id.acme.example/authorize",
        token_url="https://id.acme.example/token",
        userinfo_url="https://api.acme.example/me",
        scope=("profile",),
        user_map={"sub": "uid", "name": "full_name"},
        console_url="https://id.acme.example/apps",
    )
"""


def acme_entry(**overrides: t.Any) -> dict[str, t.Any]:
    return {"client_id": "c", "client_secret": "s", **overrides}


def run_providers_command(app: t.Any) -> t.Any:
    return app.test_cli_runner().invoke(args=["oauth2login", "providers"])


def test_an_installed_preset_is_used_by_name(installed, make_app):
    installed.add("acme-presets", {"acme": "acme_presets:preset"}, {"acme_presets": ACME})
    app = make_app({"acme": acme_entry(), "work": acme_entry(preset="acme")})
    for name in ("acme", "work"):
        config = app.extensions["oauth2login"].providers[name].config
        assert config.preset.title == "Acme ID"
        assert config.authorize_url == "https://id.acme.example/authorize"
        assert config.user_map == {"sub": "uid", "name": "full_name"}
    result = run_providers_command(app)
    assert result.exit_code == 0, result.output
    line = next(li for li in result.output.splitlines() if li.split()[:1] == ["acme"])
    assert "Acme ID (entry point 'acme = acme_presets:preset' of acme-presets 1.0;" in line
    assert "register an app at https://id.acme.example/apps" in line
    github = next(li for li in result.output.splitlines() if li.split()[:1] == ["github"])
    assert "GitHub (built-in;" in github


BROKEN = {
    "import": ({"broken": "broken_presets:preset"}, {"broken_presets": "import nope_not_here\n"}),
    "attribute": ({"broken": "broken_presets:preset"}, {"broken_presets": "x = 1\n"}),
    "type": ({"broken": "broken_presets:preset"}, {"broken_presets": "preset = {'name': 'x'}\n"}),
    "name": (
        {"broken": "broken_presets:preset"},
        {"broken_presets": ACME},  # declares "acme" under the name "broken"
    ),
    "module": ({"broken": "no_such_module:preset"}, {}),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_plug_in_fails_only_apps_that_use_it(installed, make_app, kind):
    entry_points, modules = BROKEN[kind]
    installed.add("broken-presets", entry_points, modules, version="0.3")
    app = make_app({"github": acme_entry()})  # does not use it: works
    assert app.test_client().get("/login/github").status_code == 302
    with pytest.raises(ConfigurationError) as info:
        make_app({"mine": acme_entry(preset="broken")})
    assert (info.value.provider, info.value.key) == ("mine", "preset")
    assert f"entry point 'broken = {entry_points['broken']}' of broken-presets 0.3" in str(
        info.value
    )
    result = run_providers_command(app)  # listing it says so, and fails
    assert result.exit_code == 1
    line = next(li for li in result.output.splitlines() if li.split()[:1] == ["broken"])
    assert "FAIL" in line and "broken-presets 0.3" in line
    assert "GitHub (built-in;" in result.output  # the rest is still listed


def test_an_installed_package_may_not_replace_a_built_in_preset(installed, make_app):
    installed.add("evil-presets", {"github": "evil_presets:preset"}, {"evil_presets": ACME})
    app = make_app({"google": acme_entry()})  # does not use github: works
    assert app.test_client().get("/login/google").status_code == 302
    with pytest.raises(ConfigurationError) as info:
        make_app({"github": acme_entry()})
    message = str(info.value)
    assert "built-in preset 'github'" in message
    assert "entry point 'github = evil_presets:preset' of evil-presets 1.0" in message
    assert "replace=True" in message
    assert "evil_presets" not in sys.modules  # never imported


def test_the_app_settles_a_clash_in_code(installed, make_app):
    from flask_oauth2login.providers import github

    installed.add("evil-presets", {"github": "evil_presets:preset"}, {"evil_presets": ACME})
    oauth = OAuth2Login()
    oauth.register_preset(github.preset, replace=True)  # keep the built-in one
    app = Flask("clash")
    app.config.update(SECRET_KEY="k", TESTING=True, OAUTH2LOGIN_PROVIDERS={"github": acme_entry()})
    oauth.init_app(app)
    assert app.extensions["oauth2login"].providers["github"].config.preset is github.preset


def test_two_packages_may_not_declare_the_same_name(installed, make_app):
    installed.add("acme-presets", {"acme": "acme_presets:preset"}, {"acme_presets": ACME})
    installed.add("other-presets", {"acme": "other_presets:preset"}, {"other_presets": ACME})
    with pytest.raises(ConfigurationError) as info:
        make_app({"acme": acme_entry()})
    assert "acme-presets 1.0" in str(info.value) and "other-presets 1.0" in str(info.value)


# -- presets registered in code ---------------------------------------------------------


CORP = Preset(
    name="corp",
    title="Corp SSO",
    authorize_url="https://sso.corp.example/authorize",
    token_url="https://sso.corp.example/token",
    userinfo_url="https://sso.corp.example/me",
    scope=(),
    user_map={"sub": "employee_id"},
)


def new_app(providers: dict[str, t.Any]) -> Flask:
    app = Flask("registered")
    app.config.update(SECRET_KEY="k", TESTING=True, OAUTH2LOGIN_PROVIDERS=providers)
    return app


def test_a_preset_registered_in_code():
    oauth = OAuth2Login()
    assert oauth.register_preset(CORP) is CORP
    app = new_app({"corp": acme_entry()})
    oauth.init_app(app)
    config = app.extensions["oauth2login"].providers["corp"].config
    assert config.preset is CORP and config.title == "Corp SSO"
    result = run_providers_command(app)
    assert "corp" in result.output and "Corp SSO (registered in code)" in result.output
    # Another extension object knows nothing of it.
    with pytest.raises(ConfigurationError):
        OAuth2Login(new_app({"x": acme_entry(preset="corp")}))


def test_registering_after_init_app_is_refused():
    oauth = OAuth2Login(new_app({"github": acme_entry()}))
    with pytest.raises(ConfigurationError) as info:
        oauth.register_preset(CORP)
    assert "before init_app" in str(info.value)


def test_a_built_in_name_needs_replace():
    oauth = OAuth2Login()
    mine = dataclasses.replace(CORP, name="github", title="My GitHub")
    with pytest.raises(ConfigurationError) as info:
        oauth.register_preset(mine)
    assert "replace=True" in str(info.value)
    oauth.register_preset(mine, replace=True)
    app = new_app({"github": acme_entry()})
    oauth.init_app(app)
    assert app.extensions["oauth2login"].providers["github"].config.title == "My GitHub"


@pytest.mark.parametrize(
    "value",
    [
        {"name": "corp"},
        dataclasses.replace(CORP, name="has space"),
        dataclasses.replace(CORP, name=""),
    ],
)
def test_only_presets_with_usable_names_register(value):
    with pytest.raises(ConfigurationError):
        OAuth2Login().register_preset(value)


# -- a preset package, installed with pip ------------------------------------------------


#: A PEP 517 build backend that needs only the standard library, so that pip
#: builds the package below offline, in any environment (no setuptools or
#: wheel needed): it packs the project's modules and writes its metadata and
#: entry points from pyproject.toml.
INLINE_BACKEND = """
import base64, hashlib, pathlib, tomllib, zipfile

def _project():
    return tomllib.loads(pathlib.Path("pyproject.toml").read_text())["project"]

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    name, version = project["name"].replace("-", "_"), project["version"]
    info = f"{name}-{version}.dist-info"
    entry_points = "".join(
        f"[{group}]\\n" + "".join(f"{k} = {v}\\n" for k, v in points.items())
        for group, points in project.get("entry-points", {}).items()
    )
    files = {
        path.name: path.read_bytes()
        for path in pathlib.Path(".").glob("*.py")
        if path.name != "inline_backend.py"
    }
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\\nName: {project['name']}\\nVersion: {version}\\n".encode()
    )
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\\nGenerator: inline\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    )
    files[f"{info}/entry_points.txt"] = entry_points.encode()
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\\n".join(record) + "\\n").encode()
    wheel = f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(pathlib.Path(wheel_directory) / wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel
"""

PACKAGE_PYPROJECT = """
[build-system]
requires = []
build-backend = "inline_backend"
backend-path = ["."]

[project]
name = "acme-oauth2login-preset"
version = "1.2.3"

[project.entry-points."flask_oauth2login.presets"]
acme = "acme_oauth2login_preset:preset"
"""

PACKAGE_MODULE = '''
"""Acme ID for flask-oauth2login: a preset is data."""

from flask_oauth2login.providers import Preset

preset = Preset(
    name="acme",
    title="Acme ID",
    authorize_url="https://id.acme.example/oauth/authorize",
    token_url="https://id.acme.example/oauth/token",
    userinfo_url="https://api.acme.example/v1/me",
    scope=("profile", "email"),
    token_endpoint_auth_method="client_secret_post",
    user_map={
        "sub": "account.uid",
        "email": "account.emails.0.address",
        "email_verified": "account.emails.0.confirmed",
        "name": "account.display_name",
    },
    api_base_url="https://api.acme.example/v1/",
    console_url="https://id.acme.example/developers",
)
'''


class FakeAcme(FakeProvider):
    """Acme ID's OAuth 2.0 endpoints and its ``/v1/me``."""

    client_id = "acme-client"
    client_secret = "acme-secret"
    client_auth = "client_secret_post"
    issues_id_tokens = False
    entry_paths = {"userinfo_url": "/v1/me"}

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {"/v1/me": self.handle_me}

    def handle_me(self, request: Request) -> Response:
        if self.grant_for(request) is None:
            return json_response({"error": "invalid_token"}, 401)
        account = {
            "uid": "acme-7",
            "display_name": "Wile E. Coyote",
            "emails": [{"address": "wile@acme.example", "confirmed": "true"}],
        }
        return json_response({"account": account})


fake = fake_provider(FakeAcme)


@pytest.fixture
def pip_installed(tmp_path, monkeypatch) -> t.Iterator[Path]:
    """The Acme preset package, written here and installed with pip into a
    folder put on ``sys.path``."""
    require(
        importlib.util.find_spec("pip") is not None,
        "pip is not installed in this environment",
    )
    package = tmp_path / "acme-oauth2login-preset"
    package.mkdir()
    (package / "pyproject.toml").write_text(PACKAGE_PYPROJECT)
    (package / "inline_backend.py").write_text(INLINE_BACKEND)
    (package / "acme_oauth2login_preset.py").write_text(PACKAGE_MODULE)
    site = tmp_path / "site"
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "--disable-pip-version-check", "--target", str(site), str(package)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (site / "acme_oauth2login_preset-1.2.3.dist-info" / "entry_points.txt").exists()
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("acme_oauth2login_preset", None)


def test_a_preset_package_installed_with_pip_logs_a_user_in(pip_installed, make_app, fake):
    app = make_app({"acme": fake.entry()})
    client = app.test_client()
    response = log_in(client, "acme")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["provider"] == "acme"
    assert user["sub"] == "acme-7"
    assert user["email"] == "wile@acme.example"
    assert user["email_verified"] is True
    assert user["name"] == "Wile E. Coyote"
    config = app.extensions["oauth2login"].providers["acme"].config
    assert config.preset.title == "Acme ID"
    assert config.api_base_url == "https://api.acme.example/v1/"
    assert fake.requests_to(fake.token_path)[0]["form"]["client_secret"] == fake.client_secret
    listing = run_providers_command(app).output
    assert (
        "Acme ID (entry point 'acme = acme_oauth2login_preset:preset' of "
        "acme-oauth2login-preset 1.2.3; register an app at https://id.acme.example/developers)"
    ) in listing


# -- the documentation's presets page --------------------------------------------------------


#: Presets without a row in ``specs.SPECS``, and the module that tests each.
TEST_MODULES = {
    "oidc": "interop/test_with_oidc_provider.py",
    "devidp": "devidp/test_standalone.py",
}
#: Options that let them be configured without a network, for the table check.
SAMPLE_OPTIONS: dict[str, dict[str, t.Any]] = {
    "oidc": {"server_metadata_url": "https://idp.example/.well-known/openid-configuration"},
}


def presets_page() -> dict[str, str]:
    """The documentation's presets page, as the build makes it: preset name to its section."""
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    import oauth2login_pages

    text = "\n".join(oauth2login_pages.presets_rst())
    sections = re.split(r"^\.\. _preset-([\w-]+):$", text, flags=re.M)
    return dict(zip(sections[1::2], sections[2::2], strict=True))


def sample_config(name: str) -> t.Any:
    options = SPECS[name].options if name in SPECS else SAMPLE_OPTIONS.get(name, {})
    return load_provider(name, {"client_id": "cid", "client_secret": "s", **options}, {}, {})


def test_every_preset_has_a_section_and_every_section_a_preset():
    assert sorted(presets_page()) == sorted(BUILTIN)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_the_presets_page_says_what_the_preset_is(name):
    section = presets_page()[name]
    config = sample_config(name)
    assert section.strip().startswith(f"{config.preset.title} (``{name}``)")
    callback = "``/callback/<name>``" if name == "oidc" else f"``/callback/{name}``"
    assert f":Callback URL: {callback}" in section
    if config.preset.scope:
        assert f":Scope: ``{' '.join(config.preset.scope)}``" in section
    for option in config.preset.options:
        assert f'"{option}": "...",' in section
    if config.preset.console_url:
        assert f"`{config.preset.console_url} <{config.preset.console_url}>`__" in section
    module = importlib.import_module(BUILTIN[name].partition(":")[0])
    assert (module.__doc__ or "").split("\n")[0].strip() in section  # the quirks


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_no_preset_without_a_test(name):
    """Each preset has a row in ``specs.SPECS`` (which ``test_presets.py`` runs),
    or is tested by a module of its own."""
    if name in TEST_MODULES:
        assert name not in SPECS
        assert (ROOT / "tests" / TEST_MODULES[name]).is_file(), f"{name} has no tests"
    else:
        assert name in SPECS, f"{name} has no row in tests/providers/specs/"


def test_every_quirk_module_and_row_is_of_a_preset():
    modules = (ROOT / "tests" / "providers").glob("test_provider_*.py")
    quirks = {path.stem.removeprefix("test_provider_") for path in modules}
    assert quirks <= set(SPECS), "a test_provider_<name>.py module without a row"
    assert set(SPECS) <= set(BUILTIN)
