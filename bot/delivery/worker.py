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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.chat import Reply
from bot.clock import Clock
from bot.db import SessionFactory
from bot.delivery import outbox
from bot.delivery.pacing import background
from bot.models import ChatIdentity, OutboxMessage, OutboxStatus, Participant
from bot.notice import Notices, UndecodableNotice
from bot.platforms import Deliverer
from bot.translation import store as translations
from bot.translation.reading import NotYet, Reader, Translating, reading

log = logging.getLogger(__name__)

# Recording a sent message is tried this many times, waiting 0.1 s, 0.2 s… (up to 10 s) in
# between: about a minute in all, past SQLite's busy timeout or a PostgreSQL failover.
RECORD_TRIES = 10
RECORD_BACKOFF = 0.1


class Unreachable(Exception):
    """The person cannot be reached there (blocked the bot, left the workspace…)."""


class NotNow(Exception):
    """The platform's rule forbids this message to this person for now (WhatsApp outside the
    24-hour window, with no approved template for it): it goes to their other chat app, or is
    held until they write."""


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
        notices: Notices,
        deliverers: Mapping[str, Deliverer],
        *,
        concurrency: int = 16,
        per_chat_interval: float = 1.0,
        batch: int = 64,
        translating: Translating | None = None,
    ) -> None:
        """`translating`: a translation provider is configured, and a message waits at most its
        deadline for the translation of what someone wrote (None: shown as written)."""
        self.sessions = sessions
        self.clock = clock
        self.notices = notices
        self.deliverers = deliverers  # may change: the platforms whose role this process holds
        self.concurrency = concurrency
        self.per_chat_interval = per_chat_interval
        self.batch = batch
        self.translating = translating
        self._chat_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._last_sent: dict[tuple[str, str], float] = {}

    @property
    def platforms(self) -> list[str]:
        return list(self.deliverers)

    async def claim(self) -> list[int]:
        """Take due rows for this worker (leased: another worker takes them back if this one
        stalls past the lease); their ids, to hand to `deliver_one`."""
        async with self.sessions() as db:
            claimed = [row.id for row in await outbox.claim(db, self.clock.now(), self.batch)]
            await db.commit()
        return claimed

    async def deliver_due(self) -> int:
        """One pass: claim, send, record. Returns how many messages were handled."""
        claimed = await self.claim()
        gate = asyncio.Semaphore(self.concurrency)

        async def one(row_id: int) -> None:
            async with gate:
                await self.deliver_one(row_id)

        await asyncio.gather(*(one(row_id) for row_id in claimed))
        return len(claimed)

    async def deliver_one(self, row_id: int) -> None:
        """Prepare, send and record one claimed row."""
        prepared = await self._prepare(row_id)
        if prepared is None:
            return
        error: Exception | None = None
        message_id: str | None = None
        try:
            with background():  # direct replies to people go before what the bot queued
                async with self._pace(prepared.platform, prepared.external_id):
                    message_id = await self.deliverers[prepared.platform].deliver(
                        prepared.external_id, prepared.reply
                    )
        except Exception as failure:  # any failure is recorded, and retried later
            error = failure
        await self._record(prepared, error, message_id)

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
            if not self.deliverers:  # this process just lost its roles (or is stopping)
                outbox.give_back(row, now)
                await db.commit()
                return None
            # A platform holding the row back is passed over when the person has another app.
            passed_over = await outbox.passed_over(db, row)
            account = await outbox.recipient_account(
                db, row.participant_id, [p for p in self.platforms if p not in passed_over]
            )
            served = self.platforms + passed_over
            if await outbox.for_another_worker(db, row, account, served, now):
                outbox.leave_for_another_worker(row, now)
                await db.commit()
                return None
            if account is None:
                outbox.unreachable(row, "no reachable chat account", now)
                await db.commit()
                return None
            language = await outbox.reader_language(db, row.participant_id, account)
            try:
                # As it leaves: a text that tells how long until something counts from now.
                notice = self.notices.decode(row.kind, row.payload).leaving(now)
            except UndecodableNotice as error:  # a row this version cannot read (a bug)
                log.error("outbox message %s cannot be read: %s", row.id, error)
                outbox.give_up(row, f"cannot be read: {error}"[:500], now)
                await db.commit()
                return None
            person = await db.get_one(Participant, row.participant_id)
            if person.lite and not notice.is_urgent(now):  # data saver: in the daily digest
                outbox.hold_for_digest(row, notice.urgent_from(), now)
                await db.commit()
                return None
            reader = await self._reader(db, row.participant_id, language, now)
            try:
                with reading(reader):
                    reply = await self.notices.render(db, notice, language)
            except NotYet:  # its translation is on its way, and there is time to wait for it
                outbox.leave_for_a_moment(row, now)
                await db.commit()
                return None
            except Exception as error:  # a message that cannot be rendered cannot be sent
                log.exception("outbox message %s cannot be rendered", row.id)
                outbox.give_up(row, f"cannot be rendered: {error}"[:500], now)
                await db.commit()
                return None
            if person.lite:  # data saver: charts as text, files on request
                reply = self.notices.files_as_links(reply.light(), row.id)
            await db.commit()
            return _Prepared(row.id, account.platform, account.external_id, account.id, reply)

    async def _record(
        self, prepared: _Prepared, error: Exception | None, message_id: str | None = None
    ) -> None:
        """Record how the sending went. The message has left: if the database is busy or its
        connection drops just now, the record is tried again until it lands (else the row
        would be claimed again after its lease and the message sent twice)."""
        for attempt in range(RECORD_TRIES):
            try:
                await self._record_once(prepared, error, message_id)
                return
            except OperationalError as failure:
                if attempt + 1 == RECORD_TRIES:
                    raise
                log.warning(
                    "recording outbox message %s failed, trying again: %s",
                    prepared.row_id,
                    str(failure).splitlines()[0][:200],
                )
                await asyncio.sleep(min(RECORD_BACKOFF * 2**attempt, 10.0))

    async def _record_once(
        self, prepared: _Prepared, error: Exception | None, message_id: str | None
    ) -> None:
        async with self.sessions() as db:
            row = await db.get_one(OutboxMessage, prepared.row_id)
            now = self.clock.now()
            if error is None:
                outbox.delivered(row, prepared.platform, now, message_id)
            elif isinstance(error, NotNow):
                elsewhere = await outbox.reachable_elsewhere(
                    db, row.participant_id, [prepared.platform]
                )
                outbox.hold(row, prepared.platform, str(error), now, elsewhere=elsewhere)
            elif isinstance(error, Unreachable):
                account = await db.get_one(ChatIdentity, prepared.identity_id)
                account.reachable = False
                outbox.unreachable(row, str(error) or "unreachable", now)
            else:
                log.warning("delivering outbox message %s failed: %s", row.id, error)
                outbox.retry_later(row, f"{type(error).__name__}: {error}"[:500], now)
            await db.commit()
            metrics.recorded(row, prepared.platform, now)

    async def _reader(
        self, db: AsyncSession, participant_id: int, language: str, now: datetime
    ) -> Reader | None:
        """Who reads, for the translation of what people write; None: as written (no provider,
        or the person chose /translate off)."""
        if self.translating is None:
            return None
        if not await translations.wants_translation(db, participant_id):
            return None
        return Reader(language, now, self.translating)

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
                    await self.deliver_one(row_id)
                except OperationalError as error:  # busy or unreachable for a moment: the row
                    # is taken up again when its lease runs out (a sent one is recorded first)
                    log.warning(
                        "outbox message %s: the database did not answer (%s); tried again later",
                        row_id,
                        str(error).splitlines()[0][:200],
                    )
                except Exception:
                    log.exception("delivering outbox message %s failed", row_id)
                finally:
                    queue.task_done()

        senders = [asyncio.create_task(sender()) for _ in range(self.concurrency)]
        try:
            while not stopping.is_set():
                if not self.deliverers:  # another process holds every platform's role
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), interval)
                    continue
                if queue.qsize() >= self.concurrency:
                    await asyncio.sleep(0.02)
                    continue
                try:
                    claimed = await self.claim()
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
