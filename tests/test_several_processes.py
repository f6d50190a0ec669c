"""Several `coordbot run` processes on one PostgreSQL: they share the outbox without sending
anything twice, and exactly one holds the scheduler role, which another takes over when it dies.
Real processes, a real PostgreSQL database, the fake Bot API."""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import broadcasts
from bot.db import create_engine, session_factory, upgrade
from bot.models import Event, OutboxMessage, OutboxStatus, Participant
from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.demo import DEMO_FILE
from tests.support.fake_telegram import FakeTelegram
from tests.support.population import add_telegram_participants
from tests.support.processes import run
from tests.support.several import Bot, environment, start_bot
from tests.support.waiting import eventually

pytestmark = pytest.mark.postgres
PEOPLE = 120


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


async def _people(url: str) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as db:
            event = (await db.execute(select(Event))).scalar_one()
            await add_telegram_participants(db, event.id, PEOPLE, first_chat_id=10_000)
            await db.commit()
    finally:
        await engine.dispose()


async def _broadcast(url: str) -> None:
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with session_factory(engine)() as db:
            event = (await db.execute(select(Event))).scalar_one()
            author = (await db.execute(select(Participant).limit(1))).scalar_one()
            draft = await broadcasts.draft(
                db,
                event,
                author,
                broadcasts.Audience("everyone"),
                {"en": "Buses at 8:45."},
                now,
                now,
            )
            assert await broadcasts.confirm(db, draft, now) == PEOPLE
            await db.commit()
    finally:
        await engine.dispose()


@pytest.fixture
async def processes(
    database: str, fake_telegram: FakeTelegram, tmp_path: Path
) -> AsyncIterator[list[Bot]]:
    await upgrade(database)
    env = environment(database, fake_telegram)
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    started = [await start_bot(env, tmp_path / f"bot-{number}.log") for number in range(2)]
    yield started
    for bot in started:
        await bot.stop()


def _holders(bots: list[Bot]) -> list[int]:
    return [n for n, bot in enumerate(bots) if "holds the scheduler role" in bot.text()]


async def _nothing_pending(url: str) -> bool:
    """No outbox row is left to send: every one the processes claimed is recorded as sent."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as db:
            pending = select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
            return (await db.execute(pending.limit(1))).first() is None
    finally:
        await engine.dispose()


def _buses_sent(fake_telegram: FakeTelegram) -> Counter[str]:
    """How many times each chat was sent the broadcast."""
    return Counter(
        str(call.params["chat_id"])
        for call in fake_telegram.calls
        if call.method == "sendMessage" and "Buses" in str(call.params.get("text"))
    )


async def test_two_processes_share_a_broadcast_and_one_scheduler(
    database: str,
    fake_telegram: FakeTelegram,
    processes: list[Bot],
) -> None:
    await fake_telegram.wait_for("getMe", 2, within=60)
    await eventually(lambda: len(_holders(processes)) == 1, 30, what="one scheduler")
    [leader] = _holders(processes)

    await _people(database)
    await _broadcast(database)
    received = await fake_telegram.messages(
        lambda call: call.method == "sendMessage" and "Buses" in str(call.params.get("text")),
        PEOPLE,
        within=60,
    )
    await eventually(lambda: _nothing_pending(database), 30, what="every message recorded")
    chats = _buses_sent(fake_telegram)
    assert len(chats) == PEOPLE and max(chats.values()) == 1
    assert len(received) == PEOPLE
    senders = Counter("worker" for bot in processes if "delivering" not in bot.text())
    assert senders  # both processes ran without delivery errors

    processes[leader].process.send_signal(signal.SIGKILL)
    await processes[leader].process.wait()
    follower = 1 - leader
    await eventually(lambda: follower in _holders(processes), 15, what="the follower takes over")
    assert follower in _holders(processes), processes[follower].text()

    # A duplicate sent late would have come by the time both processes are gone.
    await processes[follower].stop()
    assert _buses_sent(fake_telegram) == chats
