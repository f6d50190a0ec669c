"""A fake Slack Web API and Socket Mode server, over real HTTP, for slack_sdk and slack_bolt.

It records every Web API call, answers the methods the bot uses with the shapes Slack documents,
fails the next call of a method when a test asks (429 with Retry-After, an error such as
`user_not_found`, 500), and serves the Socket Mode WebSocket that `apps.connections.open`
points to. The requests Slack sends to an app are built in `slack_requests`, the workspace's
ids and secrets are in `slack_workspace`.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import WSMsgType, web

from bot.dispatcher import Dispatcher
from bot.platforms.slack import SlackAdapter
from bot.platforms.slack_settings import SlackSettings
from tests.support.processes import free_port

# Call and Failure are re-exported: tests read the calls they wait for.
from tests.support.recording_server import ApiServer, Failure
from tests.support.recording_server import Call as Call
from tests.support.slack_workspace import (
    APP_ID,
    APP_TOKEN,
    BOT_ID,
    BOT_NAME,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    TEAM_DOMAIN,
    TEAM_ID,
    direct_channel,
)

_JSON_FIELDS = ("blocks", "view", "attachments", "files")
_APP_TOKEN_METHODS = ("apps.connections.open",)


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
class FakeSlack(ApiServer):
    acks: list[Ack] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id → the bytes uploaded
    _home_views: dict[str, str] = field(default_factory=dict)
    _tickets: set[str] = field(default_factory=set)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)

    def _routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_get("/link", self._socket)
        app.router.add_post("/hooks/{path:.*}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)

    async def stop(self) -> None:
        """Closes the WebSockets first: the server's cleanup would otherwise wait for them."""
        for socket in list(self._sockets):
            await socket.close()
        await super().stop()

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
        self.failures.setdefault(method, []).append(Failure(status, error, retry_after))

    def response_url(self) -> str:
        """A response_url served here: what the app posts to it is a call named "response_url"."""
        return f"{self.url}/hooks/commands/{TEAM_ID}/{next(self._ids)}/fake"

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
        await self._until(lambda: [s for s in self._sockets if not s.closed], 1, within, self._seen)
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
            lambda: [a for a in self.acks if a.envelope_id == envelope_id], 1, within, self._seen
        )
        return ack

    def _seen(self) -> str:
        return f"{super()._seen()}, acks: {len(self.acks)}"

    # The Web API

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        refused = _token_error(method, request.headers.get("Authorization", ""))
        if refused:
            return web.json_response({"ok": False, "error": refused})
        params = await _params(request)
        await self._record_call(method, params)
        failure = self._next_failure(method)
        if failure is not None:
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
            channel = direct_channel(str(params.get("channel", "")))
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
        return {"channel": {"id": direct_channel(users[0])}}

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
        await self._record_call("response_url", params)
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


# Reading what the app posted


def button_value(call: Call, prefix: str) -> str:
    """The value of the first button in a posted message whose value starts with `prefix`."""
    return next(
        str(button["value"])
        for block in call.params["blocks"]
        if block["type"] == "actions"
        for button in block["elements"]
        if button["value"].startswith(prefix)
    )


@contextlib.asynccontextmanager
async def serving_slack(fake: FakeSlack, dispatcher: Dispatcher) -> AsyncIterator[SlackAdapter]:
    """The Slack adapter over HTTP (Events API on a free port) against `fake`, started, and
    stopped after."""
    settings = SlackSettings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=fake.url + "/api/",
        port=free_port(),
    )
    adapter = SlackAdapter(settings, dispatcher)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()
