"""One person's own programme: what they may attend, in time order, with their seats (for the
calendar and the printable pack), as ORM rows (`my_programme`) or as plain values that can be
laid out off the event loop with no database session open (`my_sessions`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Event,
    MembershipStatus,
    Participant,
    Session,
    TablePosition,
    Texts,
    Venue,
)
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


@dataclass(frozen=True)
class MyVenue:
    key: str
    name: str  # in the event's default language
    names: Texts | None  # in each language, when the programme gives them
    address: str | None
    map_url: str | None


@dataclass(frozen=True)
class MySeat:
    """Their place at an Act table in a round of the session."""

    act: int
    table: Texts
    round: Texts
    waiting: bool  # on the table's waiting list, not seated
    position: TablePosition


@dataclass(frozen=True)
class MySession:
    session_id: int
    title: Texts
    description: Texts
    starts_at: datetime
    ends_at: datetime | None  # None: the programme gives only the start ("from 18:00")
    over_at: datetime  # `Session.over_at`: a start given alone lasts OPEN_END
    venue: MyVenue | None
    interpretation: tuple[str, ...]
    revision: int  # raised by each programme load that changes the session
    seat: MySeat | None


async def my_sessions(db: AsyncSession, event: Event, participant: Participant) -> list[MySession]:
    """`my_programme` as plain values."""
    return [
        MySession(
            session_id=item.session.id,
            title=dict(item.session.title),
            description=dict(item.session.description),
            starts_at=item.session.starts_at,
            ends_at=item.session.ends_at,
            over_at=item.session.over_at,
            venue=_venue(item.session.venue),
            interpretation=tuple(item.session.interpretation or ()),
            revision=item.session.revision,
            seat=_seat(item.seat),
        )
        for item in await my_programme(db, event, participant)
    ]


def _venue(venue: Venue | None) -> MyVenue | None:
    if venue is None:
        return None
    names = dict(venue.names) if venue.names else None
    return MyVenue(venue.key, venue.name, names, venue.address, venue.map_url)


def _seat(seat: seating.Seat | None) -> MySeat | None:
    if seat is None:
        return None
    membership, table, table_round, _session = seat
    return MySeat(
        table.act,
        dict(table.title),
        dict(table_round.title),
        membership.status == MembershipStatus.WAITLISTED,
        membership.position,
    )
