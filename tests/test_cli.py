"""The ``flask oauth2login`` commands: :mod:`flask_oauth2login.cli`."""

from __future__ import annotations

import secrets
import typing as t

import pytest
from cachelib import NullCache, SimpleCache

from flask_oauth2login import ConfigurationError, providers
from flask_oauth2login.cli import oauth2login_group
from tests.support.rogue_idp import rogue_entry

STRONG_KEY = secrets.token_hex()


@pytest.fixture
def build(make_app: t.Callable[..., t.Any], rogue: t.Any) -> t.Callable[..., t.Any]:
    """An app with the rogue provider, a strong SECRET_KEY and the command group."""

    def factory(entry: dict[str, t.Any] | None = None, **config: t.Any) -> t.Any:
        config.setdefault("SECRET_KEY", STRONG_KEY)
        providers_config = config.pop("providers", None) or {"rogue": entry or rogue_entry(rogue)}
        app = make_app(providers_config, **config)
        app.cli.add_command(oauth2login_group)  # what init_app wires up
        return app

    return factory


def run(app: t.Any, *args: str, env: dict[str, str] | None = None) -> t.Any:
    return app.test_cli_runner().invoke(args=["oauth2login", *args], env=env)


def lines(result: t.Any, mark: str) -> list[str]:
    return [line.strip()[4:].strip() for line in result.output.splitlines() if mark in line[:8]]


# -- the group ------------------------------------------------------------------


def test_group_is_listed_under_flask(build):
    app = build()
    assert oauth2login_group.name == "oauth2login"
    result = app.test_cli_runner().invoke(args=["--help"])
    assert "oauth2login" in result.output
    result = run(app, "--help")
    assert result.exit_code == 0
    assert "check" in result.output
    assert "providers" in result.output


# -- check: a healthy app -----------------------------------------------------------


def test_check_passes_on_a_healthy_app(build, rogue):
    result = run(build(), "check", "--processes", "1")
    assert result.exit_code == 0, result.output
    assert "Provider 'rogue' (Rogue)" in result.output
    ok = lines(result, "ok")
    assert any("redirect URI to register: http://127.0.0.1:5000/callback/rogue" in o for o in ok)
    assert f"discovery reachable at {rogue.metadata_url}; issuer {rogue.issuer}." in ok
    assert any(o.startswith(f"keys reachable at {rogue.issuer}/jwks: 1 signing key") for o in ok)
    assert "probe: a session was written, read back and deleted." in ok
    assert any("sessions are kept in files (cachelib FileSystemCache)" in o for o in ok)
    assert "SECRET_KEY is set and looks random." in ok
    assert result.output.strip().endswith("0 failed, 0 warnings.")


def test_check_offline_fetches_nothing(build, rogue):
    result = run(build(), "check", "--offline", "--processes", "1")
    assert result.exit_code == 0, result.output
    assert "discovery and keys not checked (--offline)." in lines(result, "info")
    assert rogue.calls["discovery"] == 0


# -- check: redirect URIs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected", "source"),
    [
        (
            {"OAUTH2LOGIN_EXTERNAL_URL": "https://app.example/base/"},
            "https://app.example/base/callback/rogue",
            "OAUTH2LOGIN_EXTERNAL_URL",
        ),
        (
            {"SERVER_NAME": "app.example", "PREFERRED_URL_SCHEME": "https"},
            "https://app.example/callback/rogue",
            "SERVER_NAME",
        ),
        (
            {"SERVER_NAME": "app.example:8443", "OAUTH2LOGIN_URL_PREFIX": "/auth"},
            "http://app.example:8443/auth/callback/rogue",
            "SERVER_NAME",
        ),
    ],
)
def test_check_shows_the_redirect_uri_to_register(build, config, expected, source):
    result = run(build(**config), "check", "--offline")
    assert f"redirect URI to register: {expected} (from {source})." in lines(result, "ok")


def test_check_shows_a_pinned_redirect_uri_and_its_host_problem(build, rogue):
    entry = rogue_entry(rogue, redirect_uri="https://login.app.example/callback/rogue")
    result = run(build(entry, OAUTH2LOGIN_EXTERNAL_URL="https://app.example"), "check", "--offline")
    assert (
        "redirect URI to register: https://login.app.example/callback/rogue (from redirect_uri)."
        in lines(result, "ok")
    )
    warnings = "\n".join(lines(result, "WARN"))
    assert "logins start at https://app.example but the provider sends the browser back" in warnings
    assert result.exit_code == 0  # a warning


