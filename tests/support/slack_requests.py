"""Requests as Slack sends them to an app, as bolt's tests build them: signed HTTP bodies for
the Events API, slash commands and interactivity, and the payloads of Socket Mode envelopes.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from tests.support.slack_workspace import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    RESPONSE_URL,
    SIGNING_SECRET,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    direct_channel,
)

__all__ = [
    "app_home_opened_event",
    "app_mention_event",
    "block_action",
    "block_action_body",
    "event_body",
    "event_callback",
    "message_im_event",
    "new_trigger_id",
    "selected",
    "signed_headers",
    "slash_command",
    "slash_command_body",
    "view_submission",
    "view_submission_body",
]


def signed_headers(
    body: str | bytes,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str | None = None,
) -> dict[str, str]:
    """Slack's signature headers for `body`, signed over its bytes as sent (and its content
    type: `content_type`, else guessed from its shape)."""
    raw = body if isinstance(body, bytes) else body.encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256)
    if content_type is None:
        content_type = (
            "application/json" if raw.startswith(b"{") else "application/x-www-form-urlencoded"
        )
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }


_triggers = itertools.count(1)


def new_trigger_id() -> str:
    """A fresh trigger id; Slack's allow one modal to be opened within three seconds."""
    return f"{next(_triggers)}.1700000000.{uuid.uuid4().hex[:24]}"


def slash_command(
    text: str,
    user_id: str = "U123",
    channel_id: str = "D123",
    command: str = "/coordbot",
    trigger_id: str | None = None,
    response_url: str = RESPONSE_URL,
) -> dict[str, str]:
    """A slash command's fields: the form of an HTTP request, the payload of a Socket Mode
    `slash_commands` envelope."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": "directmessage" if channel_id.startswith("D") else "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def slash_command_body(
    text: str,
    user_id: str = "U123",
    channel_id: str = "D123",
    command: str = "/coordbot",
    trigger_id: str | None = None,
    response_url: str = RESPONSE_URL,
) -> str:
    return urlencode(slash_command(text, user_id, channel_id, command, trigger_id, response_url))


def event_callback(event: dict[str, Any], event_id: str = "Ev01") -> dict[str, Any]:
    """The Events API envelope around `event`: an HTTP body, or the payload of a Socket Mode
    `events_api` envelope."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def event_body(event: dict[str, Any], event_id: str = "Ev01") -> str:
    return json.dumps(event_callback(event, event_id))


def message_im_event(text: str, user: str = "U123", channel: str = "D123") -> dict[str, Any]:
    """A person's message in their direct messages with the bot."""
    ts = _now_ts()
    return {
        "type": "message",
        "channel_type": "im",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": TEAM_ID,
        "client_msg_id": str(uuid.uuid4()),
        "blocks": [_rich_text(text)],
    }


def app_mention_event(text: str, user: str = "U123", channel: str = "C0001") -> dict[str, Any]:
    """A mention of the bot in a channel; Slack's text starts with the mention, added when
    `text` has none."""
    mention = f"<@{BOT_USER_ID}>"
    if mention not in text:
        text = f"{mention} {text}"
    ts = _now_ts()
    return {
        "type": "app_mention",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": TEAM_ID,
        "client_msg_id": str(uuid.uuid4()),
        "blocks": [_rich_text(text)],
    }


def app_home_opened_event(user: str = "U123", tab: str = "home") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": direct_channel(user),
        "tab": tab,
        "event_ts": _now_ts(),
    }


def block_action(
    action_id: str,
    value: str,
    user_id: str = "U123",
    channel_id: str = "D123",
    message_ts: str = "1700000000.000100",
    block_id: str = "choices",
) -> dict[str, Any]:
    """A button pressed on a message: the `payload` of an HTTP request, or of a Socket Mode
    `interactive` envelope."""
    return {
        "type": "block_actions",
        "user": _interaction_user(user_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": new_trigger_id(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {
            "id": channel_id,
            "name": "directmessage" if channel_id.startswith("D") else "general",
        },
        "message": {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": "…",
            "ts": message_ts,
        },
        "state": {"values": {}},
        "response_url": RESPONSE_URL,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": "…", "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": _now_ts(),
            }
        ],
    }


def block_action_body(
    action_id: str,
    value: str,
    user_id: str = "U123",
    channel_id: str = "D123",
    message_ts: str = "1700000000.000100",
    block_id: str = "choices",
) -> str:
    return _payload_form(block_action(action_id, value, user_id, channel_id, message_ts, block_id))


def selected(value: str | None, text: str | None = None) -> dict[str, Any]:
    """A static_select's state in a submitted view (None: nothing chosen)."""
    option = None
    if value is not None:
        option = {
            "text": {"type": "plain_text", "text": text or value, "emoji": True},
            "value": value,
        }
    return {"type": "static_select", "selected_option": option}


def view_submission(
    callback_id: str,
    values: Mapping[str, str | dict[str, Any] | None],
    user_id: str = "U123",
    private_metadata: str = "",
    view_id: str = "V00000001",
) -> dict[str, Any]:
    """A submitted modal. `values` by input, whose block and action ids are its name: a string
    (or None, left empty) for a plain_text_input, single or multi-line alike; `selected(...)`
    for a static_select."""
    state: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        if isinstance(value, dict):
            state[name] = {name: value}
        else:
            state[name] = {name: {"type": "plain_text_input", "value": value}}
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": _interaction_user(user_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": state},
            "hash": f"1700000000.{view_id}",
            "title": {"type": "plain_text", "text": "coordbot", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": "",
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_submission_body(
    callback_id: str,
    values: Mapping[str, str | dict[str, Any] | None],
    user_id: str = "U123",
    private_metadata: str = "",
    view_id: str = "V00000001",
) -> str:
    return _payload_form(view_submission(callback_id, values, user_id, private_metadata, view_id))


def _payload_form(payload: dict[str, Any]) -> str:
    """Interactions come form-encoded, as one `payload` field holding JSON."""
    return urlencode({"payload": json.dumps(payload)})


def _interaction_user(user_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID}


def _rich_text(text: str) -> dict[str, Any]:
    return {
        "type": "rich_text",
        "block_id": uuid.uuid4().hex[:5],
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
    }


def _now_ts() -> str:
    return f"{time.time():.6f}"
