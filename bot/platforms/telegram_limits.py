"""How fast coordbot sends to Telegram: python-telegram-bot's limiter, paced by our `Pacer`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

from bot.pacing import Pacer


class PacedRateLimiter(AIORateLimiter):
    """python-telegram-bot's limiter, with messages to chats leaving on a `Pacer`'s slots.

    Upstream paces with a leaky bucket and takes a request's turn before it waits out a
    pending retry_after; when the wait ends, every request that took its turn meanwhile leaves
    at once, and that burst draws the next 429. Here a request waits out any retry_after,
    takes a slot, and takes another if a 429 came while it waited for that one. (Overrides a
    private method: python-telegram-bot is pinned below 23, and tests/test_telegram.py covers
    the 429 path.)
    """

    def __init__(self, pacer: Pacer, group_max_rate: float, group_time_period: float) -> None:
        super().__init__(
            overall_max_rate=0,  # no upstream overall limiter: the pacer is ours
            group_max_rate=group_max_rate,
            group_time_period=group_time_period,
            max_retries=3,
        )
        self._pacer = pacer

    async def _run_request(
        self,
        chat: bool,
        group: str | int | bool,
        allow_paid_broadcast: bool,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> Any:
        if not chat or allow_paid_broadcast:
            return await super()._run_request(
                chat, group, allow_paid_broadcast, callback, args, kwargs
            )
        in_group = (
            self._get_group_limiter(group)
            if group and self._group_max_rate
            else contextlib.nullcontext()
        )
        async with in_group:
            while True:
                await self._retry_after_event.wait()
                async with self._pacer.turn():
                    if self._retry_after_event.is_set():
                        return await callback(*args, **kwargs)
