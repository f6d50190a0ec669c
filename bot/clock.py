"""The one source of the current time: real, or simulated for demos and tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """Starts at a chosen instant; then either stands still or runs at real speed.

    A standing clock moves only by `advance()`, which is what tests want; a running one is what a
    demo wants ("it is the meeting's first morning, and time goes on").
    """

    def __init__(self, start: datetime, *, running: bool = False) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs a timezone-aware start")
        self._start = start.astimezone(UTC)
        self._running = running
        self._origin = time.monotonic()

    def now(self) -> datetime:
        if not self._running:
            return self._start
        return self._start + timedelta(seconds=time.monotonic() - self._origin)

    def advance(self, delta: timedelta) -> None:
        self._start += delta

    def set(self, instant: datetime) -> None:
        self._start = instant.astimezone(UTC)
        self._origin = time.monotonic()
