"""How Telegram updates come in, against a fake Bot API as strict as Telegram: an update the
library cannot parse, a second process polling the same bot, webhook bodies that are no update,
and one chat's burst next to another chat's question."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select

from bot import inbox
from bot.chat import Document, Image, Incoming, Reply, Sender
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher, forget_old_deliveries
from bot.inbox import Stored
from bot.models import Event, ProcessedDelivery
from bot.platforms.telegram import SECRET_HEADER, TelegramAdapter
from bot.platforms.telegram_intake import TelegramIntake
from bot.platforms.telegram_settings import TelegramSettings
from tests.support.fake_telegram import (
    TOKEN,
    Call,
    FakeTelegram,
    text_message,
    unparseable_poll,
    user,
)
from tests.support.processes import free_port
from tests.support.queries import Statements
from tests.support.waiting import eventually

SECRET = "s3cret-for-the-webhook"


def _to(chat: int) -> Callable[[Call], bool]:
    return lambda call: call.method == "sendMessage" and call.params["chat_id"] == str(chat)


async def test_an_update_the_library_cannot_parse_is_logged_once_and_skipped(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        poisons = [await fake_telegram.push(unparseable_poll()) for _ in range(30)]
        await fake_telegram.push(text_message("/help"))
        [answer] = await fake_telegram.wait_for("sendMessage")
        await fake_telegram.push(text_message("/language es"))
        await fake_telegram.wait_for("sendMessage", 2)

    assert "/start —" in answer.params["text"]  # polling went on: later updates are answered
    assert "my_chat_member" in fake_telegram.last_get_updates["allowed_updates"]
    assert not set(poisons) & {u["update_id"] for u in fake_telegram.updates}  # confirmed
    skipped = [r for r in caplog.records if "cannot read" in r.getMessage()]
    assert len(skipped) == 1 and str(poisons[0]) in skipped[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info]  # no traceback
    assert sum(len(r.getMessage()) for r in caplog.records) < 5_000  # the log stays small


async def test_what_a_killed_run_left_is_handled_and_answered_at_the_next_start(
    fake_telegram: FakeTelegram, dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    """The state kill -9 leaves: an update handled (committed, reply kept) but not answered, one
    stored but not handled, and a reply with a picture and a document not sent."""
    handled = {"update_id": 8000, **text_message("/language es")}
    waiting = {"update_id": 8001, **text_message("/help")}
    with_files = {"update_id": 8002, **text_message("/results")}
    updates = [handled, waiting, with_files]
    await inbox.store(sessions, "telegram", [(str(u["update_id"]), json.dumps(u)) for u in updates])
    incoming = Incoming(
        "telegram",
        "42",
        Sender("42", "Amina", "fr"),
        "/language es",
        "language",
        ("es",),
        delivery_id="8000",
    )
    [kept] = await dispatcher.handle(incoming, keep_replies=True)  # then the process died
    chart = Image(b"\x89PNG a chart", "Answers to question 1", "q1.png")
    agenda = Document(b"%PDF-1.4 the agenda", "agenda.pdf")
    async with sessions() as db:
        row = await db.get(ProcessedDelivery, ("telegram", "8002"))
        assert row is not None
        row.handled_at = inbox.real_now()
        row.replies = inbox.encode_replies(
            [Reply("📊 Results", images=(chart,), documents=(agenda,))]
        )
        await db.commit()

    adapter = TelegramAdapter(TelegramSettings(token=TOKEN, api_url=fake_telegram.url), dispatcher)
    await adapter.start()
    try:
        await fake_telegram.wait_for("sendDocument")
    finally:
        await adapter.stop()
    texts = [call.params["text"] for call in fake_telegram.of("sendMessage")]
    assert texts[0] == kept.text and "español" in texts[0]
    assert "/start —" in texts[1]  # /help, handled now, in Spanish since 8000
    [photo] = fake_telegram.of("sendPhoto")
    assert photo.params["photo"] == chart.png and "Results" in photo.params["caption"]
    assert [call.params["document"] for call in fake_telegram.of("sendDocument")] == [agenda.data]
    async with sessions() as db:
        rows = (await db.execute(select(ProcessedDelivery))).scalars().all()
    assert all(row.handled_at and row.payload is None and row.replies is None for row in rows)


async def test_a_polling_failure_loop_writes_a_line_not_megabytes(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    telegram.intake.max_backoff = 0.05  # the test need not wait for the real back-off
    for _ in range(40):
        fake_telegram.fail_next("getUpdates", 502, "Bad Gateway")
    with caplog.at_level(logging.INFO):
        await eventually(lambda: not fake_telegram.failures["getUpdates"], within=30)
        await fake_telegram.push(text_message("/help"))
        [answer] = await fake_telegram.wait_for("sendMessage")
    assert "/start —" in answer.params["text"]
    failed = [r for r in caplog.records if "polling failed" in r.getMessage()]
    assert len(failed) == 1 and "502" in failed[0].getMessage()
    assert sum(len(r.getMessage()) for r in caplog.records) < 2_000


async def test_a_second_poller_gets_409_logs_it_once_and_takes_over_when_the_first_stops(
    fake_telegram: FakeTelegram,
    dispatcher: Dispatcher,
    demo_event: Event,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = TelegramSettings(token=TOKEN, api_url=fake_telegram.url)
    first = TelegramAdapter(settings, dispatcher)
    second = TelegramAdapter(settings, dispatcher)
    running = [first]
    await first.start()
    try:
        with caplog.at_level(logging.WARNING):
            await second.start()
            running.append(second)
            await eventually(lambda: fake_telegram.conflicts >= 3)
            for chat in range(1, 6):
                await fake_telegram.push(text_message("/help", user(chat)))
            await fake_telegram.wait_for("sendMessage", 5)
            await running.pop(0).stop()
            await fake_telegram.push(text_message("/help", user(99)))
            await fake_telegram.messages(_to(99), within=15)  # the second took over
    finally:
        for adapter in running:
            await adapter.stop()

    sent = sorted(int(call.params["chat_id"]) for call in fake_telegram.of("sendMessage"))
    assert sent == [1, 2, 3, 4, 5, 99]  # each update answered once, by one of the two
    conflicts = [r for r in caplog.records if "another process polls this bot" in r.getMessage()]
    assert 1 <= len(conflicts) <= 2  # once per adapter (process) that got a 409, not per 409


@pytest.fixture
async def webhook(
    fake_telegram: FakeTelegram, dispatcher: Dispatcher, demo_event: Event
) -> AsyncIterator[str]:
    port = free_port()
    settings = TelegramSettings(
        token=TOKEN,
        api_url=fake_telegram.url,
        webhook_url="https://bot.example.org/telegram",
        webhook_secret=SECRET,
        port=port,
    )
    adapter = TelegramAdapter(settings, dispatcher)
    await adapter.start()
    yield f"http://127.0.0.1:{port}/telegram"
    await adapter.stop()


BAD_BODIES = [
    b"null",
    b"[]",
    b'[{"update_id": 1}]',
    b'"update"',
    b"42",
    b"{not json",
    b"[" * 100_000 + b"]" * 100_000,  # deeper than any parser recurses
    b'{"update_id": 7, "message": {"text": "\xff\xfe"}}',  # not UTF-8
    b'{"message": {"text": "/help"}}',  # no update_id
    b'{"update_id": "7"}',
    b'{"update_id": true}',
    b'{"update_id": 7.5}',
    b'{"update_id": -1}',
    b'{"update_id": 99999999999999999999999}',
]


async def test_webhook_bodies_that_are_no_update_get_400_without_a_traceback(
    fake_telegram: FakeTelegram,
    webhook: str,
    sessions: SessionFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    with caplog.at_level(logging.INFO):
        async with aiohttp.ClientSession() as client:
            for body in BAD_BODIES:
                async with client.post(webhook, data=body, headers=headers) as response:
                    assert response.status == 400, body[:40]
            too_big = b'{"update_id": 1, "pad": "' + b"x" * 2_000_000 + b'"}'
            async with client.post(webhook, data=io.BytesIO(too_big), headers=headers) as response:
                assert response.status == 413
            poison = {"update_id": 9001, **unparseable_poll()}
            async with client.post(webhook, json=poison, headers=headers) as response:
                assert response.status == 200  # accepted, then skipped: Telegram need not retry
            update = {"update_id": 9002, **text_message("/help")}
            async with client.post(webhook, json=update, headers=headers) as response:
                assert response.status == 200
                async with sessions() as db:  # stored before Telegram got its 200
                    stored = await db.get(ProcessedDelivery, ("telegram", "9002"))
                assert stored is not None
        [answer] = await fake_telegram.wait_for("sendMessage")
    assert "/start —" in answer.params["text"]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    refusals = [r for r in caplog.records if "no update" in r.getMessage()]
    assert len(refusals) == 1  # logged once, not once per body


async def test_an_update_posted_twice_to_the_webhook_is_answered_once(
    fake_telegram: FakeTelegram, webhook: str, sessions: SessionFactory
) -> None:
    headers = {SECRET_HEADER: SECRET}
    update = {"update_id": 9100, **text_message("/help")}
    async with aiohttp.ClientSession() as client:
        for _ in range(2):  # Telegram retries when our 200 did not reach it in time
            async with client.post(webhook, json=update, headers=headers) as response:
                assert response.status == 200
        async with client.post(
            webhook, json={"update_id": 9101, **text_message("/start")}, headers=headers
        ) as response:
            assert response.status == 200
    await fake_telegram.wait_for("sendMessage", 2)
    async with sessions() as db:
        rows = (await db.execute(select(ProcessedDelivery))).scalars().all()
    assert sorted(row.delivery_id for row in rows) == ["9100", "9101"]
    assert len(fake_telegram.of("sendMessage")) == 2


async def test_updates_of_one_chat_are_handled_in_order(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    languages = ["es", "fr", "en"] * 4
    for code in languages:
        await fake_telegram.push(text_message(f"/language {code}"))
    # One reply a second to one chat (Telegram's limit): twelve take twelve seconds.
    sent = await fake_telegram.wait_for("sendMessage", len(languages), within=30)
    names = {"es": "español", "fr": "français", "en": "English"}
    said = [[code for code, name in names.items() if name in call.params["text"]] for call in sent]
    assert said == [[code] for code in languages]


async def test_a_chats_burst_does_not_queue_another_chat_behind_it(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    """The intake alone: another chat's command is handled beside the burst, not after it."""
    for _ in range(20):
        await fake_telegram.push(text_message("/agenda", user(7)))
    await fake_telegram.push(text_message("/help", user(8)))
    sent = await fake_telegram.wait_for("sendMessage", 21, within=30)
    order = [call.params["chat_id"] for call in sent]
    assert order.index("8") < 10, order


