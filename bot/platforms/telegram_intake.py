"""How Telegram updates come in: long polling (or the webhook's bodies) into the durable inbox,
then out of it to per-chat queues.

Telegram confirms an update once `getUpdates` is called with an offset above its id, and then
never sends it again. Here an update is stored in the database before that offset leaves, so
a crash (even kill -9) loses nothing: at the next start the inbox gives back every update not
yet handled, and every reply not yet sent (see bot.inbox). python-telegram-bot only parses an
update when it is handled: one it cannot read is logged and skipped, and polling goes on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import aiohttp

from bot import inbox
from bot.db import SessionFactory
from bot.inbox import ChatQueues, QuietLog, Stored
from bot.platforms.telegram_settings import PLATFORM, TelegramSettings

MAX_UPDATE_ID = 2**63 - 1
log = logging.getLogger(__name__)


def update_from_body(body: bytes) -> dict[str, Any] | None:
    """A webhook body as an update, or None when it is none: not UTF-8, not JSON, too deeply
    nested, not an object, or without an integer `update_id`."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return data if is_update(data) else None


def is_update(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    update_id = data.get("update_id")
    return type(update_id) is int and 0 <= update_id <= MAX_UPDATE_ID


def chat_key(update: dict[str, Any]) -> str:
    """Which chat an update belongs to, read from the raw update (it may be one that
    python-telegram-bot cannot parse): its updates are handled one after the other."""
    for kind, content in update.items():
        if kind == "update_id" or not isinstance(content, dict):
            continue
        for holder in (content, content.get("message")):
            chat = holder.get("chat") if isinstance(holder, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return f"chat:{chat['id']}"
        sender = content.get("from") or content.get("user")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return f"chat:{sender['id']}"
    return f"update:{update.get('update_id')}"


class TelegramIntake:
    """Stores updates, then hands them to `process`, per chat (see bot.inbox.ChatQueues)."""

    def __init__(
        self,
        settings: TelegramSettings,
        sessions: SessionFactory,
        process: Callable[[Stored], Awaitable[None]],
        *,
        allowed_updates: Sequence[str] = (),
        concurrency: int = 16,
        limit: int = 1000,
        per_chat: int = 20,
        poll_timeout: int = 10,
        sweep_every: float = 30.0,
        watch_every: float = 0.25,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self._process = process
        self._queue_sizes = (concurrency, limit, per_chat)
        self.queues = self._new_queues()
        self.limit = limit
        self.watch_every = watch_every
        self._finished: deque[str] = deque(maxlen=10_000)  # lately, by this process
        self._finished_ids: set[str] = set()
        self.poll_timeout = poll_timeout
        self.sweep_every = sweep_every
        self.allowed_updates = list(allowed_updates)  # empty: Telegram's default kinds
        self.max_backoff = 5.0  # seconds between tries of a poll that keeps failing
        self._tasks: list[asyncio.Task[None]] = []
        self.quiet = QuietLog(log)  # per adapter: each process logs a problem once

    @property
    def holding(self) -> bool:
        """Whether this process holds the bot's Telegram role: it polls (or reads what every
        process's webhook stored), handles and replies. The others only store webhook
        updates."""
        return bool(self._tasks)

    async def start(self, *, polling: bool) -> None:
        """One process alone: it holds the role from the start."""
        await self.take_role(polling=polling)

    async def stop(self) -> None:
        await self.leave_role()

    async def take_role(self, *, polling: bool) -> None:
        """Handle the bot's updates from now on: what was stored and not finished (by a run or
        a process that died) first, then what comes, by polling or from the inbox."""
        await self._refill()
        self.queues.start()
        self._tasks.append(asyncio.create_task(self._sweep()))
        if polling:
            self._tasks.append(asyncio.create_task(self._poll()))
        else:  # other processes' webhooks store updates too: read them from the inbox
            self._tasks.append(asyncio.create_task(self._watch()))

    async def leave_role(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.queues.stop()
        self.queues = self._new_queues()  # ready to take the role again

    def _new_queues(self) -> ChatQueues:
        concurrency, limit, per_chat = self._queue_sizes
        return ChatQueues(
            self._process_once,
            load=self._load,
            concurrency=concurrency,
            limit=limit,
            per_chat=per_chat,
        )

    async def _process_once(self, stored: Stored) -> None:
        await self._process(stored)
        if len(self._finished) == self._finished.maxlen:
            self._finished_ids.discard(self._finished[0])
        self._finished.append(stored.delivery_id)
        self._finished_ids.add(stored.delivery_id)

    async def receive(self, updates: Sequence[tuple[dict[str, Any], str]]) -> None:
        """Store updates (each with its JSON text), then queue those that are new. Raises when
        they could not be stored: the caller must not confirm them then."""
        new = set(
            await inbox.store(
                self.sessions, PLATFORM, [(str(u["update_id"]), text) for u, text in updates]
            )
        )
        if not self.holding:
            return  # the process holding the role reads it from the inbox
        for update, _text in sorted(updates, key=lambda pair: int(pair[0]["update_id"])):
            if str(update["update_id"]) in new and len(self.queues.queued) < self.limit:
                self.queues.put(chat_key(update), Stored(str(update["update_id"]), update))
            # else: beyond the limit, it waits in the database for the sweep

    async def _load(self, delivery_ids: list[str]) -> list[Stored]:
        return await inbox.pending(
            self.sessions, PLATFORM, limit=len(delivery_ids), only=delivery_ids
        )

    async def _refill(self, older_than: timedelta | None = None) -> None:
        room = self.limit - len(self.queues.queued)
        if room <= 0:
            return
        for stored in await inbox.pending(
            self.sessions,
            PLATFORM,
            limit=room,
            older_than=older_than,
            skip=self.queues.queued | self.queues.held_back,
        ):
            # Read before this process finished it (the query raced the handling): done.
            if stored.delivery_id not in self._finished_ids:
                self.queues.put(chat_key(stored.payload), stored)

    async def _sweep(self) -> None:
        """Updates left behind (by a process that died, or beyond the queues' limit) are taken
        up after a while."""
        while True:
            await asyncio.sleep(self.sweep_every)
            try:
                await self._refill(older_than=timedelta(seconds=self.sweep_every))
            except Exception as error:
                self.quiet.log(logging.WARNING, "sweep", "Telegram: inbox sweep failed: %r", error)

    async def _watch(self) -> None:
        """Webhook mode: any process behind the load balancer stores an update; the one
        holding the role notices it here, within `watch_every`."""
        while True:
            await asyncio.sleep(self.watch_every)
            await self.queues.room.wait()
            try:
                await self._refill()
            except Exception as error:
                self.quiet.log(logging.WARNING, "watch", "Telegram: inbox read failed: %r", error)

    async def _poll(self) -> None:
        """Long polling, with the offset of the last update stored (not merely fetched)."""
        url = f"{self.settings.api_url}/bot{self.settings.token}/getUpdates"
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=10, sock_read=self.poll_timeout + 15
        )
        offset: int | None = None
        failures = 0
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                await self.queues.room.wait()  # a backlog is left with Telegram, not in memory
                params: dict[str, Any] = {
                    "timeout": self.poll_timeout,
                    # No more than the queues have room for: the rest would wait for the sweep.
                    "limit": max(1, min(100, self.limit - len(self.queues.queued))),
                    "allowed_updates": self.allowed_updates,
                }
                if offset is not None:
                    params["offset"] = offset
                fetched = await self._get_updates(http, url, params)
                if fetched is None:
                    failures += 1
                    await asyncio.sleep(min(self.max_backoff, 0.25 * 2**failures))
                    continue
                updates = [u for u in fetched if is_update(u)]
                if len(updates) < len(fetched):
                    self.quiet.log(
                        logging.WARNING, "no-id", "Telegram: skipped an update without id"
                    )
                if not updates:
                    if fetched:  # only broken ones: their offset cannot be confirmed
                        await asyncio.sleep(1)
                    continue
                try:
                    await self.receive([(u, json.dumps(u, ensure_ascii=False)) for u in updates])
                except Exception as error:
                    self.quiet.log(
                        logging.ERROR,
                        "store",
                        "Telegram: could not store updates (%r); they stay with Telegram",
                        error,
                    )
                    failures += 1
                    await asyncio.sleep(min(self.max_backoff, 0.25 * 2**failures))
                    continue
                failures = 0
                offset = max(int(u["update_id"]) for u in updates) + 1

    async def _get_updates(
        self, http: aiohttp.ClientSession, url: str, params: dict[str, Any]
    ) -> list[Any] | None:
        """The raw updates, or None after a failure (logged, at most once a minute per kind)."""
        try:
            async with http.post(url, json=params) as response:
                status = response.status
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            # The URL holds the token: only the kind of error is logged.
            self.quiet.log(
                logging.WARNING,
                "network",
                "Telegram: polling failed (%s), retrying",
                type(error).__name__,
            )
            return None
        if isinstance(body, dict) and body.get("ok") is True:
            result = body.get("result")
            return result if isinstance(result, list) else []
        description = str(body.get("description", "")) if isinstance(body, dict) else ""
        description = description.replace(self.settings.token, "[secret]")[:200]
        if status == 409:
            self.quiet.log(
                logging.WARNING,
                "conflict",
                "Telegram: %s — another process polls this bot; retrying until it stops "
                "(run one polling process per bot)",
                description or "Conflict",
            )
        elif status == 429 and isinstance(body, dict):
            retry = (body.get("parameters") or {}).get("retry_after")
            self.quiet.log(logging.WARNING, "flood", "Telegram: polling too fast (%s)", description)
            if isinstance(retry, int) and 0 < retry <= 300:
                await asyncio.sleep(retry)
        elif status in (401, 404):
            self.quiet.log(logging.ERROR, "token", "Telegram refused the bot token while polling")
        else:
            self.quiet.log(
                logging.WARNING,
                f"http-{status}",
                "Telegram: polling failed (HTTP %s: %s), retrying",
                status,
                description,
            )
        return None
