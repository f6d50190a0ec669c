"""What a person wrote comes back translated with its links, e-mail addresses, numbers,
@handles, /commands and the bot's markup exactly as written, even when the provider mangles
or drops the placeholders; long texts are cut at sentence ends within the provider's limit and
joined back. Over real HTTP against both fakes."""

from __future__ import annotations

import json

import pytest

from bot.translation.protect import protect, restore
from bot.translation.split import TextLimit, join, split
from tests.support.fake_translation import (
    DEEPL_BODY_LIMIT,
    FakeDeepL,
    FakeLibreTranslate,
    FakeTranslationServer,
    translator_for,
    untranslated,
)

# A reference-group post as the bot keeps it: its own markup, escaped text, and everything
# that must not be translated.
POST = (
    '<b>Reunión del grupo</b> mañana a las 12:30 (sala 2.14), ver <a href="https://example.org/'
    'agenda?day=2&amp;lang=es">la agenda</a> o www.example.org/actas.\n\n'
    "Escribid a ana.maria+grupo@example.org o a @lucia_perez; para votar, /post 3 Sí. "
    "Presupuesto: 1.234,56 € y 1,234.56 USD, el 15% &amp; 2026-12-06. ¡Gracias!"
)
MUST_SURVIVE = (
    "<b>",
    "</b>",
    "12:30",
    "2.14",
    '<a href="https://example.org/agenda?day=2&amp;lang=es">',
    "</a>",
    "www.example.org/actas",
    "ana.maria+grupo@example.org",
    "@lucia_perez",
    "/post",
    "1.234,56",
    "1,234.56",
    "15%",
    "&amp;",
    "2026-12-06",
)


@pytest.fixture(params=["libretranslate", "deepl"])
def provider(
    request: pytest.FixtureRequest, fake_libretranslate: FakeLibreTranslate, fake_deepl: FakeDeepL
) -> FakeTranslationServer:
    return fake_deepl if request.param == "deepl" else fake_libretranslate


def test_protected_pieces_are_the_ones_that_must_survive() -> None:
    protected = protect(POST)
    assert set(MUST_SURVIVE) <= set(protected.pieces)
    assert "example.org" not in protected.text and "@" not in protected.text
    assert restore(protected.text, protected.pieces) == POST
    # Words around them are still there to translate; "and/or" is not a command.
    assert "Reunión del grupo" in protected.text
    assert protect("this and/or that").pieces == ()


async def test_a_post_full_of_links_and_markup_keeps_them_all(
    provider: FakeTranslationServer,
) -> None:
    async with translator_for(provider) as translator:
        result = await translator.translate(POST, "es", "fr")
    assert result.startswith("[fr] <b>Reunión del grupo</b>")
    assert "[fr] ¡Gracias!" in result
    assert untranslated(result) == POST
    for piece in MUST_SURVIVE:
        assert piece in result


async def test_placeholders_the_provider_spaced_out_are_still_found(
    provider: FakeTranslationServer,
) -> None:
    provider.placeholders = "spaced"
    async with translator_for(provider) as translator:
        result = await translator.translate(POST, "es", "en")
    assert untranslated(result) == POST


async def test_pieces_whose_placeholder_was_dropped_are_appended_not_lost(
    provider: FakeTranslationServer,
) -> None:
    provider.placeholders = "dropped"
    async with translator_for(provider) as translator:
        result = await translator.translate(POST, "es", "en")
    assert result.startswith("[en] Reunión del grupo")
    for piece in MUST_SURVIVE:
        assert piece in result
    assert "⟦" not in result


async def test_texts_with_nothing_to_translate_are_not_sent(
    provider: FakeTranslationServer,
) -> None:
    async with translator_for(provider) as translator:
        assert await translator.translate("https://example.org 12:30 @ana", "es", "en") == (
            "https://example.org 12:30 @ana"
        )
        assert await translator.translate("Hola.", "es", "es") == "Hola."
    assert provider.calls == []


SENTENCE = "La propuesta número {n} del grupo se vota mañana, gracias por leerla. "


async def test_a_long_text_is_cut_at_sentence_ends_within_the_limit(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    fake_libretranslate.char_limit = 300
    text = "".join(SENTENCE.format(n=n) for n in range(40)).strip() + "\n\nSaludos."
    async with translator_for(fake_libretranslate, char_limit=300) as translator:
        result = await translator.translate(text, "es", "en")
    calls = fake_libretranslate.of("translate")
    assert len(calls) >= len(text) // 300
    for call in calls:
        assert len(call.params["q"]) <= 300
        assert call.params["q"].endswith(".")  # whole sentences
    assert result.count("[en] La propuesta") == 40
    assert result.endswith("\n\n[en] Saludos.")
    assert untranslated(result) == text


async def test_a_text_over_deepls_request_limit_is_sent_in_pieces(fake_deepl: FakeDeepL) -> None:
    text = "".join(SENTENCE.format(n=n) for n in range(3000)).strip()
    assert len(text.encode()) > DEEPL_BODY_LIMIT
    async with translator_for(fake_deepl) as translator:
        result = await translator.translate(text, "es", "fr")
    calls = fake_deepl.of("translate")
    assert len(calls) == 2
    for call in calls:
        assert len(json.dumps(call.params, ensure_ascii=False).encode()) <= DEEPL_BODY_LIMIT
    assert untranslated(result) == text


def test_splitting_keeps_every_character_and_the_limit() -> None:
    text = "  Hola. ¿Qué tal? «Bien.» Y tú!\n\nUn enlace https://example.org/" + "a" * 80 + " fin."
    for size in (10, 25, 60, 1000):
        pieces = split(text, TextLimit(size))
        assert join(pieces) == text
        assert all(len(piece.text) <= size for piece in pieces)
    assert [piece.text for piece in split("Uno. Dos. Tres.", TextLimit(10))] == [
        "Uno. Dos.",
        "Tres.",
    ]


async def test_detection_reads_the_words_not_the_links(provider: FakeTranslationServer) -> None:
    async with translator_for(provider) as translator:
        assert await translator.detect("Hola, gracias por todo https://example.org/meeting") == (
            "es"
        )


def test_tags_a_provider_moved_leave_plain_words_and_the_links() -> None:
    text = '<b>Hola</b> mira <a href="https://example.org/a">esto</a> y <code>/post 3 hola</code>.'
    protected = protect(text)
    assert "<code>/post 3 hola</code>" in protected.pieces  # code is literal: kept whole
    # As a provider might answer: the bold's opening and closing tags swapped.
    swapped = protected.text.replace("⟦0⟧", "#").replace("⟦1⟧", "⟦0⟧").replace("#", "⟦1⟧")
    assert restore(swapped, protected.pieces) == (
        "Hola mira esto y <code>/post 3 hola</code>. https://example.org/a"
    )
    # The link's opening tag lost: its address is still there, the markup still valid.
    assert restore(protected.text.replace("⟦2⟧", ""), protected.pieces) == (
        "Hola mira esto y <code>/post 3 hola</code>. https://example.org/a"
    )
    # A closing tag lost is put at the end: valid, nothing lost.
    assert restore(protected.text.replace("⟦1⟧", ""), protected.pieces) == (
        '<b>Hola mira <a href="https://example.org/a">esto</a> y <code>/post 3 hola</code>. </b>'
    )
