"""The demo programme as its sources give it (review 2026-12-01, section 3): no invented end times,
the buses for badge holders only, and named people's roles agreeing with them. Through the real
router and database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot import reminders
from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event, Participant, Role, Session
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.demo import MEETING_ZONE


async def _session(sessions: SessionFactory, key: str) -> Session:
    async with sessions() as db:
        return (await db.execute(select(Session).where(Session.key == key))).scalar_one()


async def test_the_closing_reception_says_from_18_00_and_invents_no_end(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory
) -> None:
    reception = await _session(sessions, "d2-closing-reception")
    assert reception.ends_at is None
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)
    await chat.send("/language fr")
    page = await chat.send(f"/s{reception.id}")
    assert "à partir de 18:00" in page and "20:00" not in page
    await chat.send("/language es")
    assert "a partir de las 18:00" in await chat.send(f"/s{reception.id}")
    await chat.send("/language en")
    assert "from 6:00 PM" in await chat.send(f"/s{reception.id}")


async def test_a_session_without_an_end_is_on_now_when_it_starts(
    chat: ChatUser, demo_event: Event, clock: SimulatedClock
) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id, language="fr")
    clock.set(datetime(2017, 12, 3, 18, 20, tzinfo=MEETING_ZONE))
    now = await chat.send("/next")
    assert "Réception de clôture" in now and "à partir de 18:00" in now
    clock.set(datetime(2017, 12, 3, 23, 0, tzinfo=MEETING_ZONE))
    assert "Réception de clôture" not in await chat.send("/next")  # not over at midnight


async def test_buses_are_for_badge_holders_shown_and_reminded_to_them_only(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    holder = await registered(dispatcher, demo_event.id, "Awa", language="fr")
    other = await registered(dispatcher, demo_event.id, "Bruno", language="fr")
    minister = await registered(dispatcher, demo_event.id, "Carla", Role.GOVERNMENT, "fr")
    async with sessions() as db:
        for name in ("Awa", "Carla"):
            person = (
                await db.execute(select(Participant).where(Participant.name == name))
            ).scalar_one()
            person.government_conference = True
        await db.commit()

    monday = await holder.send("/agenda 2017-12-04")
    assert "Navette" in monday and "à partir de 08:45" in monday
    assert "Navette" not in await other.send("/agenda 2017-12-04")
    assert "Navette" in await minister.send("/agenda 2017-12-04")
    bus = await _session(sessions, "bus-2017-12-04")
    page = await holder.send(f"/s{bus.id}")
    assert "munies d’un badge" in page and "Ouvert à toutes" not in page
    closed = await other.send(f"/s{bus.id}")
    assert "munies d’un badge" in closed and "ne trouve pas" not in closed
    assert "Holiday Inn" not in closed  # nothing of the session is shown

    async with sessions() as db:
        concerned = set(await reminders.concerned(db, bus))
        names = {
            name
            for (name,) in await db.execute(
                select(Participant.name).where(Participant.id.in_(concerned))
            )
        }
    assert names == {"Awa", "Carla"}


async def test_named_people_s_roles_agree_with_how_they_wish_to_be_addressed(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER, language="fr")
    people = {}
    for name, form in (("Guadalupe", "feminine"), ("Yolanda", "feminine"), ("Pedro", "masculine")):
        user = ChatUser(dispatcher, external_id=name)
        people[name] = await link_to_new_participant(
            user, Role.CIVIL_SOCIETY, demo_event.id, name=name, form_of_address=form
        )
    people["Sam"] = await link_to_new_participant(
        ChatUser(dispatcher, external_id="Sam"), Role.CIVIL_SOCIETY, demo_event.id, name="Sam"
    )

    named = await olga.send(f"/table 4 d2-tables facilitator {people['Guadalupe']}")
    assert "Guadalupe est animatrice de la table" in named, named
    named = await olga.send(f"/table 4 d2-tables rapporteur {people['Pedro']}")
    assert "Pedro est rapporteur de la table" in named, named
    named = await olga.send(f"/table 5 d2-tables facilitator {people['Sam']}")
    assert "Sam est animateur·rice de la table" in named, named
    roster = await olga.send("/table 4 d2-tables")
    assert "Guadalupe — animatrice" in roster and "Pedro — rapporteur" in roster, roster
    assert "déléguée de la société civile" in await olga.send(f"/participant {people['Yolanda']}")
    assert "délégué·e de la société civile" in await olga.send(f"/participant {people['Sam']}")

    await olga.send("/language es")
    named = await olga.send(f"/table 6 d2-tables rapporteur {people['Yolanda']}")
    assert "Yolanda es relatora de la mesa" in named, named
    assert "facilitador/a" in await olga.send(f"/table 5 d2-tables facilitator {people['Sam']}")

    yolanda = ChatUser(dispatcher, external_id="Yolanda", language_code="es")
    mine = await yolanda.send("/mydata")
    assert "Forma de tratamiento: femenino" in mine and "Rol: relatora" not in mine
    assert "Rol: delegada de la sociedad civil" in mine
    assert "✅ relatora" in await yolanda.send("/mytables")


async def test_the_stocktaking_shows_on_its_days_as_no_session_of_the_meeting(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    minister = await registered(dispatcher, demo_event.id, "Carla", Role.GOVERNMENT, "fr")
    delegate = await registered(dispatcher, demo_event.id, "Awa", language="es")

    tuesday = await minister.send("/agenda 2017-12-05")
    assert "En marge de la réunion, sans en faire partie" in tuesday
    assert "Réunion de bilan intergouvernementale" in tuesday and "4 – 6 décembre" in tuesday
    assert "Centre international de conférences" in tuesday and "sur invitation" in tuesday
    assert "société civile" not in tuesday  # the alternative activities are for civil society

    tuesday = await delegate.send("/agenda 2017-12-05")
    assert "Reunión de balance intergubernamental" in tuesday
    assert "Actividades alternativas de la sociedad civil" in tuesday
    assert "Al margen de la reunión" in tuesday
    # Nothing of it is a session: the two meeting days stay two.
    assert "Día 1 de 2" in await delegate.send("/agenda 2017-12-02")
