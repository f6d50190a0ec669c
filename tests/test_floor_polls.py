"""Live polls on the demo programme: a moderator of the opening plenary launches a poll, the
participants answer with buttons in English, French and Spanish, the routine closes it once and
each reader gets the counts and a chart in their language; the export has the same figures."""

from __future__ import annotations

import asyncio
import csv
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.chat import Reply
from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.floor import polls, rooms
from bot.models import Event, OutboxMessage, Participant, Poll, PollAnswer, Role
from tests.support.chat import ChatUser, registered
from tests.support.outbox import Inboxes, deliver_all
from tests.support.processes import environment, run

POLL = """/poll 3m
en: Which priority first? | Labour rights | Climate | Children
fr: Quelle priorité d’abord ? | Droits du travail | Climat | Enfants
es: ¿Qué prioridad primero? | Derechos laborales | Clima | Niñez"""


async def moderator_of(dispatcher: Dispatcher, event: Event, name: str, key: str) -> ChatUser:
    """A civil-society participant given the session `key` to moderate (not an organiser)."""
    user = await registered(dispatcher, event.id, name)
    async with dispatcher.sessions() as db:
        session = await rooms.by_key(db, await db.get_one(Event, event.id), key)
        assert session is not None
        named = select(Participant).where(Participant.name == name)
        person = (await db.execute(named)).scalar_one()
        await rooms.add_moderator(db, session, person, dispatcher.clock.now())
        await db.commit()
    return user


def last_reply(inboxes: Inboxes, user: ChatUser) -> Reply:
    return inboxes.replies[user.external_id][-1]


def button(reply: Reply, label: str) -> str:
    found = [c.data for row in reply.choices for c in row if label in c.label]
    assert len(found) == 1, (label, reply.choices)
    return found[0]


async def poll_ids(sessions: SessionFactory) -> list[int]:
    async with sessions() as db:
        return list((await db.execute(select(Poll.id).order_by(Poll.id))).scalars())


async def answers_in(sessions: SessionFactory, poll_id: int) -> list[tuple[int, int]]:
    async with sessions() as db:
        query = select(PollAnswer.participant_id, PollAnswer.choice)
        rows = await db.execute(query.where(PollAnswer.poll_id == poll_id))
        return sorted((pid, choice) for pid, choice in rows.all())


