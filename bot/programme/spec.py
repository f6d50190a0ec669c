"""A programme file, checked and in typed form (times already in UTC)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.models import Audience, SeatRole, SessionKind, Texts


@dataclass(frozen=True)
class VenueSpec:
    key: str
    name: str  # in the event's default language
    names: Texts | None  # in each language, when the file gives them
    address: str | None
    map_url: str | None


@dataclass(frozen=True)
class SessionSpec:
    key: str
    title: Texts
    description: Texts
    starts_at: datetime
    ends_at: datetime | None  # None: the source gives only the start ("from 18:00")
    venue: str | None
    kind: SessionKind
    audience: Audience
    interpretation: list[str]
    questions: bool = False  # open to questions from the floor (/ask, /floor)
    feedback: bool = False  # its participants are asked for a rating after it
    check_in: bool = False  # people are also checked in at its door, not only once a day


@dataclass(frozen=True)
class AlongsideSpec:
    """Something that happens alongside the meeting on some days, not a session of it."""

    key: str
    title: Texts
    description: Texts
    first_day: date
    last_day: date
    venue: str | None
    audience: Audience


@dataclass(frozen=True)
class TableSpec:
    act: int
    short: str | None
    title: Texts
    capacity: dict[SeatRole, int]


@dataclass(frozen=True)
class RoundSpec:
    key: str
    session: str
    title: Texts
    audience: Audience | None
    tables: list[TableSpec]


@dataclass(frozen=True)
class GroupSpec:
    key: str
    short: str | None
    title: Texts
    description: Texts
    interest_deadline: datetime | None


@dataclass(frozen=True)
class ContactSpec:
    """An organiser to reach during the meeting, printed in each participant's pack."""

    name: str
    role: Texts | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ProgrammeSpec:
    key: str
    name: Texts
    timezone: str
    languages: list[str]
    default_language: str
    country: str | None
    venues: list[VenueSpec]
    sessions: list[SessionSpec]
    rounds: list[RoundSpec]
    groups: list[GroupSpec]
    alongside: list[AlongsideSpec] = field(default_factory=list)
    # Days after the last session when personal data is erased (`coordbot purge`); None: kept.
    retention_days: int | None = None
    contacts: list[ContactSpec] = field(default_factory=list)
