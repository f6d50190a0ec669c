"""Check-in at the door: a volunteer scans a delegate's QR code (or types her name), the
snapshot counts who came, the delegate sees it in /home; once a day, once per session, whoever
races. Through the real router and database, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.chat import Sender
from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import (
    ChatIdentity,
    CheckIn,
    CheckInMethod,
    Event,
    InvitationFailure,
    Participant,
    Role,
)
from bot.people import attendance, badges, invitations, participants
from bot.people.csv_import import import_participants, read_csv
from bot.platforms.telegram import TelegramAdapter
from bot.platforms.whatsapp import WhatsAppAdapter
from handlers.checkin import CheckInButton
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.factories import make_participant, make_session
from tests.support.fake_telegram import BOT_USERNAME
from tests.support.fake_whatsapp import FakeWhatsApp

VOLUNTEER_WA = "5215512345678"
STRANGER_WA = "5491145678901"
ONE_DELEGATE = (
    "1 civil-society participant (1 delegate, 0 facilitators, 0 rapporteurs, and 0 organisers)"
)


async def _delegate(
    sessions: SessionFactory, event: Event, clock: SimulatedClock, name: str = "Fatou Sow"
) -> tuple[int, str]:
    """A civil-society delegate from Europe (a woman), and her check-in code."""
    async with sessions() as db:
        person = await make_participant(
            db, event.id, clock.now(), name=name, organisation="Migrants Org", country="SN"
        )
        person.region, person.gender = "europe", "woman"
        code = badges.checkin_code(person)
        await db.commit()
        return person.id, code


async def _volunteer(dispatcher: Dispatcher, event: Event, name: str = "Vera") -> ChatUser:
    """A delegate whom an organiser made a volunteer with /volunteer."""
    olga = await registered(dispatcher, event.id, "Olga", Role.ORGANISER)
    volunteer = await registered(dispatcher, event.id, name)
    assert "is now a volunteer" in await olga.send(f"/volunteer {name}")
    return volunteer


def _came(snapshot: str) -> str:
    """The snapshot's "who came" part."""
    _registered, heading, came = snapshot.partition("Who came")
    assert heading, snapshot
    return came


async def _rows(sessions: SessionFactory, person_id: int) -> int:
    async with sessions() as db:
        query = select(func.count()).where(CheckIn.participant_id == person_id)
        return (await db.execute(query)).scalar_one()


