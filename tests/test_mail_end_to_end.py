"""`coordbot run` receiving list mail by SMTP: it reaches a delegate on Telegram with a French
header and one on Slack with a Spanish header, once."""

from __future__ import annotations

import asyncio
import re
import smtplib
from pathlib import Path

from sqlalchemy import func, select

from bot.db import create_engine, session_factory
from bot.models import ChatIdentity, OutboxMessage, Participant
from tests.support.demo import DEMO_FILE
from tests.support.fake_slack import FakeSlack
from tests.support.fake_telegram import FakeTelegram, text_message
from tests.support.mail import LIST_ID
from tests.support.processes import environment, free_port, run, start, stop
from tests.support.slack_workspace import BOT_TOKEN, SIGNING_SECRET
from tests.support.waiting import listening
from tests.test_mail_intake import heavy_mail
from tests.test_mail_relay import list_mail
from tests.test_slack_end_to_end import register_people


async def link_slack_account(database: Path, email: str, user_id: str) -> None:
    """The Slack account of a participant who has written to the bot there before."""
    engine = create_engine(f"sqlite:///{database}")
    async with session_factory(engine)() as db:
        person = (
            await db.execute(select(Participant).where(Participant.email == email))
        ).scalar_one()
        now = person.created_at
        db.add(
            ChatIdentity(
                platform="slack",
                external_id=user_id,
                participant_id=person.id,
                created_at=now,
                last_seen_at=now,
            )
        )
        await db.commit()
    await engine.dispose()


async def queued_notices(database: Path) -> int:
    engine = create_engine(f"sqlite:///{database}")
    async with session_factory(engine)() as db:
        count = await db.scalar(select(func.count()).select_from(OutboxMessage))
    await engine.dispose()
    return int(count or 0)


async def send_when_listening(port: int, raw: bytes) -> None:
    await listening(port)
    await asyncio.to_thread(_send, port, raw)


def _send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("bounces@lists.example.org", ["bot@example.org"], raw)


async def test_mail_sent_by_smtp_reaches_telegram_and_slack_in_each_readers_language(
    fake_telegram: FakeTelegram, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    database = tmp_path / "coordbot.sqlite3"
    smtp_port = free_port()
    env = environment(database, fake_telegram.url) | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url + "/api/",
        "SLACK_PORT": str(free_port()),
        "MAIL_LIST_IDS": LIST_ID,
        "MAIL_SMTP_PORT": str(smtp_port),
    }
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    await register_people(database)  # Ana reads French on Telegram; Luis Spanish, on Slack
    await link_slack_account(database, "luis@example.org", "ULUIS")
    fake_slack.add_user("ULUIS", "Luis", email="luis@example.org", locale="es-ES")
    raw = list_mail(subject="Zero draft: comments due Friday").as_bytes()

    bot = await start(env, "--verbose", "run")
    try:
        await fake_telegram.wait_for("getMe", within=30)
        await send_when_listening(smtp_port, raw)
        await send_when_listening(smtp_port, raw)  # delivered twice by the list
        [french] = await fake_telegram.messages(
            lambda c: c.method == "sendMessage" and c.params.get("chat_id") == "42", within=30
        )
        assert "Liste de diffusion Action Committee" in french.params["text"]
        assert "Objet\u00a0: <b>Zero draft: comments due Friday</b>" in french.params["text"]
        assert "the zero draft is out" in french.params["text"]
        spanish = await fake_slack.messages(
            lambda c: "Lista de correo" in str(c.params.get("text")), within=30
        )
        assert "Asunto:" in str(spanish[0].params["text"])
        # The second delivery was answered only once recorded: whatever it queued is queued.
        assert await queued_notices(database) == 2  # one per reader, none for the second copy
        assert len([c for c in fake_telegram.of("sendMessage") if c.params["chat_id"] == "42"]) == 1
        assert len(fake_slack.of("chat.postMessage")) == 1
    finally:
        log = await stop(bot)
    assert "list mail relayed" in log


def _start_sending(port: int, raw: bytes) -> smtplib.SMTP:
    """An SMTP conversation up to the end of the message's data; its answer is left to read."""
    client = smtplib.SMTP("127.0.0.1", port, timeout=120)
    client.ehlo()
    client.mail("bounces@lists.example.org")
    client.rcpt("bot@example.org")
    assert client.docmd("DATA")[0] == 354
    client.send(re.sub(rb"(?m)^\.", b"..", raw) + b".\r\n")
    return client


async def _log_until(bot: asyncio.subprocess.Process, words: str, lines: list[str]) -> None:
    assert bot.stderr is not None
    while words not in (line := (await bot.stderr.readline()).decode()):
        assert line, f"the bot's log ended without {words!r}"
        lines.append(line)
    lines.append(line)


async def test_start_is_answered_while_a_heavy_mail_is_being_read(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """The mail's answer (250 once read, or kept as failed) comes after the /start pushed while
    it was being read has been answered: the event loop was free meanwhile."""
    database = tmp_path / "coordbot.sqlite3"
    smtp_port = free_port()
    env = environment(database, fake_telegram.url) | {
        "MAIL_LIST_IDS": LIST_ID,
        "MAIL_SMTP_PORT": str(smtp_port),
        "MAIL_READ_SECONDS": "10",
    }
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    bot = await start(env, "--verbose", "run")
    log: list[str] = []
    try:
        await fake_telegram.wait_for("getMe", within=30)
        await listening(smtp_port)
        client = await asyncio.to_thread(_start_sending, smtp_port, heavy_mail())
        await asyncio.wait_for(_log_until(bot, "reading list mail", log), 60)
        answer = asyncio.ensure_future(asyncio.to_thread(client.getreply))
        await fake_telegram.push(text_message("/start"))
        await fake_telegram.messages(
            lambda c: c.method == "sendMessage" and str(c.params.get("chat_id")) == "42", within=60
        )
        assert not answer.done()  # still reading the mail
        assert (await answer)[0] == 250
        client.quit()
    finally:
        log.append(await stop(bot))
    assert "kept as failed: too_slow" in "".join(log) or "list mail relayed" in "".join(log)
