"""List mail whose values a database refuses as they come (a NUL byte, a name longer than its
column), sent over real SMTP: taken with 250, relayed or kept as failed, shown in /lists; and a
mail the database refuses for good is answered 554, not 451 at every retry."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import MailSettings
from bot.db import SessionFactory, create_engine, session_factory
from bot.dispatcher import Dispatcher
from bot.mail.service import MailIntake, MailService
from bot.models import Event, MailMessage, MailStatus, Role
from tests.support.chat import registered
from tests.support.mail import LIST_ID, port_of
from tests.support.outbox import Inboxes, deliver_all

SETTINGS = MailSettings(list_ids=(LIST_ID,), smtp_port=0)


def raw_mail(
    message_id: bytes = b"<budget-1@lists.example.org>",
    list_name: bytes = b"Action Committee",
    subject: bytes = b"Budget for the side event",
    content_type: bytes = b"text/plain; charset=utf-8",
    body: bytes = b"Dear all,\r\n\r\nthe budget is attached.\r\n\r\nLucia\r\n",
) -> bytes:
    return (
        b"From: Lucia Perez <lucia@example.org>\r\n"
        b"To: actioncommittee@lists.example.org\r\n"
        b"Subject: " + subject + b"\r\n"
        b"Date: Tue, 05 Dec 2017 16:30:00 +0000\r\n"
        b"Message-ID: " + message_id + b"\r\n"
        b'List-Id: "' + list_name + b'" <' + LIST_ID.encode() + b">\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: " + content_type + b"\r\n"
        b"\r\n" + body
    )


def send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("bounces@lists.example.org", ["bot@example.org"], raw)


def smtp_reply(port: int, raw: bytes) -> int:
    """The code the receiver answers the DATA with."""
    try:
        send(port, raw)
    except smtplib.SMTPDataError as refused:
        return refused.smtp_code
    return 250


async def archived(sessions: SessionFactory) -> list[MailMessage]:
    async with sessions() as db:
        return list((await db.execute(select(MailMessage).order_by(MailMessage.id))).scalars())


LONG_NAME = b"Action Committee of the Civil Society Days " * 7  # 301 characters


@pytest.mark.parametrize(
    "mail",
    [
        raw_mail(message_id=b"<budget-1\x00@lists.example.org>"),
        raw_mail(list_name=b"Action\x00 Committee"),
        raw_mail(list_name=LONG_NAME),
    ],
    ids=["nul-in-message-id", "nul-in-list-name", "list-name-of-301-characters"],
)
async def test_a_list_mail_with_a_value_no_column_takes_is_relayed_and_listed(
    mail: bytes,
    dispatcher: Dispatcher,
    demo_event: Event,
    receiver: MailService,
    sessions: SessionFactory,
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina", language="fr")
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)

    assert await asyncio.to_thread(smtp_reply, port_of(receiver), mail) == 250
    assert await asyncio.to_thread(smtp_reply, port_of(receiver), mail) == 250  # seen before
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)

    [french] = inboxes.received[amina.external_id]  # once
    assert "Liste de diffusion Action Committee" in french
    assert "the budget is attached" in french
    assert "\x00" not in french
    assert "Budget for the side event" in await olga.send("/lists")
    [kept] = await archived(sessions)
    assert kept.status == MailStatus.RELAYED
    assert "\x00" not in kept.message_id + (kept.list_name or "")
    assert len(kept.list_name or "") <= 255


async def test_a_failed_mail_with_nul_in_its_subject_is_kept_and_shown_to_organisers(
    dispatcher: Dispatcher, demo_event: Event, receiver: MailService, sessions: SessionFactory
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    empty_digest = raw_mail(
        subject=b"Action Committee Digest, Vol 4, Issue 2\x00",
        content_type=b'multipart/digest; boundary="==digest=="',
        body=b"--==digest==--\r\n",
    )

    assert await asyncio.to_thread(smtp_reply, port_of(receiver), empty_digest) == 250

    [kept] = await archived(sessions)
    assert kept.status == MailStatus.FAILED and kept.raw == empty_digest
    assert kept.subject == "Action Committee Digest, Vol 4, Issue 2"
    listed = await olga.send("/lists")
    assert "Action Committee Digest, Vol 4, Issue 2" in listed
    assert "not relayed: a digest without any message" in listed


# A rule of the database's own that refuses some rows: what a value no cleaning can fix does.
REFUSE = {
    "sqlite": [
        "CREATE TRIGGER refuse_mail BEFORE INSERT ON mail_messages "
        "WHEN NEW.subject LIKE '%{word}%' AND NEW.status IN ({statuses}) "
        "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_mail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.subject LIKE '%{word}%' AND NEW.status IN ({statuses}) THEN "
        "RAISE EXCEPTION 'refused by the database' USING ERRCODE = '{code}'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER refuse_mail BEFORE INSERT ON mail_messages "
        "FOR EACH ROW EXECUTE FUNCTION refuse_mail()",
    ],
}
UNDO = {
    "sqlite": ["DROP TRIGGER IF EXISTS refuse_mail"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS refuse_mail ON mail_messages",
        "DROP FUNCTION IF EXISTS refuse_mail()",
    ],
}


async def refuse(engine: AsyncEngine, word: str, statuses: str, code: str) -> None:
    async with engine.begin() as connection:
        for statement in REFUSE[engine.dialect.name]:
            await connection.execute(
                text(statement.format(word=word, statuses=statuses, code=code))
            )


@pytest.fixture
async def refusing(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    yield engine
    async with engine.begin() as connection:  # the PostgreSQL database serves later tests
        for statement in UNDO[engine.dialect.name]:
            await connection.execute(text(statement))


async def test_a_mail_the_database_refuses_is_kept_as_failed_and_organisers_see_why(
    dispatcher: Dispatcher,
    demo_event: Event,
    receiver: MailService,
    sessions: SessionFactory,
    refusing: AsyncEngine,
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    # The relayed row is refused (as a value too long for its column is), a failed one is not.
    await refuse(refusing, "Refused", "'relayed'", "22001")
    mail = raw_mail(subject=b"Refused as relayed")

    assert await asyncio.to_thread(smtp_reply, port_of(receiver), mail) == 250
    assert await asyncio.to_thread(smtp_reply, port_of(receiver), mail) == 250  # seen before

    [kept] = await archived(sessions)
    assert kept.status == MailStatus.FAILED and kept.reason == "unstorable"
    listed = await olga.send("/lists")
    assert "Refused as relayed" in listed
    assert "not relayed: the database refused to store it" in listed


async def test_the_smtp_reply_says_whether_trying_again_can_help(
    dispatcher: Dispatcher,
    demo_event: Event,
    receiver: MailService,
    sessions: SessionFactory,
    refusing: AsyncEngine,
    database_down: str,
) -> None:
    # Every row of this mail is refused, even a failed one: nothing can be kept, and a retry
    # would fail alike.
    await refuse(refusing, "Refused", "'relayed', 'failed'", "23514")
    refused = raw_mail(subject=b"Refused whatever its status")
    assert await asyncio.to_thread(smtp_reply, port_of(receiver), refused) == 554
    assert await archived(sessions) == []

    # While the database is out of reach, the list's server keeps the mail and tries again.
    engine = create_engine(database_down)
    service = MailService(MailIntake(session_factory(engine), dispatcher.clock, SETTINGS, None))
    await service.start()
    try:
        assert await asyncio.to_thread(smtp_reply, port_of(service), raw_mail()) == 451
    finally:
        await service.stop()
        await engine.dispose()


@pytest.fixture
def database_down(database_url: str, tmp_path: Path) -> str:
    """The same kind of database, out of reach: a PostgreSQL port nobody listens on, a SQLite
    file in a directory that does not exist."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'gone' / 'coordbot.sqlite3'}"
    return "postgresql://postgres@127.0.0.1:9/coordbot"
