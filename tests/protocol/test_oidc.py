"""ID token validation and the signing-key cache: :mod:`flask_oauth2login.protocol.oidc`.

OpenID Connect Core §3.1.3.7, one misbehaviour of the rogue provider at a
time; every refusal is a 401 that logs nobody in and stores nothing.
"""

from __future__ import annotations

import base64
import time
import typing as t

import pytest

from flask_oauth2login.errors import InvalidToken
from flask_oauth2login.protocol.oidc import TokenRules, validate_id_token, validate_logout_token
from tests.support.logins import assert_refused, follow_callback, log_in, start_login
from tests.support.rogue_idp import rogue_entry
from tests.support.threads import in_parallel

# ----------------------------------------------------------------- helpers


def assert_logged_in(client: t.Any, response: t.Any) -> None:
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/").get_json()["user"]["sub"] == "user-123"


# --------------------------------------------------------------- signature


@pytest.mark.parametrize(
    "signing", ["wrong-key", "none", "hs256-public-key", "hs256-client-secret"]
)
def test_id_token_not_signed_with_an_issuer_key_is_refused(client, rogue, failures, signing):
    rogue.behaviour.id_token_signing = signing
    assert_refused(client, log_in(client, rogue), failures)
    assert failures[0]["error"].error_code == "invalid_token"


@pytest.mark.parametrize("signing", ["none", "hs256-client-secret", "hs256-public-key"])
def test_metadata_cannot_enable_hmac_or_none(client, rogue, failures, signing):
    rogue.behaviour.metadata_overrides = {
        "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"]
    }
    rogue.behaviour.id_token_signing = signing
    assert_refused(client, log_in(client, rogue), failures)


@pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")  # a short test secret
def test_hmac_with_the_client_secret_is_accepted_when_configured(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue, id_token_algorithms=["HS256"])})
    client = app.test_client()
    rogue.behaviour.id_token_signing = "hs256-client-secret"
    assert_logged_in(client, log_in(client, rogue))
    assert rogue.calls["jwks"] == 0  # HMAC keys never come from the key set


@pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")  # a short test secret
@pytest.mark.parametrize("signing", ["hs256-public-key", "none", "rs256"])
def test_only_configured_algorithms_are_accepted(make_app, rogue, failures, signing):
    app = make_app({"rogue": rogue_entry(rogue, id_token_algorithms=["HS256"])})
    client = app.test_client()
    rogue.behaviour.id_token_signing = signing
    assert_refused(client, log_in(client, rogue), failures)


def test_configured_algorithms_override_the_metadata(make_app, rogue, failures):
    app = make_app({"rogue": rogue_entry(rogue, id_token_algorithms=["ES256"])})
    client = app.test_client()
    assert_refused(client, log_in(client, rogue), failures)  # an RS256 token


def test_alg_in_the_header_does_not_choose_the_algorithm(client, rogue, failures):
    # A token that claims RS384 but carries an RS256 signature.
    rogue.behaviour.id_token_header = {"alg": "RS384"}
    assert_refused(client, log_in(client, rogue), failures)


@pytest.mark.parametrize(
    "header",
    [
        {"crit": ["urn:example:ext"], "urn:example:ext": True},
        {"crit": ["b64"], "b64": True},  # one the JWT library knows, this client does not
    ],
    ids=["unknown", "b64"],
)
def test_critical_header_extensions_are_refused(client, rogue, failures, header):
    rogue.behaviour.id_token_header = header
    assert_refused(client, log_in(client, rogue), failures)


# ------------------------------------------------------------------ claims


