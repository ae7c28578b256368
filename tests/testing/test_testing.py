"""The helpers for users' own tests: :mod:`flask_oauth2login.testing` and its pytest plugin."""

from __future__ import annotations

import textwrap
import typing as t
from importlib.metadata import entry_points

import jwt
import pytest
from flask import session

from flask_oauth2login import ConfigurationError, InvalidToken, LoginError, logged_in
from flask_oauth2login.protocol.oidc import KeyCache, TokenRules, validate_id_token
from flask_oauth2login.testing import (
    DevIdPServer,
    SigningKey,
    default_key,
    login_as,
    make_id_token,
    make_token,
)
from flask_oauth2login.tokens.logins import TOKENS_KEY, USER_KEY, USERS_KEY
from tests.conftest import log_in, rogue_entry
from tests.support.sealed import session_token

pytest_plugins = ["pytester"]

#: A provider that is configured but never contacted.
CORP = {
    "client_id": "test-client",
    "client_secret": "test-secret",
    "server_metadata_url": "https://idp.invalid/.well-known/openid-configuration",
}


@pytest.fixture
def corp_app(make_app: t.Callable[..., t.Any]) -> t.Any:
    return make_app({"corp": CORP}, TEST_API_URLS={"corp": "https://idp.invalid/api"})


def session_data(client: t.Any) -> dict[str, t.Any]:
    with client.session_transaction() as sess:
        return dict(sess)


def session_cookie(client: t.Any) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie is not None else None


# -- login_as ----------------------------------------------------------------------


def test_login_as_logs_in_without_any_provider(corp_app):
    client = corp_app.test_client()
    assert client.get("/private").status_code == 302

    user = login_as(client, sub="42", email="ada@example.com", name="Ada")

    assert client.get("/private").get_data(as_text=True) == "private page"
    shown = client.get("/").get_json()["user"]
    assert shown["provider"] == "corp"
    assert shown["sub"] == "42"
    assert shown["email"] == "ada@example.com"
    assert shown["email_verified"] is True
    assert shown["name"] == "Ada"
    assert shown["issuer"] == "https://idp.invalid"
    assert user.id == ("https://idp.invalid", "42")


def test_login_as_seeds_the_session_as_a_real_login_does(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)})
    real = app.test_client()
    log_in(real, rogue)
    seeded = app.test_client()
    login_as(seeded, "rogue", sub="user-123", email="alice@example.test", name="Alice Example")

    real_data, seeded_data = session_data(real), session_data(seeded)
    assert set(seeded_data) >= {TOKENS_KEY, USER_KEY, USERS_KEY}
    assert set(seeded_data) - {"_permanent"} <= set(real_data)
    real_token = session_token(real)
    seeded_token = session_token(seeded)
    assert set(seeded_token) == {"access_token", "token_type", "expires_at", "iss", "sub", "scope"}
    assert set(seeded_token) <= set(real_token)
    assert seeded_token["iss"] == real_token["iss"] == rogue.issuer
    assert seeded_token["sub"] == real_token["sub"]
    assert seeded_token["scope"] == real_token["scope"] == "openid email profile"
    assert seeded_data[USERS_KEY] == {"rogue": seeded_data[USER_KEY]}
    real_user, seeded_user = real_data[USER_KEY], seeded_data[USER_KEY]
    assert set(seeded_user) == set(real_user)
    for key in ("provider", "issuer", "sub", "email", "email_verified", "name"):
        assert seeded_user[key] == real_user[key], key


def test_login_as_rotates_the_session_id_and_keeps_its_data(corp_app):
    client = corp_app.test_client()
    with client.session_transaction() as sess:
        sess["cart"] = ["book"]
    before = session_cookie(client)

    login_as(client, sub="42")

    after = session_cookie(client)
    assert after and after != before
    assert session_data(client)["cart"] == ["book"]
    stale = corp_app.test_client()
    stale.set_cookie("session", before)
    assert "cart" not in session_data(stale)


def test_login_as_keeps_other_providers_tokens(make_app):
    app = make_app({"corp": CORP, "other": {**CORP, "client_id": "other-client"}})
    client = app.test_client()
    login_as(client, "corp", sub="1")
    login_as(client, "other", sub="2")
    data = session_data(client)
    assert set(data[TOKENS_KEY]) == {"corp", "other"}
    assert data[USER_KEY]["provider"] == "other"


def test_login_as_runs_hooks_and_sends_logged_in(corp_app):
    hooked: list[tuple[str, str]] = []
    corp_app.extensions["test_oauth"].on_login(
        lambda provider, user, token: hooked.append((provider, session["_oauth2login_user"]["sub"]))
    )
    sent: list[dict[str, t.Any]] = []
    with logged_in.connected_to(lambda sender, **kw: sent.append(kw), corp_app):
        login_as(corp_app.test_client(), sub="7")
        login_as(corp_app.test_client(), sub="8", hooks=False)
    assert hooked == [("corp", "7")]
    assert [kw["user"]["sub"] for kw in sent] == ["7"]
    assert sent[0]["token"]["sub"] == "7"


