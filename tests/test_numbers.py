"""Hostile numbers: superscripts, other scripts' digits, signs, huge integers, in every command,
button and form that takes a number. Each gets the short answer a wrong number gets, in the
reader's language; none is a traceback, and none changes the database."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from bot.chat import Incoming, Sender
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Base, Event, Role, TableRound
from bot.text.numbers import MAX_NUMBER, parse_number
from tests.support.chat import ChatUser, registered
from tests.test_survey import load_demo_survey

HOSTILE = [
    "²",  # superscript two: str.isdigit() says yes, int() says no
    "٣",  # Arabic-Indic three: int() reads it as 3
    "１",  # fullwidth one: int() reads it as 1
    "99999999999999999999",  # beyond 2**63: SQLite cannot bind it
    "9" * 400,
    "-1",
    "+1",
    " 1",
    "1_000",
    "0x10",
    "",
]
# A command's words are split on spaces: " 1" arrives as "1" and "" as no word at all, so
# neither is hostile there.
HOSTILE_WORDS = [value for value in HOSTILE if value.strip() == value and value]

SORRY = "Sorry, something went wrong"
SORRY_FR = "Désolé, un problème est survenu"
NO_BUTTON = "Ce bouton ne fonctionne plus."

# (who sends it, the command with {n} where the number goes, what a wrong number is answered)
COMMANDS = [
    ("delegate", "/session {n}", "Je ne trouve pas la séance"),
    ("delegate", "/s{n}", "Je ne connais pas la commande"),
    ("delegate", "/agenda {n}", "Je n’ai pas compris"),
    ("delegate", "/agenda day {n}", "Je n’ai pas compris"),
    ("delegate", "/remind {n}", "Choisissez 10, 15, 30 ou 60 minutes"),
    ("delegate", "/tables {n}", "Je ne connais pas le tour"),
    ("delegate", "/join {n}", "Je ne connais pas la table"),
    ("delegate", "/join 3 {n}", "Je ne connais pas le tour"),
    ("delegate", "/leave {n}", "Je ne connais pas le tour"),
    ("delegate", "/subscribe {n}", "Je ne connais pas le groupe"),
    ("delegate", "/unsubscribe {n}", "Je ne connais pas le groupe"),
    ("delegate", "/post {n} Bonjour à toutes et à tous", "Je ne connais pas le groupe"),
    ("delegate", "/lists {n}", "Il n’y a pas de message n°"),
    ("delegate", "/lists #{n}", "Il n’y a pas de message n°"),
    ("organiser", "/participant {n}", "introuvable"),
    ("organiser", "/participant {n} role government", "introuvable"),
    ("organiser", "/participant {n} unlink", "introuvable"),
    ("organiser", "/table {n}", "Je ne connais pas la table"),
    ("organiser", "/table 3 {n} close", "Je ne connais pas le tour"),
    ("organiser", "/table 3 d2-tables assign {n}", "introuvable"),
    ("organiser", "/group {n} announce on", "Je ne connais pas le groupe"),
    ("organiser", "/broadcast status {n}", "Communication introuvable."),
    ("organiser", "/broadcast cancel {n}", "Communication introuvable."),
]

# Every registered button prefix (handlers.build_router), with a hostile number in each place
# where its data carries one, and an unknown prefix.
BUTTONS = [
    ("delegate", "agenda:{n}", "Jour 1 sur"),
    ("delegate", "agenda:2017-12-02:{n}", "Jour 1 sur"),
    ("delegate", "tables:{n}", "Il n’y a aucune table pour vous"),
    ("delegate", "join:{n}:3", NO_BUTTON),
    ("delegate", "join:{round}:{n}", NO_BUTTON),
    ("delegate", "move:{n}", NO_BUTTON),
    ("delegate", "stay:{n}", "vous gardez votre place"),
    ("delegate", "leave:{n}", NO_BUTTON),
    ("delegate", "subscribe:{n}", NO_BUTTON),
    ("delegate", "unsubscribe:{n}", NO_BUTTON),
    ("delegate", "remind:{n}", "Choisissez 10, 15, 30 ou 60 minutes"),
    ("delegate", "notify:{n}", "Choisissez Telegram, Slack ou WhatsApp"),
    ("delegate", "lang:{n}", "Dans quelle langue dois-je vous écrire"),
    ("delegate", "forget:{n}", "Rien n’a été effacé."),
    ("delegate", "survey:go:{n}", NO_BUTTON),
    ("delegate", "survey:b:{n}", NO_BUTTON),
    ("delegate", "survey:a:{n}:0:1", NO_BUTTON),
    ("delegate", "mail:read:{n}", NO_BUTTON),
    ("delegate", "mail:set:{n}", NO_BUTTON),
    ("delegate", "mail:cancel:{n}", "Rien n’a été envoyé."),
    ("delegate", "{n}", NO_BUTTON),
    ("delegate", "{n}:1", NO_BUTTON),
    ("organiser", "request:yes:{n}", "Cette demande a déjà été traitée."),
    ("organiser", "request:no:{n}", "Cette demande a déjà été traitée."),
    ("organiser", "proposal:yes:{n}", "Cette proposition a déjà été traitée."),
    ("organiser", "proposal:no:{n}", "Cette proposition a déjà été traitée."),
    ("organiser", "broadcast:send:{n}", NO_BUTTON),
    ("organiser", "broadcast:cancel:{n}", NO_BUTTON),
    ("organiser", "broadcast:status:{n}", "Communication introuvable."),
    ("organiser", "mail:read:{n}", NO_BUTTON),
    ("organiser", "mail:again:{n}", NO_BUTTON),
    ("organiser", "mail:again-yes:{n}", NO_BUTTON),
]


async def database_rows(sessions: SessionFactory) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    rows = {}
    async with sessions() as db:
        for table in Base.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(row) for row in (await db.execute(query)).all()]
    return rows


@dataclass
class Meeting:
    users: dict[str, ChatUser]
    round_id: int


@pytest.fixture
async def meeting(dispatcher: Dispatcher, demo_event: Event) -> Meeting:
    delegate = await registered(dispatcher, demo_event.id, "Amina", language="fr")
    organiser = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER, language="fr")
    async with dispatcher.sessions() as db:
        round_id = await db.scalar(
            select(TableRound.id).where(
                TableRound.key == "d2-tables", TableRound.event_id == demo_event.id
            )
        )
    assert round_id is not None
    for user in (delegate, organiser):
        await user.send("/help")  # the account takes the display name it chats under
    return Meeting({"delegate": delegate, "organiser": organiser}, round_id)


async def _send_each(
    meeting: Meeting,
    sessions: SessionFactory,
    caplog: pytest.LogCaptureFixture,
    who: str,
    values: list[str],
    expected: str,
    send: Any,
) -> None:
    before = await database_rows(sessions)
    wrong = []
    with caplog.at_level(logging.WARNING):
        for value in values:
            caplog.clear()
            reply = await send(meeting.users[who], value)
            problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
            if SORRY in reply or SORRY_FR in reply or expected not in reply or problems:
                wrong.append(f"{value[:24]!r}: {reply[:160]!r} {problems}")
    assert not wrong, "\n".join(wrong)
    assert await database_rows(sessions) == before


@pytest.mark.parametrize(("who", "template", "expected"), COMMANDS, ids=[c[1] for c in COMMANDS])
async def test_a_hostile_number_in_a_command_is_a_wrong_number(
    meeting: Meeting,
    sessions: SessionFactory,
    caplog: pytest.LogCaptureFixture,
    who: str,
    template: str,
    expected: str,
) -> None:
    async def send(user: ChatUser, value: str) -> str:
        return await user.send(template.format(n=value))

    await _send_each(meeting, sessions, caplog, who, HOSTILE_WORDS, expected, send)


@pytest.mark.parametrize(("who", "template", "expected"), BUTTONS, ids=[b[1] for b in BUTTONS])
async def test_a_hostile_number_in_a_forged_button_is_a_stale_button(
    meeting: Meeting,
    sessions: SessionFactory,
    caplog: pytest.LogCaptureFixture,
    who: str,
    template: str,
    expected: str,
) -> None:
    async def send(user: ChatUser, value: str) -> str:
        data = template.format(n=value, round=meeting.round_id)
        return await user.press_unseen(data, message_id="m1")

    await _send_each(meeting, sessions, caplog, who, HOSTILE, expected, send)


async def test_hostile_numbers_inside_the_survey_ask_the_question_again(
    meeting: Meeting, sessions: SessionFactory, caplog: pytest.LogCaptureFixture, demo_event: Event
) -> None:
    organiser, delegate = meeting.users["organiser"], meeting.users["delegate"]
    key = await load_demo_survey(delegate.dispatcher, demo_event)
    assert "est ouverte" in await organiser.send(f"/survey open {key}")
    assert "question 1 sur" in await delegate.send("/survey")
    survey_id = delegate.choices[0].data.split(":")[2]

    async def press(user: ChatUser, data: str) -> str:
        return await user.press_unseen(data, message_id="m1")

    async def each_hostile(template: str, expected: str) -> None:
        async def send(user: ChatUser, value: str) -> str:
            return await press(user, template.format(n=value, survey=survey_id))

        await _send_each(meeting, sessions, caplog, "delegate", HOSTILE, expected, send)

    # the first question, on a scale: a hostile question index, answer, or skip
    await each_hostile("survey:a:{survey}:{n}:5", "question 1 sur")
    await each_hostile("survey:a:{survey}:0:{n}", "question 1 sur")
    await each_hostile("survey:s:{survey}:{n}", "question 1 sur")
    await press(delegate, f"survey:a:{survey_id}:0:5")
    await press(delegate, f"survey:a:{survey_id}:2:5")
    # tables_best: boxes ticked by number
    await each_hostile("survey:t:{survey}:4:{n}", "question 3 sur")
    await press(delegate, f"survey:t:{survey_id}:4:0")
    assert "question 4 sur" in await press(delegate, f"survey:d:{survey_id}:4")
    # structure: one option by number
    await each_hostile("survey:a:{survey}:5:{n}", "question 4 sur")


async def test_hostile_times_in_the_broadcast_form_are_refused(
    meeting: Meeting, sessions: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async def send(user: ChatUser, value: str) -> str:
        incoming = Incoming(
            "test",
            user.external_id,
            Sender(user.external_id, "Test User", None),
            form="broadcast",
            values=(("audience", "everyone"), ("en", "Hello"), ("at", value)),
        )
        return await user.handle(incoming)

    times = ["２０１７-12-03 10:00", "2017-12-03 ١٠:٠٠", "99999-12-03 10:00", "2017-12-03 10:00²"]
    await _send_each(meeting, sessions, caplog, "organiser", times, "Utilisation", send)


@pytest.mark.parametrize(
    ("text", "number"),
    [("0", 0), ("7", 7), ("0042", 42), (str(MAX_NUMBER), MAX_NUMBER), ("#1", None)]
    + [(value, None) for value in HOSTILE]
    + [(str(MAX_NUMBER + 1), None), ("1.0", None), ("1e3", None), ("7\n", None)],
)
def test_only_plain_ascii_digits_within_bounds_are_numbers(text: str, number: int | None) -> None:
    assert parse_number(text) == number


def test_bounds_are_inclusive() -> None:
    assert parse_number("5", minimum=1, maximum=5) == 5
    assert parse_number("6", minimum=1, maximum=5) is None
    assert parse_number("0", minimum=1, maximum=5) is None
