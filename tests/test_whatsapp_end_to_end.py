"""A delegate on WhatsApp, end to end: the WhatsApp adapter's real HTTP (its webhook, signed by
the fake Graph API; the Cloud API calls, through aiohttp) against the strict fake of
tests/support/fake_whatsapp.py, with the database on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.models import Event, OutboxMessage, OutboxStatus, Participant, Role
from bot.people import invitations
from bot.platforms import Deliverer
from bot.reminders import queue_due
from handlers import build_notices
from tests.support.demo import DEMO_FILE, MEETING_ZONE
from tests.support.factories import make_participant
from tests.support.fake_whatsapp import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    FakeWhatsApp,
    Sent,
    serving_whatsapp,
)
from tests.support.processes import environment, free_port, run, start, stop

AMINA = "5213312345678"  # a Mexican number; she reads Spanish, which no number tells


async def invited(
    dispatcher: Dispatcher, event: Event, name: str, role: Role = Role.CIVIL_SOCIETY
) -> tuple[int, str]:
    """A registered participant with a fresh invitation code: their id and the code."""
    async with dispatcher.sessions() as db:
        person = await make_participant(db, event.id, dispatcher.clock.now(), role=role, name=name)
        code = invitations.issue(person, dispatcher.clock.now())
        await db.commit()
        return person.id, code


async def deliver_everything(dispatcher: Dispatcher, deliverers: dict[str, Deliverer]) -> None:
    """The delivery worker's passes until nothing is due."""
    worker = DeliveryWorker(dispatcher.sessions, dispatcher.clock, build_notices(), deliverers)
    while await worker.deliver_due():
        pass


async def outbox_rows(sessions: SessionFactory, participant_id: int) -> list[OutboxMessage]:
    async with sessions() as db:
        query = select(OutboxMessage).where(OutboxMessage.participant_id == participant_id)
        return list((await db.execute(query.order_by(OutboxMessage.id))).scalars())


def button_titles(sent: Sent) -> list[str]:
    return [title for _id, title in FakeWhatsApp.buttons_of(sent)]


async def test_a_delegate_links_by_code_reads_the_agenda_in_spanish_and_gets_a_template_next_day(
    dispatcher: Dispatcher,
    clock: SimulatedClock,
    demo_event: Event,
    fake_whatsapp: FakeWhatsApp,
) -> None:
    amina, code = await invited(dispatcher, demo_event, "Amina Diallo")
    async with serving_whatsapp(fake_whatsapp, dispatcher) as adapter:
        # The wa.me link of her invitation pre-fills the code: her first message.
        assert (await fake_whatsapp.send_text(AMINA, code)).status == 200
        [welcome] = await fake_whatsapp.wait_sent(AMINA)
        assert "Amina Diallo" in fake_whatsapp.texts_to(AMINA)[0]
        # No language is guessed from her number: she is asked, with three reply buttons.
        assert welcome.type == "interactive"
        assert button_titles(welcome) == ["English", "Français", "Español"]

        [(spanish, _title)] = [b for b in fake_whatsapp.buttons_of(welcome) if b[1] == "Español"]
        await fake_whatsapp.press_button(AMINA, spanish, "Español")
        await fake_whatsapp.wait_sent(AMINA, 2)
        assert "español" in fake_whatsapp.texts_to(AMINA)[1]

        # A command without its slash, as people type on a phone.
        await fake_whatsapp.send_text(AMINA, "programa")
        sent = await fake_whatsapp.wait_sent(AMINA, 3)
        agenda = "\n".join(fake_whatsapp.texts_to(AMINA)[2:])
        assert "Registro y café" in agenda and "*" in agenda  # bold as WhatsApp writes it
        assert any(s.type == "interactive" and fake_whatsapp.buttons_of(s) for s in sent[2:])
        assert all(code != 131047 for _body, code in fake_whatsapp.refused)

        # The next morning, more than 24 hours after her last message: the reminder of the
        # day's opening goes as the approved template, in Spanish.
        clock.set(datetime(2017, 12, 3, 8, 50, tzinfo=MEETING_ZONE))
        async with dispatcher.sessions() as db:
            assert await queue_due(db, demo_event.id, clock.now(), adapter.rate)
            await db.commit()
        before = len(fake_whatsapp.accepted)
        await deliver_everything(dispatcher, {"whatsapp": adapter})
        reminders = (await fake_whatsapp.wait_sent(AMINA, before + 1))[before:]
        assert [s.type for s in reminders] == ["template"] * len(reminders)
        template = reminders[0].body["template"]
        assert (template["name"], template["language"]["code"]) == ("coordbot_reminder", "es")
        reminder_text = fake_whatsapp.texts_to(AMINA)[before]
        assert reminder_text.startswith("Recordatorio de la reunión: ⏰")
        assert "Informe del primer día" in reminder_text
        assert not fake_whatsapp.refused

        # Its receipts, posted signed by the fake, are recorded on the outbox row.
        wamid = reminders[0].wamid
        await fake_whatsapp.wait_status(wamid, "delivered")
        await fake_whatsapp.read(wamid)
        [row] = [r for r in await outbox_rows(dispatcher.sessions, amina) if r.kind == "reminder"]
        assert (row.status, row.platform, row.platform_message_id) == (
            OutboxStatus.DELIVERED,
            "whatsapp",
            wamid,
        )
        assert row.receipt == "read"


