"""The durable inbox: updates stored before they are confirmed, handled once, answered at least
once; and the per-chat queues that handle them (in order within a chat, chats side by side).

Rows live in `processed_deliveries` (see `bot.models.deliveries`); `bot.dispatcher.Dispatcher`
claims a stored row in the handler's transaction and keeps its replies there
(`keep_replies=True`), so a crash after the commit loses no answer.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat import Choice, Document, Field, Form, Image, Reply
from bot.db import SessionFactory, insert_once
from bot.models import ProcessedDelivery

log = logging.getLogger(__name__)


# The table of the updates, for the statements that run for every update: written through the
# table, not the class, or the ORM would look for the rows among the session's objects each time.
DELIVERIES = cast(Table, ProcessedDelivery.__table__)


def real_now() -> datetime:
    """Inbox rows are stamped with real time, also in a rehearsal (`coordbot run --at`): they
    are about the platform's redelivery window, which runs on real time."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Stored:
    """An update of the inbox to process: handle it (`replies` None), or send its replies."""

    delivery_id: str
    payload: dict[str, Any]
    replies: list[Reply] | None = None


async def store(
    sessions: SessionFactory, platform: str, updates: Sequence[tuple[str, str]]
) -> list[str]:
    """Store raw updates (delivery id, JSON text) in one statement; returns the ids that were
    new (an update the platform sends again is stored once, also by two processes at once:
    ON CONFLICT DO NOTHING leaves the row of whoever stored it first)."""
    rows: dict[str, str] = {}
    for delivery_id, payload in updates:
        rows.setdefault(delivery_id, payload)
    if not rows:
        return []
    now = real_now()
    async with sessions() as db:
        insert = insert_once(db, ProcessedDelivery)
        stored = await db.execute(
            insert.values(
                [
                    {
                        "platform": platform,
                        "delivery_id": delivery_id,
                        "received_at": now,
                        "payload": payload,
                    }
                    for delivery_id, payload in rows.items()
                ]
            )
            .on_conflict_do_nothing(index_elements=["platform", "delivery_id"])
            .returning(ProcessedDelivery.delivery_id)
        )
        new = set(stored.scalars())
        await db.commit()
    return [delivery_id for delivery_id in rows if delivery_id in new]


async def pending(
    sessions: SessionFactory,
    platform: str,
    *,
    limit: int,
    older_than: timedelta | None = None,
    skip: Iterable[str] = (),
    only: Sequence[str] | None = None,
) -> list[Stored]:
    """The updates stored but not yet handled, or handled but not yet answered, oldest first
    (`only`: among these delivery ids)."""
    query = select(ProcessedDelivery).where(
        ProcessedDelivery.platform == platform,
        (ProcessedDelivery.handled_at.is_(None)) | (ProcessedDelivery.replies.is_not(None)),
    )
    if only is not None:
        query = query.where(ProcessedDelivery.delivery_id.in_(only))
    if older_than is not None:
        query = query.where(ProcessedDelivery.received_at < real_now() - older_than)
    skipped = set(skip)
    if skipped:
        query = query.where(ProcessedDelivery.delivery_id.not_in(skipped))
    async with sessions() as db:
        rows = (
            (await db.execute(query.order_by(ProcessedDelivery.received_at).limit(limit)))
            .scalars()
            .all()
        )
    found = []
    for row in rows:
        try:
            payload = json.loads(row.payload or "{}")
        except ValueError:
            payload = {}
        replies = decode_replies(row.replies) if row.handled_at is not None else None
        found.append(Stored(row.delivery_id, payload, replies))
    return sorted(found, key=lambda stored: _order(stored.delivery_id))


def _order(delivery_id: str) -> tuple[int, str]:
    return (int(delivery_id), "") if delivery_id.isascii() and delivery_id.isdigit() else (0, "")


async def keep_replies(
    db: AsyncSession, platform: str, delivery_id: str, replies: Sequence[Reply]
) -> None:
    """In the handler's transaction: the replies to send, kept until `finish`."""
    await db.execute(
        _KEEP_REPLIES,
        {
            "platform_": platform,
            "delivery_id_": delivery_id,
            "kept": encode_replies(replies) if replies else None,
        },
    )


# Built once, as it runs for every update: SQLAlchemy reuses its compiled form.
_KEEP_REPLIES = (
    update(DELIVERIES)
    .where(
        DELIVERIES.c.platform == bindparam("platform_"),
        DELIVERIES.c.delivery_id == bindparam("delivery_id_"),
    )
    .values(replies=bindparam("kept", type_=DELIVERIES.c.replies.type))
)


async def finish(sessions: SessionFactory, platform: str, delivery_id: str) -> None:
    """The update is handled (or skipped) and its replies are sent: forget its content."""
    await finish_all(sessions, platform, [delivery_id])


