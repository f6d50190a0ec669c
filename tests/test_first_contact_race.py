"""A person's first two messages, handled at once by two processes, both create their chat
account: the one that loses the race must still remember that it handled its update, or a
redelivery of that update would be answered twice. Only PostgreSQL lets two writers race (SQLite
takes one writer at a time)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.chat import Incoming, Sender
from bot.clock import SimulatedClock
from bot.db import create_engine, session_factory
from bot.dispatcher import Dispatcher
from bot.models import ChatIdentity
from handlers import build_router
from tests.support.databases import empty_all_tables

pytestmark = pytest.mark.postgres

NEWCOMER = Sender("4242", "Ana", "es")


@pytest.fixture
async def postgres(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_url)
    try:
        yield engine
    finally:
        await empty_all_tables(engine)
        await engine.dispose()


async def _blocked_on_a_lock(engine: AsyncEngine, within: float = 10) -> None:
    """Wait until a backend waits for a row lock (our insert, behind the other account's)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    while loop.time() < deadline:
        async with engine.connect() as connection:
            if (await connection.execute(query)).scalar_one():
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the first-contact insert never waited for the other one")


async def test_the_loser_of_a_first_contact_race_still_handles_its_update_once(
    postgres: AsyncEngine,
) -> None:
    sessions = session_factory(postgres)
    now = datetime(2017, 12, 2, 14, 0, tzinfo=UTC)
    dispatcher = Dispatcher(build_router(), sessions, SimulatedClock(now))
    update = Incoming("telegram", "4242", NEWCOMER, "/help", "help", delivery_id="1001")

    async with sessions() as other_process:
        other_process.add(
            ChatIdentity(
                platform="telegram",
                external_id=NEWCOMER.external_id,
                reachable=True,
                created_at=now,
                last_seen_at=now,
            )
        )
        await other_process.flush()  # its account is written, not yet committed
        first = asyncio.create_task(dispatcher.handle(update))
        await _blocked_on_a_lock(postgres)
        await other_process.commit()
    replies = await first

    assert replies and "Lo que puedo hacer" in replies[0].text  # in her language
    assert await dispatcher.handle(update) == []  # the platform redelivers it: not again
