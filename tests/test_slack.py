"""Slack through slack-bolt's real HTTP and Socket Mode stacks, against a fake Slack Web API."""

from __future__ import annotations

import logging
import time

import aiohttp
import pytest
from sqlalchemy import select

from bot.db import SessionFactory
from bot.delivery import outbox
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.groups import GroupPost
from bot.models import ChatIdentity, Event, OutboxMessage, OutboxStatus, Role
from bot.platforms.slack import SlackAdapter
from bot.platforms.slack_settings import SlackSettings
from handlers import build_notices
from tests.support.chat import ChatUser, link_to_new_participant
from tests.support.factories import make_participant
from tests.support.fake_slack import FakeSlack, button_value
from tests.support.slack_requests import (
    app_home_opened_event,
    app_mention_event,
    block_action_body,
    event_body,
    message_im_event,
    signed_headers,
    slash_command,
    slash_command_body,
)
from tests.support.slack_workspace import APP_TOKEN, BOT_TOKEN
from tests.support.waiting import logged


async def post(adapter: SlackAdapter, body: str, headers: dict[str, str]) -> int:
    url = f"http://127.0.0.1:{adapter.settings.port}{adapter.settings.path}"
    async with aiohttp.ClientSession() as client, client.post(url, data=body, headers=headers) as r:
        return r.status


async def signed_post(adapter: SlackAdapter, body: str, **headers: str) -> int:
    return await post(adapter, body, signed_headers(body) | headers)


def texts_to(fake: FakeSlack, channel: str) -> list[str]:
    return [
        str(call.params.get("text"))
        for call in fake.of("chat.postMessage", "chat.update")
        if call.params.get("channel") == channel
    ]


async def test_a_slash_command_is_answered_in_direct_messages_in_the_users_language(
    fake_slack: FakeSlack, slack: SlackAdapter, dispatcher: Dispatcher, demo_event: Event
) -> None:
    # Day 1 is for civil society only: Lucía reads it as a civil society delegate.
    lucia = ChatUser(dispatcher, external_id="U123", platform="slack")
    await link_to_new_participant(lucia, Role.CIVIL_SOCIETY, demo_event.id)
    started = time.monotonic()
    status = await signed_post(slack, slash_command_body("agenda 2017-12-02"))
    assert status == 200 and time.monotonic() - started < 3  # acknowledged at once
    [call] = await fake_slack.wait_for("chat.postMessage")
    assert call.params["channel"] == "D123"
    assert "sábado" in call.params["text"]  # Lucía's Slack speaks Spanish
    sections = [block for block in call.params["blocks"] if block["type"] == "section"]
    assert "*" in sections[0]["text"]["text"]  # bold as Slack writes it
    buttons = [
        b
        for block in call.params["blocks"]
        if block["type"] == "actions"
        for b in block["elements"]
    ]
    assert buttons and all(button["value"] for button in buttons)


async def test_requests_without_a_valid_recent_signature_are_refused(
    fake_slack: FakeSlack, slack: SlackAdapter
) -> None:
    body = slash_command_body("agenda")
    forged = signed_headers(body, secret="not-the-secret")
    assert await post(slack, body, forged) == 401
    stale = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    assert await post(slack, body, stale) == 401
    tampered = signed_headers(body)
    assert await post(slack, body.replace("agenda", "forget"), tampered) == 401
    # Refused before any listener runs; the one request signed right is the only one answered.
    assert await signed_post(slack, slash_command_body("help")) == 200
    [answered] = await fake_slack.wait_for("chat.postMessage")
    assert "/start" in str(answered.params.get("text"))  # the help, not an agenda
    assert len(fake_slack.of("chat.postMessage")) == 1


