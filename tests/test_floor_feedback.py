"""Feedback per session on the demo programme: the question reaches a session's participants at
a good moment (after the sessions that follow without a break, per audience), once, in their
language; ratings and comments are kept tied to nobody, a second or forged press records
nothing; organisers read them in /results and in the export; /mydata and /forget know the
requests."""

from __future__ import annotations

import asyncio
import csv
import itertools
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from bot.chat import Incoming, Reply
from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.floor import feedback
from bot.models import (
    Audience,
    Event,
    FeedbackAnswer,
    FeedbackRequest,
    OutboxMessage,
    Role,
    Session,
    SessionKind,
)
from bot.people.access import audiences_for
from handlers import build_router
from handlers.floor_feedback import FORM, FeedbackButton
from tests.support.chat import ChatUser, registered
from tests.support.demo import MEETING_ZONE
from tests.support.factories import make_session
from tests.support.outbox import Inboxes, deliver_all
from tests.support.processes import environment, run
from tests.support.translator import FakeTranslator

CIVIL = audiences_for(Role.CIVIL_SOCIETY)
GOVERNMENT = audiences_for(Role.GOVERNMENT)
COMMENT_FR = "Merci, le panel était clair mais trop court."
COMMENT_ES = "Gracias, el grupo de la mañana fue muy útil."


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2017, 12, day, hour, minute, tzinfo=MEETING_ZONE)


async def programme(sessions: SessionFactory, event: Event) -> dict[str, Session]:
    async with sessions() as db:
        found = await db.execute(select(Session).where(Session.event_id == event.id))
        return {session.key: session for session in found.scalars()}


def questions(inboxes: Inboxes, user: ChatUser) -> list[Reply]:
    """The feedback questions `user` received (other notices, reminders say, left out)."""
    return [
        reply
        for reply in inboxes.replies[user.external_id]
        if any(c.data.startswith("feedback:") for row in reply.choices for c in row)
    ]


def session_of(reply: Reply) -> int:
    return FeedbackButton.unpack(reply.choices[0][0].data).session_id


async def count(
    sessions: SessionFactory, table: type[FeedbackRequest] | type[FeedbackAnswer]
) -> int:
    async with sessions() as db:
        return int((await db.execute(select(func.count()).select_from(table))).scalar_one())


async def test_the_moment_waits_for_the_sessions_that_follow_without_a_break(
    sessions: SessionFactory, demo_event: Event
) -> None:
    demo = await programme(sessions, demo_event)
    every = list(demo.values())

    def at(key: str, audiences: tuple[Audience, ...] = CIVIL) -> datetime:
        return feedback.moment(demo[key], every, audiences, MEETING_ZONE)

    # Followed directly by the regional panel: asked after it, when the coffee break starts.
    assert at("d1-opening") == local(2, 11, 0) == demo["d1-panel-regional"].over_at
    # Followed by a break: asked at its end.
    assert at("d1-panel-regional") == local(2, 11, 0)
    # The keynote follows, then lunch.
    assert at("d1-panel-global") == local(2, 12, 50)
    # Day 2: everyone sits at the small tables after the opening, governments too.
    assert at("d2-opening") == at("d2-opening", GOVERNMENT) == local(3, 12, 30)
    assert at("d2-mobilizing-plenary-2") == local(3, 17, 30)


