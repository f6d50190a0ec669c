"""Who came: check-ins at the door, by an organiser or a volunteer (see docs/participants.md).

A check-in always counts for the event's local day (one row with `session_id` None). When a
session that asks for it (`check_in: true` in the programme) is going on, or starts within
`SESSION_AHEAD`, the same check-in also counts for that session. The partial unique indexes of
`check_ins` keep one row per day and per session whoever races: the insert does nothing on a
conflict, and the row already there says when the person was first checked in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_once
from bot.models import CheckIn, CheckInMethod, Event, Participant, Role, Session
from bot.people import access, badges, invitations
from bot.programme.meeting import local_day
from bot.text.matching import Found, find

# A session that asks for check-ins counts the people who arrive this long before it starts.
SESSION_AHEAD = timedelta(minutes=30)


def checks_people_in(person: Participant | None) -> bool:
    """Organisers and volunteers check people in at the door."""
    return person is not None and (person.role == Role.ORGANISER or person.volunteer)


@dataclass(frozen=True)
class CheckedIn:
    """The outcome of one check-in: when the person was (first) checked in today, whether it
    was already done before, and the session it also counts for."""

    person: Participant
    day: date
    at: datetime  # this check-in's time, or the earlier one's when `already`
    already: bool
    session: Session | None = None  # the session it also counts for (None: none at the door)
    session_already: bool = False
    # Several sessions asking for check-ins at once: none counted (the door does not say which).
    sessions_at_once: tuple[Session, ...] = ()


async def check_in(
    db: AsyncSession,
    event: Event,
    person: Participant,
    by: Participant,
    method: CheckInMethod,
    now: datetime,
) -> CheckedIn:
    """Check `person` in for today and, if one is at the door now, for its session."""
    day = local_day(event, now)
    at, already = await _insert(db, event, person, by, method, now, day, None)
    doors = await sessions_at_the_door(db, event, person, now)
    if len(doors) != 1:
        return CheckedIn(person, day, at, already, sessions_at_once=tuple(doors))
    _at, session_already = await _insert(db, event, person, by, method, now, day, doors[0].id)
    return CheckedIn(person, day, at, already, doors[0], session_already)


async def _insert(
    db: AsyncSession,
    event: Event,
    person: Participant,
    by: Participant,
    method: CheckInMethod,
    now: datetime,
    day: date,
    session_id: int | None,
) -> tuple[datetime, bool]:
    """(when, already): the row written now, or the one a unique index already holds."""
    values = {
        "event_id": event.id,
        "participant_id": person.id,
        "day": day,
        "session_id": session_id,
        "method": method,
        "checked_in_by": by.id,
        "checked_in_at": now,
    }
    # No conflict target: each partial unique index (day, session) refuses its own duplicate.
    statement = insert_once(db, CheckIn).values(values).on_conflict_do_nothing()
    if (await db.execute(statement.returning(CheckIn.id))).first() is not None:
        return now, False
    same = [CheckIn.participant_id == person.id]
    if session_id is None:
        same += [CheckIn.day == day, CheckIn.session_id.is_(None)]
    else:
        same.append(CheckIn.session_id == session_id)
    earlier = await db.scalar(select(CheckIn.checked_in_at).where(*same))
    return (earlier or now), True


async def sessions_at_the_door(
    db: AsyncSession, event: Event, person: Participant, now: datetime
) -> list[Session]:
    """The sessions open to `person` that ask for check-ins and are going on or about to start."""
    query = (
        select(Session)
        .where(
            Session.event_id == event.id,
            Session.check_in.is_(True),
            Session.audience.in_(access.audiences_of(person)),
            Session.starts_at <= now + SESSION_AHEAD,
            Session.not_over(now),
        )
        .order_by(Session.starts_at, Session.id)
    )
    return list((await db.execute(query)).scalars())


async def undo(db: AsyncSession, event: Event, person: Participant, now: datetime) -> bool:
    """Take back today's check-in of `person` (a mistake at the door), with the session check-ins
    made today; False when there was none."""
    day = local_day(event, now)
    result = await db.execute(
        delete(CheckIn).where(CheckIn.participant_id == person.id, CheckIn.day == day)
    )
    return bool(getattr(result, "rowcount", 0))


async def checked_in_today(
    db: AsyncSession, event: Event, person: Participant, now: datetime
) -> datetime | None:
    """When `person` was checked in today, or None."""
    query = select(CheckIn.checked_in_at).where(
        CheckIn.participant_id == person.id,
        CheckIn.day == local_day(event, now),
        CheckIn.session_id.is_(None),
    )
    return await db.scalar(query)


@dataclass(frozen=True)
class MyCheckIn:
    """One of the person's own check-ins, for /mydata."""

    checked_in_at: datetime
    session_title: dict[str, str] | None  # None: the day's check-in