async def test_a_notice_with_no_template_waits_for_the_next_message_then_goes_free_form(
    dispatcher: Dispatcher,
    clock: SimulatedClock,
    demo_event: Event,
    fake_whatsapp: FakeWhatsApp,
) -> None:
    amina, code = await invited(dispatcher, demo_event, "Amina Diallo")
    async with serving_whatsapp(fake_whatsapp, dispatcher) as adapter:
        await fake_whatsapp.send_text(AMINA, code)
        await fake_whatsapp.wait_sent(AMINA)
        clock.advance(timedelta(hours=30))
        # A notice no template carries: the approval of her request to join a group.
        from bot.delivery import outbox
        from bot.groups import GroupRequestApproved

        async with dispatcher.sessions() as db:
            notice = GroupRequestApproved(group={"en": "Labour rights", "es": "Derechos laborales"})
            await outbox.enqueue(db, "test:approved", amina, notice, clock.now())
            await db.commit()
        await deliver_everything(dispatcher, {"whatsapp": adapter})
        [held] = await outbox_rows(dispatcher.sessions, amina)
        assert (held.status, held.held_for) == (OutboxStatus.PENDING, "whatsapp")
        assert held.not_before > clock.now() and held.attempts == 0
        assert len(fake_whatsapp.accepted) == 1 and not fake_whatsapp.refused  # never sent

        # She writes: the window opens, and the held notice is due at once.
        await fake_whatsapp.send_text(AMINA, "hola")
        await fake_whatsapp.wait_sent(AMINA, 2)
        await deliver_everything(dispatcher, {"whatsapp": adapter})
        await fake_whatsapp.wait_sent(AMINA, 3)
        [row] = await outbox_rows(dispatcher.sessions, amina)
        assert row.status == OutboxStatus.DELIVERED
        assert "Labour rights" in fake_whatsapp.texts_to(AMINA)[2]  # she chose no language


