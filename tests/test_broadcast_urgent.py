"""Urgent broadcasts at Telegram's paid rate (opt-in): the preview says how much faster and
what it costs at most; sent urgently, as many messages as the cap pays for go with
`allow_paid_broadcast` (paced at the paid rate), the rest at the free rate, none refused; not
offered, and refused if forged, when the deployment does not allow it."""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event, OutboxMessage, Role
from bot.paid_broadcasts import PaidBroadcasts
from bot.platforms.telegram import TelegramAdapter
from bot.platforms.telegram_settings import PLATFORM, TelegramSettings
from handlers import build_router
from tests.support.chat import ChatUser, registered
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.outbox import deliver_all
from tests.support.population import add_telegram_participants

READERS = 300
CAP = 20  # Stars: 200 messages at 0.1 each
BUSES = "/broadcast everyone\nEN: The buses leave now from the main entrance."


async def _meeting(
    sessions: SessionFactory, clock: SimulatedClock, event: Event, paid: PaidBroadcasts | None
) -> tuple[Dispatcher, ChatUser, ChatUser]:
    dispatcher = Dispatcher(build_router(), sessions, clock, paid_broadcasts=paid)
    async with sessions() as db:
        await add_telegram_participants(db, event.id, READERS, first_chat_id=50_000)
        await db.commit()
    olga = await registered(dispatcher, event.id, "Olga", Role.ORGANISER)
    emma = await registered(dispatcher, event.id, "Emma")
    return dispatcher, olga, emma


async def test_an_urgent_broadcast_pays_for_as_many_messages_as_its_cap_allows(
    sessions: SessionFactory,
    clock: SimulatedClock,
    demo_event: Event,
    fake_telegram: FakeTelegram,
) -> None:
    dispatcher, olga, emma = await _meeting(sessions, clock, demo_event, PaidBroadcasts(CAP))
    preview = await olga.send(BUSES)
    assert "⚡ Urgent: 200 of the 300 Telegram messages at Telegram's paid rate" in preview
    assert "in about 4 seconds instead of 10 seconds" in preview
    assert "at most 20 Stars from the bot's balance (the limit for one broadcast is 20)" in preview
    [urgent] = [c.data for c in olga.choices if c.label == "⚡ Send urgently (at most 20 Stars)"]
    assert "Only organisers" in await emma.press_unseen(urgent)  # the role is checked
    assert "queued for 302 recipients" in await olga.press_data(urgent)

    fake_telegram.enforce_limits = True
    settings = TelegramSettings(token=TOKEN, api_url=fake_telegram.url, paid_broadcast_stars=CAP)
    adapter = TelegramAdapter(settings, dispatcher)
    await adapter.start()
    try:
        await deliver_all(dispatcher, adapter, PLATFORM)
    finally:
        await adapter.stop()
    sent = fake_telegram.of("sendMessage")
    assert len(sent) == READERS and len({call.params["chat_id"] for call in sent}) == READERS
    assert fake_telegram.paid == 200  # the cap: 20 Stars
    assert fake_telegram.refused == 0  # no 429, at either rate


async def test_without_paid_broadcasts_urgent_is_neither_offered_nor_taken(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    _dispatcher, olga, _emma = await _meeting(sessions, clock, demo_event, None)
    preview = await olga.send(BUSES)
    assert "Urgent" not in preview
    # Only the data saver's urgency (not Telegram's paid rate: tests/test_data_saver.py).
    at_once = "🔔 Urgent: also to those in data-saver mode at once"
    assert [c.label for c in olga.choices] == ["Send", "Cancel", at_once]
    assert "no longer works" in await olga.press_unseen("broadcast:urgent:1")
    async with sessions() as db:
        assert not (await db.execute(select(OutboxMessage.id))).first()
