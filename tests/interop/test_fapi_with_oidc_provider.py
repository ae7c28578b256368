"""High-security logins against the certified npm ``oidc-provider`` on loopback.

Clients registered to authenticate with ``private_key_jwt`` (RSA and EC keys)
and ``client_secret_jwt``, a client that must push its authorization requests
(PAR), and a client whose tokens are bound to the app's DPoP key: the
provider enforces each, so a login that completes is one the provider
checked.
"""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import Flask, jsonify, session

from flask_oauth2login import OAuth2Login, login_required
from flask_oauth2login._runtime import get_state
from flask_oauth2login.protocol.dpop import DPoPKey, NonceCache
from flask_oauth2login.tokens.logins import TOKENS_KEY
from tests.support.client_keys import ec_key, pem, registered_jwks, rsa_key
from tests.support.logins import follow_callback
from tests.support.oidc_provider import OidcProvider, login, oidc_provider, require_node
from tests.support.threads import http_session

pytestmark = pytest.mark.xdist_group("oidc-provider-fapi")

SECRET_JWT = "a client secret long enough for HS256, 48 chars"
GRANTS = ["authorization_code", "refresh_token"]


def _client(client_id: str, **metadata: t.Any) -> dict[str, t.Any]:
    return {
        "client_id": client_id,
        "redirect_uris": [f"http://localhost/callback/{client_id}"],
        "grant_types": GRANTS,
        **metadata,
    }


CLIENTS = [
    _client(
        "rsa",
        token_endpoint_auth_method="private_key_jwt",
        jwks=registered_jwks(rsa_key()),
        grant_types=[*GRANTS, "client_credentials"],
    ),
    _client(
        "ec",
        token_endpoint_auth_method="private_key_jwt",
        jwks=registered_jwks(ec_key(), kid="ec-key-1"),
    ),
    _client("secretjwt", token_endpoint_auth_method="client_secret_jwt", client_secret=SECRET_JWT),
    _client("par", client_secret="par-secret", require_pushed_authorization_requests=True),
    _client("dpop", client_secret="dpop-secret", dpop_bound_access_tokens=True),
]


provider = oidc_provider(CLIENTS)


def make_app(provider: OidcProvider, tmp_path: t.Any, **entries: dict[str, t.Any]) -> Flask:
    provider.reset_stats()
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config["SECRET_KEY"] = "test-secret-key"
    app.config["OAUTH2LOGIN_PROVIDERS"] = {
        name: {"client_id": name, "server_metadata_url": provider.metadata_url, **entry}
        for name, entry in entries.items()
    }
    oauth = OAuth2Login(app)
    app.extensions["test_oauth"] = oauth

    @app.get("/me")
    @login_required
    def me() -> t.Any:
        name = oauth.user["provider"]
        answer = oauth.session(name).get(provider.metadata()["userinfo_endpoint"])
        return jsonify(user=oauth.user.to_dict(), api_status=answer.status_code, api=answer.json())

    @app.get("/token/<name>")
    def token(name: str) -> t.Any:
        return jsonify(oauth.token(name))

    @app.post("/expire/<name>")
    def expire(name: str) -> str:
        stored = dict(session[TOKENS_KEY])
        stored[name] = {**stored[name], "expires_at": 0}
        session[TOKENS_KEY] = stored
        return "ok"

    return app


def do_login(app: Flask, name: str, user: str = "grace") -> t.Any:
    client = app.test_client()
    start = client.get(f"/login/{name}?next=/me")
    assert start.status_code == 302, start.get_data(as_text=True)
    callback_url = login(http_session(), start.headers["Location"], username=user)
    response = follow_callback(client, callback_url)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/me"
    return client


@pytest.mark.parametrize(
    ("name", "key", "key_id"),
    [("rsa", rsa_key(), None), ("ec", ec_key(), "ec-key-1")],
    ids=["RSA", "EC"],
)
def test_private_key_jwt_login_refresh_and_logout(provider, tmp_path, name, key, key_id):
    entry = {"token_endpoint_auth_method": "private_key_jwt", "client_private_key": pem(key)}
    if key_id:
        entry["client_key_id"] = key_id
    app = make_app(provider, tmp_path, **{name: entry})
    client = do_login(app, name)
    answer = client.get("/me").get_json()
    assert answer["user"]["sub"] == "grace"
    assert answer["api"]["sub"] == "grace"
    assert provider.stats()["grants"]["authorization_code"] == 1

    client.post(f"/expire/{name}")  # the refresh authenticates with an assertion too
    assert client.get("/me").get_json()["api_status"] == 200
    assert provider.stats()["grants"]["refresh_token"] == 1

    assert client.post("/logout").status_code == 303  # revocation, with an assertion
    assert provider.stats()["revocations"] == 2


