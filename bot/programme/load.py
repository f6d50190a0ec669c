"""`coordbot programme load`: write a checked programme to the database, in place, and say what
changed so that later features can tell the people concerned."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import reminders
from bot.delivery import outbox
from bot.models import (
    ActTable,
    Event,
    ReferenceGroup,
    SeatRole,
    Session,
    TableCapacity,
    TableRound,
    Texts,
    Venue,
)
from bot.notice import Notice
from bot.programme import pack
from bot.programme.spec import ProgrammeSpec, RoundSpec, SessionSpec


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"  # its time or its venue changed: people must be told
    UPDATED = "updated"  # only its texts, kind, audience, interpretation or floor changed


@dataclass(frozen=True)
class SessionChange:
    kind: ChangeKind
    key: str
    title: Texts
    old_start: datetime | None = None
    new_start: datetime | None = None
    old_end: datetime | None = None
    new_end: datetime | None = None
    old_venue: str | None = None
    new_venue: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in data.items()
        }


@dataclass(frozen=True, kw_only=True)
class ChangedSession:
    """A session's change as a programme change notice tells it, venues by their names."""

    kind: ChangeKind
    key: str
    title: Texts
    old_start: datetime | None = None
    new_start: datetime | None = None
    old_end: datetime | None = None
    new_end: datetime | None = None
    old_venue: str | Texts | None = None
    new_venue: str | Texts | None = None


# A change to a session starting within this time reaches readers in data-saver mode at once.
URGENT_BEFORE = timedelta(hours=2)


@dataclass(frozen=True, kw_only=True)
class ProgrammeChange(Notice):
    """To each person concerned, after a programme reload: the sessions of theirs that moved
    or were cancelled."""

    kind: ClassVar[str] = "programme_change"
    timezone: str
    changes: list[ChangedSession]

    def urgent_from(self) -> datetime | None:
        """Urgent (past a data-saver digest) from two hours before the first session concerned
        starts, where it was or where it moved to."""
        starts = [
            start for change in self.changes for start in (change.old_start, change.new_start)
        ]
        known = [start for start in starts if start is not None]
        return min(known) - URGENT_BEFORE if known else None


@dataclass
class ProgrammeChanges:
    event_key: str
    event_created: bool
    sessions: list[SessionChange] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def of_kind(self, kind: ChangeKind) -> list[SessionChange]:
        return [change for change in self.sessions if change.kind == kind]

    def as_json(self) -> dict[str, Any]:
        return {
            "event": self.event_key,
            "event_created": self.event_created,
            "counts": self.counts,
            "sessions": [change.as_json() for change in self.sessions],
        }


async def load_programme(db: AsyncSession, spec: ProgrammeSpec, now: datetime) -> ProgrammeChanges:
    """Create or update the event of `spec`; items absent from the file are removed."""
    event = (await db.execute(select(Event).where(Event.key == spec.key))).scalar_one_or_none()
    created = event is None
    if event is None:
        event = Event(key=spec.key)
        db.add(event)
    event.name = spec.name
    event.timezone = spec.timezone
    event.languages = spec.languages
    event.default_language = spec.default_language
    event.country = spec.country
    event.retention_days = spec.retention_days
    event.contacts = [
        {"name": item.name, "role": item.role, "phone": item.phone, "email": item.email}
        for item in spec.contacts
    ]
    event.loaded_at = now
    await db.flush()

    wanted = {item.key for item in spec.sessions}
    removed = [s for s in (await _existing(db, Session, event)).values() if s.key not in wanted]
    concerned_by_removed = {s.key: await reminders.concerned(db, s) for s in removed}
    venue_names: dict[str, str | Texts] = {
        venue.key: venue.names or venue.name
        for venue in (await _existing(db, Venue, event)).values()
    }

    venues = await _load_venues(db, event, spec)
    event.alongside = [
        {
            "key": item.key,
            "title": item.title,
            "description": item.description,
            "first_day": item.first_day.isoformat(),
            "last_day": item.last_day.isoformat(),
            "venue": (venues[item.venue].names or venues[item.venue].name) if item.venue else None,
            "audience": item.audience.value,
        }
        for item in spec.alongside
    ]
    changes = ProgrammeChanges(event_key=spec.key, event_created=created)
    sessions = await _load_sessions(db, event, spec, venues, changes)
    table_count = await _load_rounds(db, event, spec.rounds, sessions)
    await _load_groups(db, event, spec)
    await db.flush()
    venue_names |= {key: venue.names or venue.name for key, venue in venues.items()}
    await _notify(db, event, changes, sessions, concerned_by_removed, venue_names, now)
    changes.counts = {
        "venues": len(spec.venues),
        "sessions": len(spec.sessions),
        "rounds": len(spec.rounds),
        "tables": table_count,
        "reference_groups": len(spec.groups),
    }
    return changes


