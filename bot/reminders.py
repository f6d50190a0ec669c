"""Who is reminded of what, and queuing the reminders of one session.

A participant is reminded of the plenaries and logistics (badges, buses) open to them, and of
the sessions where they have a seat at a table — at the offset they chose (/remind), in their
language. The outbox key names the session, its start and the offset, so a reminder is queued
once however often its job runs (a restart, a second process, a programme reload).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.models import (
    Audience,
    ChatIdentity,
    Event,
    MembershipStatus,
    Participant,
    Role,
    Session,
    SessionKind,
    TableMembership,
    TableRound,
    Venue,
)

OFFSETS = (10, 15, 30, 60)
_FOR_EVERYONE_CONCERNED = (SessionKind.PLENARY, SessionKind.LOGISTICS)
_ROLES_SEEING = {
    Audience.EVERYONE: tuple(Role),
    Audience.CIVIL_SOCIETY: (Role.CIVIL_SOCIETY, Role.FACILITATOR, Role.RAPPORTEUR, Role.ORGANISER),
    Audience.ORGANISERS: (Role.ORGANISER,),
}


def concerns(session: Session) -> ColumnElement[bool]:
    """The participants a session concerns, as a condition on Participant."""
    seated = exists().where(
        TableMembership.participant_id == Participant.id,
        TableMembership.status == MembershipStatus.SEATED,
        TableMembership.round_id.in_(
            select(TableRound.id).where(TableRound.session_id == session.id)
        ),
    )
    conditions: list[ColumnElement[bool]] = [seated]
    if session.kind in _FOR_EVERYONE_CONCERNED:
        conditions.append(Participant.role.in_(_ROLES_SEEING[session.audience]))
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


def payload(
    session: Session, event: Event, venue: Venue | None, offset: int | None
) -> dict[str, Any]:
    return {
        "session_id": session.id,
        "title": session.title,
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "timezone": event.timezone,
        "venue": venue.name if venue else None,
        "address": venue.address if venue else None,
        "interpretation": session.interpretation,
        "minutes": offset,
    }


def key(session: Session, offset: int, participant_id: int) -> str:
    return f"reminder:{session.id}:{session.starts_at:%Y%m%dT%H%M}:{offset}:{participant_id}"


async def fan_out(db: AsyncSession, session_id: int, offset: int, now: datetime) -> int:
    """Queue the reminders of one session at one offset; returns how many were new."""
    session = await db.get(Session, session_id)
    if session is None or session.starts_at <= now:
        return 0
    event = await db.get_one(Event, session.event_id)
    venue = await db.get(Venue, session.venue_id) if session.venue_id else None
    recipients = (
        (
            await db.execute(
                select(Participant.id).where(
                    concerns(session), Participant.reminder_minutes == offset
                )
            )
        )
        .scalars()
        .all()
    )
    body = payload(session, event, venue, offset)
    return await outbox.enqueue_many(
        db,
        [
            outbox.Message(
                key(session, offset, pid), pid, "reminder", body, expires_at=session.starts_at
            )
            for pid in recipients
        ],
        now,
    )


def due(session: Session, offset: int) -> datetime:
    return session.starts_at - timedelta(minutes=offset)
