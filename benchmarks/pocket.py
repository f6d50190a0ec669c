"""The meeting in one's pocket (issue 22) at the scale of a meeting of 10,000, on PostgreSQL,
with the demo programme and N participants (10,000 unless `--people` says otherwise):

  (a) feed: the calendar feed service (bot/app/calendar_feed.py) on a free port, every
      participant with a calendar token; F different feeds fetched over real HTTP by a client
      in another process, C at a time: feeds a second, p50/p99 latency, the bot process's peak
      memory; meanwhile `/agenda` through the Dispatcher, one after the other, against the same
      without the load. Targets: ≥ 100 feeds/s; /agenda p99 under load ≤ 3 × idle.
  (b) pack: `/pack` through the Dispatcher for P different people (p50/p99, peak memory); then
      every participant holds a pack, and a programme reload moves the plenary that concerns
      them all: the load's time (it queues the `pack_updated` notices), and the rate at which
      the real delivery worker renders R of them, sent to a sink deliverer that only counts.
      Target: ≥ 30 PDFs/s (10,000 new packs within the 5.5 min Telegram's 30 messages a
      second need to send them anyway).
  (c) digest: every participant in data-saver mode with 5 notices held for the digest (five
      broadcasts, held as the worker holds them); at the hour, the routine's time to queue
      all the digests and the worker's rate rendering them, to a sink deliverer.
  (d) purge: participants with chat accounts, a seat, check-ins on three days, outbox rows;
      `coordbot export` then `coordbot purge` as real processes: time and peak memory of each.
      Target: under a minute each.

`make bench` runs it; `python -m benchmarks.pocket --only pack` runs one scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import aiohttp
from sqlalchemy import Table, bindparam, func, insert, select, update

from benchmarks.delivery import demo_programme
from bot import broadcasts
from bot.app.calendar_feed import CalendarFeed, CalendarSettings
from bot.chat import Incoming, Reply, Sender
from bot.clock import SimulatedClock, SystemClock
from bot.db import create_engine, session_factory
from bot.delivery import digest, outbox
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.models import (
    ActTable,
    CheckIn,
    CheckInMethod,
    Event,
    MembershipStatus,
    OutboxMessage,
    OutboxStatus,
    Participant,
    SeatRole,
    TableMembership,
    TablePosition,
    TableRound,
)
from bot.paths import EVENTS
from bot.programme.check import check_file
from bot.programme.load import load_programme
from bot.programme.pack import PACK_BATCH, PACKS_PER_SECOND
from handlers import build_notices, build_router
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_unreachable_reason,
)
from tests.support.population import add_telegram_participants

FIRST_CHAT = 1_000_000  # add_telegram_participants' chat ids: FIRST_CHAT + participant id
MOVED = "d2-opening"  # the demo's plenary for everyone that the reload moves


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def populate(url: str, people: int) -> tuple[int, list[int]]:
    """The demo programme and `people` participants with a Telegram account; the event's id
    and theirs."""
    event = await demo_programme(url)
    engine = create_engine(url)
    async with session_factory(engine)() as db:
        ids = await add_telegram_participants(db, event.id, people)
        await db.commit()
    await engine.dispose()
    return event.id, ids


def ask(platform_id: int, command: str, *args: str) -> Incoming:
    chat = str(FIRST_CHAT + platform_id)
    return Incoming("telegram", chat, Sender(chat), command=command, args=args)


# (a) The calendar feed ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch_feeds(base: str, tokens: list[str], at_once: int) -> tuple[float, list[float], int]:
    """In another process (the phones are not the bot): each feed once, `at_once` at a time.
    The seconds it took, each request's latency (ms), and how many were not a calendar."""

    async def run() -> tuple[float, list[float], int]:
        latencies: list[float] = []
        failed = 0
        gate = asyncio.Semaphore(at_once)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=at_once)) as client:

            async def one(token: str) -> None:
                nonlocal failed
                async with gate:
                    started = time.perf_counter()
                    async with client.get(f"{base}/calendar/{token}.ics") as answer:
                        body = await answer.read()
                    latencies.append((time.perf_counter() - started) * 1000)
                    if answer.status != 200 or not body.startswith(b"BEGIN:VCALENDAR"):
                        failed += 1

            started = time.perf_counter()
            await asyncio.gather(*(one(token) for token in tokens))
            return time.perf_counter() - started, latencies, failed

    return asyncio.run(run())