async def test_the_webhook_checks_the_verify_token_and_every_signature_and_handles_a_replay_once(
    dispatcher: Dispatcher, demo_event: Event, fake_whatsapp: FakeWhatsApp
) -> None:
    _amina, code = await invited(dispatcher, demo_event, "Amina Diallo")
    async with serving_whatsapp(fake_whatsapp, dispatcher):
        assert await fake_whatsapp.verify(VERIFY_TOKEN, "8765") == (200, "8765")
        assert (await fake_whatsapp.verify("not-the-token-at-all"))[0] == 403

        await fake_whatsapp.send_text(AMINA, code)
        await fake_whatsapp.wait_sent(AMINA)
        body = fake_whatsapp.last_body
        assert body is not None
        # The same delivery again (Meta did not get our 200 in time): answered 200, handled once.
        assert await fake_whatsapp.replay() == 200
        # Forged: another secret's signature, none, or the right one over other bytes.
        forged = body.replace(code.encode(), b"/agenda")
        assert await fake_whatsapp.post_raw(forged, fake_whatsapp.sign(body)) == 401
        assert await fake_whatsapp.post_raw(forged, None) == 401
        other = FakeWhatsApp(app_secret=APP_SECRET + "x")
        assert await fake_whatsapp.post_raw(forged, other.sign(forged)) == 401
        # A message after them all is answered: nothing before it was handled twice.
        await fake_whatsapp.send_text(AMINA, "/help")
        await fake_whatsapp.wait_sent(AMINA, 2)
        texts = fake_whatsapp.texts_to(AMINA)
        assert len(texts) == 2 and "Amina" in texts[0] and "/agenda" in texts[1]
        async with dispatcher.sessions() as db:
            person = (await db.execute(select(Participant))).scalars().first()
            assert person is not None


async def until_logged(bot: asyncio.subprocess.Process, words: str, within: float = 60) -> str:
    """The log of a running `coordbot run` up to the line holding `words`."""
    assert bot.stderr is not None
    seen: list[str] = []
    async with asyncio.timeout(within):
        while words not in (line := (await bot.stderr.readline()).decode()):
            assert line, "".join(seen)  # it ended before
            seen.append(line)
    return "".join(seen) + line


async def test_coordbot_run_serves_whatsapp_and_says_when_meta_refuses_the_token(
    fake_whatsapp: FakeWhatsApp, tmp_path: Path
) -> None:
    env = environment(tmp_path / "coordbot.sqlite3")
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    port = free_port()
    env |= {
        "WHATSAPP_ACCESS_TOKEN": "EAAG-not-the-right-token",
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_URL": fake_whatsapp.url,
        "WHATSAPP_PORT": str(port),
        "HEALTH_PORT": "0",
    }
    status, _out, err = await run(env, "run")
    assert status == 1
    assert "WhatsApp refused the access token" in err
    assert "Traceback" not in err and "not-the-right-token" not in err

    env["WHATSAPP_ACCESS_TOKEN"] = ACCESS_TOKEN
    bot = await start(env, "--verbose", "run", "--at", "2017-12-02 08:10")
    try:
        started = await until_logged(bot, "WhatsApp: running")
        fake_whatsapp.webhook_url = f"http://127.0.0.1:{port}/whatsapp"
        assert await fake_whatsapp.verify(VERIFY_TOKEN, "31337") == (200, "31337")
        await fake_whatsapp.send_text(AMINA, "/agenda")
        await fake_whatsapp.wait_sent(AMINA, within=30)
        assert "Registration and coffee" in "\n".join(fake_whatsapp.texts_to(AMINA))
    finally:
        log = started + await stop(bot)
    assert ACCESS_TOKEN not in log and APP_SECRET not in log and VERIFY_TOKEN not in log


async def test_a_first_hello_from_an_unknown_number_gets_the_welcome_and_the_language_asked(
    dispatcher: Dispatcher, demo_event: Event, fake_whatsapp: FakeWhatsApp
) -> None:
    async with serving_whatsapp(fake_whatsapp, dispatcher):
        await fake_whatsapp.send_text(AMINA, "Hola")
        [welcome] = await fake_whatsapp.wait_sent(AMINA)
        assert "👋" in fake_whatsapp.texts_to(AMINA)[0]
        assert button_titles(welcome) == ["English", "Français", "Español"]
        # From then on, plain text is plain text (the bot says what it answers).
        await fake_whatsapp.send_text(AMINA, "Hola otra vez")
        await fake_whatsapp.wait_sent(AMINA, 2)
        assert "/help" in fake_whatsapp.texts_to(AMINA)[1]
