"""Pending logins (state, PKCE, nonce) and the ``next`` rules (``login.pending``).

Every refusal of a callback's ``state`` must happen before the client says
anything to the provider, so each test checks ``rogue.calls["token"] == 0``.
"""

from __future__ import annotations

import base64
import typing as t
from urllib.parse import urlencode, urlsplit

import pytest

from flask_oauth2login.login import pending as pending_logins
from flask_oauth2login.tokens.logins import TOKENS_KEY
from tests.support.logins import follow_callback, log_in, start_login
from tests.support.oauth import query, s256, with_params
from tests.support.rogue_idp import rogue_entry

# ----------------------------------------------------------------- helpers


def assert_state_refused(client: t.Any, response: t.Any, rogue: t.Any, failures: list) -> None:
    """Refused as a bad state, with nobody logged in and no call to the token endpoint."""
    assert response.status_code == 400, response.get_data(as_text=True)
    assert rogue.calls["token"] == 0
    assert [f["error"].error_code for f in failures] == ["invalid_state"]
    assert client.get("/").get_json()["user"] is None


def age_pending_logins(client: t.Any, seconds: float, **changes: t.Any) -> None:
    """Make the session's pending logins *seconds* older (and apply *changes*)."""
    with client.session_transaction() as session:
        pending = dict(session[pending_logins.SESSION_KEY])
        for login in pending.values():
            login["started"] -= seconds
            login.update(changes)
        session[pending_logins.SESSION_KEY] = pending


# ---------------------------------------------------- authorization request


def test_code_flow_with_pkce_s256_whatever_the_metadata_lists(client, rogue):
    rogue.behaviour.metadata_overrides = {
        "code_challenge_methods_supported": ["plain"],
        "response_types_supported": ["code", "token", "id_token token"],
    }
    rogue.behaviour.require_pkce = True
    location = start_login(client)
    sent = query(location)
    assert sent["response_type"] == "code"
    assert sent["code_challenge_method"] == "S256"
    assert "response_mode" not in sent

    assert follow_callback(client, rogue.authorize(location)).status_code == 302
    [exchange] = rogue.requests_to("token")
    form = exchange["form"]
    assert form["grant_type"] == "authorization_code"
    assert 43 <= len(form["code_verifier"]) <= 128
    assert s256(form["code_verifier"]) == sent["code_challenge"]
    assert form["code_verifier"] not in location  # the verifier stays on the server


def test_each_login_gets_fresh_state_nonce_and_verifier_of_128_bits_or_more(client, rogue):
    sent = [query(start_login(client)) for _ in range(3)]
    for key in ("state", "nonce", "code_challenge"):
        assert len({s[key] for s in sent}) == 3, key
    for s in sent:
        for key in ("state", "nonce"):
            assert len(base64.urlsafe_b64decode(s[key] + "==")) >= 16, key


def test_redirect_uri_is_the_same_in_authorization_and_token_requests(client, rogue):
    location = start_login(client)
    assert follow_callback(client, rogue.authorize(location)).status_code == 302
    assert rogue.requests_to("token")[0]["form"]["redirect_uri"] == query(location)["redirect_uri"]


def test_token_request_reuses_the_redirect_uri_the_login_started_with(client, rogue):
    # The callback arrives on another base URL than the login started on.
    location = start_login(client)
    assert query(location)["redirect_uri"] == "http://localhost/callback/rogue"
    callback = rogue.authorize(location)
    assert follow_callback(client, callback, base_url="https://localhost").status_code == 302
    assert (
        rogue.requests_to("token")[0]["form"]["redirect_uri"] == "http://localhost/callback/rogue"
    )


@pytest.mark.parametrize(
    ("entry", "config", "pinned"),
    [
        (
            {},
            {"OAUTH2LOGIN_EXTERNAL_URL": "https://app.example/"},
            "https://app.example/callback/rogue",
        ),
        ({"redirect_uri": "https://proxy.example/cb/rogue"}, {}, "https://proxy.example/cb/rogue"),
    ],
    ids=["external-url", "per-provider"],
)
def test_redirect_uri_can_be_pinned(make_app, rogue, entry, config, pinned):
    app = make_app({"rogue": rogue_entry(rogue, **entry)}, **config)
    client = app.test_client()
    location = start_login(client)
    assert query(location)["redirect_uri"] == pinned
    # The proxy in front of the app maps the pinned URL to the callback route.
    callback = urlsplit(rogue.authorize(location))
    assert client.get(f"/callback/rogue?{callback.query}").status_code == 302
    assert rogue.requests_to("token")[0]["form"]["redirect_uri"] == pinned


# --------------------------------------------------------------- callback


def test_missing_state_is_refused_before_the_token_request(client, rogue, failures):
    callback = with_params(rogue.authorize(start_login(client)), state=None)
    assert_state_refused(client, follow_callback(client, callback), rogue, failures)


@pytest.mark.parametrize("state", ["", "x", "never-issued-" + "a" * 40])
def test_unknown_state_is_refused_before_the_token_request(client, rogue, failures, state):
    callback = with_params(rogue.authorize(start_login(client)), state=state)
    assert_state_refused(client, follow_callback(client, callback), rogue, failures)


def test_expired_state_is_refused_before_the_token_request(client, rogue, failures):
    callback = rogue.authorize(start_login(client))
    age_pending_logins(client, 601)  # OAUTH2LOGIN_LOGIN_TIMEOUT is 600
    assert_state_refused(client, follow_callback(client, callback), rogue, failures)