async def agenda_latencies(
    dispatcher: Dispatcher, ids: list[int], until: Callable[[], bool]
) -> list[float]:
    """`/agenda` from one person after another until `until()` (20 at least): each in ms."""
    timings = []
    number = 0
    while not until() or number < 20:
        incoming = ask(ids[(number * 7919) % len(ids)], "agenda")
        started = time.perf_counter()
        await dispatcher.handle(incoming)
        timings.append((time.perf_counter() - started) * 1000)
        number += 1
        await asyncio.sleep(0.01)  # a person now and then, not a flood
    return timings


async def run_feed(url: str, people: int, feeds: int, at_once: int) -> None:
    _event_id, ids = await populate(url, people)
    engine = create_engine(url)
    tokens = {pid: secrets.token_urlsafe(24) for pid in ids}
    async with engine.begin() as connection:
        table = Participant.__table__
        assert isinstance(table, Table)
        await connection.execute(
            update(table)
            .where(table.c.id == bindparam("pid"))
            .values(calendar_token=bindparam("token")),
            [{"pid": pid, "token": token} for pid, token in tokens.items()],
        )
    port = free_port()
    service = CalendarFeed(CalendarSettings(public_url="https://bench.example", port=port), engine)
    await service.start()
    dispatcher = Dispatcher(build_router(), session_factory(engine), SystemClock())
    chosen = [tokens[ids[(n * 4099) % len(ids)]] for n in range(feeds)]
    try:
        count = 0

        def idle_done() -> bool:
            nonlocal count
            count += 1
            return count > 200

        idle = await agenda_latencies(dispatcher, ids, idle_done)
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(1) as phones:
            fetching = loop.run_in_executor(
                phones, fetch_feeds, f"http://127.0.0.1:{port}", chosen, at_once
            )
            loaded = await agenda_latencies(dispatcher, ids, fetching.done)
            seconds, latencies, failed = await fetching
    finally:
        await service.stop()
        await engine.dispose()
    print(
        f"(a) feed: {feeds:,} feeds of {people:,} participants, {at_once} at a time: "
        f"{feeds / seconds:.0f} feeds/s ({seconds:.1f} s), "
        f"p50 {percentile(latencies, 0.5):.0f} ms, "
        f"p99 {percentile(latencies, 0.99):.0f} ms, {failed} not a calendar; "
        f"peak memory of the bot process {peak_mib():.0f} MiB",
        flush=True,
    )
    print(
        f"(a) /agenda idle: n={len(idle)} p50 {statistics.median(idle):.1f} ms p99 "
        f"{percentile(idle, 0.99):.1f} ms; under the feeds' load: n={len(loaded)} p50 "
        f"{statistics.median(loaded):.1f} ms p99 {percentile(loaded, 0.99):.1f} ms "
        f"({percentile(loaded, 0.99) / percentile(idle, 0.99):.1f} × idle)",
        flush=True,
    )


# (b) The pack ---------------------------------------------------------------------------------


class Sink:
    """A deliverer that only counts what it is given (no platform: rendering is measured)."""

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self.first: float | None = None
        self.last = 0.0

    async def deliver(self, external_id: str, reply: Reply) -> str | None:
        self.first = self.first or time.perf_counter()
        self.last = time.perf_counter()
        self.count += 1
        self.bytes += sum(len(document.data) for document in reply.documents)
        return None

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        return None


async def drain(worker: DeliveryWorker, sink: Sink, wanted: int) -> float:
    """Let the worker deliver until the sink has `wanted`; the seconds it took."""
    started = time.perf_counter()
    while sink.count < wanted:
        if not await worker.deliver_due():
            break
    return time.perf_counter() - started


