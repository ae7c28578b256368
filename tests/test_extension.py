"""OAuth2Login: the extension pattern, sessions, several apps per process."""

from __future__ import annotations

import cachelib
import pytest
from flask import Flask
from flask_session import Session

from flask_oauth2login import ConfigurationError, OAuth2Login
from tests.support.logins import log_in
from tests.support.rogue_idp import rogue_entry


def test_init_app_pattern_and_state_in_extensions(tmp_path, rogue):
    oauth = OAuth2Login()
    app = Flask("factory", instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="k", OAUTH2LOGIN_PROVIDERS={"rogue": rogue_entry(rogue)})
    oauth.init_app(app)
    assert "oauth2login" in app.extensions
    assert not hasattr(oauth, "app")
    assert "oauth2login.login" in {rule.endpoint for rule in app.url_map.iter_rules()}


def test_two_apps_in_one_process_keep_their_own_providers(tmp_path, rogue):
    oauth = OAuth2Login()
    apps = []
    for name in ("one", "two"):
        app = Flask(name, instance_path=str(tmp_path / name))
        app.config.update(SECRET_KEY=name, OAUTH2LOGIN_PROVIDERS={name: rogue_entry(rogue)})
        oauth.init_app(app)
        apps.append(app)
    assert apps[0].test_client().get("/login/one").status_code == 302
    assert apps[0].test_client().get("/login/two").status_code == 404
    assert apps[1].test_client().get("/login/two").status_code == 302


def test_embedded_store_is_under_instance_folder(tmp_path, app, client, rogue):
    log_in(client, rogue)
    store = tmp_path / "instance" / "flask_session"
    assert store.is_dir()
    assert any(store.iterdir())


def test_apps_own_flask_session_is_reused(tmp_path, rogue):
    app = Flask("own", instance_path=str(tmp_path))
    cache = cachelib.SimpleCache()
    app.config.update(
        SECRET_KEY="k",
        SESSION_TYPE="cachelib",
        SESSION_CACHELIB=cache,
        OAUTH2LOGIN_PROVIDERS={"rogue": rogue_entry(rogue)},
    )
    Session(app)
    interface = app.session_interface
    OAuth2Login(app)
    assert app.session_interface is interface
    client = app.test_client()
    log_in(client, rogue)
    sid = client.get_cookie("session").value
    assert cache.get("session:" + sid)["_oauth2login_user"]["sub"] == "user-123"


def test_cookie_session_interface_of_another_kind_is_refused(tmp_path, rogue):
    from flask.sessions import SessionInterface

    class Custom(SessionInterface):
        pass

    app = Flask("custom", instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="k", OAUTH2LOGIN_PROVIDERS={"rogue": rogue_entry(rogue)})
    app.session_interface = Custom()
    with pytest.raises(ConfigurationError, match="does not keep sessions on the server"):
        OAuth2Login(app)


def test_redis_without_client_is_a_configuration_error(tmp_path, rogue):
    app = Flask("redis", instance_path=str(tmp_path))
    app.config.update(
        SECRET_KEY="k", SESSION_TYPE="redis", OAUTH2LOGIN_PROVIDERS={"rogue": rogue_entry(rogue)}
    )
    with pytest.raises(ConfigurationError, match="SESSION_REDIS"):
        OAuth2Login(app)


def test_url_prefix(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_URL_PREFIX="/auth")
    client = app.test_client()
    location = client.get("/login/rogue").status_code, client.get("/auth/login/rogue")
    assert location[0] == 404
    assert (
        "redirect_uri=http%3A%2F%2Flocalhost%2Fauth%2Fcallback%2Frogue"
        in location[1].headers["Location"]
    )


def test_external_url_pins_the_redirect_uri(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_EXTERNAL_URL="https://app.example/")
    location = app.test_client().get("/login/rogue").headers["Location"]
    assert "redirect_uri=https%3A%2F%2Fapp.example%2Fcallback%2Frogue" in location
