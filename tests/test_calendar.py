"""/calendar: my programme as an .ics file, read back with icalendar as a phone would, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from icalendar import Calendar
from sqlalchemy import select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event, Participant, Role, Session
from bot.programme.mine import my_programme
from handlers import build_router
from tests.support.chat import ChatUser, link_to_new_participant
from tests.support.demo import MEETING_ZONE


def ics_of(user: ChatUser) -> Calendar:
    """The calendar file of the last reply, parsed back."""
    (document,) = user.last[-1].documents
    assert document.name.endswith(".ics")
    return Calendar.from_ical(document.data)


def by_uid(calendar: Calendar) -> dict[str, Any]:
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def uid(session: Session, event: Event) -> str:
    return f"session-{session.id}.{event.key}@coordbot"


async def sessions_by_key(sessions: SessionFactory) -> dict[str, Session]:
    async with sessions() as db:
        return {s.key: s for s in (await db.execute(select(Session))).scalars()}


async def test_a_spanish_delegate_gets_her_programme_in_spanish_with_her_table_and_alarm(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory
) -> None:
    me = await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id, name="Ana")
    await chat.send("/idioma es")
    await chat.send("/join 1 d2-tables")
    await chat.send("/remind 30")

    reply = await chat.send("/calendario")

    assert "no está configurada" in reply  # no CALENDAR_PUBLIC_URL in this deployment
    calendar = ics_of(chat)
    assert [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")] == ["America/Mexico_City"]
    assert str(calendar["x-wr-calname"]) == "Reunión de Balance y Estrategia de la Sociedad Civil"
    assert str(calendar["method"]) == "PUBLISH"
    # Subscribed calendars are asked to look again every hour.
    assert calendar.decoded("refresh-interval") == timedelta(hours=1)
    assert calendar["x-published-ttl"].to_ical() == b"PT1H"
    async with sessions() as db:
        person = await db.get_one(Participant, me)
        mine = [item.session for item in await my_programme(db, demo_event, person)]
    uids = [str(event["uid"]) for event in calendar.walk("VEVENT")]
    assert sorted(uids) == sorted(uid(session, demo_event) for session in mine)
    assert len(set(uids)) == len(uids)

    events = by_uid(calendar)
    keys = await sessions_by_key(sessions)
    registration = events[uid(keys["d1-registration"], demo_event)]
    assert str(registration["summary"]) == "Registro y café"
    start = registration.decoded("dtstart")
    assert start.tzinfo.key == "America/Mexico_City"
    assert (start.hour, start.minute) == (7, 30)
    assert "Av. Francisco Medina Ascencio 7962" in str(registration["location"])
    (alarm,) = registration.walk("VALARM")
    assert alarm.decoded("trigger") == -timedelta(minutes=30)
    assert str(alarm["action"]) == "DISPLAY"

    opening = events[uid(keys["d1-opening"], demo_event)]
    assert "Interpretación: inglés, francés y español" in str(opening["description"])
    tables = events[uid(keys["d2-small-tables"], demo_event)]
    assert "Acto 1" in str(tables["summary"])
    assert "Factores impulsores de la movilidad humana" in str(tables["description"])
    # "From 18:00": the phone shows it an hour long, as /next counts it.
    reception = keys["d2-closing-reception"]
    assert reception.ends_at is None
    shown = events[uid(reception, demo_event)]
    assert shown.decoded("dtend") - shown.decoded("dtstart") == timedelta(hours=1)
    assert shown.decoded("dtend").astimezone(MEETING_ZONE).hour == 19


async def test_a_government_delegate_sees_no_civil_society_session_and_no_alarm_when_off(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory
) -> None:
    await link_to_new_participant(chat, Role.GOVERNMENT, demo_event.id, name="Minister")
    await chat.send("/remind off")
    await chat.send("/calendar")
    events = by_uid(ics_of(chat))
    keys = await sessions_by_key(sessions)
    assert uid(keys["d1-registration"], demo_event) not in events  # civil society only
    assert uid(keys["d2-opening"], demo_event) in events
    opening = events[uid(keys["d2-opening"], demo_event)]
    assert str(opening["summary"]) == "Report back from Day 1 and opening plenary"
    assert all(not event.walk("VALARM") for event in events.values())


async def test_the_reply_gives_a_private_address_when_the_deployment_has_one(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = Dispatcher(
        build_router(), sessions, clock, calendar_url="https://bot.example.org/"
    )
    user = ChatUser(dispatcher, language_code="fr")
    me = await link_to_new_participant(user, Role.CIVIL_SOCIETY, demo_event.id)
    reply = await user.send("/calendrier")
    async with sessions() as db:
        token = (await db.get_one(Participant, me)).calendar_token
    assert token is not None and len(token) == 32
    assert f"https://bot.example.org/calendar/{token}.ics" in reply
    assert f"webcal://bot.example.org/calendar/{token}.ics" in reply
    assert "abonnez-vous" in reply
    again = await user.send("/calendrier")
    assert token in again  # the same address every time

    reply = await user.send("/calendrier renouveler")
    async with sessions() as db:
        new = (await db.get_one(Participant, me)).calendar_token
    assert new is not None and new != token
    assert token not in reply and new in reply
    assert "ne fonctionne plus" in reply

    assert "/calendrier renouveler" in await user.send("/calendrier demain")


async def test_mydata_says_whether_a_calendar_address_exists(
    chat: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)
    assert "Calendar address: —" in await chat.send("/mydata")
    await chat.send("/calendar")
    mine = await chat.send("/mydata")
    assert "Calendar address: yes (/calendar reset replaces it)" in mine
