"""The one table of a provider entry's settings: each key with its parser, its
default and its line of documentation.

A :class:`Setting` row says everything about one key: how its value is
checked (:mod:`~flask_oauth2login.config.parsers`), what it is when the entry
does not give it (a value, the preset's field of that name, or a function of
the preset and the provider's name), and the line that documents it.
:func:`~flask_oauth2login.config.provider.load_provider` is driven by
:data:`PROVIDER_SETTINGS`; the app-wide ``OAUTH2LOGIN_*`` keys have a table of
the same rows, :data:`~flask_oauth2login.config.settings.APP_SETTINGS`. The
configuration reference (:func:`~flask_oauth2login.config.markdown.reference`)
and ``flask oauth2login check`` read both.
"""

from __future__ import annotations

import difflib
import typing as t
from dataclasses import dataclass

from ..providers.base import Preset
from . import parsers


@dataclass(frozen=True)
class Setting:
    """One configuration key: how it is read, its default and what it means."""

    #: The key: ``"scope"`` in a provider entry, ``"HTTP_TIMEOUT"`` for
    #: ``OAUTH2LOGIN_HTTP_TIMEOUT``.
    name: str
    #: What it does, one line of Markdown for the configuration reference.
    doc: str
    #: Checks a value and returns it in its final form.
    parse: parsers.Parser = parsers.as_is
    #: Its value when none is given: a value, or (provider settings) a
    #: function of the preset and the provider's name.
    default: t.Any = None
    #: Provider settings: the :class:`~flask_oauth2login.providers.Preset`
    #: field whose value is the default.
    preset_field: str | None = None
    #: How the reference shows a default that is decided later (by discovery,
    #: by each request) or by a rule; ``{field}`` shows the default of the
    #: preset's *field*. ``None``: the default itself, or the preset's field.
    shown: str | None = None
    #: Provider settings: whether ``OAUTH2LOGIN_<NAME>_<KEY>``, in the app's
    #: config or the environment, may give it when the entry does not.
    from_environ: bool = False

    def default_for(self, preset: Preset, provider: str) -> t.Any:
        """The value of a provider setting that the entry of *provider*,
        resolved to *preset*, does not give (a copy, if a mapping)."""
        if self.preset_field is not None:
            value = getattr(preset, self.preset_field)
            return dict(value) if isinstance(value, t.Mapping) else value
        if callable(self.default):
            return self.default(preset, provider)
        return self.default


def table(*settings: Setting) -> dict[str, Setting]:
    """Settings by name, in the order given (the order they are checked and
    documented in)."""
    return {setting.name: setting for setting in settings}


def nearest(name: str, names: t.Iterable[str]) -> str | None:
    """The one of *names* that *name* is most likely a misspelling of, if any."""
    matches = difflib.get_close_matches(name, list(names), n=1, cutoff=0.75)
    return matches[0] if matches else None


def _resolved(preset: Preset, provider: str) -> Preset:
    """``preset``: ``load_provider`` takes the name out of the entry and resolves it."""
    return preset


def _title(preset: Preset, provider: str) -> str:
    """The generic preset's title names no provider: the entry's name does."""
    return preset.title if preset.name != "oidc" else provider.replace("_", " ").title()


_URL = parsers.optional(parsers.url)

