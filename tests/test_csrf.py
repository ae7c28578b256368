"""Where a request comes from: :mod:`flask_oauth2login.csrf`."""

from __future__ import annotations

import pytest

from flask_oauth2login import csrf, logged_out
from flask_oauth2login.csrf import same_origin_only
from flask_oauth2login.tokens.logins import TOKENS_KEY
from tests.conftest import log_in, rogue_entry


@pytest.mark.parametrize(
    ("headers", "cross", "same"),
    [
        ({}, False, False),
        ({"Sec-Fetch-Site": "same-origin"}, False, True),
        ({"Sec-Fetch-Site": "none"}, False, False),
        ({"Sec-Fetch-Site": "cross-site"}, True, False),
        ({"Sec-Fetch-Site": "same-site"}, True, False),  # a sibling subdomain
        ({"Sec-Fetch-Site": "Cross-Site"}, True, False),
        ({"Origin": "http://localhost"}, False, True),
        ({"Origin": "http://localhost:80"}, False, True),
        ({"Origin": "HTTP://LocalHost"}, False, True),
        ({"Origin": "https://localhost"}, True, False),
        ({"Origin": "http://localhost:5000"}, True, False),
        ({"Origin": "http://evil.example"}, True, False),
        ({"Origin": "http://localhost.evil.example"}, True, False),
        ({"Origin": "null"}, True, False),
        ({"Origin": "http://localhost:99999"}, True, False),
        # Sec-Fetch-Site, when sent, is the browser's own verdict: it wins over an
        # Origin (a proxy may rewrite its scheme; a no-referrer page sends null).
        ({"Sec-Fetch-Site": "same-origin", "Origin": "https://localhost"}, False, True),
        ({"Sec-Fetch-Site": "same-origin", "Origin": "null"}, False, True),
        ({"Sec-Fetch-Site": "none", "Origin": "null"}, False, False),
        ({"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"}, True, False),
    ],
)
def test_origin_checks(app, headers, cross, same):
    with app.test_request_context("/login/rogue", method="POST", headers=headers):
        assert csrf.is_cross_origin() is cross
        assert csrf.is_same_origin() is same
        refused = csrf.refuse_cross_origin()
        assert (refused is not None) is cross
        if refused is not None:
            assert refused.status_code == 403
            assert refused.headers["X-Frame-Options"] == "DENY"


def test_this_site_is_the_requests_origin_and_the_external_urls(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_EXTERNAL_URL="https://app.example/")
    with app.test_request_context(headers={"Origin": "https://app.example"}):
        assert csrf.this_site() == {"https://app.example:443", "http://localhost:80"}
        assert csrf.is_same_origin()
    with app.test_request_context(headers={"Origin": "https://evil.example"}):
        assert csrf.is_cross_origin()


def test_refusal_answers_json_to_json_clients(app):
    headers = {"Origin": "http://evil.example", "Accept": "application/json"}
    with app.test_request_context(method="POST", headers=headers):
        refused = csrf.refuse_cross_origin()
        assert refused is not None
        assert refused.get_json()["error"] == "cross_origin_request"


REFUSED = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain
    {"Sec-Fetch-Site": "Cross-Site"},
    {"Origin": "https://evil.example"},
    {"Origin": "http://sub.localhost"},
    {"Origin": "https://localhost"},  # another scheme is another origin
    {"Origin": "http://localhost:8080"},  # another port too
    {"Origin": "null"},  # opaque: a sandboxed frame, a no-referrer page
    {"Origin": "garbage"},
]
ACCEPTED = [
    {},  # no header at all: a script, or an old browser (SameSite=Lax covers it)
    {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "none"},  # the user's own action
    {"Origin": "http://localhost"},
    {"Origin": "http://LOCALHOST:80"},
    # The browser's own verdict wins over an Origin a proxy may have rewritten.
    {"Sec-Fetch-Site": "same-origin", "Origin": "https://localhost"},
]


def tokens_of(client):
    with client.session_transaction() as sess:
        return dict(sess.get(TOKENS_KEY, {}))


@pytest.mark.parametrize(
    "headers", REFUSED, ids=lambda h: " ".join(f"{k}={v}" for k, v in h.items())
)
def test_cross_origin_logout_is_refused_and_changes_nothing(app, client, rogue, headers):
    log_in(client, rogue)
    seen = []
    with logged_out.connected_to(lambda sender, **kw: seen.append(kw), app):
        response = client.post("/logout", headers=headers)
    assert response.status_code == 403
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Request refused" in page
    assert "nothing changed" in page
    assert client.get("/").get_json()["user"]["sub"] == "user-123"
    assert "rogue" in tokens_of(client)
    assert rogue.revoked == []
    assert seen == []


@pytest.mark.parametrize(
    "headers", ACCEPTED, ids=lambda h: " ".join(f"{k}={v}" for k, v in h.items()) or "none"
)
def test_same_origin_and_header_less_logout_goes_through(client, rogue, headers):
    log_in(client, rogue)
    response = client.post("/logout", headers=headers)
    assert response.status_code == 303
    assert client.get("/").get_json()["user"] is None


def test_json_clients_get_a_json_refusal(client, rogue):
    log_in(client, rogue)
    response = client.post(
        "/logout", headers={"Sec-Fetch-Site": "cross-site", "Accept": "application/json"}
    )
    assert response.status_code == 403
    assert response.get_json()["error"] == "cross_origin_request"
    assert client.get("/").get_json()["user"] is not None


def test_the_external_urls_origin_is_this_site(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_EXTERNAL_URL="https://app.example")
    client = app.test_client()
    log_in(client, rogue)
    assert client.post("/logout", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/logout", headers={"Origin": "https://app.example"}).status_code == 303
    assert client.get("/").get_json()["user"] is None


def test_the_logout_page_sends_its_origin_with_its_form(client):
    # "no-referrer" would make the browser send "Origin: null", refused above.
    page = client.get("/logout").get_data(as_text=True)
    assert '<meta name="referrer" content="same-origin">' in page
    error_page = client.get("/login/nobody").get_data(as_text=True)
    assert '<meta name="referrer" content="no-referrer">' in error_page


def test_any_state_changing_view_is_guarded_with_one_line(app, client):
    changed = []

    @same_origin_only
    def change() -> str:
        changed.append(True)
        return "changed"

    app.add_url_rule("/change", "change", change, methods=["POST"])
    assert client.post("/change", headers={"Sec-Fetch-Site": "same-site"}).status_code == 403
    assert changed == []
    assert client.post("/change", headers={"Sec-Fetch-Site": "same-origin"}).data == b"changed"
    assert change.__name__ == "change"


def test_the_provider_facing_routes_are_not_guarded(app, client, rogue):
    """The provider calls them from its own origin, without the user's cookie."""
    token = rogue.make_logout_token(sid="nobody")
    response = client.post(
        "/backchannel-logout/rogue",
        data={"logout_token": token},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": rogue.issuer},
    )
    assert response.status_code == 200
    response = client.get("/logout/callback/rogue", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 303
