"""Mailing-list mail: each message archived once, with its attachments, then relayed."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, CleanString, CleanText, enum_column


class MailStatus(enum.StrEnum):
    RELAYED = "relayed"  # archived, and queued to every reader through the outbox
    FAILED = "failed"  # could not be made readable: kept with the reason and the raw bytes


class MailMessage(Base):
    __tablename__ = "mail_messages"
    # One row per message, whatever the number of times the list or the mailbox delivers it.
    __table_args__ = (UniqueConstraint("event_id", "message_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # sha256 of the Message-ID (Message-IDs may be longer than an index allows).
    message_key: Mapped[str] = mapped_column(CleanString(64))
    message_id: Mapped[str] = mapped_column(CleanText)
    list_id: Mapped[str | None] = mapped_column(CleanString(255))
    list_name: Mapped[str | None] = mapped_column(CleanString(255))
    sender_name: Mapped[str] = mapped_column(CleanString(255), default="")
    sender_address: Mapped[str] = mapped_column(CleanString(320), default="")
    subject: Mapped[str] = mapped_column(CleanText, default="")
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(index=True)
    text: Mapped[str] = mapped_column(CleanText, default="")
    # The reference group named by a [Tag] in the subject: its members get the message too.
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("reference_groups.id", ondelete="SET NULL")
    )
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus, "mail_status"))
    reason: Mapped[str | None] = mapped_column(CleanString(500))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # failed messages only, to look into
    recipients: Mapped[int] = mapped_column(default=0)
    resent_at: Mapped[datetime | None]


class MailAttachment(Base):
    """An attachment, named in the relay; its bytes kept when small enough to forward."""

    __tablename__ = "mail_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(
        ForeignKey("mail_messages.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(CleanString(255))
    content_type: Mapped[str] = mapped_column(CleanString(255))
    size: Mapped[int]
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # None: over the limit, listed only
