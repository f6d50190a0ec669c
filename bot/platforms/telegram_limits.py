"""How fast coordbot sends to Telegram: per chat, per group and overall, on `Pacer`s."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot import metrics
from bot.delivery.pacing import Pacer
from bot.paid_broadcasts import PAID_RATE

log = logging.getLogger(__name__)

JSON = Any


class PacedRateLimiter(BaseRateLimiter[int]):
    """python-telegram-bot's rate limiter for coordbot: one chat's burst costs only that chat.

    Telegram allows a bot about 30 messages a second overall, one a second in a chat and 20 a
    minute in a group. A message to a chat first waits for its chat's turn (one a second,
    counted from the previous message's answer; a group also within its minute budget), and
    only then for a slot of the bot's overall `Pacer`: a chat that has twenty replies queued
    takes one overall slot a second, and a reply to another chat leaves at once. Turns are
    given in order within a chat, and direct replies to people take the overall slots before
    the bot's own queued messages (`bot.delivery.pacing.background()`).

    A 429 (RetryAfter) does not say which limit was hit. Upstream's AIORateLimiter halts every
    request for retry_after, so one chat over its limit stalls all the others. Our own pacing
    keeps the bot within the overall limit, so a 429 for a message to a chat is first taken to
    concern that chat: that chat waits retry_after (its message keeps its place, first in the
    chat) while the others go on. A second 429 from another chat while the first chat still
    waits means the bot as a whole is over, as does a 429 for a request to no chat: then every
    message waits retry_after, and they leave one slot apart afterwards, never in a burst.
    Requests to no chat (answering a button press, the command menu) are not paced.

    It implements `BaseRateLimiter` itself rather than overriding AIORateLimiter's private
    methods; like upstream it reads RetryAfter's `_retry_after` (a timedelta), since the public
    property warns about int/timedelta in python-telegram-bot 22 (pinned below 23).
    """

    def __init__(
        self,
        pacer: Pacer,
        group_max_rate: float,
        group_time_period: float = 60,
        max_retries: int = 3,
    ) -> None:
        self._pacer = pacer
        self._paid_pacer = Pacer(PAID_RATE)
        self._group_limit = max(0, round(group_max_rate))
        self._group_period = group_time_period
        self._max_retries = max_retries
        self._chats: dict[str | int, tuple[Pacer, Pacer | None]] = {}
        self._chat_paused_until: dict[str | int, float] = {}

    async def initialize(self) -> None:
        """Nothing to prepare."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        max_retries = self._max_retries if rate_limit_args is None else rate_limit_args
        chat = _chat_of(data)
        if chat is None:
            return await self._with_retries(None, endpoint, max_retries, callback, args, kwargs)
        # A paid broadcast's message is paced at Telegram's paid rate, not the free one.
        pacer = self._paid_pacer if data.get("allow_paid_broadcast") else self._pacer
        async with self._chat_turn(chat):  # held through the retries: the message keeps its place
            return await self._with_retries(
                chat, endpoint, max_retries, callback, args, kwargs, pacer
            )

    async def _with_retries(
        self,
        chat: str | int | None,
        endpoint: str,
        max_retries: int,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        pacer: Pacer | None = None,
    ) -> JSON:
        for attempt in range(max_retries + 1):
            try:
                if chat is None:
                    return await callback(*args, **kwargs)
                async with (pacer or self._pacer).turn():
                    return await callback(*args, **kwargs)
            except RetryAfter as error:
                metrics.RATE_LIMITED.labels("telegram").inc()
                if attempt == max_retries:
                    log.error("Telegram: %s still refused after %d retries", endpoint, attempt)
                    raise
                wait = error._retry_after.total_seconds() + 0.1
                log.info("Telegram: %s refused with retry_after %.1f s", endpoint, wait)
                self._attribute(chat, wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attribute(self, chat: str | int | None, wait: float) -> None:
        """A 429 concerns its chat (which waits, holding its turn), unless another chat is
        waiting out one too, or it concerns no chat: then every message waits."""
        now = asyncio.get_running_loop().time()
        others = any(
            until > now for other, until in self._chat_paused_until.items() if other != chat
        )
        if chat is None or others:
            self._pacer.pause(wait)
        if chat is not None:
            self._chat_paused_until[chat] = now + wait

    @contextlib.asynccontextmanager
    async def _chat_turn(self, chat: str | int) -> AsyncIterator[None]:
        """The chat's turn: one message a second; in a group, also its minute budget."""
        each_second, each_minute = self._lanes(chat)
        async with each_second.turn(urgent=True):
            if each_minute is None:
                yield
                return
            async with each_minute.turn(urgent=True):
                yield

    def _lanes(self, chat: str | int) -> tuple[Pacer, Pacer | None]:
        lanes = self._chats.get(chat)
        if lanes is None:
            if len(self._chats) > 1024:
                self._forget_quiet_chats()
            group = isinstance(chat, str) or chat < 0
            each_minute = (
                Pacer(self._group_limit, self._group_period, spacing=0)
                if group and self._group_limit
                else None
            )
            lanes = self._chats[chat] = (Pacer(1, 1.0), each_minute)
        return lanes

    def _forget_quiet_chats(self) -> None:
        now = asyncio.get_running_loop().time()
        for chat, (each_second, each_minute) in list(self._chats.items()):
            if each_second.idle() and (each_minute is None or each_minute.idle()):
                del self._chats[chat]
        for chat, until in list(self._chat_paused_until.items()):
            if until <= now:
                del self._chat_paused_until[chat]


def _chat_of(data: dict[str, Any]) -> str | int | None:
    """The chat a request sends to (a group's id is negative, a channel's may be @name)."""
    chat = data.get("chat_id")
    if chat is None:
        return None
    with contextlib.suppress(ValueError, TypeError):
        return int(chat)
    return str(chat)
