"""LibreTranslate's HTTP API (https://github.com/LibreTranslate/LibreTranslate): POST /detect
and /translate with JSON `q`, `source`, `target`, `format`, and `api_key` when the server asks
for one. Errors come as `{"error": "..."}` with 400 (bad language, text over the limit), 403
(key refused), 429 (slow down) or 500."""

from __future__ import annotations

from typing import Any

from bot.translation.http import JsonClient
from bot.translation.provider import TranslationUnavailable
from bot.translation.split import TextLimit

NAME = "libretranslate"
# The server's own default (`--char-limit`, unlimited when self-hosted unless set; 5,000 on
# libretranslate.com): one request carries at most this many characters of `q`.
DEFAULT_CHAR_LIMIT = 5000
# /detect answers a confidence from 0 to 100; below this the language is a guess, and a
# wrong source language gives a worse translation than none.
MIN_CONFIDENCE = 50.0


class LibreTranslate:
    name = NAME

    def __init__(self, url: str, api_key: str | None = None, char_limit: int = DEFAULT_CHAR_LIMIT):
        self._client = JsonClient(NAME, url)
        self._api_key = api_key
        self.limit = TextLimit(char_limit, len)

    def _body(self, **fields: str) -> dict[str, Any]:
        body: dict[str, Any] = dict(fields)
        if self._api_key:
            body["api_key"] = self._api_key
        return body

    async def detect(self, text: str) -> str | None:
        answer = await self._client.post("/detect", self._body(q=text))
        try:
            best = max(answer, key=lambda guess: float(guess["confidence"]), default=None)
            if best is None or float(best["confidence"]) < MIN_CONFIDENCE:
                return None
            return str(best["language"]).lower().split("-")[0]
        except (TypeError, KeyError, ValueError) as error:
            raise TranslationUnavailable(f"{NAME}: unexpected /detect answer") from error

    async def translate(self, text: str, source: str, target: str) -> str:
        answer = await self._client.post(
            "/translate", self._body(q=text, source=source, target=target, format="text")
        )
        try:
            return str(answer["translatedText"])
        except (TypeError, KeyError) as error:
            raise TranslationUnavailable(f"{NAME}: unexpected /translate answer") from error

    async def close(self) -> None:
        await self._client.close()
