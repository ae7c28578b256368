"""The shipped catalogs hold every string of the code, and nothing else.

``pybabel extract`` (Babel's own command line, with ``babel.cfg``) reads the
strings of the Python code and the templates; the template
``flask_oauth2login.pot`` and each language's ``.po`` must hold exactly those,
each translated, and each ``.mo`` must be what its ``.po`` compiles to.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from flask_oauth2login.pages.locale import DOMAIN, TRANSLATIONS

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["ar", "de", "es", "fr", "ja", "pt_BR"]
EXAMPLE = ROOT / "example_app" / "translations"
#: How to bring the catalogs up to date (babel.cfg says the same).
UPDATE = (
    "run: pybabel extract -F babel.cfg -k oauth2login_gettext -k oauth2login_ngettext:1,2 "
    "--no-location -w 100 -o flask_oauth2login/translations/flask_oauth2login.pot . && "
    "pybabel update -D flask_oauth2login -d flask_oauth2login/translations -w 100 "
    "-i flask_oauth2login/translations/flask_oauth2login.pot, translate, then "
    "pybabel compile -D flask_oauth2login -d flask_oauth2login/translations"
)


def message_ids(catalog: Catalog) -> set[str]:
    return {str(m.id) for m in catalog if m.id}


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def pybabel_extract(out: Path, mapping: Path, *keywords: str) -> Catalog:
    """The strings ``pybabel extract`` finds with the *mapping* file."""
    options = [arg for keyword in keywords for arg in ("-k", keyword)]
    CommandLineInterface().run(
        ["pybabel", "--quiet", "extract", "-F", str(mapping), *options, "-o", str(out), str(ROOT)]
    )
    return read(out)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The strings of the code and templates, as ``pybabel extract`` finds them."""
    out = tmp_path_factory.mktemp("extract") / "messages.pot"
    return pybabel_extract(
        out, ROOT / "babel.cfg", "oauth2login_gettext", "oauth2login_ngettext:1,2"
    )


@pytest.fixture(scope="module")
def example_extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    out = tmp_path_factory.mktemp("extract") / "example.pot"
    return pybabel_extract(out, ROOT / "example_app" / "babel.cfg")


def test_the_extraction_finds_the_strings_of_code_and_templates(extracted):
    ids = message_ids(extracted)
    assert "Log in with %(provider)s" in ids  # a template
    assert any(i.startswith("This login took too long") for i in ids)  # N_ in the code
    assert any(i.startswith("%(provider)s could not be reached") for i in ids)  # views
    assert not any("Development identity provider" in i for i in ids)  # devidp is not ours


def test_the_template_is_up_to_date(extracted):
    shipped = read(TRANSLATIONS / f"{DOMAIN}.pot")
    assert message_ids(shipped) == message_ids(extracted), UPDATE


def test_the_shipped_languages():
    found = sorted(p.parent.parent.name for p in TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    assert found == SHIPPED


@pytest.mark.parametrize("language", SHIPPED)
def test_each_catalog_translates_every_string_and_no_stale_one(extracted, language):
    check_catalog(TRANSLATIONS / language / "LC_MESSAGES" / f"{DOMAIN}.po", language, extracted)


def test_the_example_apps_template_is_up_to_date(example_extracted):
    shipped = read(EXAMPLE / "example_app.pot")
    assert message_ids(shipped) == message_ids(example_extracted), UPDATE
    assert "Choose how to sign in" in message_ids(shipped)


@pytest.mark.parametrize("language", SHIPPED)
def test_each_example_catalog_translates_every_string(example_extracted, language):
    folder = EXAMPLE / language / "LC_MESSAGES"
    check_catalog(folder / "example_app.po", language, example_extracted)
    compiled = io.BytesIO()
    write_mo(compiled, read(folder / "example_app.po", language))
    assert (folder / "example_app.mo").read_bytes() == compiled.getvalue(), UPDATE


def check_catalog(path: Path, language: str, extracted: Catalog) -> None:
    """*path* translates every string of *extracted*, and no other."""
    catalog = read(path, language)
    ids, wanted = message_ids(catalog), message_ids(extracted)
    assert not wanted - ids, f"{language} lacks {sorted(wanted - ids)}; {UPDATE}"
    assert not ids - wanted, f"{language} has stale strings {sorted(ids - wanted)}; {UPDATE}"
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: {message.id!r} is not translated"
        assert not message.fuzzy, f"{language}: {message.id!r} is fuzzy"
        if isinstance(message.id, tuple):
            assert len(strings) == catalog.num_plurals, f"{language}: {message.id!r}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, f"{language}: placeholders differ from the original: {problems}"


@pytest.mark.parametrize("language", SHIPPED)
def test_each_compiled_catalog_is_its_po_compiled(language):
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    compiled = io.BytesIO()
    write_mo(compiled, read(folder / f"{DOMAIN}.po", language))
    shipped = (folder / f"{DOMAIN}.mo").read_bytes()
    assert shipped == compiled.getvalue(), f"{language}: the .mo is older than its .po; {UPDATE}"