async def run_pack(url: str, people: int, packs: int, rendered: int) -> None:
    event_id, ids = await populate(url, people)
    engine = create_engine(url)
    dispatcher = Dispatcher(build_router(), session_factory(engine), SystemClock())
    before = peak_mib()
    await dispatcher.handle(ask(ids[-1], "pack"))  # warm up: fonts and templates
    timings = []
    for number in range(packs):
        person = ids[(number * 4099) % len(ids)]
        incoming = ask(person, "pack")
        started = time.perf_counter()
        replies = await dispatcher.handle(incoming)
        timings.append((time.perf_counter() - started) * 1000)
        assert replies and replies[0].documents, replies
    print(
        f"(b) /pack: n={packs} p50 {statistics.median(timings):.0f} ms p99 "
        f"{percentile(timings, 0.99):.0f} ms; peak memory {before:.0f} → {peak_mib():.0f} MiB",
        flush=True,
    )
    now = datetime.now(UTC)
    async with session_factory(engine)() as db:
        await db.execute(
            update(Participant).where(Participant.event_id == event_id).values(pack_sent_at=now)
        )
        await db.commit()
    spec, problems = check_file(EVENTS / "puerto-vallarta-2017.yaml")
    assert spec is not None, problems
    moved = [
        replace(s, starts_at=s.starts_at + timedelta(minutes=15)) if s.key == MOVED else s
        for s in spec.sessions
    ]
    started = time.perf_counter()
    async with session_factory(engine)() as db:
        await load_programme(db, replace(spec, sessions=moved), now)
        await db.commit()
    loading = time.perf_counter() - started
    async with session_factory(engine)() as db:
        queued = await db.scalar(select(func.count()).where(OutboxMessage.kind == "pack_updated"))
    print(f"(b) reload moving {MOVED}: {loading:.1f} s, {queued:,} pack_updated queued", flush=True)
    # The packs are due from PACK_BATCH after the load, PACKS_PER_SECOND: the worker's clock is
    # past the last of them, so that what is measured is rendering, not their spread.
    spread = timedelta(seconds=(queued or 0) / PACKS_PER_SECOND)
    clock = SimulatedClock(now + PACK_BATCH + spread + timedelta(minutes=1), running=True)
    sink = Sink()
    worker = DeliveryWorker(
        dispatcher.sessions, clock, build_notices(), {"telegram": sink}, per_chat_interval=0
    )
    # The programme-change notices go first (same moment): count them out.
    async with session_factory(engine)() as db:
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == "programme_change")
            .values(status=OutboxStatus.DELIVERED, finished_at=now)
        )
        await db.commit()
    seconds = await drain(worker, sink, rendered)
    await engine.dispose()
    print(
        f"(b) pack_updated rendered by the delivery worker: {sink.count:,} in {seconds:.1f} s, "
        f"{sink.count / seconds:.1f} PDFs/s "
        f"(10,000 would take {10_000 * seconds / sink.count / 60:.1f} min), "
        f"{sink.bytes / max(sink.count, 1) / 1024:.0f} KiB each; peak memory {peak_mib():.0f} MiB",
        flush=True,
    )


# (c) Digests ----------------------------------------------------------------------------------


async def run_digest(url: str, people: int, held: int) -> None:
    event_id, ids = await populate(url, people)
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with session_factory(engine)() as db:
        event = await db.get_one(Event, event_id)
        author = await db.get_one(Participant, ids[0])
        for number in range(held):
            draft = await broadcasts.draft(
                db,
                event,
                author,
                broadcasts.Audience("everyone"),
                {"en": f"Notice {number}: the buses leave at 8:45 from the hotel."},
                now,
                now,
            )
            await broadcasts.confirm(db, draft, now)
        await db.execute(
            update(Participant)
            .where(Participant.event_id == event_id)
            .values(lite=True, digest_hour=0)
        )
        # As the worker holds them (outbox.hold_for_digest): claimed once, held for a day.
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .values(held_for=outbox.DIGEST, not_before=now + outbox.DIGEST_RECHECK, attempts=0)
        )
        await db.commit()
        rows = await db.scalar(select(func.count()).where(OutboxMessage.held_for == outbox.DIGEST))
    # The next day at the hour: digest_hour 0 is midnight there, past for every reader.
    hour = now + timedelta(days=1)
    started = time.perf_counter()
    async with session_factory(engine)() as db:
        digests = await digest.send_due(db, hour)
        await db.commit()
    queuing = time.perf_counter() - started
    print(
        f"(c) digest: {rows:,} held notices; the routine queued {digests:,} digests in "
        f"{queuing:.1f} s",
        flush=True,
    )
    sink = Sink()
    clock = SimulatedClock(hour, running=True)
    worker = DeliveryWorker(
        session_factory(engine), clock, build_notices(), {"telegram": sink}, per_chat_interval=0
    )
    seconds = await drain(worker, sink, digests)
    await engine.dispose()
    print(
        f"(c) digests rendered by the delivery worker: {sink.count:,} in {seconds:.1f} s, "
        f"{sink.count / seconds:.0f} digests/s; peak memory {peak_mib():.0f} MiB",
        flush=True,
    )