def test_private_key_jwt_from_a_pem_file(provider, tmp_path):
    path = tmp_path / "client-key.pem"
    path.write_text(pem(rsa_key(), traditional=True))
    entry = {"token_endpoint_auth_method": "private_key_jwt", "client_private_key": str(path)}
    app = make_app(provider, tmp_path, rsa=entry)
    assert do_login(app, "rsa").get("/me").get_json()["api_status"] == 200


def test_client_credentials_with_private_key_jwt(provider, tmp_path):
    entry = {"token_endpoint_auth_method": "private_key_jwt", "client_private_key": pem(rsa_key())}
    app = make_app(provider, tmp_path, rsa=entry)
    oauth = app.extensions["test_oauth"]
    with app.test_request_context():
        answer = oauth.app_session("rsa").get(provider.url("/__test/stats"))
    assert answer.status_code == 200
    assert provider.stats()["grants"]["client_credentials"] == 1


def test_a_key_the_provider_does_not_know_is_refused(provider, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP256R1())
    entry = {"token_endpoint_auth_method": "private_key_jwt", "client_private_key": pem(other)}
    app = make_app(provider, tmp_path, ec=entry)
    client = app.test_client()
    start = client.get("/login/ec")
    response = follow_callback(client, login(http_session(), start.headers["Location"]))
    assert response.status_code == 502
    assert "invalid_client" in response.get_data(as_text=True)


def test_client_secret_jwt_login(provider, tmp_path):
    entry = {"token_endpoint_auth_method": "client_secret_jwt", "client_secret": SECRET_JWT}
    app = make_app(provider, tmp_path, secretjwt=entry)
    client = do_login(app, "secretjwt", user="ada")
    assert client.get("/me").get_json()["api"]["sub"] == "ada"
    client.post("/expire/secretjwt")
    assert client.get("/me").get_json()["api_status"] == 200
    assert provider.stats()["grants"]["refresh_token"] == 1


