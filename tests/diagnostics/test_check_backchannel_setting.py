"""``flask oauth2login check`` follows a provider entry's ``backchannel_logout``."""

from __future__ import annotations

import secrets
import typing as t

import pytest

from flask_oauth2login.cli import oauth2login_group
from tests.conftest import rogue_entry


def check_output(make_app: t.Callable[..., t.Any], entry: dict[str, t.Any]) -> str:
    app = make_app({"rogue": entry}, SECRET_KEY=secrets.token_hex())
    app.cli.add_command(oauth2login_group)
    result = app.test_cli_runner().invoke(args=["oauth2login", "check", "--processes", "1"])
    return str(result.output)


@pytest.mark.parametrize(
    ("advertised", "configured", "registers"),
    [(False, True, True), (True, False, False), (False, None, False), (True, None, True)],
)
def test_the_uri_to_register_follows_the_entry(make_app, rogue, advertised, configured, registers):
    rogue.behaviour.metadata_overrides = {"backchannel_logout_supported": advertised}
    output = check_output(make_app, rogue_entry(rogue, backchannel_logout=configured))
    assert ("backchannel_logout_uri to register:" in output) is registers
    if configured is None and not advertised:
        assert "set backchannel_logout: True" in output
