"""The routine's translation job: detects the language of each new text once, then translates
each pending target language with the configured `Translator`, outside any transaction (a
network call never holds a database lock), a few at a time, and records each result.

Only the process holding the scheduler role runs it, one run at a time (`Every`): no text is
sent twice to the service.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.clock import Clock
from bot.db import SessionFactory
from bot.translation import store
from bot.translation.provider import TranslationUnavailable, Translator

log = logging.getLogger(__name__)

# Calls at once: enough to translate a post into two languages together, few enough not to
# overwhelm a small self-hosted LibreTranslate (tcore's wrapper bounds them too).
CONCURRENCY = 4

T = TypeVar("T")


class TranslationQueue:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        translator: Translator,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.translator = translator
        self.gate = asyncio.Semaphore(concurrency)

    async def run(self) -> None:
        """One pass: detect what is new, then translate what is known (a new text is translated
        in the same pass as its detection)."""
        async with self.sessions() as db:
            work = await store.work(db, self.translator.name)
            await db.commit()
        if work.to_detect:
            await asyncio.gather(*(self._detect(*item) for item in work.to_detect))
            async with self.sessions() as db:
                work = await store.work(db, self.translator.name)
                await db.commit()
        await asyncio.gather(*(self._translate(*item) for item in work.to_translate))

    async def _call(self, call: Callable[[], Awaitable[T]]) -> tuple[T | None, str | None]:
        async with self.gate:
            try:
                return await call(), None
            except TranslationUnavailable as error:
                return None, str(error) or "translation unavailable"
            except Exception as error:  # a provider's bug must not stop the routine
                log.exception("the translation provider failed")
                return None, f"{type(error).__name__}: {error}"

    async def _detect(self, text_id: int, text: str) -> None:
        source, error = await self._call(lambda: self.translator.detect(text))
        if error is not None:
            log.warning("detecting the language of text %s failed: %s", text_id, error)
        async with self.sessions() as db:
            await store.detected(db, text_id, source, error, self.clock.now())
            await db.commit()

    async def _translate(self, translation_id: int, text: str, source: str, target: str) -> None:
        # Into the text's own language (asked by a provider configured after the detection):
        # the text itself, no call.
        result: str | None = text
        error: str | None = None
        if source != target:
            result, error = await self._call(
                lambda: self.translator.translate(text, source, target)
            )
        if error is not None:
            log.warning("translation %s into %s failed: %s", translation_id, target, error)
        async with self.sessions() as db:
            await store.translated(db, translation_id, result, error, self.clock.now())
            await db.commit()