async def test_who_may_attend_what_follows_decides_the_moment(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    """A session for everyone followed, after a short walk, by one for civil society only:
    governments are asked when the first ends, civil society after the second; a long break,
    then another session, changes nothing; nothing runs past the day."""
    async with sessions() as db:
        first = await make_session(db, demo_event.id, local(7, 9), audience=Audience.EVERYONE)
        civil = await make_session(
            db,
            demo_event.id,
            local(7, 10, 5),
            length=timedelta(minutes=55),
            audience=Audience.CIVIL_SOCIETY,
        )
        await make_session(
            db, demo_event.id, local(7, 11), kind=SessionKind.BREAK, length=timedelta(minutes=30)
        )
        await make_session(db, demo_event.id, local(7, 11, 30), audience=Audience.EVERYONE)
        late = await make_session(db, demo_event.id, local(7, 23, 30), audience=Audience.EVERYONE)
        await make_session(db, demo_event.id, local(8, 0), audience=Audience.EVERYONE)
        await db.commit()
    every = list((await programme(sessions, demo_event)).values())
    assert feedback.moment(first, every, GOVERNMENT, MEETING_ZONE) == local(7, 10)
    assert feedback.moment(first, every, CIVIL, MEETING_ZONE) == local(7, 11)
    assert civil.over_at == local(7, 11)
    # The next day's programme is not waited for, even when it overlaps: asked at its end.
    assert feedback.moment(late, every, CIVIL, MEETING_ZONE) == local(8, 0, 30)
    by_moment = feedback.moments(first, every, MEETING_ZONE)
    assert (Role.GOVERNMENT, False) in by_moment[local(7, 10)]
    assert (Role.CIVIL_SOCIETY, False) in by_moment[local(7, 11)]
    assert (Role.ORGANISER, True) in by_moment[local(7, 11)]


async def test_participants_rate_comment_and_organisers_read_it(
    sessions: SessionFactory,
    clock: SimulatedClock,
    demo_event: Event,
    database_url: str,
    tmp_path: Path,
) -> None:
    translator = FakeTranslator()
    dispatcher = Dispatcher(build_router(), sessions, clock, translation_provider=translator.name)
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER, language="en")
    ana = await registered(dispatcher, demo_event.id, "Ana", language="es")
    bruno = await registered(dispatcher, demo_event.id, "Bruno", language="fr")
    cleo = await registered(dispatcher, demo_event.id, "Cleo", language="en")
    gael = await registered(dispatcher, demo_event.id, "Gael", Role.GOVERNMENT, language="en")
    demo = await programme(sessions, demo_event)
    opening, regional = demo["d1-opening"], demo["d1-panel-regional"]
    inboxes = Inboxes()

    # During the opening, and after it while the regional panel goes on: no question.
    for instant in (local(2, 9, 0), local(2, 10, 59)):
        clock.set(instant)
        await deliver_all(dispatcher, inboxes, translator=translator)
        assert not any(questions(inboxes, user) for user in (olga, ana, bruno, cleo, gael))

    # The coffee break: two processes run the routine at once, then again: each person is
    # asked about each session once.
    clock.set(local(2, 11, 0))

    async def routine() -> int:
        async with sessions() as db:
            queued = await feedback.queue_due(db, clock.now())
            await db.commit()
            return queued

    assert sum(await asyncio.gather(routine(), routine())) == 8  # 4 people, 2 sessions
    assert list(await asyncio.gather(routine(), routine())) == [0, 0]
    await deliver_all(dispatcher, inboxes, translator=translator)
    assert await deliver_all(dispatcher, inboxes, translator=translator) == 0
    assert await count(sessions, FeedbackRequest) == 8
    async with sessions() as db:
        keys = (
            await db.execute(select(OutboxMessage.key).where(OutboxMessage.key.like("feedback:%")))
        ).scalars()
        assert len(list(keys)) == 8

    # Both sessions are asked about, each once, in the reader's language.
    for user in (olga, ana, bruno, cleo):
        assert sorted(map(session_of, questions(inboxes, user))) == sorted(
            [opening.id, regional.id]
        )
    assert questions(inboxes, gael) == []  # a civil-society-only session
    asked_of_ana = next(q for q in questions(inboxes, ana) if session_of(q) == opening.id)
    assert "¿Cómo fue la sesión" in asked_of_ana.text
    assert "5 · excelente" in [c.label for row in asked_of_ana.choices for c in row]
    asked_of_bruno = next(q for q in questions(inboxes, bruno) if session_of(q) == opening.id)
    assert "Comment s’est passée la séance" in asked_of_bruno.text

    assert len(questions(inboxes, ana)) == 2

    # Ratings: one each; a second press, and a forged press, record nothing.
    rate = FeedbackButton(opening.id, 4).pack()
    ana.last = [asked_of_ana]
    thanks = await ana.press_data(rate)
    assert "¡Gracias!" in thanks and "4 · muy buena" in thanks and "30 minutos" in thanks
    # "Add a comment" opens a form on Slack (its text says how to write it elsewhere).
    await ana.press("💬")
    [form] = [reply.form for reply in ana.last if reply.form]
    assert form.id == FORM and "Bienvenida" in form.fields[0].label

    def submitted(user: ChatUser, comment: str) -> Incoming:
        return replace(user.incoming(), form=FORM, values=((form.fields[0].name, comment),))

    assert "se guardó, sin su nombre" in await ana.handle(submitted(ana, COMMENT_ES))
    assert "no session to comment on" in await gael.handle(submitted(gael, "Forged."))
    assert "Ya calificó" in await ana.press_unseen(FeedbackButton(opening.id, 1).pack())
    refused = await gael.press_unseen(FeedbackButton(opening.id, 5).pack())
    assert "nothing was recorded" in refused
    assert "no longer works" in await gael.press_unseen(f"feedback:{opening.id}:9")
    bruno.last = [asked_of_bruno]
    await bruno.press_data(FeedbackButton(opening.id, 2).pack())
    # Two presses at once (a double tap on a slow connection): one rating.
    five = FeedbackButton(opening.id, 5).pack()
    await asyncio.gather(cleo.press_unseen(five), cleo.press_unseen(five))
    assert await count(sessions, FeedbackAnswer) == 4  # three ratings, Ana's comment

    # Comments: the next message, or /comment; each kept apart from the rating.
    assert "plus long que ce que je peux garder" in await bruno.send("trop " * 500)
    assert "sans votre nom" in await bruno.send(COMMENT_FR)
    assert "without your name" in await cleo.send("/comment Thanks, the speakers were great.")
    assert "Write your comment after the command" in await cleo.send("/comment")
    assert "no session to comment on" in await olga.send("/comment Nothing rated yet.")
    clock.advance(feedback.COMMENT_WINDOW + timedelta(minutes=1))
    assert "I answer commands" in await cleo.send("A message long after the rating.")
    assert await count(sessions, FeedbackAnswer) == 6
    async with sessions() as db:
        columns = (await db.execute(text("SELECT * FROM feedback_answers LIMIT 1"))).keys()
        assert set(columns) == {"id", "session_id", "rating", "comment"}
        kept = (await db.execute(select(FeedbackAnswer))).scalars().all()
        # Random ids: nothing tells the order they came in (a rating, then its comment).
        ids = sorted(answer.id for answer in kept)
        assert all(later - earlier > 1 for earlier, later in itertools.pairwise(ids))
        assert {(a.rating, a.comment) for a in kept if a.comment} == {
            (None, COMMENT_FR),
            (None, COMMENT_ES),
            (None, "Thanks, the speakers were great."),
        }

    # Organisers read the figures, the comments in their language with the original.
    await deliver_all(dispatcher, inboxes, translator=translator)  # translates the comments
    results = await olga.send("/results")
    assert "Feedback per session" in results
    assert "Asked: 4 · ratings: 3 · comments: 3" in results
    assert "Mean: 3.7 out of 5" in results
    assert "5 · excellent: 1 (33%)" in results and "3 · good: 0 (0%)" in results
    assert f"“[en] {COMMENT_FR}” (original: “{COMMENT_FR}”)" in results
    assert f"“[en] {COMMENT_ES}” (original: “{COMMENT_ES}”)" in results
    assert "“Thanks, the speakers were great.”" in results
    assert "Only organisers" in await cleo.send("/results")

    # The export: the figures per session, and the comments translated with their original.
    env = {
        **environment(tmp_path / "unused.sqlite3"),
        "COORDBOT_DATABASE_URL": database_url,
    }
    code, _out, err = await run(env, "survey", "export", "--out", str(tmp_path), "--lang", "fr")
    assert code == 0, err
    with (tmp_path / "feedback.csv").open(encoding="utf-8", newline="") as table:
        rows = {row["session"]: row for row in csv.DictReader(table)}
    assert set(rows) == {"d1-opening", "d1-panel-regional"}
    assert rows["d1-opening"]["ratings"] == "3" and rows["d1-opening"]["mean"] == "3.67"
    assert [rows["d1-opening"][f"rating_{n}"] for n in "12345"] == ["0", "1", "0", "1", "1"]
    assert rows["d1-panel-regional"]["asked"] == "4" and rows["d1-panel-regional"]["ratings"] == "0"
    summary = (tmp_path / "feedback.md").read_text(encoding="utf-8")
    assert "Moyenne" in summary and f"> {COMMENT_FR}" in summary  # French, as written
    assert "> Thanks, the speakers were great." in summary  # no service: as written


