"""One way a reply becomes Telegram calls, whether it answers someone (`send`) or is the bot's own
message (`deliver`): what a person sees is the same; only what happens when Telegram refuses
differs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.chat import Choice, Document, Image, Reply
from bot.db import SessionFactory
from bot.delivery.worker import Unreachable
from bot.models import ChatIdentity
from bot.platforms.telegram import TelegramAdapter
from tests.support.fake_telegram import FakeTelegram, text_message

PNG = b"\x89PNG\r\n\x1a\n chart"
LONG = "\n".join(f"<b>{n:04}</b> " + "é" * 60 for n in range(100))  # two messages' worth
BUTTONS = ((Choice("English", "lang:en"), Choice("Español", "lang:es")),)


async def test_a_long_reply_with_buttons_and_files_looks_the_same_sent_or_delivered(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    agenda = Document(b"%PDF-1.4 agenda", "agenda.pdf", "The agenda")
    chart = Image(PNG, "Answers <1>", "chart.png")
    reply = Reply(LONG, BUTTONS, images=(chart,), documents=(agenda,))
    await telegram.send(42, reply)
    await telegram.deliver("43", reply)

    for chat in ("42", "43"):
        calls = [c for c in fake_telegram.calls if c.params.get("chat_id") == chat]
        methods = [call.method for call in calls]
        assert methods == ["sendMessage", "sendMessage", "sendPhoto", "sendDocument"]
        first, last, photo, _document = calls
        assert "reply_markup" not in first.params  # the buttons go under the last part only
        assert last.params["reply_markup"]["inline_keyboard"][0][1]["text"] == "Español"
        assert first.params["text"] + "\n" + last.params["text"] == LONG
        assert photo.params["caption"] == "Answers &lt;1&gt;"  # a plain caption, escaped


async def test_a_picture_whose_text_fits_carries_it_and_the_buttons(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    reply = Reply("<b>Question 1</b>: 12 answers", BUTTONS, images=(Image(PNG, "", "q1.png"),))
    await telegram.send(42, reply)
    await telegram.deliver("43", reply)
    assert [call.method for call in fake_telegram.calls if call.method.startswith("send")] == [
        "sendPhoto",
        "sendPhoto",
    ]
    for photo in fake_telegram.of("sendPhoto"):
        assert photo.params["caption"] == "<b>Question 1</b>: 12 answers"
        assert photo.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "English"


async def test_a_refused_part_of_a_reply_is_logged_and_the_rest_still_goes(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    fake_telegram.fail_next("sendMessage", 400, "Bad Request: can't parse entities")
    with caplog.at_level(logging.WARNING):
        await telegram.send(42, Reply(LONG, BUTTONS))
    [sent] = fake_telegram.of("sendMessage")[1:]  # the first part was refused
    assert sent.params["reply_markup"]["inline_keyboard"]
    assert any("refused a message to chat 42" in r.getMessage() for r in caplog.records)


async def test_the_bots_own_message_refused_is_retried_not_half_sent_again(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    """The delivery worker retries a message Telegram refused: the whole of it, later."""
    fake_telegram.fail_next("sendMessage", 400, "Bad Request: can't parse entities")
    with pytest.raises(Exception, match="parse entities"):
        await telegram.deliver("42", Reply(LONG))
    assert len(fake_telegram.of("sendMessage")) == 1


async def test_blocked_is_unreachable_for_the_worker_and_marks_the_account_on_a_reply(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter, sessions: SessionFactory
) -> None:
    await fake_telegram.push(text_message("/start"))  # the account exists, reachable
    await fake_telegram.wait_for("sendMessage")
    fake_telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(Unreachable, match="blocked"):
        await telegram.deliver("42", Reply("Reminder"))

    fake_telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await telegram.send(42, Reply(LONG))  # no error: the account is marked instead
    # The /start reply, then the two refused calls: nothing after the refused part.
    assert len(fake_telegram.of("sendMessage")) == 3
    async with sessions() as db:
        account = (
            await db.execute(select(ChatIdentity).where(ChatIdentity.external_id == "42"))
        ).scalar_one()
        assert not account.reachable


async def test_an_edit_that_changes_nothing_is_no_error(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter
) -> None:
    fake_telegram.fail_next("editMessageText", 400, "Bad Request: message is not modified")
    await telegram.edit("42", "7", Reply("Sent 340 of 1,200"))  # the worker's edit
    fake_telegram.fail_next("editMessageText", 400, "Bad Request: message is not modified")
    assert await telegram.send(42, Reply("Sent 340 of 1,200"), replacing="7") == "7"
    assert len(fake_telegram.of("editMessageText")) == 2
    assert not fake_telegram.of("sendMessage")
