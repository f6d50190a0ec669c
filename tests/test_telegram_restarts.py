"""`coordbot run` as a real process against the fake Bot API, killed and restarted: what users
sent is neither lost nor handled twice (SQLite and PostgreSQL)."""

from __future__ import annotations

import signal
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import session_factory
from bot.models import ChatIdentity, Event, Participant, ProcessedDelivery
from tests.support.demo import DEMO_FILE
from tests.support.fake_telegram import FakeTelegram, text_message, user
from tests.support.population import add_telegram_participants
from tests.support.processes import environment, run, start, stop

CHATS = 50
# Each chat's four commands change the database, and each answer says which command it is for.
COMMANDS = [
    ("/language fr", "français"),
    ("/remind 10", "10 minutes"),
    ("/language es", "español"),
    ("/remind 30", "30 minutos"),
]
WORKERS = 16  # replies in flight at a kill are at most one set per worker: the only duplicates


def _env(database_url: str, tmp_path: Path, api: str) -> dict[str, str]:
    return environment(tmp_path / "unused.sqlite3", api) | {"COORDBOT_DATABASE_URL": database_url}


async def _chats(engine: AsyncEngine) -> list[str]:
    async with session_factory(engine)() as db:
        event = (await db.execute(select(Event))).scalar_one()
        ids = await add_telegram_participants(db, event.id, CHATS, first_chat_id=1_000_000)
        await db.commit()
    return [str(1_000_000 + pid) for pid in ids]


def _answers(fake: FakeTelegram, chats: list[str]) -> dict[str, list[int]]:
    """Per chat, which command each message sent to it answers (by its index in COMMANDS)."""
    answers: dict[str, list[int]] = defaultdict(list)
    for call in fake.of("sendMessage"):
        chat = call.params["chat_id"]
        if chat in chats:
            text = call.params["text"]
            answers[chat] += [n for n, (_c, mark) in enumerate(COMMANDS) if mark in text]
    return answers


def _complete(answers: dict[str, list[int]], chats: list[str]) -> bool:
    return all(set(answers.get(chat, [])) == set(range(len(COMMANDS))) for chat in chats)


async def test_kill_9_in_the_middle_of_200_commands_loses_none_and_applies_each_once(
    fake_telegram: FakeTelegram, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    env = _env(database_url, tmp_path, fake_telegram.url)
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    chats = await _chats(engine)

    bot = await start(env, "run")
    await fake_telegram.wait_for("setMyCommands", 3, within=60)
    for command, _mark in COMMANDS:
        for chat in chats:
            await fake_telegram.push(text_message(command, user(int(chat), "en")))
    await fake_telegram.wait_for("sendMessage", 40, within=60)
    bot.send_signal(signal.SIGKILL)  # in the middle: answers went out, most did not yet
    await bot.wait()
    assert sum(len(a) for a in _answers(fake_telegram, chats).values()) < CHATS * len(COMMANDS)

    bot = await start(env, "run")
    try:
        deadline = time.monotonic() + 120
        while not _complete(_answers(fake_telegram, chats), chats):
            assert time.monotonic() < deadline, "some commands were never answered"
            sent = len(fake_telegram.of("sendMessage"))
            await fake_telegram.wait_for(
                "sendMessage", sent + 1, within=deadline - time.monotonic()
            )
    finally:
        log = await stop(bot)
    assert "Traceback" not in log

    answers = _answers(fake_telegram, chats)
    duplicates = 0
    for chat in chats:
        # In order within a chat, each command answered; a repeat only of an answer in flight.
        deduplicated = [
            n for i, n in enumerate(answers[chat]) if i == 0 or answers[chat][i - 1] != n
        ]
        assert deduplicated == list(range(len(COMMANDS))), (chat, answers[chat])
        duplicates += len(answers[chat]) - len(COMMANDS)
    assert duplicates <= WORKERS

    async with session_factory(engine)() as db:
        people = (
            await db.execute(select(Participant.language, Participant.reminder_minutes))
        ).all()
        assert people and set(people) == {("es", 30)}  # every command applied, in order
        handled = await db.scalar(
            select(func.count())
            .select_from(ProcessedDelivery)
            .where(ProcessedDelivery.handled_at.is_not(None), ProcessedDelivery.replies.is_(None))
        )
        assert handled == CHATS * len(COMMANDS)
        assert await db.scalar(select(func.count()).select_from(ChatIdentity)) == CHATS


async def test_a_rehearsal_restart_keeps_the_records_of_handled_updates(
    fake_telegram: FakeTelegram, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    """`coordbot run --at 2017-…`: an update Telegram sends again after a restart is still
    recognised (its record is stamped with real time, not the rehearsal's 2017)."""
    env = _env(database_url, tmp_path, fake_telegram.url)
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    help_update = {"update_id": 7000, **text_message("/help")}

    bot = await start(env, "run", "--at", "2017-12-02 08:10")
    try:
        await fake_telegram.push(help_update)
        await fake_telegram.wait_for("sendMessage", within=60)
    finally:
        await stop(bot)

    bot = await start(env, "run", "--at", "2017-12-02 08:10")
    try:
        await fake_telegram.push(help_update)  # delivered again, as after a lost confirmation
        await fake_telegram.push({"update_id": 7001, **text_message("/language es")})
        await fake_telegram.messages(
            lambda call: "español" in str(call.params.get("text")), within=60
        )
    finally:
        await stop(bot)
    texts = fake_telegram.sent_texts()
    assert len(texts) == 2 and "/start —" in texts[0] and "español" in texts[1]
