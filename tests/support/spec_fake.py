"""One fake for every provider, built from a row of data: a :class:`ProviderSpec`.

A spec says three things about a preset. What its configuration is, as data:
the URLs and issuer that
:func:`~flask_oauth2login.config.provider.load_provider` makes of the spec's
options. How the real provider answers: the token answer's shape, the ID token's claims or the
JSON of its user endpoint and API (:class:`Resource`), its refusals. And what
the app should make of a login there: the authorization request, the calls,
the normalized user.

:func:`spec_fake_class` turns a spec into a
:class:`~tests.support.fake_providers.FakeProvider` that serves at the paths
of the spec's URLs (so a request to ``https://api.github.com/user`` reaches
the fake's ``/user``), and :func:`spec_fake` into a fixture::

    fake = spec_fake(SPECS["github"])

    def test_no_address_at_all(make_app, fake):
        fake.answers["/user/emails"] = []
        client = make_app({"github": fake.entry()}).test_client()
        ...

In the strings of a spec, ``{base_url}`` stands for the fake's origin and
``{client_id}`` for the client's id (see :func:`fill`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing as t
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from tests.support.fake_providers import FakeProvider, Grant, fake_provider, json_response

__all__ = ["ProviderSpec", "Resource", "SpecFake", "fill", "spec_fake", "spec_fake_class"]


def _mapping() -> t.Any:
    """A dataclass field whose default is an empty mapping."""
    return dataclasses.field(default_factory=dict)


#: The URL settings of a provider entry that the fake serves, or that point at it.
URL_KEYS = (
    "authorize_url",
    "token_url",
    "userinfo_url",
    "jwks_uri",
    "revocation_url",
    "server_metadata_url",
    "api_base_url",
)


def fill(value: t.Any, **names: str) -> t.Any:
    """A fresh copy of *value* (JSON-like data) with ``{name}`` in its strings
    replaced by *names*; other braces are left alone."""
    if isinstance(value, str):
        for name, text in names.items():
            value = value.replace("{" + name + "}", text)
        return value
    if isinstance(value, t.Mapping):
        return {key: fill(item, **names) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [fill(item, **names) for item in value]
    return value


@dataclasses.dataclass(frozen=True)
class Resource:
    """A JSON endpoint of the provider's API (a plain OAuth 2.0 provider's user
    endpoint among them): what it answers a valid access token."""

    body: t.Any
    #: The scope the endpoint needs, and the provider's answer without it.
    scope: str | None = None
    refusal: tuple[t.Any, int] = ({"error": "insufficient_scope"}, 403)
    #: Members of the body left out unless the grant has a scope, member to scope.
    hidden: t.Mapping[str, str] = _mapping()


@dataclasses.dataclass(frozen=True, eq=False)
class ProviderSpec:
    """One provider: its preset as data, its fake, what a login there gives."""

    # -- the preset, as data ---------------------------------------------------------

    #: The preset's name.
    name: str
    #: What the configuration of *options* says, by setting: URLs (``None``:
    #: it has none), ``issuer``. The fake serves at these URLs' paths.
    urls: t.Mapping[str, str | None]
    #: The preset's options in the provider entry (tenant, domain, keys, ...).
    options: t.Mapping[str, t.Any] = _mapping()
    #: More attributes of the preset, as they should be.
    preset: t.Mapping[str, t.Any] = _mapping()
    #: How the client authenticates at the token endpoint; the fake insists.
    client_auth: str = "client_secret_basic"

    # -- the fake --------------------------------------------------------------------

    client_id: str = "fake-client-id"
    #: Empty: the client has no configured secret (Apple's is built).
    client_secret: str = "fake-client-secret"
    #: The class to build the fake on (:class:`SpecFake` or a subclass).
    fake: type[SpecFake] | None = None
    #: Paths of endpoints the configuration does not name (found by discovery).
    paths: t.Mapping[str, str] = _mapping()
    #: ``"endpoints"``: the entry names every URL of :attr:`urls` (at the fake);
    #: ``"base_url"``: only the fake's origin, the preset derives the rest.
    found_by: str = "endpoints"
    #: The ``iss`` of the fake's ID tokens, and whether the authorization
    #: response carries it too (RFC 9207).
    issuer: str = ""
    iss_parameter: bool = False
    #: The user's ID token claims; ``None``: plain OAuth 2.0, no ID tokens.
    claims: t.Mapping[str, t.Any] | None = None
    #: ID tokens and UserInfo carry only ``sub`` and the claims the
    #: ``claims`` request parameter asks for (Twitch).
    claims_on_request: bool = False
    #: The UserInfo answer, when it is not the ID token's claims.
    userinfo: t.Mapping[str, t.Any] | None = None
    #: The provider's API, by path.
    resources: t.Mapping[str, Resource] = _mapping()
    #: What the API and UserInfo answer a token they do not know, and the status.
    unauthorized: tuple[t.Any, int] = ({"error": "invalid_token"}, 401)
    #: Members of every token and UserInfo answer (Slack's ``{"ok": true}``).
    envelope: t.Mapping[str, t.Any] = _mapping()
    #: The token answer: ``token_type``, ``expires_in`` (``None``: left out),
    #: the granted scope under *scope_key* as ``"space"``, ``"comma"``-separated
    #: or a ``"list"`` (``None``: left out), or always *granted_scope*, and more.
    token_type: str = "Bearer"
    expires_in: int | None = 3600
    scope_key: str = "scope"
    scope_format: str | None = "space"
    granted_scope: str | None = None
    token_fields: t.Mapping[str, t.Any] = _mapping()
    #: The token endpoint's error answer (``{error}`` and ``{description}``
    #: filled in) and its status (``None``: the usual one); ``None``: RFC 6749's.
    token_error: t.Mapping[str, t.Any] | None = None
    token_error_status: int | None = None
    #: Whether code exchanges give refresh tokens: when the authorization
    #: request had every parameter of *refresh_if*.
    refresh: bool = False
    refresh_if: t.Mapping[str, str] = _mapping()
    #: An access token only when the grant has this scope (Azure AD B2C).
    access_token_scope: str | None = None
    require_pkce: bool = True

    # -- what a login there gives ----------------------------------------------------

    #: The authorization request's ``scope`` (``None``: none) and other parameters.
    scope: str | None = "openid email profile"
    params: t.Mapping[str, str] = _mapping()
    #: Headers of the token request besides the client's credentials.
    token_headers: t.Mapping[str, str] = _mapping()
    #: Every call the login makes to the fake, by path, in order, besides the
    #: authorization endpoint, the key set and the discovery document.
    calls: tuple[str, ...] = ()
    #: The normalized user: ``sub``, ``email``, ``email_verified``, ``name``,
    #: ``picture``, ``issuer``.
    user: t.Mapping[str, t.Any] = _mapping()
    #: Members of the user's raw profile.
    raw: t.Mapping[str, t.Any] = _mapping()
    #: Makes the fake's user's address unverified, if the provider says.
    unverify: t.Callable[[t.Any], None] | None = None
    #: A URL of the API relative to ``api_base_url``, and headers its calls carry.
    api: str | None = None
    api_headers: t.Mapping[str, str] = _mapping()

    @property
    def oidc(self) -> bool:
        """Whether the provider issues ID tokens."""
        return self.claims is not None

    def entry_urls(self) -> dict[str, str]:
        """The path and query on the fake of each URL of :attr:`urls`."""
        found = {}
        for key, url in self.urls.items():
            if key in URL_KEYS and url is not None:
                parts = urlsplit(url)
                found[key] = parts.path + (f"?{parts.query}" if parts.query else "")
        return found

    def paths_of(self) -> dict[str, str]:
        """The fake's path of each endpoint, by URL setting."""
        paths = {key: path.partition("?")[0] for key, path in self.entry_urls().items()}
        return {**paths, **self.paths}


