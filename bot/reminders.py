"""Who is reminded of what, and queuing the reminders whose time has come.

A participant is reminded of the plenaries and logistics (badges, buses) open to them, and of
the sessions where they have a seat at a table — at the offset they chose (/remind), in their
language. Who is reminded is read from the database each time reminders are queued, never
frozen earlier: a delegate who links, takes a seat, changes role or changes /remind after the
bot started is reminded too (late if their reminder's time has passed, as long as the session
has not begun). The outbox key names the session, its start and the person — not the offset —
so a person gets one reminder per session however often the queuing runs (a restart, a second
process, a programme reload, a /remind changed after the first reminder left).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import ClassVar, Self

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.models import (
    ActTable,
    Audience,
    ChatIdentity,
    Event,
    MembershipStatus,
    OutboxMessage,
    Participant,
    Role,
    Session,
    SessionKind,
    TableCapacity,
    TableMembership,
    TableRound,
    Texts,
    Venue,
)
from bot.notice import ALWAYS, NOT_STORED, Notice

log = logging.getLogger(__name__)

OFFSETS = (10, 15, 30, 60)
# Queuing starts this much earlier than the fan-out needs at the sending rate, to spare.
MARGIN = timedelta(seconds=5)
_FOR_EVERYONE_CONCERNED = (SessionKind.PLENARY, SessionKind.LOGISTICS)
_ROLES_SEEING = {
    Audience.EVERYONE: tuple(Role),
    Audience.CIVIL_SOCIETY: (Role.CIVIL_SOCIETY, Role.FACILITATOR, Role.RAPPORTEUR, Role.ORGANISER),
    Audience.BADGE_HOLDERS: tuple(Role),  # those of them with the badge: see `concerns`
    Audience.ORGANISERS: (Role.ORGANISER,),
}
_CHUNK = 100  # sessions per statement (SQLite allows 500 terms in a compound SELECT)


def _roles(session: Session) -> tuple[Role, ...]:
    """The roles a session concerns whatever their seats (plenaries and logistics)."""
    return _ROLES_SEEING[session.audience] if session.kind in _FOR_EVERYONE_CONCERNED else ()


def concerns(session: Session) -> ColumnElement[bool]:
    """The participants a session concerns, as a condition on Participant. Seats are found
    through the session's tables (an index), so a session with tables only reads its seats."""
    seated = select(TableMembership.participant_id).where(
        TableMembership.table_id.in_(
            select(ActTable.id)
            .join(TableRound, ActTable.round_id == TableRound.id)
            .where(TableRound.session_id == session.id)
        ),
        TableMembership.status == MembershipStatus.SEATED,
    )
    conditions: list[ColumnElement[bool]] = [Participant.id.in_(seated)]
    if roles := _roles(session):
        by_role: ColumnElement[bool] = Participant.role.in_(roles)
        if session.audience == Audience.BADGE_HOLDERS:
            by_role = and_(by_role, Participant.government_conference.is_(True))
        conditions.append(by_role)
    return and_(
        Participant.event_id == session.event_id,
        Participant.erased_at.is_(None),
        exists().where(
            ChatIdentity.participant_id == Participant.id, ChatIdentity.reachable.is_(True)
        ),
        or_(*conditions),
    )


async def concerned(db: AsyncSession, session: Session) -> list[int]:
    """Everyone a session concerns, whatever their reminder setting (for change notices)."""
    return list((await db.execute(select(Participant.id).where(concerns(session)))).scalars())


async def count(db: AsyncSession, session: Session, offset: int) -> int:
    query = select(func.count()).where(concerns(session), Participant.reminder_minutes == offset)
    return int((await db.execute(query)).scalar_one())


@dataclass(frozen=True, kw_only=True)
class Reminder(Notice):
    """A session is about to begin (queued `minutes` before it, at the reader's /remind)."""

    kind: ClassVar[str] = "reminder"
    session_id: int
    title: Texts
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    venue: str | Texts | None  # its names by language, or one name
    address: str | None
    interpretation: list[str]
    minutes: int | None
    # When it leaves (not stored): the text counts the minutes left from then.
    sent_at: datetime | None = field(default=None, metadata=NOT_STORED)

    def leaving(self, now: datetime) -> Self:
        return replace(self, sent_at=now)

    def urgent_from(self) -> datetime | None:
        return ALWAYS  # asked for with /remind, and pointless after the session has begun

    @classmethod
    def of(cls, session: Session, event: Event, venue: Venue | None, offset: int | None) -> Self:
        return cls(
            session_id=session.id,
            title=session.title,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            timezone=event.timezone,
            venue=(venue.names or venue.name) if venue else None,
            address=venue.address if venue else None,
            interpretation=session.interpretation,
            minutes=offset,
        )


def _key_prefix(session: Session) -> str:
    return f"reminder:{session.id}:{session.starts_at:%Y%m%dT%H%M}:"


def key(session: Session, participant_id: int) -> str:
    """One reminder per person and session (a session that moves is reminded of again)."""
    return f"{_key_prefix(session)}{participant_id}"


def due(session: Session, offset: int) -> datetime:
    return session.starts_at - timedelta(minutes=offset)


def lead(recipients: int, rate: float) -> timedelta:
    """How long before its due time a fan-out to `recipients` must start, at `rate` a second."""
    return timedelta(seconds=recipients / rate) + MARGIN


