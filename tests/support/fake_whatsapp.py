"""A fake WhatsApp Cloud API (Meta's Graph API), over real HTTP, as strict as Meta documents it.

It serves `/{version}/{phone_number_id}/messages` and `/media` for the bot to call, refusing
with Meta's error codes what Meta refuses (the rules are in `whatsapp_payloads`): free-form
messages outside the person's 24-hour window, more than a burst to the same person (pair rate
limit), more than `rate` messages in a second, templates that are not approved or whose
parameters break Meta's rules. It plays the people too: their messages and button presses, and
the statuses of what was sent, are webhooks posted to the bot's `webhook_url`, signed with the
app secret as Meta signs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import io
import itertools
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import aiohttp
from aiohttp import web

from bot.dispatcher import Dispatcher
from bot.platforms.whatsapp import WhatsAppAdapter
from bot.platforms.whatsapp_settings import WhatsAppSettings
from bot.platforms.whatsapp_templates import Templates

# Call is re-exported: tests read the calls they wait for.
from tests.support import whatsapp_payloads as payloads
from tests.support.processes import free_port
from tests.support.recording_server import ApiServer
from tests.support.recording_server import Call as Call
from tests.support.whatsapp_payloads import Approved, Refusal

ACCESS_TOKEN = "EAAGtest0WhatsApp0Cloud0API0token"
APP_SECRET = "fake-whatsapp-app-secret"
VERIFY_TOKEN = "coordbot-fake-verify-token"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_PHONE_NUMBER = "15550783881"
WABA_ID = "102290129340398"
WINDOW = timedelta(hours=24)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Sent:
    """A message the fake accepted: to whom (their WhatsApp id), its type, the JSON body."""

    to: str
    type: str
    body: dict[str, Any]
    wamid: str
    at: datetime  # by the fake's clock


class Webhook(NamedTuple):
    """A webhook the fake posted, and the HTTP status the bot answered (0: not reached)."""

    body: dict[str, Any]
    status: int


class Posted(NamedTuple):
    """What a person's action gave: their message's id and the bot's HTTP answer."""

    wamid: str
    status: int


@dataclass
class Upload:
    mime: str
    data: bytes
    filename: str | None


@dataclass
class QueuedError:
    code: int
    status: int
    message: str


