"""Slack over real HTTP as a hostile client would use it: unsigned floods, signed bodies of the
wrong shape, replays, and mentions typed by a person."""

from __future__ import annotations

import io
import json
import logging
import time
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select

from bot.db import SessionFactory
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.models import ChatIdentity, Event, OutboxMessage
from bot.platforms.slack import SlackAdapter, to_mrkdwn
from handlers import build_notices
from tests.support.factories import make_participant
from tests.support.fake_slack import FakeSlack, button_value
from tests.support.slack_requests import (
    app_home_opened_event,
    app_mention_event,
    block_action,
    block_action_body,
    event_body,
    event_callback,
    message_im_event,
    signed_headers,
    slash_command,
    slash_command_body,
    view_submission,
)
from tests.support.waiting import logged

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


async def post(
    adapter: SlackAdapter, body: str | bytes, headers: dict[str, str]
) -> tuple[int, str]:
    url = f"http://127.0.0.1:{adapter.settings.port}{adapter.settings.path}"
    async with aiohttp.ClientSession() as client, client.post(url, data=body, headers=headers) as r:
        return r.status, await r.text()


async def signed_post(
    adapter: SlackAdapter, body: str | bytes, content_type: str | None = None, **headers: str
) -> int:
    status, _text = await post(
        adapter, body, signed_headers(body, content_type=content_type) | headers
    )
    return status


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.exc_info or record.exc_text]


def shown(call_params: dict[str, object]) -> list[str]:
    """Every piece of mrkdwn Slack renders for a posted message: its text and its sections."""
    blocks = call_params.get("blocks") or []
    assert isinstance(blocks, list)
    return [str(call_params.get("text", ""))] + [
        str(block["text"]["text"]) for block in blocks if block.get("type") == "section"
    ]


# Signatures before anything is read


