"""A fake Telegram Bot API server, over real HTTP, for python-telegram-bot to talk to.

It records every call, serves updates through getUpdates (long polling included), and answers
with 429 (retry_after), 400, 403 or 500 when a test asks it to. As strict as Telegram: a call of
getUpdates with an offset confirms (drops for good) every update below it, a getUpdates while
another one is in flight (or while a webhook is set) gets 409, and `push` sends any JSON, also
updates that python-telegram-bot cannot parse (see `unparseable_poll`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# Call and Failure are re-exported: tests read the calls they wait for.
from tests.support.recording_server import ApiServer
from tests.support.recording_server import Call as Call
from tests.support.recording_server import Failure as Failure

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
BOT_USERNAME = "coordbot_test_bot"
BOT_ID = 123456
# What counts against a bot's 30 messages a second and a chat's one.
SENDING = (
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendVoice",
    "copyMessage",
    "forwardMessage",
)


@dataclass
class FakeTelegram(ApiServer):
    """`enforce_limits` makes it refuse, as Telegram does, more than 30 messages in any second
    and more than one a second to the same chat (429 with retry_after), counting every message
    sent (text, photo, document) per bot, whichever connection or process it comes from; a
    message sent with `allow_paid_broadcast` counts instead against the paid limit of 1,000 a
    second, and costs 0.1 Stars (`paid`: how many were sent so)."""

    enforce_limits: bool = False
    refused: int = 0
    conflicts: int = 0  # getUpdates refused with 409: another one was in flight
    last_get_updates: dict[str, Any] = field(default_factory=dict)  # its parameters
    updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    paid: int = 0
    _recent: deque[float] = field(default_factory=deque)
    _recent_paid: deque[float] = field(default_factory=deque)
    _last_to_chat: dict[str, float] = field(default_factory=dict)
    _polling: int = 0
    # What getWebhookInfo answers; setWebhook and deleteWebhook change its url.
    webhook: dict[str, Any] = field(
        default_factory=lambda: {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }
    )

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self._handle)

    # What tests do

    def fail_next(
        self, method: str, status: int, description: str, retry_after: int | None = None
    ) -> None:
        self.failures.setdefault(method, []).append(Failure(status, description, retry_after))

    async def push(self, update: dict[str, Any]) -> int:
        update = {"update_id": next(self._update_ids), **update}
        await self._record(lambda: self.updates.append(update))
        return int(update["update_id"])

    def sent_texts(self) -> list[str]:
        return [call.params["text"] for call in self.of("sendMessage", "editMessageText")]

    # The server

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await _params(request)
        if method == "getUpdates":
            return await self._get_updates_call(params)
        if self.enforce_limits and method in SENDING and self._over_limit(params):
            self.refused += 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                },
                status=429,
            )
        await self._record_call(method, params)
        failure = self._next_failure(method)
        if failure is not None:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.error,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return web.json_response(body, status=failure.status)
        return web.json_response({"ok": True, "result": await self._result(method, params)})

    def _over_limit(self, params: dict[str, Any]) -> bool:
        now = time.monotonic()
        paid = params.get("allow_paid_broadcast") in (True, "true", "True")
        recent, limit = (self._recent_paid, 1000) if paid else (self._recent, 30)
        while recent and recent[0] <= now - 1:
            recent.popleft()
        chat = str(params.get("chat_id"))
        if len(recent) >= limit or now - self._last_to_chat.get(chat, -10.0) < 1:
            return True
        recent.append(now)
        self._last_to_chat[chat] = now
        self.paid += paid
        return False

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "coordbot",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "sendVoice":  # a voice note sent on by its file id
            chat_id = int(params.get("chat_id") or 0)
            voice = {"file_id": params.get("voice"), "file_unique_id": "v", "duration": 1}
            return {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "voice": voice,
            }
        if method in ("sendMessage", "editMessageText", "sendPhoto", "sendDocument"):
            chat_id = int(params.get("chat_id") or 0)
            message = {
                "message_id": int(params.get("message_id") or next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "text": params.get("text", ""),
            }
            if method == "sendDocument":  # an upload gets an id; an id sent again is the same
                given = params.get("document")
                file_id = given if isinstance(given, str) else f"file-{len(self.calls)}"
                message["document"] = {"file_id": file_id, "file_unique_id": file_id}
            return message
        if method in ("getWebhookInfo", "setWebhook", "deleteWebhook"):
            return self._webhook_call(method, params)
        return True

    def _webhook_call(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getWebhookInfo":
            return self.webhook
        self.webhook["url"] = params.get("url", "") if method == "setWebhook" else ""
        return True

    async def _get_updates_call(self, params: dict[str, Any]) -> web.Response:
        if self.webhook["url"]:
            self.conflicts += 1
            description = "Conflict: can't use getUpdates method while webhook is active"
            return web.json_response(
                {"ok": False, "error_code": 409, "description": description}, status=409
            )
        if self._polling:
            self.conflicts += 1
            description = (
                "Conflict: terminated by other getUpdates request; make sure that only one bot "
                "instance is running"
            )
            return web.json_response(
                {"ok": False, "error_code": 409, "description": description}, status=409
            )
        failure = self._next_failure("getUpdates")
        if failure is not None:
            body = {"ok": False, "error_code": failure.status, "description": failure.error}
            return web.json_response(body, status=failure.status)
        self._polling += 1
        self.last_get_updates = params
        try:
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        finally:
            self._polling -= 1

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """As Telegram: an offset confirms every update below it, which is never sent again;
        without one, the updates not yet confirmed are sent."""
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), 1.0)
        assert self._changed is not None
        async with self._changed:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            if not self.updates and timeout:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout)
            return [u for u in self.updates if u["update_id"] >= offset][:limit]


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data: dict[str, Any] = await request.json()
        return data
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):  # a photo or document: its bytes
            params[key] = value.file.read()
            continue
        text = value
        if key in ("reply_markup", "commands", "allowed_updates", "link_preview_options"):
            params[key] = json.loads(text)
        else:
            params[key] = text
    return params


# Updates as Telegram sends them


def user(
    user_id: int = 42, language_code: str | None = "fr", first_name: str = "Amina"
) -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language_code,
    }


def private_chat(user_id: int = 42) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "Amina"}


def group_chat(chat_id: int = -100200) -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": "Delegates"}


def text_message(
    text: str, sender: dict[str, Any] | None = None, chat: dict[str, Any] | None = None
) -> dict[str, Any]:
    sender = sender or user()
    message: dict[str, Any] = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": chat or private_chat(sender["id"]),
        "from": sender,
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"message": message}


def unparseable_poll() -> dict[str, Any]:
    """A poll as older Bot API servers send it: without `allows_revoting` and `members_only`,
    which python-telegram-bot 22 requires (telegram/_poll.py), so it cannot parse the update."""
    return {
        "poll": {
            "id": "5",
            "question": "Lunch?",
            "options": [{"text": "yes", "voter_count": 1}, {"text": "no", "voter_count": 0}],
            "total_voter_count": 1,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        }
    }


def voice_message(file_id: str, sender: dict[str, Any] | None = None) -> dict[str, Any]:
    """A voice note recorded in the chat app and sent to the bot."""
    sender = sender or user()
    return {
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": private_chat(sender["id"]),
            "from": sender,
            "voice": {"file_id": file_id, "file_unique_id": f"u-{file_id}", "duration": 4},
        }
    }


def button_press(
    data: str, sender: dict[str, Any] | None = None, message_id: int = 7
) -> dict[str, Any]:
    sender = sender or user()
    return {
        "callback_query": {
            "id": f"cb{time.monotonic_ns()}",
            "from": sender,
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": private_chat(sender["id"]),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "coordbot"},
                "text": "…",
            },
        }
    }
