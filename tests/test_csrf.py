"""Where a request comes from: :mod:`flask_oauth2login.csrf`."""

from __future__ import annotations

import pytest

from flask_oauth2login import csrf
from tests.conftest import rogue_entry


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
        ({"Sec-Fetch-Site": "same-origin", "Origin": "http://evil.example"}, True, False),
        # A form of a page with "Referrer-Policy: no-referrer" sends Origin: null.
        ({"Sec-Fetch-Site": "same-origin", "Origin": "null"}, False, True),
        ({"Sec-Fetch-Site": "none", "Origin": "null"}, True, False),
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


def test_this_site_is_the_external_url_when_set(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_EXTERNAL_URL="https://app.example/")
    with app.test_request_context(headers={"Origin": "https://app.example"}):
        assert csrf.this_origin() == "https://app.example"
        assert csrf.is_same_origin()
    with app.test_request_context(headers={"Origin": "http://localhost"}):
        assert csrf.is_cross_origin()


def test_refusal_answers_json_to_json_clients(app):
    headers = {"Origin": "http://evil.example", "Accept": "application/json"}
    with app.test_request_context(method="POST", headers=headers):
        refused = csrf.refuse_cross_origin()
        assert refused is not None
        assert refused.get_json()["error"] == "cross_origin_request"
