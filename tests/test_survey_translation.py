"""Survey free-text answers in the organiser's language: a Spanish delegate's answers read in
English or French in /results and in the export, the original kept beside them, tied to nobody;
without a translation service, everything as written."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event, Role, TranslatedText
from handlers import build_router
from tests.support.chat import ChatUser, registered
from tests.support.outbox import Inboxes, deliver_all
from tests.support.processes import environment, run
from tests.support.translator import FakeTranslator
from tests.test_survey import buttons, load_demo_survey

# Lowest marks, so that the two follow-up questions ("why?") are asked too.
WHY = "La reunión fue corta: el grupo necesita más tiempo."
TABLES_WHY = "Los gobiernos no escucharon."
COMMENTS = "Gracias por todo, hasta mañana."
ENGLISH = "Thanks, the meeting was too short."
NOT_READY = "Some answers are shown as written: their translation is not ready."


class LibreTranslate(FakeTranslator):
    """The fake, under the name of the provider the export finds in its settings."""

    name = "libretranslate"


async def answer(user: ChatUser, texts: list[str]) -> None:
    """Answer the whole survey: the lowest mark, the first option, and `texts` in turn for the
    free-text questions."""
    await user.send("/survey")
    remaining = list(texts)
    for _step in range(30):
        if marks := buttons(user, "a"):
            await user.press_data(marks[0])
        elif ticks := buttons(user, "t"):
            await user.press_data(ticks[0])
            await user.press_data(buttons(user, "d")[0])
        elif buttons(user, "s") or buttons(user, "b"):  # a free-text question
            await user.send(remaining.pop(0))
        else:
            assert not remaining, remaining
            return
    raise AssertionError(f"the survey never ended: {user.read()}")


async def test_spanish_answers_read_in_english_and_french_with_the_original(
    sessions: SessionFactory,
    clock: SimulatedClock,
    demo_event: Event,
    database_url: str,
    tmp_path: Path,
) -> None:
    translator = LibreTranslate()
    dispatcher = Dispatcher(build_router(), sessions, clock, translation_provider=translator.name)
    key = await load_demo_survey(dispatcher, demo_event)
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER, language="en")
    odile = await registered(dispatcher, demo_event.id, "Odile", Role.ORGANISER, language="fr")
    luis = await registered(dispatcher, demo_event.id, "Luis", language="es")
    emma = await registered(dispatcher, demo_event.id, "Emma", language="en")
    await olga.send(f"/survey open {key}")
    await answer(luis, [WHY, TABLES_WHY, COMMENTS])
    await answer(emma, [ENGLISH, ENGLISH, ENGLISH])

    # Not translated yet: shown as written, with one line saying so, and nothing waits.
    before = await olga.send(f"/results {key}")
    assert f"“{WHY}”" in before and "[en]" not in before
    assert before.count(NOT_READY) == 1 and before.rstrip().endswith(NOT_READY)

    await deliver_all(dispatcher, Inboxes(), translator=translator)
    assert translator.calls == {"detect": 4, "translate": 8}  # 4 texts, 2 languages each

    results = await olga.send(f"/results {key}")
    assert f"“[en] {WHY}” (original: “{WHY}”)" in results
    assert f"“[en] {COMMENTS}” (original: “{COMMENTS}”)" in results
    assert f"“{ENGLISH}”" in results and f"(original: “{ENGLISH}”)" not in results  # untouched
    assert NOT_READY not in results and "See the original" not in results
    assert not olga.choices  # the original is inline: no button per answer

    resultats = await odile.send(f"/resultats {key}")
    assert f"« [fr] {WHY} » (original : « {WHY} »)" in resultats
    assert f"« [fr] {ENGLISH} » (original : « {ENGLISH} »)" in resultats

    # An organiser who chose /translate off reads every answer as written, with no note.
    await olga.send("/translate off")
    as_written = await olga.send(f"/results {key}")
    assert f"“{WHY}”" in as_written and "[en]" not in as_written and NOT_READY not in as_written

    # The translations are tied to nobody, as the answers are; /mydata does not list them.
    async with sessions() as db:
        texts = (await db.execute(select(TranslatedText))).scalars().all()
        assert {text.text for text in texts} == {WHY, TABLES_WHY, COMMENTS, ENGLISH}
        assert {text.author_id for text in texts} == {None}
    assert "Traducido" not in await luis.send("/misdatos")

    # The export reads the stored translations (the service is never called: it is not there).
    env = {
        **environment(tmp_path / "unused.sqlite3"),
        "COORDBOT_DATABASE_URL": database_url,
        "TRANSLATE_URL": "http://127.0.0.1:9",
    }
    export = ("survey", "export", key, "--out", str(tmp_path))
    code, _out, err = await run(env, *export, "--lang", "fr")
    assert code == 0, err
    with (tmp_path / f"survey-{key}.csv").open(encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table))
    assert list(rows[0])[:3] == ["overall", "overall_why", "overall_why_translated"]
    assert "comments_translated" in rows[0] and "overall_translated" not in rows[0]
    by_comment = {row["comments"]: row for row in rows}
    assert by_comment[COMMENTS]["comments_translated"] == f"[fr] {COMMENTS}"
    assert by_comment[COMMENTS]["small_tables_why_translated"] == f"[fr] {TABLES_WHY}"
    assert by_comment[ENGLISH]["comments_translated"] == f"[fr] {ENGLISH}"
    summary = (tmp_path / f"survey-{key}.md").read_text(encoding="utf-8").replace("\xa0", " ")
    assert f"> [fr] {WHY}\n> (original : « {WHY} »)\n" in summary

    # In English, an English answer is its own translation, quoted once.
    code, _out, err = await run(env, *export)
    assert code == 0, err
    with (tmp_path / f"survey-{key}.csv").open(encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table))
    assert {row["comments_translated"] for row in rows} == {ENGLISH, f"[en] {COMMENTS}"}
    summary = (tmp_path / f"survey-{key}.md").read_text(encoding="utf-8")
    assert f"> {ENGLISH}\n\n" in summary and f"(original: “{ENGLISH}”)" not in summary
    assert f"> [en] {COMMENTS}\n> (original: “{COMMENTS}”)\n" in summary


async def test_without_a_translation_service_answers_are_as_written_and_nothing_is_kept(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    key = await load_demo_survey(dispatcher, demo_event)
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    luis = await registered(dispatcher, demo_event.id, "Luis", language="es")
    await olga.send(f"/survey open {key}")
    await answer(luis, [WHY, TABLES_WHY, COMMENTS])
    results = await olga.send(f"/results {key}")
    assert f"“{WHY}”" in results and "original" not in results and NOT_READY not in results
    async with sessions() as db:
        assert (await db.execute(select(TranslatedText))).first() is None


async def test_the_service_down_answers_are_quoted_as_written_with_one_line(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    translator = LibreTranslate()
    translator.failing = True
    dispatcher = Dispatcher(build_router(), sessions, clock, translation_provider=translator.name)
    key = await load_demo_survey(dispatcher, demo_event)
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER, language="en")
    luis = await registered(dispatcher, demo_event.id, "Luis", language="es")
    await olga.send(f"/survey open {key}")
    await answer(luis, [WHY, TABLES_WHY, COMMENTS])
    await deliver_all(dispatcher, Inboxes(), translator=translator)
    results = await olga.send(f"/results {key}")
    assert f"“{WHY}”" in results and "(original" not in results
    assert results.count(NOT_READY) == 1
