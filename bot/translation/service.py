"""The translation service callers use: protect → split → translate each piece → join →
restore, and detection on the words alone. It is itself a `Translator`, so whoever holds one
(tflow's background job) gets all of this without knowing it."""

from __future__ import annotations

import asyncio

from bot.translation.protect import protect, restore
from bot.translation.provider import Translator
from bot.translation.split import Piece, TextLimit, join, split

# When a translator says nothing of its limit: LibreTranslate's usual one.
DEFAULT_LIMIT = TextLimit(5000)
# Detection needs a few sentences, not a whole mail: fewer characters sent and paid for.
DETECT_SAMPLE = 1000


class TranslationService:
    def __init__(self, translator: Translator, limit: TextLimit | None = None):
        self.translator = translator
        self.name = translator.name
        found = getattr(translator, "limit", None)
        self.limit = limit or (found if isinstance(found, TextLimit) else DEFAULT_LIMIT)

    async def detect(self, text: str) -> str | None:
        """The language of `text` ("en", "fr", "es"…), None when unsure or when it has no
        words (a link alone, a number)."""
        protected = protect(text[:DETECT_SAMPLE])
        if not protected.has_words:
            return None
        return await self.translator.detect(protected.text)

    async def translate(self, text: str, source: str, target: str) -> str:
        """`text` in `target`; what must survive (links, markup, numbers…) survives. Raises
        TranslationUnavailable as the translator does: a text is translated whole or not."""
        if source == target:
            return text
        protected = protect(text)
        if not protected.has_words:
            return text
        pieces = split(protected.text, self.limit)
        # One text's pieces go in order, one after the other: the translator's concurrency is
        # for different texts, and a failed piece spares the calls for the rest.
        translated = [await self._translate_piece(piece, source, target) for piece in pieces]
        return restore(join(translated), protected.pieces)

    async def _translate_piece(self, piece: Piece, source: str, target: str) -> Piece:
        if not any(character.isalpha() for character in piece.text):
            return piece
        # Providers trim the text they translate; the piece's own edges are put back.
        body = piece.text.strip()
        before = piece.text[: len(piece.text) - len(piece.text.lstrip())]
        after = piece.text[len(piece.text.rstrip()) :]
        translated = await self.translator.translate(body, source, target)
        return Piece(before + translated.strip() + after, piece.gap)

    async def close(self) -> None:
        close = getattr(self.translator, "close", None)
        if close is not None:
            await close()
        await asyncio.sleep(0)  # let aiohttp's connector finish closing its transports
