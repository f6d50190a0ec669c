"""What confuses a reader on a phone (review 2026-12-01, section 2.2), through the real router and
database, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event, Role
from bot.people.csv_import import import_participants, read_csv
from bot.reports import labels
from bot.text.i18n import use_language
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.test_snapshot import PEOPLE
from tests.test_survey import buttons, load_demo_survey

SLACK_OPTION_LIMIT = 75  # characters of an option's text in a Slack select menu


async def test_the_agenda_counts_meeting_days_and_names_bus_only_days(
    chat: ChatUser, demo_event: Event
) -> None:
    # A civil-society delegate who goes on to the Stocktaking: the readers who see Day 1 and the
    # buses.
    await link_to_new_participant(
        chat, Role.CIVIL_SOCIETY, demo_event.id, government_conference=True
    )
    await chat.send("/language fr")
    sunday = await chat.send("/agenda 2017-12-03")
    assert "Jour 2 sur 2" in sunday
    monday = await chat.send("/agenda 2017-12-04")
    assert "Navette" in monday  # the bus is still shown…
    assert "sur 5" not in monday and "Jour 3" not in monday  # …but not as a meeting day
    assert "pas un jour de réunion" in monday
    assert "Jour 2 sur 2" in await chat.send("/agenda jour 2")


async def test_a_government_reader_sees_the_meeting_s_own_day_numbers(
    chat: ChatUser, demo_event: Event
) -> None:
    # Day 1 is for civil society only: the government reader's first day is the meeting's second.
    await link_to_new_participant(chat, Role.GOVERNMENT, demo_event.id)
    await chat.send("/language fr")
    sunday = await chat.send("/agenda 2017-12-03")
    assert "Jour 2 sur 2" in sunday and "sur 1" not in sunday
    assert "Jour 2 sur 2" in await chat.send("/agenda jour 2")
    saturday = await chat.send("/agenda jour 1")
    assert "n’est ouvert pour vous" in saturday and "3 décembre" in saturday
    assert "2 décembre" in saturday  # the day asked about, named
    assert "dure" not in saturday and "Mot de bienvenue" not in saturday


async def test_a_day_without_anything_names_the_two_meeting_days_apart_from_bus_days(
    chat: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(
        chat, Role.CIVIL_SOCIETY, demo_event.id, government_conference=True
    )
    await chat.send("/language es")
    reply = await chat.send("/agenda 2017-12-01")
    meeting, _sep, practical = reply.partition("autobuses")
    assert "2 de diciembre" in meeting and "3 de diciembre" in meeting
    assert "4 de diciembre" not in meeting
    assert "4 de diciembre" in practical and "6 de diciembre" in practical
    # The weekday's comma does not run into the list's commas (H10).
    assert "2017; martes, 5 de diciembre" in practical


async def test_a_day_number_beyond_the_meeting_says_how_many_days_there_are(
    chat: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)
    await chat.send("/language fr")
    reply = await chat.send("/agenda jour 6")
    assert "pas compris" not in reply
    assert "2 jours" in reply


async def test_the_next_page_button_reads_as_the_rest_of_the_day(
    chat: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)
    await chat.send("/language fr")
    await chat.send("/agenda 2017-12-02")
    assert "Suite ›" in [choice.label for choice in chat.choices]
    await chat.send("/language es")
    await chat.send("/agenda 2017-12-02")
    assert "Siguiente ›" in [choice.label for choice in chat.choices]


async def test_a_government_reader_is_told_a_session_is_for_civil_society_only(
    chat: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(chat, Role.GOVERNMENT, demo_event.id)
    await chat.send("/language fr")
    reply = await chat.send("/session d1-group-sessions-1")
    assert "société civile" in reply
    assert "ne trouve pas" not in reply
    assert "Groupes" not in reply and "Group" not in reply  # nothing of the session is shown
    assert "ne trouve pas" in await chat.send("/session 999")


async def test_an_act_that_meets_on_two_days_gets_buttons_that_say_the_day(
    chat: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)
    await chat.send("/language fr")
    await chat.send("/join 99")
    labels = [choice.label for choice in chat.choices if "Acte 9" in choice.label]
    assert len(labels) == 2
    assert len(set(labels)) == 2, labels
    assert any("2 déc." in label for label in labels)
    assert any("3 déc." in label for label in labels)
    reply = await chat.press("3 déc.")
    assert "Acte 9" in reply


async def test_the_survey_counter_does_not_jump_when_a_follow_up_is_asked_or_undone(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    key = await load_demo_survey(dispatcher, demo_event)
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    await olga.send(f"/survey open {key}")
    lucia = await registered(dispatcher, demo_event.id, "Lucía", language="es")
    seen = [await lucia.send("/survey")]
    seen.append(await lucia.press_data(buttons(lucia, "a")[0]))  # 1 of 5: "why?" follows
    seen.append(await lucia.press_data(buttons(lucia, "b")[0]))  # back to the first question
    seen.append(await lucia.press_data(buttons(lucia, "a")[4]))  # 5 of 5: no "why?"
    counters = [re.search(r"pregunta (\d+) de (\d+)", text) for text in seen]
    assert all(counters), seen
    assert [c.group(2) for c in counters if c] == ["8", "8", "8", "8"]
    assert [c.group(1) for c in counters if c] == ["1", "1", "1", "2"]
    assert "complementaria" in seen[1]


async def test_the_snapshot_lists_regions_in_the_reports_order_in_every_language(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    async with sessions() as db:
        rows = read_csv(PEOPLE.read_text(encoding="utf-8"))
        await import_participants(db, demo_event, rows, clock.now())
        await db.commit()
    await link_to_new_participant(chat, Role.ORGANISER, demo_event.id, language="es")
    keys = ["africa", "asia", "europe", "latin_america", "mena", "north_america", "pacific"]
    with use_language("es"):
        reports_order = [labels.region(key) for key in keys]
    assert reports_order[0] == "África"
    reply = await chat.send("/snapshot")
    shown = [line.split(":", 1)[0].strip() for line in reply.splitlines()]
    assert [name for name in shown if name in reports_order] == reports_order, reply


async def test_the_organisers_home_sets_each_platform_apart_from_its_count(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER, language="es")
    ana = ChatUser(dispatcher, external_id="ana", platform="telegram")
    await link_to_new_participant(ana, Role.CIVIL_SOCIETY, demo_event.id, name="Ana")
    board = await olga.send("/home")
    assert "Telegram: 1 · Test: 1" in board, board


async def test_a_delegates_help_shows_no_organiser_syntax(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina", language="fr")
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER, language="fr")

    def line(help_text: str, command: str) -> str:
        return next(row for row in help_text.splitlines() if row.startswith(f"/{command} "))

    delegate, organiser = await amina.send("/aide"), await olga.send("/aide")
    assert line(delegate, "enquete").startswith("/enquete — ")  # answering takes no argument
    assert "|" not in line(delegate, "table")  # the roster of one's table, no organiser action
    assert "|" in line(organiser, "enquete") and "|" in line(organiser, "table")


async def test_joining_an_act_in_a_round_it_is_not_in_points_to_its_round(
    chat: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)
    await chat.send("/language fr")
    reply = await chat.send("/join 7 d1-groups-1")
    assert "ne connais pas" not in reply
    assert "Acte 7" in reply
    labels = [choice.label for choice in chat.choices]
    assert labels and all("Acte 7" in label for label in labels), labels
    assert "Acte 7" in await chat.press("2 déc.")  # Day 1's second group session


@pytest.mark.parametrize("language", ["en", "fr", "es"])
async def test_table_audiences_of_the_broadcast_form_fit_a_slack_option_whole(
    dispatcher: Dispatcher, demo_event: Event, language: str
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER, language=language)
    await olga.send("/broadcast")
    form = olga.last[0].form
    assert form is not None
    audience = next(field for field in form.fields if field.name == "audience")
    tables = [option for option in audience.options if option.data.startswith("table ")]
    assert len(tables) == 20
    assert len({option.label for option in tables}) == 20  # each says which sitting it is
    too_long = [option.label for option in tables if len(option.label) > SLACK_OPTION_LIMIT]
    assert not too_long


async def test_an_unknown_table_action_is_named_as_such_not_as_an_unknown_round(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER, language="fr")
    reply = await olga.send("/table 4 d2-tables bogus")
    assert "tour" not in reply  # the round is right
    assert "« bogus »" in reply.replace("\xa0", " ")
    assert "/table" in reply  # which says what it can do
    assert "ne connais pas le tour" in await olga.send("/table 4 d9-nothing")
