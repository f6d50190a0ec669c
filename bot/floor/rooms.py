"""Which sessions take questions now, who may take part in them, and who moderates them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_once
from bot.models import Event, Participant, Role, Session, SessionModerator
from bot.people.access import audiences_of

# The floor opens this long before the session starts (questions may be sent in advance) and
# closes when it is over.
OPENS_BEFORE = timedelta(minutes=30)


def may_take_part(participant: Participant | None, session: Session) -> bool:
    """A registered participant who may attend the session: a government representative takes
    no part in a civil-society-only session."""
    if participant is None or participant.erased_at is not None:
        return False
    return session.audience in audiences_of(participant)


def is_open(session: Session, now: datetime) -> bool:
    """The session takes questions, requests for the floor and poll answers now."""
    return session.questions and session.starts_at - OPENS_BEFORE <= now < session.over_at


async def by_key(db: AsyncSession, event: Event, key: str) -> Session | None:
    query = select(Session).where(Session.event_id == event.id, Session.key == key.strip())
    return (await db.execute(query)).scalar_one_or_none()


async def open_sessions(db: AsyncSession, event: Event, now: datetime) -> list[Session]:
    """The sessions open to the floor now, the earliest first."""
    return list((await db.execute(_open_query(event, now))).scalars())


def _open_query(event: Event, now: datetime) -> Select[Session]:
    return (
        select(Session)
        .where(
            Session.event_id == event.id,
            Session.questions.is_(True),
            Session.starts_at <= now + OPENS_BEFORE,
            Session.not_over(now),
        )
        .order_by(Session.starts_at, Session.id)
    )


async def open_for(
    db: AsyncSession, event: Event, participant: Participant, now: datetime
) -> list[Session]:
    """The sessions open to the floor now in which `participant` may take part."""
    return [s for s in await open_sessions(db, event, now) if may_take_part(participant, s)]


async def next_open(
    db: AsyncSession, event: Event, participant: Participant, now: datetime
) -> Session | None:
    """The next session that will open to the floor and in which `participant` may take part
    (None: none left), for "none is open now"."""
    query = (
        select(Session)
        .where(
            Session.event_id == event.id,
            Session.questions.is_(True),
            Session.starts_at > now + OPENS_BEFORE,
        )
        .order_by(Session.starts_at, Session.id)
    )
    sessions = (await db.execute(query)).scalars()
    return next((s for s in sessions if may_take_part(participant, s)), None)


async def is_moderator(db: AsyncSession, participant: Participant, session: Session) -> bool:
    """Organisers moderate every session; others the sessions they were given."""
    if participant.role == Role.ORGANISER and participant.erased_at is None:
        return True
    query = select(SessionModerator.id).where(
        SessionModerator.session_id == session.id,
        SessionModerator.participant_id == participant.id,
    )
    return (await db.execute(query)).first() is not None


async def moderating(
    db: AsyncSession, event: Event, participant: Participant, now: datetime
) -> list[Session]:
    """The sessions open to the floor now that `participant` moderates, in one query."""
    if participant.role == Role.ORGANISER and participant.erased_at is None:
        return await open_sessions(db, event, now)
    query = (
        _open_query(event, now)
        .join(SessionModerator, SessionModerator.session_id == Session.id)
        .where(SessionModerator.participant_id == participant.id)
    )
    return list((await db.execute(query)).scalars())


async def moderators(db: AsyncSession, session: Session) -> Sequence[Participant]:
    """The participants given this session to moderate (organisers aside), by name."""
    query = (
        select(Participant)
        .join(SessionModerator, SessionModerator.participant_id == Participant.id)
        .where(SessionModerator.session_id == session.id)
        .order_by(Participant.name)
    )
    return list((await db.execute(query)).scalars())


async def add_moderator(
    db: AsyncSession, session: Session, participant: Participant, now: datetime
) -> None:
    """Once, whatever the number of times it is asked."""
    values = {"session_id": session.id, "participant_id": participant.id, "created_at": now}
    await db.execute(insert_once(db, SessionModerator).values(values).on_conflict_do_nothing())


async def remove_moderator(db: AsyncSession, session: Session, participant: Participant) -> bool:
    """False when they were not its moderator."""
    result = await db.execute(
        delete(SessionModerator).where(
            SessionModerator.session_id == session.id,
            SessionModerator.participant_id == participant.id,
        )
    )
    return bool(getattr(result, "rowcount", 0))
