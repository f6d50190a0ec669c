"""The interface every translation provider implements, and the one error they raise."""

from __future__ import annotations

from typing import Protocol


class TranslationUnavailable(Exception):
    """The service failed, timed out or is switched off (circuit open)."""


class Translator(Protocol):
    name: str

    async def detect(self, text: str) -> str | None: ...

    async def translate(self, text: str, source: str, target: str) -> str: ...
