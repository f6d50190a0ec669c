"""The programme: an event, its venues, sessions, table rounds, Act tables and reference groups."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, CleanJSON, CleanString, Texts, enum_column


class SessionKind(enum.StrEnum):
    PLENARY = "plenary"
    GROUP_SESSION = "group_session"
    SMALL_TABLES = "small_tables"
    BREAK = "break"
    LOGISTICS = "logistics"
    SOCIAL = "social"


class Audience(enum.StrEnum):
    EVERYONE = "everyone"
    CIVIL_SOCIETY = "civil_society"
    # Those who also attend the government-led Stocktaking (Participant.government_conference),
    # whatever their role: its badge lets them on its buses.
    BADGE_HOLDERS = "badge_holders"
    ORGANISERS = "organisers"


class SeatRole(enum.StrEnum):
    """Which seats of a table a participant takes: UN and international bodies sit with states."""

    CIVIL_SOCIETY = "civil_society"
    GOVERNMENT = "government"


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(CleanString(64), unique=True)
    name: Mapped[Texts]
    timezone: Mapped[str] = mapped_column(CleanString(64))
    languages: Mapped[list[str]]
    default_language: Mapped[str] = mapped_column(CleanString(8))
    # The host country (ISO 3166 code), counted apart in the participation snapshot.
    country: Mapped[str | None] = mapped_column(CleanString(2))
    loaded_at: Mapped[datetime]
    # What happens alongside the meeting on some days, not as a session of it, as the programme
    # file gives it (`bot.programme.agenda.Alongside` reads it): a list, written whole at each load.
    alongside: Mapped[list[dict[str, Any]] | None] = mapped_column(CleanJSON)
    # Days after the last session when personal data is erased (`coordbot purge`); None: kept.
    retention_days: Mapped[int | None]
    # The organisers' contacts printed in each pack, as the programme file gives them
    # ([{name, role: Texts | None, phone, email}]).
    contacts: Mapped[list[dict[str, Any]] | None] = mapped_column(CleanJSON)
    # When `coordbot purge` erased the participants, the retention period being over.
    purged_at: Mapped[datetime | None]


class Venue(Base):
    __tablename__ = "venues"
    __table_args__ = (UniqueConstraint("event_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(CleanString(64))
    name: Mapped[str] = mapped_column(CleanString(200))
    # The name in each language, when the programme file gives it so ({language: name}).
    names: Mapped[Texts | None]
    address: Mapped[str | None] = mapped_column(CleanString(300))
    map_url: Mapped[str | None] = mapped_column(CleanString(500))


# How long a session whose end the programme does not give ("from 18:00") counts as going on:
# long enough to be "now" in /next when it starts, short enough not to fill the evening.
OPEN_END = timedelta(hours=1)


class Session(Base):
    """One item of the programme (named Session as in the agenda, not a database session)."""

    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("event_id", "key"),
        Index("ix_sessions_event_id_starts_at", "event_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(CleanString(64))
    title: Mapped[Texts]
    description: Mapped[Texts]
    starts_at: Mapped[datetime]
    # None when the programme gives only the start ("from 18:00"): see `Session.over_at`.
    ends_at: Mapped[datetime | None]
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="SET NULL"))
    kind: Mapped[SessionKind] = mapped_column(enum_column(SessionKind, "session_kind"))
    audience: Mapped[Audience] = mapped_column(enum_column(Audience, "session_audience"))
    interpretation: Mapped[list[str]]
    # Open to questions from the floor (/ask, /floor) while it goes on; feedback asked after it.
    questions: Mapped[bool] = mapped_column(default=False)
    feedback: Mapped[bool] = mapped_column(default=False)
    # People are also checked in at its door, not only once a day.
    check_in: Mapped[bool] = mapped_column(default=False)
    # Raised by each programme load that changes it: the calendar's SEQUENCE.
    revision: Mapped[int] = mapped_column(default=0)

    venue: Mapped[Venue | None] = relationship(lazy="joined")

    @property
    def over_at(self) -> datetime:
        """When the session is over: its end, or OPEN_END after a start given alone."""
        return self.ends_at or self.starts_at + OPEN_END

    @staticmethod
    def not_over(now: datetime) -> ColumnElement[bool]:
        """`over_at > now`, in SQL."""
        return or_(
            Session.ends_at > now,
            and_(Session.ends_at.is_(None), Session.starts_at > now - OPEN_END),
        )


class TableRound(Base):
    """One sitting of the themed tables; a participant sits at one table per round."""

    __tablename__ = "table_rounds"
    __table_args__ = (UniqueConstraint("event_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(CleanString(64))
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    title: Mapped[Texts]
    audience: Mapped[Audience] = mapped_column(enum_column(Audience, "round_audience"))

    tables: Mapped[list[ActTable]] = relationship(
        back_populates="round", order_by="ActTable.act", cascade="all, delete-orphan"
    )


class ActTable(Base):
    __tablename__ = "act_tables"
    __table_args__ = (UniqueConstraint("round_id", "act"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("table_rounds.id", ondelete="CASCADE"))
    act: Mapped[int]
    short: Mapped[str | None] = mapped_column(CleanString(32))
    title: Mapped[Texts]
    # Closed by an organiser: nobody joins it by command (organisers may still assign).
    closed: Mapped[bool] = mapped_column(default=False)

    round: Mapped[TableRound] = relationship(back_populates="tables")
    capacities: Mapped[list[TableCapacity]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class TableCapacity(Base):
    __tablename__ = "table_capacities"

    table_id: Mapped[int] = mapped_column(
        ForeignKey("act_tables.id", ondelete="CASCADE"), primary_key=True
    )
    seat_role: Mapped[SeatRole] = mapped_column(
        enum_column(SeatRole, "seat_role"), primary_key=True
    )
    seats: Mapped[int]


class ReferenceGroup(Base):
    __tablename__ = "reference_groups"
    __table_args__ = (UniqueConstraint("event_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(CleanString(64))
    short: Mapped[str | None] = mapped_column(CleanString(32))
    title: Mapped[Texts]
    description: Mapped[Texts]
    interest_deadline: Mapped[datetime | None]
    # Only organisers post in an announcement-only group.
    announcement_only: Mapped[bool] = mapped_column(default=False)
