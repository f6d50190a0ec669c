"""One WhatsApp number, two real `coordbot run` processes on one PostgreSQL, against the strict
fake Cloud API (80 messages a second for the number across both, the pair rate limit per
person): Meta's webhook reaches either process, one holds the number's role, answers every
message once and sends the broadcast within the number's limits; when it is killed, the other
takes over within seconds."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import broadcasts
from bot.db import create_engine, session_factory
from bot.models import Event, Role
from tests.support.demo import DEMO_FILE
from tests.support.factories import make_participant
from tests.support.fake_whatsapp import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    FakeWhatsApp,
)
from tests.support.population import add_telegram_participants
from tests.support.processes import free_port, run
from tests.support.several import Bot, holders, nothing_pending, start_bot
from tests.support.waiting import eventually

pytestmark = pytest.mark.postgres
FIRST_NUMBER = 5_215_500_000_000


@pytest.fixture
async def meta() -> AsyncIterator[FakeWhatsApp]:
    """The fake Cloud API on real time (the processes run on it), its limits as Meta's but for
    a short pair interval."""
    from bot.platforms.whatsapp_settings import TEMPLATES_FILE
    from bot.platforms.whatsapp_templates import load

    server = FakeWhatsApp(templates=load(TEMPLATES_FILE), pair_interval=0.2)
    await server.start()
    yield server
    await server.stop()


async def two_bots(url: str, fake: FakeWhatsApp, tmp_path: Path) -> tuple[list[Bot], list[int]]:
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "COORDBOT_DATABASE_URL": url,
        "HEALTH_PORT": "0",
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_URL": fake.url,
        "WHATSAPP_PAIR_INTERVAL": "0.2",
    }
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    ports = [free_port(), free_port()]
    bots = [
        await start_bot(env | {"WHATSAPP_PORT": str(port)}, tmp_path / f"bot-{number}.log")
        for number, port in enumerate(ports)
    ]
    return bots, ports


async def broadcast_to_new_readers(url: str, people: int, text: str) -> list[str]:
    """`people` participants on WhatsApp who last wrote two days ago (so each gets the
    template), and a broadcast of `text` to everyone, confirmed; their WhatsApp ids."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with session_factory(engine)() as db:
            event = (await db.execute(select(Event))).scalar_one()
            ids = await add_telegram_participants(
                db,
                event.id,
                people,
                platform="whatsapp",
                first_chat_id=FIRST_NUMBER,
                seen_at=now - timedelta(days=2),
            )
            # The author has no chat account: their copy and report leave nowhere.
            author = await make_participant(db, event.id, now, role=Role.ORGANISER)
            audience = broadcasts.Audience("everyone")
            draft = await broadcasts.draft(db, event, author, audience, {"en": text}, now, now)
            await broadcasts.confirm(db, draft, now)
            await db.commit()
    finally:
        await engine.dispose()
    return [str(FIRST_NUMBER + pid) for pid in ids]


async def test_two_processes_answer_each_message_once_and_keep_the_numbers_limits(
    database: str, meta: FakeWhatsApp, tmp_path: Path
) -> None:
    bots, ports = await two_bots(database, meta, tmp_path)
    try:
        await eventually(lambda: len(holders(bots, "whatsapp")) == 1, 30, what="one holder")
        serving = "WhatsApp: running"
        await eventually(lambda: all(serving in bot.text() for bot in bots), 30, what=serving)
        [holder] = holders(bots, "whatsapp")
        readers = await broadcast_to_new_readers(database, 240, "Buses at 8:45.")
        # People write meanwhile, Meta's webhook reaching either process in turn.
        writers = [f"52166{number:08d}" for number in range(30)]  # not readers' numbers
        for number, writer in enumerate(writers):
            meta.webhook_url = f"http://127.0.0.1:{ports[number % 2]}/whatsapp"
            assert (await meta.send_text(writer, "/help")).status == 200
        await meta.wait_answered(writers + readers, within=60)
        await eventually(lambda: nothing_pending(database), 30, what="every message recorded")

        per_person = Counter(sent.to for sent in meta.accepted)
        assert [per_person[writer] for writer in writers] == [1] * len(writers)
        assert [per_person[reader] for reader in readers] == [1] * len(readers)
        templates = [s for s in meta.accepted if s.to in set(readers)]
        assert {s.body["template"]["name"] for s in templates} == {"coordbot_broadcast"}
        assert not meta.refused  # no 130429: the limits are the number's, kept across both

        # The holder dies: the other takes over, and answers a message posted to it.
        bots[holder].process.kill()
        await bots[holder].process.wait()
        killed = time.monotonic()
        other = 1 - holder
        meta.webhook_url = f"http://127.0.0.1:{ports[other]}/whatsapp"
        assert (await meta.send_text("5215599999999", "/help")).status == 200
        await eventually(lambda: bots[other].holds("whatsapp"), 15, what="the other takes over")
        await meta.wait_answered(["5215599999999"], within=15)
        assert time.monotonic() - killed < 15, bots[other].text()
    finally:
        for bot in bots:
            await bot.stop()
    for bot in bots:
        assert ACCESS_TOKEN not in bot.text() and APP_SECRET not in bot.text()
