"""The calendar feed served by a real `coordbot run` (CALENDAR_PORT, CALENDAR_PUBLIC_URL): a
Telegram delegate sends /calendar, gets the file and the address, and the address answers with
the same calendar. And `coordbot doctor` refuses an address phones would fetch unencrypted."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import aiohttp
from icalendar import Calendar

from bot.db import create_engine, session_factory
from bot.models import Event
from tests.support.demo import DEMO_FILE
from tests.support.fake_telegram import FakeTelegram, text_message, user
from tests.support.population import add_telegram_participants
from tests.support.processes import environment, free_port, run, start, stop


async def test_coordbot_run_serves_the_address_that_calendar_gives(
    empty_database: str, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = environment(tmp_path / "unused.sqlite3", fake_telegram.url)
    env |= {
        "COORDBOT_DATABASE_URL": empty_database,
        "HEALTH_PORT": "0",
        "CALENDAR_PORT": str(port),
        "CALENDAR_PUBLIC_URL": public,
    }
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    engine = create_engine(empty_database)
    try:
        async with session_factory(engine)() as db:
            event_id = (await db.execute(Event.__table__.select())).one().id
            (person,) = await add_telegram_participants(db, event_id, 1)
            await db.commit()
    finally:
        await engine.dispose()
    chat_id = 1_000_000 + person

    process = await start(env, "run")
    try:
        await fake_telegram.push(text_message("/calendar", user(chat_id, "en")))
        (message,) = await fake_telegram.messages(
            lambda call: call.method == "sendMessage" and "/calendar/" in call.params["text"],
            within=60,
        )
        (document,) = await fake_telegram.wait_for("sendDocument")
        match = re.search(
            rf"{re.escape(public)}/calendar/[A-Za-z0-9_-]{{32}}\.ics", message.params["text"]
        )
        assert match is not None, message.params["text"]
        timeout = aiohttp.ClientTimeout(total=10)
        async with (
            aiohttp.ClientSession(timeout=timeout) as client,
            client.get(match.group(0)) as response,
        ):
            assert response.status == 200
            served = Calendar.from_ical(await response.read())
        sent = Calendar.from_ical(document.params["document"])
        uids = sorted(str(event["uid"]) for event in served.walk("VEVENT"))
        assert uids and uids == sorted(str(event["uid"]) for event in sent.walk("VEVENT"))
        log = await stop(process)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    assert match.group(0).rsplit("/", 1)[1] not in log  # tokens are never logged


async def test_doctor_refuses_a_feed_address_without_https(tmp_path: Path) -> None:
    env = environment(tmp_path / "coordbot.sqlite3")
    env |= {"CALENDAR_PUBLIC_URL": "http://bot.example.org"}
    status, out, _err = await run(env, "doctor")
    assert status == 1
    assert "✓ Calendar feed settings" in out
    assert "✗ Calendar feeds: CALENDAR_PUBLIC_URL is not https" in out

    env |= {"CALENDAR_PUBLIC_URL": "https://bot.example.org"}
    _status, out, _err = await run(env, "doctor")
    assert "✓ Calendar feeds: https://bot.example.org" in out

    env |= {"CALENDAR_PUBLIC_URL": "bot.example.org"}
    _status, out, _err = await run(env, "doctor")
    assert "✗ Calendar feed settings: CALENDAR_PUBLIC_URL must be an address" in out