async def test_one_chats_burst_does_not_delay_another_chats_answer(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    """Twenty /agenda from one chat, then /help from another: the second is answered within a
    second, and no reply of ours draws a 429."""
    fake_telegram.enforce_limits = True
    for _ in range(20):
        await fake_telegram.push(text_message("/agenda", user(7)))
    await fake_telegram.wait_for("sendMessage")  # the burst has begun
    asked = time.monotonic()
    await fake_telegram.push(text_message("/help", user(8)))
    [help_answer] = await fake_telegram.messages(_to(8))
    await fake_telegram.messages(_to(7), 20, within=60)
    assert help_answer.at - asked < 1.0
    assert fake_telegram.refused == 0


async def test_a_chat_flooding_past_the_queues_limit_leaves_room_for_everyone_else(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    """1,100 messages from one chat, more than the intake holds in memory (1,000): past the
    chat's budget they wait stored, and another chat's /help is answered within a second."""
    fake_telegram.enforce_limits = True
    flood = [await fake_telegram.push(text_message("/next", user(7))) for _ in range(1_100)]
    asked = time.monotonic()
    await fake_telegram.push(text_message("/help", user(8)))
    [help_answer] = await fake_telegram.messages(_to(8), within=30)

    assert help_answer.at - asked < 1.0
    in_memory = telegram.intake.queues.queued & {str(update_id) for update_id in flood}
    assert len(in_memory) <= 20  # the chat's budget; the rest of the flood waits stored
    async with telegram.dispatcher.sessions() as db:
        stored = await db.scalar(
            select(func.count())
            .select_from(ProcessedDelivery)
            .where(ProcessedDelivery.delivery_id.in_([str(i) for i in flood[-50:]]))
        )
    assert stored == 50  # confirmed to Telegram, so kept: none of the flood is lost
    assert fake_telegram.refused == 0


async def test_updates_past_a_chats_budget_are_read_back_in_order(
    sessions: SessionFactory,
) -> None:
    """Thirty updates of one chat with a budget of three in memory: the other 27 wait stored
    and are read back, each once, in the order the person sent them; another chat's update is
    not kept waiting behind them."""
    done: list[int] = []
    finished = asyncio.Event()

    async def process(stored: Stored) -> None:
        done.append(int(stored.delivery_id))
        await inbox.finish(sessions, "telegram", stored.delivery_id)
        if len(done) == 31:
            finished.set()

    intake = TelegramIntake(
        TelegramSettings(token=TOKEN), sessions, process, concurrency=4, per_chat=3
    )
    await intake.start(polling=False)
    try:
        burst = [{"update_id": 100 + n, "message": _message(7, f"/remind {n}")} for n in range(30)]
        await intake.receive([(update, json.dumps(update)) for update in burst])
        other = {"update_id": 500, "message": _message(8, "/help")}
        await intake.receive([(other, json.dumps(other))])
        await asyncio.wait_for(finished.wait(), 30)
    finally:
        await intake.stop()

    assert [n for n in done if n != 500] == list(range(100, 130))
    assert done.index(500) < 10
    assert intake.queues.held_back == set()


def _message(chat: int, text: str) -> dict[str, object]:
    return {
        "message_id": 1,
        "date": 0,
        "chat": {"id": chat, "type": "private"},
        "from": user(chat),
        "text": text,
    }


async def test_old_records_are_forgotten_but_not_updates_still_waiting(
    sessions: SessionFactory,
) -> None:
    long_ago = inbox.real_now() - timedelta(days=3)
    async with sessions() as db:
        for delivery_id, handled, replies in [
            ("1", long_ago, None),  # handled and answered: forgotten
            ("2", None, None),  # stored, never handled (the bot was down three days): kept
            ("3", long_ago, "[]"),  # handled, its replies not sent yet: kept
        ]:
            db.add(
                ProcessedDelivery(
                    platform="telegram",
                    delivery_id=delivery_id,
                    received_at=long_ago,
                    handled_at=handled,
                    payload="{}",
                    replies=replies,
                )
            )
        await db.commit()
        assert await forget_old_deliveries(db, inbox.real_now() - timedelta(days=2)) == 1
        await db.commit()
        left = (await db.execute(select(ProcessedDelivery.delivery_id))).scalars().all()
    assert sorted(left) == ["2", "3"]


async def test_a_slow_update_holds_its_own_chat_only(sessions: SessionFactory) -> None:
    """Chat 7's first update takes long (it waits until chat 8's are all done): chat 8's are
    handled meanwhile, in order, and chat 7's second update waits for its first."""
    done: list[int] = []
    others_done = asyncio.Event()
    all_done = asyncio.Event()

    async def process(stored: Stored) -> None:
        number = int(stored.delivery_id)
        if number == 100:
            await asyncio.wait_for(others_done.wait(), 30)
        done.append(number)
        await inbox.finish(sessions, "telegram", stored.delivery_id)
        if {200, 201, 202} <= set(done):
            others_done.set()
        if len(done) == 5:
            all_done.set()

    intake = TelegramIntake(TelegramSettings(token=TOKEN), sessions, process, concurrency=4)
    await intake.start(polling=False)
    try:
        updates = [
            {"update_id": 100, "message": _message(7, "/agenda")},
            {"update_id": 101, "message": _message(7, "/next")},
            *[{"update_id": 200 + n, "message": _message(8, f"/remind {n}")} for n in range(3)],
        ]
        await intake.receive([(update, json.dumps(update)) for update in updates])
        await asyncio.wait_for(all_done.wait(), 30)
    finally:
        await intake.stop()

    assert done == [200, 201, 202, 100, 101]


async def test_updates_finished_together_are_written_in_one_transaction_each_once(
    sessions: SessionFactory, count_queries: Callable[[], AbstractContextManager[Statements]]
) -> None:
    """Forty updates answered at the same moment: their records are finished (content
    forgotten, marked handled) in a few statements, and each `finish` returns once its own
    record is written."""
    ids = [str(300 + n) for n in range(40)]
    assert await inbox.store(sessions, "telegram", [(i, '{"update_id": 1}') for i in ids]) == ids
    finishing = inbox.Finishing(sessions, "telegram")
    with count_queries() as queries:
        await asyncio.gather(*[finishing.finish(i) for i in ids])

    assert queries.count <= 4  # one UPDATE for the first, one for all who came meanwhile
    assert await inbox.pending(sessions, "telegram", limit=100) == []
    async with sessions() as db:
        rows = (await db.execute(select(ProcessedDelivery))).scalars().all()
    assert {row.delivery_id for row in rows} == set(ids)
    assert all(row.handled_at is not None and row.payload is None for row in rows)
