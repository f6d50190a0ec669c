"""From one `Incoming` to its replies: who is writing, in which language, and which handler."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import inbox
from bot.chat import Choice, Incoming, Reply
from bot.clock import Clock
from bot.db import SessionFactory
from bot.models import Audience, ChatIdentity, Event, Participant, ProcessedDelivery, Role
from bot.people import access, participants
from bot.programme import meeting
from bot.text.i18n import _, choose_language, use_language

log = logging.getLogger(__name__)

HandlerResult = Reply | Sequence[Reply]
Handler = Callable[["Context"], Awaitable[HandlerResult]]


@dataclass
class Context:
    """Everything a handler may use while answering one message."""

    incoming: Incoming
    db: AsyncSession
    clock: Clock
    router: Router
    event: Event | None
    identity: ChatIdentity
    language: str
    args: tuple[str, ...] = ()
    payload: str = ""
    match: re.Match[str] | None = None

    @property
    def participant(self) -> Participant | None:
        return self.identity.participant

    @property
    def role(self) -> Role | None:
        """Whose eyes the answer is for. In a group, everyone's: the bot shows there only what
        any member of the group may see."""
        if not self.incoming.private or self.participant is None:
            return None
        return self.participant.role

    @property
    def audiences(self) -> tuple[Audience, ...]:
        """The parts of the programme the answer may show (see `role`)."""
        return access.audiences_of(self.participant if self.role is not None else None)


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    help: Any  # a lazily translated string
    aliases: tuple[str, ...] = ()
    usage: Any = ""  # a lazily translated string
    personal: bool = False  # answered only in a private chat
    organisers_only: bool = False
    local_names: tuple[tuple[str, str], ...] = ()  # (language, name): `/aide` for French readers

    def name_in(self, language: str) -> str:
        """The name /help and the command menu show a reader of `language`."""
        return dict(self.local_names).get(language, self.name)


@dataclass
class Router:
    """Every command, alias and button a chat understands, registered in one place
    (`handlers.build_router()`)."""

    commands: dict[str, Command] = field(default_factory=dict)
    _by_alias: dict[str, Command] = field(default_factory=dict)
    _buttons: dict[str, Handler] = field(default_factory=dict)
    _patterns: list[tuple[re.Pattern[str], Handler]] = field(default_factory=list)
    _forms: dict[str, Handler] = field(default_factory=dict)
    _on_text: Handler | None = None
    _on_unknown: Handler | None = None
    _on_stale_button: Handler | None = None

    def command(
        self,
        name: str,
        handler: Handler,
        *,
        help: Any,
        aliases: Sequence[str] = (),
        fr: str | None = None,
        es: str | None = None,
        usage: Any = "",
        personal: bool = False,
        organisers_only: bool = False,
    ) -> None:
        """`fr` and `es` name the command in those languages (accepted from anyone, shown to
        readers of that language); `aliases` are further names nobody is shown."""
        local_names = tuple((language, word) for language, word in (("fr", fr), ("es", es)) if word)
        aliases = (*aliases, *(word for _language, word in local_names))
        command = Command(
            name,
            handler,
            help,
            tuple(aliases),
            usage,
            personal or organisers_only,
            organisers_only,
            local_names,
        )
        for word in (name, *aliases):
            if word in self._by_alias:
                raise ValueError(f"/{word} is registered twice")
            self._by_alias[word] = command
        self.commands[name] = command

    def button(self, prefix: str, handler: Handler) -> None:
        """Buttons carry `prefix:payload`; the handler gets the payload."""
        if prefix in self._buttons:
            raise ValueError(f"button prefix {prefix!r} is registered twice")
        self._buttons[prefix] = handler

    def pattern(self, regex: str, handler: Handler) -> None:
        """A family of commands such as `/s12` (session 12)."""
        self._patterns.append((re.compile(regex), handler))

    def form(self, form_id: str, handler: Handler) -> None:
        """What a submitted form (see `bot.chat.Form`) does."""
        if form_id in self._forms:
            raise ValueError(f"form {form_id!r} is registered twice")
        self._forms[form_id] = handler

    def knows(self, word: str) -> bool:
        """Whether `word` names a command (for platforms where commands come without a slash)."""
        word = word.lower()
        return word in self._by_alias or any(r.fullmatch(word) for r, _h in self._patterns)

    def on_text(self, handler: Handler) -> None:
        self._on_text = handler

    def on_unknown(self, handler: Handler) -> None:
        self._on_unknown = handler

    def on_stale_button(self, handler: Handler) -> None:
        """For buttons of an older version of the bot, still on people's screens."""
        self._on_stale_button = handler

    def resolve(self, incoming: Incoming) -> tuple[Handler | None, dict[str, Any]]:
        if incoming.button is not None:
            prefix, _, payload = incoming.button.partition(":")
            return self._buttons.get(prefix, self._on_stale_button), {"payload": payload}
        if incoming.form is not None:
            return self._forms.get(incoming.form, self._on_stale_button), {}
        if incoming.command is None:
            return self._on_text, {}
        command = self._by_alias.get(incoming.command)
        if command and command.personal and not incoming.private:
            return _only_in_private, {}
        if command and command.organisers_only:
            return _organisers_only(command.handler), {"args": incoming.args}
        if command:
            return command.handler, {"args": incoming.args}
        for regex, handler in self._patterns:
            match = regex.fullmatch(incoming.command)
            if match:
                return handler, {"match": match, "args": incoming.args}
        return self._on_unknown, {}


