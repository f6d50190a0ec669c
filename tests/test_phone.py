"""What confuses a reader on a phone (review 2026-12-01, section 2.2), through the real router and
database, on SQLite and PostgreSQL."""

from __future__ import annotations

from bot.models import Event, Role
from tests.support.chat import ChatUser, link_to_new_participant


async def test_the_agenda_counts_meeting_days_and_names_bus_only_days(
    chat: ChatUser, demo_event: Event
) -> None:
    await chat.send("/language fr")
    sunday = await chat.send("/agenda 2017-12-03")
    assert "Jour 2 sur 2" in sunday
    monday = await chat.send("/agenda 2017-12-04")
    assert "Navette" in monday  # the bus is still shown…
    assert "sur 5" not in monday and "Jour 3" not in monday  # …but not as a meeting day
    assert "pas un jour de réunion" in monday
    assert "Jour 2 sur 2" in await chat.send("/agenda jour 2")


async def test_a_day_without_anything_names_the_two_meeting_days_apart_from_bus_days(
    chat: ChatUser, demo_event: Event
) -> None:
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
