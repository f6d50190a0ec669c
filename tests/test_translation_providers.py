"""Each provider over real HTTP, against fakes as strict as LibreTranslate and DeepL: the
requests they make, what they answer, and their refusals turned into TranslationUnavailable."""

from __future__ import annotations

import pytest

from bot.translation.deepl import DeepL
from bot.translation.libretranslate import LibreTranslate
from bot.translation.provider import TranslationUnavailable, Translator
from tests.support.fake_translation import (
    DEEPL_KEY,
    LIBRE_KEY,
    FakeDeepL,
    FakeLibreTranslate,
    translator_for,
)

SPANISH = "Hola a todos. Gracias por la reunión de mañana."


def _as_translator(translator: Translator) -> Translator:
    """Both providers satisfy the interface tflow's code is written against (mypy checks)."""
    return translator


async def test_libretranslate_translates_with_the_documented_request(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    async with translator_for(fake_libretranslate) as translator:
        assert translator.name == "libretranslate"
        result = await translator.translate(SPANISH, "es", "fr")
    assert result == "[fr] Hola a todos. [fr] Gracias por la reunión de mañana."
    [call] = fake_libretranslate.of("translate")
    assert call.params == {
        "q": SPANISH,
        "source": "es",
        "target": "fr",
        "format": "text",
        "api_key": LIBRE_KEY,
    }


async def test_libretranslate_detects_and_says_when_it_is_unsure(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    async with translator_for(fake_libretranslate) as translator:
        assert await translator.detect(SPANISH) == "es"
        assert await translator.detect("Bonjour, merci pour la réunion") == "fr"
        assert await translator.detect("Xq zzv wmm") is None
        # A link alone has no language: nothing is sent.
        assert await translator.detect("https://example.org/agenda") is None
    assert len(fake_libretranslate.of("detect")) == 3


async def test_a_server_without_keys_gets_none(fake_libretranslate: FakeLibreTranslate) -> None:
    fake_libretranslate.api_key = None
    provider = LibreTranslate(fake_libretranslate.url)
    try:
        assert await _as_translator(provider).translate("Hello.", "en", "es") == "[es] Hello."
    finally:
        await provider.close()
    assert "api_key" not in fake_libretranslate.of("translate")[0].params


@pytest.mark.parametrize("provider", ["libretranslate", "deepl"])
async def test_a_refused_key_fails_at_once_without_retrying(
    provider: str, fake_libretranslate: FakeLibreTranslate, fake_deepl: FakeDeepL
) -> None:
    server = fake_deepl if provider == "deepl" else fake_libretranslate
    async with translator_for(server, api_key="wrong-key") as translator:
        with pytest.raises(TranslationUnavailable, match="403"):
            await translator.translate(SPANISH, "es", "en")
    assert [call.method for call in server.calls] == ["refused"]


async def test_a_language_the_server_lacks_is_refused_once(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    async with translator_for(fake_libretranslate) as translator:
        with pytest.raises(TranslationUnavailable, match="400"):
            await translator.translate(SPANISH, "es", "sw")
        assert await translator.translate(SPANISH, "es", "en") == (
            "[en] Hola a todos. [en] Gracias por la reunión de mañana."
        )
    assert [call.method for call in fake_libretranslate.calls] == ["refused", "translate"]


async def test_deepl_translates_with_its_key_and_upper_case_languages(
    fake_deepl: FakeDeepL,
) -> None:
    async with translator_for(fake_deepl) as translator:
        assert translator.name == "deepl"
        assert await translator.translate(SPANISH, "es", "en") == (
            "[en] Hola a todos. [en] Gracias por la reunión de mañana."
        )
        assert await translator.translate("Hello.", "en", "fr") == "[fr] Hello."
    first, second = fake_deepl.of("translate")
    # English as a target is British English: plain "EN" is deprecated.
    assert first.params == {"text": [SPANISH], "target_lang": "EN-GB", "source_lang": "ES"}
    assert second.params == {"text": ["Hello."], "target_lang": "FR", "source_lang": "EN"}


async def test_deepl_detects_through_a_translation(fake_deepl: FakeDeepL) -> None:
    provider = DeepL(DEEPL_KEY, fake_deepl.url)
    try:
        assert await _as_translator(provider).detect(SPANISH) == "es"
    finally:
        await provider.close()
    [call] = fake_deepl.of("translate")
    assert "source_lang" not in call.params


async def test_a_server_that_is_down_makes_the_translation_unavailable() -> None:
    server = FakeLibreTranslate()
    await server.start()
    await server.stop()  # its port now refuses connections
    async with translator_for(server) as translator:
        with pytest.raises(TranslationUnavailable):
            await translator.translate(SPANISH, "es", "en")