async def _only_in_private(ctx: Context) -> Reply:
    return Reply(
        _("This is personal: I answer it only in a private chat."),
        choices=((Choice(_("Open a private chat"), open_private=True),),),
    )


def _organisers_only(handler: Handler) -> Handler:
    """The role behind every organiser action is checked here, before the handler runs."""

    async def checked(ctx: Context) -> HandlerResult:
        if ctx.role != Role.ORGANISER:
            log.warning(
                "refused /%s to %s account %s (role %s)",
                ctx.incoming.command,
                ctx.incoming.platform,
                ctx.identity.id,
                ctx.role,
            )
            return Reply(
                _("Only organisers can use /{command}.").format(command=ctx.incoming.command)
            )
        return await handler(ctx)

    return checked


@dataclass
class Dispatcher:
    """Runs one message through the router inside its own database transaction and language."""

    router: Router
    sessions: SessionFactory
    clock: Clock
    event_key: str | None = None

    async def handle(self, incoming: Incoming, *, keep_replies: bool = False) -> list[Reply]:
        """The replies to `incoming`; none when its delivery was handled before.

        `keep_replies` (for an update of the durable inbox, see bot.inbox) stores the replies
        with the delivery in the handler's transaction, until the adapter has sent them.
        """
        handler, extra = self.router.resolve(incoming)
        if handler is None:
            return []
        async with self.sessions() as db:
            if incoming.delivery_id is not None and not await _first_delivery(db, incoming):
                log.info(
                    "%s delivery %s seen before: skipped", incoming.platform, incoming.delivery_id
                )
                return []
            event = await meeting.current_event(db, self.event_key)
            identity = await participants.identity_for(
                db, incoming.platform, incoming.sender, self.clock.now()
            )
            if identity.participant is None and incoming.sender.email and event is not None:
                await participants.link_by_email(db, identity, event.id, incoming.sender.email)
            language = choose_language(
                participants.explicit_language(identity),
                incoming.language_code,
                event.default_language if event else "en",
            )
            with use_language(language):
                context = Context(
                    incoming, db, self.clock, self.router, event, identity, language, **extra
                )
                try:
                    result = await handler(context)
                    if keep_replies and incoming.delivery_id is not None:
                        await inbox.keep_replies(
                            db, incoming.platform, incoming.delivery_id, _replies(result)
                        )
                    await db.commit()
                except Exception:
                    log.exception("handling %s failed", incoming.command or incoming.button)
                    await db.rollback()
                    return [Reply(_("Sorry, something went wrong on my side. Please try again."))]
        return _replies(result)

    async def set_reachable(self, platform: str, external_id: str, reachable: bool) -> None:
        async with self.sessions() as db:
            await participants.set_reachable(db, platform, external_id, reachable)
            await db.commit()


def _replies(result: HandlerResult) -> list[Reply]:
    return [result] if isinstance(result, Reply) else list(result)


async def _first_delivery(db: AsyncSession, incoming: Incoming) -> bool:
    """Mark a delivery handled in the message's own transaction; False when it was before.

    A delivery stored in the inbox is claimed; any other gets its row now. The mark commits
    with the handler's changes, so a crash mid-way lets the update be handled again (from the
    inbox, or when the platform redelivers it), and a handled update is never handled again,
    across restarts too. Stamped with real time (see `inbox.real_now`).
    """
    assert incoming.delivery_id is not None
    now = inbox.real_now()
    key = (
        ProcessedDelivery.platform == incoming.platform,
        ProcessedDelivery.delivery_id == incoming.delivery_id,
    )
    claimed = await db.execute(
        update(ProcessedDelivery)
        .where(*key, ProcessedDelivery.handled_at.is_(None))
        .values(handled_at=now)
    )
    if int(getattr(claimed, "rowcount", 0) or 0) == 1:
        return True
    db.add(
        ProcessedDelivery(
            platform=incoming.platform,
            delivery_id=incoming.delivery_id,
            received_at=now,
            handled_at=now,
        )
    )
    try:
        await db.flush()
    except IntegrityError:
        await db.rollback()
        return False
    return True


async def forget_old_deliveries(db: AsyncSession, before: datetime) -> int:
    """Platforms redeliver for a day at most (Telegram keeps updates 24 hours). `before` is
    real time, as the rows' stamps are. Updates still waiting to be handled or answered stay."""
    result = await db.execute(
        delete(ProcessedDelivery).where(
            ProcessedDelivery.received_at < before,
            ProcessedDelivery.handled_at.is_not(None),
            ProcessedDelivery.replies.is_(None),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
