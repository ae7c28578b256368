"""The language of the pages a person sees, and the words, dates and numbers in it.

The language of a request is chosen once (:func:`current_locale`): the app's
Flask-Babel locale selector when the app has one, else the browser's
``Accept-Language`` negotiated against the catalogs at hand, else English.
The extension's strings live in their own gettext domain,
``flask_oauth2login`` (:data:`DOMAIN`), in ``flask_oauth2login/translations/``
and in the app's ``OAUTH2LOGIN_TRANSLATION_DIRECTORIES`` (searched first), so
an app's own catalogs never clash with them. Messages are written in English
in the code, marked with :func:`N_` or passed to :func:`gettext`, and
``pybabel extract`` finds them (``babel.cfg``).

:func:`install` gives an app's templates what the pages use:
``oauth2login_gettext``, ``oauth2login_ngettext``, ``oauth2login_language()``
(its ``tag`` for ``<html lang>`` and its ``dir``), the name of the base template
(``oauth2login_base_template``), and the filters ``oauth2login_datetime``
and ``oauth2login_number``.
"""

from __future__ import annotations

import datetime as dt
import os
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, UnknownLocaleError, dates, numbers
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, has_request_context, request
from markupsafe import Markup

from ..errors import N_ as N_

#: The gettext domain of the extension's strings.
DOMAIN = "flask_oauth2login"
#: The shipped catalogs: ``<language>/LC_MESSAGES/flask_oauth2login.po`` and ``.mo``.
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
#: The language the strings are written in, and the last resort.
ENGLISH = Locale("en")
#: Where :func:`install` keeps an app's :class:`Languages`, under ``app.extensions``.
EXTENSION_KEY = "oauth2login_languages"
#: Where a request keeps its language once chosen.
_ENVIRON_KEY = "oauth2login.locale"
#: The most preferences of ``Accept-Language`` looked at.
MAX_PREFERENCES = 12
#: The default ``format`` of :func:`format_datetime`.
DATETIME_FORMAT = "long"


class Language(t.NamedTuple):
    """The language of a page, as its HTML needs it."""

    #: The BCP 47 tag for ``lang``, e.g. ``"pt-BR"``.
    tag: str
    #: ``"rtl"`` or ``"ltr"``, for ``dir``.
    dir: str
    locale: Locale


@dataclass
class Languages:
    """One app's catalogs of the extension's domain: its own folders first, then ours."""

    #: The folders searched, in order.
    directories: tuple[Path, ...]
    #: The template the pages extend (``OAUTH2LOGIN_BASE_TEMPLATE``).
    base_template: str = "oauth2login/base.html"
    #: The languages a catalog exists for, English first.
    available: tuple[Locale, ...] = field(init=False)
    _cache: dict[str, NullTranslations] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        found = [ENGLISH]
        for directory in self.directories:
            for name in sorted(os.listdir(directory)) if directory.is_dir() else ():
                if not (directory / name / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file():
                    continue
                try:
                    locale = Locale.parse(name)
                except (ValueError, UnknownLocaleError):
                    continue
                if locale not in found:
                    found.append(locale)
        self.available = tuple(found)

    def translations(self, locale: Locale) -> NullTranslations:
        """The catalog of *locale*: each folder's, the earlier ones first."""
        key = str(locale)
        found = self._cache.get(key)
        if found is None:
            found = NullTranslations()
            for directory in reversed(self.directories):
                loaded = Translations.load(str(directory), [locale], DOMAIN)
                if not isinstance(loaded, Translations):
                    continue  # no catalog of that language there
                loaded.add_fallback(found)
                found = loaded
            self._cache[key] = found
        return found


def install(app: Flask, base_template: str, directories: t.Sequence[str] = ()) -> None:
    """Give *app*'s templates the extension's words and formats.

    :param directories: the app's own folders of catalogs, relative to its root.
    """
    folders = tuple(Path(app.root_path, d) for d in directories) + (TRANSLATIONS,)
    app.extensions[EXTENSION_KEY] = Languages(folders, base_template)
    app.jinja_env.globals.update(
        oauth2login_gettext=template_gettext,
        oauth2login_ngettext=template_ngettext,
        oauth2login_language=current_language,
        oauth2login_base_template=base_template,
    )
    app.jinja_env.filters.update(
        oauth2login_datetime=format_datetime,
        oauth2login_number=format_number,
    )


def negotiate(preferred: t.Iterable[str], available: t.Sequence[Locale]) -> Locale | None:
    """The first of *preferred* (language tags, best first) that one of
    *available* speaks: the same language and region, else the same language
    (``de-AT`` gets ``de``, ``pt`` gets ``pt_BR``)."""
    for tag in preferred:
        wanted = _parse_tag(tag)
        if wanted is None:
            continue
        for locale in available:
            if (locale.language, locale.territory, locale.script) == (
                wanted.language,
                wanted.territory,
                wanted.script,
            ):
                return locale
        same_language = [locale for locale in available if locale.language == wanted.language]
        if same_language:
            # The plain language first (``fr`` rather than ``fr_CA``).
            return min(same_language, key=lambda locale: locale.territory is not None)
    return None


def _parse_tag(tag: str) -> Locale | None:
    """The locale of the language tag *tag*, else of its language, script
    and region alone (``ar-EG-u-nu-latn`` is ``ar_EG``, ``ja-JP-mac`` is
    ``ja_JP``); ``None`` when no such locale exists."""
    subtags = tag.replace("_", "-").split("-")
    for candidate in (subtags, subtags[:3], subtags[:2], subtags[:1]):
        try:
            return Locale.parse("_".join(candidate))
        except (ValueError, TypeError, UnknownLocaleError):
            continue
    return None


def current_locale() -> Locale:
    """The language of this request's pages (English outside a request)."""
    if not has_request_context():
        return ENGLISH
    chosen: Locale | None = request.environ.get(_ENVIRON_KEY)
    if chosen is None:
        chosen = negotiate(_preferred(), _languages().available) or ENGLISH
        request.environ[_ENVIRON_KEY] = chosen
    return chosen


def current_language() -> Language:
    """This request's language, for ``<html lang>`` and ``dir``."""
    locale = current_locale()
    return Language(str(locale).replace("_", "-"), locale.text_direction, locale)


def gettext(message: str, **variables: t.Any) -> str:
    """*message* in this request's language, with ``%(name)s`` filled from *variables*."""
    translated = _translations().gettext(message)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, n: int, **variables: t.Any) -> str:
    """The form of *singular* or *plural* for *n* in this request's language;
    ``%(num)s`` is *n*, formatted for the language."""
    translated = _translations().ngettext(singular, plural, n)
    return translated % {"num": format_number(n), **variables}