def test_a_refused_login_as_raises_and_keeps_the_previous_login(corp_app):
    client = corp_app.test_client()
    login_as(client, sub="first")

    @corp_app.extensions["test_oauth"].on_login
    def refuse(provider: str, user: t.Any, token: t.Any) -> None:
        raise LoginError("not this one", provider=provider)

    with pytest.raises(LoginError, match="not this one"):
        login_as(client, sub="second")
    assert client.get("/").get_json()["user"]["sub"] == "first"


def test_login_as_token_overrides(corp_app):
    client = corp_app.test_client()
    login_as(client, sub="1", token="my-access-token")
    assert session_token(client, "corp")["access_token"] == "my-access-token"

    login_as(client, sub="1", token={"refresh_token": "r", "scope": "openid", "iss": None})
    token = session_token(client, "corp")
    assert token["refresh_token"] == "r"
    assert token["scope"] == "openid"
    assert "iss" not in token


def test_an_expired_seeded_token_ends_the_login_without_calling_the_provider(corp_app):
    client = corp_app.test_client()
    login_as(client, sub="1", token={"expires_at": 0})
    response = client.get("/api/corp")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/corp")
    assert client.get("/").get_json()["user"] is None


def test_login_as_defaults_and_errors(make_app):
    app = make_app({"corp": CORP, "other": {**CORP, "client_id": "other-client"}})
    client = app.test_client()
    with pytest.raises(ConfigurationError, match="Several providers"):
        login_as(client)
    with pytest.raises(ConfigurationError, match="No provider called 'nope'"):
        login_as(client, "nope")
    user = login_as(client, "corp")
    assert user["sub"] == "test-user"
    assert user["email"] is None
    assert user["email_verified"] is False
    assert user["raw"] == {"sub": "test-user", "email_verified": False}
    user = login_as(client, "corp", email="x@example.com", email_verified=False, issuer="urn:x")
    assert user["email_verified"] is False
    assert user.id == ("urn:x", "test-user")


def test_login_as_issuer_of_plain_oauth_provider(make_app):
    app = make_app(
        {
            "legacy": {
                "client_id": "c",
                "client_secret": "s",
                "authorize_url": "https://auth.example:8443/oauth/authorize",
                "token_url": "https://auth.example:8443/oauth/token",
                "scope": "read",
            }
        }
    )
    assert login_as(app.test_client(), sub="9")["issuer"] == "https://auth.example:8443"


# -- tokens and keys -----------------------------------------------------------------


def test_make_token():
    token = make_token(iss="https://idp.example", sub="1")
    assert token["token_type"] == "Bearer"
    assert token["access_token"].startswith("test-")
    assert token["expires_at"] > 0
    assert set(token) == {"access_token", "token_type", "expires_at", "iss", "sub"}
    assert make_token(expires_in=None)["expires_at"] is None
    assert make_token(refresh_token="r", extra="x")["refresh_token"] == "r"
    assert make_token(access_token="a")["access_token"] == "a"


def test_signing_key_and_jwks():
    key = SigningKey(kid="k1")
    assert key.kid == "k1"
    (jwk,) = key.jwks["keys"]
    assert jwk["kid"] == "k1"
    assert jwk["kty"] == "RSA"
    assert jwk["use"] == "sig"
    assert jwk["alg"] == "RS256"
    assert "d" not in jwk  # public half only
    assert default_key() is default_key()
    assert len(default_key().kid) == 43  # an RFC 7638 thumbprint


def _validate(token: str, key: SigningKey, corp_config: t.Any, **checks: t.Any) -> dict:
    rules = TokenRules(
        client_id=corp_config.client_id,
        provider=corp_config.name,
        issuer="https://idp.example",
        algorithms=("RS256",),
        keys=KeyCache(lambda: key.jwks, ttl=60, min_refetch_interval=60),
        leeway=30,
    )
    return validate_id_token(token, rules, **checks)


def test_make_id_token_passes_the_extensions_own_checks(corp_app):
    config = corp_app.extensions["oauth2login"].providers["corp"].config
    key = SigningKey()
    token = make_id_token(
        {"email": "ada@example.com"},
        key=key,
        audience="test-client",
        subject="42",
        nonce="n-1",
        access_token="at-1",
    )
    claims = _validate(token, key, config, nonce="n-1", access_token="at-1")
    assert claims["sub"] == "42"
    assert claims["email"] == "ada@example.com"
    assert jwt.get_unverified_header(token)["kid"] == key.kid


@pytest.mark.parametrize(
    "kwargs",
    [
        {"expires_in": -600},
        {"claims": {"sub": None}},
        {"audience": "someone-else"},
        {"nonce": "other"},
        {"key": "other"},
        {"headers": {"crit": ["exp"]}},
    ],
)
def test_make_id_token_makes_broken_tokens_too(corp_app, kwargs):
    config = corp_app.extensions["oauth2login"].providers["corp"].config
    key = SigningKey()
    kwargs = {"audience": "test-client", "nonce": "n", **kwargs}
    if kwargs.get("key") == "other":
        kwargs["key"] = SigningKey(kid=key.kid)
    else:
        kwargs["key"] = key
    with pytest.raises(InvalidToken):
        _validate(make_id_token(**kwargs), key, config, nonce="n")


