"""A message that has left is recorded as sent even when the database is busy or its
connections drop at that moment: it is never claimed again and sent twice."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bot.chat import Reply
from bot.clock import SimulatedClock
from bot.dispatcher import Dispatcher
from bot.models import Event, OutboxStatus
from tests.support.waiting import logged
from tests.test_delivery import Flaky, _queue, _rows, _worker

RETRYING = "recording outbox message"


class Hostile(Flaky):
    """Sends, then lets `after_send` spoil the database before the worker records it."""

    def __init__(self, after_send: Callable[[], None]) -> None:
        super().__init__()
        self.after_send = after_send

    async def deliver(self, external_id: str, reply: Reply) -> None:
        await super().deliver(external_id, reply)
        await asyncio.to_thread(self.after_send)


class Spoiler:
    """What spoils the database just after a send: on SQLite, another program holding the
    file's write lock past the busy timeout ("database is locked") until the worker says it
    will try again; on PostgreSQL, every connection of the bot cut, as a restart or a failover
    does."""

    def __init__(self, database_url: str) -> None:
        self.url = make_url(database_url)
        self.other: sqlite3.Connection | None = None

    def spoil(self) -> None:
        if self.url.get_backend_name() == "sqlite":
            self.other = sqlite3.connect(self.url.database or "", check_same_thread=False)
            self.other.isolation_level = None
            self.other.execute("BEGIN IMMEDIATE")
            return
        with psycopg.connect(
            host=self.url.host,
            port=self.url.port,
            user=self.url.username,
            dbname=self.url.database,
            autocommit=True,
        ) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

    def release(self) -> None:
        if self.other is not None:
            self.other.execute("ROLLBACK")
            self.other.close()


async def test_a_sent_message_is_recorded_once_though_the_database_fails_just_then(
    dispatcher: Dispatcher,
    demo_event: Event,
    clock: SimulatedClock,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _queue(dispatcher, demo_event, clock)
    spoiler = Spoiler(database_url)
    hostile = Hostile(spoiler.spoil)
    caplog.set_level(logging.WARNING, logger="bot.delivery.worker")
    delivering = asyncio.create_task(_worker(dispatcher, hostile).deliver_due())
    try:
        await logged(caplog, RETRYING, within=30)  # the first record failed: it tries again
    finally:
        spoiler.release()
    assert await delivering == 1

    [row] = await _rows(dispatcher)
    assert row.status == OutboxStatus.DELIVERED and row.attempts == 1
    assert len(hostile.sent) == 1
