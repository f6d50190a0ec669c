"""WhatsApp at scale, against the strict fake Cloud API (tests/support/fake_whatsapp.py: 80
messages a second per number, 130429 beyond; 131047 for free-form outside the 24-hour window;
131056 past the pair rate limit), with the adapter and the delivery worker in one process on
PostgreSQL:

  (a) a broadcast to N WhatsApp readers, half of whom wrote within the last 24 hours (sent
      free-form), half not (sent as the approved template): rate, refusals, losses, duplicates;
  (b) M people who write `/agenda` at once, each a signed webhook: answers a second, and the
      time from a message to its first answer (p50, p99).

Targets: at least 95 % of the number's 80 messages a second; no refusal, no loss, no duplicate.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from benchmarks.delivery import broadcast, demo_programme
from bot.clock import SystemClock
from bot.db import create_engine, session_factory
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.platforms.whatsapp_settings import TEMPLATES_FILE
from bot.platforms.whatsapp_templates import load
from handlers import build_notices, build_router
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_unreachable_reason,
)
from tests.support.fake_whatsapp import FakeWhatsApp, serving_whatsapp
from tests.support.population import add_telegram_participants

FIRST_NUMBER = 5_215_500_000_000
RATE = 80


async def prepare(url: str, readers: int) -> list[str]:
    """The programme, and `readers` participants on WhatsApp: the first half wrote an hour
    ago, the others two days ago. Their WhatsApp ids, in that order."""
    event = await demo_programme(url)
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with session_factory(engine)() as db:
        recent = await add_telegram_participants(
            db,
            event.id,
            readers // 2,
            platform="whatsapp",
            first_chat_id=FIRST_NUMBER,
            seen_at=now - timedelta(hours=1),
        )
        older = await add_telegram_participants(
            db,
            event.id,
            readers - readers // 2,
            platform="whatsapp",
            first_chat_id=FIRST_NUMBER,
            seen_at=now - timedelta(days=2),
        )
        await db.commit()
    await engine.dispose()
    return [str(FIRST_NUMBER + pid) for pid in recent + older]


async def run_broadcast(url: str, readers: int) -> dict[str, float]:
    numbers = await prepare(url, readers)
    author = await broadcast(url, "Buses at 8:45.")
    expected = [n for n in numbers if n != str(FIRST_NUMBER + author)]
    engine = create_engine(url)
    clock = SystemClock()
    dispatcher = Dispatcher(build_router(), session_factory(engine), clock)
    fake = FakeWhatsApp(templates=load(TEMPLATES_FILE), rate=RATE)
    await fake.start()
    for number in numbers[: readers // 2]:
        fake.wrote(number)
    stopping = asyncio.Event()
    try:
        async with serving_whatsapp(fake, dispatcher) as adapter:
            worker = DeliveryWorker(
                dispatcher.sessions, clock, build_notices(), {"whatsapp": adapter}
            )
            started = time.monotonic()
            running = asyncio.create_task(worker.run(stopping))
            sent = await fake.wait_sent(count=len(expected), within=readers / RATE * 3 + 30)
            elapsed = time.monotonic() - started
            stopping.set()
            await running
    finally:
        await fake.stop()
        await engine.dispose()
    per_person = Counter(s.to for s in sent)
    spread = (max(s.at for s in sent) - min(s.at for s in sent)).total_seconds()
    return {
        "sent": len(sent),
        "templates": sum(1 for s in sent if s.type == "template"),
        "lost": len(set(expected) - set(per_person)),
        "duplicates": sum(count - 1 for count in per_person.values()),
        "refused": len(fake.refused),
        "elapsed": elapsed,
        "rate": (len(sent) - 1) / spread if spread else 0.0,
    }


async def run_intake(url: str, people: int) -> dict[str, float]:
    await demo_programme(url)
    engine = create_engine(url)
    dispatcher = Dispatcher(build_router(), session_factory(engine), SystemClock())
    fake = FakeWhatsApp(templates=load(TEMPLATES_FILE), rate=RATE, auto_statuses=False)
    await fake.start()
    numbers = [str(FIRST_NUMBER + 900_000 + n) for n in range(people)]
    try:
        async with serving_whatsapp(fake, dispatcher):
            posted: dict[str, datetime] = {}

            async def write(number: str) -> None:
                posted[number] = datetime.now(UTC)
                await fake.send_text(number, "/agenda")

            started = time.monotonic()
            await asyncio.gather(*(write(number) for number in numbers))
            stored = time.monotonic() - started
            await fake.wait_answered(numbers, within=people / RATE * 3 + 30)
            elapsed = time.monotonic() - started
    finally:
        await fake.stop()
        await engine.dispose()
    first: dict[str, datetime] = {}
    for sent in fake.accepted:
        first.setdefault(sent.to, sent.at)
    waits = sorted((first[n] - posted[n]).total_seconds() for n in numbers)
    return {
        "answered": len(first),
        "messages": len(fake.accepted),
        "refused": len(fake.refused),
        "stored": stored,
        "elapsed": elapsed,
        "p50": statistics.median(waits),
        "p99": waits[int(len(waits) * 0.99) - 1],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readers", type=int, default=4000)
    parser.add_argument("--writers", type=int, default=1000)
    args = parser.parse_args()
    reason = postgres_unreachable_reason()
    if reason:
        raise SystemExit(f"PostgreSQL is needed: {reason}")
    for name in ("broadcast", "intake"):
        url = create_postgres_database()
        try:
            if name == "broadcast":
                figures = await run_broadcast(url, args.readers)
            else:
                figures = await run_intake(url, args.writers)
        finally:
            drop_postgres_database(url)
        shown = ", ".join(
            f"{key} {value:.2f}" if isinstance(value, float) else f"{key} {value}"
            for key, value in figures.items()
        )
        print(f"WhatsApp {name}: {shown}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
