"""Delivery at scale, against a fake Bot API that enforces Telegram's limits (30 messages a
second, one a second per chat, 429 with retry_after beyond), with `coordbot run` as a real
process on PostgreSQL:

  (a) a broadcast to 10,000 recipients: sustained rate, 429s, duplicates, losses;
  (b) a reminder due at T for 10,000 recipients: when the first and the last land, against T;
  (c) the bot killed with SIGKILL in the middle of a broadcast, then restarted: losses and
      duplicates.

`make bench` runs it after `python -m benchmarks.commands`. Targets: ≥ 29 messages/s, no loss, no
duplicate but the message in flight at the kill, no reminder later than T + 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, cast, select, text, update

from bot import broadcasts
from bot.db import create_engine, session_factory, upgrade
from bot.models import ChatIdentity, Event, Participant, Role, Session
from bot.paths import EVENTS, ROOT
from bot.programme.check import check_file
from bot.programme.load import load_programme
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_unreachable_reason,
)
from tests.support.fake_telegram import TOKEN, Call, FakeTelegram
from tests.support.population import add_telegram_participants

ZONE = ZoneInfo("America/Mexico_City")


async def demo_programme(url: str) -> Event:
    """The database at `url` upgraded, with the demo meeting's programme; its event."""
    await upgrade(url)
    spec, problems = check_file(EVENTS / "puerto-vallarta-2017.yaml")
    assert spec is not None, problems
    engine = create_engine(url)
    async with session_factory(engine)() as db:
        await load_programme(db, spec, datetime.now(UTC))
        event = (await db.execute(select(Event))).scalar_one()
        await db.commit()
    await engine.dispose()
    return event


async def prepare(url: str, people: int, reminders: bool) -> None:
    event = await demo_programme(url)
    engine = create_engine(url)
    async with session_factory(engine)() as db:
        await add_telegram_participants(
            db, event.id, people, role=Role.GOVERNMENT, reminder_minutes=15 if reminders else None
        )
        await db.commit()
    await engine.dispose()


async def broadcast(url: str, text_en: str) -> int:
    """A broadcast of `text_en` to everyone, confirmed; its author (the first participant) is
    left unreachable, so that only the recipients count. Returns the author's id."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with session_factory(engine)() as db:
        event = (await db.execute(select(Event))).scalar_one()
        author = (
            await db.execute(select(Participant).order_by(Participant.id).limit(1))
        ).scalar_one()
        author_id = author.id
        draft = await broadcasts.draft(
            db, event, author, broadcasts.Audience("everyone"), {"en": text_en}, now, now
        )
        await broadcasts.confirm(db, draft, now)
        await db.commit()
    # The author's own copy and report are not counted: give them no chat account.
    async with session_factory(engine)() as db:
        await db.execute(
            update(ChatIdentity)
            .where(ChatIdentity.participant_id == author_id)
            .values(reachable=False)
        )
        await db.commit()
    await engine.dispose()
    return author_id


async def start_bot(
    url: str,
    api: str,
    log: Path,
    at: str | None = None,
    rate: str | None = None,
    profile: Path | None = None,
) -> asyncio.subprocess.Process:
    """`rate`: TELEGRAM_RATE, Telegram's 30 unless given (1000 lifts the pacing of replies);
    `profile`: where cProfile writes what the process spent its time on."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "COORDBOT_DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api,
    }
    if rate is not None:
        env["TELEGRAM_RATE"] = rate
    profiling = ["-m", "cProfile", "-o", str(profile)] if profile else []
    args = [sys.executable, *profiling, "-m", "bot", "-v", "run"] + (["--at", at] if at else [])
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            *args, env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=out
        )


def messages(fake: FakeTelegram, marker: str) -> list[Call]:
    return [
        c for c in fake.calls if c.method == "sendMessage" and marker in str(c.params.get("text"))
    ]


async def wait_for(fake: FakeTelegram, marker: str, distinct: int, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if len({c.params["chat_id"] for c in messages(fake, marker)}) >= distinct:
            return
        await asyncio.sleep(0.5)


def tally(fake: FakeTelegram, marker: str, expected: int) -> dict[str, Any]:
    calls = messages(fake, marker)
    per_chat = Counter(c.params["chat_id"] for c in calls)
    for chat in [chat for chat, count in per_chat.items() if count > 1][:5]:
        times = [round(c.at - calls[0].at, 2) for c in calls if c.params["chat_id"] == chat]
        print(f"    chat {chat} received {marker!r} at {times} s")
    return {
        "delivered": len(per_chat),
        "lost": expected - len(per_chat),
        "duplicates": sum(n - 1 for n in per_chat.values()),
        "first": min(c.at for c in calls) if calls else 0.0,
        "last": max(c.at for c in calls) if calls else 0.0,
    }


async def stop(bot: asyncio.subprocess.Process) -> None:
    if bot.returncode is None:
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.wait(), 60)


