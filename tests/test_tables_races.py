"""Two people taking the last seat at the same moment: exactly one sits, the other waits.

Each join runs in its own transaction on its own connection, all started together."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.models import (
    ActTable,
    Event,
    MembershipStatus,
    Participant,
    Role,
    TableMembership,
    TableRound,
)
from bot.tables import seating
from tests.support.factories import make_participant


async def _act_table(sessions: SessionFactory, round_key: str, act: int) -> int:
    async with sessions() as db:
        query = (
            select(ActTable.id)
            .join(TableRound)
            .where(TableRound.key == round_key, ActTable.act == act)
        )
        return (await db.execute(query)).scalar_one()


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
    start: asyncio.Event,
) -> seating.Outcome:
    async with sessions() as db:
        person = await db.get_one(Participant, person_id)
        table = await db.get_one(ActTable, table_id)
        await start.wait()  # every transaction is open and has read before anyone joins
        result = await seating.join(db, person, table, clock.now())
        await db.commit()
        return result.outcome


async def test_twelve_delegates_race_for_eight_seats(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    table_id = await _act_table(sessions, "d2-tables", 9)  # 8 civil society seats
    people = await _people(sessions, demo_event, clock, 12, Role.CIVIL_SOCIETY)
    start = asyncio.Event()
    racers = [asyncio.create_task(_join(sessions, p, table_id, clock, start)) for p in people]
    await asyncio.sleep(0.2)
    start.set()
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
    table_id = await _act_table(sessions, "d2-tables", 3)  # 6 government seats
    first_five = await _people(sessions, demo_event, clock, 5, Role.GOVERNMENT)
    start = asyncio.Event()
    start.set()
    for person in first_five:
        assert await _join(sessions, person, table_id, clock, start) == seating.Outcome.SEATED
    two = await _people(sessions, demo_event, clock, 2, Role.INTERNATIONAL)
    start = asyncio.Event()
    racers = [asyncio.create_task(_join(sessions, p, table_id, clock, start)) for p in two]
    await asyncio.sleep(0.2)
    start.set()
    assert sorted(await asyncio.gather(*racers)) == [
        seating.Outcome.SEATED,
        seating.Outcome.WAITLISTED,
    ]
