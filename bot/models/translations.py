"""What people write, kept once, and its automatic translations (bot/translation/store.py)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, CleanString, CleanText, enum_column


class TranslationStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # the service failed, or could not tell the language: the original goes


class TranslatedText(Base):
    """A text someone wrote, once whatever the number of its readers (the original, for "See
    the original"), and the language detected in it."""

    __tablename__ = "translated_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the text: the same text queued again is the same row, and costs nothing.
    text_hash: Mapped[str] = mapped_column(CleanString(64), unique=True)
    text: Mapped[str] = mapped_column(CleanText)
    # None until detected (then the status of the detection says whether it worked).
    source: Mapped[str | None] = mapped_column(CleanString(8))
    detection: Mapped[TranslationStatus] = mapped_column(
        enum_column(TranslationStatus, "translation_status")
    )
    # Whose text it is, for /mydata; emptied by /forget with the participant.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime]


class Translation(Base):
    """One text in one target language by one provider: translated once, read by every reader of
    that language. (The source language is the text's own, detected once: with the text's hash,
    the target and the provider, it is the key the issue asks for.)"""

    __tablename__ = "translations"
    __table_args__ = (
        UniqueConstraint("text_id", "target", "provider"),
        Index("ix_translations_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    text_id: Mapped[int] = mapped_column(ForeignKey("translated_texts.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(CleanString(8))
    status: Mapped[TranslationStatus] = mapped_column(
        enum_column(TranslationStatus, "translation_status")
    )
    # The provider asked ("libretranslate", "deepl"): another provider configured later makes
    # its own translations.
    provider: Mapped[str] = mapped_column(CleanString(32))
    text: Mapped[str | None] = mapped_column(CleanText)
    error: Mapped[str | None] = mapped_column(CleanString(500))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
