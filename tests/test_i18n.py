"""Every text in three languages: complete catalogs, same placeholders, catalogs that compile."""

from __future__ import annotations

import re
import subprocess
from io import BytesIO

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.paths import LOCALES
from bot.text.i18n import LANGUAGES, _, choose_language, lazy_gettext, negotiate, use_language
from tests.support.catalogs import texts

PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _catalog(language: str) -> Catalog:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def _template() -> Catalog:
    with (LOCALES / "messages.pot").open("rb") as pot:
        return read_po(pot)


@pytest.mark.parametrize("language", ["fr", "es"])
def test_every_catalogued_text_is_translated(language: str) -> None:
    catalog = _catalog(language)
    template_ids = {message.id for message in _template() if message.id}
    translated = {message.id for message in catalog if message.id and message.string}
    assert template_ids - translated == set(), "texts without a translation"
    assert [m.id for m in catalog if m.fuzzy and m.id] == [], "fuzzy translations"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_the_same_in_msgid_and_msgstr(language: str) -> None:
    for message in _catalog(language):
        if not message.id or not any(texts(message.string)):
            continue
        ids = texts(message.id)
        for string in texts(message.string):
            assert sorted(PLACEHOLDER.findall(ids[0])) == sorted(PLACEHOLDER.findall(string)), (
                f"{language}: {message.id!r} → {string!r}"
            )


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogs_compile(language: str) -> None:
    catalog = _catalog(language)
    assert list(catalog.check()) == [] or all(not errors for _m, errors in catalog.check())
    write_mo(BytesIO(), catalog)
    result = subprocess.run(
        [
            "msgfmt",
            "--check",
            "-o",
            "/dev/null",
            str(LOCALES / language / "LC_MESSAGES" / "messages.po"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_template_holds_every_text_of_the_code() -> None:
    """A text added to the code but not extracted (`make locales`) would stay in English."""
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
    extracted = set()
    for folder in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            LOCALES.parent / folder, method_map=[("**.py", "python")], keywords=keywords
        ):
            extracted.add(message[0] if isinstance(message, tuple) else message)
    template = {m.id[0] if isinstance(m.id, tuple) else m.id for m in _template() if m.id}
    assert extracted == template


def test_platform_codes_are_negotiated_to_a_supported_language() -> None:
    assert negotiate("fr-CA") == "fr"
    assert negotiate("es_419") == "es"
    assert negotiate("en-GB") == "en"
    assert negotiate("pt-BR") is None
    assert negotiate("not a code") is None
    assert negotiate(None) is None


def test_explicit_choice_beats_platform_code_which_beats_the_event_default() -> None:
    assert choose_language("es", "fr-CA", "en") == "es"
    assert choose_language(None, "fr-CA", "en") == "fr"
    assert choose_language(None, "de-DE", "es") == "es"
    assert choose_language(None, None, "xx") == "en"


def test_each_reader_gets_their_own_language_and_lazy_texts_follow() -> None:
    label = lazy_gettext("this list")
    with use_language("fr"):
        assert _("Earlier") == "Précédent"
        assert str(label) == "cette liste"
        with use_language("es"):
            assert str(label) == "esta lista"
        assert str(label) == "cette liste"
    assert str(label) == "this list"