#: ID token claims (over the good ones) that must be refused, from the
#: provider and the current time; ``None`` removes a claim.
BAD_CLAIMS: dict[str, t.Callable[[t.Any, int], dict[str, t.Any]]] = {
    "iss-wrong": lambda rogue, now: {"iss": "https://evil.example"},
    "iss-trailing-slash": lambda rogue, now: {"iss": rogue.issuer + "/"},
    "iss-missing": lambda rogue, now: {"iss": None},
    "aud-wrong": lambda rogue, now: {"aud": "another-client"},
    "aud-missing": lambda rogue, now: {"aud": None},
    "aud-extra-untrusted": lambda rogue, now: {
        "aud": [rogue.client_id, "another-client"],
        "azp": rogue.client_id,
    },
    "aud-not-strings": lambda rogue, now: {
        "aud": [rogue.client_id, {"x": 1}],
        "azp": rogue.client_id,
    },
    "aud-not-a-list": lambda rogue, now: {"aud": {rogue.client_id: True}},
    "azp-wrong": lambda rogue, now: {"azp": "another-client"},
    "exp-past": lambda rogue, now: {"exp": now - 600},
    "exp-missing": lambda rogue, now: {"exp": None},
    "exp-not-a-number": lambda rogue, now: {"exp": "tomorrow"},
    "iat-future": lambda rogue, now: {"iat": now + 600},
    "iat-before-login": lambda rogue, now: {"iat": now - 600},
    "iat-missing": lambda rogue, now: {"iat": None},
    "iat-string": lambda rogue, now: {"iat": str(now - 86400)},
    "iat-bool": lambda rogue, now: {"iat": True},
    "sub-missing": lambda rogue, now: {"sub": None},
    "sub-empty": lambda rogue, now: {"sub": ""},
    "sub-not-a-string": lambda rogue, now: {"sub": 123},
    "nonce-wrong": lambda rogue, now: {"nonce": "another-nonce"},
    "nonce-missing": lambda rogue, now: {"nonce": None},
    "at_hash-wrong": lambda rogue, now: {"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"},
    # Not ASCII: compared as UTF-8 bytes, never a TypeError.
    "nonce-not-ascii": lambda rogue, now: {"nonce": "nonce-\u00e9\u4e2d"},
    "at_hash-not-ascii": lambda rogue, now: {"at_hash": "\u00e9" * 22},
}


@pytest.mark.parametrize("case", BAD_CLAIMS)
def test_id_token_with_bad_claims_is_refused(client, rogue, failures, case):
    rogue.behaviour.id_token_claims = BAD_CLAIMS[case](rogue, int(time.time()))
    assert_refused(client, log_in(client, rogue), failures)
    assert failures[0]["error"].error_code == "invalid_token"


def test_extra_audience_is_accepted_when_trusted(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue, trusted_audiences=["another-client"])})
    client = app.test_client()
    rogue.behaviour.id_token_claims = {
        "aud": [rogue.client_id, "another-client"],
        "azp": rogue.client_id,
    }
    assert_logged_in(client, log_in(client, rogue))


def test_trusted_extra_audience_still_needs_azp(make_app, rogue, failures):
    app = make_app({"rogue": rogue_entry(rogue, trusted_audiences=["another-client"])})
    client = app.test_client()
    rogue.behaviour.id_token_claims = {"aud": [rogue.client_id, "another-client"]}
    assert_refused(client, log_in(client, rogue), failures)


#: Variations of good ID tokens that must be accepted.
GOOD_CLAIMS: dict[str, t.Callable[[t.Any, int], dict[str, t.Any]]] = {
    "aud-list": lambda rogue, now: {"aud": [rogue.client_id]},
    "azp-self": lambda rogue, now: {"azp": rogue.client_id},
    "no-at_hash": lambda rogue, now: {"at_hash": None},  # checked only when present
    "iat-within-skew": lambda rogue, now: {"iat": now + 20},  # OAUTH2LOGIN_CLOCK_SKEW: 60
    "exp-within-skew": lambda rogue, now: {"exp": now - 20},
}


@pytest.mark.parametrize("case", GOOD_CLAIMS)
def test_valid_variations_are_accepted(client, rogue, case):
    rogue.behaviour.id_token_claims = GOOD_CLAIMS[case](rogue, int(time.time()))
    assert_logged_in(client, log_in(client, rogue))


@pytest.mark.parametrize("sub", [None, "", 123])
def test_id_token_without_subject_is_refused_without_userinfo(client, rogue, failures, sub):
    rogue.behaviour.metadata_overrides = {"userinfo_endpoint": None}
    rogue.behaviour.id_token_claims = {"sub": sub}
    assert_refused(client, log_in(client, rogue), failures)
    assert failures[0]["error"].error_code == "invalid_token"


# ---------------------------------------------------------------- UserInfo


@pytest.mark.parametrize("sub", ["someone-else", None, 123])
def test_userinfo_about_another_subject_is_refused(client, rogue, failures, sub):
    rogue.behaviour.userinfo_overrides = {"sub": sub}
    rogue.behaviour.id_token_claims = {"picture": None}  # so UserInfo is asked
    assert_refused(client, log_in(client, rogue), failures)
    assert rogue.calls["userinfo"] == 1


# --------------------------------------------------------------- key cache


def test_metadata_and_keys_are_cached(app, rogue):
    for _ in range(3):
        assert log_in(app.test_client(), rogue).status_code == 302
    assert rogue.calls["discovery"] == 1
    assert rogue.calls["jwks"] == 1


def test_unknown_kid_after_key_rotation_refetches_the_keys_once(app, rogue):
    assert log_in(app.test_client(), rogue).status_code == 302
    assert rogue.calls["jwks"] == 1
    rogue.rotate_keys()
    client = app.test_client()
    assert_logged_in(client, log_in(client, rogue))
    assert rogue.calls["jwks"] == 2


