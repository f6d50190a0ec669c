"""The fake Slack server against the real slack_sdk and slack_bolt: what the Slack tests rely on."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import (
    block_action_body,
    event_body,
    event_callback,
    message_im_event,
    selected,
    signed_headers,
    slash_command,
    slash_command_body,
    view_submission_body,
)
from tests.support.slack_workspace import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Agenda*"}}]


def web_client(fake: FakeSlack, token: str = BOT_TOKEN) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=fake.url + "/api/",
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )


async def test_a_posted_message_is_recorded_with_its_blocks(fake_slack: FakeSlack) -> None:
    client = web_client(fake_slack)
    first = await client.chat_postMessage(channel="U123", text="Agenda", blocks=BLOCKS)
    second = await client.chat_postMessage(channel="C0001", text="Again")
    assert first["channel"] == "D123"  # a user id: their direct messages with the bot
    assert first["ts"] < second["ts"]
    assert first["message"]["blocks"] == BLOCKS
    [call, _] = fake_slack.of("chat.postMessage")
    assert call.params["blocks"] == BLOCKS
    assert fake_slack.sent_texts() == ["Agenda", "Again"]
    opened = await client.conversations_open(users="U456")
    assert opened["channel"]["id"] == "D456"


async def test_a_form_encoded_call_has_its_json_fields_decoded(fake_slack: FakeSlack) -> None:
    client = web_client(fake_slack)
    await client.api_call("chat.update", data={"channel": "D1", "ts": "1.2", "blocks": "[]"})
    [call] = fake_slack.of("chat.update")
    assert call.params == {"channel": "D1", "ts": "1.2", "blocks": []}


async def test_a_wrong_token_is_refused_and_not_recorded(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as refused:
        await web_client(fake_slack, token="xoxb-not-ours").auth_test()
    assert refused.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as wrong_kind:
        await web_client(fake_slack, token=APP_TOKEN).auth_test()
    assert wrong_kind.value.response["error"] == "not_allowed_token_type"
    assert fake_slack.calls == []


async def test_a_429_is_waited_out_and_the_message_still_arrives(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=1)
    sent = await web_client(fake_slack).chat_postMessage(channel="D123", text="Hello")
    assert sent["ok"]
    refused, accepted = fake_slack.of("chat.postMessage")
    assert accepted.at - refused.at >= 1  # Retry-After was honoured
    assert accepted.params == refused.params == {"channel": "D123", "text": "Hello"}


async def test_errors_and_server_failures_reach_the_caller(fake_slack: FakeSlack) -> None:
    client = web_client(fake_slack)
    fake_slack.fail_next("chat.postMessage", "channel_not_found")
    fake_slack.fail_next("chat.postMessage", "internal_error", status=500)
    for error, status in (("channel_not_found", 200), ("internal_error", 500)):
        with pytest.raises(SlackApiError) as failed:
            await client.chat_postMessage(channel="C404", text="Hello")
        assert (failed.value.response["error"], failed.value.response.status_code) == (
            error,
            status,
        )
    assert (await client.chat_postMessage(channel="C404", text="Hello"))["ok"]


async def test_users_info_gives_the_locale_only_when_asked(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U123", name="Amina Diallo", email="amina@example.org", locale="fr-FR")
    client = web_client(fake_slack)
    user = (await client.users_info(user="U123", include_locale=True))["user"]
    assert (user["id"], user["real_name"], user["locale"]) == ("U123", "Amina Diallo", "fr-FR")
    assert user["tz"] == "America/Mexico_City"
    assert user["profile"]["email"] == "amina@example.org"
    assert "locale" not in (await client.users_info(user="U123"))["user"]
    with pytest.raises(SlackApiError) as unknown:
        await client.users_info(user="U999")
    assert unknown.value.response["error"] == "user_not_found"


async def test_views_are_echoed_with_an_id(fake_slack: FakeSlack) -> None:
    client = web_client(fake_slack)
    home = {"type": "home", "blocks": BLOCKS}
    first = (await client.views_publish(user_id="U123", view=home))["view"]
    again = (await client.views_publish(user_id="U123", view=home))["view"]
    assert first["id"].startswith("V") and first["id"] == again["id"]
    assert first["blocks"] == BLOCKS
    modal = {"type": "modal", "callback_id": "form:x", "title": {"type": "plain_text", "text": "X"}}
    opened = (await client.views_open(trigger_id="1.2.3", view=modal))["view"]
    assert (opened["type"], opened["callback_id"]) == ("modal", "form:x")
    updated = (await client.views_update(view_id=opened["id"], view=modal))["view"]
    assert updated["id"] == opened["id"]


async def test_bolt_in_socket_mode_receives_a_slash_command_and_acks_it(
    fake_slack: FakeSlack,
) -> None:
    app = AsyncApp(client=web_client(fake_slack), signing_secret=SIGNING_SECRET)
    received: list[str] = []

    @app.command("/coordbot")
    async def command(ack: Callable[[], Awaitable[None]], command: dict[str, str]) -> None:
        received.append(command["text"])
        await ack()

    handler = AsyncSocketModeHandler(app, APP_TOKEN)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        envelope_id = await fake_slack.socket_send("slash_commands", slash_command("agenda"))
        ack = await fake_slack.wait_for_ack(envelope_id)
        assert ack.payload is None
        assert received == ["agenda"]
        assert fake_slack.of("apps.connections.open")
        assert fake_slack.of("auth.test")  # bolt learns who it is before the first request
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def test_bolt_acks_events_and_reconnects_when_slack_asks(fake_slack: FakeSlack) -> None:
    app = AsyncApp(client=web_client(fake_slack), signing_secret=SIGNING_SECRET)

    @app.event("message")
    async def message(event: dict[str, str], say: Callable[[str], Awaitable[None]]) -> None:
        await say(f"You said {event['text']}")

    handler = AsyncSocketModeHandler(app, APP_TOKEN)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        await fake_slack.socket_disconnect()
        await fake_slack.wait_for("apps.connections.open", 2)
        envelope_id = await fake_slack.socket_send(
            "events_api", event_callback(message_im_event("hello"))
        )
        await fake_slack.wait_for_ack(envelope_id)  # bolt acks events before running listeners
        [reply] = await fake_slack.wait_for("chat.postMessage")
        assert (reply.params["channel"], reply.params["text"]) == ("D123", "You said hello")
        assert reply.params["team_id"] == "T0001"  # bolt's clients name the workspace each time
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


def test_signed_headers_pass_slack_sdk_verification_and_a_tampered_body_does_not() -> None:
    verifier = SignatureVerifier(SIGNING_SECRET)
    body = slash_command_body("agenda")
    headers = signed_headers(body)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body.replace("agenda", "broadcast"), headers)
    assert not verifier.is_valid_request(body, signed_headers(body, secret="another"))
    stale = signed_headers(body, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)


def test_request_bodies_have_slack_shapes() -> None:
    command = dict(parse_qsl(slash_command_body("agenda", user_id="U7")))
    assert (command["command"], command["text"], command["user_id"]) == (
        "/coordbot",
        "agenda",
        "U7",
    )
    event = json.loads(event_body(message_im_event("hello"), event_id="Ev9"))
    assert (event["type"], event["event_id"], event["event"]["channel_type"]) == (
        "event_callback",
        "Ev9",
        "im",
    )
    action = json.loads(dict(parse_qsl(block_action_body("choice-0-0", "lang:fr")))["payload"])
    assert action["actions"][0]["value"] == "lang:fr"
    assert action["container"]["type"] == "message"
    values: dict[str, str | dict[str, Any] | None] = {
        "title": "Lunch",
        "body": "Line one\nLine two",
        "group": selected("g1", "Delegates"),
    }
    form = json.loads(dict(parse_qsl(view_submission_body("form:broadcast", values)))["payload"])
    state = form["view"]["state"]["values"]
    assert state["body"]["body"] == {"type": "plain_text_input", "value": "Line one\nLine two"}
    assert state["group"]["group"]["selected_option"]["value"] == "g1"