def test_check_warns_about_a_pinned_path_that_misses_the_callback(build, rogue):
    entry = rogue_entry(rogue, redirect_uri="https://app.example/oauth/rogue")
    result = run(build(entry), "check", "--offline")
    assert any("is not this app's callback /callback/rogue" in w for w in lines(result, "WARN"))


def test_check_compares_with_the_registered_redirect_uri(build):
    app = build(OAUTH2LOGIN_EXTERNAL_URL="https://app.example")
    registered = "https://app.example/callback/rogue"
    good = run(app, "check", "--offline", "--processes", "1", "--redirect-uri", registered)
    assert good.exit_code == 0, good.output
    assert "the registered redirect URI matches." in lines(good, "ok")

    registered = "rogue=https://www.app.example/callback/rogue"
    bad = run(app, "check", "--offline", "--redirect-uri", registered)
    assert bad.exit_code == 1
    (failure,) = lines(bad, "FAIL")
    assert "the app sends https://app.example/callback/rogue but" in failure
    assert "redirect_uri_mismatch" in failure
    assert "OAUTH2LOGIN_EXTERNAL_URL = 'https://www.app.example'" in failure


def test_check_redirect_uri_option_errors(build, rogue):
    app = build(providers={"rogue": rogue_entry(rogue), "other": rogue_entry(rogue)})
    result = run(app, "check", "--offline", "--redirect-uri", "https://app.example/cb")
    assert result.exit_code == 2
    assert "PROVIDER=URI" in result.output
    result = run(app, "check", "--offline", "--redirect-uri", "nope=https://app.example/cb")
    assert result.exit_code == 1
    assert "--redirect-uri names no configured provider: 'nope'." in lines(result, "FAIL")


# -- check: discovery and keys ------------------------------------------------------


def test_check_fails_on_a_foreign_issuer(build, rogue):
    rogue.behaviour.metadata_overrides = {"issuer": "https://evil.example"}
    result = run(build(), "check")
    assert result.exit_code == 1
    (failure,) = lines(result, "FAIL")
    assert failure.startswith("discovery failed: The discovery document names the issuer")


def test_check_fails_on_unreachable_discovery(build, rogue):
    entry = rogue_entry(rogue, server_metadata_url=rogue.issuer + "/missing/.well-known/x")
    result = run(build(entry, SECRET_KEY=STRONG_KEY), "check")
    assert result.exit_code == 1
    assert "HTTP 404" in lines(result, "FAIL")[0]


def test_check_fails_on_broken_keys(build, rogue):
    rogue.behaviour.jwks_status = 500
    result = run(build(), "check")
    assert result.exit_code == 1
    assert "key set failed (HTTP 500)" in lines(result, "FAIL")[0]


def test_check_fails_on_keys_that_fit_no_allowed_algorithm(build, rogue):
    entry = rogue_entry(rogue, id_token_algorithms=["ES256"])
    result = run(build(entry), "check")
    assert result.exit_code == 1
    assert "none fits the allowed algorithms ES256" in lines(result, "FAIL")[0]


def test_check_fails_on_a_key_set_that_is_no_key_set(build, rogue):
    rogue.behaviour.metadata_overrides = {"jwks_uri": rogue.metadata_url}
    result = run(build(), "check")
    assert result.exit_code == 1
    assert "not a JSON Web Key Set" in lines(result, "FAIL")[0]


# -- check: the session store ------------------------------------------------------


def test_check_fails_when_the_store_loses_sessions(build):
    app = build(SESSION_TYPE="cachelib", SESSION_CACHELIB=NullCache())
    result = run(app, "check", "--offline")
    assert result.exit_code == 1
    assert "probe: a session written to the store could not be read back." in lines(result, "FAIL")


def test_check_fails_on_an_in_process_store_with_several_processes(build):
    app = build(SESSION_TYPE="cachelib", SESSION_CACHELIB=SimpleCache())
    single = run(app, "check", "--offline", "--processes", "1")
    assert single.exit_code == 0
    assert any("every restart logs everybody out" in i for i in lines(single, "info"))

    several = run(app, "check", "--offline", "--processes", "4")
    assert several.exit_code == 1
    assert any(
        "4 processes (--processes) but each has its own" in f for f in lines(several, "FAIL")
    )