async def test_mydata_lists_the_requests_and_forget_erases_them(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock, sessions: SessionFactory
) -> None:
    ana = await registered(dispatcher, demo_event.id, "Ana", language="en")
    demo = await programme(sessions, demo_event)
    clock.set(local(2, 11, 0))
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    ana.last = [q for q in questions(inboxes, ana) if session_of(q) == demo["d1-opening"].id]
    await ana.press_data(FeedbackButton(demo["d1-opening"].id, 3).pack())

    mine = await ana.send("/mydata")
    opening_title = demo["d1-opening"].title["en"]
    assert f"Feedback asked on: {opening_title} (answered)" in mine
    regional_title = demo["d1-panel-regional"].title["en"]
    assert f"Feedback asked on: {regional_title} (not answered)" in mine
    assert "3 ·" not in mine  # the answer is nobody's: not listed

    await ana.send("/forget")
    await ana.press("Yes")
    assert await count(sessions, FeedbackRequest) == 0
    assert await count(sessions, FeedbackAnswer) == 1  # the rating stays, tied to nobody


async def test_a_person_who_links_late_is_asked_only_what_is_still_fresh(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock, sessions: SessionFactory
) -> None:
    """Two hours after its moment, a session is no longer asked about: at 13:01 the opening
    (asked at 11:00) is stale, the global panel (asked at 12:50) is not."""
    demo = await programme(sessions, demo_event)
    clock.set(local(2, 13, 1))
    late = await registered(dispatcher, demo_event.id, "Late", language="en")
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    assert [session_of(q) for q in questions(inboxes, late)] == [demo["d1-panel-global"].id]
