"""Pushed authorization requests (RFC 9126): the parameters go to the
provider, authenticated; the browser carries only ``client_id`` and
``request_uri``."""

from __future__ import annotations

import typing as t

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login._runtime import get_state
from flask_oauth2login.config.settings import load_provider
from tests.support.fapi_idp import fapi_entry
from tests.support.logins import follow_callback, start_login
from tests.support.oauth import query


def test_auto_pushes_when_the_provider_requires_it(make_app, fapi):
    fapi.fapi.require_par = True
    app = make_app({"fapi": fapi_entry(fapi)})  # pushed_authorization_requests: "auto"
    client = app.test_client()
    url = start_login(client, "fapi", next="/private")
    assert url.startswith(fapi.issuer + "/authorize?")
    params = query(url)
    assert set(params) == {"client_id", "request_uri"}
    assert params["client_id"] == fapi.client_id

    (pushed,) = fapi.pushed
    assert pushed["response_type"] == "code"
    assert pushed["code_challenge_method"] == "S256"
    for name in ("state", "nonce", "code_challenge", "redirect_uri", "scope"):
        assert pushed[name]
    (assertion,) = fapi.assertions  # the push is authenticated like a token request
    assert assertion["endpoint"] == fapi.issuer + "/par"
    assert assertion["claims"]["aud"] == fapi.issuer

    response = follow_callback(client, fapi.authorize(url))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/private"
    assert client.get("/").get_json()["user"]["sub"] == "user-123"


def test_auto_does_not_push_when_the_provider_does_not_require_it(make_app, fapi):
    app = make_app({"fapi": fapi_entry(fapi)})
    params = query(start_login(app.test_client(), "fapi"))
    assert "request_uri" not in params and "state" in params
    assert fapi.pushed == []


def test_true_pushes_always_false_never(make_app, fapi):
    app = make_app(
        {
            "yes": fapi_entry(fapi, pushed_authorization_requests=True),
            "no": fapi_entry(fapi, pushed_authorization_requests=False),
        }
    )
    client = app.test_client()
    assert set(query(start_login(client, "yes"))) == {"client_id", "request_uri"}
    fapi.fapi.require_par = True
    assert "request_uri" not in query(start_login(client, "no"))
    assert len(fapi.pushed) == 1


def test_pushed_requests_carry_the_dpop_thumbprint(make_app, fapi):
    fapi.fapi.require_par = True
    app = make_app({"fapi": fapi_entry(fapi, dpop=True)})
    client = app.test_client()
    url = start_login(client, "fapi")
    with app.app_context():
        key = get_state().provider("fapi").dpop
    assert key is not None
    assert fapi.pushed[0]["dpop_jkt"] == key.thumbprint
    assert follow_callback(client, fapi.authorize(url)).status_code == 302


def test_a_refused_push_ends_on_an_error_page(make_app, fapi, failures):
    fapi.fapi.require_par = True
    fapi.fapi.assertion_audience = "endpoint"  # the provider will refuse the assertion
    app = make_app({"fapi": fapi_entry(fapi)})
    response = app.test_client().get("/login/fapi")
    assert response.status_code == 502
    assert "invalid_client" in response.get_data(as_text=True)
    assert failures[0]["provider"] == "fapi"


def test_an_unusable_push_answer_ends_on_an_error_page(make_app, fapi):
    fapi.fapi.require_par = True
    fapi.behaviour.raw_answers["par"] = (b'{"request_uri": "a b"}', {"Content-Type": "text/json"})
    app = make_app({"fapi": fapi_entry(fapi)})
    response = app.test_client().get("/login/fapi", headers={"Accept": "application/json"})
    assert response.status_code == 502
    assert "request_uri" in response.get_json()["message"]


def test_true_needs_the_endpoint(make_app, fapi):
    fapi.behaviour.metadata_overrides = {"pushed_authorization_request_endpoint": None}
    app = make_app({"fapi": fapi_entry(fapi, pushed_authorization_requests=True)})
    response = app.test_client().get("/login/fapi")
    assert response.status_code == 502
    assert "pushed_authorization_request_endpoint" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (
            {"pushed_authorization_requests": "yes", "issuer": "https://idp.example"},
            "'auto', True or False",
        ),
        (
            {
                "pushed_authorization_requests": True,
                "authorize_url": "https://idp.example/authorize",
                "token_url": "https://idp.example/token",
                "scope": "email",
            },
            "needs server_metadata_url",
        ),
    ],
)
def test_configuration(entry: dict[str, t.Any], says: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        load_provider("p", {"client_id": "app", "client_secret": "s", **entry}, {}, {})
    assert info.value.key == "pushed_authorization_requests"
    assert says in str(info.value)


def test_the_check_says_where_requests_are_pushed_or_why_they_cannot_be(make_app, fapi):
    fapi.behaviour.metadata_overrides = {"pushed_authorization_request_endpoint": None}
    app = make_app({"fapi": fapi_entry(fapi, pushed_authorization_requests=True)})
    result = app.test_cli_runner().invoke(args=["oauth2login", "check"])
    assert result.exit_code == 1
    assert "pushed authorization requests: The provider's discovery document names no" in (
        " ".join(result.output.split())
    )
