"""No single mail stops the bot: hostile list mail by SMTP to the running receiver. Foreign mail
is refused on its headers while a heavy list mail is still being read; a mail over its reading
time is kept as failed and organisers read why; floods of attachments or a huge subject stay a
few messages; long lines are taken; SQLite writers do not wait on a mail being read."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from bot.config import ImapSettings, MailSettings
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.mail.service import MailIntake, MailService
from bot.models import Event, MailMessage, MailStatus, OutboxMessage, Role
from tests.support.chat import registered
from tests.support.fake_imap import PASSWORD, USER, FakeImap
from tests.support.mail import LIST_ID, port_of, serving
from tests.support.outbox import Inboxes, deliver_all
from tests.support.waiting import eventually
from tests.test_mail_relay import list_mail

FILES = 5


def heavy_mail(parts: int = 20_000) -> bytes:
    """Small (740 KB) but slow to read: the standard library's MIME parser takes seconds over
    twenty thousand tiny parts."""
    body = b"".join(b"--zz\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(parts))
    return (
        b"From: Hostile <hostile@example.org>\r\n"
        b"Subject: Many parts\r\n"
        b"Message-ID: <heavy@example.org>\r\n"
        b"List-Id: Action Committee <" + LIST_ID.encode() + b">\r\n"
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n" + body + b"--zz--\r\n"
    )


def foreign_mail_with_a_huge_header() -> bytes:
    """Another list's mail whose folded From: is 1.6 MB long (34 s for the old header check)."""
    people = ",\r\n ".join(f"Person {i} <person{i}@example.org>" for i in range(40_000))
    return (
        f"From: {people}\r\nSubject: hi\r\nMessage-ID: <f@example.net>\r\n"
        "List-Id: <other.lists.example.net>\r\n\r\nHello\r\n"
    ).encode()


def smtp_send(port: int, raw: bytes) -> tuple[int, bytes]:
    """One SMTP conversation; the receiver's answer to the message."""
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
        client.ehlo()
        client.mail("bounces@lists.example.org")
        client.rcpt("bot@example.org")
        return client.data(raw)


