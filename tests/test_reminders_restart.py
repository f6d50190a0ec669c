"""Reminders with the bot as a real process: a delegate who links after it started is reminded
on time, and a reminder due across a restart arrives exactly once."""

from __future__ import annotations

import asyncio
import csv
import signal
from datetime import datetime
from pathlib import Path

from bot.chat import Sender
from bot.db import create_engine, session_factory
from bot.models import Role
from bot.people import participants
from bot.programme.meeting import current_event
from tests.support.demo import DEMO_FILE, DEMO_PEOPLE_FILE, MEETING_ZONE
from tests.support.factories import make_participant
from tests.support.fake_telegram import Call, FakeTelegram, text_message, user
from tests.support.processes import environment, run, start, stop

PEOPLE = DEMO_PEOPLE_FILE


async def _registered_on_telegram(database: Path, telegram_id: int) -> None:
    engine = create_engine(f"sqlite:///{database}")
    try:
        async with session_factory(engine)() as db:
            event = await current_event(db)
            assert event is not None
            now = datetime(2017, 12, 1, tzinfo=MEETING_ZONE)
            person = await make_participant(
                db, event.id, now, role=Role.CIVIL_SOCIETY, name="Ana", language="en"
            )
            account = await participants.identity_for(db, "telegram", Sender(str(telegram_id)), now)
            participants.link(account, person)
            await db.commit()
    finally:
        await engine.dispose()


async def _run_bot_until(env: dict[str, str], at: str, line: str, within: float = 40) -> str:
    """Run the bot from `at` until its log shows `line`, then stop it; returns the log."""
    bot = await start(env, "--verbose", "run", "--at", at)
    assert bot.stderr is not None
    seen: list[str] = []

    async def read() -> None:
        while raw := await bot.stderr.readline():  # type: ignore[union-attr]
            seen.append(raw.decode())
            if line in seen[-1]:
                return
        raise AssertionError("the bot stopped:\n" + "".join(seen))

    try:
        await asyncio.wait_for(read(), within)
    finally:
        bot.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0, "".join(seen) + err.decode()
    return "".join(seen) + err.decode()


async def test_a_reminder_due_across_a_restart_arrives_once(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    database = tmp_path / "coordbot.sqlite3"
    env = environment(database, fake_telegram.url)
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    await _registered_on_telegram(database, 4242)

    def reminder(call: object) -> bool:
        params = getattr(call, "params", {})
        return getattr(call, "method", "") == "sendMessage" and "⏰" in str(params.get("text"))

    # First run: the opening's 15-minute reminder is due at 08:15; the bot starts at 08:14:50.
    first = await start(env, "--verbose", "run", "--at", "2017-12-02 08:14:50")
    [sent] = await fake_telegram.messages(reminder, 1, within=40)
    first.send_signal(signal.SIGTERM)
    _out, err = await asyncio.wait_for(first.communicate(), 30)
    assert first.returncode == 0, err.decode()
    assert sent.params["chat_id"] == "4242" and "Welcome and opening" in sent.params["text"]

    # Second run, after the due time and before the session: the job runs again at start…
    log = await _run_bot_until(env, "2017-12-02 08:16:00", "queued 0 reminders (15 min)")
    assert "Traceback" not in log, log
    # …and nothing is sent twice.
    assert len([call for call in fake_telegram.calls if reminder(call)]) == 1


def _is_reminder(call: Call) -> bool:
    return call.method == "sendMessage" and "⏰" in str(call.params.get("text"))


async def test_a_delegate_who_links_after_the_bot_started_is_reminded_on_time(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """The issue's case: `coordbot run` starts with nobody linked; a civil-society delegate
    redeems their invitation code just before the badge collection's reminder is due (18:15,
    for 18:30) and is reminded then."""
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url)
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    assert (await run(env, "participants", "import", str(PEOPLE)))[0] == 0
    status, _out, err = await run(env, "participants", "invite", "--out", str(tmp_path / "inv"))
    assert status == 0, err
    with PEOPLE.open(encoding="utf-8") as people:
        roles = {row["email"]: row["role"] for row in csv.DictReader(people)}
    with (tmp_path / "inv" / "invitations.csv").open(encoding="utf-8") as written:
        delegate = next(
            row
            for row in csv.DictReader(written)
            if roles[row["email"]] == "civil_society" and row["language"] == "en"
        )

    bot = await start(env, "--verbose", "run", "--at", "2017-12-02 18:14:40")
    try:
        await fake_telegram.wait_for("getMe", 2, within=30)  # one for invite, one for run
        sender = user(777, language_code="en", first_name="D")
        await fake_telegram.push(text_message(f"/start {delegate['code']}", sender=sender))
        [greeting] = await fake_telegram.wait_for("sendMessage", within=30)
        [reminder] = await fake_telegram.messages(_is_reminder, 1, within=40)
    finally:
        await stop(bot)
    assert greeting.params["chat_id"] == "777" and delegate["name"] in greeting.params["text"]
    assert reminder.params["chat_id"] == "777"
    # "In 15 minutes" counts from when it left: between 18:14:30 and 18:15:30.
    assert "In 15 minutes" in reminder.params["text"]
    assert "Badge collection for the government-led Stocktaking" in reminder.params["text"]
