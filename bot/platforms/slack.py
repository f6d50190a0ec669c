"""Slack, through slack-bolt (async): slash command, direct messages, mentions, buttons, modals
and the App Home in; neutral replies out as Block Kit. See docs/slack.md.

HTTP mode serves the Events API and interactivity on our own aiohttp server: each request's
size is bounded, then its signature checked on the raw bytes (timestamps older than five minutes
refused) before anything is parsed, then its body checked against the shapes Slack sends; only
then does bolt see it (bot/platforms/slack_requests.py). Socket Mode connects out with the
app-level token. Every listener acknowledges first and works after, so Slack always has its
answer within three seconds; a delivery Slack (or anyone) sends again is recognised by its
event or trigger id and skipped.

What a person typed reaches handlers as plain text (Slack's `&amp;`, `&lt;`, `&gt;` decoded) and
leaves escaped again, in blocks and fallback text alike: it never becomes a live mention or link.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.chat import HOME_VIEW, Choice, Form, Incoming, Reply, Sender, parse_command
from bot.delivery.worker import Unreachable
from bot.dispatcher import Dispatcher
from bot.platforms import PlatformError
from bot.platforms.slack_requests import (
    MAX_BODY,
    BadBody,
    RawBodyVerifier,
    Refusals,
    Verdict,
    check_body,
    parse_body,
    signature_problem,
)
from bot.platforms.slack_settings import PLATFORM, SlackSettings
from bot.text import markup

log = logging.getLogger(__name__)

# Slack's limits for one section's text and one message's blocks.
SECTION_LIMIT = 3000
MAX_BLOCKS = 50
# Answers of Slack that mean the person cannot be reached there.
UNREACHABLE = {
    "account_inactive",
    "user_not_found",
    "user_disabled",
    "cannot_dm_bot",
    "channel_not_found",
    "is_archived",
    "not_in_channel",
    "messages_tab_disabled",
}
USER_CACHE_SECONDS = 600

_SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")
MAX_DELIVERY_ID = 64  # ProcessedDelivery.delivery_id


def from_slack(text: str) -> str:
    """A person's text as Slack delivers it, as plain text: Slack escapes the `&`, `<` and `>`
    they typed (and only those). Its own `<…>` sequences (mentions, links) are kept as typed
    characters, so they are escaped again on the way out and shown, never acted on."""
    return _SLACK_ENTITY.sub(lambda match: {"amp": "&", "lt": "<", "gt": ">"}[match[1]], text)


def delivery_id(kind: str, value: str) -> str:
    """A ProcessedDelivery id for Slack's `event_id` or `trigger_id` (hashed when too long)."""
    key = f"{kind}:{value}"
    if len(key) <= MAX_DELIVERY_ID:
        return key
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


def to_mrkdwn(text: str) -> str:
    """Our safe HTML subset as Slack's mrkdwn. Both escape only &, < and >, so the text
    between tags is kept as it is (still escaped); links become <url|label>, their URL escaped
    too (and a `|` in it encoded) so that it cannot end the link early."""
    return markup.rewrite(text, {"b": "*", "i": "_", "code": "`"}, _slack_link)


def _slack_link(label: str, href: str) -> str:
    url = html.escape(html.unescape(href), quote=False).replace("|", "%7C")
    return f"<{url}|{label}>" if label else f"<{url}>"


def blocks(reply: Reply, app_id: str | None = None) -> list[dict[str, Any]]:
    """A reply as Block Kit: a section per part of the text, an actions block per row of
    choices (each button carries its choice's data as value)."""
    result: list[dict[str, Any]] = [
        # verbatim: Slack does not look for mentions or channel names in the text by itself
        {"type": "section", "text": {"type": "mrkdwn", "text": to_mrkdwn(part), "verbatim": True}}
        for part in markup.split(reply.text, SECTION_LIMIT)
    ]
    for number, row in enumerate(reply.choices):
        buttons = [_button(choice, number, column, app_id) for column, choice in enumerate(row)]
        buttons = [button for button in buttons if button is not None]
        for start in range(0, len(buttons), 25):  # Slack's limit per actions block
            result.append({"type": "actions", "elements": buttons[start : start + 25]})
    return result[:MAX_BLOCKS]


