"""From one `Incoming` to its replies: who is writing, in which language, and which handler."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar, overload

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import inbox
from bot.buttons import Button, ButtonError
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
B = TypeVar("B", bound=Button)
C = TypeVar("C", bound="Context")
C_co = TypeVar("C_co", bound="Context", covariant=True)


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

    def _fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class EventContext(Context):
    """The context of a handler registered with `needs=EVENT`: a programme is loaded."""

    event: Event


@dataclass
class ParticipantContext(EventContext):
    """The context of a handler registered with `needs=PARTICIPANT`: a programme is loaded and
    the writer is a registered participant of it."""

    @property
    def participant(self) -> Participant:
        participant = self.identity.participant
        assert participant is not None  # checked by the router before it made this context
        return participant


class Missing(Enum):
    """What a handler needs and a message lacks; the router answers it (see `Router.on_missing`)."""

    EVENT = "event"
    PARTICIPANT = "participant"


class Need(Generic[C_co]):
    """What a handler needs before it runs, and the narrowed context it then gets. `needs=`
    of `Router.command`/`button` takes one: ANYONE, EVENT or PARTICIPANT."""

    def __init__(self, narrow: Callable[[Context], C_co | Missing]) -> None:
        self.narrow = narrow

    def get(self, ctx: Context) -> C_co | None:
        """The narrowed context, or None: for a handler that answers a missing need its own
        way (`/leave` when one is at no table)."""
        narrowed = self.narrow(ctx)
        return None if isinstance(narrowed, Missing) else narrowed


def _with_event(ctx: Context) -> EventContext | Missing:
    if ctx.event is None:
        return Missing.EVENT
    return ctx if isinstance(ctx, EventContext) else EventContext(**ctx._fields())


def _with_participant(ctx: Context) -> ParticipantContext | Missing:
    if ctx.event is None:
        return Missing.EVENT
    if ctx.participant is None:
        return Missing.PARTICIPANT
    return ctx if isinstance(ctx, ParticipantContext) else ParticipantContext(**ctx._fields())


ANYONE: Need[Context] = Need(lambda ctx: ctx)
EVENT: Need[EventContext] = Need(_with_event)
PARTICIPANT: Need[ParticipantContext] = Need(_with_participant)


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
    needs: Need[Context] = ANYONE  # checked by the router before `handler` (already wrapped) runs
    # Subcommands only organisers may use, of a command everyone may use (`/survey open`).
    organiser_subcommand: Callable[[Sequence[str]], bool] | None = None

    def name_in(self, language: str) -> str:
        """The name /help and the command menu show a reader of `language`."""
        return dict(self.local_names).get(language, self.name)


ButtonHandler = Callable[[C, B], Awaitable[HandlerResult]]
ContextHandler = Callable[[C], Awaitable[HandlerResult]]


@dataclass(frozen=True)
class _ButtonRoute:
    """One registered kind of button: how its data decodes, and who may press it."""

    kind: type[Button]
    run: Callable[[Context, Any], Awaitable[HandlerResult]]
    organisers_only: bool


@dataclass
class Router:
    """Every command, alias and button a chat understands, registered in one place
    (`handlers.build_router()`), with what each needs before it runs."""

    commands: dict[str, Command] = field(default_factory=dict)
    _by_alias: dict[str, Command] = field(default_factory=dict)
    _buttons: dict[str, _ButtonRoute] = field(default_factory=dict)
    _patterns: list[tuple[re.Pattern[str], Handler]] = field(default_factory=list)
    _forms: dict[str, Handler] = field(default_factory=dict)
    _on_text: Handler | None = None
    _on_unknown: Handler | None = None
    _on_stale_button: Handler | None = None
    _answers: dict[Missing, Callable[[], Reply]] = field(default_factory=dict)

    @overload
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
        organiser_subcommand: Callable[[Sequence[str]], bool] | None = None,
    ) -> None: ...

    @overload
    def command(
        self,
        name: str,
        handler: ContextHandler[C],
        *,
        help: Any,
        aliases: Sequence[str] = (),
        fr: str | None = None,
        es: str | None = None,
        usage: Any = "",
        personal: bool = False,
        organisers_only: bool = False,
        organiser_subcommand: Callable[[Sequence[str]], bool] | None = None,
        needs: Need[C],
    ) -> None: ...

    def command(
        self,
        name: str,
        handler: Callable[[Any], Awaitable[HandlerResult]],
        *,
        help: Any,
        aliases: Sequence[str] = (),
        fr: str | None = None,
        es: str | None = None,
        usage: Any = "",
        personal: bool = False,
        organisers_only: bool = False,
        organiser_subcommand: Callable[[Sequence[str]], bool] | None = None,
        needs: Need[Context] = ANYONE,
    ) -> None:
        """`fr` and `es` name the command in those languages (accepted from anyone, shown to
        readers of that language); `aliases` are further names nobody is shown. `needs` says
        what the handler needs (EVENT, PARTICIPANT); the router answers when it is missing.
        `organiser_subcommand(args)` tells the words after the command that only organisers
        may use (`/survey open KEY`)."""
        local_names = tuple((language, word) for language, word in (("fr", fr), ("es", es)) if word)
        aliases = (*aliases, *(word for _language, word in local_names))
        command = Command(
            name,
            self._guarded(handler, needs, button=False),
            help,
            tuple(aliases),
            usage,
            personal or organisers_only,
            organisers_only,
            local_names,
            needs,
            organiser_subcommand,
        )
        for word in (name, *aliases):
            if word in self._by_alias:
                raise ValueError(f"/{word} is registered twice")
            self._by_alias[word] = command
        self.commands[name] = command

    @overload
    def button(
        self,
        kind: type[B],
        handler: ButtonHandler[Context, B],
        *,
        organisers_only: bool = False,
    ) -> None: ...

    @overload
    def button(
        self,
        kind: type[B],
        handler: ButtonHandler[C, B],
        *,
        needs: Need[C],
        organisers_only: bool = False,
    ) -> None: ...

    def button(
        self,
        kind: type[B],
        handler: Callable[[Any, B], Awaitable[HandlerResult]],
        *,
        needs: Need[Context] = ANYONE,
        organisers_only: bool = False,
    ) -> None:
        """A kind of button (see `bot.buttons`); the handler gets the context and the decoded
        button. Data that does not decode goes to the stale-button answer; so does a button
        that needs a participant pressed by someone who is not one (an erased account, another
        member of a group)."""
        if kind.prefix in self._buttons:
            raise ValueError(f"button prefix {kind.prefix!r} is registered twice")

        async def run(ctx: Context, button: Any) -> HandlerResult:
            narrowed = needs.narrow(ctx)
            if isinstance(narrowed, Missing):
                return await self._refuse(ctx, narrowed, button=True)
            return await handler(narrowed, button)

        self._buttons[kind.prefix] = _ButtonRoute(kind, run, organisers_only)

    @property
    def buttons(self) -> tuple[type[Button], ...]:
        """Every kind of button registered, in the order of registration."""
        return tuple(route.kind for route in self._buttons.values())

    @overload
    def pattern(self, regex: str, handler: Handler) -> None: ...

    @overload
    def pattern(self, regex: str, handler: ContextHandler[C], *, needs: Need[C]) -> None: ...

    def pattern(
        self,
        regex: str,
        handler: Callable[[Any], Awaitable[HandlerResult]],
        *,
        needs: Need[Context] = ANYONE,
    ) -> None:
        """A family of commands such as `/s12` (session 12)."""
        self._patterns.append((re.compile(regex), self._guarded(handler, needs, button=False)))

    def form(self, form_id: str, handler: Handler, *, organisers_only: bool = False) -> None:
        """What a submitted form (see `bot.chat.Form`) does. An organiser's form is refused
        to anyone else as the command of the same name is."""
        if form_id in self._forms:
            raise ValueError(f"form {form_id!r} is registered twice")
        self._forms[form_id] = _organisers_only(handler, form_id) if organisers_only else handler

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

    def on_missing(self, *, event: Callable[[], Reply], participant: Callable[[], Reply]) -> None:
        """The answers when what a handler needs is missing: no programme is loaded; the writer
        is no registered participant (for a button, the stale-button answer instead)."""
        self._answers = {Missing.EVENT: event, Missing.PARTICIPANT: participant}

    def _guarded(
        self, handler: Callable[[Any], Awaitable[HandlerResult]], needs: Need[Context], button: bool
    ) -> Handler:
        if needs is ANYONE:
            return handler

        async def guarded(ctx: Context) -> HandlerResult:
            narrowed = needs.narrow(ctx)
            if isinstance(narrowed, Missing):
                return await self._refuse(ctx, narrowed, button=button)
            return await handler(narrowed)

        return guarded

    async def _refuse(self, ctx: Context, missing: Missing, *, button: bool) -> HandlerResult:
        if button and missing == Missing.PARTICIPANT and self._on_stale_button is not None:
            return await self._on_stale_button(ctx)
        return self._answers[missing]()

    def resolve(self, incoming: Incoming) -> tuple[Handler | None, dict[str, Any]]:
        if incoming.button is not None:
            return self._button(incoming.button), {}
        if incoming.form is not None:
            return self._forms.get(incoming.form, self._on_stale_button), {}
        if incoming.command is None:
            return self._on_text, {}
        command = self._by_alias.get(incoming.command)
        if command and command.personal and not incoming.private:
            return _only_in_private, {}
        if command and command.organisers_only:
            return _organisers_only(command.handler), {"args": incoming.args}
        if command and command.organiser_subcommand and command.organiser_subcommand(incoming.args):
            refused = f"{command.name} {incoming.args[0].lower()}"
            return _organisers_only(command.handler, refused), {"args": incoming.args}
        if command:
            return command.handler, {"args": incoming.args}
        for regex, handler in self._patterns:
            match = regex.fullmatch(incoming.command)
            if match:
                return handler, {"match": match, "args": incoming.args}
        return self._on_unknown, {}

    def _button(self, data: str) -> Handler | None:
        """The handler of the button `data`, its data decoded: the kind of the longest
        registered prefix it starts with (`mail:read` before `mail`)."""
        parts = data.split(":")
        for length in range(len(parts), 0, -1):
            route = self._buttons.get(":".join(parts[:length]))
            if route is None:
                continue
            try:
                button = route.kind.unpack(data)
            except ButtonError:
                break
            return _pressed(route, button)
        return self._on_stale_button


def _pressed(route: _ButtonRoute, button: Button) -> Handler:
    async def pressed(ctx: Context) -> HandlerResult:
        return await route.run(ctx, button)

    if route.organisers_only:
        return _organisers_only(pressed, route.kind.command)
    return pressed


async def _only_in_private(ctx: Context) -> Reply:
    return Reply(
        _("This is personal: I answer it only in a private chat."),
        choices=((Choice(_("Open a private chat"), open_private=True),),),
    )


def _organisers_only(handler: Handler, command: str | None = None) -> Handler:
    """The role behind every organiser action is checked here, before the handler runs: a
    command, or a subcommand, button or form of the organiser's `command`."""

    async def checked(ctx: Context) -> HandlerResult:
        if ctx.role != Role.ORGANISER:
            what = command or ctx.incoming.command
            log.warning(
                "refused %s to %s account %s (role %s)",
                ctx.incoming.button
                or (f"form {ctx.incoming.form}" if ctx.incoming.form else "")
                or f"/{what}",
                ctx.incoming.platform,
                ctx.identity.id,
                ctx.role,
            )
            return Reply(_("Only organisers can use /{command}.").format(command=what))
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
