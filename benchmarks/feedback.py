"""Feedback per session at scale: the routine that asks 10,000 participants after the demo's
opening and regional panel (20,000 requests and notices), then the same routine with nothing
left to do (what it costs every quarter of a minute for two hours), and /results with every
rating given. On SQLite and on PostgreSQL (when it is reachable).

    python -m benchmarks.feedback [--people 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from bot.chat import Incoming, Sender
from bot.clock import SimulatedClock
from bot.db import create_engine, session_factory, upgrade
from bot.dispatcher import Dispatcher
from bot.floor import feedback
from bot.models import Event, FeedbackAnswer, FeedbackRequest, OutboxMessage, Role, Session
from bot.paths import EVENTS
from bot.programme.check import check_file
from bot.programme.load import load_programme
from handlers import build_router
from tests.support.chat import ChatUser, link_to_new_participant
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_unreachable_reason,
)
from tests.support.population import add_telegram_participants

ZONE = ZoneInfo("America/Mexico_City")
COFFEE_BREAK = datetime(2017, 12, 2, 11, 0, tzinfo=ZONE)


async def measure(url: str, people: int) -> dict[str, float]:
    await upgrade(url)
    spec, problems = check_file(EVENTS / "puerto-vallarta-2017.yaml")
    assert spec is not None, problems
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as db:
        await load_programme(db, spec, datetime.now(UTC))
        event = (await db.execute(select(Event))).scalar_one()
        await add_telegram_participants(db, event.id, people * 9 // 10)
        await add_telegram_participants(
            db, event.id, people // 10, role=Role.GOVERNMENT, first_chat_id=50_000_000
        )
        await db.commit()
    if engine.dialect.name == "postgresql":  # as autovacuum does after an import
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
    figures: dict[str, float] = {}
    async with sessions() as db:
        started = time.perf_counter()
        asked = await feedback.queue_due(db, COFFEE_BREAK)
        await db.commit()
        figures["first pass (s)"] = time.perf_counter() - started
    assert asked == 2 * (people * 9 // 10), asked
    idle = []
    for _round in range(20):
        async with sessions() as db:
            started = time.perf_counter()
            assert await feedback.queue_due(db, COFFEE_BREAK) == 0
            await db.commit()
            idle.append(time.perf_counter() - started)
    figures["idle pass p50 (ms)"] = statistics.median(idle) * 1000
    async with sessions() as db:
        queued = await db.scalar(select(func.count()).where(OutboxMessage.key.like("feedback:%")))
        assert queued == asked, queued
        opening = (
            await db.execute(select(Session).where(Session.key == "d1-opening"))
        ).scalar_one()
        await db.execute(
            insert(FeedbackAnswer),
            [
                {"session_id": opening.id, "rating": 1 + n % 5, "comment": None}
                for n in range(people)
            ],
        )
        figures["requests"] = float(await db.scalar(select(func.count(FeedbackRequest.id))) or 0)
        await db.commit()
    clock = SimulatedClock(COFFEE_BREAK)
    dispatcher = Dispatcher(build_router(), sessions, clock)
    user_id = "organiser"
    organiser = ChatUser(dispatcher, external_id=user_id)
    await link_to_new_participant(organiser, Role.ORGANISER, event.id, name="Olga")
    incoming = Incoming("test", user_id, Sender(user_id, "Olga"), "/results", "results")
    took = []
    for _round in range(10):
        started = time.perf_counter()
        replies = await dispatcher.handle(incoming)
        took.append(time.perf_counter() - started)
    assert any("Feedback per session" in reply.text for reply in replies)
    figures["/results p50 (ms)"] = statistics.median(took) * 1000
    await engine.dispose()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    people = parser.parse_args().people
    with tempfile.TemporaryDirectory() as folder:
        sqlite = await measure(f"sqlite:///{folder}/feedback.sqlite3", people)
    print(f"feedback, {people} participants, SQLite: {sqlite}")
    if postgres_unreachable_reason() is None:
        url = create_postgres_database()
        try:
            postgres = await measure(url, people)
        finally:
            drop_postgres_database(url)
        print(f"feedback, {people} participants, PostgreSQL: {postgres}")


if __name__ == "__main__":
    asyncio.run(main())