def _button(choice: Choice, row: int, column: int, app_id: str | None) -> dict[str, Any] | None:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": choice.label[:75], "emoji": True},
        "action_id": f"choice-{row}-{column}",
    }
    if choice.open_private:
        if app_id is None:
            return None
        button["url"] = f"https://slack.com/app_redirect?app={app_id}"
    else:
        button["value"] = choice.data[:2000]
    return button


def fallback_text(reply: Reply) -> str:
    """What notifications and screen readers show: the plain text, escaped again for Slack (its
    `text` is mrkdwn too, where a bare `<!channel>` would notify a whole channel)."""
    return markup.escape(markup.to_plain(reply.text)[:3000]) or "…"


def modal(form: Form, chat_id: str) -> dict[str, Any]:
    """A form as a Slack modal; `chat_id` (where to answer) travels in its private metadata."""
    inputs = []
    for entry in form.fields:
        element: dict[str, Any]
        if entry.kind == "choice":
            element = {
                "type": "static_select",
                "action_id": entry.name,
                "options": [
                    {
                        "text": {"type": "plain_text", "text": option.label[:75]},
                        "value": option.data[:150],
                    }
                    for option in entry.options[:100]
                ],
            }
        else:
            element = {
                "type": "plain_text_input",
                "action_id": entry.name,
                "multiline": entry.kind == "lines",
            }
        block: dict[str, Any] = {
            "type": "input",
            "block_id": entry.name,
            "optional": entry.optional,
            "label": {"type": "plain_text", "text": entry.label[:2000]},
            "element": element,
        }
        if entry.hint:
            block["hint"] = {"type": "plain_text", "text": entry.hint[:2000]}
        inputs.append(block)
    return {
        "type": "modal",
        "callback_id": f"form:{form.id}",
        "private_metadata": chat_id,
        "title": {"type": "plain_text", "text": form.title[:24]},
        "submit": {"type": "plain_text", "text": form.submit[:24]},
        "blocks": inputs,
    }


