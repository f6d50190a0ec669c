"""How fast /agenda and /next answer with 100,000 participants and 1,000 sessions.

Runs each command through the real router and database, on SQLite and on PostgreSQL (when it
is reachable), and prints p50/p99 latency and the process's peak memory. `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from bot.chat import Incoming, Sender
from bot.clock import SimulatedClock
from bot.db import create_engine, session_factory, upgrade
from bot.dispatcher import Dispatcher
from bot.models import Audience, ChatIdentity, Event, Participant, Role, SessionKind
from bot.programme.load import load_programme
from bot.programme.spec import ProgrammeSpec, SessionSpec, VenueSpec
from handlers import build_router
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_unreachable_reason,
)

ZONE = ZoneInfo("America/Mexico_City")
FIRST_DAY = datetime(2017, 12, 2, 7, 0, tzinfo=ZONE)
DAYS = 10
ROLES = [Role.CIVIL_SOCIETY] * 7 + [Role.GOVERNMENT, Role.INTERNATIONAL, Role.FACILITATOR]


def programme(sessions: int) -> ProgrammeSpec:
    """`sessions` sessions over ten days, from 07:00 to 21:00, a third for civil society only."""
    per_day = sessions // DAYS
    items = []
    for number in range(sessions):
        day, slot = divmod(number, per_day)
        start = FIRST_DAY + timedelta(days=day, minutes=slot * (14 * 60 // per_day))
        items.append(
            SessionSpec(
                key=f"s{number}",
                title={
                    "en": f"Session {number}",
                    "fr": f"Séance {number}",
                    "es": f"Sesión {number}",
                },
                description={"en": "A session of the benchmark."},
                starts_at=start.astimezone(UTC),
                ends_at=(start + timedelta(minutes=45)).astimezone(UTC),
                venue=f"room-{number % 20}",
                kind=SessionKind.PLENARY,
                audience=Audience.CIVIL_SOCIETY if number % 3 == 0 else Audience.EVERYONE,
                interpretation=["en", "fr", "es"],
            )
        )
    return ProgrammeSpec(
        key="bench",
        name={"en": "Benchmark meeting"},
        timezone=ZONE.key,
        languages=["en", "fr", "es"],
        default_language="en",
        country=None,
        venues=[VenueSpec(f"room-{n}", f"Room {n}", None, "Somewhere 1", None) for n in range(20)],
        sessions=items,
        rounds=[],
        groups=[],
    )


async def populate(url: str, participants: int, sessions: int) -> None:
    await upgrade(url)
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with session_factory(engine)() as db:
        await load_programme(db, programme(sessions), now)
        event_id = (await db.execute(select(Event.id))).scalar_one()
        batch = 10_000
        for offset in range(0, participants, batch):
            people = [
                {
                    "id": offset + n + 1,
                    "event_id": event_id,
                    "name": f"Participant {offset + n}",
                    "email": f"p{offset + n}@example.org",
                    "role": ROLES[(offset + n) % len(ROLES)],
                    "language": ("en", "fr", "es")[(offset + n) % 3],
                    "reminder_minutes": 15,
                    "created_at": now,
                }
                for n in range(batch)
            ]
            await db.execute(insert(Participant), people)
            await db.execute(
                insert(ChatIdentity),
                [
                    {
                        "platform": "bench",
                        "external_id": str(person["id"]),
                        "participant_id": person["id"],
                        "reachable": True,
                        "created_at": now,
                        "last_seen_at": now,
                    }
                    for person in people
                ],
            )
        await db.commit()
    await engine.dispose()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(url: str, participants: int, requests: int) -> dict[str, list[float]]:
    engine = create_engine(url, pool_size=5)
    clock = SimulatedClock(FIRST_DAY + timedelta(days=1, hours=3), running=False)
    dispatcher = Dispatcher(build_router(), session_factory(engine), clock)
    rng = random.Random(7)
    timings: dict[str, list[float]] = {"/agenda": [], "/next": []}
    for _warm_up in range(50):
        sender = Sender(str(rng.randint(1, participants)))
        await dispatcher.handle(Incoming("bench", sender.external_id, sender, command="agenda"))
    for number in range(requests):
        command = ("agenda", "next")[number % 2]
        sender = Sender(str(rng.randint(1, participants)))
        args: tuple[str, ...] = (f"day {rng.randint(1, DAYS)}",) if command == "agenda" else ()
        incoming = Incoming(
            "bench", sender.external_id, sender, command=command, args=tuple(" ".join(args).split())
        )
        started = time.perf_counter()
        replies = await dispatcher.handle(incoming)
        timings[f"/{command}"].append((time.perf_counter() - started) * 1000)
        assert replies and "wrong" not in replies[0].text, replies
        clock.advance(timedelta(seconds=7))
    await engine.dispose()
    return timings


def report(backend: str, timings: dict[str, list[float]]) -> None:
    for command, values in timings.items():
        print(
            f"{backend:<11} {command:<8} n={len(values):<6} p50={statistics.median(values):6.2f} ms"
            f"  p99={percentile(values, 0.99):6.2f} ms  max={max(values):6.2f} ms"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=2_000)
    options = parser.parse_args()
    print(
        f"{options.participants:,} participants, {options.sessions:,} sessions over {DAYS} days, "
        f"{options.requests:,} requests (half /agenda day N, half /next)"
    )
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        started = time.perf_counter()
        await populate(url, options.participants, options.sessions)
        print(f"sqlite      populated in {time.perf_counter() - started:.1f} s")
        report("sqlite", await measure(url, options.participants, options.requests))
    reason = postgres_unreachable_reason()
    if reason:
        print(f"postgresql  skipped: {reason}")
    else:
        url = create_postgres_database()
        try:
            started = time.perf_counter()
            await populate(url, options.participants, options.sessions)
            print(f"postgresql  populated in {time.perf_counter() - started:.1f} s")
            report("postgresql", await measure(url, options.participants, options.requests))
        finally:
            drop_postgres_database(url)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS) {peak:.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