Keyed = TypeVar("Keyed", Venue, Session, ReferenceGroup)


async def _notify(
    db: AsyncSession,
    event: Event,
    changes: ProgrammeChanges,
    sessions: dict[str, Session],
    concerned_by_removed: dict[str, list[int]],
    venue_names: dict[str, str | Texts],
    now: datetime,
) -> None:
    """One notice per affected participant, listing every change that concerns them."""
    per_person: dict[int, list[ChangedSession]] = {}
    for change in changes.sessions:
        if change.kind == ChangeKind.REMOVED:
            people = concerned_by_removed.get(change.key, [])
        elif change.kind == ChangeKind.MOVED:
            people = await reminders.concerned(db, sessions[change.key])
        else:
            continue
        described = ChangedSession(
            kind=change.kind,
            key=change.key,
            title=change.title,
            old_start=change.old_start,
            new_start=change.new_start,
            old_end=change.old_end,
            new_end=change.new_end,
            old_venue=venue_names.get(change.old_venue or "", change.old_venue),
            new_venue=venue_names.get(change.new_venue or "", change.new_venue),
        )
        for person in people:
            per_person.setdefault(person, []).append(described)
    await outbox.enqueue_many(
        db,
        [
            outbox.Message(
                f"programme-change:{event.id}:{now:%Y%m%dT%H%M%S}:{person}",
                person,
                ProgrammeChange(timezone=event.timezone, changes=described),
            )
            for person, described in per_person.items()
        ],
        now,
    )
    await pack.queue_updates(db, list(per_person), now)  # those who made one get a new one


async def _existing(db: AsyncSession, model: type[Keyed], event: Event) -> dict[str, Keyed]:
    rows = await db.execute(select(model).where(model.event_id == event.id))
    return {row.key: row for row in rows.scalars()}


async def _load_venues(db: AsyncSession, event: Event, spec: ProgrammeSpec) -> dict[str, Venue]:
    existing = await _existing(db, Venue, event)
    venues: dict[str, Venue] = {}
    for item in spec.venues:
        venue = existing.pop(item.key, None) or Venue(event_id=event.id, key=item.key)
        venue.name, venue.names = item.name, item.names
        venue.address, venue.map_url = item.address, item.map_url
        db.add(venue)
        venues[item.key] = venue
    for gone in existing.values():
        await db.delete(gone)
    await db.flush()
    return venues


def _session_change(
    session: Session, item: SessionSpec, venue_keys: dict[int, str]
) -> ChangeKind | None:
    old_venue = venue_keys.get(session.venue_id) if session.venue_id else None
    if (session.starts_at, session.ends_at, old_venue) != (
        item.starts_at,
        item.ends_at,
        item.venue,
    ):
        return ChangeKind.MOVED
    current = (
        session.title,
        session.description,
        session.kind,
        session.audience,
        session.interpretation,
        session.questions,
        session.feedback,
        session.check_in,
    )
    wanted = (
        item.title,
        item.description,
        item.kind,
        item.audience,
        item.interpretation,
        item.questions,
        item.feedback,
        item.check_in,
    )
    return ChangeKind.UPDATED if current != wanted else None


