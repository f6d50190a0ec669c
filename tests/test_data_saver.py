"""Data-saver mode (/lite, /econome, /ahorro): what is not urgent waits for one digest a day at
the delegate's hour, in her language; urgent notices still come at once; charts come as text
and a list message's attachments on request. Through the real worker and routine, on the
tests' clock."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select

from bot import inbox
from bot.app.scheduler import Scheduler
from bot.chat import Image, Reply
from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.delivery import outbox
from bot.dispatcher import Dispatcher
from bot.mail.service import MailService
from bot.models import Event, OutboxMessage, OutboxStatus, Participant, Role, Session
from bot.programme.load import ChangedSession, ChangeKind, ProgrammeChange
from bot.tables.seating import TablePromoted
from bot.text.charts import BAR_WIDTH
from bot.text.markup import to_plain
from tests.support.chat import ChatUser, registered
from tests.support.demo import MEETING_ZONE
from tests.support.mail import port_of
from tests.support.outbox import Inboxes, deliver_all
from tests.test_floor_polls import button, last_reply, moderator_of
from tests.test_mail_relay import list_mail, send
from tests.test_survey import answer_all, load_demo_survey


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2017, 12, day, hour, minute, tzinfo=MEETING_ZONE)


async def programme_change(
    dispatcher: Dispatcher, people: list[ChatUser], starts_at: datetime, key: str
) -> None:
    """A session of theirs moved half an hour later, told to each of `people` as the programme
    load tells them (the notice queued in the outbox)."""
    change = ChangedSession(
        kind=ChangeKind.MOVED,
        key=key,
        title={"en": "Small tables", "fr": "Petites tables", "es": "Mesas pequeñas"},
        old_start=starts_at,
        new_start=starts_at + timedelta(minutes=30),
        old_end=starts_at + timedelta(hours=1),
        new_end=starts_at + timedelta(hours=1, minutes=30),
    )
    notice = ProgrammeChange(timezone=str(MEETING_ZONE), changes=[change])
    async with dispatcher.sessions() as db:
        for user in people:
            query = select(Participant.id).where(Participant.name == user.external_id)
            person = (await db.execute(query)).scalar_one()
            now = dispatcher.clock.now()
            await outbox.enqueue(db, f"change:{key}:{person}", person, notice, now)
        await db.commit()


async def test_a_lite_delegate_gets_one_digest_at_her_hour_in_her_language(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    lucia = await registered(dispatcher, demo_event.id, "Lucia", language="es")
    ana = await registered(dispatcher, demo_event.id, "Ana")
    pedro = await registered(dispatcher, demo_event.id, "Pedro")
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    answer = await lucia.send("/ahorro sí 19")
    assert "Ahorro de datos: activado" in answer and "19:00" in answer
    for user in (lucia, ana, pedro):
        await user.send("/subscribe firewalls")
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    inboxes = Inboxes()

    clock.set(local(2, 9))
    await pedro.send("/post firewalls Draft ready for comments")
    await olga.send("/broadcast everyone\nEN: Badges at the Westin.\nES: Credenciales en el Westin")
    await olga.press("Send")
    await programme_change(dispatcher, [lucia, ana], local(3, 10), "d2-small-tables")
    await deliver_all(dispatcher, inboxes)
    assert len(inboxes.received["Ana"]) == 3  # not in data-saver mode: each at once
    clock.set(local(2, 18, 59))
    await deliver_all(dispatcher, inboxes)
    assert inboxes.received["Lucia"] == []  # nothing during the day

    clock.set(local(2, 19))
    await deliver_all(dispatcher, inboxes)
    [digest] = inboxes.received["Lucia"]  # exactly one message
    assert "Su resumen" in digest and "3 mensajes" in digest
    assert "Draft ready for comments" in digest  # the group post
    assert "Credenciales en el Westin" in digest  # the broadcast, in Spanish
    assert "Mesas pequeñas" in digest and "Hay cambios en el programa" in digest
    clock.set(local(2, 19, 5))
    await deliver_all(dispatcher, inboxes)
    assert len(inboxes.received["Lucia"]) == 1  # once a day

    # What comes after the digest waits for the next day's.
    await pedro.send("/post firewalls Second draft")
    await deliver_all(dispatcher, inboxes)
    assert len(inboxes.received["Lucia"]) == 1
    clock.set(local(3, 19))
    await deliver_all(dispatcher, inboxes)
    assert len(inboxes.received["Lucia"]) == 2 and "Second draft" in inboxes.received["Lucia"][1]


async def test_urgent_notices_reach_a_lite_delegate_at_once(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    lucia = await registered(dispatcher, demo_event.id, "Lucia", language="es")
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    await lucia.send("/lite on")
    clock.set(local(2, 9))
    inboxes = Inboxes()
    await olga.send("/broadcast everyone\nEN: The hall is closed.\nES: La sala está cerrada.")
    queued = await olga.press("Urgent: also to those in data-saver mode")
    assert "those in data-saver mode get it at once" in queued
    await programme_change(dispatcher, [lucia], local(2, 10, 30), "d1-soon")  # in 90 minutes
    await programme_change(dispatcher, [lucia], local(2, 14), "d1-later")  # in five hours
    await deliver_all(dispatcher, inboxes)
    received = inboxes.received["Lucia"]
    assert len(received) == 2
    assert any("La sala está cerrada" in message for message in received)
    assert any("10:30" in message for message in received)

    # The later session's change becomes urgent two hours before it starts.
    clock.set(local(2, 12))
    await deliver_all(dispatcher, inboxes)
    assert len(received) == 3 and "14:00" in received[2]


async def test_lite_off_releases_what_was_held_and_bad_input_is_answered(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    lucia = await registered(dispatcher, demo_event.id, "Lucia", language="es")
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    assert "No entendí “maybe”" in await lucia.send("/lite maybe")
    assert "No entendí “27”" in await lucia.send("/lite on 27")
    assert "desactivado" in await lucia.send("/ahorro")  # still off
    assert "a las 0:00" in await lucia.send("/lite 0")  # an hour (midnight), not "off"
    assert "desactivado" in lucia.read()
    shown = await lucia.send("/lite on 8pm")
    assert "activado" in shown and "20:00" in shown
    clock.set(local(2, 9))
    await olga.send("/broadcast everyone\nEN: Lunch is served.\nES: El almuerzo está servido.")
    await olga.press("Send")
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    assert inboxes.received["Lucia"] == []

    answer = await lucia.press("Desactivar")
    assert "está en camino" in answer and "desactivado" in answer
    await deliver_all(dispatcher, inboxes)
    [lunch] = inboxes.received["Lucia"]
    assert "El almuerzo está servido" in lunch


async def test_mydata_shows_the_data_saver_and_forget_clears_it(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    lucia = await registered(dispatcher, demo_event.id, "Lucia", language="es")
    assert "Ahorro de datos: desactivado" in await lucia.send("/misdatos")
    await lucia.send("/ahorro sí 20")
    assert "Ahorro de datos: activado, un resumen diario a las 20:00" in await lucia.send(
        "/misdatos"
    )
    await lucia.send("/olvidar")
    await lucia.press("Sí, borrar")
    async with dispatcher.sessions() as db:
        person = await db.execute(select(Participant).where(Participant.erased_at.is_not(None)))
        erased = person.scalar_one()
    assert (erased.lite, erased.digest_hour) == (False, None)


async def test_guests_must_register_first(dispatcher: Dispatcher, demo_event: Event) -> None:
    guest = ChatUser(dispatcher, external_id="guest")
    assert "Only registered participants" in await guest.send("/lite on")


async def test_a_poll_result_comes_as_a_text_table_in_data_saver_mode(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    mona = await moderator_of(dispatcher, demo_event, "Mona", "d1-opening")
    lucia = await registered(dispatcher, demo_event.id, "Lucia", language="es")
    ana = await registered(dispatcher, demo_event.id, "Ana")
    await lucia.send("/lite on")
    await mona.send("/poll\nen: Which topic? | Work | Climate\nes: ¿Qué tema? | Trabajo | Clima")
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    await lucia.press_unseen(button(last_reply(inboxes, lucia), "Clima"))
    await ana.press_unseen(button(last_reply(inboxes, ana), "Climate"))
    await mona.send("/poll close")
    await deliver_all(dispatcher, inboxes)  # a poll's result is not urgent: in the digest
    clock.set(local(2, 19))
    await deliver_all(dispatcher, inboxes)

    assert inboxes.replies["Ana"][-1].images  # a chart for Ana
    digest = inboxes.replies["Lucia"][-1]
    assert digest.images == () and inboxes.files["Lucia"] == []
    text = inboxes.received["Lucia"][-1]
    assert "Clima   ██████████ 2 (100 %)" in text and "Trabajo ░░░░░░░░░░ 0 (0 %)" in text


async def test_a_list_attachment_comes_on_request_and_only_to_its_addressee(
    dispatcher: Dispatcher, demo_event: Event, receiver: MailService, clock: SimulatedClock
) -> None:
    lucia = await registered(dispatcher, demo_event.id, "Lucia", language="es")
    ana = await registered(dispatcher, demo_event.id, "Ana")
    await lucia.send("/lite on")
    mail: EmailMessage = list_mail()
    mail.add_attachment(
        b"%PDF-1.4 zero draft", maintype="application", subtype="pdf", filename="zero-draft.pdf"
    )
    await asyncio.to_thread(send, port_of(receiver), mail)
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    assert inboxes.files["Ana"] == ["zero-draft.pdf"]
    clock.set(local(2, 19))
    await deliver_all(dispatcher, inboxes)
    [digest] = inboxes.replies["Lucia"]
    assert inboxes.files["Lucia"] == []
    assert "zero-draft.pdf" in inboxes.received["Lucia"][0]
    [files] = [choice.data for row in digest.choices for choice in row]

    lucia.last = [digest]
    await ana.press_unseen(files)
    assert ana.last[0].documents == ()  # nothing of hers for another person
    await lucia.press_unseen(files)
    assert [document.name for document in lucia.last[0].documents] == ["zero-draft.pdf"]


async def test_the_survey_results_come_as_text_tables_to_a_lite_organiser(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    key = await load_demo_survey(dispatcher, demo_event)
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    omar = await registered(dispatcher, demo_event.id, "Omar", Role.ORGANISER)
    await olga.send(f"/survey open {key}")
    for number in range(3):
        person = await registered(dispatcher, demo_event.id, f"P{number}")
        await answer_all(person, number, await person.send("/survey"))
    await olga.send("/lite on")

    await omar.send(f"/results {key}")
    charts = [image for reply in omar.last for image in reply.images]
    assert len(charts) == 7
    shown = await olga.send(f"/results {key}")
    assert [image for reply in olga.last for image in reply.images] == []
    assert shown.count("░") + shown.count("█") >= 7 * BAR_WIDTH  # a table for each chart
    for chart in charts:  # the same figures: each chart's title, then its table
        assert chart.text and to_plain(chart.text) in shown


async def test_a_reminder_reaches_a_lite_delegate_at_once_and_expired_notices_are_dropped(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock, sessions: SessionFactory
) -> None:
    lucia = await registered(dispatcher, demo_event.id, "Lucia", language="es")
    await lucia.send("/lite on")
    async with sessions() as db:
        person = (await db.execute(select(Participant.id))).scalar_one()
        promoted = TablePromoted(act=3, table={"en": "Firewalls"}, round={"en": "Round 1"})
        stale = outbox.Message("promoted:1", person, promoted, expires_at=local(2, 12))
        await outbox.enqueue_many(db, [stale], clock.now())
        await db.commit()
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    assert inboxes.received["Lucia"] == []  # held for the digest

    opening = local(2, 8, 30)
    clock.set(opening - timedelta(minutes=15))  # the reminders' time
    async with sessions() as db:
        session_id = (
            await db.execute(select(Session.id).where(Session.key == "d1-opening"))
        ).scalar_one()
    assert await Scheduler(sessions, clock, rate=30.0).fire(session_id, 15) == 1
    await deliver_all(dispatcher, inboxes)
    [reminder] = inboxes.received["Lucia"]  # asked for with /remind: pointless later
    assert reminder.startswith("⏰ En 15 minutos: Bienvenida y plenaria de apertura")

    clock.set(local(2, 19))  # the table promotion expired at noon: no digest at all
    await deliver_all(dispatcher, inboxes)
    assert len(inboxes.received["Lucia"]) == 1
    async with sessions() as db:
        row = await db.execute(select(OutboxMessage).where(OutboxMessage.key == "promoted:1"))
        assert row.scalar_one().status == OutboxStatus.FAILED


def test_a_kept_reply_keeps_its_charts_text_and_an_older_one_still_reads() -> None:
    """The durable inbox keeps replies until they are sent: a chart's text alternative with
    them, and a reply kept by the version before it (no text) still reads."""
    chart = Image(b"\x89PNG", "Answers", "q1.png", text="<b>Answers</b>\n<code>Yes ██ 2</code>")
    [kept] = inbox.decode_replies(inbox.encode_replies([Reply("Results", images=(chart,))]))
    assert kept.images == (chart,)
    older = json.loads(inbox.encode_replies([Reply("Results", images=(chart,))]))
    older[0]["images"][0] = older[0]["images"][0][:3]
    [read] = inbox.decode_replies(json.dumps(older))
    assert read.images[0].text == "" and read.light().text == "Results"
