"""Which translation service the bot uses, read from the environment: none means no
translation (today's behaviour); a wrong setting is refused with one sentence naming it, never
its value; the keys are redacted from the logs."""

from __future__ import annotations

import logging

import pytest

from bot.app.cli import _secrets_in_environment
from bot.config import ConfigurationError
from bot.logs import RedactSecrets
from bot.translation.deepl import FREE_URL, PRO_URL
from bot.translation.settings import TranslationSettings, build_translator
from tests.support.fake_translation import QUICK, FakeLibreTranslate

NAMES = (
    "TRANSLATE_URL",
    "TRANSLATE_API_KEY",
    "TRANSLATE_CHAR_LIMIT",
    "TRANSLATE_DEADLINE",
    "TRANSLATE_CONCURRENCY",
    "DEEPL_API_KEY",
    "DEEPL_URL",
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_no_service_configured_means_no_translation(env: pytest.MonkeyPatch) -> None:
    assert TranslationSettings.from_env() is None


def test_a_libretranslate_server(env: pytest.MonkeyPatch) -> None:
    env.setenv("TRANSLATE_URL", "http://translate.internal:5000/")
    env.setenv("TRANSLATE_API_KEY", "k-123456")
    env.setenv("TRANSLATE_DEADLINE", "15")
    settings = TranslationSettings.from_env()
    assert settings == TranslationSettings(
        provider="libretranslate",
        url="http://translate.internal:5000",
        api_key="k-123456",
        deadline=15,
        concurrency=4,
        char_limit=5000,
    )
    assert "k-123456" not in repr(settings)


@pytest.mark.parametrize(
    ("key", "url"),
    [("0123-abcd:fx", FREE_URL), ("0123-abcd", PRO_URL)],
)
def test_deepl_uses_the_free_host_for_free_keys(
    env: pytest.MonkeyPatch, key: str, url: str
) -> None:
    env.setenv("DEEPL_API_KEY", key)
    settings = TranslationSettings.from_env()
    assert settings is not None
    assert (settings.provider, settings.url, settings.api_key) == ("deepl", url, key)
    assert key not in repr(settings)


def test_deepl_url_can_point_elsewhere(env: pytest.MonkeyPatch) -> None:
    env.setenv("DEEPL_API_KEY", "0123-abcd:fx")
    env.setenv("DEEPL_URL", "http://127.0.0.1:8999")
    settings = TranslationSettings.from_env()
    assert settings is not None and settings.url == "http://127.0.0.1:8999"


@pytest.mark.parametrize(
    ("settings", "named", "rule"),
    [
        (
            {"TRANSLATE_URL": "http://t.example.org", "DEEPL_API_KEY": "k:fx"},
            "TRANSLATE_URL and DEEPL_API_KEY are both set",
            "keep the one service",
        ),
        ({"TRANSLATE_API_KEY": "k"}, "TRANSLATE_URL is not", "which LibreTranslate server"),
        ({"TRANSLATE_URL": "translate.example.org"}, "TRANSLATE_URL", "http:// or https://"),
        ({"TRANSLATE_URL": "ftp://t.example.org"}, "TRANSLATE_URL", "http:// or https://"),
        ({"DEEPL_API_KEY": "k", "DEEPL_URL": "api.deepl"}, "DEEPL_URL", "http:// or https://"),
        (
            {"TRANSLATE_URL": "http://t.example.org", "TRANSLATE_DEADLINE": "0"},
            "TRANSLATE_DEADLINE",
            "from 1 to 600",
        ),
        (
            {"DEEPL_API_KEY": "k", "TRANSLATE_CONCURRENCY": "many"},
            "TRANSLATE_CONCURRENCY",
            "from 1 to 64",
        ),
        (
            {"TRANSLATE_URL": "http://t.example.org", "TRANSLATE_CHAR_LIMIT": "٥٠٠٠"},
            "TRANSLATE_CHAR_LIMIT",
            "from 100 to 1000000",
        ),
    ],
)
def test_a_wrong_setting_is_one_sentence_naming_it(
    env: pytest.MonkeyPatch, settings: dict[str, str], named: str, rule: str
) -> None:
    for name, value in settings.items():
        env.setenv(name, value)
    with pytest.raises(ConfigurationError) as refused:
        TranslationSettings.from_env()
    message = str(refused.value)
    assert named in message and rule in message
    for name, value in settings.items():
        if name.endswith("_KEY"):
            assert value not in message.replace(name, "")


def test_the_keys_are_redacted_from_the_logs(env: pytest.MonkeyPatch) -> None:
    env.setenv("TRANSLATE_API_KEY", "libre-secret-42")
    env.setenv("DEEPL_API_KEY", "deepl-secret-43:fx")
    redact = RedactSecrets(_secrets_in_environment())
    record = logging.LogRecord(
        "aiohttp",
        logging.WARNING,
        __file__,
        1,
        "sent %s and %s",
        ("libre-secret-42", "deepl-secret-43:fx"),
        None,
    )
    redact.filter(record)
    assert record.getMessage() == "sent [secret] and [secret]"


async def test_the_configured_service_is_the_one_asked(
    env: pytest.MonkeyPatch, fake_libretranslate: FakeLibreTranslate
) -> None:
    env.setenv("TRANSLATE_URL", fake_libretranslate.url)
    env.setenv("TRANSLATE_API_KEY", str(fake_libretranslate.api_key))
    settings = TranslationSettings.from_env()
    assert settings is not None
    translator = build_translator(settings, QUICK)
    try:
        assert await translator.translate("Hola.", "es", "en") == "[en] Hola."
    finally:
        await translator.close()
    assert len(fake_libretranslate.of("translate")) == 1
