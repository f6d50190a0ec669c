"""The evaluation survey in chat: twenty participants answer in three languages, some stop and
resume days later; the organiser reads the results with charts; the export has one row per
answer set; nothing in the database ties an anonymous answer to a person."""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event, OutboxMessage, Role, SurveyParticipation, SurveyResponse
from bot.paths import EVENTS
from bot.survey import store
from bot.survey.check import check_survey_file
from tests.support.chat import ChatUser, registered
from tests.support.outbox import Inboxes, deliver_all
from tests.support.processes import environment, run

SURVEY_FILE = EVENTS / "puerto-vallarta-2017-survey.yaml"
LANGUAGES = ("en", "fr", "es")


async def load_demo_survey(dispatcher: Dispatcher, event: Event) -> str:
    spec, problems = check_survey_file(SURVEY_FILE)
    assert spec is not None, problems
    async with dispatcher.sessions() as db:
        await store.load(db, await db.get_one(Event, event.id), spec, dispatcher.clock.now())
        await db.commit()
    return spec.key


def buttons(user: ChatUser, action: str) -> list[str]:
    return [c.data for c in user.choices if c.data.startswith(f"survey:{action}:")]


async def answer_one(user: ChatUser, number: int) -> str:
    """Answer the question on screen, a little differently for each participant."""
    if answers := buttons(user, "a"):
        return await user.press_data(answers[number % len(answers)])
    if ticks := buttons(user, "t"):
        await user.press_data(ticks[number % len(ticks)])
        if len(ticks) > 1:
            await user.press_data(buttons(user, "t")[(number + 1) % len(ticks)])
        return await user.press_data(buttons(user, "d")[0])
    return await user.send(f"Answer number {number}: more time for the small tables.")


async def answer_all(user: ChatUser, number: int, reply: str, limit: int = 30) -> str:
    for _step in range(limit):
        if "survey:" not in " ".join(c.data for c in user.choices) and "question" not in reply:
            return reply
        reply = await answer_one(user, number)
    raise AssertionError(f"the survey never ended: {reply}")


async def test_twenty_participants_answer_in_three_languages_and_the_organiser_reads_it(
    dispatcher: Dispatcher,
    demo_event: Event,
    clock: SimulatedClock,
    sessions: SessionFactory,
    database_url: str,
    tmp_path: Path,
) -> None:
    key = await load_demo_survey(dispatcher, demo_event)
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    people = [
        await registered(dispatcher, demo_event.id, f"P{n}", language=LANGUAGES[n % 3])
        for n in range(20)
    ]
    assert "21 participants are invited" in await olga.send(f"/survey open {key}")
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    assert len(inboxes.received) == 21  # everyone, the organiser too

    stopped = people[:6]
    for number, person in enumerate(people):
        reply = await person.send("/survey")
        if person in stopped:
            await answer_one(person, number)
            await answer_one(person, number)
            continue
        await answer_all(person, number, reply)

    clock.advance(timedelta(days=2))  # the reminder reaches only those not finished
    await deliver_all(dispatcher, inboxes)
    reminded = [p.external_id for p in people if len(inboxes.received[p.external_id]) == 2]
    assert sorted(reminded) == sorted(p.external_id for p in stopped)

    for number, person in enumerate(stopped):
        resumed = await person.send("/survey")
        # Where they left: two answers given (a follow-up keeps its question's number).
        assert re.search(r"(question|pregunta) [23] (of|sur|de) 8", resumed), resumed
        await answer_all(person, number, resumed)
    assert "already" in await people[0].send("/survey")  # one answer set per participant

    summary = await olga.send(f"/results {key}")
    assert "finished: 20" in summary
    charts = [image for reply in olga.last for image in reply.images]
    assert len(charts) == 7  # one per question with answers to count (not free text)
    assert all(image.png.startswith(b"\x89PNG") for image in charts)

    # The export, as an organiser runs it: a CSV of codes and a summary in French.
    env = {**environment(tmp_path / "unused.sqlite3"), "COORDBOT_DATABASE_URL": database_url}
    export = ("survey", "export", key, "--out", str(tmp_path), "--lang", "fr")
    code, _out, err = await run(env, *export)
    assert code == 0, err
    with (tmp_path / f"survey-{key}.csv").open(encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table))
    spec, _problems = check_survey_file(SURVEY_FILE)
    assert spec is not None
    assert len(rows) == 20 and list(rows[0]) == [question.key for question in spec.questions]
    assert {row["overall"] for row in rows} <= set("12345")
    next_steps = spec.question("next_steps")
    assert next_steps is not None
    codes = {option.code for option in next_steps.options}
    assert all(set(row["next_steps"].split(";")) <= codes for row in rows)
    # "Why?" was asked exactly of those who rated the meeting 1 or 2.
    assert all((row["overall_why"] != "") == (row["overall"] in ("1", "2")) for row in rows)
    assert any(row["overall_why"] for row in rows)
    assert sum(1 for row in rows if row["comments"].startswith("Answer number")) >= 1
    summary_fr = (tmp_path / f"survey-{key}.md").read_text(encoding="utf-8")
    assert "20 personnes ont répondu." in summary_fr and "Moyenne" in summary_fr

    async with sessions() as db:
        # Anonymous: no response names a person, and no participation keeps an answer.
        responses = (await db.execute(select(SurveyResponse))).scalars().all()
        assert len(responses) == 20 and {r.participant_id for r in responses} == {None}
        places = (await db.execute(select(SurveyParticipation))).scalars().all()
        assert {p.progress for p in places if p.finished} == {None}
        columns = (await db.execute(text("SELECT * FROM survey_responses LIMIT 1"))).keys()
        assert set(columns) == {"id", "survey_id", "participant_id", "answers"}
        queued = (await db.execute(select(OutboxMessage.payload))).scalars().all()
        assert not any("small tables" in str(payload) for payload in queued)


