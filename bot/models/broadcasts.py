"""Organisers' broadcasts: to whom, what (per language), when, and how it went."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, Texts, enum_column


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
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    texts: Mapped[Texts]
    status: Mapped[BroadcastStatus] = mapped_column(
        enum_column(BroadcastStatus, "broadcast_status")
    )
    recipients: Mapped[int] = mapped_column(default=0)
    send_at: Mapped[datetime]
    created_at: Mapped[datetime]