class _Reading(logging.Handler):
    """Sets `started` when the receiver begins reading a list mail (its log says so)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.started = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("reading list mail"):
            self.loop.call_soon_threadsafe(self.started.set)


@contextmanager
def watching_reads() -> Iterator[_Reading]:
    logger = logging.getLogger("bot.mail.service")
    handler = _Reading(asyncio.get_running_loop())
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@contextmanager
def database_locks_logged() -> Iterator[list[str]]:
    """Every log line that says the database was locked."""
    seen: list[str] = []

    class Locked(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = record.getMessage() + str(record.exc_info and record.exc_info[1])
            if "database is locked" in text:
                seen.append(text)

    handler = Locked()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield seen
    finally:
        root.removeHandler(handler)


@pytest.fixture
def mail_settings() -> MailSettings:
    return MailSettings(list_ids=(LIST_ID,), smtp_port=0, attachment_files=FILES)


async def test_a_foreign_mail_with_a_huge_header_is_refused_while_a_heavy_mail_is_read(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    settings = MailSettings(list_ids=(LIST_ID,), smtp_port=0, read_seconds=3)
    async with serving(dispatcher, settings) as service:
        with watching_reads() as reading:
            heavy = asyncio.ensure_future(
                asyncio.to_thread(smtp_send, port_of(service), heavy_mail())
            )
            await reading.started.wait()
            code, _text = await asyncio.to_thread(
                smtp_send, port_of(service), foreign_mail_with_a_huge_header()
            )
            assert code == 550  # refused on its headers, without waiting for the heavy mail
            assert not heavy.done()
            assert (await heavy)[0] == 250  # kept as failed: too slow to read
    async with sessions() as db:
        [kept] = (await db.execute(select(MailMessage))).scalars()
        assert kept.status == MailStatus.FAILED and kept.reason == "too_slow"


@pytest.mark.parametrize(
    ("language", "why"),
    [
        ("en", "not relayed: reading it took too long"),
        ("fr", "non transmis : sa lecture a pris trop de temps"),
        ("es", "no reenviado: su lectura tardó demasiado"),
    ],
)
async def test_a_mail_over_its_reading_time_is_kept_as_failed_and_organisers_see_why(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, language: str, why: str
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER, language=language)
    amina = await registered(dispatcher, demo_event.id, "Amina")
    settings = MailSettings(list_ids=(LIST_ID,), smtp_port=0, read_seconds=1)
    async with serving(dispatcher, settings) as service:
        code, _text = await asyncio.to_thread(smtp_send, port_of(service), heavy_mail())
        # The next mail is read by a new worker, whole.
        code_after, _text = await asyncio.to_thread(
            smtp_send, port_of(service), list_mail().as_bytes()
        )
    assert code == 250 and code_after == 250  # kept, not lost: the list's server does not retry
    assert why in (await olga.send("/lists")).replace("\u00a0", " ")
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [received] = inboxes.received[amina.external_id]  # the heavy mail is not relayed half-read
    assert "the zero draft is out" in received
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(MailMessage)) == 2


async def test_a_mail_over_its_memory_is_kept_as_failed_and_the_next_one_is_read(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina")
    settings = MailSettings(list_ids=(LIST_ID,), smtp_port=0, read_memory_mb=256)
    # Five million short lines: the MIME parser keeps each as an object, some 500 MB.
    lines = (
        b"From: Hostile <hostile@example.org>\r\nSubject: Lines\r\n"
        b"Message-ID: <lines@example.org>\r\nList-Id: <"
        + LIST_ID.encode()
        + b">\r\n\r\n"
        + b"a\r\n" * 5_000_000
    )
    async with serving(dispatcher, settings) as service:
        code, _text = await asyncio.to_thread(smtp_send, port_of(service), lines)
        code_after, _text = await asyncio.to_thread(
            smtp_send, port_of(service), list_mail().as_bytes()
        )
    assert code == 250 and code_after == 250
    async with sessions() as db:
        kept = (
            await db.execute(select(MailMessage).where(MailMessage.status == MailStatus.FAILED))
        ).scalar_one()
        assert kept.reason == "too_big" and kept.subject == "Lines"
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [received] = inboxes.received[amina.external_id]
    assert "the zero draft is out" in received


async def test_a_hundred_attachments_reach_each_reader_in_at_most_files_plus_one_messages(
    dispatcher: Dispatcher, demo_event: Event, receiver: MailService
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina", language="en")
    mail = list_mail(message_id="<flood@example.org>")
    for number in range(100):
        mail.add_attachment(
            f"page {number}".encode(),
            maintype="application",
            subtype="pdf",
            filename=f"scan-{number:03}.pdf",
        )
    code, _text = await asyncio.to_thread(smtp_send, port_of(receiver), mail.as_bytes())
    assert code == 250
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [text] = inboxes.received[amina.external_id]
    files = inboxes.files[amina.external_id]
    assert 1 + len(files) <= FILES + 1
    assert files == [f"scan-{number:03}.pdf" for number in range(FILES)]
    assert "95 more attachments, not sent in chat: scan-005.pdf (1 KB)" in text
    assert "/lists" in text
    assert len(text) < 4096  # one chat message


async def test_a_130000_character_subject_is_one_message_cut_with_an_ellipsis(
    dispatcher: Dispatcher, demo_event: Event, receiver: MailService
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina", language="en")
    words = [f"word{number}" for number in range(20_000)]
    folded = "\r\n ".join(" ".join(words[i : i + 10]) for i in range(0, len(words), 10))
    assert len(" ".join(words)) > 130_000
    raw = list_mail(message_id="<long-subject@example.org>").as_bytes()
    raw = raw.replace(b"Subject: Zero draft: our joint comments", f"Subject: {folded}".encode())
    code, _text = await asyncio.to_thread(smtp_send, port_of(receiver), raw)
    assert code == 250
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [text] = inboxes.received[amina.external_id]
    assert len(text) < 4096
    [line] = [line for line in text.splitlines() if line.startswith("Subject:")]
    assert line.startswith("Subject: word0 word1 word2") and line.endswith("…")
    assert "the zero draft is out" in text
    listed = await amina.send("/lists")
    assert len(listed) < 4096 and "word0 word1" in listed


async def test_a_line_of_5000_octets_is_taken(
    dispatcher: Dispatcher, demo_event: Event, receiver: MailService
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina", language="en")
    line = b"<p>" + b"Long HTML written on one line. " * 170 + b"</p>"
    assert len(line) > 5_000
    raw = (
        b"From: Lucia <lucia@example.org>\r\nSubject: One long line\r\n"
        b"Message-ID: <long-line@example.org>\r\n"
        b"List-Id: Action Committee <" + LIST_ID.encode() + b">\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n" + line + b"\r\n"
    )
    code, _text = await asyncio.to_thread(smtp_send, port_of(receiver), raw)
    assert code == 250
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [text] = inboxes.received[amina.external_id]
    assert "Long HTML written on one line." in text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_writers_go_on_while_a_heavy_mail_is_read(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina", language="en")
    settings = MailSettings(list_ids=(LIST_ID,), smtp_port=0, read_seconds=3)
    intake = MailIntake(dispatcher.sessions, dispatcher.clock, settings, None)
    await intake.take(list_mail().as_bytes())  # queued for Amina, delivered below
    try:
        with database_locks_logged() as locked, watching_reads() as reading:
            reading.started.clear()
            heavy = asyncio.create_task(intake.take(heavy_mail()))
            await reading.started.wait()
            inboxes = Inboxes()
            assert await deliver_all(dispatcher, inboxes) == 1  # the outbox writes meanwhile
            assert "no longer" in await amina.send("/mailinglist off")  # a chat write too
            assert not heavy.done()
            assert (await heavy).failed == "too_slow"
    finally:
        intake.reader.close()
    assert locked == []
    assert len(inboxes.received[amina.external_id]) == 1
    async with sessions() as db:
        assert (await db.scalar(select(func.count()).select_from(OutboxMessage)) or 0) >= 1


async def test_a_heavy_mail_read_by_imap_is_kept_as_failed_and_the_next_one_relayed(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina")
    mailbox = FakeImap()
    await mailbox.start()
    imap = ImapSettings("127.0.0.1", USER, PASSWORD, port=mailbox.port, tls=False)
    settings = MailSettings(list_ids=(LIST_ID,), imap=imap, read_seconds=1)
    service = MailService(MailIntake(dispatcher.sessions, dispatcher.clock, settings, None))
    try:
        mailbox.deliver(heavy_mail())
        mailbox.deliver(list_mail().as_bytes())
        await service.start()
        # until both are taken in, then marked seen
        await eventually(lambda: len(mailbox.seen()) == 2, within=30, what="both mails seen")
    finally:
        await service.stop()
        await mailbox.stop()
    async with sessions() as db:
        reasons = (await db.execute(select(MailMessage.reason))).scalars().all()
        assert sorted(reasons, key=str) == [None, "too_slow"]
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [received] = inboxes.received[amina.external_id]
    assert "the zero draft is out" in received


async def test_a_mail_delivered_again_is_answered_from_the_archive_without_being_read(
    receiver: MailService, demo_event: Event, sessions: SessionFactory
) -> None:
    raw = list_mail(subject="Agenda for Sunday").as_bytes()
    with watching_reads() as reading:
        assert (await asyncio.to_thread(smtp_send, port_of(receiver), raw))[0] == 250
        assert reading.started.is_set()
        reading.started.clear()
        assert (await asyncio.to_thread(smtp_send, port_of(receiver), raw))[0] == 250
        assert not reading.started.is_set()  # the second delivery never reached the reader
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(MailMessage)) == 1
