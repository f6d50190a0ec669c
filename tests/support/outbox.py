"""Delivering the outbox in tests: a deliverer that records what each account received."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from bot.bookkeeping import after_delivery_pass
from bot.chat import Reply
from bot.delivery import DeliveryWorker, Unreachable
from bot.markup import to_plain
from bot.router import Dispatcher
from handlers import build_notices


@dataclass
class Inboxes:
    """What each chat account received from the bot on its own, as plain text."""

    received: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    blocked: set[str] = field(default_factory=set)
    files: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # by name
    # Messages rewritten in place, by (chat, message): each version, as plain text.
    edited: dict[tuple[str, str], list[Reply]] = field(default_factory=lambda: defaultdict(list))

    async def deliver(self, external_id: str, reply: Reply) -> None:
        if external_id in self.blocked:
            raise Unreachable("blocked by the user")
        self.received[external_id].append(plain(reply))
        self.files[external_id] += [file.name for file in reply.files()]

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        self.edited[chat_id, message_id].append(reply)


def plain(reply: Reply) -> str:
    text = to_plain(reply.text)
    for space in ("\xa0", "\u2009", "\u202f"):  # CLDR spacing, compared as plain spaces
        text = text.replace(space, " ")
    return text


async def deliver_all(dispatcher: Dispatcher, inboxes: Inboxes, platform: str = "test") -> int:
    worker = DeliveryWorker(
        dispatcher.sessions,
        dispatcher.clock,
        build_notices(),
        {platform: inboxes},
        after_pass=after_delivery_pass,
    )
    delivered = 0
    while handled := await worker.deliver_due():
        delivered += handled
    return delivered