@dataclass
class FakeWhatsApp(ApiServer):
    """Start it, point the bot's `api_url` at `url`, set `webhook_url` to the bot's webhook;
    then `send_text` / `press_button` act as people, `wait_sent` and `texts_to` read what the
    bot sent, `refused` what Meta would have refused. As with Meta, the statuses of a message
    may reach the bot before it has read the answer that gave the message's id."""

    app_secret: str = APP_SECRET
    access_token: str = ACCESS_TOKEN
    phone_number_id: str = PHONE_NUMBER_ID
    display_phone_number: str = DISPLAY_PHONE_NUMBER
    waba_id: str = WABA_ID
    # The 24-hour window and the webhooks' timestamps follow this clock (aware, UTC).
    clock: Callable[[], datetime] = _utc_now
    # (template name, language code) → number of body parameters; or derived from `templates`.
    approved: dict[tuple[str, str], int] = field(default_factory=dict)
    templates: Templates | None = None
    # Pair rate limit: a burst of `pair_burst`, then one message every `pair_interval` seconds
    # (real monotonic time) to the same person; `rate` messages a second in all.
    pair_interval: float = 6.0
    pair_burst: int = 3
    rate: int = 80
    auto_statuses: bool = True
    webhook_url: str = ""  # the bot's, set by the test once the bot listens
    unreachable: set[str] = field(default_factory=set)  # not on WhatsApp, or blocked the bot
    accepted: list[Sent] = field(default_factory=list)
    refused: list[tuple[dict[str, Any], int]] = field(default_factory=list)  # body, error code
    webhooks: list[Webhook] = field(default_factory=list)
    uploads: dict[str, Upload] = field(default_factory=dict)  # media id → what was uploaded
    reads: list[str] = field(default_factory=list)  # incoming wamids the bot marked as read
    last_body: bytes | None = None  # the last person's webhook, as posted
    _rules: Approved = field(default_factory=lambda: Approved({}, {}), init=False)
    _last_message: dict[str, datetime] = field(default_factory=dict, init=False)
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict, init=False)
    _recent: deque[float] = field(default_factory=deque, init=False)
    _incoming_ids: set[str] = field(default_factory=set, init=False)
    _queued: dict[str, list[QueuedError]] = field(default_factory=dict, init=False)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _session: aiohttp.ClientSession | None = field(default=None, init=False)
    _media_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1), init=False)

    def __post_init__(self) -> None:
        counts, bodies = dict(self.approved), {}
        for template in self.templates.templates if self.templates else ():
            key = (template.name, template.language)
            counts[key] = len(set(payloads.PLACEHOLDER.findall(template.body)))
            bodies[key] = template.body
        self._rules = Approved(counts, bodies)

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/{version}/{phone_number_id}/messages", self._messages)
        app.router.add_post("/{version}/{phone_number_id}/media", self._media)
        app.router.add_get("/{version}/{phone_number_id}", self._phone_number)

    async def start(self) -> None:
        await super().start()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def stop(self) -> None:
        """Waits for the webhooks still being posted, then stops."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        await super().stop()

    # What tests do: the API side

    def fail_next(
        self, code: int, status: int = 400, message: str = "", method: str = "messages"
    ) -> None:
        """The next call of `method` fails with Meta's error `code` (and `message` as details)."""
        queued = QueuedError(code, status, message or payloads.TITLES.get(code, "error"))
        self._queued.setdefault(method, []).append(queued)

    async def wait_sent(
        self, to: str | None = None, count: int = 1, within: float = 10
    ) -> list[Sent]:
        """The accepted messages (to `to`, if given), once there are at least `count`."""
        return await self._until(
            lambda: [s for s in self.accepted if to is None or s.to == to],
            count,
            within,
            self._seen,
        )

    async def wait_answered(self, people: Collection[str], within: float = 60) -> None:
        """Once each of `people` has been sent at least one message."""
        wanted = set(people)
        await self._until(
            lambda: [True] if wanted <= {s.to for s in self.accepted} else [],
            1,
            within,
            self._seen,
        )

    def texts_to(self, wa_id: str) -> list[str]:
        """What the person reads, message by message: a text, an interactive message's body, a
        template's body filled in (its name and parameters if the fake has not its text), a
        caption."""
        texts = []
        for sent in self.accepted:
            if sent.to != wa_id:
                continue
            content = sent.body.get(sent.type, {})
            if sent.type == "text":
                texts.append(content["body"])
            elif sent.type == "interactive":
                texts.append(content["body"]["text"])
            elif sent.type == "template":
                texts.append(self._template_text(content))
            elif content.get("caption"):
                texts.append(content["caption"])
        return texts

    def pair_wait(self, to: str) -> float:
        """The seconds until the pair rate limit lets one more message go to `to`."""
        tokens = self._tokens(payloads.wa_id_of(to), time.monotonic())
        return max(0.0, (1 - tokens) * self.pair_interval)

    @staticmethod
    def buttons_of(sent: Sent) -> list[tuple[str, str]]:
        return buttons_of(sent)

    def _seen(self) -> str:
        refused = [code for _, code in self.refused]
        return f"accepted: {[(s.to, s.type) for s in self.accepted]}, refused: {refused}"

    def _template_text(self, template: dict[str, Any]) -> str:
        texts = [str(p.get("text")) for p in payloads.template_parameters(template)]
        name, language = template["name"], template["language"]["code"]
        filled = self._rules.filled(name, language, texts)
        return filled if filled is not None else f"[{name}] {' | '.join(texts)}"

    # What tests do: the people and the webhooks

    async def verify(self, verify_token: str, challenge: str = "1158201444") -> tuple[int, str]:
        """Meta's subscription check: GET with hub.mode, hub.verify_token and hub.challenge."""
        query = {
            "hub.mode": "subscribe",
            "hub.verify_token": verify_token,
            "hub.challenge": challenge,
        }
        assert self._session is not None, "the fake is not started"
        async with self._session.get(self.webhook_url, params=query) as response:
            return response.status, await response.text()

    async def send_text(self, wa_id: str, text: str, name: str = "Amina Diallo") -> Posted:
        return await self._person(wa_id, name, {"type": "text", "text": {"body": text}})

    async def press_button(
        self,
        wa_id: str,
        button_id: str,
        title: str,
        context_id: str | None = None,
        name: str = "Amina Diallo",
    ) -> Posted:
        """A press of a reply button of a message the bot sent (by default the latest one to
        `wa_id` that has this button)."""
        reply = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
        context = context_id or self._message_with(wa_id, button_id)
        return await self._person(wa_id, name, self._reply(reply, context))

    async def choose_row(
        self,
        wa_id: str,
        row_id: str,
        title: str,
        description: str = "",
        context_id: str | None = None,
        name: str = "Amina Diallo",
    ) -> Posted:
        row = {"id": row_id, "title": title}
        if description:
            row["description"] = description
        reply = {"type": "list_reply", "list_reply": row}
        context = context_id or self._message_with(wa_id, row_id)
        return await self._person(wa_id, name, self._reply(reply, context))

    async def send_image(
        self, wa_id: str, caption: str | None = None, name: str = "Amina Diallo"
    ) -> Posted:
        image = {"mime_type": "image/jpeg", "sha256": "0" * 64, "id": self._media_id()}
        if caption is not None:
            image["caption"] = caption
        return await self._person(wa_id, name, {"type": "image", "image": image})

    async def send_audio(self, wa_id: str, name: str = "Amina Diallo") -> Posted:
        audio = {
            "mime_type": "audio/ogg; codecs=opus",
            "sha256": "0" * 64,
            "id": self._media_id(),
            "voice": True,
        }
        return await self._person(wa_id, name, {"type": "audio", "audio": audio})

    async def send_unsupported(self, wa_id: str, name: str = "Amina Diallo") -> Posted:
        content = {"type": "unsupported", "errors": payloads.unsupported_errors()}
        return await self._person(wa_id, name, content)

    async def send_reaction(
        self, wa_id: str, wamid: str, emoji: str = "👍", name: str = "Amina Diallo"
    ) -> Posted:
        reaction = {"message_id": wamid, "emoji": emoji}
        return await self._person(wa_id, name, {"type": "reaction", "reaction": reaction})

    async def read(self, wamid: str) -> int:
        """The person read the message `wamid`: its `read` status, posted now."""
        [sent] = [s for s in self.accepted if s.wamid == wamid]
        return await self._post(self._status(sent, "read"))

    def wrote(self, wa_id: str) -> None:
        """`wa_id` wrote now, in a body the test posts itself (`post_raw`): their window opens
        as Meta's does."""
        self._last_message[wa_id] = self.clock()

    async def fail_later(self, wamid: str, code: int) -> int:
        """Meta accepted `wamid`, then reports it failed with `code` (131047 comes this way when
        the window closed between the check and the sending)."""
        [sent] = [s for s in self.accepted if s.wamid == wamid]
        timestamp = str(int(self.clock().timestamp()))
        value = payloads.status(
            self._metadata(), wamid, "failed", sent.to, timestamp, "service", code
        )
        return await self._post(payloads.envelope(self.waba_id, value))

    async def replay(self, body: bytes | dict[str, Any] | None = None) -> int:
        """Posts again, with its signature, the same webhook (the last person's by default), as
        Meta does when it did not get a 200 in time."""
        raw = body if isinstance(body, bytes) else _serialize(body) if body else self.last_body
        assert raw is not None, "no webhook to replay"
        return await self.post_raw(raw, self.sign(raw))

    async def post_raw(self, body: bytes, signature: str | None) -> int:
        """Posts `body` with the `signature` header given (None: no header), as an attacker
        or a broken proxy might; the bot's HTTP status."""
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        assert self._session is not None and self.webhook_url, "the fake or the bot is not up"
        # A large body as a stream, as aiohttp asks (its length is still sent).
        data = io.BytesIO(body) if len(body) > 1024 * 1024 else body
        try:
            async with self._session.post(self.webhook_url, data=data, headers=headers) as answer:
                await answer.read()
                return answer.status
        except aiohttp.ClientError:
            return 0

    def sign(self, raw: bytes) -> str:
        digest = hmac.new(self.app_secret.encode(), raw, hashlib.sha256).hexdigest()
        return f"sha256={digest}"

    async def wait_webhooks(
        self, wanted: Callable[[Webhook], bool], count: int = 1, within: float = 10
    ) -> list[Webhook]:
        """The posted webhooks that are `wanted` (the bot has answered them), once there are at
        least `count`."""
        return await self._until(
            lambda: [w for w in self.webhooks if wanted(w)], count, within, self._seen
        )

    async def wait_status(self, wamid: str, state: str, within: float = 10) -> Webhook:
        [webhook] = await self.wait_webhooks(
            lambda w: any(
                s["id"] == wamid and s["status"] == state
                for s in _value(w.body).get("statuses", [])
            ),
            within=within,
        )
        return webhook

    def _reply(self, interactive: dict[str, Any], context_id: str | None) -> dict[str, Any]:
        content: dict[str, Any] = {"type": "interactive", "interactive": interactive}
        if context_id:
            content["context"] = {"from": self.display_phone_number, "id": context_id}
        return content

    def _message_with(self, wa_id: str, choice_id: str) -> str | None:
        to_them = [s for s in self.accepted if s.to == wa_id]
        having = [s for s in to_them if choice_id in (i for i, _ in buttons_of(s))]
        latest = (having or to_them)[-1:]
        return latest[0].wamid if latest else None

    def _media_id(self) -> str:
        return str(1_000_000_000_000 + next(self._media_ids))

    async def _person(self, wa_id: str, name: str, content: dict[str, Any]) -> Posted:
        """A person's message, posted now; it opens (or keeps open) their 24-hour window."""
        now = self.clock()
        wamid = payloads.new_wamid()
        message = {"from": wa_id, "id": wamid, "timestamp": str(int(now.timestamp())), **content}
        value = payloads.incoming(self._metadata(), wa_id, name, message)
        self._incoming_ids.add(wamid)
        self._last_message[wa_id] = now
        raw = _serialize(payloads.envelope(self.waba_id, value))
        self.last_body = raw
        return Posted(wamid, await self._post_raw_recorded(raw))

    def _metadata(self) -> dict[str, Any]:
        return payloads.metadata(self.display_phone_number, self.phone_number_id)

    async def _post(self, body: dict[str, Any]) -> int:
        return await self._post_raw_recorded(_serialize(body))

    async def _post_raw_recorded(self, raw: bytes) -> int:
        status = await self.post_raw(raw, self.sign(raw))
        webhook = Webhook(json.loads(raw), status)
        await self._record(lambda: self.webhooks.append(webhook))
        return status

    def _status(self, sent: Sent, state: str) -> dict[str, Any]:
        origin = "utility" if sent.type == "template" else "service"
        timestamp = str(int(self.clock().timestamp()))
        value = payloads.status(self._metadata(), sent.wamid, state, sent.to, timestamp, origin)
        return payloads.envelope(self.waba_id, value)

    async def _statuses(self, sent: Sent) -> None:
        if sent.to in self.unreachable:
            await self._post(self._status(sent, "failed"))
            return
        for state in ("sent", "delivered"):
            await self._post(self._status(sent, state))

    # The API

    def _refused_call(self, request: web.Request) -> web.Response | None:
        """Meta's answer to a wrong token or an unknown phone number id; None when both are
        right."""
        token = request.headers.get("Authorization", "")
        if not hmac.compare_digest(token.encode(), f"Bearer {self.access_token}".encode()):
            return web.json_response(payloads.error_body(190, ""), status=401)
        if request.match_info["phone_number_id"] != self.phone_number_id:
            object_id = request.match_info["phone_number_id"]
            details = f"Unsupported post request. Object with ID '{object_id}' does not exist"
            return web.json_response(payloads.error_body(100, details), status=400)
        return None

    async def _phone_number(self, request: web.Request) -> web.Response:
        """`GET /{phone-number-id}`: the number's details, as a bot checks its settings."""
        refused = self._refused_call(request)
        if refused is not None:
            return refused
        await self._record_call("phone_number", dict(request.query))
        return web.json_response(
            {
                "verified_name": "coordbot",
                "display_phone_number": self.display_phone_number,
                "id": self.phone_number_id,
                "quality_rating": "GREEN",
            }
        )

    async def _messages(self, request: web.Request) -> web.Response:
        refused = self._refused_call(request)
        if refused is not None:
            return refused
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return await self._refuse({}, Refusal(100, "The request body must be JSON"))
        await self._record_call("messages", body)
        queued = self._queued.get("messages")
        if queued:
            error = queued.pop(0)
            return await self._refuse(body, Refusal(error.code, error.message, error.status))
        if body.get("status") == "read":
            return await self._mark_read(body)
        try:
            payloads.check_message(body, {k: u.mime for k, u in self.uploads.items()}, self._rules)
            wa_id = payloads.wa_id_of(body["to"])
            self._check_window(wa_id, body.get("type", "text"))
            self._take_turn(wa_id)
        except Refusal as refusal:
            return await self._refuse(body, refusal)
        sent = Sent(wa_id, body.get("type", "text"), body, payloads.new_wamid(), self.clock())
        await self._record(lambda: self.accepted.append(sent))
        if self.auto_statuses and self.webhook_url:
            task = asyncio.create_task(self._statuses(sent))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": wa_id}],
                "messages": [{"id": sent.wamid}],
            }
        )

    async def _refuse(self, body: dict[str, Any], refusal: Refusal) -> web.Response:
        await self._record(lambda: self.refused.append((body, refusal.code)))
        return web.json_response(
            payloads.error_body(refusal.code, refusal.details), status=refusal.status
        )

    async def _mark_read(self, body: dict[str, Any]) -> web.Response:
        wamid = body.get("message_id")
        if body.get("messaging_product") != "whatsapp" or wamid not in self._incoming_ids:
            return await self._refuse(body, Refusal(100, "Invalid parameter message_id"))
        await self._record(lambda: self.reads.append(str(wamid)))
        return web.json_response({"success": True})

    def _check_window(self, wa_id: str, kind: str) -> None:
        """Anything but a template needs the person to have written within 24 hours."""
        last = self._last_message.get(wa_id)
        if kind != "template" and (last is None or self.clock() - last > WINDOW):
            raise Refusal(131047, payloads.WINDOW_DETAILS)

    def _tokens(self, wa_id: str, now: float) -> float:
        level, then = self._buckets.get(wa_id, (float(self.pair_burst), now))
        return min(float(self.pair_burst), level + (now - then) / self.pair_interval)

    def _take_turn(self, wa_id: str) -> None:
        """Counts the message against the throughput and the pair rate limit, or refuses it."""
        now = time.monotonic()
        while self._recent and self._recent[0] <= now - 1:
            self._recent.popleft()
        if len(self._recent) >= self.rate:
            raise Refusal(130429, "Message failed to send because there were too many messages")
        tokens = self._tokens(wa_id, now)
        # A sleep of exactly pair_wait() may end a hair early (the event loop's resolution).
        if tokens < 1 - 1e-6:
            raise Refusal(
                131056,
                "Message failed to send because there were too many messages sent "
                "from this phone number to the same phone number in a short period of time.",
            )
        self._buckets[wa_id] = (max(0.0, tokens - 1), now)
        self._recent.append(now)

    async def _media(self, request: web.Request) -> web.Response:
        refused = self._refused_call(request)
        if refused is not None:
            return refused
        try:
            fields = await _multipart(request)
        except Refusal as refusal:
            return await self._refuse({}, refusal)
        params: dict[str, Any] = {k: v for k, v in fields.items() if k != "file"}
        upload = fields.get("file")
        if isinstance(upload, Upload):
            params.update(file=upload.data, filename=upload.filename)
        await self._record_call("media", params)
        queued = self._queued.get("media")
        if queued:
            error = queued.pop(0)
            return await self._refuse(params, Refusal(error.code, error.message, error.status))
        mime = fields.get("type")
        try:
            if fields.get("messaging_product") != "whatsapp":
                raise Refusal(100, "The parameter messaging_product is required.")
            if not isinstance(upload, Upload) or not isinstance(mime, str):
                raise Refusal(100, "The parameters file and type are required.")
            limit = (
                payloads.IMAGE_LIMIT if mime in payloads.IMAGE_TYPES else payloads.DOCUMENT_LIMIT
            )
            if mime not in payloads.IMAGE_TYPES + payloads.DOCUMENT_TYPES:
                raise Refusal(131053, f"Param file must be a file of a supported type, not {mime}")
            if not upload.data or len(upload.data) > limit:
                raise Refusal(131053, f"Param file must be between 1 and {limit} bytes")
        except Refusal as refusal:
            return await self._refuse(params, refusal)
        media_id = self._media_id()
        upload.mime = mime
        await self._record(lambda: self.uploads.__setitem__(media_id, upload))
        return web.json_response({"id": media_id})


