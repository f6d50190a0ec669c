"""Invitation codes across Telegram and Slack, through the real adapters and the fake servers: a
code links one person once, another platform is added with /link, codes shown in a group die."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from sqlalchemy import select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.models import ChatIdentity, Event, Participant
from bot.people import invitations
from bot.platforms.slack import SlackAdapter
from bot.platforms.telegram import TelegramAdapter
from handlers import build_notices
from tests.support.factories import make_participant
from tests.support.fake_slack import Call, FakeSlack
from tests.support.fake_telegram import (
    BOT_USERNAME,
    FakeTelegram,
    group_chat,
    text_message,
    user,
)
from tests.support.slack_requests import (
    app_mention_event,
    block_action_body,
    event_body,
    message_im_event,
)
from tests.test_slack import signed_post

OWNER = user(501, language_code="en", first_name="Ana")


async def _invited(
    sessions: SessionFactory, event: Event, clock: SimulatedClock
) -> tuple[int, str]:
    async with sessions() as db:
        person = await make_participant(
            db, event.id, clock.now(), name="Ana Pérez", email="ana@example.org"
        )
        person.gender, person.migrant_background = "woman", True
        code = invitations.issue(person, clock.now())
        await db.commit()
        return person.id, code


async def _on_telegram(fake: FakeTelegram, text: str, sender: dict[str, object] = OWNER) -> str:
    chat = str(sender["id"])
    before = len([c for c in fake.of("sendMessage") if c.params["chat_id"] == chat])
    await fake.push(text_message(text, sender=sender))
    calls = await fake.messages(
        lambda c: c.method == "sendMessage" and c.params["chat_id"] == chat, before + 1
    )
    return str(calls[-1].params["text"])


def _to(channel: str, *methods: str) -> Callable[[Call], bool]:
    return lambda c: c.method in methods and c.params.get("channel") == channel


async def _on_slack(slack: SlackAdapter, fake: FakeSlack, text: str, who: str) -> str:
    """A direct message from Slack user `who` (in the channel D + their id); the bot's answer."""
    channel = "D" + who.removeprefix("U")
    before = len([c for c in fake.of("chat.postMessage") if c.params.get("channel") == channel])
    event = message_im_event(text, user=who, channel=channel)
    assert await signed_post(slack, event_body(event, event_id=uuid.uuid4().hex)) == 200
    calls = await fake.messages(_to(channel, "chat.postMessage"), before + 1)
    return str(calls[-1].params["text"])


async def test_a_code_used_on_telegram_gives_a_slack_account_nothing_of_its_owner(
    fake_telegram: FakeTelegram,
    telegram: TelegramAdapter,
    fake_slack: FakeSlack,
    slack: SlackAdapter,
    sessions: SessionFactory,
    demo_event: Event,
    dispatcher: Dispatcher,
    clock: SimulatedClock,
) -> None:
    person_id, code = await _invited(sessions, demo_event, clock)
    assert "Hello Ana Pérez" in await _on_telegram(fake_telegram, f"/start {code}")

    fake_slack.add_user("U777", "Mallory", locale="en-US")
    refused = await _on_slack(slack, fake_slack, invitations.grouped(code), "U777")
    assert "already in use" in refused and "/link" in refused
    mine = await _on_slack(slack, fake_slack, "mydata", "U777")
    assert "You are not registered" in mine
    for secret in ("Ana", "ana@example.org", "woman", "Migrant"):
        assert secret not in refused + mine
    assert "Only registered participants" in await _on_slack(
        slack, fake_slack, "notify slack", "U777"
    )
    await _on_slack(slack, fake_slack, "forget", "U777")
    pressed = block_action_body("choice-0-0", "forget:yes", user_id="U777", channel_id="D777")
    assert await signed_post(slack, pressed) == 200
    [erased] = await fake_slack.messages(_to("D777", "chat.update"))
    assert "erased" in erased.params["text"]

    # A Slack profile with her e-mail address does not take her over either.
    fake_slack.add_user("U778", "Ana?", email="ana@example.org", locale="en-US")
    assert "You are not registered" in await _on_slack(slack, fake_slack, "mydata", "U778")

    async with sessions() as db:
        ana = await db.get_one(Participant, person_id)
        assert ana.erased_at is None and ana.name == "Ana Pérez" and ana.notify_platform is None
        accounts = select(ChatIdentity.platform, ChatIdentity.external_id).where(
            ChatIdentity.participant_id == person_id
        )
        assert (await db.execute(accounts)).all() == [("telegram", "501")]

    # Ana hears of it on Telegram.
    worker = DeliveryWorker(
        sessions,
        clock,
        build_notices(),
        {"telegram": telegram, "slack": slack},
        per_chat_interval=0,
    )
    assert await worker.deliver_due() == 1
    [warning] = await fake_telegram.messages(
        lambda c: c.method == "sendMessage" and "Someone sent me" in c.params["text"]
    )
    assert warning.params["chat_id"] == "501" and "Slack" in warning.params["text"]


