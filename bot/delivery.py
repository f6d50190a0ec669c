"""The delivery worker: takes due outbox rows and sends them through the platform adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from bot import outbox
from bot.chat import Reply
from bot.clock import Clock
from bot.db import SessionFactory
from bot.i18n import choose_language, use_language
from bot.models import Event, OutboxMessage, Participant

log = logging.getLogger(__name__)

Renderer = Callable[[dict[str, Any]], Reply]


class Unreachable(Exception):
    """The person cannot be reached there (blocked the bot, left the workspace…)."""


class Deliverer(Protocol):
    async def deliver(self, external_id: str, reply: Reply) -> None:
        """Send `reply` to the account; raise Unreachable, or any other error to retry."""


class DeliveryWorker:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        renderers: Mapping[str, Renderer],
        deliverers: Mapping[str, Deliverer],
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.renderers = renderers
        self.deliverers = deliverers
        self.platforms = list(deliverers)

    async def deliver_due(self, limit: int = 50) -> int:
        """One pass: claim, send, record. Returns how many messages were handled."""
        async with self.sessions() as db:
            claimed = await outbox.claim(db, self.platforms, self.clock.now(), limit)
            await db.commit()
        for row in claimed:
            await self._deliver(row)
        return len(claimed)

    async def _deliver(self, row: OutboxMessage) -> None:
        async with self.sessions() as db:
            row = await db.merge(row, load=False)
            account = await outbox.recipient_account(db, row.participant_id, self.platforms)
            now = self.clock.now()
            if account is None:
                outbox.unreachable(row, "no reachable chat account", now)
                await db.commit()
                return
            person = await db.get_one(Participant, row.participant_id)
            event = await db.get_one(Event, person.event_id)
            language = choose_language(
                person.language, account.platform_language, event.default_language
            )
            try:
                with use_language(language):
                    reply = self.renderers[row.kind](row.payload)
                await self.deliverers[account.platform].deliver(account.external_id, reply)
            except Unreachable as error:
                account.reachable = False
                outbox.unreachable(row, str(error) or "unreachable", now)
            except Exception as error:  # any failure is recorded, and retried later
                log.warning("delivering outbox message %s failed: %s", row.id, error)
                outbox.retry_later(row, f"{type(error).__name__}: {error}"[:500], now)
            else:
                outbox.delivered(row, account.platform, now)
            await db.commit()

    async def run(self, stopping: asyncio.Event, interval: float = 1.0) -> None:
        """Deliver until `stopping` is set; a failing pass is logged, never fatal."""
        while not stopping.is_set():
            try:
                handled = await self.deliver_due()
            except Exception:
                log.exception("a delivery pass failed")
                handled = 0
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), interval)