async def test_an_unsigned_flood_of_malformed_json_is_refused_in_one_short_line(
    fake_slack: FakeSlack, slack: SlackAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = '{"type": "event_callback", "event": {'
    unsigned = {"Content-Type": JSON}
    odd = [
        unsigned,
        unsigned | {"X-Slack-Request-Timestamp": str(int(time.time()))},
        unsigned | {"X-Slack-Request-Timestamp": "²", "X-Slack-Signature": "v0=00"},
        unsigned | {"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=00"},
        unsigned | {"X-Slack-Request-Timestamp": "9" * 5000, "X-Slack-Signature": "v0=00"},
        signed_headers(body, secret="not-the-secret"),
        signed_headers(b"\xff\xfe" + body.encode(), secret="not-the-secret"),
    ]
    statuses = [(await post(slack, body, headers))[0] for headers in odd for _ in range(10)]
    assert statuses == [401] * len(statuses)
    assert tracebacks(caplog) == []
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and len(lines[0]) < 200, lines  # one line for the whole flood
    assert [call.method for call in fake_slack.calls] == ["auth.test"]  # the bot's start


async def test_a_body_too_large_is_refused_before_it_is_read(
    slack: SlackAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    body = b"payload=" + b"x" * (2 * 1024 * 1024)
    url = f"http://127.0.0.1:{slack.settings.port}{slack.settings.path}"
    async with (
        aiohttp.ClientSession() as client,
        client.post(url, data=io.BytesIO(body), headers=signed_headers(body)) as response,
    ):
        status = response.status
    assert status == 413 and tracebacks(caplog) == []


# Signed bodies of the wrong shape


def _form(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def _payload(value: object) -> bytes:
    return _form({"payload": json.dumps(value)})


def _event(event: object, **envelope: object) -> bytes:
    return json.dumps({**event_callback({"type": "message"}), "event": event, **envelope}).encode()


_message = message_im_event("agenda")
_command = slash_command("agenda")
_press = block_action("choice-0-0", "agenda:1")
_form_sent = view_submission("form:broadcast", {"en": "hi"})

HOSTILE = {
    "malformed JSON": (b'{"type": "event_callback", "event": {', JSON),
    "null": (b"null", JSON),
    "a list": (b"[1, 2]", JSON),
    "a string": (b'"event_callback"', JSON),
    "a number": (b"42", JSON),
    "deeply nested list": (b"[" * 50_000 + b"]" * 50_000, JSON),
    "deeply nested object": (b'{"a":' * 20_000 + b"1" + b"}" * 20_000, JSON),
    "nested past any Slack payload": (b'{"type":' + b'{"a":' * 100 + b"1" + b"}" * 101, JSON),
    "invalid UTF-8": (b'{"type": "event_callback", "text": "\xff\xfe"}', JSON),
    "payload not JSON": (_form({"payload": "{not json"}), FORM),
    "payload null": (_payload(None), FORM),
    "payload a list": (_payload([_press]), FORM),
    "event a string": (_event("message"), JSON),
    "event without type": (_event({"user": "U123"}), JSON),
    "user a number": (_event({**_message, "user": 5}), JSON),
    "text a list": (_event({**_message, "text": ["agenda"]}), JSON),
    "event_id a number": (_event(_message, event_id=7), JSON),
    "team a number": (_event(_message, team_id=None, authorizations=5), JSON),
    "command without user": (_form({k: v for k, v in _command.items() if k != "user_id"}), FORM),
    "command without trigger": (
        _form({k: v for k, v in _command.items() if k != "trigger_id"}),
        FORM,
    ),
    "actions a string": (_payload({**_press, "actions": "choice-0-0"}), FORM),
    "action without id": (_payload({**_press, "actions": [{"value": "agenda:1"}]}), FORM),
    "user without id": (_payload({**_press, "user": {"name": "x"}}), FORM),
    "container a list": (_payload({**_press, "container": []}), FORM),
    "view a number": (_payload({**_form_sent, "view": 5}), FORM),
    "view without callback": (
        _payload({**_form_sent, "view": {"state": {"values": {}}}}),
        FORM,
    ),
    "state values a list": (
        _payload({**_form_sent, "view": {**_form_sent["view"], "state": {"values": [1]}}}),
        FORM,
    ),
    "closed view without view": (_payload({"type": "view_closed", "user": {"id": "U123"}}), FORM),
}


@pytest.mark.parametrize("body, content_type", HOSTILE.values(), ids=HOSTILE.keys())
async def test_signed_bodies_of_the_wrong_shape_get_400_and_no_traceback(
    fake_slack: FakeSlack,
    slack: SlackAdapter,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
) -> None:
    assert await signed_post(slack, body, content_type) == 400
    assert tracebacks(caplog) == []
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) <= 1 and all(len(line) < 200 for line in lines), lines
    # …and the next, well-formed request is served as usual.
    assert await signed_post(slack, slash_command_body("help")) == 200
    [answer] = await fake_slack.wait_for("chat.postMessage")
    assert "/start —" in answer.params["text"]


async def test_an_event_we_do_not_handle_is_acknowledged_and_left_alone(
    fake_slack: FakeSlack, slack: SlackAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    reaction = {"type": "reaction_added", "user": "U123", "reaction": "tada", "item": {}}
    assert await signed_post(slack, event_body(reaction, "Ev0500")) == 200
    assert tracebacks(caplog) == []
    assert [call.method for call in fake_slack.calls] == ["auth.test"]


async def test_a_slash_command_that_says_payload_is_read_as_typed(
    fake_slack: FakeSlack, slack: SlackAdapter
) -> None:
    """slack-bolt takes any form body containing `payload` for an interaction's."""
    assert await signed_post(slack, slash_command_body("payload please")) == 200
    [answer] = await fake_slack.wait_for("chat.postMessage")
    assert "/payload" in answer.params["text"]  # not a known command, but read as one


# Slack's retries, and replays


async def test_a_replayed_slash_command_is_handled_once(
    fake_slack: FakeSlack, slack: SlackAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.dispatcher")
    body = slash_command_body("agenda 2017-12-02", channel_id="C0001")
    assert await signed_post(slack, body) == 200
    await fake_slack.wait_for("chat.postMessage")
    assert await signed_post(slack, body, **RETRY) == 200
    await logged(caplog, "seen before: skipped")
    assert len(fake_slack.of("chat.postMessage")) == 1
    assert len(fake_slack.of("chat.postEphemeral")) == 1  # the 📬 note, once


async def test_a_replayed_button_press_is_handled_once(
    fake_slack: FakeSlack, slack: SlackAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.dispatcher")
    await signed_post(slack, slash_command_body("agenda 2017-12-02"))
    [call] = await fake_slack.wait_for("chat.postMessage")
    later = button_value(call, "agenda:")
    body = block_action_body("choice-0-0", later, message_ts="1700000000.000100")
    assert await signed_post(slack, body) == 200
    await fake_slack.wait_for("chat.update")
    assert await signed_post(slack, body, **RETRY) == 200
    await logged(caplog, "seen before: skipped")
    assert len(fake_slack.of("chat.update")) == 1


async def test_a_replayed_app_home_event_is_handled_once(
    fake_slack: FakeSlack, slack: SlackAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.dispatcher")
    body = event_body(app_home_opened_event("U123"), event_id="Ev0078")
    assert await signed_post(slack, body) == 200
    await fake_slack.wait_for("views.publish")
    assert await signed_post(slack, body, **RETRY) == 200
    await logged(caplog, "seen before: skipped")
    assert len(fake_slack.of("views.publish")) == 1


# What a person typed never becomes a mention or a link


def test_a_link_of_ours_cannot_be_broken_out_of() -> None:
    """Our markup's links become Slack's <url|label>: an `&gt;` or a `|` in the URL stays in it."""
    link = '<a href="https://x.org/?a=1&amp;b=2&gt;&lt;!channel&gt;|y">see &lt;this&gt;</a>'
    assert (
        to_mrkdwn(link) == "<https://x.org/?a=1&amp;b=2&gt;&lt;!channel&gt;%7Cy|see &lt;this&gt;>"
    )


TYPED = ["<!channel>", "<!here>", "<!everyone>", "<@U999>", "<#C1>", "<!subteam^S1>"]


@pytest.mark.parametrize("typed", [*TYPED, "<https://evil.example|click>"])
async def test_a_mention_typed_after_the_bot_is_echoed_escaped(
    fake_slack: FakeSlack, slack: SlackAdapter, typed: str
) -> None:
    # `@coordbot /<!channel> hi` in a channel: "I do not know the command /<!channel>"
    await signed_post(slack, event_body(app_mention_event(f"<@UBOT> /{typed} hi")))
    [call] = await fake_slack.wait_for("chat.postMessage")
    assert call.params["channel"] == "C0001"
    # Commands are read in lower case, and `/<@U999>` as `/<` addressed to a bot `U999>`.
    escaped = typed.partition("@")[0].replace("<", "&lt;").replace(">", "&gt;").lower()
    for text in shown(call.params):
        assert escaped in text.lower() and "<" not in text and ">" not in text, text


async def test_a_group_post_reaches_slack_members_as_written_and_never_as_a_mention(
    fake_slack: FakeSlack,
    slack: SlackAdapter,
    sessions: SessionFactory,
    demo_event: Event,
    dispatcher: Dispatcher,
) -> None:
    now = dispatcher.clock.now()
    async with sessions() as db:
        for user in ("U123", "U456"):
            person = await make_participant(
                db, demo_event.id, now, name=f"Member {user}", language="en"
            )
            db.add(
                ChatIdentity(
                    platform="slack",
                    external_id=user,
                    participant_id=person.id,
                    created_at=now,
                    last_seen_at=now,
                )
            )
        await db.commit()
    for number, user in enumerate(("U123", "U456")):
        event = message_im_event("subscribe firewalls", user=user, channel=f"D{user[1:]}")
        await signed_post(slack, event_body(event, f"Ev01{number}"))
    await fake_slack.wait_for("chat.postMessage", 2)
    # As Slack sends what Lucía typed: her own `<`, `>` and `&` escaped, her @here and the
    # link she pasted as Slack's control sequences.
    typed = "post firewalls <!here> R&amp;D at 10 &lt;room 2&gt; <https://evil.example|click> "
    typed += " ".join(TYPED)
    await signed_post(slack, event_body(message_im_event(typed), "Ev0102"))
    await fake_slack.messages(lambda c: "Sent to 1 member" in str(c.params.get("text")))
    async with sessions() as db:
        [queued] = (await db.execute(select(OutboxMessage.payload))).scalars()
        assert queued["text"].startswith("<!here> R&D at 10 <room 2>")  # as she wrote it

    worker = DeliveryWorker(sessions, dispatcher.clock, build_notices(), {"slack": slack})
    while await worker.deliver_due():
        pass
    [relayed] = await fake_slack.messages(
        lambda c: (
            c.method == "chat.postMessage"
            and c.params.get("channel") == "D456"
            and "📣" in str(c.params.get("text"))
        )
    )
    for text in shown(relayed.params):
        assert "&lt;!here&gt; R&amp;D at 10 &lt;room 2&gt;" in text, text
        assert "&lt;https://evil.example|click&gt;" in text
        assert "<" not in text and ">" not in text
