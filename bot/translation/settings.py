"""Which translation service, read from the environment (docs/translation.md): a
LibreTranslate server (TRANSLATE_URL, TRANSLATE_API_KEY) or DeepL (DEEPL_API_KEY,
DEEPL_URL); neither means no translation, today's behaviour."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from bot.config import ConfigurationError, number_setting
from bot.translation import deepl, libretranslate
from bot.translation.resilient import Resilience, ResilientTranslator
from bot.translation.service import TranslationService

# What the log redaction hides (bot/app/cli).
SECRET_NAMES = ("TRANSLATE_API_KEY", "DEEPL_API_KEY")


def _url_setting(name: str) -> str:
    url = os.environ.get(name, "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"{name} must be an http:// or https:// address.")
    return url.rstrip("/")


@dataclass(frozen=True)
class TranslationSettings:
    provider: Literal["libretranslate", "deepl"]
    url: str
    api_key: str | None = field(default=None, repr=False)
    deadline: int = 10  # seconds a message may wait for its translation, then leaves as is
    concurrency: int = 4  # requests in flight at once
    char_limit: int = libretranslate.DEFAULT_CHAR_LIMIT  # LibreTranslate's per request

    @classmethod
    def from_env(cls) -> TranslationSettings | None:
        libre_url = os.environ.get("TRANSLATE_URL", "").strip()
        deepl_key = os.environ.get("DEEPL_API_KEY", "").strip()
        if libre_url and deepl_key:
            # Refused rather than one picked: texts would go to a service the operator did not
            # mean to send them to (a third party instead of their own server, say).
            raise ConfigurationError(
                "TRANSLATE_URL and DEEPL_API_KEY are both set: keep the one service people's "
                "texts may be sent to (docs/translation.md)."
            )
        if not libre_url and not deepl_key:
            if os.environ.get("TRANSLATE_API_KEY", "").strip():
                raise ConfigurationError(
                    "TRANSLATE_API_KEY is set but TRANSLATE_URL is not: say which "
                    "LibreTranslate server to use (docs/translation.md)."
                )
            return None
        common = {
            "deadline": number_setting("TRANSLATE_DEADLINE", 10, minimum=1, maximum=600),
            "concurrency": number_setting("TRANSLATE_CONCURRENCY", 4, minimum=1, maximum=64),
        }
        if deepl_key:
            url = _url_setting("DEEPL_URL") if os.environ.get("DEEPL_URL", "").strip() else None
            return cls(
                provider="deepl",
                url=url or deepl.url_for_key(deepl_key),
                api_key=deepl_key,
                **common,
            )
        return cls(
            provider="libretranslate",
            url=_url_setting("TRANSLATE_URL"),
            api_key=os.environ.get("TRANSLATE_API_KEY", "").strip() or None,
            char_limit=number_setting(
                "TRANSLATE_CHAR_LIMIT",
                libretranslate.DEFAULT_CHAR_LIMIT,
                minimum=100,
                maximum=1_000_000,
            ),
            **common,
        )


def build_translator(
    settings: TranslationSettings, resilience: Resilience | None = None
) -> TranslationService:
    """The translator the bot uses: the provider, made resilient, behind the service that
    protects links and markup and splits long texts. Close it with `await ….close()`."""
    provider: libretranslate.LibreTranslate | deepl.DeepL
    if settings.provider == "deepl":
        assert settings.api_key is not None
        provider = deepl.DeepL(settings.api_key, settings.url)
    else:
        provider = libretranslate.LibreTranslate(
            settings.url, settings.api_key, settings.char_limit
        )
    resilience = resilience or Resilience(concurrency=settings.concurrency)
    return TranslationService(ResilientTranslator(provider, resilience))