async def _load_sessions(
    db: AsyncSession,
    event: Event,
    spec: ProgrammeSpec,
    venues: dict[str, Venue],
    changes: ProgrammeChanges,
) -> dict[str, Session]:
    existing = await _existing(db, Session, event)
    venue_keys = {venue.id: key for key, venue in venues.items()}
    sessions: dict[str, Session] = {}
    for item in spec.sessions:
        session = existing.pop(item.key, None)
        if session is None:
            session = Session(event_id=event.id, key=item.key)
            changes.sessions.append(
                SessionChange(
                    ChangeKind.ADDED,
                    item.key,
                    item.title,
                    new_start=item.starts_at,
                    new_end=item.ends_at,
                    new_venue=item.venue,
                )
            )
        else:
            kind = _session_change(session, item, venue_keys)
            if kind is not None:
                session.revision += 1  # calendars replace their copy (SEQUENCE)
                changes.sessions.append(
                    SessionChange(
                        kind,
                        item.key,
                        item.title,
                        old_start=session.starts_at,
                        new_start=item.starts_at,
                        old_end=session.ends_at,
                        new_end=item.ends_at,
                        old_venue=venue_keys.get(session.venue_id) if session.venue_id else None,
                        new_venue=item.venue,
                    )
                )
        session.title, session.description = item.title, item.description
        session.starts_at, session.ends_at = item.starts_at, item.ends_at
        session.venue_id = venues[item.venue].id if item.venue else None
        session.kind, session.audience = item.kind, item.audience
        session.interpretation = item.interpretation
        session.questions, session.feedback = item.questions, item.feedback
        session.check_in = item.check_in
        db.add(session)
        sessions[item.key] = session
    for gone in existing.values():
        changes.sessions.append(
            SessionChange(
                ChangeKind.REMOVED,
                gone.key,
                gone.title,
                old_start=gone.starts_at,
                old_end=gone.ends_at,
                old_venue=venue_keys.get(gone.venue_id) if gone.venue_id else None,
            )
        )
        await db.delete(gone)
    await db.flush()
    return sessions


async def _load_rounds(
    db: AsyncSession, event: Event, rounds: list[RoundSpec], sessions: dict[str, Session]
) -> int:
    query = (
        select(TableRound)
        .where(TableRound.event_id == event.id)
        .options(selectinload(TableRound.tables).selectinload(ActTable.capacities))
    )
    existing = {row.key: row for row in (await db.execute(query)).scalars()}
    table_count = 0
    for item in rounds:
        table_round = existing.pop(item.key, None)
        if table_round is None:
            table_round = TableRound(event_id=event.id, key=item.key, tables=[])
            db.add(table_round)
        session = sessions[item.session]
        table_round.session_id = session.id
        table_round.title = item.title
        table_round.audience = item.audience or session.audience
        tables = {table.act: table for table in table_round.tables}
        kept = []
        for table_item in item.tables:
            table = tables.pop(table_item.act, None) or ActTable(act=table_item.act, capacities=[])
            table.short, table.title = table_item.short, table_item.title
            seats = {capacity.seat_role: capacity for capacity in table.capacities}
            table.capacities = [
                _capacity(seats.get(role), role, count)
                for role, count in table_item.capacity.items()
            ]
            kept.append(table)
        table_round.tables = kept
        table_count += len(kept)
    for gone in existing.values():
        await db.delete(gone)
    await db.flush()
    return table_count


def _capacity(current: TableCapacity | None, role: SeatRole, seats: int) -> TableCapacity:
    capacity = current or TableCapacity(seat_role=role)
    capacity.seats = seats
    return capacity


async def _load_groups(db: AsyncSession, event: Event, spec: ProgrammeSpec) -> None:
    existing = await _existing(db, ReferenceGroup, event)
    for item in spec.groups:
        group = existing.pop(item.key, None) or ReferenceGroup(event_id=event.id, key=item.key)
        group.short, group.title, group.description = item.short, item.title, item.description
        group.interest_deadline = item.interest_deadline
        db.add(group)
    for gone in existing.values():
        await db.delete(gone)
