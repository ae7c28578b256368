"""``flask oauth2login check`` on logout: the URIs to register, and warnings
when the provider lacks what the configuration asks for."""

from __future__ import annotations

import secrets
import typing as t

import pytest

from flask_oauth2login.cli import oauth2login_group
from tests.conftest import rogue_entry


@pytest.fixture
def check(make_app: t.Callable[..., t.Any], rogue: t.Any) -> t.Callable[..., t.Any]:
    """Run the check on an app with the rogue provider; the CLI result."""

    def run(*args: str, entry: dict[str, t.Any] | None = None, **config: t.Any) -> t.Any:
        config.setdefault("SECRET_KEY", secrets.token_hex())
        app = make_app({"rogue": entry or rogue_entry(rogue)}, **config)
        app.cli.add_command(oauth2login_group)
        return app.test_cli_runner().invoke(
            args=["oauth2login", "check", "--processes", "1", *args]
        )

    return run


def lines(result: t.Any, mark: str) -> list[str]:
    return [line.strip()[4:].strip() for line in result.output.splitlines() if mark in line[:8]]


def test_the_uris_to_register_for_logging_out_everywhere(check, rogue):
    entry = rogue_entry(rogue, logout_at_provider=True)
    result = check(
        entry=entry,
        OAUTH2LOGIN_EXTERNAL_URL="https://app.example",
        SESSION_COOKIE_NAME="__Host-session",  # as check recommends over https
        SESSION_COOKIE_SECURE=True,
    )
    assert result.exit_code == 0, result.output
    ok = lines(result, "ok")
    assert (
        "post_logout_redirect_uri to register: https://app.example/logout/callback/rogue "
        "(from OAUTH2LOGIN_EXTERNAL_URL)." in ok
    )
    assert (
        "backchannel_logout_uri to register: https://app.example/backchannel-logout/rogue "
        "(from OAUTH2LOGIN_EXTERNAL_URL), with backchannel_logout_session_required: true "
        "(logout tokens then name the session)." in ok
    )
    assert result.output.strip().endswith("0 failed, 0 warnings.")


def test_without_a_pinned_address_they_follow_the_request(check):
    result = check()
    ok = "\n".join(lines(result, "ok"))
    assert (
        "backchannel_logout_uri to register: http://127.0.0.1:5000/backchannel-logout/rogue "
        "when the app is browsed there" in ok
    )
    assert "post_logout_redirect_uri" not in result.output  # logout_at_provider is off


def test_a_provider_without_end_session_endpoint_is_warned_about(check, rogue):
    rogue.behaviour.metadata_overrides = {"end_session_endpoint": None}
    result = check("--strict", entry=rogue_entry(rogue, logout_at_provider=True))
    assert result.exit_code == 1
    warnings = "\n".join(lines(result, "WARN"))
    assert "advertises no end_session_endpoint" in warnings


def test_outside_debug_an_unpinned_post_logout_redirect_uri_is_warned_about(check, rogue):
    result = check(entry=rogue_entry(rogue, logout_at_provider=True), TESTING=False)
    warnings = "\n".join(lines(result, "WARN"))
    assert "no post_logout_redirect_uri is sent" in warnings
    assert "OAUTH2LOGIN_EXTERNAL_URL" in warnings


def test_a_provider_without_back_channel_logout_is_noted(check, rogue):
    rogue.behaviour.metadata_overrides = {"backchannel_logout_supported": None}
    result = check()
    assert any("does not advertise back-channel logout" in i for i in lines(result, "info"))
    assert "backchannel_logout_uri to register" not in result.output


FRONT_CHANNEL_ONLY = {
    "frontchannel_logout_supported": True,
    "frontchannel_logout_session_supported": True,
    "backchannel_logout_supported": None,
}


def test_front_channel_logout_is_shown_when_switched_on(check, rogue):
    rogue.behaviour.metadata_overrides = FRONT_CHANNEL_ONLY
    result = check(entry=rogue_entry(rogue, frontchannel_logout=True))
    assert any(
        o.startswith(
            "frontchannel_logout_uri to register: http://127.0.0.1:5000/frontchannel-logout/rogue"
        )
        for o in lines(result, "ok")
    )


def test_front_channel_logout_offered_but_off_is_noted(check, rogue):
    rogue.behaviour.metadata_overrides = FRONT_CHANNEL_ONLY
    result = check()
    assert any("set frontchannel_logout: True" in i for i in lines(result, "info"))


def test_front_channel_logout_on_beside_back_channel_is_warned_about(check, rogue):
    both = {**FRONT_CHANNEL_ONLY, "backchannel_logout_supported": True}
    rogue.behaviour.metadata_overrides = both
    result = check(entry=rogue_entry(rogue, frontchannel_logout=True))
    warnings = "\n".join(lines(result, "WARN"))
    assert "front-channel logouts are refused" in warnings


def test_front_channel_logout_on_where_the_entry_says_logout_tokens_come_is_warned_about(
    check, rogue
):
    rogue.behaviour.metadata_overrides = FRONT_CHANNEL_ONLY  # sends them unadvertised
    entry = rogue_entry(rogue, frontchannel_logout=True, backchannel_logout=True)
    result = check(entry=entry)
    warnings = "\n".join(lines(result, "WARN"))
    assert "front-channel logouts are refused" in warnings
    assert "frontchannel_logout_uri to register" not in result.output


def test_offline_the_back_channel_uri_is_shown_with_a_condition(check, rogue):
    result = check("--offline")
    assert any(
        i.startswith("backchannel_logout_uri to register if the provider supports")
        for i in lines(result, "info")
    )
    assert rogue.calls["discovery"] == 0


def test_logout_at_a_plain_oauth_provider_is_warned_about(check, rogue):
    entry = {
        "client_id": "id",
        "client_secret": "secret",
        "authorize_url": rogue.issuer + "/authorize",
        "token_url": rogue.issuer + "/token",
        "logout_at_provider": True,
    }
    result = check("--offline", entry=entry)
    assert any("does not use OpenID Connect" in w for w in lines(result, "WARN"))
