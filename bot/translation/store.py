"""Texts to translate and their translations, in the database: requested in the transaction
that queues the text, translated by the scheduler's routine (`bot/translation/queue.py`), read
at delivery (`bot/translation/reading.py`).

A text is kept once, by its sha256, and translated once per target language, never per reader:
a post to 10,000 people costs one detection and at most two translations, and a re-send costs
nothing (the rows are there already).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_once
from bot.models import Participant, TranslatedText, Translation, TranslationStatus

# The meeting's languages: every text is requested in each (the one it is written in is
# settled by the detection, with no call).
LANGUAGES = ("en", "fr", "es")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def request(
    db: AsyncSession,
    text: str,
    author_id: int | None,
    provider: str,
    now: datetime,
    targets: Sequence[str] = LANGUAGES,
) -> None:
    """Ask `provider` for `text` in each target language, in the caller's transaction; asked
    again, nothing changes (ON CONFLICT DO NOTHING), so a text queued twice is translated once."""
    digest = text_hash(text)
    insert_text = insert_once(db, TranslatedText)
    await db.execute(
        insert_text.values(
            text_hash=digest,
            text=text,
            detection=TranslationStatus.PENDING,
            author_id=author_id,
            created_at=now,
        ).on_conflict_do_nothing(index_elements=["text_hash"])
    )
    text_id = (
        await db.execute(select(TranslatedText.id).where(TranslatedText.text_hash == digest))
    ).scalar_one()
    insert_translation = insert_once(db, Translation)
    await db.execute(
        insert_translation.values(
            [
                {
                    "text_id": text_id,
                    "target": target,
                    "provider": provider,
                    "status": TranslationStatus.PENDING,
                    "created_at": now,
                }
                for target in targets
            ]
        ).on_conflict_do_nothing(index_elements=["text_id", "target", "provider"])
    )


@dataclass(frozen=True)
class Found:
    """A text as stored, and its translation into one language (None: never requested)."""

    text_id: int
    source: str | None
    detection: TranslationStatus
    status: TranslationStatus | None
    translated: str | None
    requested_at: datetime


async def find(db: AsyncSession, text: str, target: str, provider: str) -> Found | None:
    """`text` and its translation into `target` by `provider`, in one query; None if never
    requested."""
    query = (
        select(TranslatedText, Translation)
        .outerjoin(
            Translation,
            (Translation.text_id == TranslatedText.id)
            & (Translation.target == target)
            & (Translation.provider == provider),
        )
        .where(TranslatedText.text_hash == text_hash(text))
    )
    row = (await db.execute(query)).first()
    if row is None:
        return None
    stored, translation = row
    return Found(
        stored.id,
        stored.source,
        stored.detection,
        translation.status if translation is not None else None,
        translation.text if translation is not None else None,
        stored.created_at,
    )


async def translated_already(
    db: AsyncSession, texts: Iterable[str], target: str, provider: str
) -> dict[str, str]:
    """The stored translation into `target` of each of `texts` that has one (a text written in
    `target` is its own), by text. Reads what the routine made; never asks the service: a text
    not translated yet is left out, to be shown as written."""
    found: dict[str, str] = {}
    for text in texts:
        if not text.strip() or text in found:
            continue
        stored = await find(db, text, target, provider)
        if stored is None:
            continue
        if stored.source == target:
            found[text] = text
        elif stored.status == TranslationStatus.DONE and stored.translated is not None:
            found[text] = stored.translated
    return found


async def original(db: AsyncSession, text_id: int) -> TranslatedText | None:
    return await db.get(TranslatedText, text_id)


@dataclass(frozen=True)
class Work:
    """What the routine has to do: texts whose language is not known yet, and translations
    whose text's language is (`(translation id, text, source, target)`)."""

    to_detect: list[tuple[int, str]]
    to_translate: list[tuple[int, str, str, str]]


async def work(db: AsyncSession, provider: str, limit: int = 100) -> Work:
    to_detect = (
        await db.execute(
            select(TranslatedText.id, TranslatedText.text)
            .where(TranslatedText.detection == TranslationStatus.PENDING)
            .order_by(TranslatedText.id)
            .limit(limit)
        )
    ).all()
    to_translate = (
        await db.execute(
            select(Translation.id, TranslatedText.text, TranslatedText.source, Translation.target)
            .join(TranslatedText, Translation.text_id == TranslatedText.id)
            .where(
                Translation.status == TranslationStatus.PENDING,
                Translation.provider == provider,
                TranslatedText.detection == TranslationStatus.DONE,
            )
            .order_by(Translation.id)
            .limit(limit)
        )
    ).all()
    return Work(
        [(text_id, text) for text_id, text in to_detect],
        [(id_, text, source or "", target) for id_, text, source, target in to_translate],
    )


async def detected(
    db: AsyncSession, text_id: int, source: str | None, error: str | None, now: datetime
) -> None:
    """Record the language found in a text. The translation into that language is the text
    itself (no call); with no language (unsure, or the service failed) none can be made."""
    stored = await db.get_one(TranslatedText, text_id)
    translations = (
        await db.execute(
            select(Translation).where(
                Translation.text_id == text_id, Translation.status == TranslationStatus.PENDING
            )
        )
    ).scalars()
    if source is None:
        stored.detection = TranslationStatus.FAILED
        for translation in translations:
            _finish(translation, TranslationStatus.FAILED, None, error or "unknown", now)
        return
    stored.detection = TranslationStatus.DONE
    stored.source = source
    for translation in translations:
        if translation.target == source:
            _finish(translation, TranslationStatus.DONE, stored.text, None, now)


async def translated(
    db: AsyncSession,
    translation_id: int,
    text: str | None,
    error: str | None,
    now: datetime,
) -> None:
    """Record a translation (`text`), or why there is none (`error`)."""
    translation = await db.get_one(Translation, translation_id)
    if translation.status != TranslationStatus.PENDING:
        return
    status = TranslationStatus.DONE if text is not None else TranslationStatus.FAILED
    _finish(translation, status, text, error, now)


def _finish(
    translation: Translation,
    status: TranslationStatus,
    text: str | None,
    error: str | None,
    now: datetime,
) -> None:
    translation.status = status
    translation.text = text
    translation.error = error[:500] if error else None
    translation.finished_at = now


async def of_author(db: AsyncSession, author_id: int) -> list[tuple[TranslatedText, list[str]]]:
    """A person's texts that were translated, each with the languages it was translated into
    (for /mydata)."""
    rows = await db.execute(
        select(TranslatedText, Translation.target)
        .join(Translation, Translation.text_id == TranslatedText.id)
        .where(
            TranslatedText.author_id == author_id,
            Translation.status == TranslationStatus.DONE,
            Translation.target != TranslatedText.source,  # the text itself, no call made
        )
        .order_by(TranslatedText.id, Translation.target)
    )
    texts: dict[int, tuple[TranslatedText, list[str]]] = {}
    for text, target in rows:
        targets = texts.setdefault(text.id, (text, []))[1]
        if target not in targets:  # translated by two providers over time
            targets.append(target)
    return list(texts.values())


async def wants_translation(db: AsyncSession, participant_id: int) -> bool:
    """The person's /translate choice (unset: on). Read through the session, which the
    delivery worker has already loaded the person into for their language: no query."""
    person = await db.get(Participant, participant_id)
    return person is None or person.translate is not False
