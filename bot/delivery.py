"""The delivery worker: takes due outbox rows and sends them through the platform adapters.

Each message is prepared in one short transaction, sent with no transaction open (a network
call must never hold a database lock), and its outcome recorded in another. Messages go out
several at a time; the platform adapter enforces the platform's overall and group limits, and
the worker keeps at least `per_chat_interval` between two messages to the same chat. They are
sent in `pacing.background()`: a direct reply to a person takes the next slot before them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.chat import Reply
from bot.clock import Clock
from bot.db import SessionFactory
from bot.i18n import choose_language, use_language
from bot.models import ChatIdentity, Event, OutboxMessage, OutboxStatus, Participant
from bot.pacing import background
from bot.platforms import Deliverer

log = logging.getLogger(__name__)

# A notice's text from its payload; the worker adds `sent_at`, the time it leaves (ISO).
Renderer = Callable[[dict[str, Any]], Reply]
# What a notice needs beyond its payload, read from the database before rendering (a list
# message's text and attachments, kept once rather than in every recipient's row).
Loader = Callable[[AsyncSession, dict[str, Any]], Awaitable[dict[str, Any]]]


class Unreachable(Exception):
    """The person cannot be reached there (blocked the bot, left the workspace…)."""


@dataclass(frozen=True)
class Edit:
    """A message of the bot's, shown in a chat, to be rewritten in place (a broadcast's
    progress): rendered like an outbox row, in the language of `participant_id`."""

    platform: str
    chat_id: str
    message_id: str
    participant_id: int | None
    kind: str
    payload: dict[str, Any]


BookKeeping = Callable[[AsyncSession, datetime, Sequence[str]], Awaitable[Sequence[Edit]]]


@dataclass(frozen=True)
class _Prepared:
    row_id: int
    platform: str
    external_id: str
    identity_id: int
    reply: Reply


class DeliveryWorker:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        renderers: Mapping[str, Renderer],
        deliverers: Mapping[str, Deliverer],
        *,
        concurrency: int = 16,
        per_chat_interval: float = 1.0,
        batch: int = 64,
        after_pass: BookKeeping | None = None,
        loaders: Mapping[str, Loader] | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.renderers = renderers
        self.loaders = loaders or {}
        self.deliverers = deliverers
        self.platforms = list(deliverers)
        self.concurrency = concurrency
        self.per_chat_interval = per_chat_interval
        self.batch = batch
        # Book-keeping in its own transaction after each pass (finished broadcasts' reports);
        # it may ask for messages to be edited in place (progress), done with no transaction open.
        self.after_pass = after_pass
        self._chat_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._last_sent: dict[tuple[str, str], float] = {}

    async def _book_keeping(self) -> None:
        if self.after_pass is None:
            return
        async with self.sessions() as db:
            edits = await self.after_pass(db, self.clock.now(), self.platforms)
            rendered = [(edit, await self._render_edit(db, edit)) for edit in edits]
            await db.commit()
        for edit, reply in rendered:
            if reply is None:
                continue
            try:
                with background():
                    await self.deliverers[edit.platform].edit(edit.chat_id, edit.message_id, reply)
            except Exception as error:  # a missed edit is shown right by the next one
                log.warning("editing message %s in place failed: %s", edit.message_id, error)

    async def _render_edit(self, db: AsyncSession, edit: Edit) -> Reply | None:
        language = None
        if edit.participant_id is not None:
            account = await outbox.recipient_account(db, edit.participant_id, [edit.platform])
            language = await self._language(db, edit.participant_id, account)
        try:
            with use_language(language or "en"):
                return self.renderers[edit.kind](edit.payload)
        except Exception:
            log.exception("an edit of message %s cannot be rendered", edit.message_id)
            return None

    @staticmethod
    async def _language(db: AsyncSession, participant_id: int, account: ChatIdentity | None) -> str:
        """The reader's language: their choice, else their chat app's, else the event's."""
        person = await db.get_one(Participant, participant_id)
        event = await db.get_one(Event, person.event_id)
        return choose_language(
            person.language,
            account.platform_language if account else None,
            event.default_language,
        )

    async def _claim(self) -> list[int]:
        # Book-keeping first, so that what it queues (a survey's reminders) goes in this pass.
        await self._book_keeping()
        async with self.sessions() as db:
            claimed = [row.id for row in await outbox.claim(db, self.clock.now(), self.batch)]
            await db.commit()
        return claimed

    async def deliver_due(self) -> int:
        """One pass: claim, send, record. Returns how many messages were handled."""
        claimed = await self._claim()
        gate = asyncio.Semaphore(self.concurrency)

        async def one(row_id: int) -> None:
            async with gate:
                await self._deliver(row_id)

        await asyncio.gather(*(one(row_id) for row_id in claimed))
        if claimed:  # a broadcast just finished reports now, not at the next pass
            await self._book_keeping()
        return len(claimed)

    async def _deliver(self, row_id: int) -> None:
        prepared = await self._prepare(row_id)
        if prepared is None:
            return
        error: Exception | None = None
        try:
            with background():  # direct replies to people go before what the bot queued
                async with self._pace(prepared.platform, prepared.external_id):
                    await self.deliverers[prepared.platform].deliver(
                        prepared.external_id, prepared.reply
                    )
        except Exception as failure:  # any failure is recorded, and retried later
            error = failure
        await self._record(prepared, error)

    async def _prepare(self, row_id: int) -> _Prepared | None:
        async with self.sessions() as db:
            row = await db.get_one(OutboxMessage, row_id)
            now = self.clock.now()
            if row.status != OutboxStatus.PENDING:  # claimed again after its lease, and done
                log.warning("outbox message %s was %s already: not sent again", row.id, row.status)
                return None
            if outbox.expired(row, now):
                log.info("outbox message %s (%s) expired before it could be sent", row.id, row.key)
                outbox.give_up(row, "expired before it could be sent", now)
                await db.commit()
                return None
            account = await outbox.recipient_account(db, row.participant_id, self.platforms)
            if await outbox.for_another_worker(db, row, account, self.platforms, now):
                outbox.leave_for_another_worker(row, now)
                await db.commit()
                return None
            if account is None:
                outbox.unreachable(row, "no reachable chat account", now)
                await db.commit()
                return None
            language = await self._language(db, row.participant_id, account)
            try:
                # When it leaves, for texts that tell how long until something (a reminder).
                payload = row.payload | {"sent_at": now.isoformat()}
                if row.kind in self.loaders:
                    payload = await self.loaders[row.kind](db, payload)
                with use_language(language):
                    reply = self.renderers[row.kind](payload)
            except Exception as error:  # a message that cannot be rendered cannot be sent
                log.exception("outbox message %s cannot be rendered", row.id)
                outbox.give_up(row, f"cannot be rendered: {error}"[:500], now)
                await db.commit()
                return None
            await db.commit()
            return _Prepared(row.id, account.platform, account.external_id, account.id, reply)

    async def _record(self, prepared: _Prepared, error: Exception | None) -> None:
        async with self.sessions() as db:
            row = await db.get_one(OutboxMessage, prepared.row_id)
            now = self.clock.now()
            if error is None:
                outbox.delivered(row, prepared.platform, now)
            elif isinstance(error, Unreachable):
                account = await db.get_one(ChatIdentity, prepared.identity_id)
                account.reachable = False
                outbox.unreachable(row, str(error) or "unreachable", now)
            else:
                log.warning("delivering outbox message %s failed: %s", row.id, error)
                outbox.retry_later(row, f"{type(error).__name__}: {error}"[:500], now)
            await db.commit()

    @contextlib.asynccontextmanager
    async def _pace(self, platform: str, external_id: str) -> Any:
        """One message at a time per chat, and `per_chat_interval` between them."""
        chat = (platform, external_id)
        lock = self._chat_locks.setdefault(chat, asyncio.Lock())
        async with lock:
            wait = self._last_sent.get(chat, 0.0) + self.per_chat_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last_sent[chat] = time.monotonic()
        if len(self._last_sent) > 50_000:  # forget chats quiet for longer than the interval
            horizon = time.monotonic() - self.per_chat_interval
            for key in [k for k, at in self._last_sent.items() if at < horizon]:
                self._last_sent.pop(key, None)
                self._chat_locks.pop(key, None)

    async def run(self, stopping: asyncio.Event, interval: float = 1.0) -> None:
        """Deliver until `stopping` is set: `concurrency` senders fed from a small queue that is
        topped up before it runs dry, so that sending never waits for a claim. A failing claim
        is logged, never fatal; at the end, what was claimed is sent (within 10 seconds)."""
        queue: asyncio.Queue[int] = asyncio.Queue()

        async def sender() -> None:
            while True:
                row_id = await queue.get()
                try:
                    await self._deliver(row_id)
                except Exception:
                    log.exception("delivering outbox message %s failed", row_id)
                finally:
                    queue.task_done()

        senders = [asyncio.create_task(sender()) for _ in range(self.concurrency)]
        try:
            while not stopping.is_set():
                if queue.qsize() >= self.concurrency:
                    await asyncio.sleep(0.02)
                    continue
                try:
                    claimed = await self._claim()
                except Exception:
                    log.exception("claiming outbox messages failed")
                    claimed = []
                for row_id in claimed:
                    queue.put_nowait(row_id)
                if not claimed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.join(), 10)
        finally:
            for task in senders:
                task.cancel()
            await asyncio.gather(*senders, return_exceptions=True)