async def test_link_adds_a_slack_account_from_the_linked_telegram_account(
    fake_telegram: FakeTelegram,
    telegram: TelegramAdapter,
    fake_slack: FakeSlack,
    slack: SlackAdapter,
    sessions: SessionFactory,
    demo_event: Event,
    clock: SimulatedClock,
) -> None:
    person_id, code = await _invited(sessions, demo_event, clock)
    fake_slack.add_user("U777", "Ana P.", locale="en-US")
    fake_slack.add_user("U778", "Mallory", locale="en-US")
    assert "Hello Ana Pérez" in await _on_telegram(fake_telegram, f"/start {code}")

    def linking_code(text: str) -> str:
        found = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4})\b", text)
        assert found, text
        return found.group(1)

    expired = linking_code(await _on_telegram(fake_telegram, "/link"))
    clock.advance(invitations.LINK_CODE_VALIDITY)
    assert "not valid" in await _on_slack(slack, fake_slack, expired, "U777")

    offered = await _on_telegram(fake_telegram, "/link")
    assert "10 minutes" in offered and "Never share it" in offered
    fresh = linking_code(offered)
    assert "Hello Ana Pérez" in await _on_slack(slack, fake_slack, f"link {fresh}", "U777")
    mine = await _on_slack(slack, fake_slack, "mydata", "U777")
    assert "ana@example.org" in mine
    assert "Chat account: Slack" in mine and "Chat account: Telegram" in mine
    assert "Slack" in await _on_slack(slack, fake_slack, "notify slack", "U777")
    assert "not valid" in await _on_slack(slack, fake_slack, fresh, "U778")  # used once

    async with sessions() as db:
        accounts = select(ChatIdentity.platform).where(ChatIdentity.participant_id == person_id)
        assert sorted((await db.execute(accounts)).scalars()) == ["slack", "telegram"]
        assert (await db.get_one(Participant, person_id)).notify_platform == "slack"


async def test_a_code_shown_in_a_slack_channel_or_a_telegram_group_dies_there(
    fake_telegram: FakeTelegram,
    telegram: TelegramAdapter,
    fake_slack: FakeSlack,
    slack: SlackAdapter,
    sessions: SessionFactory,
    demo_event: Event,
    clock: SimulatedClock,
) -> None:
    _ana, ana_code = await _invited(sessions, demo_event, clock)
    async with sessions() as db:
        ben = await make_participant(db, demo_event.id, clock.now(), name="Ben Osei")
        ben_code = invitations.issue(ben, clock.now())
        await db.commit()

    mention = app_mention_event(
        f"<@UBOT> my code is {invitations.grouped(ana_code).lower()}, is it right?",
        channel="C0001",
    )
    assert await signed_post(slack, event_body(mention, event_id="Ev-code")) == 200
    [told] = await fake_slack.messages(_to("C0001", "chat.postMessage"))
    # Told in the language of the one who wrote (Lucía's Slack speaks Spanish), naming nobody.
    assert "ya no se puede usar" in told.params["text"] and "Ana" not in told.params["text"]

    group = group_chat()
    await fake_telegram.push(
        text_message(f"/start@{BOT_USERNAME} {ben_code}", sender=OWNER, chat=group)
    )
    [in_group] = await fake_telegram.messages(
        lambda c: c.method == "sendMessage" and c.params["chat_id"] == str(group["id"])
    )
    assert "can no longer be used" in in_group.params["text"]
    assert "Ben" not in in_group.params["text"]

    fake_slack.add_user("U777", "Someone", locale="en-US")
    assert "not valid" in await _on_slack(slack, fake_slack, ana_code, "U777")
    assert "not valid" in await _on_telegram(fake_telegram, f"/start {ben_code}")
