"""Telegram, through python-telegram-bot: updates in, neutral replies out.

Polling by default; a webhook (our own small aiohttp server, so that the secret is compared in
constant time) when TELEGRAM_WEBHOOK_URL is set. Either way updates go through the durable
inbox (bot/platforms/telegram_intake.py). See docs/telegram.md.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial

from aiohttp import web
from telegram import (
    BotCommand,
    CallbackQuery,
    Chat,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    Update,
    User,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot import inbox
from bot.chat import Choice, Document, Image, Incoming, Reply, Sender, parse_command
from bot.delivery.pacing import Pacer
from bot.delivery.worker import Unreachable
from bot.dispatcher import Dispatcher
from bot.inbox import Stored
from bot.people import badges
from bot.platforms import PlatformError
from bot.platforms.telegram_intake import TelegramIntake, update_from_body
from bot.platforms.telegram_limits import PacedRateLimiter
from bot.platforms.telegram_settings import PLATFORM, TelegramSettings
from bot.router import Router
from bot.text import markup
from bot.text.i18n import LANGUAGES, use_language

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
log = logging.getLogger(__name__)


def incoming_from(update: Update, bot_username: str) -> Incoming | None:
    """The neutral message of an update, or None for updates that ask nothing of us (edits,
    channel posts, inline queries, member changes…)."""
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message else None
        return Incoming(
            PLATFORM,
            str(chat.id if chat else query.from_user.id),
            _sender(query.from_user),
            button=query.data or "",
            private=chat is None or chat.type == Chat.PRIVATE,
            delivery_id=str(update.update_id),
            message_id=str(query.message.message_id) if query.message else None,
        )
    message = update.message
    if message is None or message.from_user is None:
        return None
    private = message.chat.type == Chat.PRIVATE
    text = message.text or ""
    parsed = parse_command(text, bot_username) if text else None
    if parsed is None and not private:
        return None  # people talking to each other in a group
    voice = message.voice.file_id if message.voice is not None else None
    command, args = parsed if parsed else (None, ())
    return Incoming(
        PLATFORM,
        str(message.chat.id),
        _sender(message.from_user),
        text=text,
        command=command,
        args=args,
        private=private,
        delivery_id=str(update.update_id),
        voice=voice,
    )


def _sender(user: User) -> Sender:
    return Sender(str(user.id), user.full_name, user.language_code)


def _fits_caption(reply: Reply) -> bool:
    """A single picture whose text fits in its caption carries the text and the buttons too:
    one message instead of two."""
    return (
        len(reply.images) == 1 and not reply.edit and len(reply.text) <= MessageLimit.CAPTION_LENGTH
    )


def keyboard(choices: Sequence[Sequence[Choice]], bot_username: str) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(choice.label, url=f"https://t.me/{bot_username}")
            if choice.open_private
            else InlineKeyboardButton(choice.label, callback_data=choice.data)
            for choice in row
        ]
        for row in choices
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


@dataclass(frozen=True)
class _Step:
    """One call of a reply to Telegram, and what it sends (for the log when it is refused)."""

    what: str
    call: Callable[[], Awaitable[object]]


def _log_refused(chat_id: int, step: _Step, error: BadRequest) -> None:
    log.warning(
        "Telegram refused a message to chat %s (%s); it was: %r",
        chat_id,
        error.message,
        step.what[:1000],
    )


class TelegramAdapter:
    name = PLATFORM

    def __init__(self, settings: TelegramSettings, dispatcher: Dispatcher) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self._uploaded: dict[str, str] = {}  # files sent, by content: Telegram's file id
        builder = (
            Application.builder()
            .token(settings.token)
            .base_url(f"{settings.api_url}/bot")
            .base_file_url(f"{settings.api_url}/file/bot")
            .rate_limiter(
                # One message every 1/pace seconds rather than bursts of `rate` at once, so
                # that no second ever holds more than Telegram allows.
                PacedRateLimiter(
                    Pacer(max(1, round(settings.rate))),
                    group_max_rate=settings.group_rate_per_minute,
                    group_time_period=60,
                )
            )
        )
        # Updates come in through our own intake, not python-telegram-bot's Updater, which
        # confirms updates as soon as it has fetched them.
        self.application = builder.updater(None).build()
        self.intake = TelegramIntake(
            settings, dispatcher.sessions, self._process, allowed_updates=Update.ALL_TYPES
        )
        self._webhook: web.AppRunner | None = None
        self._finishing = inbox.Finishing(dispatcher.sessions, PLATFORM)  # answered updates

    @property
    def rate(self) -> float | None:
        return self.settings.rate

    @property
    def username(self) -> str:
        return self.application.bot.username

    async def start(self) -> None:
        """One process alone: open, and hold the bot's role from the start."""
        await self.open()
        await self.take_role()

    async def open(self) -> None:
        """Ready to send, and in webhook mode to store what Telegram posts; receiving and
        handling wait for the role (`take_role`)."""
        try:
            await self.application.initialize()
        except (InvalidToken, NetworkError) as error:
            await self.application.bot.shutdown()  # close the HTTP connections opened so far
            if isinstance(error, InvalidToken):
                raise PlatformError(
                    "Telegram refused the bot token (TELEGRAM_BOT_TOKEN): check it with @BotFather."
                ) from error
            raise PlatformError(
                f"cannot reach the Telegram Bot API at {self.settings.api_url}: {error.message}"
            ) from error
        await self.publish_commands(self.dispatcher.router)
        badges.serving_as(self.username)  # check-in QR codes open this bot
        if self.settings.webhook_url:
            await self._start_webhook()  # every process stores what it is sent
        else:
            await self.application.bot.delete_webhook()
        log.info(
            "Telegram: @%s is running (%s)",
            self.username,
            "webhook" if self.settings.webhook_url else "polling",
        )

    @property
    def role_identity(self) -> str:
        """Which bot this is, for the lock of its role: its id (the token's first part), the
        same in every process; never the token itself."""
        return f"telegram:{self.settings.token.split(':', 1)[0]}"

    async def take_role(self) -> None:
        """This process now polls (or reads what every webhook stored), handles and sends for
        the bot: one update stream, one pace within Telegram's limits."""
        await self.intake.take_role(polling=not self.settings.webhook_url)

    async def leave_role(self) -> None:
        await self.intake.leave_role()

    async def stop(self) -> None:
        if self._webhook is not None:
            await self._webhook.cleanup()
        await self.intake.leave_role()
        await self.application.shutdown()
        badges.serving_as(None)

    async def publish_commands(self, router: Router) -> None:
        """The command menu, in English by default and in French and Spanish for those whose
        Telegram speaks them. Organiser commands stay out of everyone's menu."""
        for language in (None, *[code for code in LANGUAGES if code != "en"]):
            with use_language(language or "en"):
                commands = [
                    BotCommand(command.name_in(language or "en"), str(command.help)[:256])
                    for command in router.commands.values()
                    if not command.organisers_only
                ]
            await self.application.bot.set_my_commands(commands, language_code=language)

    async def _start_webhook(self) -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(self.settings.path, self._on_webhook)
        self._webhook = web.AppRunner(app, access_log=None)
        await self._webhook.setup()
        await web.TCPSite(self._webhook, self.settings.listen, self.settings.port).start()
        assert self.settings.webhook_url and self.settings.webhook_secret
        await self.application.bot.set_webhook(
            self.settings.webhook_url,
            secret_token=self.settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """The secret first; then a body that is an update, stored before Telegram gets its
        200 (a 5xx makes Telegram send it again)."""
        expected = (self.settings.webhook_secret or "").encode()
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            log.warning("Telegram webhook: refused a request without the right secret")
            return web.Response(status=403)
        try:
            body = await request.read()  # at most client_max_size, else 413
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413)
        update = update_from_body(body)
        if update is None:
            self.intake.quiet.log(
                logging.WARNING, "webhook-400", "Telegram webhook: refused a body that is no update"
            )
            return web.Response(status=400)
        try:
            await self.intake.receive([(update, body.decode("utf-8"))])
        except Exception as error:
            self.intake.quiet.log(
                logging.ERROR,
                "webhook-store",
                "Telegram webhook: could not store an update: %r",
                error,
            )
            return web.Response(status=503)
        return web.Response()

    async def _process(self, stored: Stored) -> None:
        """One update of the inbox: handled (unless it was before), then its replies sent, then
        finished. Replies stored by a run that died before sending them are sent now."""
        try:
            update = Update.de_json(dict(stored.payload), self.application.bot)
        except Exception as error:  # a shape python-telegram-bot cannot read: skipped
            self.intake.quiet.log(
                logging.WARNING,
                f"unreadable:{type(error).__name__}:{str(error)[:100]}",
                "Telegram: skipped update %s, which python-telegram-bot cannot read (%s: %s)",
                stored.delivery_id,
                type(error).__name__,
                str(error)[:200],
            )
            await self._finishing.finish(stored.delivery_id)
            return
        replies = stored.replies
        if replies is None:
            replies = await self._on_update(update)
        chat = update.effective_chat or update.effective_user
        query = update.callback_query
        pressed = query.message if query is not None else None
        for reply in replies:
            # A reply that asks to edit replaces the message whose button was pressed.
            replacing = (
                str(pressed.message_id) if reply.edit and isinstance(pressed, Message) else None
            )
            if chat is not None:
                await self.send(chat.id, reply, replacing)
        await self._finishing.finish(stored.delivery_id)

    async def _on_update(self, update: Update) -> list[Reply]:
        if update.my_chat_member is not None:
            await self._on_membership(update)
            return []
        if update.callback_query is not None:
            await self._answer(update.callback_query)
        incoming = incoming_from(update, self.username)
        if incoming is None:
            return []
        return await self.dispatcher.handle(incoming, keep_replies=True)

    async def _on_membership(self, update: Update) -> None:
        member = update.my_chat_member
        assert member is not None
        if member.chat.type != Chat.PRIVATE:
            return
        status = member.new_chat_member.status
        if status in (ChatMember.BANNED, ChatMember.LEFT):
            await self.dispatcher.set_reachable(PLATFORM, str(member.from_user.id), False)
        elif status == ChatMember.MEMBER:
            await self.dispatcher.set_reachable(PLATFORM, str(member.from_user.id), True)

    @staticmethod
    async def _answer(query: CallbackQuery) -> None:
        """Every button press is answered, or the person's app shows a spinner for a while."""
        try:
            await query.answer()
        except TelegramError as error:
            log.info("Telegram: could not answer a button press: %s", error.message)

    # What goes out: one path for replies and for the bot's own messages

    async def send(
        self, chat_id: int | str, reply: Reply, replacing: str | None = None
    ) -> str | None:
        """A reply to someone who wrote. Blocked → the account is marked unreachable; a part
        Telegram refuses is logged and the rest still goes; any other error is logged (the
        person can ask again)."""
        try:
            return await self._post(int(chat_id), reply, replacing, refused=_log_refused)
        except Forbidden:
            await self.dispatcher.set_reachable(PLATFORM, str(chat_id), False)
        except TelegramError as error:
            log.warning("Telegram: sending to chat %s failed: %s", chat_id, error.message)
        return None

    async def deliver(self, external_id: str, reply: Reply) -> None:
        """For the delivery worker: a message of the bot's own to a person's private chat.
        Blocked → Unreachable; any other error propagates, and the worker retries later."""
        try:
            await self._post(int(external_id), reply)
        except Forbidden as error:
            raise Unreachable(error.message) from error

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        """For the delivery worker: rewrite a message of the bot's (a broadcast's progress)."""
        text = markup.split(reply.text, MessageLimit.MAX_TEXT_LENGTH)[0]
        buttons = keyboard(reply.choices, self.username)
        await self._edit(int(chat_id), int(message_id), text, buttons)

    async def _post(
        self,
        chat_id: int,
        reply: Reply,
        replacing: str | None = None,
        refused: Callable[[int, _Step, BadRequest], None] | None = None,
    ) -> str | None:
        """Send `reply` (its first part in place of the message `replacing`); raises what
        Telegram answers, except a refused part when `refused` takes it. Returns the id of the
        last message."""
        last = replacing
        for step in self._steps(chat_id, reply, None if replacing is None else int(replacing)):
            try:
                sent = await step.call()
            except BadRequest as error:
                if refused is None:
                    raise
                refused(chat_id, step, error)
                continue
            if isinstance(sent, Message):
                last = str(sent.message_id)
        return last

    def _steps(self, chat_id: int, reply: Reply, replacing: int | None) -> list[_Step]:
        """A reply on Telegram, call by call: its text in parts Telegram takes (the first in
        place of `replacing`, the buttons under the last), then its pictures and documents. A
        single picture whose text fits in its caption carries the text and buttons instead."""
        buttons = keyboard(reply.choices, self.username)
        steps: list[_Step] = []
        if _fits_caption(reply):
            photo = partial(self._photo, chat_id, reply.images[0], reply.text, buttons)
            steps.append(_Step(reply.text, photo))
        else:
            parts = markup.split(reply.text, MessageLimit.MAX_TEXT_LENGTH)
            for number, part in enumerate(parts):
                under = buttons if number == len(parts) - 1 else None
                if number == 0 and replacing is not None:
                    steps.append(_Step(part, partial(self._edit, chat_id, replacing, part, under)))
                else:
                    message = partial(self._message, chat_id, part, under, self._paid(reply))
                    steps.append(_Step(part, message))
            for image in reply.images:
                caption = markup.escape(image.caption)
                steps.append(_Step(image.name, partial(self._photo, chat_id, image, caption, None)))
        for document in reply.documents:
            steps.append(_Step(document.name, partial(self._document, chat_id, document)))
        for voice in reply.voices:
            steps.append(_Step("voice", partial(self.application.bot.send_voice, chat_id, voice)))
        return steps

    def _paid(self, reply: Reply) -> bool:
        """An urgent broadcast's message goes at Telegram's paid rate, if the deployment allows
        paid broadcasts (TELEGRAM_PAID_BROADCAST_STARS)."""
        return reply.urgent and self.settings.paid_broadcast_stars > 0

    async def _message(
        self,
        chat_id: int,
        text: str,
        buttons: InlineKeyboardMarkup | None,
        paid: bool = False,
    ) -> Message:
        return await self.application.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=buttons,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            allow_paid_broadcast=paid or None,
        )

    async def _edit(
        self, chat_id: int, message_id: int, text: str, buttons: InlineKeyboardMarkup | None
    ) -> None:
        """Rewrite a message; the same text again is no error (Telegram says "not modified")."""
        try:
            await self.application.bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=buttons,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                raise

    async def _photo(
        self, chat_id: int, image: Image, caption: str, buttons: InlineKeyboardMarkup | None
    ) -> Message:
        return await self.application.bot.send_photo(
            chat_id,
            InputFile(image.png, filename=image.name),
            caption=caption,
            parse_mode=ParseMode.HTML,
            reply_markup=buttons,
        )

    async def _document(self, chat_id: int, document: Document) -> Message:
        """Upload a file once; to the next reader, send Telegram's id of it (a list message's
        attachment to thousands of delegates is not uploaded thousands of times)."""
        digest = hashlib.sha256(document.data).hexdigest() + document.name
        sent = await self.application.bot.send_document(
            chat_id,
            self._uploaded.get(digest) or InputFile(document.data, filename=document.name),
            caption=markup.escape(document.caption)[: MessageLimit.CAPTION_LENGTH] or None,
            parse_mode=ParseMode.HTML,
        )
        if sent.document is not None:
            self._uploaded[digest] = sent.document.file_id
            while len(self._uploaded) > 64:
                del self._uploaded[next(iter(self._uploaded))]
        return sent


async def bot_username(settings: TelegramSettings) -> str:
    """The bot's @username, asked of the Bot API (for invitation links)."""
    from telegram import Bot

    bot = Bot(settings.token, base_url=f"{settings.api_url}/bot")
    try:
        async with bot:
            return bot.username
    except InvalidToken as error:
        raise PlatformError("Telegram refused the bot token (TELEGRAM_BOT_TOKEN).") from error
    except NetworkError as error:
        raise PlatformError(
            f"cannot reach the Telegram Bot API at {settings.api_url}: {error.message}"
        ) from error
