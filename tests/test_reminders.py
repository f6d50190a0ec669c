"""Reminders: who is reminded of what, queued once, planned early enough, and programme changes
told to the people they concern."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import reminders
from bot.clock import SimulatedClock
from bot.models import Event, OutboxMessage, Role, Session
from bot.programme.load import load_programme
from bot.router import Dispatcher
from bot.scheduler import MARGIN, ReminderScheduler
from tests.conftest import MEETING_ZONE, demo_spec
from tests.support.chat import registered
from tests.support.outbox import Inboxes, deliver_all


async def _session(dispatcher: Dispatcher, key: str) -> Session:
    async with dispatcher.sessions() as db:
        return (await db.execute(select(Session).where(Session.key == key))).scalar_one()


async def _queued(dispatcher: Dispatcher) -> int:
    async with dispatcher.sessions() as db:
        return int((await db.execute(select(func.count()).select_from(OutboxMessage))).scalar_one())


async def test_each_is_reminded_of_what_concerns_them_in_their_language(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    delegate = await registered(dispatcher, demo_event.id, "Ana", Role.CIVIL_SOCIETY, "es")
    await registered(dispatcher, demo_event.id, "Minister", Role.GOVERNMENT)
    await delegate.send("/join 3 d1-groups-1")
    opening = await _session(dispatcher, "d1-opening")
    groups_session = await _session(dispatcher, "d1-group-sessions-1")
    badges = await _session(dispatcher, "d1-badge-collection")
    lunch = await _session(dispatcher, "d1-lunch")

    async with dispatcher.sessions() as db:
        assert sorted(await reminders.concerned(db, opening)) == [1, 2]  # a plenary: both
        assert await reminders.concerned(db, groups_session) == [1]  # only who has a seat
        assert await reminders.concerned(db, badges) == [1]  # civil society logistics
        assert await reminders.concerned(db, lunch) == []  # no reminder for breaks
        assert await reminders.fan_out(db, opening.id, 15, clock.now()) == 2
        assert await reminders.fan_out(db, opening.id, 15, clock.now()) == 0  # again…
        await db.commit()
    assert await _queued(dispatcher) == 2  # …but queued once

    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [to_ana] = inboxes.received["Ana"]
    assert to_ana.startswith("⏰ En 15 minutos: Bienvenida y plenaria de apertura")
    assert "8:30–9:50" in to_ana and "Av. Francisco Medina Ascencio 7962" in to_ana
    assert "inglés, francés y español" in to_ana
    [to_minister] = inboxes.received["Minister"]
    assert "In 15 minutes: Welcome and opening" in to_minister
    assert "8:30 – 9:50 AM" in to_minister


async def test_the_reminder_offset_is_each_persons_choice(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    ana = await registered(dispatcher, demo_event.id, "Ana", Role.CIVIL_SOCIETY)
    assert "30 minutes before" in await ana.send("/remind 30")
    opening = await _session(dispatcher, "d1-opening")
    async with dispatcher.sessions() as db:
        assert await reminders.count(db, opening, 15) == 0
        assert await reminders.count(db, opening, 30) == 1
    assert "off" in await ana.send("/remind off")
    async with dispatcher.sessions() as db:
        assert await reminders.count(db, opening, 30) == 0
    assert "Choose 10, 15, 30 or 60" in await ana.send("/remind 45")


async def test_jobs_start_early_enough_for_the_whole_fan_out(
    dispatcher: Dispatcher,
    demo_event: Event,
    clock: SimulatedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for n in range(90):
        await registered(dispatcher, demo_event.id, f"P{n}", Role.CIVIL_SOCIETY)
    scheduler = ReminderScheduler(dispatcher.sessions, clock, rate=30.0)
    clock.set(datetime(2017, 12, 2, 8, 16, tzinfo=MEETING_ZONE))  # 14 minutes before the opening
    with caplog.at_level(logging.WARNING):
        planned = await scheduler.rebuild()
    scheduler.stop()
    opening = await _session(dispatcher, "d1-opening")
    panel = await _session(dispatcher, "d1-panel-regional")
    # 90 recipients at 30 a second: the fan-out starts 3 s (+ margin) before the due time.
    assert (
        planned[f"reminder:{panel.id}:15"]
        == reminders.due(panel, 15) - timedelta(seconds=3) - MARGIN
    )
    # The 15-minute reminder of the opening was due at 08:15, while the bot was down: the
    # session has not started, so it goes now.
    assert planned[f"reminder:{opening.id}:15"] == clock.now()
    assert "is late" in caplog.text
    registration = await _session(dispatcher, "d1-registration")
    assert f"reminder:{registration.id}:15" not in planned  # began at 07:30: skipped


async def test_a_moved_session_is_told_once_to_each_person_concerned(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    fatou = await registered(dispatcher, demo_event.id, "Fatou", Role.CIVIL_SOCIETY, "fr")
    await registered(dispatcher, demo_event.id, "Minister", Role.GOVERNMENT)
    await fatou.send("/join 3 d2-tables")
    spec = demo_spec()
    changed = []
    for item in spec.sessions:
        if item.key == "d2-small-tables":
            item = dataclasses.replace(
                item,
                starts_at=item.starts_at + timedelta(minutes=30),
                ends_at=item.ends_at + timedelta(minutes=30),
            )
        if item.key == "d2-mobilizing-plenary-3":
            continue
        changed.append(item)
    async with dispatcher.sessions() as db:
        await load_programme(db, dataclasses.replace(spec, sessions=changed), clock.now())
        await db.commit()

    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [to_fatou] = inboxes.received["Fatou"]  # one notice with both changes
    assert "Petites tables avec les gouvernements" in to_fatou
    assert "10:30 – 12:30" in to_fatou and "11:00 – 13:00" in to_fatou
    assert "Plénière de mobilisation III" in to_fatou and "annulée" in to_fatou
    assert "Minister" not in inboxes.received  # no table, and plenary III is civil society only