# -- the development identity provider -------------------------------------------------


def test_devidp_fixture_runs_a_whole_login(devidp, make_app):
    assert isinstance(devidp, DevIdPServer)
    app = make_app({"devidp": devidp.provider_entry()})
    client = app.test_client()
    response = devidp.login(client, next="/private")
    assert response.status_code == 302
    assert response.headers["Location"] == "/private"
    user = client.get("/").get_json()["user"]
    assert user["sub"] == "ada"
    assert user["issuer"] == devidp.issuer
    assert user["email"] == "ada@example.com"


def test_devidp_typed_in_user_and_denial(devidp, make_app):
    app = make_app({"devidp": devidp.provider_entry()})
    client = app.test_client()
    assert devidp.login(client, name="Katherine Johnson", email="kj@example.com").status_code == 302
    assert client.get("/").get_json()["user"]["name"] == "Katherine Johnson"

    other = app.test_client()
    assert devidp.login(other, deny=True).status_code == 403
    assert other.get("/").get_json()["user"] is None


def test_devidp_with_own_users(make_app):
    with DevIdPServer(users=[{"sub": "u1", "name": "Una", "email": "una@example.com"}]) as idp:
        app = make_app({"idp": idp.provider_entry()})
        client = app.test_client()
        idp.login(client, "idp", sub="u1")
        assert client.get("/").get_json()["user"]["name"] == "Una"
    assert idp.url.startswith("http://127.0.0.1:")


def test_devidp_login_says_when_the_app_is_not_pointed_at_it(devidp, corp_app):
    with pytest.raises(AssertionError, match="provider_entry"):
        devidp.login(corp_app.test_client(), "corp")


# -- the pytest plugin ---------------------------------------------------------------

CONFTEST = """
    import pytest
    from flask import Flask, jsonify
    from flask_oauth2login import OAuth2Login, login_required


    def create_app(providers, instance_path):
        app = Flask(__name__, instance_path=instance_path)
        app.config.update(SECRET_KEY="x" * 32, TESTING=True, OAUTH2LOGIN_PROVIDERS=providers)
        oauth = OAuth2Login(app)

        @app.get("/me")
        @login_required
        def me():
            return jsonify(email=oauth.user.email, provider=oauth.user.provider)

        return app


    pytest_plugins = ["flask_oauth2login.testing"]
"""


def test_the_plugin_is_not_registered_by_entry_point():
    # An entry point would load it into the test run of every project that installs us.
    assert not [e for e in entry_points(group="pytest11") if e.value.startswith("flask_oauth2")]


def test_the_plugin_is_not_loaded_without_opting_in(pytester):
    pytester.makepyfile(
        test_no_opt_in="""
        def test_needs_devidp(devidp):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'devidp' not found*"])


def test_plugin_fixtures_in_a_users_project(pytester):
    pytester.makeconftest(
        CONFTEST
        + """

    @pytest.fixture
    def app(tmp_path):
        return create_app(
            {"github": {"client_id": "id", "client_secret": "secret"}}, str(tmp_path)
        )
    """
    )
    pytester.makepyfile(
        test_app=textwrap.dedent(
            """
            import pytest
            from flask_oauth2login.testing import login_as


            def test_plugin_is_loaded(request):
                assert request.config.pluginmanager.has_plugin("flask_oauth2login.testing.fixtures")


            def test_logged_in_client(logged_in_client):
                assert logged_in_client.get("/me").get_json() == {
                    "email": "test-user@example.com", "provider": "github"
                }


            class TestAdmin:
                @pytest.fixture
                def oauth2login_user(self):
                    return {"provider": "github", "sub": "1", "email": "root@example.com"}

                def test_chosen_user(self, logged_in_client):
                    assert logged_in_client.get("/me").get_json()["email"] == "root@example.com"


            def test_login_as(app):
                client = app.test_client()
                assert client.get("/me").status_code == 302
                login_as(client, sub="42", email="ada@example.com")
                assert client.get("/me").get_json()["email"] == "ada@example.com"
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark")
    result.assert_outcomes(passed=4)


def test_plugin_devidp_fixture_in_a_users_project(pytester):
    pytester.makeconftest(
        CONFTEST
        + """

    @pytest.fixture
    def app(devidp, tmp_path):
        return create_app({"devidp": devidp.provider_entry()}, str(tmp_path))
    """
    )
    pytester.makepyfile(
        test_devidp_login=textwrap.dedent(
            """
            def test_whole_login(app, devidp):
                client = app.test_client()
                response = devidp.login(client, sub="grace", next="/me")
                assert response.headers["Location"] == "/me"
                assert client.get("/me").get_json()["email"] == "grace@example.com"
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark")
    result.assert_outcomes(passed=1)


def test_logged_in_client_without_app_fixture_explains(pytester):
    pytester.makeconftest('pytest_plugins = ["flask_oauth2login.testing"]')
    pytester.makepyfile(
        test_no_app="""
        def test_needs_app(logged_in_client):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*logged_in_client needs a fixture called 'app'*"])
