"""WhatsApp among the other platforms, and within its limits: a broadcast reaches a reader on
each of the three platforms at once, each in their language; a notice WhatsApp may not send
goes to the person's other app; the pair rate limit, throughput refusals, an undeliverable
number and a refusal reported late are handled as Telegram's 429 and blocked are."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.chat import Image, Reply, Sender
from bot.clock import SimulatedClock
from bot.delivery import digest, outbox
from bot.delivery.worker import NotNow, Unreachable
from bot.dispatcher import Dispatcher
from bot.groups import GroupRequestApproved
from bot.models import Event, OutboxStatus, Participant, Role
from bot.people import participants
from bot.platforms.slack import SlackAdapter
from bot.platforms.telegram import TelegramAdapter
from bot.platforms.whatsapp import WhatsAppAdapter
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.fake_slack import FakeSlack
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_whatsapp import FakeWhatsApp, serving_whatsapp
from tests.test_whatsapp_end_to_end import deliver_everything, invited, outbox_rows

AMINA = "5213312345678"
BRUNO = "5491145678901"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
BUSES = (
    "/broadcast everyone\nEN: The buses leave at 8:45.\nFR: Les bus partent à 8 h 45.\n"
    "ES: Los autobuses salen a las 8:45."
)


async def linked_on_whatsapp(
    fake: FakeWhatsApp, dispatcher: Dispatcher, event: Event, wa_id: str, name: str, language: str
) -> int:
    """A participant who linked WhatsApp by their code and chose `language` with its button."""
    person, code = await invited(dispatcher, event, name)
    await fake.send_text(wa_id, code, name=name)
    [welcome] = await fake.wait_sent(wa_id)
    label = {"en": "English", "fr": "Français", "es": "Español"}[language]
    [(data, _title)] = [b for b in fake.buttons_of(welcome) if b[1] == label]
    await fake.press_button(wa_id, data, label, name=name)
    await fake.wait_sent(wa_id, 2)
    return person


async def also_on_telegram(dispatcher: Dispatcher, person: int, chat_id: str) -> None:
    """The person's Telegram account, linked to them as well."""
    async with dispatcher.sessions() as db:
        account = await participants.identity_for(
            db, "telegram", Sender(chat_id, "Amina"), dispatcher.clock.now()
        )
        participants.link(account, await db.get_one(Participant, person))
        await db.commit()