def form_values(view: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The values of a submitted modal, by field name."""
    values = []
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        for state in actions.values():
            selected = state.get("selected_option") or {}
            value = state.get("value") if state.get("type") != "static_select" else None
            values.append((block_id, str(value or selected.get("value") or "")))
    return tuple(values)


class _CountedRateLimits(AsyncRateLimitErrorRetryHandler):
    """The SDK's handler for answers 429, each of them counted for /metrics."""

    async def can_retry_async(self, **kwargs: Any) -> bool:
        response = kwargs.get("response")
        if response is not None and response.status_code == 429:
            metrics.RATE_LIMITED.labels(PLATFORM).inc()
        return await super().can_retry_async(**kwargs)


class SlackAdapter:
    name = PLATFORM
    rate = None  # Slack's limits are per method and per channel: its SDK waits them out

    def __init__(self, settings: SlackSettings, dispatcher: Dispatcher) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.client = AsyncWebClient(
            token=settings.bot_token,
            base_url=settings.api_url,
            retry_handlers=[
                _CountedRateLimits(max_retry_count=3),  # waits out Retry-After
                AsyncConnectionErrorRetryHandler(max_retry_count=1),
            ],
        )
        self.app = AsyncApp(
            client=self.client,
            signing_secret=settings.signing_secret,
            request_verification_enabled=not settings.socket_mode,
            logger=logging.getLogger("slack_bolt"),
        )
        self.app_id: str | None = None
        self.bot_user_id: str | None = None
        self._users: dict[str, tuple[float, Sender]] = {}
        self._direct_channels: dict[str, str] = {}
        self._web: web.AppRunner | None = None
        self._verifier = (
            RawBodyVerifier(settings.signing_secret) if settings.signing_secret else None
        )
        self._refusals = Refusals()
        self._socket: AsyncSocketModeHandler | None = None
        self._register()

    # Starting and stopping

    async def start(self) -> None:
        try:
            identity = await self.client.auth_test()
        except SlackApiError as error:
            raise PlatformError(
                f"Slack refused the bot token (SLACK_BOT_TOKEN): {error.response.get('error')}"
            ) from error
        except OSError as error:
            raise PlatformError(
                f"cannot reach the Slack Web API at {self.settings.api_url}: {error}"
            ) from error
        self.bot_user_id = identity.get("user_id")
        if self.settings.socket_mode:
            self._socket = AsyncSocketModeHandler(self.app, self.settings.app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
        else:
            server = web.Application(client_max_size=MAX_BODY)
            server.router.add_post(self.settings.path, self._on_request)
            self._web = web.AppRunner(server, access_log=None)
            await self._web.setup()
            await web.TCPSite(self._web, self.settings.listen, self.settings.port).start()
        log.info("Slack: running (%s)", "Socket Mode" if self._socket else "HTTP")

    @property
    def role_identity(self) -> str:
        """Which app this is, for the lock of its role (a digest of the token, never the
        token): one process sends its queued messages within Slack's per-channel limits."""
        return "slack:" + hashlib.sha256(self.settings.bot_token.encode()).hexdigest()[:16]

    async def take_role(self) -> None:
        """Events reach whichever process Slack picks (a socket or a request each): each
        answers its own; only the outbox's sending depends on the role."""

    async def leave_role(self) -> None:
        pass

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        if self._web is not None:
            await self._web.cleanup()

    async def _on_request(self, request: web.Request) -> web.Response:
        """One HTTP request from Slack: its size, then its signature, then its shape; only a
        signed body of a shape Slack sends reaches bolt. Refusals are logged in one short line
        (a minute), never with a traceback."""
        if request.content_length is not None and request.content_length > MAX_BODY:
            self._refusals.log("too large", f"{request.content_length} bytes", request.remote)
            return web.Response(status=413, text="too large")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            self._refusals.log("too large", f"over {MAX_BODY} bytes", request.remote)
            return web.Response(status=413, text="too large")
        problem = signature_problem(self._verifier, raw, request.headers)
        if problem is not None:
            self._refusals.log("signature", problem, request.remote)
            return web.Response(status=401, text="invalid request")
        content_type = request.headers.get("Content-Type", "").split(";")[0]
        try:
            text = raw.decode("utf-8")
            body = parse_body(text, content_type)
            verdict = check_body(body)
        except UnicodeDecodeError:
            self._refusals.log("body", "not UTF-8", request.remote)
            return web.Response(status=400, text="bad request")
        except BadBody as error:
            self._refusals.log("body", str(error), request.remote)
            return web.Response(status=400, text="bad request")
        if verdict is Verdict.IGNORE:
            return web.Response(status=200)
        bolt_request = AsyncBoltRequest(
            body=text,
            query=request.query_string,
            headers={key: request.headers.getall(key) for key in request.headers},
        )
        if bolt_request.body != body:  # bolt takes any form mentioning "payload" for one
            bolt_request.body = body
            bolt_request.context = build_async_context(AsyncBoltContext(), body)
        response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    # What arrives

    def _register(self) -> None:
        app = self.app
        app.command(re.compile(r"^/.+"))(self._on_slash_command)
        app.event("message")(self._on_message)
        app.event("app_mention")(self._on_mention)
        app.event("app_home_opened")(self._on_home_opened)
        app.action(re.compile(r"^choice-"))(self._on_button)
        app.view(re.compile(r"^form:"))(self._on_form)

    async def _on_slash_command(
        self, ack: Callable[..., Awaitable[None]], command: dict[str, Any], body: dict[str, Any]
    ) -> None:
        """`/coordbot agenda tomorrow`: answered in the person's direct messages with the bot
        (visible to them alone wherever they typed it)."""
        await ack()
        self._remember_app(body)
        user = command["user_id"]
        channel = await self._direct_channel(user)
        text = from_slack(command.get("text", "")).strip() or "help"
        incoming = await self._incoming(
            user,
            channel,
            "/" + text,
            private=True,
            # Slack's trigger_id is new for every invocation: a replay carries the same one.
            delivery=delivery_id("trigger", command["trigger_id"]),
        )
        replies = await self.dispatcher.handle(incoming)
        if replies and command.get("channel_id") != channel:
            await self._ephemeral(command, "📬")
        await self._answer(replies, incoming, channel, trigger_id=command.get("trigger_id"))

    async def _on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """Direct messages to the bot; messages elsewhere (and edits, joins…) are not for us."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        if "user" not in event or "channel" not in event:
            return
        self._remember_app(body)
        incoming = await self._incoming(
            event["user"],
            event["channel"],
            from_slack(event.get("text", "")),
            True,
            delivery_id("event", body["event_id"]),
        )
        await self._handle(incoming, event["channel"])

    async def _on_mention(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """`@coordbot agenda` in a channel: answered there, with what anyone may see."""
        if event.get("bot_id") or "user" not in event or "channel" not in event:
            return
        self._remember_app(body)
        bot = re.escape(self.bot_user_id) if self.bot_user_id else "[A-Z0-9]+"
        text = re.sub(rf"<@{bot}(?:\|[^>]*)?>", "", event.get("text", ""), count=1)
        incoming = await self._incoming(
            event["user"],
            event["channel"],
            from_slack(text).strip(),
            False,
            delivery_id("event", body["event_id"]),
        )
        await self._handle(incoming, event["channel"])

    async def _on_home_opened(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab") != "home" or "user" not in event:
            return
        self._remember_app(body)
        user = event["user"]
        incoming = await self._incoming(
            user, user, "/home", True, delivery_id("event", body["event_id"])
        )
        replies = await self.dispatcher.handle(replace(incoming, message_id=HOME_VIEW))
        if not replies:  # delivered before
            return
        await self._publish_home(user, replies)

    async def _publish_home(self, user: str, replies: list[Reply]) -> None:
        view_blocks = [block for reply in replies for block in blocks(reply, self.app_id)]
        await self.client.views_publish(
            user_id=user, view={"type": "home", "blocks": view_blocks[:100]}
        )

    async def _on_button(
        self, ack: Callable[..., Awaitable[None]], body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        await ack()
        self._remember_app(body)
        user = body["user"]["id"]
        container = body.get("container", {})
        channel = container.get("channel_id") or body.get("channel", {}).get("id")
        in_message = container.get("type") == "message" and channel is not None
        if not in_message:  # a button of the App Home: the answer goes to direct messages
            channel = await self._direct_channel(user)
        sender = await self._sender(user)
        incoming = Incoming(
            PLATFORM,
            channel,
            sender,
            button=action.get("value", ""),
            private=channel.startswith("D"),
            message_id=container.get("message_ts") if in_message else None,
            delivery_id=delivery_id("trigger", body["trigger_id"]),
        )
        await self._handle(
            incoming,
            channel,
            pressed=incoming.message_id,
            trigger_id=body.get("trigger_id"),
        )

    async def _on_form(
        self, ack: Callable[..., Awaitable[None]], body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        await ack()
        self._remember_app(body)
        user = body["user"]["id"]
        channel = view.get("private_metadata") or await self._direct_channel(user)
        incoming = Incoming(
            PLATFORM,
            channel,
            await self._sender(user),
            form=view["callback_id"].removeprefix("form:"),
            values=form_values(view),
            private=True,
            delivery_id=delivery_id("trigger", body["trigger_id"]),
        )
        await self._handle(incoming, channel)

    async def _incoming(
        self,
        user: str,
        channel: str,
        text: str,
        private: bool,
        delivery: str | None = None,
    ) -> Incoming:
        """A message as the router reads it: `agenda tomorrow` is a command as much as
        `/agenda tomorrow` (Slack keeps the slash for its own commands)."""
        words = text.strip().lstrip("/").split(maxsplit=1)
        if words and self.dispatcher.router.knows(words[0]):
            text = "/" + text.strip().lstrip("/")
        parsed = parse_command(text)
        command, args = parsed if parsed else (None, ())
        return Incoming(
            PLATFORM,
            channel,
            await self._sender(user),
            text=text,
            command=command,
            args=args,
            private=private,
            delivery_id=delivery,
        )

    async def _sender(self, user: str) -> Sender:
        """Who wrote, with their Slack locale and verified e-mail (asked once in a while)."""
        cached = self._users.get(user)
        if cached is not None and time.monotonic() - cached[0] < USER_CACHE_SECONDS:
            return cached[1]
        try:
            info = (await self.client.users_info(user=user, include_locale=True))["user"]
        except SlackApiError as error:
            log.warning("Slack: users.info for %s failed: %s", user, error.response.get("error"))
            return Sender(user)
        profile = info.get("profile", {})
        sender = Sender(
            user,
            profile.get("real_name") or info.get("real_name") or info.get("name"),
            info.get("locale"),
            profile.get("email") or None,
        )
        self._users[user] = (time.monotonic(), sender)
        return sender

    def _remember_app(self, body: dict[str, Any]) -> None:
        self.app_id = body.get("api_app_id") or self.app_id

    async def _direct_channel(self, user: str) -> str:
        channel = self._direct_channels.get(user)
        if channel is None:
            opened = await self.client.conversations_open(users=user)
            channel = str(opened["channel"]["id"])
            self._direct_channels[user] = channel
        return channel

    async def _ephemeral(self, command: dict[str, Any], text: str) -> None:
        try:
            await self.client.chat_postEphemeral(
                channel=command["channel_id"], user=command["user_id"], text=text
            )
        except SlackApiError as error:  # a channel the bot is not in: the DM is enough
            log.info("Slack: no ephemeral note: %s", error.response.get("error"))

    # What goes out

    async def _handle(
        self,
        incoming: Incoming,
        channel: str,
        pressed: str | None = None,
        trigger_id: str | None = None,
    ) -> None:
        await self._answer(
            await self.dispatcher.handle(incoming), incoming, channel, pressed, trigger_id
        )

    async def _answer(
        self,
        replies: list[Reply],
        incoming: Incoming,
        channel: str,
        pressed: str | None = None,
        trigger_id: str | None = None,
    ) -> None:
        for reply in replies:
            try:
                if reply.form is not None and trigger_id is not None:
                    await self.client.views_open(
                        trigger_id=trigger_id, view=modal(reply.form, channel)
                    )
                else:
                    await self._post(channel, reply, pressed if reply.edit else None)
            except Unreachable:
                await self.dispatcher.set_reachable(PLATFORM, incoming.sender.external_id, False)
                return
            except SlackApiError as error:  # logged; the person can ask again
                log.warning("Slack: answering %s failed: %s", channel, error.response.get("error"))

    async def send(self, chat_id: str, reply: Reply, replacing: str | None = None) -> str | None:
        """A reply into a channel, failures logged (a listener's answers go through `_answer`,
        which knows who wrote and marks them unreachable)."""
        try:
            return await self._post(chat_id, reply, replacing)
        except Unreachable as error:
            log.info("Slack: %s cannot be reached: %s", chat_id, error)
        except SlackApiError as error:
            log.warning("Slack: posting to %s failed: %s", chat_id, error.response.get("error"))
        return None

    async def _post(self, channel: str, reply: Reply, replacing: str | None = None) -> str | None:
        """Post a reply (or replace the message `replacing`); returns the message's ts. A person
        who cannot be reached → Unreachable; any other error propagates."""
        try:
            if replacing is not None:
                await self.client.chat_update(
                    channel=channel,
                    ts=replacing,
                    text=fallback_text(reply),
                    blocks=blocks(reply, self.app_id),
                )
                return replacing
            posted = await self.client.chat_postMessage(
                channel=channel, text=fallback_text(reply), blocks=blocks(reply, self.app_id)
            )
            for file in reply.files():
                await self.client.files_upload_v2(
                    channel=str(posted.get("channel") or channel),
                    file=file.data,
                    filename=file.name,
                    title=file.caption or file.name,
                )
            return str(posted.get("ts"))
        except SlackApiError as error:
            reason = error.response.get("error")
            if reason in UNREACHABLE:
                raise Unreachable(str(reason)) from error
            raise

    async def deliver(self, external_id: str, reply: Reply) -> None:
        """For the delivery worker: a message of the bot's own to a person's direct messages.
        A person who left the workspace → Unreachable; any other error is retried later."""
        try:
            channel = await self._direct_channel(external_id)
        except SlackApiError as error:
            if error.response.get("error") in UNREACHABLE:
                raise Unreachable(str(error.response.get("error"))) from error
            raise
        await self._post(channel, reply)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        """Rewrite a message; the App Home (`HOME_VIEW`, whose chat is the person's user id)
        is published again with `reply` alone."""
        if message_id == HOME_VIEW:
            await self._publish_home(chat_id, [reply])
            return
        await self._post(chat_id, reply, replacing=message_id)
