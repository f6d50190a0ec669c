"""List mail by SMTP to the running receiver: taken only from the list, archived once, relayed
with a header in each reader's language to those who want it and to a [Tagged] group."""

from __future__ import annotations

import asyncio
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import groups
from bot.config import ImapSettings, MailSettings
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.mail import relay
from bot.mail.service import MailIntake, MailService
from bot.models import (
    Event,
    MailMessage,
    MailStatus,
    OutboxMessage,
    Participant,
    ReferenceGroup,
    Role,
)
from tests.support.chat import registered
from tests.support.fake_imap import PASSWORD, USER, FakeImap
from tests.support.mail import LIST_ID, port_of
from tests.support.outbox import Inboxes, deliver_all
from tests.support.waiting import eventually


def list_mail(
    subject: str = "Zero draft: our joint comments",
    body: str = "Dear all,\n\nthe zero draft is out. Comments by Friday, please.\n\nLucía",
    message_id: str = "<zero-draft-1@lists.example.org>",
    list_id: str = f"Action Committee <{LIST_ID}>",
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Lucía Pérez <lucia@example.org>"
    mail["To"] = "actioncommittee@lists.example.org"
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime(2017, 12, 5, 16, 30, tzinfo=UTC))
    mail["Message-ID"] = message_id
    mail["List-Id"] = list_id
    mail.set_content(body)
    return mail


