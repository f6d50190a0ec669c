"""Who came: check-ins at the door, once a day and at the sessions that ask for it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, enum_column


class CheckInMethod(enum.StrEnum):
    QR_CODE = "qr_code"  # their check-in or invitation QR code, scanned
    NAME = "name"  # /checkin NAME


class CheckIn(Base):
    """One person checked in on one day (`session_id` None) or at one session's door.

    The day is the event's local date. Kept after a purge on the nameless row, so that the
    attendance figures do not change.
    """

    __tablename__ = "check_ins"
    __table_args__ = (
        # Once a day, and once per session: two partial indexes, since NULLs are distinct.
        Index(
            "uq_check_ins_day",
            "participant_id",
            "day",
            unique=True,
            sqlite_where="session_id IS NULL",
            postgresql_where="session_id IS NULL",
        ),
        Index(
            "uq_check_ins_session",
            "participant_id",
            "session_id",
            unique=True,
            sqlite_where="session_id IS NOT NULL",
            postgresql_where="session_id IS NOT NULL",
        ),
        Index("ix_check_ins_event_id_day", "event_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    day: Mapped[date]
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[CheckInMethod] = mapped_column(enum_column(CheckInMethod, "check_in_method"))
    # Who checked them in (an organiser or a volunteer); None once that person is erased.
    checked_in_by: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    checked_in_at: Mapped[datetime]
