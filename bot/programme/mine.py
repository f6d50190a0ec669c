"""One person's own programme: what they may attend, in time order, with their seats (for the
calendar and the printable pack)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Event, Participant, Session
from bot.people import access
from bot.tables import seating


@dataclass(frozen=True)
class MyItem:
    session: Session
    # Their table (seated or waiting) in a round held during this session, if any.
    seat: seating.Seat | None = None


async def my_programme(db: AsyncSession, event: Event, participant: Participant) -> list[MyItem]:
    """Every session open to them (logistics included), then the sessions of their tables even
    where the session itself is for another audience, in time order."""
    visible = await db.execute(
        select(Session)
        .where(Session.event_id == event.id, Session.audience.in_(access.audiences_of(participant)))
        .order_by(Session.starts_at, Session.ends_at.asc().nulls_last(), Session.id)
    )
    seats = {seat[3].id: seat for seat in await seating.memberships(db, participant.id)}
    sessions = {session.id: session for session in visible.scalars()}
    for session_id, seat in seats.items():
        sessions.setdefault(session_id, seat[3])
    ordered = sorted(sessions.values(), key=lambda s: (s.starts_at, s.over_at, s.id))
    return [MyItem(session, seats.get(session.id)) for session in ordered]