def test_login_within_the_time_limit_is_accepted(client, rogue):
    callback = rogue.authorize(start_login(client))
    age_pending_logins(client, 500)
    assert follow_callback(client, callback).status_code == 302


def test_replayed_state_is_refused_before_the_token_request(client, rogue, failures):
    callback = rogue.authorize(start_login(client))
    assert follow_callback(client, callback).status_code == 302
    with client.session_transaction() as session:  # the login ended since
        session.pop(TOKENS_KEY)
    rogue.calls.clear()
    # The same answer again, in the same session: the login was used once.
    response = follow_callback(client, callback)
    assert response.status_code == 400
    assert rogue.calls["token"] == 0
    assert [f["error"].error_code for f in failures] == ["invalid_state"]


def test_callback_replayed_while_logged_in_goes_on_to_next(client, rogue, failures):
    """Back, or a reload, after a login: no error page for a logged-in user,
    and no second token request."""
    callback = rogue.authorize(start_login(client, next="/private"))
    assert follow_callback(client, callback).headers["Location"] == "/private"
    rogue.calls.clear()
    response = follow_callback(client, callback)
    assert response.status_code == 303
    assert response.headers["Location"] == "/private"
    assert rogue.calls["token"] == 0
    assert failures == []
    assert client.get("/").get_json()["user"]["sub"] == "user-123"


def test_replayed_callback_of_another_session_is_still_refused(app, client, rogue, failures):
    callback = rogue.authorize(start_login(client))
    assert follow_callback(client, callback).status_code == 302
    other = app.test_client()
    log_in(other, rogue)  # logged in, but this answer is not its own
    response = follow_callback(other, callback)
    assert response.status_code == 400
    assert [f["error"].error_code for f in failures] == ["invalid_state"]


def test_state_from_another_browser_is_refused(app, client, rogue, failures):
    callback = rogue.authorize(start_login(client))
    intruder = app.test_client()
    assert_state_refused(intruder, follow_callback(intruder, callback), rogue, failures)
    # The browser that started the login can still finish it.
    assert follow_callback(client, callback).status_code == 302


def test_state_minted_for_another_provider_is_refused(make_app, rogue, failures):
    app = make_app({"rogue": rogue_entry(rogue), "twin": rogue_entry(rogue)})
    client = app.test_client()
    callback = rogue.authorize(start_login(client, "rogue"))
    parts = urlsplit(callback)
    response = client.get(f"/callback/twin?{parts.query}")
    assert_state_refused(client, response, rogue, failures)


def test_pending_login_is_bound_to_the_issuer(client, rogue, failures):
    callback = rogue.authorize(start_login(client))
    age_pending_logins(client, 0, issuer="https://another-issuer.example")
    assert_state_refused(client, follow_callback(client, callback), rogue, failures)


def test_several_logins_in_flight_in_one_session(client, rogue):
    first = start_login(client, next="/first")
    second = start_login(client, next="/second")
    done = follow_callback(client, rogue.authorize(second))
    assert done.headers["Location"] == "/second"
    done = follow_callback(client, rogue.authorize(first))
    assert done.headers["Location"] == "/first"
    assert rogue.calls["token"] == 2


def test_pending_logins_per_session_are_bounded(make_app, rogue, failures):
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_MAX_PENDING_LOGINS=3)
    client = app.test_client()
    locations = [start_login(client) for _ in range(4)]
    response = follow_callback(client, rogue.authorize(locations[0]))  # the oldest gave way
    assert_state_refused(client, response, rogue, failures)
    assert follow_callback(client, rogue.authorize(locations[1])).status_code == 302


# ------------------------------------------------------------------ next


REFUSED_NEXT = [
    "https://evil.example/",
    "http://evil.example",
    "javascript:alert(1)",
    "evil.example/path",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/path\\..\\other",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "%2F%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%255C%255Cevil.example",
    "/%252F%252Fevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/%09/evil.example",
    "/%0d%0aSet-Cookie:x=1",
    "/\x00",
    "/\x7f",
    " //evil.example",
    "",
]

KEPT_NEXT = ["/profile?tab=1", "/", "/a/b#frag", "/search?q=a%20b", "/go?to=//x"]


@pytest.mark.parametrize("target", REFUSED_NEXT)
def test_safe_next_refuses_anything_but_a_local_path(target):
    assert pending_logins.safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", KEPT_NEXT)
def test_safe_next_keeps_local_paths(target):
    assert pending_logins.safe_next(target, "/home") == target


def test_safe_next_refuses_non_strings():
    assert pending_logins.safe_next(None, "/home") == "/home"
    assert pending_logins.safe_next(["/x"], "/home") == "/home"  # type: ignore[arg-type]


def login_with_next(client: t.Any, rogue: t.Any, target: str) -> t.Any:
    response = client.get("/login/rogue?" + urlencode({"next": target}))
    assert response.status_code == 302
    return follow_callback(client, rogue.authorize(response.headers["Location"]))


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil.example", "/%2F%2Fevil.example"]
)
def test_login_falls_back_to_the_landing_page_for_a_foreign_next(client, rogue, target):
    response = login_with_next(client, rogue, target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_keeps_a_local_next(client, rogue):
    response = login_with_next(client, rogue, "/profile?tab=1")
    assert response.headers["Location"] == "/profile?tab=1"


def test_foreign_next_falls_back_to_the_configured_landing_page(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_REDIRECT_URL="/welcome")
    response = login_with_next(app.test_client(), rogue, "//evil.example")
    assert response.headers["Location"] == "/welcome"
