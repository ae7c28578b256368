"""The example app's pages: the provider's title, and the person's language."""

from __future__ import annotations

from example_app import create_app
from flask_oauth2login.testing import login_as


def test_home_names_the_provider_by_its_title(tmp_path):
    client = create_app({"TESTING": True}, instance_path=str(tmp_path)).test_client()
    login_as(client, "dev", sub="42", name="Ada")
    html = client.get("/").get_data(as_text=True)
    assert "You signed in with the development provider." in html
    assert "signed in with dev." not in html
