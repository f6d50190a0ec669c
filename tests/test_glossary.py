"""One vocabulary: no French or Spanish catalog entry uses a term docs/glossary.md says to avoid."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from bot.paths import EVENTS, LOCALES
from tests.support.catalogs import texts

GLOSSARY = Path(__file__).resolve().parent.parent / "docs" / "glossary.md"
COLUMNS = ("concept", "en", "fr", "es", "avoid")
# A term is a whole word: not glued to a letter or digit, nor to the · or / of an inclusive form
# ("délégué" is avoided, "délégué·e" is not; "delegados" is, "delegados/as" is not).
WORD = r"[\w·/]"
COMMAND = re.compile(r"(?<![\w/])/\w+")
PLACEHOLDER = re.compile(r"\{\w*\}")
# A quoted literal (a file's keys, a button's name) is not prose.
QUOTED = re.compile(r"«[^»]*»|“[^”]*”")
# A word in capitals is a placeholder of a command's syntax (`/join ACTE [TOUR]`), not prose.
SYNTAX_WORD = re.compile(r"\w{2,}")
ADDRESSED = ("feminine", "masculine")  # msgctxt of a role label that agrees with its person


def fold(text: str) -> str:
    """Compare as a reader would: any case, with or without accents, any apostrophe or space."""
    text = PLACEHOLDER.sub("{}", text)
    text = text.replace("’", "'").replace("\u00a0", " ").replace("\u202f", " ")
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def glossary_rows(text: str) -> list[dict[str, str]]:
    rows = []
    for line in text.splitlines():
        if not line.startswith("|") or set(line) <= {"|", "-", " "}:
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if [cell.lower() for cell in cells] == list(COLUMNS):
            continue
        assert len(cells) == len(COLUMNS), f"glossary row with {len(cells)} cells: {line}"
        rows.append(dict(zip(COLUMNS, cells, strict=True)))
    return rows


def avoided_terms(rows: list[dict[str, str]]) -> dict[str, list[str]]:
    """{"fr": [...], "es": [...]} from cells such as "FR: conférence; ES: conferencia, congreso"."""
    terms: dict[str, list[str]] = {"fr": [], "es": []}
    for row in rows:
        for part in filter(None, (p.strip() for p in row["avoid"].split(";"))):
            language, _colon, words = part.partition(":")
            assert language.strip().lower() in terms, f"unknown language in {part!r}"
            terms[language.strip().lower()] += [w.strip() for w in words.split(",") if w.strip()]
    return terms


def preferred_terms(rows: list[dict[str, str]], language: str) -> list[str]:
    """The terms a language column recommends ("short: …" and "pl. …" notes dropped)."""
    terms = []
    for row in rows:
        for term in row[language].split(";"):
            term = re.sub(r"^\s*(short|pl\.|role label)\s*:?\s*", "", term.strip())
            term = re.sub(r"\s*\([^)]*\)", "", term).strip()
            if term:
                terms.append(term)
    return terms


def uses(text: str, term: str, preferred: list[str]) -> bool:
    """Whether `text` uses `term` as a whole word, outside a recommended term that contains it."""
    prose = SYNTAX_WORD.sub(lambda word: " " if word[0].isupper() else word[0], text)
    folded, wanted = fold(QUOTED.sub(" ", COMMAND.sub(" ", prose))), fold(term)
    for longer in preferred:
        if wanted in fold(longer) and wanted != fold(longer):
            folded = folded.replace(fold(longer), " ")
    pattern = rf"(?<!{WORD}){re.escape(wanted)}(?!{WORD})"
    return re.search(pattern, folded) is not None


def catalog_strings(language: str) -> list[tuple[str, str]]:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    found = []
    for message in catalog:
        # A named person's role as they wish to be addressed ("animateur" for a man) is not the
        # inclusive form the glossary asks for people we do not know.
        if not message.id or message.context in ADDRESSED:
            continue
        msgid = texts(message.id)[0]
        found += [(msgid, string) for string in texts(message.string) if string]
    return found


def test_the_glossary_covers_the_issue_s_concepts() -> None:
    rows = glossary_rows(GLOSSARY.read_text(encoding="utf-8"))
    concepts = " ".join(row["concept"].lower() for row in rows)
    for concept in (
        "global compact",
        "stocktaking",
        "civil society",
        "governments",
        "delegate",
        "youth delegate",
        "act table",
        "reference group",
        "facilitator",
        "rapporteur",
        "organisers",
        "session",
        "register",
    ):
        assert concept in concepts, f"the glossary has no row for {concept!r}"
    french = {row["concept"]: row["fr"] for row in rows}
    assert "Pacte mondial pour des migrations sûres, ordonnées et régulières" in " ".join(
        french.values()
    )
    assert any(value.startswith("séance") for value in french.values())


def test_the_matcher_finds_whole_words_only() -> None:
    preferred = ["liste de diffusion", "Pacto Mundial para la Migración Segura, Ordenada y Regular"]
    assert uses("La Conférence des gouvernements", "conférence des gouvernements", [])
    assert uses("la conference des gouvernements", "conférence des gouvernements", [])
    assert uses("Vos prochaines sessions", "sessions", [])
    assert not uses("Envoyez /session 3", "session", [])
    assert not uses("/broadcast table ACTE TOUR", "table Acte", [])  # a syntax placeholder
    assert uses("la table Acte 3", "table Acte", [])
    assert not uses("les clés « event » et « sessions »", "sessions", [])
    assert not uses("délégué·e·s jeunesse", "délégués", [])
    assert not uses("12 delegados/as", "delegados", [])
    assert not uses("cofacilitateurs", "facilitateur", [])
    assert not uses("la liste de diffusion", "diffusion", preferred)
    assert uses("Nouvelle diffusion", "diffusion", preferred)
    assert not uses(
        "el Pacto Mundial para la Migración Segura, Ordenada y Regular",
        "Pacto Mundial para la Migración",
        preferred,
    )
    assert uses("Renvoyer le n°{number}", "n°{number}", [])
    assert not uses("Renvoyer le n°\u00a0{number}", "n°{number}", [])


@pytest.mark.parametrize("language", ["fr", "es"])
def test_no_catalog_entry_uses_an_avoided_term(language: str) -> None:
    rows = glossary_rows(GLOSSARY.read_text(encoding="utf-8"))
    avoided = avoided_terms(rows)[language]
    assert avoided, f"the glossary avoids no {language} term"
    preferred = preferred_terms(rows, language)
    offenders = [
        f"{term!r} in {msgid!r} → {string!r}"
        for msgid, string in catalog_strings(language)
        for term in avoided
        if uses(string, term, preferred)
    ]
    assert offenders == [], f"{len(offenders)} avoided terms in {language}:\n" + "\n".join(
        offenders
    )


def demo_texts(language: str) -> list[tuple[str, str]]:
    """Every text of the demo programme and survey in `language`: (where, text)."""
    found: list[tuple[str, str]] = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == language and isinstance(value, str):
                    found.append((where, value))
                else:
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}[{index}]")

    for path in (EVENTS / "puerto-vallarta-2017.yaml", EVENTS / "puerto-vallarta-2017-survey.yaml"):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
    return found


@pytest.mark.parametrize("language", ["fr", "es"])
def test_the_demo_programme_and_survey_use_no_avoided_term(language: str) -> None:
    rows = glossary_rows(GLOSSARY.read_text(encoding="utf-8"))
    preferred = preferred_terms(rows, language)
    texts = demo_texts(language)
    assert len(texts) > 100  # the demo's texts were found
    offenders = [
        f"{term!r} in {where}: {text!r}"
        for where, text in texts
        for term in avoided_terms(rows)[language]
        if uses(text, term, preferred)
    ]
    assert offenders == [], f"{len(offenders)} avoided terms in {language}:\n" + "\n".join(
        offenders
    )