def test_a_client_that_requires_par(provider, tmp_path):
    entry = {"client_secret": "par-secret", "pushed_authorization_requests": True}
    app = make_app(provider, tmp_path, par=entry)
    client = app.test_client()
    start = client.get("/login/par?next=/me")
    location = urlsplit(start.headers["Location"])
    params = dict(parse_qsl(location.query))
    assert set(params) == {"client_id", "request_uri"}
    assert params["client_id"] == "par"
    assert params["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert provider.fapi_stats()["par"] == 1
    response = follow_callback(client, login(http_session(), start.headers["Location"]))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/me").get_json()["user"]["sub"] == "alice"


def test_the_provider_refuses_that_client_without_par(provider, tmp_path):
    entry = {"client_secret": "par-secret", "pushed_authorization_requests": False}
    app = make_app(provider, tmp_path, par=entry)
    client = app.test_client()
    start = client.get("/login/par")
    assert "request_uri" not in start.headers["Location"]
    back = http_session().get(start.headers["Location"], allow_redirects=False)
    response = follow_callback(client, back.headers["Location"])
    assert response.status_code >= 400
    assert provider.fapi_stats()["par"] == 0


def test_auto_pushes_when_the_provider_requires_it(tmp_path):
    require_node()
    with OidcProvider([_client("plain", client_secret="plain-secret")], require_par=True) as op:
        assert op.metadata()["require_pushed_authorization_requests"] is True
        app = make_app(op, tmp_path, plain={"client_secret": "plain-secret"})  # "auto"
        client = app.test_client()
        start = client.get("/login/plain")
        assert set(dict(parse_qsl(urlsplit(start.headers["Location"]).query))) == {
            "client_id",
            "request_uri",
        }
        response = follow_callback(client, login(http_session(), start.headers["Location"]))
        assert response.status_code == 302, response.get_data(as_text=True)
        assert op.fapi_stats()["par"] == 1


def _dpop_app(provider: OidcProvider, tmp_path: t.Any) -> Flask:
    return make_app(provider, tmp_path, dpop={"client_secret": "dpop-secret", "dpop": True})


def _introspect(provider: OidcProvider, token: str) -> dict[str, t.Any]:
    answer = requests.post(
        provider.metadata()["introspection_endpoint"],
        data={"token": token},
        auth=("dpop", "dpop-secret"),
        timeout=10,
    )
    answer.raise_for_status()
    return dict(answer.json())


def test_dpop_bound_tokens_need_a_valid_proof(provider, tmp_path):
    app = _dpop_app(provider, tmp_path)
    client = do_login(app, "dpop")
    token = client.get("/token/dpop").get_json()
    assert token["token_type"] == "DPoP"
    with app.app_context():
        key = get_state().provider("dpop").dpop
    assert key is not None
    assert _introspect(provider, token["access_token"])["cnf"] == {"jkt": key.thumbprint}

    # Through oauth.session: a proof with every call, accepted.
    answer = client.get("/me").get_json()
    assert answer["api_status"] == 200
    assert answer["api"]["sub"] == "grace"

    # The same token without a valid proof is refused.
    userinfo = provider.metadata()["userinfo_endpoint"]
    access = token["access_token"]
    plain = http_session()
    assert plain.get(userinfo, headers={"Authorization": f"Bearer {access}"}).status_code in (
        400,
        401,
    )
    assert plain.get(userinfo, headers={"Authorization": f"DPoP {access}"}).status_code in (
        400,
        401,
    )
    from cryptography.hazmat.primitives.asymmetric import ec

    stranger = DPoPKey(ec.generate_private_key(ec.SECP256R1()))
    proof = stranger.proof("GET", userinfo, access_token=access)
    refused = plain.get(userinfo, headers={"Authorization": f"DPoP {access}", "DPoP": proof})
    assert refused.status_code == 401
    proof = key.proof("GET", userinfo)  # the right key, but no ath
    refused = plain.get(userinfo, headers={"Authorization": f"DPoP {access}", "DPoP": proof})
    assert refused.status_code == 401
    proof = key.proof("GET", userinfo, access_token=access)
    accepted = plain.get(userinfo, headers={"Authorization": f"DPoP {access}", "DPoP": proof})
    assert accepted.status_code == 200


def test_a_refresh_keeps_the_binding(provider, tmp_path):
    app = _dpop_app(provider, tmp_path)
    client = do_login(app, "dpop")
    before = client.get("/token/dpop").get_json()
    client.post("/expire/dpop")
    assert client.get("/me").get_json()["api_status"] == 200
    assert provider.stats()["grants"]["refresh_token"] == 1
    after = client.get("/token/dpop").get_json()
    assert after["access_token"] != before["access_token"]
    assert after["token_type"] == "DPoP"
    with app.app_context():
        key = get_state().provider("dpop").dpop
    assert key is not None
    assert _introspect(provider, after["access_token"])["cnf"] == {"jkt": key.thumbprint}


def test_every_process_of_the_app_has_the_same_dpop_key(provider, tmp_path):
    one, two = _dpop_app(provider, tmp_path), _dpop_app(provider, tmp_path)
    with one.app_context():
        first = get_state().provider("dpop").dpop
    with two.app_context():
        second = get_state().provider("dpop").dpop
    assert first is not None and second is not None
    assert first.thumbprint == second.thumbprint  # derived from SECRET_KEY


def test_dpop_nonce_challenges_are_answered(tmp_path):
    require_node()
    clients = [_client("dpop", client_secret="dpop-secret", dpop_bound_access_tokens=True)]
    with OidcProvider(clients, dpop_nonce=True) as op:
        app = _dpop_app(op, tmp_path)
        client = do_login(app, "dpop")  # the token endpoint asks for a nonce first
        assert op.fapi_stats()["dpopNonceChallenges"] == 1
        with app.app_context():
            get_state().provider("dpop").client.dpop_nonces = NonceCache()  # forgotten
        assert client.get("/me").get_json()["api_status"] == 200
        assert op.fapi_stats()["dpopNonceChallenges"] == 2  # UserInfo asked too
        client.post("/expire/dpop")
        assert client.get("/me").get_json()["api_status"] == 200
        assert op.stats()["grants"]["refresh_token"] == 1