async def upper_bounds(db: AsyncSession, sessions: Sequence[Session]) -> dict[int, int]:
    """For each session, at most how many people it may ever concern: the participants
    registered in the roles it concerns, plus its seats (or those seated, if an organiser
    seated more). Independent of who has linked a chat account so far, so that reminders
    planned from it stay on time however many link later. Three grouped queries."""
    if not sessions:
        return {}
    event_id = sessions[0].event_id
    by_role: dict[Role, int] = {
        role: int(number)
        for role, number in (
            await db.execute(
                select(Participant.role, func.count())
                .where(Participant.event_id == event_id, Participant.erased_at.is_(None))
                .group_by(Participant.role)
            )
        )
    }
    seats: dict[int, int] = {
        session_id: int(number or 0)
        for session_id, number in (
            await db.execute(
                select(TableRound.session_id, func.sum(TableCapacity.seats))
                .join(ActTable, ActTable.round_id == TableRound.id)
                .join(TableCapacity, TableCapacity.table_id == ActTable.id)
                .where(TableRound.event_id == event_id)
                .group_by(TableRound.session_id)
            )
        )
    }
    seated: dict[int, int] = {
        session_id: int(number)
        for session_id, number in (
            await db.execute(
                select(TableRound.session_id, func.count())
                .join(TableMembership, TableMembership.round_id == TableRound.id)
                .where(
                    TableRound.event_id == event_id,
                    TableMembership.status == MembershipStatus.SEATED,
                )
                .group_by(TableRound.session_id)
            )
        )
    }
    total = sum(by_role.values())
    return {
        s.id: min(
            total,
            sum(by_role.get(role, 0) for role in _roles(s))
            + max(seats.get(s.id, 0), seated.get(s.id, 0)),
        )
        for s in sessions
    }


@dataclass(frozen=True)
class Queued:
    session: Session
    offset: int
    count: int
    late: bool  # queued after its due time


def _missing(session: Session, offsets: Collection[int]) -> ColumnElement[bool]:
    """Who the session concerns at one of `offsets` and has no reminder of it yet."""
    return and_(
        concerns(session),
        Participant.reminder_minutes.in_(offsets),
        ~exists().where(
            OutboxMessage.key
            == literal(_key_prefix(session), String) + cast(Participant.id, String)
        ),
    )


async def _enqueue(
    db: AsyncSession,
    session: Session,
    notice: Reminder,
    people: Sequence[int],
    not_before: datetime,
    now: datetime,
    batch: int = 2000,
) -> int:
    """Queue one reminder to each of `people` (an insert-select by id: the database builds the
    rows, which is far quicker than sending them); returns how many were new."""
    queued = 0
    for start in range(0, len(people), batch):
        queued += await outbox.enqueue_selected(
            db,
            _key_prefix(session),
            Participant.id,
            Participant.id.in_(people[start : start + batch]),
            notice,
            now,
            not_before,
            expires_at=session.starts_at,
        )
    return queued


async def queue_due(
    db: AsyncSession,
    event_id: int,
    now: datetime,
    rate: float,
    *,
    session_ids: Collection[int] | None = None,
    also_due: Collection[tuple[int, int]] = (),
) -> list[Queued]:
    """Queue every reminder whose time has come (its due time minus the lead the session's
    upper bound needs at `rate`) for a session that has not begun, to everyone it concerns now
    who has none yet. `also_due` names (session, offset) pairs to treat as due whatever the
    bound says (a job planned for that moment). One query finds who is missing (none, as a
    rule); the outbox key makes it safe to run at any time, in any number of places."""
    registered = (
        await db.execute(
            select(func.count()).where(
                Participant.event_id == event_id, Participant.erased_at.is_(None)
            )
        )
    ).scalar_one()
    horizon = now + timedelta(minutes=max(OFFSETS)) + lead(int(registered), rate)
    query = select(Session).where(
        Session.event_id == event_id, Session.starts_at > now, Session.starts_at <= horizon
    )
    if session_ids is not None:
        query = query.where(Session.id.in_(session_ids))
    sessions = list((await db.execute(query)).scalars())
    bounds = await upper_bounds(db, sessions)
    plan = [
        (session, offsets)
        for session in sessions
        if bounds[session.id]
        and (
            offsets := [
                offset
                for offset in OFFSETS
                if (session.id, offset) in also_due
                or due(session, offset) - lead(bounds[session.id], rate) <= now
            ]
        )
    ]
    missing: dict[tuple[int, int], list[int]] = defaultdict(list)
    for start in range(0, len(plan), _CHUNK):
        # Found first, queued after: an insert-select would read its own new rows' index
        # entries, which costs PostgreSQL dearly when the outbox was small when last analysed.
        finding = [
            select(
                literal(session.id, Integer).label("session_id"),
                Participant.reminder_minutes,
                Participant.id,
            ).where(_missing(session, offsets))
            for session, offsets in plan[start : start + _CHUNK]
        ]
        for session_id, offset, participant_id in await db.execute(union_all(*finding)):
            assert offset is not None  # reminders are on (`_missing`)
            missing[session_id, offset].append(participant_id)
    if not missing:
        return []
    event = await db.get_one(Event, event_id)
    by_id = {session.id: session for session in sessions}
    queued: list[Queued] = []
    for (session_id, offset), people in sorted(missing.items()):
        session = by_id[session_id]
        venue = await db.get(Venue, session.venue_id) if session.venue_id else None
        notice = Reminder.of(session, event, venue, offset)
        # The fan-out ends by the due time at `rate`; a late one leaves now.
        not_before = max(now, due(session, offset) - lead(len(people), rate))
        number = await _enqueue(db, session, notice, people, not_before, now)
        late = due(session, offset) < now
        queued.append(Queued(session, offset, number, late))
        log.log(
            # Late for a job (the bot was down) is worth a warning; a catch-up is routine.
            logging.WARNING if late and (session_id, offset) in also_due else logging.INFO,
            "queued %d reminders (%d min) for session %d (%r)%s",
            number,
            offset,
            session_id,
            session.key,
            f", late: they were due {due(session, offset).isoformat()}" if late else "",
        )
    return queued
