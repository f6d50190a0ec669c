"""What platforms have delivered to us, so that an update delivered twice is handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class ProcessedDelivery(Base):
    """One update (Telegram `update_id`, later Slack `event_id`) that has been handled."""

    __tablename__ = "processed_deliveries"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