async def test_typed_text_where_buttons_are_expected_asks_again_and_closed_is_closed(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    key = await load_demo_survey(dispatcher, demo_event)
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    ana = await registered(dispatcher, demo_event.id, "Ana", language="es")
    await olga.send(f"/survey open {key}")
    first = await ana.send("/encuesta")
    assert "pregunta 1 de" in first
    again = await ana.send("bien")
    assert "botones" in again and "pregunta 1 de" in again
    back_at_first = buttons(ana, "b")
    assert back_at_first == []
    await answer_one(ana, 0)
    assert buttons(ana, "b")
    await ana.press_data(buttons(ana, "b")[0])  # back: the first question again
    assert "pregunta 1 de" in ana.read()
    assert "Solo el equipo organizador" in await ana.send(f"/survey close {key}")
    await olga.send(f"/survey close {key}")
    assert "cerrada" in await ana.send("/encuesta")


async def test_forgetting_a_person_keeps_their_answers_in_the_counts_tied_to_nobody(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    spec, _problems = check_survey_file(SURVEY_FILE)
    assert spec is not None
    named = replace(spec, key="named", anonymous=False)  # a survey that does keep names
    async with sessions() as db:
        event = await db.get_one(Event, demo_event.id)
        await store.load(db, event, named, dispatcher.clock.now())
        await db.commit()
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    await olga.send("/survey open named")
    done = await registered(dispatcher, demo_event.id, "Done")
    halfway = await registered(dispatcher, demo_event.id, "Halfway")
    await answer_all(done, 3, await done.send("/survey"))
    await halfway.send("/survey")
    await answer_one(halfway, 3)

    for person in (done, halfway):
        await person.send("/forget")
        assert "erased" in await person.press("Yes, erase my data")

    async with sessions() as db:
        places = (await db.execute(select(SurveyParticipation))).scalars().all()
        assert len(places) == 1  # Olga's; the others' progress and "has answered" are gone
        responses = (await db.execute(select(SurveyResponse))).scalars().all()
        assert len(responses) == 1 and responses[0].participant_id is None
    assert "finished: 1" in await olga.send("/results named")
