"""DeepL's API v2 (https://developers.deepl.com/docs/api-reference/translate): POST
/v2/translate with `Authorization: DeepL-Auth-Key KEY` and JSON `text` (a list),
`target_lang`, optional `source_lang`, upper-case. There is no detection endpoint: a
translation answers `detected_source_language`. Errors: 400, 403 (key), 413 (body over 128
KiB), 429, 456 (quota spent), 5xx."""

from __future__ import annotations

from bot.translation.http import JsonClient, json_size
from bot.translation.provider import TranslationUnavailable
from bot.translation.split import TextLimit

NAME = "deepl"
FREE_URL = "https://api-free.deepl.com"
PRO_URL = "https://api.deepl.com"
# The whole request body must stay within 128 KiB; what is not the text itself (the field
# names, the languages) takes well under 1 KiB.
BODY_LIMIT = 128 * 1024
TEXT_LIMIT = BODY_LIMIT - 1024
# Detection costs what it translates: the start of a text tells its language well enough.
DETECT_SAMPLE = 300
# `EN` alone as a target is deprecated; British English reads right to every delegate.
TARGETS = {"en": "EN-GB", "pt": "PT-PT"}


def url_for_key(api_key: str) -> str:
    """Free-plan keys end in `:fx` and only work on the free host."""
    return FREE_URL if api_key.endswith(":fx") else PRO_URL


class DeepL:
    name = NAME

    def __init__(self, api_key: str, url: str | None = None):
        self._client = JsonClient(
            NAME, url or url_for_key(api_key), {"Authorization": f"DeepL-Auth-Key {api_key}"}
        )
        self.limit = TextLimit(TEXT_LIMIT, json_size)

    async def _translate(self, text: str, target: str, source: str | None) -> tuple[str, str]:
        body: dict[str, object] = {
            "text": [text],
            "target_lang": TARGETS.get(target.lower(), target.upper()),
        }
        if source is not None:
            body["source_lang"] = source.split("-")[0].upper()
        answer = await self._client.post("/v2/translate", body)
        try:
            first = answer["translations"][0]
            return str(first["text"]), str(first["detected_source_language"]).lower()
        except (TypeError, KeyError, IndexError) as error:
            raise TranslationUnavailable(f"{NAME}: unexpected /v2/translate answer") from error

    async def detect(self, text: str) -> str | None:
        _translated, detected = await self._translate(text[:DETECT_SAMPLE], "en", None)
        return detected.split("-")[0] or None

    async def translate(self, text: str, source: str, target: str) -> str:
        translated, _detected = await self._translate(text, target, source)
        return translated

    async def close(self) -> None:
        await self._client.close()
