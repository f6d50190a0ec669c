"""Fake LibreTranslate and DeepL servers, over real HTTP, as strict as the real APIs.

Both are deterministic. They detect a language by a few words of each (`WORDS`), and
"translate" by a visible, reversible rule: each sentence gets the target language as a prefix
(`Hola. Gracias.` → `[fr] Hola. [fr] Gracias.`; `untranslated()` takes it off). They leave
the placeholders of bot/translation/protect.py alone, as real providers mostly do, unless a
test asks them to mangle (`placeholders="spaced"`) or drop (`"dropped"`) them. A test can slow
them (`delay`), fail the next calls (`fail_next(2, 503)`), or answer 429 with Retry-After
(`fail_next(1, 429, retry_after=1)`); `most_in_flight` tells how many requests ran at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from bot.translation.resilient import Resilience
from bot.translation.service import TranslationService
from bot.translation.settings import TranslationSettings, build_translator
from tests.support.recording_server import ApiServer, Failure

LANGUAGES = ("en", "fr", "es", "de")
WORDS = {
    "es": {"hola", "gracias", "reunión", "mañana", "grupo", "saludos", "propuesta", "para"},
    "fr": {"bonjour", "merci", "réunion", "demain", "groupe", "salut", "proposition", "pour"},
    "en": {"hello", "thanks", "meeting", "tomorrow", "group", "regards", "proposal", "for"},
    "de": {"hallo", "danke", "treffen", "morgen", "gruppe"},
}
_SENTENCE_START = re.compile(r"(?:^|(?<=[.!?])\s+)(?=\S)")
_PLACEHOLDER = re.compile(r"⟦(\d+)⟧")
DEEPL_KEY = "fake-deepl-key-0123:fx"
LIBRE_KEY = "fake-libre-key-0123"
DEEPL_BODY_LIMIT = 128 * 1024


def detected(text: str) -> str | None:
    """The language with the most of its words in `text`; None when no word is known."""
    words = re.findall(r"\w+", text.lower())
    counts = {language: sum(word in known for word in words) for language, known in WORDS.items()}
    best = max(counts, key=lambda language: counts[language])
    return best if counts[best] else None


def translated(text: str, target: str) -> str:
    return _SENTENCE_START.sub(lambda match: match.group(0) + f"[{target}] ", text)


def untranslated(text: str) -> str:
    return re.sub(r"\[[a-z]{2}\] ", "", text)


@dataclass
class FakeTranslationServer(ApiServer):
    delay: float = 0.0
    placeholders: Literal["kept", "spaced", "dropped"] = "kept"
    in_flight: int = 0
    most_in_flight: int = 0

    def fail_next(self, count: int, status: int, retry_after: int | None = None) -> None:
        """The next `count` requests, whatever their method, answer `status`."""
        self.failures.setdefault("*", []).extend(
            Failure(status, f"fake failure {status}", retry_after) for _ in range(count)
        )

    def _rule(self, text: str, target: str) -> str:
        result = translated(text, target)
        if self.placeholders == "spaced":
            return _PLACEHOLDER.sub(lambda match: f"⟦ {match.group(1)} ⟧", result)
        if self.placeholders == "dropped":
            return _PLACEHOLDER.sub("", result)
        return result

    async def _serve(
        self, method: str, params: dict[str, Any], answer: Any, error_field: str
    ) -> web.Response:
        """Record the call, then answer after `delay`: a queued failure, or `answer`."""
        await self._record_call(method, params)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)  # the server being slow, not a test waiting
        finally:
            self.in_flight -= 1
        failure = self._next_failure(method) or self._next_failure("*")
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return web.json_response(
                {error_field: failure.error}, status=failure.status, headers=headers
            )
        return web.json_response(answer)


@dataclass
class FakeLibreTranslate(FakeTranslationServer):
    """POST /detect and /translate (JSON or form), GET /languages."""

    api_key: str | None = LIBRE_KEY  # None: a server that asks for no key
    char_limit: int = 5000

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/detect", self._detect)
        app.router.add_post("/translate", self._translate)
        app.router.add_get("/languages", self._languages)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json()
            return body if isinstance(body, dict) else {}
        return dict(await request.post())

    def _refusal(self, params: dict[str, Any]) -> web.Response | None:
        if self.api_key is not None and params.get("api_key") != self.api_key:
            return web.json_response({"error": "Invalid API key"}, status=403)
        q = params.get("q")
        if not isinstance(q, str) or not q:
            return web.json_response({"error": "Invalid request: missing q parameter"}, status=400)
        if len(q) > self.char_limit:
            return web.json_response(
                {
                    "error": f"Invalid request: request ({len(q)}) exceeds text limit "
                    f"({self.char_limit})"
                },
                status=400,
            )
        return None

    async def _detect(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        refusal = self._refusal(params)
        if refusal is not None:
            await self._record_call("refused", params)
            return refusal
        language = detected(params["q"])
        guess = [{"confidence": 90.0, "language": language}] if language else []
        guess.append({"confidence": 8.0, "language": "en" if language != "en" else "fr"})
        return await self._serve("detect", params, guess, "error")

    async def _translate(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        refusal = self._refusal(params)
        if refusal is None:
            source, target = params.get("source"), params.get("target")
            for language, known in ((source, (*LANGUAGES, "auto")), (target, LANGUAGES)):
                if language not in known:
                    refusal = web.json_response(
                        {"error": f"{language} is not supported"}, status=400
                    )
                    break
        if refusal is None and params.get("format", "text") not in ("text", "html"):
            refusal = web.json_response({"error": "format must be text or html"}, status=400)
        if refusal is not None:
            await self._record_call("refused", params)
            return refusal
        answer = {"translatedText": self._rule(params["q"], params["target"])}
        return await self._serve("translate", params, answer, "error")

    async def _languages(self, request: web.Request) -> web.Response:
        names = {"en": "English", "fr": "French", "es": "Spanish", "de": "German"}
        return web.json_response(
            [{"code": code, "name": names[code], "targets": list(LANGUAGES)} for code in LANGUAGES]
        )


_DEEPL_SOURCES = {"EN", "FR", "ES", "DE"}
_DEEPL_TARGETS = {"EN", "EN-GB", "EN-US", "FR", "ES", "DE"}


@dataclass
class FakeDeepL(FakeTranslationServer):
    """POST /v2/translate, JSON, `Authorization: DeepL-Auth-Key KEY`."""

    api_key: str = DEEPL_KEY

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/v2/translate", self._translate)
        app.router.add_get("/v2/usage", self._usage)

    async def _usage(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"DeepL-Auth-Key {self.api_key}":
            return web.json_response(
                {"message": "Authorization failure, check auth_key"}, status=403
            )
        return web.json_response({"character_count": 1200, "character_limit": 500000})

    async def _translate(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Authorization") != f"DeepL-Auth-Key {self.api_key}":
            await self._record_call("refused", {})
            return web.json_response(
                {"message": "Authorization failure, check auth_key"}, status=403
            )
        if len(body) > DEEPL_BODY_LIMIT:
            await self._record_call("refused", {"size": len(body)})
            return web.json_response({"message": "Request Entity Too Large"}, status=413)
        try:
            params = json.loads(body)
        except ValueError:
            params = None
        refusal = self._deepl_refusal(params)
        if refusal is not None:
            await self._record_call("refused", params if isinstance(params, dict) else {})
            return web.json_response({"message": refusal}, status=400)
        assert isinstance(params, dict)
        target = params["target_lang"].upper()
        source = params.get("source_lang")
        answer = {
            "translations": [
                {
                    "detected_source_language": (
                        source.upper() if source else (detected(text) or "en").upper()
                    ),
                    "text": self._rule(text, target.split("-")[0].lower()),
                }
                for text in params["text"]
            ]
        }
        return await self._serve("translate", params, answer, "message")

    @staticmethod
    def _deepl_refusal(params: Any) -> str | None:
        if not isinstance(params, dict):
            return "Invalid request: expected a JSON object."
        texts = params.get("text")
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return "Parameter 'text' not specified."
        target = params.get("target_lang")
        if not isinstance(target, str) or target.upper() not in _DEEPL_TARGETS:
            return "Value for 'target_lang' not supported."
        source = params.get("source_lang")
        if source is not None and (
            not isinstance(source, str) or source.upper() not in _DEEPL_SOURCES
        ):
            return "Value for 'source_lang' not supported."
        return None


def settings_for(server: FakeTranslationServer, **overrides: Any) -> TranslationSettings:
    """Settings pointing the bot's translator at `server`, with its key."""
    assert isinstance(server, FakeDeepL | FakeLibreTranslate)
    fields: dict[str, Any] = {
        "provider": "deepl" if isinstance(server, FakeDeepL) else "libretranslate",
        "url": server.url,
        "api_key": server.api_key,
    }
    return TranslationSettings(**(fields | overrides))


# Retries and pauses short enough for tests, the same rules as in production.
QUICK = Resilience(
    attempt_timeout=2,
    call_deadline=5,
    attempts=3,
    backoff=0.05,
    max_backoff=0.2,
    max_retry_after=2,
    concurrency=4,
    failures_to_open=3,
    open_seconds=30,
)


@contextlib.asynccontextmanager
async def translator_for(
    server: FakeTranslationServer,
    resilience: Resilience = QUICK,
    **overrides: Any,
) -> AsyncIterator[TranslationService]:
    """The bot's translator (built as `coordbot run` builds it) talking to `server`."""
    service = build_translator(settings_for(server, **overrides), resilience)
    try:
        yield service
    finally:
        await service.close()