async def test_a_scanned_check_in_code_counts_her_once_in_the_snapshot(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    person_id, code = await _delegate(sessions, demo_event, clock)
    before = _came(await olga.send("/snapshot"))
    assert "Nobody has been checked in yet" in before
    vera = await registered(dispatcher, demo_event.id, "Vera")
    assert "is now a volunteer" in await olga.send("/volunteer Vera")

    reply = await vera.send(f"/start {code}")  # what the QR code's deep link sends

    assert "Fatou Sow is checked in at 8:10 AM (day 1)" in reply
    assert "Civil-society delegate · Migrants Org · Senegal" in reply
    after = _came(await olga.send("/snapshot"))
    assert "1 civil-society participant (1 delegate" in after
    assert "1:0 women:men" in after
    assert "Europe: 1" in after

    clock.advance(timedelta(minutes=20))
    again = await vera.send(f"/start {code}")
    assert "Fatou Sow was already checked in today, at 8:10 AM (day 1)" in again
    assert _came(await olga.send("/snapshot")) == after
    assert await _rows(sessions, person_id) == 1


async def test_a_session_that_asks_for_it_counts_the_check_in_too(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    vera = await _volunteer(dispatcher, demo_event)
    person_id, code = await _delegate(sessions, demo_event, clock)
    async with sessions() as db:
        workshop = await make_session(
            db, demo_event.id, clock.now() - timedelta(minutes=10), title="Labour workshop"
        )
        workshop.check_in = True
        await db.commit()

    reply = await vera.send(code)  # the code alone, as WhatsApp's link types it

    assert "Fatou Sow is checked in" in reply
    assert "Also counted at: Labour workshop" in reply
    assert "Already counted at: Labour workshop" in await vera.send(f"/checkin {code}")
    assert "1 person checked in today\nLabour workshop: 1" in await vera.send("/checkin")
    assert await _rows(sessions, person_id) == 2  # the day's and the session's
    assert "Volunteer at the door: yes" in await vera.send("/mydata")
    fatou = ChatUser(dispatcher, external_id="fatou")
    async with sessions() as db:
        identity = await participants.identity_for(db, "test", Sender("fatou"), clock.now())
        participants.link(identity, await db.get_one(Participant, person_id))
        await db.commit()
    mine = await fatou.send("/mydata")
    assert "Checked in: Sat, Dec 2, 2017, 8:10 AM" in mine
    assert "Checked in at Labour workshop: Sat, Dec 2, 2017, 8:10 AM" in mine
    assert "Volunteer at the door" not in mine


async def test_a_delegate_scanning_a_code_checks_nobody_in(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    person_id, code = await _delegate(sessions, demo_event, clock)
    delia = await registered(dispatcher, demo_event.id, "Delia")

    reply = await delia.send(f"/start {code}")

    assert "This is someone’s check-in code" in reply
    assert "Only organisers and volunteers check people in" in reply
    assert "Fatou" not in reply
    assert await _rows(sessions, person_id) == 0
    fatou = ChatUser(dispatcher, external_id="fatou")
    async with sessions() as db:  # Fatou scans her own code
        identity = await participants.identity_for(db, "test", Sender("fatou"), clock.now())
        participants.link(identity, await db.get_one(Participant, person_id))
        await db.commit()
    assert "This is your own check-in code" in await fatou.send(f"/start {code}")
    assert "Only organisers and volunteers" in await delia.send("/checkin Fatou")
    assert await _rows(sessions, person_id) == 0


async def test_an_organiser_scanning_an_invitation_checks_her_in_and_links_nothing(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    async with sessions() as db:
        person = await make_participant(db, demo_event.id, clock.now(), name="Ana Pérez")
        code = invitations.issue(person, clock.now())
        await db.commit()
    ana = ChatUser(dispatcher, external_id="ana")
    assert "Hello Ana Pérez" in await ana.send(f"/start {code}")  # linked, the code spent
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)

    reply = await olga.send(f"/start {code}")

    assert "Ana Pérez is checked in at 8:10 AM (day 1)" in reply
    assert "Hello Ana" not in reply
    async with sessions() as db:
        accounts = {
            identity.external_id: identity.participant_id
            for identity in (await db.execute(select(ChatIdentity))).scalars()
        }
        assert accounts["ana"] == person.id
        assert accounts["Olga"] != person.id
        assert (await db.execute(select(func.count(InvitationFailure.id)))).scalar_one() == 0
    assert "Organiser dashboard" in await olga.send("/home")  # still hers


async def test_checking_in_by_name_asks_which_one_and_refuses_forged_buttons(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    vera = await _volunteer(dispatcher, demo_event)
    first, _code = await _delegate(sessions, demo_event, clock, "María López")
    await _delegate(sessions, demo_event, clock, "María Lopes")

    reply = await vera.send("/checkin maria")

    assert "Several people match “maria”" in reply
    assert sorted(c.label.split(" — ")[0] for c in vera.choices) == ["María Lopes", "María López"]
    assert "María López is checked in" in await vera.press("María López")
    assert await _rows(sessions, first) == 1
    assert "taken back" in await vera.press("Undo")  # pressed the wrong one
    assert await _rows(sessions, first) == 0
    assert "Nobody is called “Zebulon”" in await vera.send("/checkin Zebulon")

    delia = await registered(dispatcher, demo_event.id, "Delia")
    refused = await delia.press_unseen(CheckInButton(first).pack())
    assert "Only organisers and volunteers check people in" in refused
    assert "Only organisers and volunteers" in await delia.send("/checkin María López")
    assert await _rows(sessions, first) == 0


async def test_a_delegate_sees_in_home_that_she_is_checked_in(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    vera = await _volunteer(dispatcher, demo_event)
    assert "You check people in at the door" in await vera.send("/home")
    delia = await registered(dispatcher, demo_event.id, "Delia")
    home = await delia.send("/home")
    assert "Checked in" not in home and "You check people in" not in home

    assert "Delia is checked in" in await vera.send("/checkin Delia")
    clock.advance(timedelta(minutes=5))

    assert "Checked in today at 8:10 AM ✓" in await delia.send("/home")
    clock.advance(timedelta(days=1))
    assert "Checked in" not in await delia.send("/home")  # a new day, not yet

    assert "Delia is checked in at 8:15 AM (day 2)" in await vera.send("/checkin Delia")
    omar = await registered(dispatcher, demo_event.id, "Omar", Role.ORGANISER)
    by_day = (await omar.send("/snapshot")).split("Came on ")[1:]
    assert [day.split("\n")[:2] for day in by_day] == [
        [
            "Saturday, December 2, 2017",
            ONE_DELEGATE,
        ],
        [
            "Sunday, December 3, 2017",
            ONE_DELEGATE,
        ],
    ]


async def test_the_import_makes_volunteers_and_the_command_removes_one(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    rows = "name,email,role,volunteer\nVera Díaz,vera@example.org,civil_society,yes\n"
    async with sessions() as db:
        report = await import_participants(db, demo_event, read_csv(rows), clock.now())
        await db.commit()
    assert report.created == 1 and not report.rejected
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    assert "Vera Díaz" in await olga.send("/volunteer")
    assert "no longer checks people in" in await olga.send("/volunteer remove vera")
    assert "None yet" in await olga.send("/volunteer")
    delia = await registered(dispatcher, demo_event.id, "Delia")
    assert "Only organisers" in await delia.send("/volunteer Delia")


async def test_two_scans_of_one_code_at_the_same_moment_write_one_row(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    person_id, code = await _delegate(sessions, demo_event, clock)
    async with sessions() as db:
        scanners = [
            (await make_participant(db, demo_event.id, clock.now(), role=Role.ORGANISER)).id
            for _ in range(4)
        ]
        await db.commit()
    ready = asyncio.Barrier(len(scanners))

    async def scan(scanner_id: int) -> bool:
        await ready.wait()
        async with sessions() as db:
            person = await attendance.by_checkin_code(db, demo_event, code)
            assert person is not None
            scanner = await db.get_one(Participant, scanner_id)
            result = await attendance.check_in(
                db, demo_event, person, scanner, CheckInMethod.QR_CODE, clock.now()
            )
            await db.commit()
            return result.already

    outcomes = await asyncio.gather(*(scan(scanner) for scanner in scanners))

    assert sorted(outcomes) == [False, True, True, True]
    assert await _rows(sessions, person_id) == 1


async def test_on_whatsapp_the_code_alone_checks_in_and_tells_a_stranger_what_it_is(
    dispatcher: Dispatcher,
    demo_event: Event,
    sessions: SessionFactory,
    clock: SimulatedClock,
    whatsapp: WhatsAppAdapter,
    fake_whatsapp: FakeWhatsApp,
) -> None:
    _id, code = await _delegate(sessions, demo_event, clock)
    vera = ChatUser(dispatcher, external_id=VOLUNTEER_WA, platform="whatsapp")
    await link_to_new_participant(vera, Role.ORGANISER, demo_event.id, name="Vera")

    await fake_whatsapp.send_text(VOLUNTEER_WA, code, name="Vera")
    await fake_whatsapp.wait_sent(VOLUNTEER_WA)
    await fake_whatsapp.send_text(STRANGER_WA, code, name="Someone")
    await fake_whatsapp.wait_sent(STRANGER_WA)

    assert "*Fatou Sow* is checked in" in fake_whatsapp.texts_to(VOLUNTEER_WA)[0]
    # Not the welcome a first message gets: what the code is.
    assert "This is someone’s check-in code" in fake_whatsapp.texts_to(STRANGER_WA)[0]


async def test_a_spanish_volunteer_checks_in_by_name_with_the_spanish_command(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    vera = await registered(dispatcher, demo_event.id, "Vera", language="es")
    assert "is now a volunteer" in await olga.send("/voluntario Vera")
    await _delegate(sessions, demo_event, clock)

    reply = await vera.send("/llegada fatou")

    assert "Llegada de Fatou Sow registrada a las 8:10 (día 1)." in reply
    assert "Delegado/a de la sociedad civil · Migrants Org · Senegal" in reply
    assert "Se deshizo la llegada de Fatou Sow" in await vera.press("Deshacer")


async def test_two_volunteers_scanning_her_code_at_once_count_her_once(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    vera = await _volunteer(dispatcher, demo_event, "Vera")
    olga = ChatUser(dispatcher, external_id="Olga")  # the organiser who made Vera a volunteer
    person_id, code = await _delegate(sessions, demo_event, clock)

    replies = await asyncio.gather(vera.send(f"/start {code}"), olga.send(f"/start {code}"))

    assert sum("Fatou Sow is checked in at 8:10 AM" in reply for reply in replies) == 1
    assert sum("Fatou Sow was already checked in today" in reply for reply in replies) == 1
    assert await _rows(sessions, person_id) == 1


async def test_a_pack_made_by_coordbot_run_opens_the_bot_telegram_named(
    telegram: TelegramAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without TELEGRAM_BOT_USERNAME, the check-in QR code still opens this bot: the adapter
    tells the badges who Telegram said the bot is."""
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
    monkeypatch.delenv("WHATSAPP_NUMBER", raising=False)
    assert badges.checkin_link("ci-0123456789abcdef") == (
        f"https://t.me/{BOT_USERNAME}?start=ci-0123456789abcdef"
    )
