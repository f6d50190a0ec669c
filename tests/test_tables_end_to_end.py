"""A scripted morning on Telegram (fake Bot API, real HTTP): Act 3 on Day 2 fills past
capacity, the waiting list moves in order, a government account meets a closed round, and a
reference group post reaches each member in their own language."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.models import Event, Role
from bot.platforms.telegram import TelegramAdapter
from bot.platforms.telegram_settings import PLATFORM, TelegramSettings
from handlers import build_notices
from tests.support.chat import ChatUser, link_to_new_participant
from tests.support.factories import ParticipantFields
from tests.support.fake_telegram import TOKEN, Call, FakeTelegram, text_message, user


@pytest.fixture
async def running_bot(
    fake_telegram: FakeTelegram, dispatcher: Dispatcher, demo_event: Event
) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(TelegramSettings(token=TOKEN, api_url=fake_telegram.url), dispatcher)
    await adapter.start()
    stopping = asyncio.Event()
    worker = DeliveryWorker(
        dispatcher.sessions, dispatcher.clock, build_notices(), {PLATFORM: adapter}
    )
    delivering = asyncio.create_task(worker.run(stopping, interval=0.05))
    yield adapter
    stopping.set()
    await delivering
    await adapter.stop()


async def _telegram_person(
    dispatcher: Dispatcher, event: Event, telegram_id: int, role: Role, language: str | None
) -> dict[str, object]:
    account = ChatUser(dispatcher, external_id=str(telegram_id), platform=PLATFORM)
    fields: ParticipantFields = {"name": f"P{telegram_id}"}
    if language:
        fields["language"] = language
    await link_to_new_participant(account, role, event.id, **fields)
    return user(telegram_id, language_code=None, first_name=f"P{telegram_id}")


async def _say(fake: FakeTelegram, sender: dict[str, object], text: str) -> str:
    """Send `text` as `sender` and return the bot's next message to them."""

    def to_sender(call: Call) -> bool:
        return call.method == "sendMessage" and call.params["chat_id"] == str(sender["id"])

    before = len([call for call in fake.calls if to_sender(call)])
    await fake.push(text_message(text, sender=sender))
    answers = await fake.messages(to_sender, before + 1)
    return str(answers[before].params["text"])


async def test_a_morning_of_act_tables_and_a_group_post(
    fake_telegram: FakeTelegram,
    running_bot: TelegramAdapter,
    dispatcher: Dispatcher,
    demo_event: Event,
) -> None:
    languages = ["en", "fr", "es"]
    delegates = [
        await _telegram_person(
            dispatcher, demo_event, 1000 + n, Role.CIVIL_SOCIETY, languages[n % 3]
        )
        for n in range(12)
    ]
    governments = [
        await _telegram_person(dispatcher, demo_event, 2000 + n, Role.GOVERNMENT, "en")
        for n in range(5)
    ]

    # Act 9 has 8 civil society and 6 government seats (annex 1 of the report).
    answers = [await _say(fake_telegram, person, "/join 9 d2-tables") for person in delegates]
    assert all(answer.startswith("✅") for answer in answers[:8])
    assert all(answer.startswith("⏳") for answer in answers[8:])
    for number, answer in enumerate(answers[8:], 1):  # positions, each in its reader's language
        assert f" {number} " in answer
    for person in governments:
        assert (await _say(fake_telegram, person, "/join 9")).startswith("✅")
    closed_round = await _say(fake_telegram, governments[0], "/join 3 d1-groups-1")
    assert "do not know the round" in closed_round

    await _say(fake_telegram, delegates[0], "/leave d2-tables")
    await _say(fake_telegram, delegates[1], "/leave d2-tables")
    promotions = await fake_telegram.messages(lambda c: "🎉" in str(c.params.get("text")), 2)
    # The first two who waited are seated (the two messages may cross on the way)…
    told = {c.params["chat_id"]: str(c.params["text"]) for c in promotions}
    assert set(told) == {"1008", "1009"}
    assert "Acto 9" in told["1008"]  # 1008 reads Spanish
    assert "Act 9" in told["1009"]  # 1009 reads English
    still_waiting = await _say(fake_telegram, delegates[10], "/mytables")
    assert " 1" in still_waiting.split("⏳")[1]  # …and the third moved up from 3 to 1

    members = delegates[3:6]  # they read English, French and Spanish
    for person in members:
        await _say(fake_telegram, person, "/subscribe firewalls")
    assert "Sent to 2 members" in await _say(
        fake_telegram, members[0], "/post firewalls Shall we meet at the coffee break?"
    )
    posts = await fake_telegram.messages(lambda c: "📣" in str(c.params.get("text")), 2)
    by_chat = {c.params["chat_id"]: str(c.params["text"]) for c in posts}
    assert set(by_chat) == {"1004", "1005"}
    assert by_chat["1004"].startswith("📣 Nouveau message dans le groupe <b>Pare-feu")
    assert by_chat["1005"].startswith("📣 Nuevo mensaje en el grupo <b>Cortafuegos")
    assert all("Shall we meet at the coffee break?" in text for text in by_chat.values())
