"""Delivering the outbox in tests: a deliverer that records what each account received."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from bot import broadcasts
from bot.chat import Reply
from bot.delivery import DeliveryWorker, Unreachable
from bot.markup import to_plain
from bot.router import Dispatcher


@dataclass
class Inboxes:
    """What each chat account received from the bot on its own, as plain text."""

    received: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    blocked: set[str] = field(default_factory=set)

    async def deliver(self, external_id: str, reply: Reply) -> None:
        if external_id in self.blocked:
            raise Unreachable("blocked by the user")
        text = to_plain(reply.text)
        for space in ("\xa0", "\u2009", "\u202f"):  # CLDR spacing, compared as plain spaces
            text = text.replace(space, " ")
        self.received[external_id].append(text)


async def deliver_all(dispatcher: Dispatcher, inboxes: Inboxes, platform: str = "test") -> int:
    worker = DeliveryWorker(
        dispatcher.sessions,
        dispatcher.clock,
        dispatcher.router.notices,
        {platform: inboxes},
        after_pass=broadcasts.finish,
    )
    delivered = 0
    while handled := await worker.deliver_due():
        delivered += handled
    return delivered