@pytest.mark.parametrize(
    ("env", "source"),
    [
        ({"GUNICORN_CMD_ARGS": "--bind :8000 --workers 3"}, "GUNICORN_CMD_ARGS"),
        ({"GUNICORN_CMD_ARGS": "-w4"}, "GUNICORN_CMD_ARGS"),
        ({"WEB_CONCURRENCY": "2"}, "WEB_CONCURRENCY"),
    ],
)
def test_check_warns_when_processes_share_a_file_store(build, env, source):
    result = run(build(), "check", "--offline", env=env)
    assert any(
        f"({source}) share this store only on one machine" in w for w in lines(result, "WARN")
    )
    # Each process refreshes on its own: that fails, until a token store coordinates.
    assert result.exit_code == 1
    assert any(
        "refresh is single-flight within one process only on files" in f
        and "set `OAUTH2LOGIN_TOKEN_STORE` to your database" in f
        for f in lines(result, "FAIL")
    )
    stored = build(OAUTH2LOGIN_TOKEN_STORE="sqlite:///tokens.db")
    coordinated = run(stored, "check", "--offline", env=env)
    assert coordinated.exit_code == 0, coordinated.output
    assert any(
        "refresh is single-flight across the processes that share the token store" in o
        for o in lines(coordinated, "ok")
    )
    strict = run(stored, "check", "--offline", "--strict", env=env)
    assert strict.exit_code == 1


def test_check_fails_on_a_shared_store_that_coordinates_one_process_only(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, SECRET_KEY=STRONG_KEY)
    assert app.extensions["oauth2login"].session_engine.coordination() == "process"
    engine = app.extensions["oauth2login"].session_engine
    engine.describe = lambda: ("Memcached", "shared")  # as Memcached's engine says
    result = run(app, "check", "--offline", "--processes", "1")
    assert result.exit_code == 1
    assert "refresh is single-flight within one process only on Memcached" in " ".join(
        lines(result, "FAIL")
    )


def test_check_fails_on_a_session_interface_of_the_apps_own(tmp_path, rogue):
    from flask import Flask

    from flask_oauth2login import OAuth2Login
    from tests.support.session_interfaces import DictSessionInterface

    def own(**config: t.Any) -> t.Any:
        app = Flask("own", instance_path=str(tmp_path / "own"))
        app.session_interface = DictSessionInterface(app)
        app.config.update(
            SECRET_KEY=STRONG_KEY, OAUTH2LOGIN_PROVIDERS={"rogue": rogue_entry(rogue)}, **config
        )
        OAuth2Login(app)
        return app

    # Whether its processes share it is unknown: refresh may race across them.
    result = run(own(), "check", "--offline")
    assert result.exit_code == 1, result.output
    assert "sessions are kept in DictSessionInterface." in lines(result, "ok")
    assert any(
        "refresh is single-flight within one process only on DictSessionInterface" in f
        and "set `OAUTH2LOGIN_TOKEN_STORE` to your database" in f
        for f in lines(result, "FAIL")
    )
    single = run(own(), "check", "--offline", "--processes", "1")
    assert single.exit_code == 0, single.output
    stored = own(OAUTH2LOGIN_TOKEN_STORE=f"sqlite:///{tmp_path / 'tokens.db'}")
    coordinated = run(stored, "check", "--offline")
    assert coordinated.exit_code == 0, coordinated.output
    assert any(
        "refresh is single-flight across the processes that share the token store" in o
        for o in lines(coordinated, "ok")
    )


def test_check_does_not_ask_for_a_token_store_where_one_without_coordinator_is_set(build, tmp_path):
    from flask_oauth2login.tokenstore.sql import SQLTokenStore

    class Uncoordinated(SQLTokenStore):
        """A token store of the app's own, with no coordinator to lend."""

        def coordinator(self) -> None:
            return None

    store = Uncoordinated.from_config(f"sqlite:///{tmp_path / 't.db'}", instance_path="")
    result = run(build(OAUTH2LOGIN_TOKEN_STORE=store), "check", "--offline", "--processes", "2")
    assert result.exit_code == 1
    (failure,) = (f for f in lines(result, "FAIL") if "single-flight" in f)
    assert "give the token store (the table oauth2login_tokens at sqlite:" in failure
    assert "set `OAUTH2LOGIN_TOKEN_STORE`" not in failure


def test_check_says_sql_sessions_coordinate_across_machines(tmp_path, rogue):
    from tests.sessions.test_engines import sql_app

    app = sql_app(f"sqlite:///{tmp_path / 's.db'}", {"rogue": rogue_entry(rogue)}, tmp_path)
    app.cli.add_command(oauth2login_group)
    result = run(app, "check", "--offline", "--processes", "4")
    assert result.exit_code == 0, result.output
    assert any(
        "refresh is single-flight across the processes of one machine (SQLite" in o
        for o in lines(result, "ok")
    )