async def test_an_event_slack_delivers_again_is_handled_once(
    fake_slack: FakeSlack, slack: SlackAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.dispatcher")
    body = event_body(message_im_event("agenda 2017-12-02"), event_id="Ev0042")
    assert await signed_post(slack, body) == 200
    await fake_slack.wait_for("chat.postMessage")
    assert (
        await signed_post(
            slack, body, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        )
        == 200
    )
    await logged(caplog, "seen before: skipped")
    assert len(fake_slack.of("chat.postMessage")) == 1


async def test_a_mention_in_a_channel_shows_only_what_anyone_may_see(
    fake_slack: FakeSlack, slack: SlackAdapter
) -> None:
    await signed_post(slack, event_body(app_mention_event("<@UBOT> next", channel="C0001")))
    [call] = await fake_slack.wait_for("chat.postMessage")
    assert call.params["channel"] == "C0001"
    assert "privado" in call.params["text"]  # personal: offered in a private chat instead


async def test_a_button_edits_its_message_in_place(
    fake_slack: FakeSlack, slack: SlackAdapter
) -> None:
    await signed_post(slack, slash_command_body("agenda 2017-12-02"))
    [call] = await fake_slack.wait_for("chat.postMessage")
    later = button_value(call, "agenda:")
    body = block_action_body("choice-0-0", later, message_ts="1700000000.000100")
    assert await signed_post(slack, body) == 200
    [update] = await fake_slack.wait_for("chat.update")
    assert update.params["ts"] == "1700000000.000100" and update.params["channel"] == "D123"


async def test_a_slack_account_is_linked_by_its_profile_email(
    fake_slack: FakeSlack,
    slack: SlackAdapter,
    sessions: SessionFactory,
    demo_event: Event,
    dispatcher: Dispatcher,
) -> None:
    async with sessions() as db:
        person = await make_participant(
            db,
            demo_event.id,
            dispatcher.clock.now(),
            name="Nadia Haddad",
            email="nadia@example.org",
            language="fr",
        )
        await db.commit()
    fake_slack.add_user("U789", "Nadia H.", email="Nadia@Example.org ", locale="en-US")
    await signed_post(slack, slash_command_body("mydata", user_id="U789", channel_id="D789"))
    [call] = await fake_slack.wait_for("chat.postMessage")
    assert "Nadia Haddad" in call.params["text"]  # linked: her registration, in French
    async with sessions() as db:
        account = (
            await db.execute(select(ChatIdentity).where(ChatIdentity.external_id == "U789"))
        ).scalar_one()
        assert account.participant_id == person.id


async def test_the_outbox_reaches_slack_accounts_and_honours_retry_after(
    fake_slack: FakeSlack,
    slack: SlackAdapter,
    sessions: SessionFactory,
    demo_event: Event,
    dispatcher: Dispatcher,
) -> None:
    now = dispatcher.clock.now()
    async with sessions() as db:
        ids = []
        for user in ("U123", "U456"):
            person = await make_participant(db, demo_event.id, now, role=Role.CIVIL_SOCIETY)
            db.add(
                ChatIdentity(
                    platform="slack",
                    external_id=user,
                    participant_id=person.id,
                    created_at=now,
                    last_seen_at=now,
                )
            )
            ids.append(person.id)
        await db.flush()
        for number, pid in enumerate(ids):
            await outbox.enqueue(
                db,
                f"test:{number}",
                pid,
                GroupPost(group={"en": "Firewalls"}, text="Hi"),
                now,
            )
        await db.commit()
    fake_slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=1)
    fake_slack.fail_next("conversations.open", "account_inactive")  # U123 left the workspace
    worker = DeliveryWorker(sessions, dispatcher.clock, build_notices(), {"slack": slack})
    while await worker.deliver_due():
        pass
    async with sessions() as db:
        outcomes = sorted((await db.execute(select(OutboxMessage.status))).scalars())
    assert outcomes == [OutboxStatus.DELIVERED, OutboxStatus.UNREACHABLE]
    refused, delivered = fake_slack.of("chat.postMessage")  # 429, then the same again
    assert refused.params["text"] == delivered.params["text"]
    assert "Firewalls" in delivered.params["text"] and delivered.params["channel"] == "D456"


async def test_socket_mode_takes_a_slash_command_and_acknowledges_it(
    fake_slack: FakeSlack, dispatcher: Dispatcher, demo_event: Event
) -> None:
    fake_slack.add_user("U123", "Lucía Pérez", locale="es-ES")
    settings = SlackSettings(
        bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake_slack.url + "/api/"
    )
    adapter = SlackAdapter(settings, dispatcher)
    await adapter.start()
    try:
        envelope = await fake_slack.socket_send("slash_commands", slash_command("help"))
        await fake_slack.wait_for_ack(envelope)
        [call] = await fake_slack.wait_for("chat.postMessage")
        assert "/start —" in call.params["text"]
    finally:
        await adapter.stop()


async def test_opening_the_app_home_publishes_my_dashboard_in_my_language(
    fake_slack: FakeSlack, slack: SlackAdapter
) -> None:
    await signed_post(slack, event_body(app_home_opened_event("U123"), event_id="Ev0077"))
    [call] = await fake_slack.wait_for("views.publish")
    assert call.params["user_id"] == "U123" and call.params["view"]["type"] == "home"
    text = " ".join(
        block["text"]["text"] for block in call.params["view"]["blocks"] if "text" in block
    )
    assert "/programa" in text  # a guest: how to link, and the public programme meanwhile