async def finish_all(sessions: SessionFactory, platform: str, delivery_ids: Sequence[str]) -> None:
    """`finish` for several updates, in one statement."""
    async with sessions() as db:
        await db.execute(
            _FINISH, {"platform_": platform, "delivery_ids": list(delivery_ids), "at": real_now()}
        )
        await db.commit()


_FINISH = (
    update(DELIVERIES)
    .where(
        DELIVERIES.c.platform == bindparam("platform_"),
        DELIVERIES.c.delivery_id.in_(bindparam("delivery_ids", expanding=True)),
    )
    .values(
        handled_at=func.coalesce(
            DELIVERIES.c.handled_at, bindparam("at", type_=DELIVERIES.c.handled_at.type)
        ),
        payload=None,
        replies=None,
    )
)


class Finishing:
    """`finish`, with the updates finished meanwhile written together (group commit): at a
    hundred updates a second, one transaction for several instead of one each. `finish`
    returns once its update's record is written, as `inbox.finish` does, so nothing changes
    for the caller but the cost."""

    def __init__(self, sessions: SessionFactory, platform: str, most: int = 200) -> None:
        self._sessions = sessions
        self._platform = platform
        self._most = most
        self._waiting: list[tuple[str, asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def finish(self, delivery_id: str) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery_id, done))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        """While one batch is written, the next gathers; each is written as soon as the one
        before is."""
        batch: list[tuple[str, asyncio.Future[None]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
                try:
                    await finish_all(self._sessions, self._platform, [id_ for id_, _ in batch])
                except Exception as error:
                    _settle(batch, error)
                else:
                    _settle(batch, None)
        except asyncio.CancelledError:  # the process stops: nobody waits forever
            _settle(batch + self._waiting, Cancelled())
            self._waiting = []
            raise


def _settle(batch: list[tuple[str, asyncio.Future[None]]], error: Exception | None) -> None:
    for _id, done in batch:
        if done.done():
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


class Cancelled(Exception):
    """The batch an update's record was to be written in was cancelled (the process stops)."""


# Replies as JSON: text, buttons, forms, and the bytes of pictures and documents in base64.


def encode_replies(replies: Sequence[Reply]) -> str:
    return json.dumps([_reply_to_json(reply) for reply in replies], ensure_ascii=False)


def decode_replies(text: str | None) -> list[Reply]:
    if not text:
        return []
    return [_reply_from_json(item) for item in json.loads(text)]


def _choices_to_json(rows: Iterable[Iterable[Choice]]) -> list[list[list[Any]]]:
    return [[[c.label, c.data, c.open_private] for c in row] for row in rows]


def _choices_from_json(rows: list[list[list[Any]]]) -> tuple[tuple[Choice, ...], ...]:
    return tuple(tuple(Choice(str(t), str(d), bool(p)) for t, d, p in row) for row in rows)


def _bytes(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _reply_to_json(reply: Reply) -> dict[str, Any]:
    form = reply.form
    return {
        "text": reply.text,
        "choices": _choices_to_json(reply.choices),
        "edit": reply.edit,
        "form": None
        if form is None
        else {
            "id": form.id,
            "title": form.title,
            "submit": form.submit,
            "fields": [
                {
                    "name": f.name,
                    "label": f.label,
                    "kind": f.kind,
                    "optional": f.optional,
                    "options": _choices_to_json([f.options])[0],
                    "hint": f.hint,
                }
                for f in form.fields
            ],
        },
        "images": [[_bytes(i.png), i.caption, i.name, i.text] for i in reply.images],
        "documents": [[_bytes(d.data), d.name, d.caption] for d in reply.documents],
    }


def _reply_from_json(item: dict[str, Any]) -> Reply:
    form = item.get("form")
    return Reply(
        item["text"],
        choices=_choices_from_json(item["choices"]),
        edit=bool(item["edit"]),
        form=None
        if form is None
        else Form(
            form["id"],
            form["title"],
            form["submit"],
            tuple(
                Field(
                    f["name"],
                    f["label"],
                    f["kind"],
                    f["optional"],
                    _choices_from_json([f["options"]])[0],
                    f["hint"],
                )
                for f in form["fields"]
            ),
        ),
        images=tuple(  # the text alternative: stored since the data saver (issue 22)
            Image(base64.b64decode(i[0]), i[1], i[2], i[3] if len(i) > 3 else "")
            for i in item["images"]
        ),
        documents=tuple(Document(base64.b64decode(d), n, c) for d, n, c in item["documents"]),
    )


class ChatQueues:
    """Jobs handled in order within a chat and side by side across chats, by at most
    `concurrency` workers taking chats in turn (one job, then the next chat that waits), so a
    chat's burst costs only that chat. `room` is set while fewer than `limit` jobs wait.

    A chat's budget: at most `per_chat` of its jobs are held in memory. The rest stay stored
    (`load` reads them back by id, in order, as the chat's queue drains), so one person sending
    thousands of messages neither fills memory nor the room that everyone else's messages need.
    """

    def __init__(
        self,
        work: Callable[[Stored], Awaitable[None]],
        *,
        load: Callable[[list[str]], Awaitable[list[Stored]]] | None = None,
        concurrency: int = 16,
        limit: int = 1000,
        per_chat: int = 20,
        held_back_limit: int = 5000,
    ) -> None:
        self._work = work
        self._load = load
        self._concurrency = concurrency
        self._limit = limit
        self._per_chat = per_chat if load is not None else limit
        self._held_back_limit = held_back_limit
        self._queues: dict[str, deque[Stored]] = {}
        self._held_back: dict[str, deque[str]] = {}  # per chat: stored jobs' ids, in order
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._running: set[asyncio.Future[None]] = set()
        self.queued: set[str] = set()  # delivery ids waiting or in hand
        self.held_back: set[str] = set()  # delivery ids over their chat's budget, still stored
        self.room = asyncio.Event()
        self.room.set()
        self.idle = asyncio.Event()
        self.idle.set()
        self._quiet = QuietLog(log)

    def start(self) -> None:
        self._workers = [asyncio.create_task(self._worker()) for _ in range(self._concurrency)]

    async def stop(self, grace: float = 10.0) -> None:
        """No job is taken any more; those in hand get `grace` seconds to end."""
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        if self._running:
            await asyncio.wait(self._running, timeout=grace)
        for job in self._running:
            job.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    def put(self, chat: str, job: Stored) -> None:
        if job.delivery_id in self.queued or job.delivery_id in self.held_back:
            return
        queue = self._queues.get(chat)
        if self._held_back.get(chat) or (queue is not None and len(queue) >= self._per_chat):
            self._hold_back(chat, job.delivery_id)
            return
        self.queued.add(job.delivery_id)
        self._changed()
        if queue is not None:
            queue.append(job)  # the chat is already waiting for a worker, or has one
            return
        self._queues[chat] = deque([job])
        self._ready.put_nowait(chat)

    def _hold_back(self, chat: str, delivery_id: str) -> None:
        """Over the chat's budget: read back later. Past `held_back_limit` ids, not even the id
        is kept; the stored job waits for the next sweep of what was left behind."""
        if len(self.held_back) >= self._held_back_limit:
            return
        self._held_back.setdefault(chat, deque()).append(delivery_id)
        self.held_back.add(delivery_id)

    async def _top_up(self, chat: str, queue: deque[Stored]) -> None:
        """Bring a chat's held-back jobs into its queue, oldest first. Their ids leave the
        held-back list only once read, so that a job arriving meanwhile queues behind them."""
        held = self._held_back.get(chat)
        room = self._per_chat - len(queue)
        if not held or room <= 0 or self._load is None:
            return
        ids = [held[index] for index in range(min(room, len(held)))]
        try:
            loaded = {job.delivery_id: job for job in await self._load(ids)}
        except Exception as error:  # stays stored: the sweep brings it back
            self._quiet.log(logging.WARNING, "load", "held-back updates not read: %r", error)
            loaded = {}
        for delivery_id in ids:
            held.popleft()
            self.held_back.discard(delivery_id)
            job = loaded.get(delivery_id)
            if job is not None:
                self.queued.add(delivery_id)
                queue.append(job)
        if not held:
            del self._held_back[chat]

    def _changed(self) -> None:
        if len(self.queued) >= self._limit:
            self.room.clear()
        else:
            self.room.set()
        if self.queued:
            self.idle.clear()
        else:
            self.idle.set()

    async def _worker(self) -> None:
        while True:
            chat = await self._ready.get()
            queue = self._queues[chat]
            job = queue[0]
            running = asyncio.ensure_future(self._work(job))
            self._running.add(running)
            running.add_done_callback(self._running.discard)
            try:
                await asyncio.shield(running)  # a stop lets it end (see stop)
            except Exception as error:
                self._quiet.log(
                    logging.ERROR,
                    f"work:{type(error).__name__}",
                    "an update could not be processed: %r",
                    error,
                )
            finally:
                queue.popleft()
                self.queued.discard(job.delivery_id)
            await self._top_up(chat, queue)
            self._changed()
            if queue:
                self._ready.put_nowait(chat)  # its next job, after the chats that wait
            else:
                del self._queues[chat]


class QuietLog:
    """Logs a recurring problem once, then at most once a `period` with how many times it came
    back meanwhile: a loop that fails the same way forever writes a line a minute, not gigabytes.
    """

    def __init__(self, logger: logging.Logger, period: float = 60.0) -> None:
        self._log = logger
        self._period = period
        self._last: dict[str, tuple[float, int]] = {}

    def log(self, level: int, key: str, message: str, *args: object) -> None:
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last[0] < self._period:
            self._last[key] = (last[0], last[1] + 1)
            return
        if last is not None and last[1]:
            message += f" (and {last[1]} more like it since)"
        self._last[key] = (now, 0)
        while len(self._last) > 256:
            del self._last[next(iter(self._last))]
        self._log.log(level, message, *args)

    def clear(self, key: str) -> None:
        self._last.pop(key, None)
