"""Commands per second with reply pacing lifted: `coordbot run` as a real process on PostgreSQL,
against the fake Bot API, answering `/agenda` from people it has never seen (each first contact
creates their chat identity).

  (a) a burst: N updates from N new chats pushed at once; answers a second (first push to last
      answer) and the reply latency p50/p99 (each update pushed → its answer at the fake API);
  (b) a steady offer of R updates a second for a while: the latency p50/p99 at that load;
  (c) a steady 10 a second while a broadcast to 10,000 people is leaving, with Telegram's pacing
      (30 messages a second for the bot, replies to people before the broadcast).

Pacing lifted: TELEGRAM_RATE=1000 (the most the setting takes); each new chat gets one reply,
so the one-a-second-per-chat turn never waits. `python -m benchmarks.live_commands`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.delivery import broadcast, prepare, start_bot, stop
from bot.paths import ROOT
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_unreachable_reason,
)
from tests.support.fake_telegram import FakeTelegram, text_message, user

ZONE = ZoneInfo("America/Mexico_City")
AT = "2017-12-05 10:00"  # a day of the demo meeting: /agenda has sessions to show
FIRST_USER = 50_000_000  # far from the participants `prepare` links (1,000,000 + n)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Load:
    """Pushes /agenda from new chats and matches each answer to its push."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.next_user = FIRST_USER
        self.pushed: dict[str, float] = {}  # chat id → when its /agenda was pushed
        self.answered: dict[str, float] = {}  # chat id → when its first answer came
        self.read = 0  # the fake's calls read so far

    async def push(self) -> str:
        chat = self.next_user
        self.next_user += 1
        language = ("en", "fr", "es")[chat % 3]
        await self.fake.push(text_message("/agenda", user(chat, language, f"New {chat}")))
        self.pushed[str(chat)] = time.monotonic()
        return str(chat)

    def answers(self, chats: set[str]) -> dict[str, float]:
        """The first answer of each of `chats`, by chat: when it reached the fake API (the
        calls are read once each, so that counting costs the machine little)."""
        for call in self.fake.calls[self.read :]:
            chat = str(call.params.get("chat_id"))
            if call.method == "sendMessage" and chat not in self.answered:
                self.answered[chat] = call.at
        self.read = len(self.fake.calls)
        return {chat: self.answered[chat] for chat in chats if chat in self.answered}

    async def wait(self, chats: set[str], within: float) -> dict[str, float]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = self.answers(chats)
            if len(found) == len(chats):
                return found
            await asyncio.sleep(0.2)
        return self.answers(chats)

    def latencies(self, found: dict[str, float]) -> list[float]:
        return [(at - self.pushed[chat]) * 1000 for chat, at in found.items()]


async def warm_up(load: Load) -> None:
    """A few first answers before measuring: polling has begun, the caches are filled."""
    chats = {await load.push() for _ in range(20)}
    await load.wait(chats, within=60)


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used so far (user and system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(latencies: list[float]) -> str:
    if not latencies:
        return "no answer"
    return (
        f"p50 {statistics.median(latencies):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms, "
        f"max {max(latencies):.0f} ms"
    )


async def burst(load: Load, count: int, pid: int) -> None:
    cpu = cpu_seconds(pid)
    started = time.monotonic()
    chats = {await load.push() for _ in range(count)}
    found = await load.wait(chats, within=count / 5 + 30)
    last = max(found.values(), default=started)
    rate = len(found) / max(last - started, 1e-9)
    spent = (cpu_seconds(pid) - cpu) * 1000 / max(len(found), 1)
    print(
        f"(a) burst of {count:,} /agenda from new chats: {rate:.0f} answers/s, "
        f"{count - len(found)} unanswered; latency {summary(load.latencies(found))}; "
        f"the bot's CPU: {spent:.1f} ms an answer"
    )


async def steady(load: Load, rate: float, seconds: float, label: str) -> None:
    chats: set[str] = set()
    started = time.monotonic()
    for number in range(round(rate * seconds)):
        await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
        chats.add(await load.push())
    found = await load.wait(chats, within=60)
    print(
        f"{label} {rate:.0f} /agenda a second from new chats for {seconds:.0f} s: "
        f"{len(chats) - len(found)} unanswered; latency {summary(load.latencies(found))}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", type=int, default=3_000)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--busy-rate", type=float, default=10, help="(c): while broadcasting")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--only", choices=["a", "b", "c"])
    parser.add_argument("--profile", type=Path, help="(a), (b): cProfile's output, for pstats")
    options = parser.parse_args()
    reason = postgres_unreachable_reason()
    if reason:
        print(f"live command benchmarks skipped: {reason}")
        return
    log = ROOT / "benchmarks" / "results" / "live_commands.log"
    await asyncio.to_thread(log.parent.mkdir, parents=True, exist_ok=True)
    fake = FakeTelegram()  # no limits: pacing is lifted, and the fake must not be the bottleneck
    await fake.start()
    url = create_postgres_database()
    try:
        await prepare(url, options.recipients + 1, reminders=False)
        load = Load(fake)
        if options.only in (None, "a", "b"):
            bot = await start_bot(url, fake.url, log, at=AT, rate="1000", profile=options.profile)
            try:
                await fake.wait_for("getMe", within=60)
                await warm_up(load)
                if options.only in (None, "a"):
                    await burst(load, options.burst, bot.pid)
                if options.only in (None, "b"):
                    await steady(load, options.rate, options.seconds, "(b)")
            finally:
                await stop(bot)
        if options.only in (None, "c"):
            # Telegram's own rate now: the broadcast takes its 30 a second, replies go first.
            got_me = len(fake.of("getMe"))
            # Real time: the broadcast is confirmed now, which a clock in 2017 would never reach.
            bot = await start_bot(url, fake.url, log)
            try:
                await fake.wait_for("getMe", got_me + 1, within=60)
                await warm_up(load)
                sent = len(fake.of("sendMessage"))
                await broadcast(url, "Broadcast C")
                await fake.wait_for("sendMessage", sent + 100, within=120)  # it is leaving
                await steady(load, options.busy_rate, options.seconds, "(c) during a broadcast,")
            finally:
                await stop(bot)
    finally:
        await fake.stop()
        drop_postgres_database(url)


if __name__ == "__main__":
    asyncio.run(main())
