"""Two people taking the last seat at the same moment: exactly one sits, the other waits.

Each join runs in its own transaction on its own connection, all started together."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.models import (
    ActTable,
    Event,
    MembershipStatus,
    Participant,
    Role,
    SeatRole,
    TableMembership,
)
from bot.tables import seating
from tests.support.factories import make_participant, make_round, make_table


async def _table(
    sessions: SessionFactory, event: Event, clock: SimulatedClock, seats: dict[SeatRole, int]
) -> int:
    """A table open to everyone, in a round starting tomorrow, with these `seats`."""
    async with sessions() as db:
        table_round = await make_round(db, event.id, clock.now() + timedelta(days=1))
        table = await make_table(db, table_round.id, seats)
        await db.commit()
        return table.id


async def _people(
    sessions: SessionFactory, event: Event, clock: SimulatedClock, count: int, role: Role
) -> list[int]:
    async with sessions() as db:
        people = [
            await make_participant(db, event.id, clock.now(), role=role) for _ in range(count)
        ]
        await db.commit()
        return [person.id for person in people]


async def _join(
    sessions: SessionFactory,
    person_id: int,
    table_id: int,
    clock: SimulatedClock,
    ready: asyncio.Barrier,
) -> seating.Outcome:
    async with sessions() as db:
        # PostgreSQL: every transaction is open and has read before anyone joins. SQLite begins
        # each with BEGIN IMMEDIATE, one writer at a time, so there the racers set off together.
        one_writer_at_a_time = db.get_bind().dialect.name == "sqlite"
        if one_writer_at_a_time:
            await ready.wait()
        person = await db.get_one(Participant, person_id)
        table = await db.get_one(ActTable, table_id)
        if not one_writer_at_a_time:
            await ready.wait()
        result = await seating.join(db, person, table, clock.now())
        await db.commit()
        return result.outcome


async def test_twelve_delegates_race_for_eight_seats(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    table_id = await _table(sessions, demo_event, clock, {SeatRole.CIVIL_SOCIETY: 8})
    people = await _people(sessions, demo_event, clock, 12, Role.CIVIL_SOCIETY)
    ready = asyncio.Barrier(len(people))
    racers = [asyncio.create_task(_join(sessions, p, table_id, clock, ready)) for p in people]
    outcomes = await asyncio.gather(*racers)

    assert sorted(outcomes).count(seating.Outcome.SEATED) == 8
    assert sorted(outcomes).count(seating.Outcome.WAITLISTED) == 4
    async with sessions() as db:
        rows = list((await db.execute(select(TableMembership))).scalars())
        seated = [r for r in rows if r.status == MembershipStatus.SEATED]
        waiting = [r for r in rows if r.status == MembershipStatus.WAITLISTED]
        assert len(seated) == 8
        assert sorted([await seating.position(db, r) for r in waiting]) == [1, 2, 3, 4]


async def test_two_people_and_the_last_seat(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    table_id = await _table(sessions, demo_event, clock, {SeatRole.GOVERNMENT: 6})
    first_five = await _people(sessions, demo_event, clock, 5, Role.GOVERNMENT)
    for person in first_five:  # one after the other: each is alone at the barrier
        alone = asyncio.Barrier(1)
        assert await _join(sessions, person, table_id, clock, alone) == seating.Outcome.SEATED
    two = await _people(sessions, demo_event, clock, 2, Role.INTERNATIONAL)
    ready = asyncio.Barrier(len(two))
    racers = [asyncio.create_task(_join(sessions, p, table_id, clock, ready)) for p in two]
    assert sorted(await asyncio.gather(*racers)) == [
        seating.Outcome.SEATED,
        seating.Outcome.WAITLISTED,
    ]
