"""WhatsApp, through the WhatsApp Business Cloud API (Graph API over HTTPS, with aiohttp):
messages in through a webhook, neutral replies out. See docs/whatsapp.md.

The webhook: Meta's GET verification answered with the verify token; each POST's size bounded,
then its `X-Hub-Signature-256` checked in constant time on the raw bytes, before anything is
parsed. Messages go through the durable inbox (bot.inbox) like Telegram's updates: stored
before Meta gets its 200, handled once (a message Meta sends again is recognised by its id),
in order per person, by the one process holding the number's role (whichever process Meta's
request reached), so that the number's limits hold across processes. Receipts (delivered,
read, failed) are recorded on the outbox row of the message they are about.

The 24-hour rule: the bot may write freely to a person only within 24 hours of their last
message. Outside it, a notice goes as the approved template of its kind
(whatsapp_templates.yaml); a notice with no template raises `NotNow`, and the outbox sends it
on the person's other app or holds it until they write (bot/delivery/outbox.py).

Limits: the number's throughput (`rate`, 80 a second) through a `Pacer`, and the pair rate
limit (about one message every 6 seconds to one person, after a short burst) per person.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections import deque
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select

from bot import inbox, metrics
from bot.chat import Document, Incoming, Reply
from bot.delivery import outbox
from bot.delivery.pacing import Pacer
from bot.delivery.worker import NotNow, Unreachable
from bot.dispatcher import Dispatcher
from bot.inbox import ChatQueues, QuietLog, Stored
from bot.models import ChatIdentity
from bot.people import badges, invitations, participants
from bot.platforms import PlatformError, whatsapp_templates
from bot.platforms import whatsapp_layout as layout
from bot.platforms.whatsapp_settings import PLATFORM, WhatsAppSettings

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_BODY = 3 * 1024 * 1024  # Meta's webhook payloads stay under 3 MB
# The window is 24 hours from the person's last message; the bot's record of that message is
# up to 5 minutes early (bot.people.participants), and a margin covers the clocks' drift.
WINDOW = timedelta(hours=24) - timedelta(minutes=10)
PAIR_BURST = 3  # messages to one person at once before the pair rate applies
SEND_TRIES = 3
QUEUE_LIMIT = 1000  # messages in hand; the rest wait in the inbox
WATCH_EVERY = 0.25  # seconds between two reads of what other processes stored

# The Cloud API's error codes, by what they mean to us.
RE_ENGAGEMENT = {131047}  # outside the 24-hour window
PAIR_RATE = {131056}
THROUGHPUT = {130429, 80007, 4}
UNDELIVERABLE = {131026}  # the person: not on WhatsApp, an old app, terms not accepted…
TOKEN = {190, 10, 200}


class GraphError(Exception):
    """The Cloud API refused a call: its error code and message (never the token)."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"HTTP {status}, code {code}: {message}")
        self.status, self.code = status, code


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Meta's signature of a webhook body: `sha256=` and the HMAC-SHA256 of the raw bytes with
    the app secret, compared in constant time."""
    if not header:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


class PairLimit:
    """About one message every `interval` seconds to one person, after a burst of `burst`: the
    time each send may leave, reserved before waiting so that concurrent sends queue up."""

    def __init__(self, interval: float, burst: int = PAIR_BURST) -> None:
        # A tenth more than WhatsApp's interval: it counts arrivals, which the network's
        # jitter brings closer together than they left.
        interval *= 1.1
        self.interval = interval
        self.span = interval * (burst - 1)
        self._due: dict[str, float] = {}  # per person: when the bucket is full again

    def reserve(self, person: str) -> float:
        """Seconds to wait before sending to `person` (the turn is taken)."""
        now = time.monotonic()
        due = max(self._due.get(person, now), now)
        self._due[person] = due + self.interval
        if len(self._due) > 50_000:
            for key in [key for key, at in self._due.items() if at < now]:
                del self._due[key]
        return max(0.0, due - self.span - now)

    def back_off(self, person: str) -> None:
        """WhatsApp said too fast: the next turn waits a whole interval more."""
        now = time.monotonic()
        self._due[person] = max(self._due.get(person, now), now) + self.interval


class WhatsAppAdapter:
    name = PLATFORM

    def __init__(self, settings: WhatsAppSettings, dispatcher: Dispatcher) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.templates = whatsapp_templates.load(settings.templates_file)
        self.pacer = Pacer(max(1, int(settings.rate)))
        self.pairs = PairLimit(settings.pair_interval)
        self.queues = ChatQueues(self._process, concurrency=16, limit=QUEUE_LIMIT)
        self.quiet = QuietLog(log)
        # When WhatsApp last said a person's window had closed (it knows better than we do).
        self._closed: dict[str, datetime] = {}
        self._http: aiohttp.ClientSession | None = None
        self._web: web.AppRunner | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._holding = False
        self._finished: deque[str] = deque(maxlen=10_000)  # lately, by this process

    @property
    def rate(self) -> float:
        return self.settings.rate

    @property
    def role_identity(self) -> str:
        """Which number this is, for the lock of its role (one process sends its queue)."""
        return "whatsapp:" + hashlib.sha256(self.settings.phone_number_id.encode()).hexdigest()[:16]

    # Starting and stopping

    async def start(self) -> None:
        """One process alone: it serves the webhook and holds the role from the start."""
        await self.open()
        await self.take_role()

    async def open(self) -> None:
        """Serve the webhook: any process behind the load balancer takes and answers the
        messages Meta posts to it; the role (sending the outbox, sweeping the inbox) is apart."""
        self._http = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {self.settings.access_token}"},
            timeout=aiohttp.ClientTimeout(total=30, sock_connect=10),
        )
        await self._check_number()
        self.queues.start()
        server = web.Application(client_max_size=MAX_BODY)
        server.router.add_get(self.settings.path, self._on_verify)
        server.router.add_post(self.settings.path, self._on_webhook)
        self._web = web.AppRunner(server, access_log=None)
        await self._web.setup()
        await web.TCPSite(self._web, self.settings.listen, self.settings.port).start()
        log.info("WhatsApp: running (webhook on %s)", self.settings.path)

    async def _check_number(self) -> None:
        """The token and the number's id, checked once at the start."""
        url = f"{self.settings.api_url}/{self.settings.api_version}/{self.settings.phone_number_id}"
        assert self._http is not None
        try:
            async with self._http.get(url) as response:
                if response.status == 200:
                    return
                error = _graph_error(response.status, await _json(response))
        except (aiohttp.ClientError, TimeoutError) as failure:
            await self.stop()
            raise PlatformError(
                f"cannot reach the WhatsApp Cloud API at {self.settings.api_url}: "
                f"{type(failure).__name__}"
            ) from failure
        await self.stop()
        raise PlatformError(
            f"WhatsApp refused the access token or the phone number id "
            f"(WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID): {error}"
        )

    async def take_role(self) -> None:
        """Answer for the number from now on: what is stored and not finished (by a process
        that died) first, then what any process's webhook stores. One process at a time, so
        that the number's limits hold across processes, as Telegram's do."""
        self._holding = True
        await self._refill()
        self._watcher = asyncio.create_task(self._watch())

    async def leave_role(self) -> None:
        self._holding = False
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
            self._watcher = None

    async def stop(self) -> None:
        await self.leave_role()
        if self._web is not None:
            await self._web.cleanup()
            self._web = None
        await self.queues.stop()
        if self._http is not None:
            await self._http.close()
            self._http = None

    # The webhook

    async def _on_verify(self, request: web.Request) -> web.Response:
        """Meta's subscription check: the challenge echoed when the verify token matches."""
        query = request.query
        token = query.get("hub.verify_token", "").encode()
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token, self.settings.verify_token.encode()
        ):
            return web.Response(text=query.get("hub.challenge", "")[:200])
        self.quiet.log(logging.WARNING, "verify", "WhatsApp: refused a wrong verification")
        return web.Response(status=403)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Size, then signature, then shape; messages stored before Meta gets its 200 (any
        other answer makes Meta send them again)."""
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413)
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413)
        if not signature_valid(
            self.settings.app_secret, raw, request.headers.get(SIGNATURE_HEADER)
        ):
            self.quiet.log(
                logging.WARNING,
                "signature",
                "WhatsApp: refused a webhook call without a valid signature from %s",
                request.remote,
            )
            return web.Response(status=401)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return web.Response(status=400)
        arrived, statuses = layout.read_webhook(body, self.settings.phone_number_id)
        try:
            await self._receive(arrived)
            await self._record_receipts(statuses)
        except Exception as error:
            self.quiet.log(logging.ERROR, "store", "WhatsApp: could not store a webhook: %r", error)
            return web.Response(status=503)
        return web.Response()

    async def _receive(self, arrived: list[layout.Arrived]) -> None:
        if not arrived:
            return
        rows = [
            (
                layout.delivery_id(item.message_id),
                json.dumps({"wa_id": item.wa_id, "name": item.name, "message": item.message}),
            )
            for item in arrived
        ]
        new = set(await inbox.store(self.dispatcher.sessions, PLATFORM, rows))
        if not self._holding:
            return  # the process holding the role reads it from the inbox
        for (delivery, payload), item in zip(rows, arrived, strict=True):
            if delivery in new:
                self.queues.put(item.wa_id, Stored(delivery, json.loads(payload)))

    async def _refill(self) -> None:
        """Queue what is stored and neither queued nor just finished here (a read that raced
        the end of its handling)."""
        room = QUEUE_LIMIT - len(self.queues.queued)
        if room <= 0:
            return
        skip = self.queues.queued | self.queues.held_back
        for stored in await inbox.pending(
            self.dispatcher.sessions, PLATFORM, limit=room, skip=skip
        ):
            wa_id = stored.payload.get("wa_id")
            if isinstance(wa_id, str) and stored.delivery_id not in self._finished:
                self.queues.put(wa_id, stored)

    async def _watch(self) -> None:
        """What other processes' webhooks stored, noticed within `WATCH_EVERY`."""
        while True:
            await asyncio.sleep(WATCH_EVERY)
            await self.queues.room.wait()
            try:
                await self._refill()
            except Exception as error:
                self.quiet.log(logging.WARNING, "watch", "WhatsApp: inbox read failed: %r", error)

    async def _process(self, stored: Stored) -> None:
        """One message of the inbox: handled (unless it was before), its replies sent, what
        waited for this person's next message woken, then finished."""
        payload = stored.payload
        message = payload.get("message")
        wa_id = payload.get("wa_id")
        if isinstance(message, dict) and isinstance(wa_id, str):
            name = payload.get("name") if isinstance(payload.get("name"), str) else None
            replies = stored.replies
            if replies is None:
                incoming = layout.incoming(
                    layout.Arrived(wa_id, name, message), self.dispatcher.router.knows
                )
                if incoming is not None and await self._first_contact(incoming):
                    # As Telegram's Start button: the welcome, and the language asked.
                    incoming = replace(incoming, text="/start", command="start", args=())
                replies = (
                    await self.dispatcher.handle(incoming, keep_replies=True) if incoming else []
                )
                await self._opened(wa_id)
            for reply in replies:
                await self.send(wa_id, reply)
        await inbox.finish(self.dispatcher.sessions, PLATFORM, stored.delivery_id)
        self._finished.append(stored.delivery_id)

    async def _first_contact(self, incoming: Incoming) -> bool:
        """A plain message (no command, no button, no invitation or check-in code) from a
        number never seen."""
        if incoming.command or incoming.button is not None:
            return False
        if (
            invitations.normalise(incoming.text) is not None
            or badges.parse(incoming.text) is not None
        ):
            return False
        async with self.dispatcher.sessions() as db:
            known = await db.scalar(
                select(ChatIdentity.id).where(
                    ChatIdentity.platform == PLATFORM,
                    ChatIdentity.external_id == incoming.chat_id,
                )
            )
        return known is None

    async def _opened(self, wa_id: str) -> None:
        """The person wrote: they can be reached, their window is open, and what was held for
        it is due."""
        self._closed.pop(wa_id, None)
        async with self.dispatcher.sessions() as db:
            await participants.set_reachable(db, PLATFORM, wa_id, True)
            await outbox.wake(db, PLATFORM, wa_id, self.dispatcher.clock.now())
            await db.commit()

    async def _record_receipts(self, statuses: list[layout.Status]) -> None:
        if not statuses:
            return
        async with self.dispatcher.sessions() as db:
            for status in statuses:
                at = (
                    datetime.fromtimestamp(status.timestamp, UTC)
                    if status.timestamp
                    else self.dispatcher.clock.now()
                )
                closed = status.error_code in RE_ENGAGEMENT
                if closed and status.recipient:
                    self._closed[status.recipient] = self.dispatcher.clock.now()
                if status.error_code in UNDELIVERABLE and status.recipient:
                    await participants.set_reachable(db, PLATFORM, status.recipient, False)
                await outbox.record_receipt(
                    db,
                    PLATFORM,
                    status.message_id,
                    status.status,
                    at,
                    error=(
                        f"WhatsApp {status.error_code}: {status.error_title}"
                        if status.status == "failed"
                        else None
                    ),
                    send_again=closed,  # sent again as the rule allows: a template, or held
                )
            await db.commit()

    # Sending

    async def send(self, chat_id: str, reply: Reply, replacing: str | None = None) -> str | None:
        """A reply to someone who wrote (WhatsApp cannot edit a message: `replacing` is sent
        as a new one). Failures end here, logged."""
        try:
            return await self._post(chat_id, reply)
        except Unreachable as error:
            log.info("WhatsApp: a person cannot be reached: %s", error)
            await self.dispatcher.set_reachable(PLATFORM, chat_id, False)
        except (NotNow, GraphError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("WhatsApp: a reply could not be sent: %s", error)
        return None

    async def deliver(self, external_id: str, reply: Reply) -> str | None:
        """For the delivery worker: free-form within the person's 24-hour window; outside it
        the template of the notice's kind; with none, `NotNow`."""
        if await self._window_open(external_id):
            try:
                return await self._post(external_id, reply)
            except NotNow:
                pass  # the window closed under us: as outside it
        template = self.templates.find(reply.notice, reply.language)
        if template is None:
            raise NotNow(
                f"outside WhatsApp's 24-hour window, with no template for {reply.notice or 'it'}"
            )
        message = layout.template(template.name, template.language, template.parameter(reply.text))
        return await self._call(external_id, message)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        """WhatsApp has no editing of a business's messages, and the adapter never gives a
        message id to edit (`Incoming.message_id` stays None): nothing is live here."""
        log.debug("WhatsApp: no edit of %s", message_id)

    async def _window_open(self, wa_id: str) -> bool:
        async with self.dispatcher.sessions() as db:
            last = await db.scalar(
                select(ChatIdentity.last_seen_at).where(
                    ChatIdentity.platform == PLATFORM, ChatIdentity.external_id == wa_id
                )
            )
        if last is None:
            return False
        closed = self._closed.get(wa_id)
        if closed is not None and last <= closed:
            return False
        return self.dispatcher.clock.now() - last < WINDOW

    async def _post(self, to: str, reply: Reply) -> str | None:
        """A reply laid out within WhatsApp's rules: its text and choices, then its pictures
        and documents as uploaded media. Returns the id of the last message."""
        last: str | None = None
        for message in layout.messages(reply):
            last = await self._call(to, message)
        for image in reply.images:
            last = await self._send_file(
                to, Document(image.png, image.name, image.caption), "image"
            )
        for document in reply.documents:
            last = await self._send_file(to, document, "document")
        return last

    async def _send_file(self, to: str, file: Document, kind: str) -> str | None:
        media = await self._upload(file, "image/png" if kind == "image" else _mime(file.name))
        content: dict[str, Any] = {"id": media}
        if file.caption:
            content["caption"] = layout.to_whatsapp(file.caption)[: layout.CAPTION_LIMIT]
        if kind == "document":
            content["filename"] = file.name
        return await self._call(to, {"type": kind, kind: content})

    async def _upload(self, file: Document, mime: str) -> str:
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime)
        form.add_field("file", file.data, filename=file.name, content_type=mime)
        assert self._http is not None, "the adapter is not started"
        async with (
            self.pacer.turn(),
            self._http.post(self.settings.media_url, data=form) as response,
        ):
            body = await _json(response)
            if response.status == 200 and isinstance(body.get("id"), str):
                return str(body["id"])
            raise _graph_error(response.status, body)

    async def _call(self, to: str, message: dict[str, Any]) -> str:
        """One message to one person, within the number's throughput and the pair rate; a
        limit WhatsApp reports is waited out and tried again. Returns the message's id."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        body.update(message)
        assert self._http is not None, "the adapter is not started"
        for _attempt in range(SEND_TRIES):
            wait = self.pairs.reserve(to)
            if wait:
                await asyncio.sleep(wait)
            async with (
                self.pacer.turn(),
                self._http.post(self.settings.messages_url, json=body) as response,
            ):
                answer = await _json(response)
            if response.status == 200:
                sent = answer.get("messages")
                if isinstance(sent, list) and sent and isinstance(sent[0], dict):
                    return str(sent[0].get("id", ""))
                return ""
            error = _graph_error(response.status, answer)
            if error.code in PAIR_RATE:
                metrics.RATE_LIMITED.labels(PLATFORM).inc()
                self.pairs.back_off(to)
            elif error.code in THROUGHPUT:
                metrics.RATE_LIMITED.labels(PLATFORM).inc()
                self.pacer.pause(1.0)  # the limit counts per second
            elif error.code in RE_ENGAGEMENT:
                self._closed[to] = self.dispatcher.clock.now()
                raise NotNow("WhatsApp's 24-hour window is closed") from error
            elif error.code in UNDELIVERABLE:
                raise Unreachable(str(error)) from error
            else:
                if error.code in TOKEN:
                    self.quiet.log(logging.ERROR, "token", "WhatsApp refused the access token")
                raise error
        raise error


def _mime(name: str) -> str:
    lowered = name.lower()
    for ending, mime in ((".pdf", "application/pdf"), (".csv", "text/csv"), (".png", "image/png")):
        if lowered.endswith(ending):
            return mime
    return "text/plain"


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """The answer's JSON object (at most 1 MB read), or an empty one."""
    raw = await response.content.read(1024 * 1024)
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _graph_error(status: int, body: dict[str, Any]) -> GraphError:
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    assert isinstance(error, dict)
    code = error.get("code")
    message = str(error.get("message") or "")[:300]
    details = (error.get("error_data") or {}) if isinstance(error.get("error_data"), dict) else {}
    if details.get("details"):
        message += f" ({str(details['details'])[:300]})"
    return GraphError(status, code if isinstance(code, int) else None, message)
