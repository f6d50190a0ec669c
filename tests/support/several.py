"""Several `coordbot run` processes on one PostgreSQL against the fake Bot API: started with a
log each, a broadcast queued, and what arrived counted. For tests/test_bot_roles.py and
benchmarks/processes.py."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot import broadcasts
from bot.db import create_engine, session_factory
from bot.models import Event, OutboxMessage, OutboxStatus, Participant
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.population import add_telegram_participants


@dataclass
class Bot:
    process: asyncio.subprocess.Process
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def holds(self, role: str) -> bool:
        """Alive, and holding `role` now (its log says it took it and did not lose it since)."""
        if self.process.returncode is not None:
            return False
        log = self.text()
        return log.rfind(f"holds the {role} role") > log.rfind(f"no longer holds the {role}")

    async def stop(self) -> None:
        """Stopped, and its log printed: pytest shows it when the test failed."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), 30)
        print(f"--- {self.log.name} (exit {self.process.returncode})\n{self.text()[-20_000:]}")


def environment(url: str, fake: FakeTelegram) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "COORDBOT_DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake.url,
        "HEALTH_PORT": "0",  # several processes on one machine: no shared health port
    }


async def start_bot(env: dict[str, str], log: Path) -> Bot:
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--verbose",
            "run",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=out,
        )
    return Bot(process, log)


def holders(bots: list[Bot], role: str) -> list[int]:
    return [number for number, bot in enumerate(bots) if bot.holds(role)]


async def queue_broadcast(url: str, people: int, text: str, first_chat_id: int) -> None:
    """`people` new participants on Telegram (chats first_chat_id + their id), and a broadcast
    of `text` to everyone, confirmed."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with session_factory(engine)() as db:
            event = (await db.execute(select(Event))).scalar_one()
            await add_telegram_participants(db, event.id, people, first_chat_id=first_chat_id)
            author = (await db.execute(select(Participant).limit(1))).scalar_one()
            audience = broadcasts.Audience("everyone")
            draft = await broadcasts.draft(db, event, author, audience, {"en": text}, now, now)
            await broadcasts.confirm(db, draft, now)
            await db.commit()
    finally:
        await engine.dispose()


async def nothing_pending(url: str) -> bool:
    """No outbox row is left to send."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as db:
            pending = select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
            return (await db.execute(pending.limit(1))).first() is None
    finally:
        await engine.dispose()


def sent_to(fake: FakeTelegram, text: str) -> Counter[str]:
    """How many times each chat was sent a message holding `text`."""
    return Counter(
        str(call.params["chat_id"])
        for call in fake.calls
        if call.method == "sendMessage" and text in str(call.params.get("text"))
    )
