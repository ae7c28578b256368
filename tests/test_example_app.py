"""The example app's wiring (its journeys run in tests/test_browser.py)."""

from __future__ import annotations

import pytest

from example_app import create_app
from flask_oauth2login import ConfigurationError


def test_development_provider_is_offered_in_debug_or_testing(tmp_path):
    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    page = app.test_client().get("/").get_data(as_text=True)
    assert 'id="login-dev"' in page
    assert "oauth2login_devidp" in app.blueprints


def test_without_debug_and_credentials_start_up_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    for name in ("GITHUB", "GOOGLE"):
        monkeypatch.delenv(f"OAUTH2LOGIN_{name}_CLIENT_ID", raising=False)
    with pytest.raises(ConfigurationError, match="OAUTH2LOGIN_PROVIDERS"):
        create_app(instance_path=str(tmp_path))


def test_secret_key_is_kept_in_the_instance_folder(tmp_path):
    first = create_app({"TESTING": True}, instance_path=str(tmp_path))
    second = create_app({"TESTING": True}, instance_path=str(tmp_path))
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_profile_requires_login(tmp_path):
    client = create_app({"TESTING": True}, instance_path=str(tmp_path)).test_client()
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/dev?next=/profile"
