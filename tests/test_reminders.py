"""Reminders: who is reminded of what, queued once, planned early enough, and programme changes
told to the people they concern."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot import reminders
from bot.app.scheduler import MARGIN, Scheduler
from bot.chat import Sender
from bot.clock import SimulatedClock
from bot.dispatcher import Dispatcher
from bot.models import ChatIdentity, Event, OutboxMessage, Participant, Role, Session
from bot.people import invitations, participants
from bot.programme.load import load_programme
from tests.support.chat import ChatUser, registered
from tests.support.demo import MEETING_ZONE, demo_spec
from tests.support.factories import make_participant
from tests.support.outbox import Inboxes, deliver_all
from tests.support.population import add_telegram_participants


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
    day_two = await _session(dispatcher, "d2-opening")

    async with dispatcher.sessions() as db:
        # Day 1 is for civil society only (concept note): the minister is not reminded.
        assert await reminders.concerned(db, opening) == [1]
        assert sorted(await reminders.concerned(db, day_two)) == [1, 2]  # a plenary: both
        assert await reminders.concerned(db, groups_session) == [1]  # only who has a seat
        assert await reminders.concerned(db, badges) == [1]  # civil society logistics
        assert await reminders.concerned(db, lunch) == []  # no reminder for breaks
    clock.set(datetime(2017, 12, 2, 8, 15, tzinfo=MEETING_ZONE))  # the reminders' time
    scheduler = Scheduler(dispatcher.sessions, clock, rate=30.0)
    assert await scheduler.fire(opening.id, 15) == 1
    assert await scheduler.fire(opening.id, 15) == 0  # again…
    assert await scheduler.catch_up(demo_event.id) == 0
    assert await _queued(dispatcher) == 1  # …but queued once

    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [to_ana] = inboxes.received["Ana"]
    assert to_ana.startswith("⏰ En 15 minutos: Bienvenida y plenaria de apertura")
    assert "8:30–9:50" in to_ana and "Av. Francisco Medina Ascencio 7962" in to_ana
    assert "inglés, francés y español" in to_ana
    assert not inboxes.received.get("Minister")

    clock.set(datetime(2017, 12, 2, 18, 15, tzinfo=MEETING_ZONE))  # the venue, in Spanish
    assert await scheduler.fire(badges.id, 15) == 1
    await deliver_all(dispatcher, inboxes)
    assert "📍 Centro de Registro de la ONU – hotel Westin — Paseo" in inboxes.received["Ana"][-1]

    clock.set(datetime(2017, 12, 3, 8, 45, tzinfo=MEETING_ZONE))  # Day 2, with governments
    assert await scheduler.fire(day_two.id, 15) == 2
    await deliver_all(dispatcher, inboxes)
    [to_minister] = inboxes.received["Minister"]
    assert "In 15 minutes: Report back from Day 1 and opening plenary" in to_minister
    assert "9:00 – 10:30 AM" in to_minister


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
    scheduler = Scheduler(dispatcher.sessions, clock, rate=30.0)
    clock.set(datetime(2017, 12, 2, 8, 16, tzinfo=MEETING_ZONE))  # 14 minutes before the opening
    planned = await scheduler.rebuild()
    with caplog.at_level(logging.WARNING):
        await scheduler.fire(opening_id := (await _session(dispatcher, "d1-opening")).id, 15)
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
    assert opening.id == opening_id
    assert planned[f"reminder:{opening.id}:15"] == clock.now()
    assert "queued 90 reminders (15 min)" in caplog.text and "late" in caplog.text
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
            assert item.ends_at is not None
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


# ── Who is reminded is read when the reminders go out, not when the bot started ────────────────


class Timeline:
    """The scheduler of a bot started at the clock's time, run in simulated time: moving the
    clock runs each reminder job planned before then (as APScheduler would), then the
    5-second watch."""

    def __init__(self, dispatcher: Dispatcher, clock: SimulatedClock) -> None:
        self.clock = clock
        self.scheduler = Scheduler(dispatcher.sessions, clock, rate=30.0)
        self.planned: dict[str, datetime] = {}
        self.fired: set[str] = set()

    async def start(self) -> dict[str, datetime]:
        self.planned = await self.scheduler.rebuild()
        await self.scheduler._watch()
        return self.planned

    async def until(self, instant: datetime) -> None:
        for job_id, at in sorted(self.planned.items(), key=lambda item: item[1]):
            if job_id in self.fired or at > instant:
                continue
            self.clock.set(max(at, self.clock.now()))
            _kind, session_id, minutes = job_id.split(":")
            await self.scheduler.fire(int(session_id), int(minutes))
            self.fired.add(job_id)
        self.clock.set(instant)
        await self.scheduler._watch()


def _at(hour: int, minute: int, second: int = 0, day: int = 2) -> datetime:
    return datetime(2017, 12, day, hour, minute, second, tzinfo=MEETING_ZONE)


async def _reminders_to(dispatcher: Dispatcher, inboxes: Inboxes, name: str) -> list[str]:
    await deliver_all(dispatcher, inboxes)
    return [text for text in inboxes.received[name] if text.startswith("⏰")]


async def _invited(dispatcher: Dispatcher, event_id: int, name: str, role: Role) -> str:
    """A registered participant with an invitation code, not linked to any chat account."""
    async with dispatcher.sessions() as db:
        person = await make_participant(db, event_id, dispatcher.clock.now(), role=role, name=name)
        code = invitations.issue(person, dispatcher.clock.now())
        await db.commit()
    return code


async def test_a_delegate_who_links_after_the_start_is_reminded_on_time(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    # The issue's case: the bot starts at 18:13:30 with no civil-society delegate linked; one
    # links at 18:14 and the badge collection starts at 18:30 (reminder due at 18:15).
    code = await _invited(dispatcher, demo_event.id, "Amina", Role.CIVIL_SOCIETY)
    await registered(dispatcher, demo_event.id, "Minister", Role.GOVERNMENT)
    clock.set(_at(18, 13, 30))
    timeline = Timeline(dispatcher, clock)
    await timeline.start()

    clock.set(_at(18, 14))
    amina = ChatUser(dispatcher, external_id="Amina")
    assert "Amina" in await amina.send(f"/start {code}")
    inboxes = Inboxes()
    await timeline.until(_at(18, 14, 50))
    assert await _reminders_to(dispatcher, inboxes, "Amina") == []  # not before its time…
    await timeline.until(_at(18, 15))
    [reminder] = await _reminders_to(dispatcher, inboxes, "Amina")  # …and at its time
    assert reminder.startswith("⏰ In 15 minutes: Badge collection for the government-led")
    assert "Westin" in reminder
    assert "Minister" not in inboxes.received  # the badges are for civil society only

    await timeline.until(_at(18, 29))  # the watch goes on: nothing twice
    assert len(await _reminders_to(dispatcher, inboxes, "Amina")) == 1


async def test_a_delegate_who_links_after_the_reminders_time_is_reminded_at_once(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    code = await _invited(dispatcher, demo_event.id, "Amina", Role.CIVIL_SOCIETY)
    clock.set(_at(18, 13, 30))
    timeline = Timeline(dispatcher, clock)
    await timeline.start()
    await timeline.until(_at(18, 22))
    amina = ChatUser(dispatcher, external_id="Amina")
    await amina.send(f"/start {code}")
    inboxes = Inboxes()
    await timeline.until(_at(18, 22, 5))
    # Late, but the session has not begun: the text counts from when it leaves.
    [reminder] = await _reminders_to(dispatcher, inboxes, "Amina")
    assert reminder.startswith("⏰ In 8 minutes: Badge collection for the government-led")

    # Once the session has begun, nobody is reminded of it any more.
    late = await _invited(dispatcher, demo_event.id, "Bruno", Role.CIVIL_SOCIETY)
    await timeline.until(_at(18, 31))
    await ChatUser(dispatcher, external_id="Bruno").send(f"/start {late}")
    await timeline.until(_at(18, 32))
    assert await _reminders_to(dispatcher, inboxes, "Bruno") == []


async def test_a_seat_taken_after_the_start_is_reminded_of(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    ana = await registered(dispatcher, demo_event.id, "Ana", Role.CIVIL_SOCIETY, "es")
    fatou = await registered(dispatcher, demo_event.id, "Fatou", Role.CIVIL_SOCIETY, "fr")
    clock.set(_at(15, 10))  # the second group sessions start at 15:35; nobody has a seat
    timeline = Timeline(dispatcher, clock)
    await timeline.start()
    clock.set(_at(15, 12))
    assert "✅" in await ana.send("/join 7 d1-groups-2")
    inboxes = Inboxes()
    await timeline.until(_at(15, 20))
    [to_ana] = await _reminders_to(dispatcher, inboxes, "Ana")
    assert to_ana.startswith("⏰ En 15 minutos: Sesiones de grupo")

    await timeline.until(_at(15, 27))  # after the reminders' time, before the session
    assert "✅" in await fatou.send("/join 8 d1-groups-2")
    await timeline.until(_at(15, 27, 5))
    [to_fatou] = await _reminders_to(dispatcher, inboxes, "Fatou")
    assert to_fatou.startswith("⏰ Dans 8 minutes : Groupes de travail")
    assert len(inboxes.received["Ana"]) == 1


async def test_a_reminder_setting_changed_after_the_start_counts_once(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    ana = await registered(dispatcher, demo_event.id, "Ana", Role.CIVIL_SOCIETY)
    assert "off" in await ana.send("/remind off")
    clock.set(_at(18, 13, 30))
    timeline = Timeline(dispatcher, clock)
    await timeline.start()
    await timeline.until(_at(18, 18))
    assert "10 minutes before" in await ana.send("/remind 10")
    inboxes = Inboxes()
    await timeline.until(_at(18, 19, 50))
    assert await _reminders_to(dispatcher, inboxes, "Ana") == []
    await timeline.until(_at(18, 20))
    [reminder] = await _reminders_to(dispatcher, inboxes, "Ana")
    assert reminder.startswith("⏰ In 10 minutes: Badge collection")

    # Reminded already: choosing another time does not remind her of the same session again…
    assert "30 minutes before" in await ana.send("/remind 30")
    await ana.send("/remind 15")
    await timeline.until(_at(18, 29))
    assert len(await _reminders_to(dispatcher, inboxes, "Ana")) == 1
    # …and the next sessions follow the new choice (the plenary of 3 December at 09:00).
    await timeline.until(_at(8, 45, day=3))
    assert (await _reminders_to(dispatcher, inboxes, "Ana"))[-1].startswith(
        "⏰ In 15 minutes: Report back from Day 1 and opening plenary"
    )


async def test_a_role_changed_after_the_start_is_reminded_of_its_sessions(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    organiser = await registered(dispatcher, demo_event.id, "Organiser", Role.ORGANISER)
    await organiser.send("/remind off")  # nobody the badge collection concerns is reminded
    await registered(dispatcher, demo_event.id, "Kofi", Role.GOVERNMENT)
    clock.set(_at(18, 13, 30))
    timeline = Timeline(dispatcher, clock)
    await timeline.start()
    async with dispatcher.sessions() as db:
        kofi = (
            await db.execute(select(Participant).where(Participant.name == "Kofi"))
        ).scalar_one()
    # Registered as a government delegate by mistake: the organiser corrects it at 18:14.
    clock.set(_at(18, 14))
    assert "Kofi" in await organiser.send(f"/participant {kofi.id} role civil society")
    inboxes = Inboxes()
    await timeline.until(_at(18, 15))
    [reminder] = await _reminders_to(dispatcher, inboxes, "Kofi")
    assert reminder.startswith("⏰ In 15 minutes: Badge collection")


async def test_a_second_account_linked_after_the_start_is_reminded(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    first = await registered(dispatcher, demo_event.id, "Lucia", Role.CIVIL_SOCIETY)
    async with dispatcher.sessions() as db:  # she blocked the bot on that account
        await db.execute(
            update(ChatIdentity)
            .where(ChatIdentity.external_id == first.external_id)
            .values(reachable=False)
        )
        await db.commit()
    clock.set(_at(18, 13, 30))
    timeline = Timeline(dispatcher, clock)
    await timeline.start()
    clock.set(_at(18, 14))
    async with dispatcher.sessions() as db:  # then links another chat app
        lucia = (
            await db.execute(select(Participant).where(Participant.name == "Lucia"))
        ).scalar_one()
        second = await participants.identity_for(db, "test", Sender("Lucia-2"), clock.now())
        participants.link(second, lucia)
        await db.commit()
    inboxes = Inboxes()
    await timeline.until(_at(18, 15))
    [reminder] = await _reminders_to(dispatcher, inboxes, "Lucia-2")
    assert reminder.startswith("⏰ In 15 minutes: Badge collection")
    assert "Lucia" not in inboxes.received


async def test_reminders_are_planned_for_everyone_who_may_come(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    """A job for each upcoming session and offset whoever is linked, early enough for all the
    participants registered in its roles: 600 registered, none linked yet."""
    async with dispatcher.sessions() as db:
        await add_telegram_participants(db, demo_event.id, 600, role=Role.CIVIL_SOCIETY)
        await db.execute(update(ChatIdentity).values(participant_id=None))  # nobody linked
        await db.commit()
    clock.set(_at(8, 0))
    planned = await Scheduler(dispatcher.sessions, clock, rate=30.0).rebuild()
    badges = await _session(dispatcher, "d1-badge-collection")
    lunch = await _session(dispatcher, "d1-lunch")
    # 600 who may be concerned, at 30 a second: 20 s (+ the margin) before it is due.
    assert (
        planned[f"reminder:{badges.id}:15"]
        == reminders.due(badges, 15) - timedelta(seconds=20) - MARGIN
    )
    assert not any(job.startswith(f"reminder:{lunch.id}:") for job in planned)  # a break
