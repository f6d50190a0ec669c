"""The clock: a simulated one stands still or runs, and never hands out a naive time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import SimulatedClock, SystemClock
from tests.support.waiting import eventually


def test_a_standing_clock_moves_only_when_told() -> None:
    start = datetime(2017, 12, 2, 8, 10, tzinfo=ZoneInfo("America/Mexico_City"))
    clock = SimulatedClock(start)
    assert clock.now() == start and clock.now().tzinfo == UTC
    clock.advance(timedelta(minutes=20))
    assert clock.now() == start + timedelta(minutes=20)


async def test_a_running_clock_goes_on_from_its_start() -> None:
    start = datetime(2017, 12, 2, 14, 10, tzinfo=UTC)
    clock = SimulatedClock(start, running=True)
    await eventually(lambda: clock.now() > start, within=5, what="the clock moving on")
    assert start < clock.now() < start + timedelta(seconds=5)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        SimulatedClock(datetime(2017, 12, 2, 8, 10))
    assert SystemClock().now().tzinfo == UTC
