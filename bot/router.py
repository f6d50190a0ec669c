"""Which handler answers an `Incoming`: every command, alias, button and form, registered in one
place (`handlers.build_router()`), with the guards each declares (private chat only, organisers
only, what it needs) applied before it runs."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from babel.support import LazyProxy

from bot.buttons import Button, ButtonError
from bot.chat import Choice, Incoming, Reply
from bot.context import (
    ANYONE,
    Context,
    Handler,
    HandlerResult,
    Missing,
    Need,
)
from bot.models import Role
from bot.text.i18n import _

log = logging.getLogger(__name__)

B = TypeVar("B", bound=Button)
C = TypeVar("C", bound=Context)
# A text shown in the reader's language, translated when it is shown (`_l("…")`).
LazyText = str | LazyProxy


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    help: LazyText
    aliases: tuple[str, ...] = ()
    usage: LazyText = ""
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