def template_gettext(message: str, **variables: t.Any) -> Markup:
    """:func:`gettext` for templates: the catalog's text is trusted, the
    *variables* are escaped."""
    # The catalogs are the extension's and the app's own, trusted as templates are.
    translated = Markup(_translations().gettext(message))  # noqa: S704
    return translated % variables if variables else translated


def template_ngettext(singular: str, plural: str, n: int, **variables: t.Any) -> Markup:
    """:func:`ngettext` for templates, escaping the *variables*."""
    translated = Markup(_translations().ngettext(singular, plural, n))  # noqa: S704
    return translated % {"num": format_number(n), **variables}


def is_translated(message: str) -> bool:
    """Whether this request's language has its own words for *message*
    (always, for English)."""
    locale = current_locale()
    return locale.language == "en" or _translations().gettext(message) != message


def format_datetime(value: dt.datetime | float, format: str = DATETIME_FORMAT) -> str:
    """*value* (a datetime, or seconds since the epoch) as this request's
    language writes it, in the app's Flask-Babel time zone, else in UTC.

    :param format: ``"short"``, ``"medium"``, ``"long"``, ``"full"``, or a
        Babel date pattern.
    """
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromtimestamp(float(value), dt.UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return dates.format_datetime(value, format, tzinfo=_timezone(), locale=current_locale())


def format_number(value: float) -> str:
    """*value* with this request's language's digits and separators."""
    return numbers.format_decimal(value, locale=current_locale())


def _languages() -> Languages:
    found = current_app.extensions.get(EXTENSION_KEY)
    if found is None:  # an app the extension is not installed in
        found = current_app.extensions[EXTENSION_KEY] = Languages((TRANSLATIONS,))
    return t.cast(Languages, found)


def _translations() -> NullTranslations:
    locale = current_locale()
    if not has_request_context():
        return NullTranslations()
    return _languages().translations(locale)


def _preferred() -> list[str]:
    """The languages this request asks for, best first: the app's
    Flask-Babel selector's choice, else ``Accept-Language``."""
    babel = current_app.extensions.get("babel")
    if babel is not None and getattr(babel, "locale_selector", None) is not None:
        import flask_babel

        chosen = flask_babel.get_locale()
        return [str(chosen)] if chosen is not None else []
    asked = [tag for tag, quality in request.accept_languages if quality > 0 and tag != "*"]
    return asked[:MAX_PREFERENCES]


def _timezone() -> dt.tzinfo:
    if has_request_context() and "babel" in current_app.extensions:
        import flask_babel

        zone = flask_babel.get_timezone()
        if zone is not None:
            return t.cast(dt.tzinfo, zone)
    return dt.UTC
