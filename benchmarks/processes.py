"""One bot, one or two processes: a broadcast through `coordbot run` processes on one
PostgreSQL, against a fake Bot API that enforces Telegram's limits per bot across every
connection (30 messages a second, one a second per chat, 429 beyond; 409 to a competing
getUpdates). Reports the broadcast's rate with one and with two processes, 429s, 409s,
duplicates and losses. Target: the same ≈ 29 messages/s with two processes as with one, 0 × 429,
0 × 409, no duplicate, none lost.

    python -m benchmarks.processes [--recipients 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bot.db import upgrade
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_unreachable_reason,
)
from tests.support.demo import DEMO_FILE
from tests.support.fake_telegram import FakeTelegram
from tests.support.processes import run
from tests.support.several import (
    environment,
    holders,
    nothing_pending,
    queue_broadcast,
    sent_to,
    start_bot,
)
from tests.support.waiting import eventually

TEXT = "Buses at 8:45."


async def broadcast(count: int, people: int, logs: Path) -> str:
    fake = FakeTelegram(enforce_limits=True)
    await fake.start()
    url = create_postgres_database()
    bots = []
    try:
        await upgrade(url)
        env = environment(url, fake)
        assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
        bots = [await start_bot(env, logs / f"{count}-{n}.log") for n in range(count)]
        await eventually(lambda: len(holders(bots, "telegram")) == 1, 60, what="a holder")
        await queue_broadcast(url, people, TEXT, first_chat_id=10_000)
        calls = await fake.messages(
            lambda call: TEXT in str(call.params.get("text")), people, within=people / 10 + 120
        )
        await eventually(lambda: nothing_pending(url), 60, what="every message recorded")
        await asyncio.sleep(2)  # a duplicate sent late would come now
        arrivals = sorted(call.at for call in calls[:people])
        seconds = arrivals[-1] - arrivals[0]
        chats = sent_to(fake, TEXT)
        return (
            f"{count} process{'es' if count > 1 else ''}: {people:,} messages in {seconds:.1f} s "
            f"= {(people - 1) / seconds:.1f} msg/s; {fake.refused} × 429, {fake.conflicts} × 409, "
            f"{sum(chats.values()) - len(chats)} duplicates, {people - len(chats)} lost"
        )
    finally:
        for bot in bots:
            await bot.stop()
        drop_postgres_database(url)
        await fake.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=3_000)
    options = parser.parse_args()
    reason = postgres_unreachable_reason()
    if reason:
        print(f"process benchmarks skipped: {reason}")
        return
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as logs:
        for count in (1, 2):
            print(await broadcast(count, options.recipients, Path(logs)), flush=True)
    print(f"({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    asyncio.run(main())