async def test_a_broadcast_reaches_whatsapp_telegram_and_slack_at_once_each_in_their_language(
    dispatcher: Dispatcher,
    clock: SimulatedClock,
    demo_event: Event,
    telegram: TelegramAdapter,
    fake_telegram: FakeTelegram,
    slack: SlackAdapter,
    fake_slack: FakeSlack,
    whatsapp: WhatsAppAdapter,
    fake_whatsapp: FakeWhatsApp,
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    fatou = ChatUser(dispatcher, external_id="4242", platform="telegram")
    await link_to_new_participant(fatou, Role.CIVIL_SOCIETY, demo_event.id, language="fr")
    lucia = ChatUser(dispatcher, external_id="U123", platform="slack")
    await link_to_new_participant(lucia, Role.CIVIL_SOCIETY, demo_event.id, language="en")
    # Bruno wrote yesterday (his window has closed); Amina writes now.
    await linked_on_whatsapp(fake_whatsapp, dispatcher, demo_event, BRUNO, "Bruno", "es")
    clock.advance(timedelta(hours=25))
    await linked_on_whatsapp(fake_whatsapp, dispatcher, demo_event, AMINA, "Amina", "es")

    await olga.send(BUSES)
    assert "queued for 5 recipients" in await olga.press("Send")
    await deliver_everything(
        dispatcher, {"telegram": telegram, "slack": slack, "whatsapp": whatsapp}
    )

    [to_fatou] = [c for c in await fake_telegram.wait_for("sendMessage") if c.params["chat_id"]]
    assert "Les bus partent à 8 h 45." in to_fatou.params["text"]
    [to_lucia] = await fake_slack.wait_for("chat.postMessage")
    assert "The buses leave at 8:45." in to_lucia.params["text"]
    amina = await fake_whatsapp.wait_sent(AMINA, 3)
    assert amina[2].type == "text"  # within her window: as written
    assert "Los autobuses salen a las 8:45." in fake_whatsapp.texts_to(AMINA)[2]
    bruno = await fake_whatsapp.wait_sent(BRUNO, 3)
    assert bruno[2].type == "template"  # outside his: the approved template
    assert bruno[2].body["template"]["name"] == "coordbot_broadcast"
    assert fake_whatsapp.texts_to(BRUNO)[2].startswith(
        "Mensaje del equipo organizador de la reunión: 📢 Los autobuses salen a las 8:45."
    )
    assert not fake_whatsapp.refused


async def test_a_notice_whatsapp_may_not_send_goes_to_the_persons_telegram(
    dispatcher: Dispatcher,
    clock: SimulatedClock,
    demo_event: Event,
    telegram: TelegramAdapter,
    fake_telegram: FakeTelegram,
    whatsapp: WhatsAppAdapter,
    fake_whatsapp: FakeWhatsApp,
) -> None:
    person = await linked_on_whatsapp(fake_whatsapp, dispatcher, demo_event, AMINA, "Amina", "es")
    await also_on_telegram(dispatcher, person, "4242")
    async with dispatcher.sessions() as db:  # WhatsApp chosen
        amina = await db.get_one(Participant, person)
        assert await participants.choose_notify_platform(db, amina, "whatsapp")
        await db.commit()
    clock.advance(timedelta(hours=30))
    async with dispatcher.sessions() as db:
        notice = GroupRequestApproved(group={"en": "Labour rights", "es": "Derechos laborales"})
        await outbox.enqueue(db, "test:approved", person, notice, clock.now())
        await db.commit()
    await deliver_everything(dispatcher, {"telegram": telegram, "whatsapp": whatsapp})

    sent = await fake_telegram.messages(
        lambda c: c.method == "sendMessage" and "Derechos laborales" in str(c.params["text"])
    )
    assert sent
    [row] = [r for r in await outbox_rows(dispatcher.sessions, person) if r.key == "test:approved"]
    assert (row.status, row.platform, row.held_for) == (
        OutboxStatus.DELIVERED,
        "telegram",
        "whatsapp",
    )
    assert len(fake_whatsapp.accepted) == 2 and not fake_whatsapp.refused


async def test_the_pair_rate_limit_and_throughput_are_kept_and_their_refusals_waited_out(
    dispatcher: Dispatcher,
    demo_event: Event,
    whatsapp: WhatsAppAdapter,
    fake_whatsapp: FakeWhatsApp,
) -> None:
    await linked_on_whatsapp(fake_whatsapp, dispatcher, demo_event, AMINA, "Amina", "es")
    # Six messages at once to one person: after the burst, one per pair interval; none refused.
    ids = [await whatsapp.deliver(AMINA, Reply(f"Message {n}")) for n in range(6)]
    assert len(set(ids)) == 6 and not fake_whatsapp.refused
    times = [s.at for s in fake_whatsapp.accepted]  # the fake's clock stands still: count only
    assert len(times) == 8
    # WhatsApp says too fast anyway (its own count), or the number's throughput is reached:
    # waited out and sent, as a 429 is on Telegram.
    fake_whatsapp.fail_next(131056)
    fake_whatsapp.fail_next(130429)
    assert await whatsapp.deliver(AMINA, Reply("After the limits"))
    assert [code for _body, code in fake_whatsapp.refused] == [131056, 130429]
    assert fake_whatsapp.texts_to(AMINA)[-1] == "After the limits"


async def test_an_undeliverable_number_is_unreachable_and_a_late_refusal_is_sent_again(
    dispatcher: Dispatcher,
    clock: SimulatedClock,
    demo_event: Event,
    whatsapp: WhatsAppAdapter,
    fake_whatsapp: FakeWhatsApp,
) -> None:
    person = await linked_on_whatsapp(fake_whatsapp, dispatcher, demo_event, AMINA, "Amina", "es")
    fake_whatsapp.fail_next(131026)
    with pytest.raises(Unreachable):
        await whatsapp.deliver(AMINA, Reply("Hello"))

    # Meta took a notice, then reports 131047: her window had closed. The row is due again
    # and goes as the template (no free-form message against the rule).
    async with dispatcher.sessions() as db:
        notice = GroupRequestApproved(group={"en": "Labour rights", "es": "Derechos laborales"})
        await outbox.enqueue(db, "test:late", person, notice, clock.now())
        await db.commit()
    await deliver_everything(dispatcher, {"whatsapp": whatsapp})
    [row] = [r for r in await outbox_rows(dispatcher.sessions, person) if r.key == "test:late"]
    assert row.status == OutboxStatus.DELIVERED and row.platform_message_id
    assert await fake_whatsapp.fail_later(row.platform_message_id, 131047) == 200
    [row] = [r for r in await outbox_rows(dispatcher.sessions, person) if r.key == "test:late"]
    assert (row.status, row.receipt) == (OutboxStatus.PENDING, None)
    assert "131047" in (row.error or "")
    await deliver_everything(dispatcher, {"whatsapp": whatsapp})
    [row] = [r for r in await outbox_rows(dispatcher.sessions, person) if r.key == "test:late"]
    # No template carries this kind: held for her next message, not sent against the rule.
    assert (row.status, row.held_for) == (OutboxStatus.PENDING, "whatsapp")
    with pytest.raises(NotNow):
        await whatsapp.deliver(AMINA, Reply("x", notice="group_request_approved", language="es"))


async def test_pictures_are_uploaded_and_sent_by_their_media_id(
    dispatcher: Dispatcher,
    demo_event: Event,
    whatsapp: WhatsAppAdapter,
    fake_whatsapp: FakeWhatsApp,
) -> None:
    await linked_on_whatsapp(fake_whatsapp, dispatcher, demo_event, AMINA, "Amina", "es")
    reply = Reply("<b>Results</b>", images=(Image(PNG, "Votes per choice", "chart.png"),))
    await whatsapp.deliver(AMINA, reply)
    text, image = (await fake_whatsapp.wait_sent(AMINA, 4))[2:]
    assert text.body["text"]["body"] == "*Results*"
    media = image.body["image"]["id"]
    assert fake_whatsapp.uploads[media].data == PNG
    assert image.body["image"]["caption"] == "Votes per choice"


async def test_a_number_reported_undeliverable_later_is_unreachable_until_it_writes_again(
    dispatcher: Dispatcher,
    demo_event: Event,
    whatsapp: WhatsAppAdapter,
    fake_whatsapp: FakeWhatsApp,
) -> None:
    await linked_on_whatsapp(fake_whatsapp, dispatcher, demo_event, AMINA, "Amina", "es")

    async def reachable() -> bool:
        async with dispatcher.sessions() as db:
            account = await participants.identity_for(
                db, "whatsapp", Sender(AMINA), dispatcher.clock.now()
            )
            return account.reachable

    fake_whatsapp.unreachable.add(AMINA)  # Meta takes the message, then reports it failed
    wamid = await whatsapp.deliver(AMINA, Reply("Hello"))
    assert wamid is not None
    await fake_whatsapp.wait_status(wamid, "failed")
    assert not await reachable()

    fake_whatsapp.unreachable.discard(AMINA)
    await fake_whatsapp.send_text(AMINA, "/help")
    await fake_whatsapp.wait_sent(AMINA, 4)
    assert await reachable()


async def test_a_message_to_a_process_without_the_role_is_answered_once_by_the_holder(
    dispatcher: Dispatcher,
    demo_event: Event,
    whatsapp: WhatsAppAdapter,
    fake_whatsapp: FakeWhatsApp,
) -> None:
    holder_url = fake_whatsapp.webhook_url
    async with serving_whatsapp(fake_whatsapp, dispatcher) as other:
        await other.leave_role()  # another process: it serves the webhook, and only stores
        await fake_whatsapp.send_text(AMINA, "/help")  # Meta's request reaches it
        [answer] = await fake_whatsapp.wait_sent(AMINA)
        assert "/agenda" in fake_whatsapp.texts_to(AMINA)[0]
        assert await fake_whatsapp.replay() == 200  # again, to the other process
        fake_whatsapp.webhook_url = holder_url
        assert await fake_whatsapp.replay() == 200  # and to the holder
        await fake_whatsapp.send_text(AMINA, "/help")
        await fake_whatsapp.wait_sent(AMINA, 2)
        assert len(fake_whatsapp.accepted) == 2  # each message answered once
        assert answer.wamid != fake_whatsapp.accepted[1].wamid


async def test_notify_whatsapp_makes_it_the_app_where_notices_arrive(
    dispatcher: Dispatcher,
    demo_event: Event,
    telegram: TelegramAdapter,
    fake_telegram: FakeTelegram,
    whatsapp: WhatsAppAdapter,
    fake_whatsapp: FakeWhatsApp,
) -> None:
    person = await linked_on_whatsapp(fake_whatsapp, dispatcher, demo_event, AMINA, "Amina", "es")
    await also_on_telegram(dispatcher, person, "4242")
    on_telegram = ChatUser(dispatcher, external_id="4242", platform="telegram")
    # She used Telegram last; she chooses WhatsApp, in Spanish as she reads.
    assert "WhatsApp" in await on_telegram.send("/notificar whatsapp")
    async with dispatcher.sessions() as db:
        assert (await db.get_one(Participant, person)).notify_platform == "whatsapp"
        notice = GroupRequestApproved(group={"en": "Labour rights", "es": "Derechos laborales"})
        await outbox.enqueue(db, "test:notify", person, notice, dispatcher.clock.now())
        await db.commit()
    await deliver_everything(dispatcher, {"telegram": telegram, "whatsapp": whatsapp})
    await fake_whatsapp.wait_sent(AMINA, 3)
    assert "Derechos laborales" in fake_whatsapp.texts_to(AMINA)[2]
    assert not fake_telegram.of("sendMessage")


async def test_a_data_saver_digest_outside_the_window_goes_as_its_template(
    dispatcher: Dispatcher,
    clock: SimulatedClock,
    demo_event: Event,
    whatsapp: WhatsAppAdapter,
    fake_whatsapp: FakeWhatsApp,
) -> None:
    """Bruno reads WhatsApp in data-saver mode and last wrote two days ago: the broadcast
    waits for his digest, which leaves at his hour as the approved template."""
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    await linked_on_whatsapp(fake_whatsapp, dispatcher, demo_event, BRUNO, "Bruno", "es")
    await fake_whatsapp.send_text(BRUNO, "/ahorro sí 20", name="Bruno")
    await fake_whatsapp.wait_sent(BRUNO, 3)
    clock.advance(timedelta(days=2))
    await olga.send(BUSES)
    await olga.press("Send")
    await deliver_everything(dispatcher, {"whatsapp": whatsapp})
    assert len(fake_whatsapp.texts_to(BRUNO)) == 3  # held for his digest

    local = clock.now().astimezone(ZoneInfo(demo_event.timezone))
    clock.set(local.replace(hour=20, minute=0) + timedelta(days=local.hour >= 20))
    async with dispatcher.sessions() as db:
        assert await digest.send_due(db, clock.now()) == 1
        await db.commit()
    await deliver_everything(dispatcher, {"whatsapp": whatsapp})
    [*_, sent] = await fake_whatsapp.wait_sent(BRUNO, 4)
    assert sent.type == "template" and sent.body["template"]["name"] == "coordbot_digest"
    text = fake_whatsapp.texts_to(BRUNO)[3]
    assert text.startswith("Su resumen diario de la reunión: 📰")
    assert "Los autobuses salen a las 8:45." in text
    assert not fake_whatsapp.refused
