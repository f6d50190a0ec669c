"""Who came, from the check-ins at the door (`CheckIn`): the one query the meeting's exports
read attendance through, per person and per day or session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import CheckIn, Event, Participant, Session, Texts


@dataclass(frozen=True)
class Attended:
    """One check-in: a person (on their row, nameless once erased) on a day, or at a session."""

    participant: Participant
    day: date
    session_key: str | None
    session_title: Texts | None


async def check_ins(db: AsyncSession, event: Event) -> list[Attended]:
    """Every check-in of the event, by day, then session (the day's own first), then person."""
    rows = await db.execute(
        select(CheckIn.day, Session.key, Session.title, Participant)
        .join(Participant, Participant.id == CheckIn.participant_id)
        .outerjoin(Session, Session.id == CheckIn.session_id)
        .where(CheckIn.event_id == event.id)
        .order_by(CheckIn.day, Session.starts_at.is_not(None), Session.starts_at, Participant.id)
    )
    return [Attended(person, day, key, title) for day, key, title, person in rows.all()]