def test_flood_of_unknown_kids_does_not_hammer_the_provider(make_app, rogue, failures):
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_JWKS_MIN_REFETCH_INTERVAL=3600)
    assert log_in(app.test_client(), rogue).status_code == 302
    for i in range(20):
        rogue.behaviour.id_token_header = {"kid": f"unknown-{i}"}
        assert log_in(app.test_client(), rogue).status_code == 401
    assert len(failures) == 20
    assert rogue.calls["jwks"] <= 2


@pytest.fixture
def ec_key_set(rogue: t.Any) -> t.Iterator[str]:
    """A key set on loopback holding one EC key, without ``alg``, under the
    rogue provider's key id; yields its URL."""
    import json

    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm
    from werkzeug.wrappers import Response

    from tests.support.threads import serving

    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    jwk = {**json.loads(ECAlgorithm.to_jwk(public)), "kid": rogue.kid, "use": "sig"}
    body = json.dumps({"keys": [jwk]})
    with serving(Response(body, mimetype="application/json")) as url:
        yield url + "/jwks"


def test_key_of_the_wrong_type_for_the_algorithm_is_refused_cleanly(
    make_app, rogue, failures, ec_key_set
):
    """An EC key matched to an RS256 token made PyJWT raise TypeError (a 500)."""
    rogue.behaviour.metadata_overrides = {"jwks_uri": ec_key_set}
    app = make_app({"rogue": rogue_entry(rogue)})
    client = app.test_client()
    assert_refused(client, log_in(client, rogue), failures)
    assert failures[0]["error"].error_code == "invalid_token"


def callbacks(app: t.Any, rogue: t.Any, n: int) -> list[tuple[t.Any, str]]:
    """*n* logins taken up to the provider's answer: (client, callback URL)."""
    clients = [app.test_client() for _ in range(n)]
    return [(client, rogue.authorize(start_login(client))) for client in clients]


def test_concurrent_key_fetches_do_not_wait_in_line(app, rogue):
    logins = callbacks(app, rogue, 4)
    rogue.behaviour.jwks_delay = 1
    responses = in_parallel([lambda c=c, u=u: follow_callback(c, u) for c, u in logins])
    assert [r.status_code for r in responses] == [302] * 4
    assert rogue.max_in_flight["jwks"] > 1


def test_logins_during_a_key_refetch_wait_for_it(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_JWKS_MIN_REFETCH_INTERVAL=3600)
    assert log_in(app.test_client(), rogue).status_code == 302
    rogue.rotate_keys()
    logins = callbacks(app, rogue, 4)
    rogue.behaviour.jwks_delay = 0.5
    responses = in_parallel([lambda c=c, u=u: follow_callback(c, u) for c, u in logins])
    assert [r.status_code for r in responses] == [302] * 4
    assert rogue.calls["jwks"] == 2  # one refetch for all of them


def test_the_rules_of_a_providers_tokens_never_show_the_client_secret():
    rules = TokenRules(
        client_id="cid",
        issuer="https://idp.example",
        algorithms=("HS256",),
        keys=None,
        leeway=30,
        client_secret="not-for-logs-0123456789abcdef0123",
    )
    assert "not-for-logs" not in repr(rules)
    assert "https://idp.example" in repr(rules)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_HEADER, _CLAIMS = _b64(b'{"alg":"HS256"}'), _b64(b"{}")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        f"{_HEADER}.{_CLAIMS}",  # two parts
        f"{_HEADER}.{_CLAIMS}.c2ln.more",  # four
        f"{_b64(b'[1]')}.{_CLAIMS}.c2ln",  # a header that is no object
        f"{_b64(b'not json')}.{_CLAIMS}.c2ln",
        f"{_b64(bytes([255, 254]))}.{_CLAIMS}.c2ln",  # not UTF-8
        f"\u00e9{_HEADER}.{_CLAIMS}.c2ln",  # not ASCII
        f"{_HEADER}.!!!!.c2ln",  # a payload that is no base64url
        f"{_b64(b'[' * 100_000)}.{_CLAIMS}.c2ln",  # nested too deeply for the JSON parser
    ],
)
def test_a_token_that_is_no_compact_jws_is_refused_cleanly(token):
    rules = TokenRules(
        client_id="cid",
        issuer="https://idp.example",
        algorithms=("HS256",),
        keys=None,
        leeway=30,
        client_secret="s" * 32,
    )
    with pytest.raises(InvalidToken):
        validate_id_token(token, rules)
    with pytest.raises(InvalidToken):
        validate_logout_token(token, rules)
