"""How a reader sees a text someone wrote: translated into their language when the translation
is ready, the original with a note when it cannot be, and "not yet" while it is on its way.

The delivery worker sets who is reading (`reading(...)`, a ContextVar as `use_language` is)
around loading and rendering a notice; a loader that shows a text written by a person calls
`read(db, text)`. With no reader set (no provider configured, or the reader chose /translate
off) the text is shown as written, with no note: today's behaviour.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import TranslationStatus
from bot.translation import store

# How long a message may wait for its translation (TRANSLATE_DEADLINE): past it, it leaves in
# its original language with a note.
DEFAULT_DEADLINE = timedelta(seconds=10)


CHECK = 8  # hex digits of the hash a "See the original" button carries


class NotYet(Exception):
    """The translation is still being made, and the message may wait for it: the delivery
    worker leaves the message for a moment (no attempt counted, nothing queued again)."""


@dataclass(frozen=True)
class Translating:
    """A translation provider is configured: its name (stored with each translation) and how
    long a message may wait for a translation."""

    provider: str
    deadline: timedelta = DEFAULT_DEADLINE


@dataclass(frozen=True)
class Reader:
    language: str
    now: datetime
    translating: Translating


_reader: ContextVar[Reader | None] = ContextVar("translation_reader", default=None)


@contextlib.contextmanager
def reading(reader: Reader | None) -> Iterator[None]:
    """Who reads what is loaded inside (None: everything as written)."""
    token = _reader.set(reader)
    try:
        yield
    finally:
        _reader.reset(token)


def current_reader() -> Reader | None:
    """Who reads now (None: everything as written): for a loader that reads a text only for
    some readers, as a broadcast does for those whose language its author left out."""
    return _reader.get()


class Shown(StrEnum):
    AS_WRITTEN = "as_written"  # in the reader's language, or translation is off: no note
    TRANSLATED = "translated"
    NOT_TRANSLATED = "not_translated"  # the service failed or was too slow: the original


@dataclass(frozen=True)
class ReadText:
    """A text as its reader sees it: `text` is what to show; `text_id` names the stored original
    (the "See the original" button) and `source` its language, when known."""

    text: str
    shown: Shown = Shown.AS_WRITTEN
    source: str | None = None
    text_id: int | None = None
    # The start of the original's sha256: the "See the original" button carries it, so that
    # only someone who was sent the text can ask for it (ids are easy to guess, hashes not).
    check: str = ""


async def read(db: AsyncSession, text: str) -> ReadText:
    """`text` for the current reader; raises NotYet while its translation is pending and the
    message is younger than the deadline."""
    reader = _reader.get()
    if reader is None or not text.strip():
        return ReadText(text)
    found = await store.find(db, text, reader.language, reader.translating.provider)
    if found is None:  # queued before translation was configured
        return ReadText(text, Shown.NOT_TRANSLATED)
    if found.source == reader.language:
        return ReadText(text, source=found.source, text_id=found.text_id)
    if found.status == TranslationStatus.DONE and found.translated is not None:
        check = store.text_hash(text)[:CHECK]
        return ReadText(found.translated, Shown.TRANSLATED, found.source, found.text_id, check)
    pending = found.status == TranslationStatus.PENDING
    if pending and reader.now - found.requested_at < reader.translating.deadline:
        raise NotYet
    return ReadText(text, Shown.NOT_TRANSLATED, found.source, found.text_id)
