"""Sending at a platform's limit without ever exceeding it as the platform counts."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator


class Pacer:
    """At most `limit` messages in any `window` seconds as the server counts them, spread evenly.

    A message counts from the moment it leaves until `window` seconds after its answer came
    back: the server saw it arrive at some time in between, so however late the network or a
    busy event loop delivers a message, no window at the server holds more than `limit`
    (counting departures instead left a few 429s in every thousand messages, each halting all
    sending for its retry_after). The price is the round trip: `limit / (window + rtt)` a
    second at the most.

    Within that, callers take fixed slots `window / limit` apart, reserved when they ask, so a
    caller woken a little late does not push back the slots after it.
    """

    def __init__(self, limit: int, window: float = 1.0) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("the limit and the window must be positive")
        self.limit = limit
        self.window = window
        self.interval = window / limit
        self._next_slot = 0.0
        self._in_flight = 0
        self._answered: deque[float] = deque()  # when the answers in the last window came
        self._an_answer = asyncio.Event()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a slot and for room in the window; send within the block."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)
        while (wait := self._wait_for_room(loop.time())) is not None:
            if wait > 0:
                await asyncio.sleep(wait)
            else:  # every counted message is still in flight: wait for an answer
                self._an_answer.clear()
                await self._an_answer.wait()
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._answered.append(loop.time())
            self._an_answer.set()

    def _wait_for_room(self, now: float) -> float | None:
        """None when a message may leave now, else how long until one may (0: an answer)."""
        while self._answered and self._answered[0] <= now - self.window:
            self._answered.popleft()
        if self._in_flight + len(self._answered) < self.limit:
            return None
        return self._answered[0] + self.window - now if self._answered else 0.0
