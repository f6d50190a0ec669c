"""Several `coordbot run` processes on one PostgreSQL: they share the outbox without sending
anything twice, and exactly one holds the scheduler role, which another takes over when it dies.
Real processes, a real PostgreSQL database, the fake Bot API."""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db import upgrade
from tests.support.demo import DEMO_FILE
from tests.support.fake_telegram import FakeTelegram
from tests.support.processes import run
from tests.support.several import (
    Bot,
    environment,
    holders,
    nothing_pending,
    queue_broadcast,
    sent_to,
    start_bot,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.postgres
PEOPLE = 120


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


async def test_two_processes_share_a_broadcast_and_one_scheduler(
    database: str,
    fake_telegram: FakeTelegram,
    processes: list[Bot],
) -> None:
    await fake_telegram.wait_for("getMe", 2, within=60)
    await eventually(lambda: len(holders(processes, "scheduler")) == 1, 30, what="one scheduler")
    [leader] = holders(processes, "scheduler")

    await queue_broadcast(database, PEOPLE, "Buses at 8:45.", first_chat_id=10_000)
    received = await fake_telegram.messages(
        lambda call: call.method == "sendMessage" and "Buses" in str(call.params.get("text")),
        PEOPLE,
        within=60,
    )
    await eventually(lambda: nothing_pending(database), 30, what="every message recorded")
    chats = sent_to(fake_telegram, "Buses")
    assert len(chats) == PEOPLE and max(chats.values()) == 1
    assert len(received) == PEOPLE
    senders = Counter("worker" for bot in processes if "delivering" not in bot.text())
    assert senders  # both processes ran without delivery errors

    processes[leader].process.send_signal(signal.SIGKILL)
    await processes[leader].process.wait()
    follower = 1 - leader
    await eventually(
        lambda: follower in holders(processes, "scheduler"), 15, what="the follower takes over"
    )
    assert follower in holders(processes, "scheduler"), processes[follower].text()

    # A duplicate sent late would have come by the time both processes are gone.
    await processes[follower].stop()
    assert sent_to(fake_telegram, "Buses") == chats
