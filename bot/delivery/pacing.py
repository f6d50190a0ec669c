"""Sending at a platform's limit without ever exceeding it as the platform counts."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar

_background: ContextVar[bool] = ContextVar("coordbot_background_sending", default=False)


@contextlib.contextmanager
def background() -> Iterator[None]:
    """What is sent within (and in tasks created within) is the bot's own queued messages
    (the outbox): it waits behind direct replies to people for its turn."""
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def in_background() -> bool:
    return _background.get()


def _now() -> float:
    """The time now, read afresh: an event loop's own clock may be read once an iteration
    (uvloop's is), and an answer stamped a little early would let one message too many into
    the server's second."""
    return time.monotonic()


class Pacer:
    """At most `limit` messages in any `window` seconds as the server counts them, spread evenly.

    A message counts from the moment it leaves until `window` seconds after its answer came
    back: the server saw it arrive at some time in between, so however late the network or a
    busy event loop delivers a message, no window at the server holds more than `limit`
    (counting departures instead left a few 429s in every thousand messages, each halting all
    sending for its retry_after). The price is the round trip: `limit / (window + rtt)` a
    second at the most.

    Within that, turns are given on fixed slots `spacing` apart (`window / limit` unless
    given), kept on their grid when the event loop runs a little late. Waiters are served in
    order, urgent ones (direct replies to people) before the others (the bot's own queued
    messages, `background()`): a reply waits at most for one slot, never behind a broadcast.
    `pause()` moves the next slot later (a 429's retry_after); the waiters then leave one
    slot apart, never in a burst.
    """

    def __init__(self, limit: int, window: float = 1.0, spacing: float | None = None) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("the limit and the window must be positive")
        self.limit = limit
        self.window = window
        self.interval = window / limit if spacing is None else spacing
        self._next_slot = 0.0
        self._in_flight = 0
        self._answered: deque[float] = deque()  # when the answers in the last window came
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._queued: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    @contextlib.asynccontextmanager
    async def turn(self, urgent: bool | None = None) -> AsyncIterator[None]:
        """Wait for a slot and for room in the window; send within the block. Urgent unless
        said otherwise or sent in `background()`."""
        if urgent is None:
            urgent = not in_background()
        loop = asyncio.get_running_loop()
        granted: asyncio.Future[None] = loop.create_future()
        (self._urgent if urgent else self._queued).append(granted)
        self._schedule()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():  # given a turn, then cancelled
                self._in_flight -= 1
            else:
                with contextlib.suppress(ValueError):
                    (self._urgent if urgent else self._queued).remove(granted)
            self._schedule()
            raise
        try:
            yield
        finally:
            self._in_flight -= 1
            self._answered.append(_now())
            self._schedule()

    def pause(self, seconds: float) -> None:
        """No turn is given for `seconds` from now (a message in flight is not called back)."""
        self._next_slot = max(self._next_slot, _now() + seconds)
        self._schedule()

    def idle(self) -> bool:
        """Nobody waits, nothing is in flight, nothing counts any more (it may be forgotten)."""
        now = _now()
        self._forget_answers(now)
        return (
            not self._urgent
            and not self._queued
            and not self._in_flight
            and not self._answered
            and self._next_slot <= now
        )

    def _schedule(self) -> None:
        """Give the next turn if it is due, else arrange to be called when it may be."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for waiting in (self._urgent, self._queued):
            while waiting and waiting[0].done():  # cancelled while waiting
                waiting.popleft()
        waiting = self._urgent or self._queued
        if not waiting:
            return
        now = _now()
        self._forget_answers(now)
        if self._in_flight + len(self._answered) >= self.limit:
            if not self._answered:
                return  # every counted message is still in flight: an answer calls again
            at = max(self._next_slot, self._answered[0] + self.window)
        else:
            at = self._next_slot
        if at > now:
            self._timer = asyncio.get_running_loop().call_later(at - now, self._schedule)
            return
        # On time or a little late: the slots after keep their grid; after a quiet spell the
        # grid starts again from now.
        slot = self._next_slot if now - self._next_slot < self.interval else now
        self._next_slot = slot + self.interval
        self._in_flight += 1
        waiting.popleft().set_result(None)
        if self.interval <= 0:
            self._schedule()

    def _forget_answers(self, now: float) -> None:
        while self._answered and self._answered[0] <= now - self.window:
            self._answered.popleft()