async def test_a_poll_in_the_opening_plenary_from_launch_to_export(
    dispatcher: Dispatcher,
    demo_event: Event,
    clock: SimulatedClock,
    sessions: SessionFactory,
    database_url: str,
    tmp_path: Path,
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    mona = await moderator_of(dispatcher, demo_event, "Mona", "d1-opening")
    ana = await registered(dispatcher, demo_event.id, "Ana", language="en")
    benoit = await registered(dispatcher, demo_event.id, "Benoit", language="fr")
    carla = await registered(dispatcher, demo_event.id, "Carla", language="es")
    gus = await registered(dispatcher, demo_event.id, "Gus", Role.GOVERNMENT)

    # A participant who moderates nothing launches nothing, closes nothing.
    assert "moderate no session" in await ana.send(POLL)
    assert "moderate no session" in await ana.send("/poll close")
    assert await poll_ids(sessions) == []

    launched = await mona.send(POLL)
    # The civil-society-only plenary: the organiser, the moderator and three delegates.
    assert "Poll launched in Welcome and opening plenary: sent to 5 participants" in launched
    assert "closes at 8:13" in launched
    (poll_id,) = await poll_ids(sessions)

    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    assert "Which priority first?" in inboxes.received["Ana"][-1]
    assert "Quelle priorité d’abord ?" in inboxes.received["Benoit"][-1]
    assert "¿Qué prioridad primero?" in inboxes.received["Carla"][-1]
    assert "Gus" not in inboxes.received  # a government representative: not this session's
    assert [c.label for row in last_reply(inboxes, benoit).choices for c in row] == [
        "Droits du travail",
        "Climat",
        "Enfants",
    ]

    # Ana changes her mind: one answer, the last.
    await ana.press_unseen(button(last_reply(inboxes, ana), "Climate"))
    changed = await ana.press_unseen(button(last_reply(inboxes, ana), "Labour rights"))
    assert "Your answer is recorded" in changed
    assert "✅ Labour rights" in [c.label for c in ana.choices]
    assert "Votre réponse est enregistrée" in await benoit.press_unseen(
        button(last_reply(inboxes, benoit), "Climat")
    )
    assert "Su respuesta quedó guardada" in await carla.press_unseen(
        button(last_reply(inboxes, carla), "Clima")
    )
    # The same press twice is still one answer.
    await carla.press_unseen(button(last_reply(inboxes, carla), "Clima"))
    # Gus never got the poll; a forged press is refused and counts for nothing.
    forged = await gus.press_unseen(f"poll:a:{poll_id}:0")
    assert "for the participants of its session" in forged
    # …as is a forged moderator's button from someone who moderates nothing.
    assert "Only the organisers and the session's moderators" in await ana.press_unseen(
        f"poll:m:{poll_id}:close"
    )
    async with sessions() as db:
        assert (await db.get_one(Poll, poll_id)).closes_at == clock.now() + timedelta(minutes=3)
    async with sessions() as db:
        ids = {n: i for n, i in (await db.execute(select(Participant.name, Participant.id))).all()}
    assert await answers_in(sessions, poll_id) == sorted(
        [(ids["Ana"], 0), (ids["Benoit"], 1), (ids["Carla"], 1)]
    )

    # The moderator sees the answers so far; nobody is named.
    live = await mona.press("Answers so far")
    assert "People who answered: 3" in live and "Climate: 2 (67%)" in live
    assert "Ana" not in live
    assert "Climate: 2" in await olga.send("/poll results")

    clock.advance(timedelta(minutes=3))
    late = await benoit.press_unseen(button(last_reply(inboxes, benoit), "Enfants"))
    assert "Ce sondage est fermé" in late
    assert len(await answers_in(sessions, poll_id)) == 3

    await deliver_all(dispatcher, inboxes)
    results = {user.external_id: last_reply(inboxes, user) for user in (ana, benoit, carla)}
    assert "Labour rights: 1 (33%)" in inboxes.received["Ana"][-1]
    assert "Climat : 2 (67 %)" in inboxes.received["Benoit"][-1]
    assert "Clima: 2 (67 %)" in inboxes.received["Carla"][-1]
    assert "Personnes ayant répondu : 3" in inboxes.received["Benoit"][-1]
    for reply in results.values():
        (image,) = reply.images
        assert image.png.startswith(b"\x89PNG")
    # One chart per language, shared by its readers; another for each other language.
    assert results["Ana"].images[0].png != results["Benoit"].images[0].png
    assert any("Poll result" in text for text in inboxes.received["Olga"])
    assert any("Poll result" in text for text in inboxes.received["Mona"])
    assert "Gus" not in inboxes.received

    # Closed once: the routine again, nothing more.
    before = sum(len(texts) for texts in inboxes.received.values())
    await deliver_all(dispatcher, inboxes)
    async with sessions() as db:
        assert await polls.close_due(db, clock.now()) == []
        results_queued = select(func.count()).where(OutboxMessage.kind == "poll_closed")
        assert (await db.execute(results_queued)).scalar_one() == 5
    assert sum(len(texts) for texts in inboxes.received.values()) == before

    # The export, as an organiser runs it: counts only.
    env = {**environment(tmp_path / "unused.sqlite3"), "COORDBOT_DATABASE_URL": database_url}
    code, _out, err = await run(env, "floor", "export", "--folder", str(tmp_path), "--lang", "fr")
    assert code == 0, err
    with (tmp_path / "polls.csv").open(encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table))
    assert [(r["session"], r["choice"], r["count"], r["share"]) for r in rows] == [
        ("d1-opening", "Droits du travail", "1", "0.3333"),
        ("d1-opening", "Climat", "2", "0.6667"),
        ("d1-opening", "Enfants", "0", "0.0000"),
    ]
    summary = (tmp_path / "polls.md").read_text(encoding="utf-8")
    assert "Quelle priorité d’abord ?" in summary and "| Climat | 2 | 67\xa0% |" in summary
    assert "Ana" not in summary and "Ana" not in (tmp_path / "polls.csv").read_text()


async def test_multiple_choice_in_english_only_and_closed_early(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock, sessions: SessionFactory
) -> None:
    mona = await moderator_of(dispatcher, demo_event, "Mona", "d1-opening")
    benoit = await registered(dispatcher, demo_event.id, "Benoit", language="fr")
    ana = await registered(dispatcher, demo_event.id, "Ana")
    launched = await mona.send("/poll multi\nen: Which topics? | Work | Climate | Health")
    assert "closes at 8:12" in launched  # two minutes by default
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    question = last_reply(inboxes, benoit)
    assert "Which topics?" in inboxes.received["Benoit"][-1]
    assert "pas disponible dans votre langue" in inboxes.received["Benoit"][-1]

    assert "au moins une réponse" in await benoit.press_unseen(button(question, "Terminé"))
    await benoit.press_unseen(button(question, "Work"))
    await benoit.press_unseen(button(question, "Health"))
    await benoit.press_unseen(button(question, "Climate"))
    await benoit.press_unseen(button(question, "Climate"))  # ticked off again
    assert [c.label for c in benoit.choices][:3] == ["☑️ Work", "⬜ Climate", "☑️ Health"]
    done = await benoit.press_unseen(button(question, "Terminé"))
    assert "Vos réponses sont enregistrées : Work et Health" in done
    await ana.press_unseen(button(last_reply(inboxes, ana), "Health"))

    assert "The poll is closed" in await mona.send("/poll close")
    assert "No poll is open" in await mona.send("/poll close")
    assert "closed" in await ana.press_unseen(button(last_reply(inboxes, ana), "Work"))
    await deliver_all(dispatcher, inboxes)
    result = inboxes.received["Benoit"][-1]
    # Two people answered; Health was chosen by both.
    assert "Personnes ayant répondu : 2" in result and "Health : 2 (100 %)" in result
    assert "Work : 1 (50 %)" in result
    assert inboxes.replies["Benoit"][-1].images[0].png.startswith(b"\x89PNG")


