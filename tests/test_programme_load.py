"""`coordbot programme load`: idempotent, in place, and it says what changed."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import func, select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.models import ActTable, Event, ReferenceGroup, Session, TableCapacity, TableRound
from bot.programme.load import ChangeKind, load_programme
from tests.support.demo import demo_spec


async def _count(sessions: SessionFactory, model: type[object]) -> int:
    async with sessions() as db:
        return (await db.execute(select(func.count()).select_from(model))).scalar_one()


async def test_the_demo_loads_every_item(sessions: SessionFactory, demo_event: Event) -> None:
    assert demo_event.timezone == "America/Mexico_City"
    assert await _count(sessions, Session) == len(demo_spec().sessions)
    assert await _count(sessions, TableRound) == 3
    assert await _count(sessions, ActTable) == 20
    assert await _count(sessions, ReferenceGroup) == 5
    async with sessions() as db:
        tables = select(TableCapacity.seats).join(ActTable).join(TableRound)
        day_two = tables.where(TableRound.key == "d2-tables")
        seats = list((await db.execute(day_two)).scalars())
    # Annex 1 of the report: 54 government and 59 civil society seats, 3 to 10 a table.
    assert sum(seats) == 54 + 59 and (min(seats), max(seats)) == (3, 10)


async def test_reloading_the_same_file_changes_nothing_and_keeps_ids(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    async with sessions() as db:
        before = {key: id_ for key, id_ in await db.execute(select(Session.key, Session.id))}
        changes = await load_programme(db, demo_spec(), clock.now())
        await db.commit()
        after = {key: id_ for key, id_ in await db.execute(select(Session.key, Session.id))}
    assert not changes.event_created
    assert changes.sessions == []
    assert before == after


async def test_a_changed_programme_reports_added_removed_and_moved_sessions(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    spec = demo_spec()
    changed_sessions = []
    for item in spec.sessions:
        if item.key == "d2-small-tables":
            assert item.ends_at is not None
            item = dataclasses.replace(
                item,
                starts_at=item.starts_at + timedelta(minutes=30),
                ends_at=item.ends_at + timedelta(minutes=30),
            )
        elif item.key == "d1-evening-gathering":
            item = dataclasses.replace(item, venue="holiday-inn-express")
        elif item.key == "d1-lunch":
            item = dataclasses.replace(item, title={**item.title, "en": "Lunch on the terrace"})
        elif item.key == "bus-2017-12-06":
            continue
        changed_sessions.append(item)
    extra = dataclasses.replace(spec.sessions[0], key="d2-press-briefing")
    changed = dataclasses.replace(spec, sessions=[*changed_sessions, extra])

    async with sessions() as db:
        changes = await load_programme(db, changed, clock.now())
        await db.commit()

    kinds = {change.key: change.kind for change in changes.sessions}
    assert kinds == {
        "d2-small-tables": ChangeKind.MOVED,
        "d1-evening-gathering": ChangeKind.MOVED,
        "d1-lunch": ChangeKind.UPDATED,
        "bus-2017-12-06": ChangeKind.REMOVED,
        "d2-press-briefing": ChangeKind.ADDED,
    }
    moved = next(c for c in changes.sessions if c.key == "d2-small-tables")
    assert moved.new_start is not None and moved.old_start is not None
    assert moved.new_start - moved.old_start == timedelta(minutes=30)
    assert moved.as_json()["new_start"] == moved.new_start.isoformat()
    venue_move = next(c for c in changes.sessions if c.key == "d1-evening-gathering")
    assert (venue_move.old_venue, venue_move.new_venue) == ("marriott", "holiday-inn-express")
    async with sessions() as db:
        lunch = (await db.execute(select(Session).where(Session.key == "d1-lunch"))).scalar_one()
        assert lunch.title["en"] == "Lunch on the terrace"
        assert lunch.title["fr"] == "Déjeuner"
