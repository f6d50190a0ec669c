"""Organisers' broadcasts: to whom, what (per language), when, and how it went."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, CleanJSON, CleanString, Texts, enum_column


class BroadcastStatus(enum.StrEnum):
    DRAFT = "draft"  # previewed, not confirmed
    QUEUED = "queued"  # its messages are in the outbox (possibly for later)
    DONE = "done"  # nothing left to send; the author has the report
    CANCELLED = "cancelled"


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    # {"kind": "role", "value": "government"} and the like (see bot/broadcasts.py).
    audience: Mapped[dict[str, Any]] = mapped_column(CleanJSON)
    texts: Mapped[Texts]
    status: Mapped[BroadcastStatus] = mapped_column(
        enum_column(BroadcastStatus, "broadcast_status")
    )
    recipients: Mapped[int] = mapped_column(default=0)
    # Marked urgent by its author: it reaches those in data-saver mode at once, not in their
    # digest.
    urgent: Mapped[bool] = mapped_column(default=False)
    send_at: Mapped[datetime]
    created_at: Mapped[datetime]
    # The author's message that shows the progress, edited in place as messages leave: the
    # platform, its chat and message ids, what it shows now, and when it was last edited.
    progress_platform: Mapped[str | None] = mapped_column(CleanString(16))
    progress_chat: Mapped[str | None] = mapped_column(CleanString(64))
    progress_message: Mapped[str | None] = mapped_column(CleanString(64))
    progress_shown: Mapped[str | None] = mapped_column(CleanString(100))
    progress_shown_at: Mapped[datetime | None]