def send(port: int, mail: EmailMessage) -> None:
    """What the list's server does: one SMTP conversation."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(
            mail, from_addr="bounces@lists.example.org", to_addrs=["bot@example.org"]
        )


async def test_a_list_message_reaches_delegates_once_with_a_header_in_their_language(
    dispatcher: Dispatcher, demo_event: Event, receiver: MailService, sessions: SessionFactory
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina", language="fr")
    luis = await registered(dispatcher, demo_event.id, "Luis", language="es")
    state = await registered(dispatcher, demo_event.id, "State", Role.GOVERNMENT)
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    assert "relay" in await olga.send("/mailinglist on")

    await asyncio.to_thread(send, port_of(receiver), list_mail())
    await asyncio.to_thread(send, port_of(receiver), list_mail())  # the list delivers it again
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)

    [french] = inboxes.received[amina.external_id]
    assert "Liste de diffusion Action Committee" in french
    assert "De : Lucía Pérez <lucia@example.org>" in french
    assert "Objet : Zero draft: our joint comments" in french
    assert "mar. 5 déc. 2017, 10:30" in french  # in Puerto Vallarta's time
    assert "the zero draft is out" in french  # the text as written, not translated
    [spanish] = inboxes.received[luis.external_id]
    assert "Lista de correo Action Committee" in spanish and "Asunto:" in spanish
    assert len(inboxes.received[olga.external_id]) == 1  # by choice
    assert inboxes.received[state.external_id] == []  # not by default
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(MailMessage)) == 1


async def test_an_announcement_forwarded_with_a_note_reaches_delegates_whole(
    dispatcher: Dispatcher, demo_event: Event, receiver: MailService
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina", language="fr")
    forward = (
        "Dear all, please read the message below.\n\nHélène\n\n"
        "---------- Forwarded message ---------\n"
        "From: Host Committee <host@example.mx>\n"
        "Date: Mon, Dec 4, 2017 at 7:02 AM\n"
        "Subject: Buses on Tuesday\n"
        "To: Civil society delegates <delegates@example.org>\n\n"
        "Buses leave the Holiday Inn Express at 08:30 on Tuesday, not 08:45.\n"
        "Bring your badge.\n"
    )
    mail = list_mail(subject="Fwd: Buses on Tuesday", body=forward, message_id="<fwd-1@x.org>")
    await asyncio.to_thread(send, port_of(receiver), mail)
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [received] = inboxes.received[amina.external_id]
    assert "please read the message below" in received  # the note
    assert "Host Committee" in received and "Buses on Tuesday" in received  # who, what
    assert "at 08:30 on Tuesday, not 08:45" in received and "Bring your badge" in received


async def test_mail_from_another_list_is_refused_in_the_smtp_conversation(
    dispatcher: Dispatcher, demo_event: Event, receiver: MailService, sessions: SessionFactory
) -> None:
    foreign = list_mail(list_id="<other.lists.example.net>", message_id="<x@example.net>")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await asyncio.to_thread(send, port_of(receiver), foreign)
    assert refused.value.smtp_code == 550
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(MailMessage)) == 0


async def test_a_tagged_subject_reaches_the_groups_members_and_off_means_off(
    dispatcher: Dispatcher, demo_event: Event, receiver: MailService, sessions: SessionFactory
) -> None:
    state = await registered(dispatcher, demo_event.id, "State", Role.GOVERNMENT)
    quiet = await registered(dispatcher, demo_event.id, "Quiet", language="es")
    assert "ya no" in (await quiet.send("/listacorreo off")).lower()
    async with sessions() as db:
        group = (
            await db.execute(select(ReferenceGroup).where(ReferenceGroup.key == "firewalls"))
        ).scalar_one()
        person = (
            await db.execute(select(Participant).where(Participant.name == "State"))
        ).scalar_one()
        await groups.subscribe(db, person, group, dispatcher.clock.now())
        await db.commit()

    tagged = list_mail(subject="[Firewalls] Call on Thursday", message_id="<fw-1@example.org>")
    await asyncio.to_thread(send, port_of(receiver), tagged)
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [received] = inboxes.received[state.external_id]
    assert "For the reference group Firewalls" in received
    assert inboxes.received[quiet.external_id] == []


async def test_attachments_are_forwarded_below_the_limit_and_listed_above_it(
    dispatcher: Dispatcher, demo_event: Event, receiver: MailService
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina", language="en")
    mail = list_mail(message_id="<files@example.org>")
    mail.add_attachment(
        b"%PDF-1.4 small", maintype="application", subtype="pdf", filename="agenda.pdf"
    )
    mail.add_attachment(
        b"0" * 300_000, maintype="application", subtype="pdf", filename="report.pdf"
    )
    await asyncio.to_thread(send, port_of(receiver), mail)
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [text] = inboxes.received[amina.external_id]
    assert "agenda.pdf (1 KB)" in text and "report.pdf (300 KB) — too large to forward" in text
    assert inboxes.files[amina.external_id] == ["agenda.pdf"]


async def test_lists_shows_recent_messages_and_an_organiser_sends_one_again(
    dispatcher: Dispatcher, demo_event: Event, receiver: MailService
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina", language="en")
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    await asyncio.to_thread(send, port_of(receiver), list_mail())
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)

    listed = await amina.send("/lists")
    assert "Zero draft: our joint comments" in listed
    assert not [c for c in amina.choices if c.data.startswith("mail:again")]  # organisers only
    assert "the zero draft is out" in await amina.press("Read #")

    await olga.send("/lists")
    assert "Send “Zero draft: our joint comments” again to 1 participant?" in await olga.press(
        "Re-send #"
    )
    assert "on its way again" in await olga.press("Yes, send it again")
    await deliver_all(dispatcher, inboxes)
    assert len(inboxes.received[amina.external_id]) == 2


async def test_mail_that_cannot_be_read_is_kept_as_failed_and_organisers_see_why(
    dispatcher: Dispatcher, demo_event: Event, receiver: MailService, sessions: SessionFactory
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    empty = list_mail(subject="", body="", message_id="<empty@example.org>")
    await asyncio.to_thread(send, port_of(receiver), empty)  # accepted: kept, not lost
    async with sessions() as db:
        kept = (await db.execute(select(MailMessage))).scalar_one()
        assert kept.status == MailStatus.FAILED and kept.reason and kept.raw
        assert await db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert "not relayed:" in await olga.send("/lists")


CORPUS = sorted((Path(__file__).parent / "data" / "mail").glob("*.eml"))
NOT_THE_LISTS = {"other-list.eml", "not-mail.eml"}
# The corpus's lists: the Action Committee's, and its copy on Google Groups.
CORPUS_SETTINGS = MailSettings(list_ids=(LIST_ID, "actioncommittee.googlegroups.com"))
MOJIBAKE = ("Ã©", "Ã¡", "â€™", "â€œ", "\ufffd", "=C3=", "=E9")


@pytest.mark.parametrize("path", CORPUS, ids=[path.name for path in CORPUS])
async def test_each_corpus_message_is_relayed_readably_or_kept_as_failed_with_a_reason(
    path: Path, dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    reader = await registered(dispatcher, demo_event.id, "Amina", language="fr")
    async with sessions() as db:
        event = await db.get_one(Event, demo_event.id)
        raw = await asyncio.to_thread(path.read_bytes)
        outcome = await relay.ingest(db, event, CORPUS_SETTINGS, raw, dispatcher.clock.now())
        await db.commit()
    if path.name in NOT_THE_LISTS:
        assert outcome.refused and not outcome.relayed
        return
    assert outcome.refused is None
    if outcome.failed is not None:
        async with sessions() as db:
            kept = (await db.execute(select(MailMessage))).scalar_one()
            assert kept.status == MailStatus.FAILED and kept.reason and kept.raw
        return
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    received = inboxes.received[reader.external_id]
    assert len(received) == len(outcome.relayed) >= 1
    for text in received:
        assert "Liste de diffusion" in text and "Objet :" in text
        assert not any(bad in text for bad in MOJIBAKE), text
        assert "<html" not in text.lower() and "<div" not in text.lower()
        assert "listinfo" not in text  # the list's footer is trimmed


async def test_mail_read_from_an_imap_mailbox_is_relayed_once(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    amina = await registered(dispatcher, demo_event.id, "Amina", language="en")
    mailbox = FakeImap()
    await mailbox.start()
    imap = ImapSettings("127.0.0.1", USER, PASSWORD, port=mailbox.port, tls=False)
    settings = MailSettings(list_ids=(LIST_ID,), imap=imap)
    service = MailService(MailIntake(dispatcher.sessions, dispatcher.clock, settings, None))
    try:
        mailbox.deliver(list_mail().as_bytes())
        mailbox.deliver(list_mail(list_id="<other.lists.example.net>").as_bytes())
        await service.start()
        await eventually(lambda: len(mailbox.seen()) == 2, within=30, what="both mails seen")
        mailbox.deliver(list_mail().as_bytes())  # the same message, delivered again
        await eventually(lambda: len(mailbox.seen()) == 3, within=30, what="the third seen")
    finally:
        await service.stop()
        await mailbox.stop()
    assert len(mailbox.seen()) == 3
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [received] = inboxes.received[amina.external_id]
    assert "Zero draft: our joint comments" in received