#: The keys of a provider entry, each a field of
#: :class:`~flask_oauth2login.config.provider.ProviderConfig`.
PROVIDER_SETTINGS: dict[str, Setting] = table(
    Setting(
        "preset",
        "which preset to start from: built in, from an installed package, or registered in "
        "code (see Presets of your own)",
        default=_resolved,
        shown='the entry\'s name if it is a preset, else `"oidc"`',
    ),
    Setting(
        "title",
        "the name on buttons and pages",
        parsers.string,
        default=_title,
        shown="the preset's `title` (for `oidc`: the entry's name, titled)",
    ),
    Setting(
        "client_id",
        "the client id the provider gave you",
        shown="(required)",
        from_environ=True,
    ),
    Setting(
        "client_secret",
        "the client secret",
        shown='(required, unless `token_endpoint_auth_method` is `"none"` or '
        '`"private_key_jwt"`, or the preset builds it)',
        from_environ=True,
    ),
    Setting(
        "server_metadata_url",
        "the OpenID Connect discovery document",
        _URL,
        preset_field="server_metadata_url",
        shown="{server_metadata_url}, else `issuer` + `/.well-known/openid-configuration`",
    ),
    Setting(
        "issuer",
        "the issuer ID tokens must name; discovery metadata naming another is refused",
        parsers.optional(parsers.absolute_url),
        preset_field="issuer",
        shown="{issuer}, else from discovery",
    ),
    Setting(
        "authorize_url",
        "the authorization endpoint; needed by hand without discovery",
        _URL,
        preset_field="authorize_url",
        shown="{authorize_url}, else from discovery",
    ),
    Setting(
        "token_url",
        "the token endpoint; needed by hand without discovery",
        _URL,
        preset_field="token_url",
        shown="{token_url}, else from discovery",
    ),
    Setting(
        "userinfo_url",
        "the UserInfo (or current user) endpoint",
        _URL,
        preset_field="userinfo_url",
        shown="{userinfo_url}, else from discovery",
    ),
    Setting(
        "jwks_uri",
        "the keys that sign ID tokens; needed by hand for OpenID Connect without discovery",
        _URL,
        preset_field="jwks_uri",
        shown="{jwks_uri}, else from discovery",
    ),
    Setting(
        "revocation_url",
        "RFC 7009 token revocation, used by `POST /logout`",
        _URL,
        preset_field="revocation_url",
        shown="{revocation_url}, else from discovery",
    ),
    Setting(
        "redirect_uri",
        "pin this provider's redirect URI",
        _URL,
        shown="from each request (see `OAUTH2LOGIN_EXTERNAL_URL`)",
    ),
    Setting(
        "scope",
        "what every login asks for: a space-separated string or a list; `openid` in it "
        "makes the login OpenID Connect",
        parsers.scope,
        preset_field="scope",
        shown="{scope}; none for an `oidc` entry with endpoints by hand and no `issuer`",
    ),
    Setting(
        "allowed_scopes",
        "scopes a login may ask for on demand, besides `scope` (`/login/<name>?scope=...`, "
        "`oauth.login_url(name, scope=...)`, `@login_required(name, scope=...)`); any other "
        "scope in a login link answers 400",
        parsers.scope_tokens,
        default=(),
    ),
    Setting(
        "authorize_params",
        'extra query parameters of the authorization request, e.g. `{"prompt": "select_account"}`',
        parsers.mapping,
        preset_field="authorize_params",
    ),
    Setting(
        "token_endpoint_auth_method",
        'how the app authenticates at the token endpoint: `"client_secret_basic"`, '
        '`"client_secret_post"`, `"private_key_jwt"`, `"client_secret_jwt"`, or `"none"` '
        "for a public client (see High-security providers)",
        parsers.auth_method,
        preset_field="token_endpoint_auth_method",
    ),
    Setting(
        "client_private_key",
        "`private_key_jwt`: the app's private key, PEM text or the path of a PEM file (RSA "
        "of 2048 bits or more, or EC P-256/384/521)",
        parsers.optional(parsers.private_key),
        from_environ=True,
    ),
    Setting(
        "client_key_id",
        "`private_key_jwt`: the key's `kid` as registered with the provider",
        parsers.optional(parsers.key_id),
        shown="the key's RFC 7638 thumbprint",
    ),
    Setting(
        "client_assertion_audience",
        "`aud` of `private_key_jwt` and `client_secret_jwt` assertions: the provider's "
        '`"issuer"`, or the URL of the `"endpoint"` called',
        parsers.assertion_audience,
        preset_field="client_assertion_audience",
    ),
    Setting(
        "pushed_authorization_requests",
        'RFC 9126 PAR. `"auto"`: when the provider\'s metadata says '
        "`require_pushed_authorization_requests`; `True`: always; `False`: never",
        parsers.par,
        default="auto",
    ),
    Setting(
        "dpop",
        "RFC 9449: bind the tokens to the app's DPoP key",
        parsers.flag,
        default=False,
    ),
    Setting(
        "id_token_algorithms",
        "allowed ID token signature algorithms; HMAC (`HS256`...) only when listed here",
        parsers.optional(parsers.algorithms),
        shown="from the provider's metadata (asymmetric only), else the preset's: "
        "{id_token_algorithms}",
    ),
    Setting(
        "trusted_audiences",
        "audiences besides the client id an ID token may name",
        parsers.audiences,
        default=(),
    ),
    Setting(
        "token_placement",
        '`"query"` for APIs that want the token as a query parameter',
        parsers.token_placement,
        preset_field="token_placement",
    ),
    Setting(
        "api_headers",
        "extra headers on API calls; `{client_id}` is replaced",
        parsers.mapping,
        preset_field="api_headers",
    ),
    Setting(
        "api_base_url",
        "base of relative URLs given to `oauth.session(name)`",
        _URL,
        preset_field="api_base_url",
    ),
    Setting(
        "api_origins",
        "more origins (`https://host`) `oauth.session(name)` may send the user's token to; "
        "the origin of `api_base_url` always may, any other never",
        parsers.origins,
        preset_field="api_origins",
    ),
    Setting(
        "user_map",
        'where each user field is in the provider\'s answer, as dotted paths: `{"sub": "id", '
        '"email": "emails.0.value"}`, over the preset\'s field by field (see Profile mapping '
        "in configuration)",
        parsers.user_map,
        preset_field="user_map",
    ),
    Setting(
        "user_agent",
        "the `User-Agent` of every call to this provider",
        parsers.optional(parsers.user_agent),
        shown="requests' own (`reddit`: made from the client id)",
    ),
    Setting(
        "fetch_userinfo",
        'when a login calls the UserInfo endpoint. `"auto"`: OpenID Connect only when the ID '
        "token lacks a claim the user needs that an asked scope promises (`email`, "
        "`email_verified` for `email`; `name`, `picture` for `profile`), so a complete ID "
        "token means one call to the provider, the token request; plain OAuth 2.0 always "
        "(its only source). `True`: always; `False`: never. Nothing is called without a "
        "UserInfo endpoint; its answer must name the ID token's `sub`",
        parsers.fetch_userinfo,
        preset_field="fetch_userinfo",
    ),
    Setting(
        "frontchannel_logout",
        "accept the provider's front-channel logout (`GET /frontchannel-logout/<name>`, framed "
        "by its logout page), when it advertises it with `sid` and does not send logout "
        "tokens (`backchannel_logout`, else as it advertises); only iframe navigations "
        "(`Sec-Fetch-Dest: iframe`) are accepted (see Security options)",
        parsers.flag,
        default=False,
    ),
    Setting(
        "logout_at_provider",
        "`POST /logout` also logs out at the provider, when it has an "
        "`end_session_endpoint` (see [Logout](#logout))",
        parsers.flag,
        preset_field="logout_at_provider",
    ),
    Setting(
        "backchannel_logout",
        "whether the provider sends logout tokens to `/backchannel-logout/<name>`, so that "
        "its logins are filed in the logout index (see [Logout](#logout)): `True` for a "
        "provider that sends them without advertising it, `False` for one that never does",
        parsers.optional(parsers.flag),
        shown="as discovery advertises (`backchannel_logout_supported`)",
    ),
)

#: The settings ``OAUTH2LOGIN_<NAME>_<KEY>`` may give (besides the preset's options).
FROM_ENVIRON = tuple(name for name, setting in PROVIDER_SETTINGS.items() if setting.from_environ)