async def scenario_broadcast(fake: FakeTelegram, people: int, log: Path) -> None:
    url = create_postgres_database()
    try:
        await prepare(url, people, reminders=False)
        bot = await start_bot(url, fake.url, log)
        await fake.wait_for("getMe", len(fake.of("getMe")) + 1, within=60)
        refused_before = fake.refused
        await broadcast(url, "Broadcast A")
        await wait_for(fake, "Broadcast A", people - 1, within=people / 20 + 120)
        await asyncio.sleep(3)
        await stop(bot)
        result = tally(fake, "Broadcast A", people - 1)
        rate = result["delivered"] / max(result["last"] - result["first"], 1e-9)
        print(
            f"(a) broadcast to {people - 1:,}: {rate:.1f} messages/s sustained, "
            f"{fake.refused - refused_before} answered 429, {result['duplicates']} duplicates, "
            f"{result['lost']} lost"
        )
    finally:
        drop_postgres_database(url)


async def scenario_reminder(
    fake: FakeTelegram, people: int, log: Path, link_after_start: bool = False
) -> None:
    """(b); with `link_after_start`, nobody is linked when the bot starts and all link just
    after (the reminder must be planned for everyone who may come, not for who is linked)."""
    url = create_postgres_database()
    try:
        await prepare(url, people, reminders=True)
        engine = create_engine(url)
        async with session_factory(engine)() as db:
            opening = (
                await db.execute(select(Session).where(Session.key == "d1-opening"))
            ).scalar_one()
            # Only the opening is reminded of in this scenario.
            await db.execute(text("DELETE FROM sessions WHERE key NOT IN ('d1-opening')"))
            if link_after_start:
                await db.execute(update(ChatIdentity).values(participant_id=None))
            await db.commit()
        await engine.dispose()
        due = opening.starts_at - timedelta(minutes=15)
        lead = timedelta(seconds=people / 30 + 5)
        start_at = due - lead - timedelta(seconds=10)
        at = start_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S")
        refused_before = fake.refused
        if link_after_start:
            start_at -= timedelta(seconds=60)  # time to link before the job runs
            at = start_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S")
        got_me = len(fake.of("getMe"))
        bot = await start_bot(url, fake.url, log, at=at.rsplit(":", 1)[0])
        started = time.monotonic()
        if link_after_start:
            await fake.wait_for("getMe", got_me + 1, within=60)
            engine = create_engine(url)
            async with session_factory(engine)() as db:  # each links their Telegram account
                await db.execute(
                    update(ChatIdentity).values(
                        participant_id=cast(ChatIdentity.external_id, Integer) - 1_000_000
                    )
                )
                await db.commit()
            await engine.dispose()
        # The simulated clock starts at the minute given: T is this far away in real time.
        simulated_start = start_at.replace(second=0, microsecond=0)
        due_real = started + (due - simulated_start).total_seconds()
        await wait_for(fake, "⏰", people, within=(due_real - time.monotonic()) + 120)
        await asyncio.sleep(3)
        await stop(bot)
        result = tally(fake, "⏰", people)
        first, last = result["first"] - due_real, result["last"] - due_real
        who = " who linked after the start" if link_after_start else ""
        print(
            f"(b) reminder for {people:,}{who}, due at T: first at T{first:+.1f} s, "
            f"last at T{last:+.1f} s, {fake.refused - refused_before} answered 429, "
            f"{result['duplicates']} duplicates, {result['lost']} lost"
        )
    finally:
        drop_postgres_database(url)


async def scenario_kill(fake: FakeTelegram, people: int, log: Path) -> None:
    url = create_postgres_database()
    try:
        await prepare(url, people, reminders=False)
        bot = await start_bot(url, fake.url, log)
        await fake.wait_for("getMe", len(fake.of("getMe")) + 1, within=60)
        await broadcast(url, "Broadcast C")
        await wait_for(fake, "Broadcast C", people // 3, within=people / 10 + 60)
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        at_kill = tally(fake, "Broadcast C", people - 1)["delivered"]
        bot = await start_bot(url, fake.url, log)
        await wait_for(fake, "Broadcast C", people - 1, within=people / 20 + 240)
        await asyncio.sleep(3)
        await stop(bot)
        result = tally(fake, "Broadcast C", people - 1)
        print(
            f"(c) SIGKILL after {at_kill:,} of {people - 1:,}, then restart: "
            f"{result['lost']} lost, {result['duplicates']} duplicates"
        )
    finally:
        drop_postgres_database(url)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--kill-recipients", type=int, default=3_000)
    parser.add_argument("--only", choices=["a", "b", "c"])
    parser.add_argument(
        "--link-after-start", action="store_true", help="(b): everyone links after the start"
    )
    options = parser.parse_args()
    reason = postgres_unreachable_reason()
    if reason:
        print(f"delivery benchmarks skipped: {reason}")
        return
    log = ROOT / "benchmarks" / "results"
    await asyncio.to_thread(log.mkdir, parents=True, exist_ok=True)
    fake = FakeTelegram(enforce_limits=True)
    await fake.start()
    try:
        if options.only in (None, "a"):
            await scenario_broadcast(fake, options.recipients + 1, log / "broadcast.log")
        if options.only in (None, "b"):
            await scenario_reminder(
                fake, options.recipients, log / "reminder.log", options.link_after_start
            )
        if options.only in (None, "c"):
            await scenario_kill(fake, options.kill_recipients + 1, log / "kill.log")
    finally:
        await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