# -- check: cookies and the secret key ----------------------------------------------


def test_check_fails_on_samesite_strict(build):
    with pytest.raises(ConfigurationError, match="SESSION_COOKIE_SAMESITE: is 'Strict'"):
        build(SESSION_COOKIE_SAMESITE="Strict")  # refused at start-up, as check fails it
    app = build()
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"  # changed after init_app
    result = run(app, "check", "--offline")
    assert result.exit_code == 1
    assert "SESSION_COOKIE_SAMESITE is 'Strict'" in lines(result, "FAIL")[0]


def test_check_fails_on_samesite_none_without_secure(build):
    result = run(build(SESSION_COOKIE_SAMESITE="None"), "check", "--offline")
    assert result.exit_code == 1
    assert "'None' without SESSION_COOKIE_SECURE" in lines(result, "FAIL")[0]
    app = build(SESSION_COOKIE_SAMESITE="None", SESSION_COOKIE_SECURE=True)
    secure = run(app, "check", "--offline", "--processes", "1")
    assert secure.exit_code == 0


def test_check_fails_on_a_secure_cookie_with_an_http_redirect_uri(build):
    app = build(SESSION_COOKIE_SECURE=True, OAUTH2LOGIN_EXTERNAL_URL="http://app.example")
    result = run(app, "check", "--offline")
    assert result.exit_code == 1
    assert any(
        "SESSION_COOKIE_SECURE is on but the redirect URI" in f for f in lines(result, "FAIL")
    )

    local = build(SESSION_COOKIE_SECURE=True, OAUTH2LOGIN_EXTERNAL_URL="http://localhost:5000")
    result = run(local, "check", "--offline", "--processes", "1")
    assert result.exit_code == 0
    assert any("some allow them on localhost" in w for w in lines(result, "WARN"))


def test_check_fails_on_a_cookie_domain_that_misses_the_callback(build):
    app = build(SESSION_COOKIE_DOMAIN="other.example", SERVER_NAME="app.example")
    result = run(app, "check", "--offline")
    assert result.exit_code == 1
    assert any("SESSION_COOKIE_DOMAIN is 'other.example'" in f for f in lines(result, "FAIL"))


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, "SECRET_KEY is not set"),
        ("dev", "looks like a placeholder"),
        ("please-change-me-in-production-0123456789", "looks like a placeholder"),
        ("s3cr3t-k3y", "short or repetitive (10 characters)"),
        ("a" * 40, "short or repetitive"),
    ],
)
def test_check_warns_about_weak_secret_keys(build, key, expected):
    app = build()
    app.config["SECRET_KEY"] = key  # after init_app, which refuses an app without one
    result = run(app, "check", "--offline", "--processes", "1")
    # A key too short or too regular to derive keys from fails another check.
    too_weak = key is not None and (len(key) < 32 or len(set(key)) == 1)
    assert result.exit_code == (1 if too_weak else 0)
    assert any(expected in w for w in lines(result, "WARN")), result.output


def test_missing_secret_key_fails_with_a_session_signer(build):
    with pytest.warns(DeprecationWarning):  # Flask-Session deprecates the signer
        app = build(SESSION_USE_SIGNER=True)
    app.config["SECRET_KEY"] = None  # after init_app, which refuses an app without one
    result = run(app, "check", "--offline", "--processes", "1")
    assert result.exit_code == 1
    assert any("SESSION_USE_SIGNER cannot sign" in f for f in lines(result, "FAIL"))


def test_check_output_has_no_secret(build, rogue):
    result = run(build(), "check")
    assert rogue.client_secret not in result.output
    assert STRONG_KEY not in result.output


# -- providers ------------------------------------------------------------------------


def test_providers_lists_presets_and_configured_providers(build, rogue):
    result = run(build(), "providers")
    assert result.exit_code == 0
    for name in providers.names():
        preset = providers.get(name)
        assert any(
            line.split() and line.split()[0] == name and preset.title in line
            for line in result.output.splitlines()
        ), name
    configured = result.output.split("Configured providers", 1)[1]
    assert "rogue" in configured
    assert f"discovery at {rogue.metadata_url}" in configured
    assert f"client_id {rogue.client_id}" in configured
    assert rogue.client_secret not in result.output