def buttons_of(sent: Sent) -> list[tuple[str, str]]:
    """The (id, title) of a message's reply buttons, or of its list's rows."""
    interactive = sent.body.get("interactive") if sent.type == "interactive" else None
    if not isinstance(interactive, dict):
        return []
    action = interactive.get("action", {})
    if interactive.get("type") == "button":
        return [(b["reply"]["id"], b["reply"]["title"]) for b in action.get("buttons", [])]
    return [
        (row["id"], row["title"])
        for section in action.get("sections", [])
        for row in section.get("rows", [])
    ]


def _serialize(body: dict[str, Any]) -> bytes:
    """As Meta posts JSON: compact, non-ASCII escaped (\\uXXXX), so that a bot that checks the
    signature of its own re-encoding rather than of the raw bytes fails."""
    return json.dumps(body, separators=(",", ":")).encode()


def _value(body: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = body["entry"][0]["changes"][0]["value"]
    return value


async def _multipart(request: web.Request) -> dict[str, Any]:
    """The fields of a multipart upload, the file read up to just over the largest size taken
    (aiohttp's 1 MB body limit does not apply to a streamed multipart)."""
    if not request.content_type.startswith("multipart/"):
        raise Refusal(100, "The upload must be multipart/form-data")
    fields: dict[str, Any] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            continue
        if part.filename is None:
            fields[part.name] = (await part.read()).decode(errors="replace")
            continue
        data = bytearray()
        while chunk := await part.read_chunk():
            data.extend(chunk)
            if len(data) > payloads.DOCUMENT_LIMIT:
                raise Refusal(131053, "Param file is too large")
        fields[part.name] = Upload("", bytes(data), part.filename)
    return fields


@contextlib.asynccontextmanager
async def serving_whatsapp(
    fake: FakeWhatsApp, dispatcher: Dispatcher, *, pair_interval: float | None = None
) -> AsyncIterator[WhatsAppAdapter]:
    """The WhatsApp adapter (its webhook on a free port) against `fake`, started, the fake
    told where to post, and stopped after."""
    port = free_port()
    settings = WhatsAppSettings(
        access_token=ACCESS_TOKEN,
        phone_number_id=PHONE_NUMBER_ID,
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        number=DISPLAY_PHONE_NUMBER,
        api_url=fake.url,
        port=port,
        pair_interval=fake.pair_interval if pair_interval is None else pair_interval,
    )
    adapter = WhatsAppAdapter(settings, dispatcher)
    await adapter.start()
    fake.webhook_url = f"http://127.0.0.1:{port}{settings.path}"
    try:
        yield adapter
    finally:
        await adapter.stop()
