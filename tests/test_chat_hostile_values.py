"""Chat input with what a database refuses (NUL, lone surrogates, a name longer than its
column), through the real platform libraries against the fake Telegram and Slack APIs: handled,
answered, stored clean."""

from __future__ import annotations

import unicodedata

from sqlalchemy import select

from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import ChatIdentity, Event, GroupProposal, Role
from bot.platforms.slack import SlackAdapter
from bot.platforms.telegram import TelegramAdapter
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.fake_slack import FakeSlack
from tests.support.fake_telegram import FakeTelegram, button_press, text_message, user
from tests.support.slack_requests import slash_command_body
from tests.test_slack import signed_post

# 307 characters: a NUL, a lone surrogate (JSON may carry one as \ud83d), accents written as
# combining marks, placed so that the 200 characters the column keeps end on one.
HOSTILE_NAME = "Amina\x00 Ba\ud83d " + "Diallo\u0301 " * 37


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


async def test_a_name_with_nul_and_300_characters_is_answered_and_stored_clean(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter, sessions: SessionFactory
) -> None:
    sender = user(first_name=HOSTILE_NAME)
    await fake_telegram.push(text_message("/start", sender))
    await fake_telegram.push(text_message("/aide", sender))

    welcome, help_ = await fake_telegram.wait_for("sendMessage", 2)
    assert "Bonjour" in welcome.params["text"]
    assert "/programme" in help_.params["text"]
    async with sessions() as db:
        [name] = (await db.execute(select(ChatIdentity.display_name))).scalars()
    assert name is not None and len(name) <= 200
    assert name.startswith("Amina Ba\ufffd Diallo\u0301 ") and name.endswith(" Diall")
    assert nfc(HOSTILE_NAME.replace("\x00", "").replace("\ud83d", "\ufffd")).startswith(nfc(name))


async def test_texts_and_button_data_with_nul_are_handled_and_answered(
    fake_telegram: FakeTelegram,
    telegram: TelegramAdapter,
    dispatcher: Dispatcher,
    demo_event: Event,
    sessions: SessionFactory,
) -> None:
    amina = ChatUser(dispatcher, external_id="42", platform="telegram", language_code="fr")
    await link_to_new_participant(amina, Role.CIVIL_SOCIETY, demo_event.id, name="Amina")
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)

    await fake_telegram.push(text_message("/seance d1-opening\x00"))
    [session] = await fake_telegram.wait_for("sendMessage")
    assert "Mot de bienvenue et plénière d’ouverture" in session.params["text"]

    await fake_telegram.push(text_message("/proposer Droits\x00 des personnes migrantes"))
    thanks = (await fake_telegram.wait_for("sendMessage", 2))[1]
    assert "proposition" in thanks.params["text"]
    async with sessions() as db:
        [title] = (await db.execute(select(GroupProposal.title))).scalars()
    assert title == {"fr": "Droits des personnes migrantes"}
    assert "Droits des personnes migrantes" in await olga.send("/proposals")

    await fake_telegram.push(button_press("agenda:2017-12-03\x00:1", message_id=9))
    [shown] = await fake_telegram.wait_for("editMessageText")
    assert shown.params["message_id"] == "9"
    assert fake_telegram.of("answerCallbackQuery")


async def test_a_slack_name_with_nul_and_300_characters_is_answered_and_stored_clean(
    fake_slack: FakeSlack, slack: SlackAdapter, sessions: SessionFactory
) -> None:
    fake_slack.add_user("U789", HOSTILE_NAME, locale="fr-FR")

    status = await signed_post(slack, slash_command_body("aide", user_id="U789", channel_id="D789"))

    assert status == 200
    [answer] = await fake_slack.wait_for("chat.postMessage")
    assert "/programme" in str(answer.params["text"])
    async with sessions() as db:
        [name] = (await db.execute(select(ChatIdentity.display_name))).scalars()
    assert name is not None and len(name) <= 200 and "\x00" not in name
