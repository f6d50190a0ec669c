"""Factories for the rows tests need, written through the real models.

A test that makes its own session, round, table or group says what matters to it (the seats,
the audience, the time) instead of leaning on ids and keys of the demo programme. Each factory
flushes, so the row has its id, and leaves the commit to the test.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    ActTable,
    Audience,
    Participant,
    ReferenceGroup,
    Role,
    SeatRole,
    Session,
    SessionKind,
    TableCapacity,
    TableRound,
)

_numbers = itertools.count(1)


class ParticipantFields(TypedDict, total=False):
    """What a test may say about a participant besides their role (see make_participant)."""

    name: str | None
    language: str | None
    email: str | None
    organisation: str | None
    country: str | None
    government_conference: bool | None
    form_of_address: str | None


async def make_participant(
    db: AsyncSession,
    event_id: int,
    now: datetime,
    *,
    role: Role = Role.CIVIL_SOCIETY,
    name: str | None = None,
    language: str | None = None,
    email: str | None = None,
    organisation: str | None = None,
    country: str | None = None,
    government_conference: bool | None = None,
    form_of_address: str | None = None,
) -> Participant:
    number = next(_numbers)
    participant = Participant(
        event_id=event_id,
        name=name or f"Participant {number}",
        email=email or f"participant{number}@example.org",
        role=role,
        language=language,
        organisation=organisation,
        country=country,
        government_conference=government_conference,
        form_of_address=form_of_address,
        created_at=now,
    )
    db.add(participant)
    await db.flush()
    return participant


async def make_session(
    db: AsyncSession,
    event_id: int,
    starts_at: datetime,
    *,
    length: timedelta | None = timedelta(hours=1),
    kind: SessionKind = SessionKind.PLENARY,
    audience: Audience = Audience.EVERYONE,
    title: str | None = None,
    key: str | None = None,
) -> Session:
    """A programme item from `starts_at`, `length` long (None: the programme gives no end)."""
    number = next(_numbers)
    session = Session(
        event_id=event_id,
        key=key or f"session-{number}",
        title={"en": title or f"Session {number}"},
        description={},
        starts_at=starts_at,
        ends_at=starts_at + length if length is not None else None,
        kind=kind,
        audience=audience,
        interpretation=[],
    )
    db.add(session)
    await db.flush()
    return session


async def make_round(
    db: AsyncSession,
    event_id: int,
    starts_at: datetime,
    *,
    audience: Audience = Audience.EVERYONE,
    title: str | None = None,
    key: str | None = None,
) -> TableRound:
    """A sitting of the themed tables, in a small-tables session of its own from `starts_at`."""
    number = next(_numbers)
    session = await make_session(db, event_id, starts_at, kind=SessionKind.SMALL_TABLES)
    table_round = TableRound(
        event_id=event_id,
        key=key or f"round-{number}",
        session_id=session.id,
        title={"en": title or f"Round {number}"},
        audience=audience,
    )
    db.add(table_round)
    await db.flush()
    return table_round


async def make_table(
    db: AsyncSession,
    round_id: int,
    seats: Mapping[SeatRole, int],
    *,
    act: int | None = None,
    closed: bool = False,
    title: str | None = None,
) -> ActTable:
    """A table of the round with so many `seats` for each side (none given: none there)."""
    number = next(_numbers)
    table = ActTable(
        round_id=round_id,
        act=act if act is not None else number,
        title={"en": title or f"Table {number}"},
        closed=closed,
        capacities=[TableCapacity(seat_role=role, seats=count) for role, count in seats.items()],
    )
    db.add(table)
    await db.flush()
    return table


async def make_group(
    db: AsyncSession,
    event_id: int,
    *,
    interest_deadline: datetime | None = None,
    announcement_only: bool = False,
    title: str | None = None,
    key: str | None = None,
) -> ReferenceGroup:
    """A reference group people may say they are interested in (until `interest_deadline`)."""
    number = next(_numbers)
    group = ReferenceGroup(
        event_id=event_id,
        key=key or f"group-{number}",
        title={"en": title or f"Group {number}"},
        description={},
        interest_deadline=interest_deadline,
        announcement_only=announcement_only,
    )
    db.add(group)
    await db.flush()
    return group