async def test_bad_polls_get_a_short_answer_saying_what_to_fix(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    bad = {
        "/poll\nen: Alone? | Yes": "at least 2 choices",
        "/poll\nen: Too many? | 1 | 2 | 3 | 4 | 5 | 6 | 7": "at most 6 choices",
        "/poll\nen: Which? | A | B\nfr: Laquelle ? | A": "same number of choices",
        "/poll\nen:  | A | B": "Write the question first",
        "/poll\nfr: Laquelle ? | A | B": "in English at least",
        "/poll\nen: Which? | A | | B": "One of the choices is empty",
        "/poll 2h\nen: Which? | A | B": "between 30 seconds and 1 hour",
        "/poll d2-opening\nen: Which? | A | B": "No session d2-opening is open",
    }
    for text, answer in bad.items():
        assert answer in await olga.send(text), text
    assert "Launch a poll" in await olga.send("/poll")
    assert await poll_ids(sessions) == []
    french = await registered(dispatcher, demo_event.id, "Odile", Role.ORGANISER, language="fr")
    assert "au moins 2 choix" in await french.send("/sondage\nen: Seul ? | Oui")
    # A second poll waits for the first to close, which its launch message's button does.
    assert "Poll launched" in await olga.send("/poll\nen: Which? | A | B")
    close_now = button(olga.last[0], "Close now")
    assert "A poll is open in this session" in await olga.send("/poll\nen: Again? | A | B")
    assert "The poll is closed" in await olga.press_unseen(close_now)
    assert "closed already" in await olga.press_unseen(close_now)
    assert "Poll launched" in await olga.send("/poll\nen: Again? | A | B")


async def test_a_closed_poll_keeps_counts_only_and_forget_deletes_open_answers(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock, sessions: SessionFactory
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    ana = await registered(dispatcher, demo_event.id, "Ana")
    await olga.send("/poll 1m\nen: First? | A | B")
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    await ana.press_unseen(button(last_reply(inboxes, ana), "B"))
    clock.advance(timedelta(minutes=1))
    await deliver_all(dispatcher, inboxes)  # the first is closed
    await olga.send("/poll 1m\nen: Second? | C | D")
    await deliver_all(dispatcher, inboxes)
    await ana.press_unseen(button(last_reply(inboxes, ana), "C"))
    first, second = await poll_ids(sessions)
    # Closed, the first poll keeps its figures and no answer: nothing ties Ana to B.
    assert await answers_in(sessions, first) == []
    async with sessions() as db:
        figures = await polls.tally_of(db, first)
    assert figures is not None and (figures.counts, figures.respondents) == ([0, 1], 1)
    mine = await ana.send("/mydata")
    assert "First?" not in mine
    assert "Poll answer: Second? → C" in mine
    await ana.send("/forget")
    await ana.press("Yes")
    assert await answers_in(sessions, second) == []


async def test_two_routines_at_once_close_a_poll_once(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock, sessions: SessionFactory
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    await registered(dispatcher, demo_event.id, "Ana")
    await olga.send("/poll 1m\nen: Once? | A | B")
    clock.advance(timedelta(minutes=1))

    async def close() -> list[int]:
        async with sessions() as db:
            closed = await polls.close_due(db, clock.now())
            await db.commit()
            return closed

    first, second = await asyncio.gather(close(), close())
    assert sorted(first + second) == await poll_ids(sessions)
    async with sessions() as db:
        results_queued = select(func.count()).where(OutboxMessage.kind == "poll_closed")
        assert (await db.execute(results_queued)).scalar_one() == 2  # Olga and Ana, once each


async def test_a_poll_written_on_one_line_is_launched_like_one_on_several(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    """A terminal, or a chat app that sends on Enter, gives the whole poll on one line."""
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    answer = await olga.send(
        "/poll 2m en: First? | Yes | No fr: D’abord ? | Oui | Non es: ¿Primero? | Sí | No"
    )
    assert "Poll launched" in answer
    async with sessions() as db:
        [launched] = (await db.execute(select(Poll))).scalars()
    assert launched.question == {"en": "First?", "fr": "D’abord ?", "es": "¿Primero?"}
    assert [choice["fr"] for choice in launched.choices] == ["Oui", "Non"]
