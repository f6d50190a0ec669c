"""A translation provider in the test process: a real `Translator`, deterministic, that counts
its calls and can be held (slow) or made to fail. For what the bot does with translations;
what goes over HTTP to a provider is tested against the fake servers of fake_translation.py."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

from bot.translation.provider import TranslationUnavailable

# A few words per language are enough to tell the test texts apart.
WORDS = {
    "es": {"hola", "gracias", "reunión", "mañana", "grupo", "el", "la", "los"},
    "fr": {"bonjour", "merci", "réunion", "demain", "le", "les", "nous"},
    "en": {"hello", "thanks", "meeting", "tomorrow", "the", "we"},
}


class FakeTranslator:
    name = "fake"

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()  # "detect", "translate"
        self.failing = False
        # Cleared: every call waits until it is set again (a slow service, without sleeping).
        self.answering = asyncio.Event()
        self.answering.set()
        self.waiting = asyncio.Event()  # set once a call waits on `answering`

    async def _answer(self, call: str) -> None:
        self.calls[call] += 1
        if not self.answering.is_set():
            self.waiting.set()
            await self.answering.wait()
        if self.failing:
            raise TranslationUnavailable("the fake service is down")

    async def detect(self, text: str) -> str | None:
        await self._answer("detect")
        words = set(re.findall(r"\w+", text.lower()))
        scores = {language: len(words & vocabulary) for language, vocabulary in WORDS.items()}
        best = max(scores, key=lambda language: scores[language])
        return best if scores[best] else None

    async def translate(self, text: str, source: str, target: str) -> str:
        """Visible and reversible: "[fr] " before the text."""
        await self._answer("translate")
        return f"[{target}] {text}"