async def check_ins_of(db: AsyncSession, person: Participant) -> list[MyCheckIn]:
    query = (
        select(CheckIn.checked_in_at, Session.title)
        .outerjoin(Session, Session.id == CheckIn.session_id)
        .where(CheckIn.participant_id == person.id)
        .order_by(CheckIn.checked_in_at, CheckIn.id)
    )
    return [MyCheckIn(at, title) for at, title in await db.execute(query)]


# Finding whom to check in


async def by_checkin_code(db: AsyncSession, event: Event, text: str) -> Participant | None:
    """The participant whose check-in code `text` (`ci-…`) is, or None."""
    code = badges.parse(text)
    if code is None:
        return None
    query = select(Participant).where(
        Participant.event_id == event.id,
        Participant.checkin_code == code,
        Participant.erased_at.is_(None),
    )
    return await db.scalar(query)


async def by_invitation(db: AsyncSession, event: Event, code: str) -> Participant | None:
    """The participant whose invitation code (normalised) `code` is, found by its hash; nothing
    is linked, spent or counted as a wrong code."""
    query = select(Participant).where(
        Participant.event_id == event.id,
        Participant.invitation_hash == invitations.digest(code),
        Participant.erased_at.is_(None),
    )
    return await db.scalar(query)


async def named(db: AsyncSession, event: Event, text: str) -> Found[Participant]:
    """Whom a typed name designates (`#12` is participant 12): accents and case aside, the
    whole name, its start or a part of it, else the closest names."""
    reference = text.strip()
    if reference.startswith("#") and reference[1:].isdigit():
        person = await db.get(Participant, int(reference[1:]))
        if person is None or person.event_id != event.id or person.erased_at is not None:
            return Found(None, [])
        return Found(person, [])
    # Names only: a door of a 10,000-person meeting must not load every participant's row.
    names = await db.execute(
        select(Participant.id, Participant.name)
        .where(Participant.event_id == event.id, Participant.erased_at.is_(None))
        .order_by(Participant.name, Participant.id)
    )
    found = find(reference, [(person_id, [name]) for person_id, name in names])
    wanted = [found.item] if found.item is not None else found.suggestions
    rows = await db.scalars(select(Participant).where(Participant.id.in_(wanted)))
    people = {person.id: person for person in rows}
    return Found(
        people.get(found.item) if found.item is not None else None,
        [people[person_id] for person_id in found.suggestions if person_id in people],
        found.ambiguous,
    )


async def participant(db: AsyncSession, event: Event, participant_id: int) -> Participant | None:
    """A participant of `event` by id (a button's), erased ones left out."""
    person = await db.get(Participant, participant_id)
    if person is None or person.event_id != event.id or person.erased_at is not None:
        return None
    return person


# Volunteers


async def volunteers(db: AsyncSession, event: Event) -> list[Participant]:
    query = select(Participant).where(
        Participant.event_id == event.id,
        Participant.volunteer.is_(True),
        Participant.erased_at.is_(None),
    )
    return list((await db.execute(query.order_by(Participant.name))).scalars())


# Counts


@dataclass(frozen=True)
class SessionCount:
    session: Session
    people: int


@dataclass(frozen=True)
class DayCount:
    """How many were checked in on one day, and at each session of that day that asks for it."""

    day: date
    people: int
    sessions: list[SessionCount]


async def day_count(db: AsyncSession, event: Event, day: date) -> DayCount:
    people = await db.scalar(
        select(func.count()).where(
            CheckIn.event_id == event.id, CheckIn.day == day, CheckIn.session_id.is_(None)
        )
    )
    per_session = await db.execute(
        select(Session, func.count(CheckIn.id))
        .join(CheckIn, and_(CheckIn.session_id == Session.id, CheckIn.day == day))
        .where(Session.event_id == event.id)
        .group_by(Session.id)
        .order_by(Session.starts_at, Session.id)
    )
    return DayCount(day, people or 0, [SessionCount(s, n) for s, n in per_session])


async def days_with_check_ins(db: AsyncSession, event: Event) -> list[date]:
    query = select(CheckIn.day).where(CheckIn.event_id == event.id).distinct()
    return sorted((await db.execute(query)).scalars())
