"""X's quirks: public clients (PKCE, no secret), and ``users/me`` answers
``{"data": ...}`` or errors with HTTP 200."""

from __future__ import annotations

from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["x"])


def test_public_client_sends_its_client_id_only(make_app, fake):
    fake.client_auth = "none"
    public = fake.entry(token_endpoint_auth_method="none")
    del public["client_secret"]
    client = make_app({"x": public}).test_client()
    assert log_in(client, "x").status_code == 302
    assert logged_in_user(client)["sub"] == "2244994945"
    token_request = fake.requests_to(fake.token_path)[0]
    assert "Authorization" not in token_request["headers"]
    assert token_request["form"]["client_id"] == fake.client_id
    assert token_request["form"]["code_verifier"]


def test_an_answer_without_data_is_a_clear_login_error(make_app, fake):
    fake.answers["/2/users/me"] = {
        "errors": [{"title": "Forbidden", "detail": "Client not enrolled"}]
    }
    client = make_app({"x": fake.entry()}).test_client()
    response = log_in(client, "x")
    assert response.status_code == 502
    assert "data.id" in response.get_data(as_text=True)
    assert logged_in_user(client) is None
