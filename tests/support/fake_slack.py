"""A fake Slack Web API and Socket Mode server, over real HTTP, for slack_sdk and slack_bolt.

It records every Web API call, answers the methods the bot uses with the shapes Slack documents,
fails the next call of a method when a test asks (429 with Retry-After, an error such as
`user_not_found`, 500), and serves the Socket Mode WebSocket that `apps.connections.open`
points to. Module functions build the requests Slack sends to an app: signed HTTP bodies for
the Events API and interactivity, and the payloads of Socket Mode envelopes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-0001-0001-fake-bot-token"
APP_TOKEN = "xapp-1-A0001-0001-fake-app-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
VERIFICATION_TOKEN = "fake-verification-token"
TEAM_ID = "T0001"
TEAM_DOMAIN = "coordbot-test"
APP_ID = "A0001"
BOT_ID = "B0001"
BOT_USER_ID = "UBOT"
BOT_NAME = "coordbot"
# A closed local port: a request body's response_url must never lead to the real Slack.
RESPONSE_URL = "http://127.0.0.1:9/commands/T0001/1/fake"

T = TypeVar("T")

_JSON_FIELDS = ("blocks", "view", "attachments", "files")
_APP_TOKEN_METHODS = ("apps.connections.open",)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    error: str
    status: int = 200
    retry_after: int | None = None


@dataclass
class Ack:
    """What the app answered to a Socket Mode envelope (`payload` when it acked with content)."""

    envelope_id: str
    payload: dict[str, Any] | None = None


@dataclass
class User:
    id: str
    name: str
    email: str | None = None
    locale: str = "en-US"
    tz: str = "America/Mexico_City"
    deleted: bool = False

    def info(self, include_locale: bool) -> dict[str, Any]:
        """The `user` of users.info: `locale` only when asked for, `email` only when known
        (Slack gives it to apps with the users:read.email scope)."""
        profile: dict[str, Any] = {
            "real_name": self.name,
            "display_name": self.name.split()[0] if self.name else "",
            "real_name_normalized": self.name,
            "display_name_normalized": self.name.split()[0] if self.name else "",
            "team": TEAM_ID,
        }
        if self.email is not None:
            profile["email"] = self.email
        offset = datetime.now(ZoneInfo(self.tz)).utcoffset()
        user: dict[str, Any] = {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": ".".join(self.name.lower().split()) or self.id.lower(),
            "deleted": self.deleted,
            "real_name": self.name,
            "tz": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_bot": False,
            "is_app_user": False,
            "updated": 1700000000,
        }
        if include_locale:
            user["locale"] = self.locale
        return user


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    url: str = ""
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id → the bytes uploaded
    _home_views: dict[str, str] = field(default_factory=dict)
    _tickets: set[str] = field(default_factory=set)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _changed: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_get("/link", self._socket)
        app.router.add_post("/hooks/{path:.*}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Closes the WebSockets first: the server's cleanup would otherwise wait for them."""
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # What tests do

    def add_user(
        self,
        user_id: str,
        name: str = "Amina Diallo",
        email: str | None = None,
        locale: str = "en-US",
        tz: str = "America/Mexico_City",
        deleted: bool = False,
    ) -> User:
        self.users[user_id] = User(user_id, name, email, locale, tz, deleted)
        return self.users[user_id]

    def fail_next(
        self, method: str, error: str, status: int = 200, retry_after: int | None = None
    ) -> None:
        """The next call of `method` answers `{"ok": false, "error": error}` with `status`, and a
        Retry-After header when `retry_after` is given (Slack's 429 carries one)."""
        self.failures.setdefault(method, []).append(Failure(error, status, retry_after))

    def response_url(self) -> str:
        """A response_url served here: what the app posts to it is a call named "response_url"."""
        return f"{self.url}/hooks/commands/{TEAM_ID}/{next(self._ids)}/fake"

    def of(self, *methods: str) -> list[Call]:
        return [call for call in self.calls if call.method in methods]

    async def wait_for(self, method: str, count: int = 1, within: float = 10) -> list[Call]:
        """The calls of `method` once there are at least `count` of them."""
        return await self.messages(lambda call: call.method == method, count, within)

    async def messages(
        self, wanted: Callable[[Call], bool], count: int = 1, within: float = 10
    ) -> list[Call]:
        """The calls that are `wanted`, once there are at least `count` of them."""
        return await self._until(lambda: [c for c in self.calls if wanted(c)], count, within)

    def sent_texts(self) -> list[str]:
        return [
            str(call.params.get("text", ""))
            for call in self.of("chat.postMessage", "chat.update", "chat.postEphemeral")
        ]

    async def socket_send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        accepts_response_payload: bool | None = None,
        within: float = 10,
    ) -> str:
        """Sends an envelope to the app connected by Socket Mode (the latest, once one is) and
        returns its id. Slack lets slash commands and interactions be answered in the ack, not
        events."""
        await self._until(lambda: [s for s in self._sockets if not s.closed], 1, within)
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "accepts_response_payload": (
                envelope_type != "events_api"
                if accepts_response_payload is None
                else accepts_response_payload
            ),
            "payload": payload,
        }
        if envelope_type == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        [socket, *_] = [s for s in reversed(self._sockets) if not s.closed]
        await socket.send_json(envelope)
        return envelope_id

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Asks the connected apps to reconnect, as Slack does every few hours."""
        for socket in [s for s in self._sockets if not s.closed]:
            await socket.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
            )

    async def wait_for_ack(self, envelope_id: str, within: float = 10) -> Ack:
        [ack] = await self._until(
            lambda: [a for a in self.acks if a.envelope_id == envelope_id], 1, within
        )
        return ack

    async def _until(self, found: Callable[[], list[T]], count: int, within: float) -> list[T]:
        deadline = time.monotonic() + within
        assert self._changed is not None
        async with self._changed:
            while len(result := found()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{len(result)} found, expected {count}; calls: "
                        f"{[c.method for c in self.calls]}, acks: {len(self.acks)}"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)
        return result

    async def _record(self, change: Callable[[], None]) -> None:
        assert self._changed is not None
        async with self._changed:
            change()
            self._changed.notify_all()

    # The Web API

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        refused = _token_error(method, request.headers.get("Authorization", ""))
        if refused:
            return web.json_response({"ok": False, "error": refused})
        params = await _params(request)
        await self._record(lambda: self.calls.append(Call(method, params)))
        pending = self.failures.get(method)
        if pending:
            failure = pending.pop(0)
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            return web.json_response(
                {"ok": False, "error": failure.error}, status=failure.status, headers=headers
            )
        return web.json_response({"ok": True, **self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "url": f"https://{TEAM_DOMAIN}.slack.com/",
                "team": "Coordbot Test",
                "user": BOT_NAME,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            channel = _channel(str(params.get("channel", "")))
            return {"channel": channel, "ts": ts, "message": _message(params, ts)}
        if method == "chat.update":
            ts = str(params.get("ts", ""))
            return {
                "channel": params.get("channel"),
                "ts": ts,
                "text": params.get("text", ""),
                "message": _message(params, ts),
            }
        if method == "chat.postEphemeral":
            return {"message_ts": self._next_ts()}
        if method == "conversations.open":
            return self._open(params)
        if method == "users.info":
            return self._user_info(params)
        if method in ("views.publish", "views.open", "views.update", "views.push"):
            return {"view": self._view(method, params)}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):08d}"
            return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = params.get("files") or []
            missing = [f["id"] for f in files if f["id"] not in self.uploads]
            if missing or not params.get("channel_id"):
                return {"ok": False, "error": "invalid_arguments"}
            return {"files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "apps.connections.open":
            ticket = str(uuid.uuid4())
            self._tickets.add(ticket)
            return {"url": f"ws{self.url.removeprefix('http')}/link?ticket={ticket}"}
        return {}

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"channel": {"id": params["channel"]}}
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(users) > 1:
            return {"channel": {"id": "G" + "".join(u.removeprefix("U") for u in users)}}
        return {"channel": {"id": _channel(users[0])}}

    def _user_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"user": user.info(str(params.get("include_locale")).lower() in ("true", "1"))}

    def _view(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        content = params.get("view")
        content = dict(content) if isinstance(content, dict) else {}
        if method == "views.publish":
            user = str(params.get("user_id", ""))
            view_id = self._home_views.setdefault(user, f"V{next(self._ids):08d}")
        elif method == "views.update" and params.get("view_id"):
            view_id = str(params["view_id"])
        else:
            view_id = f"V{next(self._ids):08d}"
        return {
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "type": content.get("type", "home" if method == "views.publish" else "modal"),
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            "hash": f"1700000000.{view_id}",
            "root_view_id": view_id,
            "previous_view_id": None,
            **content,
        }

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL files.getUploadURLExternal hands out: the file's bytes as the body."""
        data = await request.read()
        file_id = request.match_info["file_id"]
        await self._record(lambda: self.uploads.__setitem__(file_id, data))
        return web.Response(text=f"OK - {len(data)}")

    async def _response_url(self, request: web.Request) -> web.Response:
        params = await _params(request)
        await self._record(lambda: self.calls.append(Call("response_url", params)))
        return web.Response(text="ok")

    # Socket Mode

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") not in self._tickets:
            return web.Response(status=401, text="invalid ticket")
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": 1 + sum(not s.closed for s in self._sockets),
                "debug_info": {
                    "host": "applink-fake",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": APP_ID},
            }
        )
        await self._record(lambda: self._sockets.append(socket))
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                if isinstance(data, dict) and "envelope_id" in data:
                    ack = Ack(str(data["envelope_id"]), data.get("payload"))
                    await self._record(functools.partial(self.acks.append, ack))
        finally:
            await self._record(lambda: self._sockets.remove(socket))
        return socket


