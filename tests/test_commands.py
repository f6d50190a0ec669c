"""A delegate's first commands, through the real router and database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.chat import Reply
from bot.clock import SimulatedClock
from bot.context import Context
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event, Participant, Role
from bot.people import participants
from tests.support.chat import ChatUser, link_to_new_participant


async def test_french_agenda_of_day_one_with_local_times_and_venues(
    chat: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)  # Day 1 is theirs
    await chat.send("/language fr")
    reply = await chat.send("/agenda 2017-12-02")
    assert "samedi 2 décembre 2017" in reply
    assert "07:30 – 08:15 Accueil, inscription et café" in reply
    assert "08:30 – 09:50 Mot de bienvenue" in reply
    assert "📍 Holiday Inn Express Puerto Vallarta" in reply
    assert "Registration" not in reply


async def test_spanish_agenda_of_day_one(chat: ChatUser, demo_event: Event) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)  # Day 1 is theirs
    await chat.send("/language es")
    reply = await chat.send("/agenda 2017-12-02")
    assert "sábado, 2 de diciembre de 2017" in reply
    assert "7:30–8:15 Registro y café" in reply


async def test_english_agenda_uses_the_twelve_hour_clock(chat: ChatUser, demo_event: Event) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)  # Day 1 is theirs
    reply = await chat.send("/agenda day 2")
    assert "Sunday, December 3, 2017" in reply
    assert "8:30 – 9:00 AM" in reply


async def test_platform_language_is_used_until_the_reader_chooses(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    canadian = ChatUser(dispatcher, external_id="qc", language_code="fr-CA")
    assert "Bonjour" in await canadian.send("/start")
    await canadian.send("/language es")
    assert "Hola" in await canadian.send("/start")


async def test_language_buttons_switch_and_answer_in_the_new_language(
    chat: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)  # Day 1 is theirs
    await chat.send("/language")
    reply = await chat.press("Español")
    assert "español" in reply
    assert chat.last[0].edit
    assert "Registro y café" in await chat.send("/agenda 2017-12-02")


async def test_agenda_pages_are_edited_in_place(chat: ChatUser, demo_event: Event) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)
    first = await chat.send("/agenda 2017-12-02")
    assert "Mobilizing Plenary I" not in first
    later = await chat.press("Later")
    assert chat.last[0].edit
    assert "Mobilizing Plenary I" in later
    assert "Registration and coffee" not in later


async def test_agenda_understands_relative_days_in_three_languages(
    chat: ChatUser, demo_event: Event
) -> None:
    for words in ("tomorrow", "demain", "mañana", "Manana"):
        assert "December 3, 2017" in await chat.send(f"/agenda {words}")
    assert "December 2, 2017" in await chat.send("/agenda aujourd'hui")


async def test_a_bad_agenda_argument_gets_a_hint_in_the_readers_language(
    chat: ChatUser, demo_event: Event
) -> None:
    await chat.send("/language fr")
    reply = await chat.send("/agenda <someday>")
    assert "pas compris" in reply
    assert "<someday>" in reply  # shown as typed, escaped in the markup
    assert "&lt;someday&gt;" in chat.last[0].text


async def test_unknown_command_gets_a_short_hint(chat: ChatUser, demo_event: Event) -> None:
    await chat.send("/language es")
    reply = await chat.send("/frobnicate")
    assert "/frobnicate" in reply and "/ayuda" in reply


async def test_next_shows_what_is_on_now_and_next(
    chat: ChatUser, demo_event: Event, clock: SimulatedClock
) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)  # Day 1 is theirs
    reply = await chat.send("/next")
    now_part, next_part = reply.split("Next")
    assert "Registration and coffee" in now_part
    assert "in 20 minutes" in next_part
    assert "Welcome and opening" in next_part
    clock.advance(timedelta(days=10))
    assert "over" in await chat.send("/next")


async def test_session_details(chat: ChatUser, demo_event: Event) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)  # Day 1 is theirs
    agenda = await chat.send("/agenda 2017-12-02")
    opening = next(line for line in agenda.splitlines() if "Welcome and opening" in line)
    assert opening
    command = next(
        line.split("· ")[-1]
        for line in agenda.splitlines()[agenda.splitlines().index(opening) + 1 :]
    )
    reply = await chat.send(command)
    assert "Welcome and opening" in reply
    assert "Av. Francisco Medina Ascencio 7962" in reply
    assert "English, French, and Spanish" in reply
    assert "Civil society only" in reply  # Day 1 (concept note: "Day 1 – Civil Society only")
    assert reply == await chat.send(f"/session {command.removeprefix('/s')}")
    assert reply == await chat.send("/session d1-opening")


async def test_venue_names_read_in_the_readers_language(chat: ChatUser, demo_event: Event) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)
    english = await chat.send("/session d1-badge-collection")
    assert "📍 UN Registration Centre – Westin hotel — Paseo de la Marina Sur #205" in english
    await chat.send("/language fr")
    french = await chat.send("/session d1-badge-collection")
    assert "📍 Centre d’inscription de l’ONU – hôtel Westin — Paseo de la Marina Sur #205" in french
    await chat.send("/language es")
    spanish = await chat.send("/session d1-evening-gathering")
    assert "📍 Hotel Marriott — Av Paseo de la Marina Nte 435" in spanish
    plain = await chat.send("/session d1-opening")  # a venue with one name keeps it
    assert "📍 Holiday Inn Express Puerto Vallarta — Av. Francisco Medina Ascencio" in plain


@pytest.mark.parametrize("role", [None, Role.GOVERNMENT, Role.INTERNATIONAL])
async def test_civil_society_sessions_are_hidden_from_guests_governments_and_un(
    chat: ChatUser, demo_event: Event, role: Role | None
) -> None:
    if role is not None:
        await link_to_new_participant(chat, role, demo_event.id)
    agenda = await chat.send("/agenda 2017-12-03")  # governments join on Day 2
    assert "Registration and coffee" in agenda and "Small tables with governments" in agenda
    assert "Mobilizing Plenary II" not in agenda and "Closing reception" not in agenda
    assert "Welcome and opening" not in await chat.send("/agenda 2017-12-02")
    closed = await chat.send("/session d1-group-sessions-1")
    assert "civil society only" in closed and "Group sessions" not in closed


async def test_civil_society_delegates_see_their_sessions(
    chat: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id, name="Amina Diallo")
    assert "Hello Amina Diallo!" in await chat.send("/start")
    reply = await chat.send("/session d1-group-sessions-1")
    assert "Civil society only" in reply


async def test_help_lists_every_command_in_the_readers_language(
    chat: ChatUser, demo_event: Event
) -> None:
    await chat.send("/langue es")
    reply = await chat.send("/ayuda")
    # Each command by its Spanish name, where it has one.
    for command in ("/start", "/ayuda", "/idioma", "/programa", "/siguiente", "/sesion"):
        assert f"\n{command}" in reply
    assert "/help" not in reply and "/next" not in reply
    assert "el programa" in reply


async def test_without_a_programme_the_bot_says_so(chat: ChatUser) -> None:
    assert "No programme has been published yet" in await chat.send("/agenda")
    assert "No programme has been published yet" in await chat.send("/next")


async def test_plain_text_in_private_gets_a_hint(chat: ChatUser, demo_event: Event) -> None:
    assert "/help" in await chat.send("hello?")


async def test_a_button_from_an_older_bot_gets_a_hint(chat: ChatUser, demo_event: Event) -> None:
    chat.last = []
    await chat.press_unseen("vote:42", message_id=None)
    assert "no longer works" in chat.last[0].text


async def test_a_failing_handler_answers_politely_and_keeps_no_half_written_data(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    from bot.router import Router

    async def breaks_after_writing(ctx: Context) -> Reply:
        participants.set_language(ctx.identity, "es")
        raise RuntimeError("the disk is on fire")

    router = Router()
    router.command("break", breaks_after_writing, help="")
    user = ChatUser(Dispatcher(router, sessions, clock), language_code="fr")
    participant_id = await link_to_new_participant(user, Role.CIVIL_SOCIETY, demo_event.id)
    reply = await user.send("/break")
    assert "Désolé" in reply and "fire" not in reply
    async with sessions() as db:
        participant = await db.get_one(Participant, participant_id)
        assert participant.language is None