# (d) Purge and export -------------------------------------------------------------------------


async def populate_history(url: str, people: int) -> None:
    """A meeting that is over: seats at the first round's tables, check-ins on three days, a
    broadcast's row in everyone's outbox; a retention period of 30 days (long past)."""
    event_id, ids = await populate(url, people)
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with session_factory(engine)() as db:
        event = await db.get_one(Event, event_id)
        first_round = (
            await db.execute(select(TableRound).order_by(TableRound.id).limit(1))
        ).scalar_one()
        tables = list(
            (
                await db.execute(select(ActTable.id).where(ActTable.round_id == first_round.id))
            ).scalars()
        )
        await db.execute(
            insert(TableMembership),
            [
                {
                    "participant_id": pid,
                    "table_id": tables[pid % len(tables)],
                    "round_id": first_round.id,
                    "status": MembershipStatus.SEATED,
                    "seat_role": SeatRole.CIVIL_SOCIETY,
                    "position": TablePosition.MEMBER,
                    "created_at": now,
                }
                for pid in ids
            ],
        )
        days = [date(2017, 12, 2), date(2017, 12, 3), date(2017, 12, 4)]
        await db.execute(
            insert(CheckIn),
            [
                {
                    "event_id": event_id,
                    "participant_id": pid,
                    "day": day,
                    "session_id": None,
                    "method": CheckInMethod.QR_CODE,
                    "checked_in_at": now,
                }
                for pid in ids
                for day in days
            ],
        )
        draft = await broadcasts.draft(
            db,
            event,
            await db.get_one(Participant, ids[0]),
            broadcasts.Audience("everyone"),
            {"en": "Thank you for coming."},
            now,
            now,
        )
        await broadcasts.confirm(db, draft, now)
        event.retention_days = 30
        await db.commit()
    await engine.dispose()


async def command(url: str, *args: str) -> tuple[float, float, str]:
    """`coordbot ARGS` as a real process: seconds, peak memory (MiB), its output."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "COORDBOT_DATABASE_URL": url,
    }
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        "/usr/bin/time",
        "-v",
        sys.executable,
        "-m",
        "bot",
        *args,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"coordbot {' '.join(args)} failed:\n{out.decode()}{err.decode()}")
    found = re.search(rb"Maximum resident set size \(kbytes\): (\d+)", err)
    peak = int(found.group(1)) / 1024 if found else float("nan")
    return seconds, peak, out.decode()


async def run_purge(url: str, people: int) -> None:
    await populate_history(url, people)
    with tempfile.TemporaryDirectory() as folder:
        seconds, peak, _out = await command(url, "export", "--out", folder)
        files = sorted(os.listdir(folder))
    print(
        f"(d) coordbot export ({people:,} participants): {seconds:.1f} s, peak memory "
        f"{peak:.0f} MiB, {len(files)} files",
        flush=True,
    )
    seconds, peak, out = await command(url, "purge")
    erased = " ".join(out.split())
    print(
        f"(d) coordbot purge: {seconds:.1f} s, peak memory {peak:.0f} MiB ({erased})",
        flush=True,
    )


SCENARIOS = ("feed", "pack", "digest", "purge")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--feeds", type=int, default=2_000, help="(a) feeds fetched")
    parser.add_argument("--at-once", type=int, default=50, help="(a) feeds fetched at a time")
    parser.add_argument("--packs", type=int, default=200, help="(b) /pack through the router")
    parser.add_argument("--rendered", type=int, default=500, help="(b) pack_updated rendered")
    parser.add_argument("--held", type=int, default=5, help="(c) notices held per reader")
    parser.add_argument("--only", choices=SCENARIOS, action="append")
    options = parser.parse_args()
    reason = postgres_unreachable_reason()
    if reason:
        raise SystemExit(f"PostgreSQL is needed: {reason}")
    for name in options.only or SCENARIOS:
        url = create_postgres_database()
        try:
            if name == "feed":
                await run_feed(url, options.people, options.feeds, options.at_once)
            elif name == "pack":
                await run_pack(url, options.people, options.packs, options.rendered)
            elif name == "digest":
                await run_digest(url, options.people, options.held)
            else:
                await run_purge(url, options.people)
        finally:
            drop_postgres_database(url)


if __name__ == "__main__":
    asyncio.run(main())
