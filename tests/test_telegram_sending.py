"""Sending to Telegram fairly: one chat's burst costs only that chat, a person's reply passes the
bot's own queued messages, and our replies never draw a 429 from a fake as strict as Telegram
(30 messages in any second per bot, one a second per chat)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY

from bot.broadcasts import BroadcastMessage
from bot.chat import Reply
from bot.delivery import outbox
from bot.delivery.pacing import background
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.models import Event, Role
from bot.platforms.telegram import TelegramAdapter
from bot.platforms.telegram_settings import TelegramSettings
from bot.programme.meeting import current_event
from handlers import build_notices
from tests.support.chat import registered
from tests.support.fake_telegram import TOKEN, Call, FakeTelegram, text_message
from tests.support.population import add_telegram_participants

TELEGRAM = {"platform": "telegram"}

# What a user notices: an answer within a second, whatever another chat or the bot is doing,
# counted in messages, not in seconds: at most one second's worth of the others go first (the
# bot may send 30 a second, one a second to a chat).
BOT_SECOND = 30
# Where the database plays no part (sending, quoting), once is enough.
one_database = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def to(chat: int) -> Callable[[Call], bool]:
    return lambda call: call.method == "sendMessage" and call.params["chat_id"] == str(chat)


def sent_to(fake: FakeTelegram, chat: int) -> list[Call]:
    return [call for call in fake.calls if to(chat)(call)]


async def overtaken(
    fake: FakeTelegram, chat: int, others: Callable[[Call], bool], since: int
) -> int:
    """How many of the `others` left between `since` (a count of calls) and the reply to `chat`."""
    [reply] = await fake.messages(to(chat))
    return sum(1 for call in fake.calls[since : fake.calls.index(reply)] if others(call))


def broadcast_message(call: Call) -> bool:
    return call.method == "sendMessage" and call.params["chat_id"] != "42"


@one_database
async def test_a_burst_of_replies_to_one_chat_arrives_in_order_without_a_429(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    fake_telegram.enforce_limits = True
    await asyncio.gather(*(telegram.send(42, Reply(f"part {n}")) for n in range(5)))
    sent = fake_telegram.of("sendMessage")
    assert fake_telegram.refused == 0
    assert [call.params["text"] for call in sent] == [f"part {n}" for n in range(5)]


@one_database
async def test_one_chats_burst_does_not_delay_another_chats_reply(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    fake_telegram.enforce_limits = True
    burst = [asyncio.create_task(telegram.send(1, Reply(f"agenda {n}"))) for n in range(20)]
    await fake_telegram.messages(to(1), 2)  # chat 1 is being served at its pace
    since = len(fake_telegram.calls)
    await telegram.send(2, Reply("help"))
    assert await overtaken(fake_telegram, 2, to(1), since) <= 1  # a second of chat 1's pace
    assert len(sent_to(fake_telegram, 1)) < 20  # while chat 1's burst was still going out
    await asyncio.gather(*burst)
    assert fake_telegram.refused == 0


@one_database
async def test_a_429_for_one_chat_pauses_that_chat_only(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    refused_before = REGISTRY.get_sample_value("coordbot_rate_limited_total", TELEGRAM) or 0
    fake_telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)
    first = asyncio.gather(*(telegram.send(1, Reply(f"to chat 1, {n}")) for n in range(3)))
    await fake_telegram.messages(to(1))  # refused with a 429
    since = len(fake_telegram.calls)
    await telegram.send(2, Reply("to chat 2"))
    assert await overtaken(fake_telegram, 2, to(1), since) == 0  # chat 1 is still waiting
    await first
    to_chat_1 = sent_to(fake_telegram, 1)
    assert to_chat_1[1].at - to_chat_1[0].at >= 2  # chat 1 waited out its retry_after
    texts = [call.params["text"] for call in to_chat_1]  # and the refused message kept its place
    assert texts == ["to chat 1, 0", "to chat 1, 0", "to chat 1, 1", "to chat 1, 2"]
    # …and /metrics counted the 429.
    assert REGISTRY.get_sample_value("coordbot_rate_limited_total", TELEGRAM) == refused_before + 1


@one_database
async def test_429s_from_two_chats_pause_every_chat_and_no_burst_follows(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    fake_telegram.enforce_limits = True
    for _ in range(2):
        fake_telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", 1)
    chats = range(1, 61)
    await asyncio.gather(*(telegram.deliver(str(chat), Reply(f"notice {chat}")) for chat in chats))
    sent = fake_telegram.of("sendMessage")
    assert fake_telegram.refused == 0  # no burst when the pause ended
    assert sorted({int(call.params["chat_id"]) for call in sent}) == list(chats)
    # The bot as a whole was told to wait, and did (but for what was already on its way).
    second_429 = sent[1].at
    assert [call for call in sent[2:] if second_429 + 0.3 < call.at < second_429 + 1] == []


@one_database
async def test_a_reply_passes_the_bots_own_queued_messages(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    """A broadcast of 90 messages at 30 a second is three seconds of queue: a person's answer
    does not wait behind it."""
    fake_telegram.enforce_limits = True
    with background():
        broadcast = [
            asyncio.create_task(telegram.deliver(str(chat), Reply(f"broadcast {chat}")))
            for chat in range(1000, 1090)
        ]
    await fake_telegram.wait_for("sendMessage", 10)
    since = len(fake_telegram.calls)
    await telegram.send(42, Reply("help"))
    assert await overtaken(fake_telegram, 42, broadcast_message, since) <= BOT_SECOND
    await asyncio.gather(*broadcast)
    assert len(fake_telegram.of("sendMessage")) == 91
    assert fake_telegram.refused == 0


async def test_during_a_broadcast_a_persons_help_passes_the_queue(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter, dispatcher: Dispatcher
) -> None:
    """The delivery worker with 64 senders keeps two seconds of broadcast waiting for slots;
    /help does not queue behind them."""
    fake_telegram.enforce_limits = True
    clock = dispatcher.clock
    async with dispatcher.sessions() as db:
        event = await current_event(db)
        assert event is not None
        people = await add_telegram_participants(db, event.id, 200)
        notices = [
            outbox.Message(f"test:{person}", person, BroadcastMessage(texts={"en": "Buses"}))
            for person in people
        ]
        await outbox.enqueue_many(db, notices, clock.now())
        await db.commit()
    worker = DeliveryWorker(
        dispatcher.sessions,
        clock,
        build_notices(),
        {"telegram": telegram},
        concurrency=64,
    )
    stopping = asyncio.Event()
    delivering = asyncio.create_task(worker.run(stopping))
    try:
        await fake_telegram.messages(lambda call: "Buses" in call.params.get("text", ""), 30)
        since = len(fake_telegram.calls)
        await fake_telegram.push(text_message("/help"))
        assert await overtaken(fake_telegram, 42, broadcast_message, since) <= BOT_SECOND
        buses = [call for call in fake_telegram.of("sendMessage") if call.params["chat_id"] != "42"]
        assert len(buses) < len(people)  # answered while the broadcast was still going out
    finally:
        stopping.set()
        await delivering
    assert fake_telegram.refused == 0


@one_database
async def test_a_group_waits_for_its_minute_budget_without_holding_up_other_chats(
    fake_telegram: FakeTelegram, dispatcher: Dispatcher
) -> None:
    settings = TelegramSettings(token=TOKEN, api_url=fake_telegram.url, group_rate_per_minute=2)
    adapter = TelegramAdapter(settings, dispatcher)
    await adapter.start()
    try:
        fake_telegram.enforce_limits = True
        group = -100200
        posts = [asyncio.create_task(adapter.send(group, Reply(f"post {n}"))) for n in range(3)]
        await fake_telegram.messages(to(group), 2)  # the third waits for the group's minute
        since = len(fake_telegram.calls)
        await adapter.send(42, Reply("help"))
        assert await overtaken(fake_telegram, 42, to(group), since) == 0
        assert len(sent_to(fake_telegram, group)) == 2
        for post in posts:
            post.cancel()
        await asyncio.gather(*posts, return_exceptions=True)
    finally:
        await adapter.stop()
    assert fake_telegram.refused == 0


@pytest.mark.parametrize(
    "text",
    ["&" * 4096, "/" + "&" * 4095, "/agenda " + "&" * 4088, "/language " + "&" * 4086],
    ids=["plain", "command", "agenda", "language"],
)
async def test_a_message_of_4096_ampersands_gets_one_short_reply(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter, text: str
) -> None:
    await fake_telegram.push(text_message(text))
    [reply] = await fake_telegram.wait_for("sendMessage")
    await fake_telegram.push(text_message("/help"))  # handled after the first: nothing more came
    calls: list[Call] = await fake_telegram.wait_for("sendMessage", 2)
    assert "/start —" in calls[1].params["text"]
    assert len(calls) == 2
    assert reply.params["text"].count("&amp;") < 60  # quoted back short


AMPERSANDS = "&" * 4000
ECHOING = [
    "/" + AMPERSANDS,
    "/agenda " + AMPERSANDS,
    "/language " + AMPERSANDS,
    "/session " + AMPERSANDS,
    "/tables " + AMPERSANDS,
    "/join " + AMPERSANDS,
    "/table " + AMPERSANDS,
    "/table 1 " + AMPERSANDS,
    "/table 1 d1-groups-1 add " + AMPERSANDS,
    "/subscribe " + AMPERSANDS,
    "/participant " + AMPERSANDS,
    "/broadcast table 1 " + AMPERSANDS + "\nEN: hello",
    "/broadcast group " + AMPERSANDS + "\nEN: hello",
]


@one_database
async def test_whatever_a_person_typed_is_quoted_back_short(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    """Every reply that quotes what was typed ("I do not know …") quotes at most 60 characters:
    a 4,000-character argument is one short message, not five."""
    organiser = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    for text in ECHOING:
        await organiser.send(text)
        assert len(organiser.last) == 1, text[:30]
        [reply] = organiser.last
        assert reply.text.count("&amp;") < 60 and len(reply.text) < 600, text[:30]
