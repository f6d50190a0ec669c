"""Telegram through python-telegram-bot's real HTTP stack, against a fake Bot API server."""

from __future__ import annotations

import asyncio
import logging
import socket

import aiohttp
import pytest
from sqlalchemy import select

from bot.chat import Document, Reply
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import ChatIdentity, Event, ProcessedDelivery
from bot.platforms import PlatformError
from bot.platforms.telegram import SECRET_HEADER, TelegramAdapter
from bot.platforms.telegram_settings import TelegramSettings
from tests.support.fake_telegram import (
    BOT_USERNAME,
    TOKEN,
    FakeTelegram,
    button_press,
    group_chat,
    text_message,
    user,
)


async def test_a_french_delegate_gets_french_replies_with_buttons(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    await fake_telegram.push(text_message("/start"))
    [sent] = await fake_telegram.wait_for("sendMessage")
    assert sent.params["chat_id"] == "42"
    assert sent.params["parse_mode"] == "HTML"
    assert "Bonjour Amina" not in sent.params["text"]  # a guest is greeted without a name
    assert "Bonjour" in sent.params["text"]
    buttons = sent.params["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["English", "Français", "Español"]
    assert buttons[2]["callback_data"] == "lang:es"


async def test_a_button_press_is_answered_and_edits_the_message_in_place(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    await fake_telegram.push(button_press("lang:es", message_id=77))
    [edit] = await fake_telegram.wait_for("editMessageText")
    assert edit.params["message_id"] == "77"
    assert "español" in edit.params["text"]
    assert fake_telegram.of("answerCallbackQuery")
    await fake_telegram.push(button_press("agenda:2017-12-03:1", message_id=78))
    edits = await fake_telegram.wait_for("editMessageText", 2)
    assert "domingo, 3 de diciembre de 2017" in edits[1].params["text"]
    assert len(fake_telegram.of("answerCallbackQuery")) == 2


async def test_commands_menus_are_published_in_three_languages(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    menus = {call.params.get("language_code"): call for call in fake_telegram.of("setMyCommands")}
    assert set(menus) == {None, "fr", "es"}
    french = {c["command"]: c["description"] for c in menus["fr"].params["commands"]}
    # Each command by its French name in the French menu.
    assert french["programme"] == "le programme d’une journée"
    assert "help" not in french and french["aide"] == "cette liste"
    assert "agenda" in {c["command"] for c in menus[None].params["commands"]}


async def test_group_commands_addressed_to_the_bot_work_and_others_are_ignored(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    await fake_telegram.push(text_message("/agenda@otherbot", chat=group_chat()))
    await fake_telegram.push(text_message("good morning everyone", chat=group_chat()))
    await fake_telegram.push(text_message(f"/agenda@{BOT_USERNAME} day 1", chat=group_chat()))
    [sent] = await fake_telegram.wait_for("sendMessage")
    assert sent.params["chat_id"] == "-100200"
    assert "dimanche 3 décembre 2017" in sent.params["text"]  # Day 1 is civil society only
    assert "Plénière de mobilisation II" not in sent.params["text"]  # stays private


async def test_personal_commands_in_a_group_offer_a_private_chat(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    await fake_telegram.push(text_message(f"/next@{BOT_USERNAME}", chat=group_chat()))
    [sent] = await fake_telegram.wait_for("sendMessage")
    [[button]] = sent.params["reply_markup"]["inline_keyboard"]
    assert button["url"] == f"https://t.me/{BOT_USERNAME}"
    assert "privé" in sent.params["text"]


async def test_whatever_arrives_nothing_crashes(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    sender = user()
    base = {"message_id": 5, "date": 0, "chat": {"id": 42, "type": "private"}, "from": sender}
    await fake_telegram.push(
        {
            "message": {
                **base,
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "s",
                    "type": "regular",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                },
            }
        }
    )
    await fake_telegram.push({"edited_message": {**base, "text": "/agenda", "edit_date": 1}})
    await fake_telegram.push(
        {
            "channel_post": {
                "message_id": 6,
                "date": 0,
                "chat": {"id": -5, "type": "channel"},
                "text": "x",
            }
        }
    )
    await fake_telegram.push(
        {"inline_query": {"id": "q", "from": sender, "query": "a", "offset": ""}}
    )
    await fake_telegram.push(
        {"message": {**base, "voice": {"file_id": "v", "file_unique_id": "v", "duration": 2}}}
    )
    await fake_telegram.push(text_message("/help"))
    sent = await fake_telegram.wait_for("sendMessage", 3)
    texts = [call.params["text"] for call in sent]
    assert "/aide" in texts[0]  # the sticker: a hint, in French
    assert "/aide" in texts[1]  # the voice message: the same hint
    assert "/start —" in texts[2] and "/langue" in texts[2]  # and the bot still answers


async def test_blocking_the_bot_marks_the_account_unreachable_and_unblocking_reachable(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter, sessions: SessionFactory
) -> None:
    await fake_telegram.push(text_message("/start"))
    await fake_telegram.wait_for("sendMessage")

    def member_update(old: str, new: str) -> dict[str, object]:
        bot = {"id": 123456, "is_bot": True, "first_name": "coordbot"}
        return {
            "my_chat_member": {
                "chat": {"id": 42, "type": "private"},
                "from": user(),
                "date": 0,
                "old_chat_member": {"status": old, "user": bot, "until_date": 0},
                "new_chat_member": {"status": new, "user": bot, "until_date": 0},
            }
        }

    async def reachable() -> bool:
        async with sessions() as db:
            return (await db.execute(select(ChatIdentity.reachable))).scalar_one()

    await fake_telegram.push(member_update("member", "kicked"))
    await fake_telegram.push(text_message("/help"))  # processed in order, after the block
    await fake_telegram.wait_for("sendMessage", 2)
    assert await reachable() is False
    await fake_telegram.push(member_update("kicked", "member"))
    await fake_telegram.push(text_message("/help"))
    await fake_telegram.wait_for("sendMessage", 3)
    assert await reachable() is True


async def test_an_update_delivered_twice_is_handled_once_even_after_a_restart(
    fake_telegram: FakeTelegram,
    dispatcher: Dispatcher,
    demo_event: Event,
    sessions: SessionFactory,
) -> None:
    update = {"update_id": 5000, **text_message("/help")}
    settings = TelegramSettings(token=TOKEN, api_url=fake_telegram.url)
    first = TelegramAdapter(settings, dispatcher)
    await first.start()
    await fake_telegram.push(update)
    await fake_telegram.wait_for("sendMessage")
    await first.stop()

    fake_telegram.updates.append(update)  # Telegram delivers it again to the restarted bot
    second = TelegramAdapter(settings, dispatcher)
    await second.start()
    await fake_telegram.push(text_message("/start"))
    await fake_telegram.wait_for("sendMessage", 2)
    await second.stop()

    assert len(fake_telegram.of("sendMessage")) == 2
    async with sessions() as db:
        handled = (await db.execute(select(ProcessedDelivery.delivery_id))).scalars().all()
    assert "5000" in handled


async def test_a_429_is_waited_out_and_the_message_still_arrives(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    fake_telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await fake_telegram.push(text_message("/help"))
    calls = await fake_telegram.wait_for("sendMessage", 2)
    assert calls[0].params["text"] == calls[1].params["text"]


async def test_a_400_or_500_is_logged_and_the_bot_goes_on(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    fake_telegram.fail_next("sendMessage", 400, "Bad Request: can't parse entities")
    fake_telegram.fail_next("sendMessage", 500, "Internal Server Error")
    with caplog.at_level(logging.WARNING):
        await fake_telegram.push(text_message("/help"))
        await fake_telegram.push(text_message("/start"))
        await fake_telegram.push(text_message("/language"))
        calls = await fake_telegram.wait_for("sendMessage", 3)
    refused = [r.getMessage() for r in caplog.records if "refused a message" in r.getMessage()]
    assert len(refused) == 1
    assert "can't parse entities" in refused[0].lower() and "/start —" in refused[0]
    assert "quelle langue" in calls[2].params["text"]


async def test_a_reply_longer_than_telegram_allows_is_split_at_lines(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    from bot.chat import Reply

    long_text = "\n".join(f"<b>{n:04}</b> " + "é" * 60 for n in range(200))
    await telegram.send(42, Reply(long_text))
    calls = await fake_telegram.wait_for("sendMessage", 4)
    texts = [call.params["text"] for call in calls]
    assert all(len(text) <= 4096 for text in texts)
    assert all(line.startswith("<b>") for text in texts for line in text.splitlines())
    assert "\n".join(texts) == long_text


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_the_webhook_takes_only_requests_with_the_right_secret(
    fake_telegram: FakeTelegram, dispatcher: Dispatcher, demo_event: Event
) -> None:
    port = _free_port()
    settings = TelegramSettings(
        token=TOKEN,
        api_url=fake_telegram.url,
        webhook_url="https://bot.example.org/telegram",
        webhook_secret="s3cret-for-the-webhook",
        port=port,
    )
    adapter = TelegramAdapter(settings, dispatcher)
    await adapter.start()
    try:
        [registered] = fake_telegram.of("setWebhook")
        assert registered.params["url"] == "https://bot.example.org/telegram"
        assert registered.params["secret_token"] == "s3cret-for-the-webhook"
        url = f"http://127.0.0.1:{port}/telegram"
        update = {"update_id": 1, **text_message("/help")}
        async with aiohttp.ClientSession() as client:
            for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}):
                async with client.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            async with client.post(
                url, data="{not json", headers={SECRET_HEADER: "s3cret-for-the-webhook"}
            ) as response:
                assert response.status == 400
            async with client.post(
                url, json=update, headers={SECRET_HEADER: "s3cret-for-the-webhook"}
            ) as response:
                assert response.status == 200
        [sent] = await fake_telegram.wait_for("sendMessage")
        assert "/start —" in sent.params["text"]
    finally:
        await adapter.stop()
    assert len(fake_telegram.of("sendMessage")) == 1  # the refused requests were never handled


async def test_a_refused_token_or_an_unreachable_api_is_a_clear_error(
    fake_telegram: FakeTelegram, dispatcher: Dispatcher
) -> None:
    refused = TelegramAdapter(
        TelegramSettings(token="1:wrong", api_url=fake_telegram.url), dispatcher
    )
    with pytest.raises(PlatformError, match="refused the bot token"):
        await refused.start()
    nowhere = f"http://127.0.0.1:{_free_port()}"
    unreachable = TelegramAdapter(TelegramSettings(token=TOKEN, api_url=nowhere), dispatcher)
    with pytest.raises(PlatformError, match="cannot reach the Telegram Bot API"):
        await unreachable.start()


async def test_a_burst_to_many_chats_stays_within_thirty_messages_in_any_second(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    fake_telegram.enforce_limits = True  # 429 for a 31st message in any second, as Telegram
    chats = range(1, 76)
    await asyncio.gather(*(telegram.deliver(str(chat), Reply(f"notice {chat}")) for chat in chats))

    sent = fake_telegram.of("sendMessage")
    assert fake_telegram.refused == 0
    assert sorted(int(call.params["chat_id"]) for call in sent) == list(chats)
    times = [call.at for call in sent]
    assert all(later - earlier >= 1 for earlier, later in zip(times, times[30:], strict=False))


async def test_a_message_of_the_bots_is_edited_in_place(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    await telegram.edit("42", "7", Reply("<b>Broadcast #3</b>\nSent 340 of 1,200"))
    [call] = await fake_telegram.wait_for("editMessageText")
    assert (call.params["chat_id"], call.params["message_id"]) == ("42", "7")
    assert call.params["text"] == "<b>Broadcast #3</b>\nSent 340 of 1,200"


async def test_a_file_is_uploaded_once_then_sent_by_telegrams_id_for_it(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    agenda = Document(b"%PDF-1.4 consultation agenda", "agenda.pdf")
    reply = Reply("📬 The agenda is attached.", documents=(agenda,))
    await telegram.deliver("42", reply)
    await telegram.deliver("43", reply)
    first, second = fake_telegram.of("sendDocument")
    assert first.params["document"] == agenda.data  # uploaded, under its name
    assert isinstance(second.params["document"], str)  # Telegram's id: no second upload
    assert [c.params["chat_id"] for c in fake_telegram.of("sendMessage")] == ["42", "43"]
