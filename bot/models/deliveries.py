"""What platforms have delivered to us: the durable inbox, and the record that makes an update
delivered twice be handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, CleanString, CleanText


class ProcessedDelivery(Base):
    """One update (Telegram `update_id`, Slack `event_id`), from its arrival to its answer.

    An adapter with a durable inbox (Telegram) stores the raw update (`payload`) before it
    confirms it to the platform; handling it sets `handled_at` in the handler's own transaction
    and keeps the replies to send (`replies`) in that transaction too; once they are sent,
    payload and replies are cleared. Updates handled straight away (Slack) get a row with
    `handled_at` set in the handler's transaction. Times are real time, even in a rehearsal.
    """

    __tablename__ = "processed_deliveries"

    platform: Mapped[str] = mapped_column(CleanString(16), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(CleanString(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    handled_at: Mapped[datetime | None]
    # The update as the platform sent it (JSON), until it is handled and answered.
    payload: Mapped[str | None] = mapped_column(CleanText)
    # The replies of its handling (JSON, files in base64), until they are sent.
    replies: Mapped[str | None] = mapped_column(CleanText)