class SpecFake(FakeProvider):
    """The fake of :attr:`spec`. Knobs besides :class:`FakeProvider`'s, reset
    before every test: :attr:`answers`, :attr:`token_fields`,
    :attr:`userinfo_overrides`, :attr:`reject_tokens`."""

    spec: t.ClassVar[ProviderSpec]

    def reset(self) -> None:
        super().reset()
        spec = self.spec
        self.issuer = self.fill(spec.issuer)
        #: What each API path answers (JSON, or a whole :class:`Response`).
        self.answers: dict[str, t.Any] = {
            path: self.fill(resource.body) for path, resource in spec.resources.items()
        }
        #: Members of the next token answers besides the token.
        self.token_fields: dict[str, t.Any] = self.fill(spec.token_fields)
        #: Members merged over the UserInfo answer.
        self.userinfo_overrides: dict[str, t.Any] = {}
        #: Whether the API and UserInfo refuse every access token.
        self.reject_tokens = False

    def fill(self, value: t.Any) -> t.Any:
        """*value* with this fake's origin and client id filled in."""
        return fill(value, base_url=self.base_url, client_id=self.client_id)

    def default_claims(self) -> dict[str, t.Any]:
        return self.fill(self.spec.claims or {})  # type: ignore[no-any-return]

    @property
    def profile(self) -> t.Any:
        """What the user endpoint of a plain OAuth 2.0 provider answers."""
        return self.answers[self.spec.paths_of()["userinfo_url"]]

    def entry(self, found_by: str | None = None, **overrides: t.Any) -> dict[str, t.Any]:
        """The spec's options, the client, and the fake's URLs: each URL of the
        spec (or, found by ``"base_url"``, the fake's origin); then *overrides*."""
        entry = {**self.spec.options, "client_id": self.client_id}
        if self.client_secret:
            entry["client_secret"] = self.client_secret
        if (found_by or self.spec.found_by) == "base_url":
            entry["base_url"] = self.base_url
        else:
            entry.update((key, self.url(path)) for key, path in self.spec.entry_urls().items())
        return {**entry, **overrides}

    # -- the token endpoint ------------------------------------------------------------

    def gives_refresh_token(self, grant: Grant) -> bool:
        asked = self.spec.refresh_if.items()
        return self.issues_refresh_tokens and all(grant.params.get(k) == v for k, v in asked)

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        spec = self.spec
        answer: dict[str, t.Any] = {"access_token": access_token, "token_type": spec.token_type}
        if self.expires_in is not None:
            answer["expires_in"] = self.expires_in
        if spec.scope_format is not None:
            scope = {"space": " ".join, "comma": ",".join, "list": list}[spec.scope_format]
            answer[spec.scope_key] = spec.granted_scope or scope(grant.scope)
        answer.update(self.token_fields)
        if self.issues_id_tokens and "openid" in grant.scope:
            answer["id_token"] = self.id_token(grant, access_token)
        needed = spec.access_token_scope
        if needed is not None and self.fill(needed) not in grant.scope:
            del answer["access_token"]
        return {**spec.envelope, **answer}

    def token_error_response(self, error: str, description: str, status: int) -> Response:
        spec = self.spec
        if spec.token_error is None:
            return super().token_error_response(error, description, status)
        answer = fill(spec.token_error, error=error, description=description)
        return json_response(answer, spec.token_error_status or status)

    # -- ID tokens, UserInfo and the API -------------------------------------------------

    def id_token_claims(self, grant: Grant) -> dict[str, t.Any]:
        return self._as_asked(dict(self.claims), grant, "id_token")

    def _as_asked(self, claims: dict[str, t.Any], grant: Grant, where: str) -> dict[str, t.Any]:
        if not self.spec.claims_on_request:
            return claims
        try:
            asked = json.loads(grant.params.get("claims", "{}")).get(where) or {}
        except ValueError:
            asked = {}
        return {key: value for key, value in claims.items() if key == "sub" or key in asked}

    def unauthorized(self) -> Response:
        """The provider's answer to an access token it does not know."""
        body, status = self.spec.unauthorized
        return json_response(body, status, {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    def _grant(self, request: Request) -> Grant | None:
        return None if self.reject_tokens else self.grant_for(request)

    def handle_userinfo(self, request: Request) -> Response:
        grant = self._grant(request)
        if grant is None:
            return self.unauthorized()
        said = self.spec.userinfo
        answer = self.fill(said) if said is not None else dict(self.claims)
        answer = self._as_asked(answer, grant, "userinfo")
        return json_response({**self.spec.envelope, **answer, **self.userinfo_overrides})

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {path: functools.partial(self.serve, path=path) for path in self.spec.resources}

    def serve(self, request: Request, path: str) -> Response:
        """Answer a call to the API at *path*, as :attr:`answers` says."""
        grant = self._grant(request)
        if grant is None:
            return self.unauthorized()
        resource = self.spec.resources[path]
        if resource.scope is not None and resource.scope not in grant.scope:
            return json_response(*resource.refusal)
        answer = self.answers[path]
        if isinstance(answer, Response):
            return answer
        if isinstance(answer, dict):
            hidden = resource.hidden
            answer = {
                k: v for k, v in answer.items() if k not in hidden or hidden[k] in grant.scope
            }
        return json_response(answer)


@functools.cache
def spec_fake_class(spec: ProviderSpec) -> type[SpecFake]:
    """The fake of *spec*: a class, so that a test session runs one of each."""
    paths = spec.paths_of()
    default = FakeProvider
    attributes = {
        "spec": spec,
        "client_id": spec.client_id,
        "client_secret": spec.client_secret,
        "client_auth": spec.client_auth,
        "authorize_path": paths.get("authorize_url", default.authorize_path),
        "token_path": paths.get("token_url", default.token_path),
        "jwks_path": paths.get("jwks_uri", default.jwks_path),
        "userinfo_path": paths.get("userinfo_url") if spec.oidc else None,
        "revocation_path": paths.get("revocation_url"),
        "discovery_path": paths.get("server_metadata_url"),
        "iss_parameter": spec.iss_parameter,
        "issues_id_tokens": spec.oidc,
        "require_pkce": spec.require_pkce,
        "expires_in": spec.expires_in,
        "issues_refresh_tokens": spec.refresh,
    }
    name = "Fake" + spec.name.title().replace("_", "")
    return types.new_class(name, (spec.fake or SpecFake,), {}, lambda ns: ns.update(attributes))


def spec_fake(spec: ProviderSpec) -> t.Callable[..., SpecFake]:
    """A fixture giving the fake of *spec*, as :func:`fake_provider` does."""
    return fake_provider(spec_fake_class(spec))
