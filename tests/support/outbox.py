"""Delivering the outbox in tests: a deliverer that records what each account received."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from bot.app import bookkeeping
from bot.app.scheduler import Scheduler
from bot.chat import Reply
from bot.delivery.worker import DeliveryWorker, Unreachable
from bot.dispatcher import Dispatcher
from bot.platforms import Deliverer
from bot.translation.provider import Translator
from bot.translation.reading import DEFAULT_DEADLINE, Translating
from handlers import broadcast as broadcast_handlers
from handlers import build_notices
from tests.support.chat import plain


@dataclass
class Inboxes:
    """What each chat account received from the bot on its own, as plain text."""

    received: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    blocked: set[str] = field(default_factory=set)
    files: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # by name
    # The replies themselves, to press their buttons.
    replies: dict[str, list[Reply]] = field(default_factory=lambda: defaultdict(list))
    # Messages rewritten in place, by (chat, message): each version, as plain text.
    edited: dict[tuple[str, str], list[Reply]] = field(default_factory=lambda: defaultdict(list))

    async def deliver(self, external_id: str, reply: Reply) -> None:
        if external_id in self.blocked:
            raise Unreachable("blocked by the user")
        self.received[external_id].append(plain(reply))
        self.replies[external_id].append(reply)
        self.files[external_id] += [file.name for file in reply.files()]

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        self.edited[chat_id, message_id].append(reply)


async def deliver_all(
    dispatcher: Dispatcher,
    inboxes: Deliverer,
    platform: str = "test",
    translator: Translator | None = None,
    translation_deadline: timedelta = DEFAULT_DEADLINE,
) -> int:
    """Deliver until nothing is left (to `inboxes`, or to a real adapter), stepping the
    scheduler's routine before each pass as the running scheduler does every second (a
    survey's reminders, a broadcast's report, with a `translator` the translations)."""
    sessions, clock = dispatcher.sessions, dispatcher.clock
    worker = DeliveryWorker(
        sessions,
        clock,
        build_notices(),
        {platform: inboxes},
        translating=(
            Translating(translator.name, translation_deadline) if translator is not None else None
        ),
    )
    routine = bookkeeping.routine(
        sessions, clock, broadcast_handlers.progress, {platform: inboxes}, translator
    )
    scheduler = Scheduler(sessions, clock, every=routine)  # stepped by hand, never started
    delivered = 0
    while True:
        await scheduler.run_every_once()
        handled = await worker.deliver_due()
        if not handled:
            return delivered
        delivered += handled
