"""From one `Incoming` to its replies: who is writing, in which language, and which handler."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import events, participants
from bot.chat import Incoming, Reply
from bot.clock import Clock
from bot.db import SessionFactory
from bot.i18n import _, choose_language, use_language
from bot.models import ChatIdentity, Event, Participant, Role

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
        return self.participant.role if self.participant else None


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    help: Any  # a lazily translated string
    aliases: tuple[str, ...] = ()
    usage: str = ""


@dataclass
class Router:
    """Every command, alias and button a chat understands, registered in one place
    (`handlers.build_router()`)."""

    commands: dict[str, Command] = field(default_factory=dict)
    _by_alias: dict[str, Command] = field(default_factory=dict)
    _buttons: dict[str, Handler] = field(default_factory=dict)
    _patterns: list[tuple[re.Pattern[str], Handler]] = field(default_factory=list)
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
        usage: str = "",
    ) -> None:
        command = Command(name, handler, help, tuple(aliases), usage)
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
        if incoming.command is None:
            return self._on_text, {}
        command = self._by_alias.get(incoming.command)
        if command:
            return command.handler, {"args": incoming.args}
        for regex, handler in self._patterns:
            match = regex.fullmatch(incoming.command)
            if match:
                return handler, {"match": match, "args": incoming.args}
        return self._on_unknown, {}


@dataclass
class Dispatcher:
    """Runs one message through the router inside its own database transaction and language."""

    router: Router
    sessions: SessionFactory
    clock: Clock
    event_key: str | None = None

    async def handle(self, incoming: Incoming) -> list[Reply]:
        handler, extra = self.router.resolve(incoming)
        if handler is None:
            return []
        async with self.sessions() as db:
            event = await events.current_event(db, self.event_key)
            identity = await participants.identity_for(
                db, incoming.platform, incoming.sender, self.clock.now()
            )
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
                    await db.commit()
                except Exception:
                    log.exception("handling %s failed", incoming.command or incoming.button)
                    await db.rollback()
                    return [Reply(_("Sorry, something went wrong on my side. Please try again."))]
        return [result] if isinstance(result, Reply) else list(result)
