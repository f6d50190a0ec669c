"""Everything the bot sends on its own leaves through this table (see bot/delivery/outbox.py)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, CleanJSON, CleanString, CleanText, enum_column


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    UNREACHABLE = "unreachable"  # the person blocked the bot, or has no chat account
    FAILED = "failed"  # gave up after retries or past its deadline; `error` says why
    CANCELLED = "cancelled"  # withdrawn before it left (a cancelled broadcast, a moved session)


class OutboxMessage(Base):
    """One message to one participant, written in the same transaction as its cause.

    `key` names the cause (e.g. `table-promotion:41`), so a cause never queues its message
    twice. The text is rendered at delivery, in the reader's language of that moment.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_not_before", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(CleanString(200), unique=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(CleanString(40))
    payload: Mapped[dict[str, Any]] = mapped_column(CleanJSON)
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus, "outbox_status"))
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    platform: Mapped[str | None] = mapped_column(CleanString(16))
    error: Mapped[str | None] = mapped_column(CleanText)
    # After this the message is pointless (a reminder once its session has begun): not sent.
    expires_at: Mapped[datetime | None]
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    # The platform whose rule keeps the message back for now (WhatsApp's 24-hour window, with
    # no approved template for its kind): sent on the person's other app, or when they write.
    held_for: Mapped[str | None] = mapped_column(CleanString(16))
    # The platform's id of the message sent, and the last receipt it reported for it
    # (`delivered`, `read`, `failed`), where the platform reports them.
    platform_message_id: Mapped[str | None] = mapped_column(CleanString(128), index=True)
    receipt: Mapped[str | None] = mapped_column(CleanString(16))
    receipt_at: Mapped[datetime | None]