def _token_error(method: str, authorization: str) -> str | None:
    """Slack's answer to a missing or unknown token, or to the wrong kind for the method."""
    token = authorization.removeprefix("Bearer ").strip()
    if token not in (BOT_TOKEN, APP_TOKEN):
        return "invalid_auth"
    if (token == APP_TOKEN) != (method in _APP_TOKEN_METHODS):
        return "not_allowed_token_type"
    return None


async def _params(request: web.Request) -> dict[str, Any]:
    """Query string and body together: slack_sdk sends some methods' arguments in the URL
    (`params=`), others as a JSON or form-encoded body."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.can_read_body:
        form = await request.post()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    for key in _JSON_FIELDS:
        if isinstance(params.get(key), str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key])
    return params


def _channel(channel: str) -> str:
    """Where a message to `channel` lands: a user id means their direct messages with the bot."""
    if channel.startswith(("U", "W")):
        return "D" + channel[1:]
    return channel


def _message(params: dict[str, Any], ts: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "text": params.get("text", ""),
        "ts": ts,
    }
    for key in ("blocks", "attachments", "thread_ts", "metadata"):
        if key in params:
            message[key] = params[key]
    return message


# Requests as Slack sends them to an app


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
        "channel": _channel(user),
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


def button_value(call: Call, prefix: str) -> str:
    """The value of the first button in a posted message whose value starts with `prefix`."""
    return next(
        button["value"]
        for block in call.params["blocks"]
        if block["type"] == "actions"
        for button in block["elements"]
        if button["value"].startswith(prefix)
    )


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
