"""Waiting for something a test cannot be told about.

Prefer waiting on the event itself: a fake's `wait_for`/`messages` (it records under a
condition), an `asyncio.Event` or `Barrier`, a line in a process's log. `eventually` is for the
rest: a state that no fake announces (a mailbox's \\Seen flags, a counter, a log record,
a port that starts listening). It checks again every few milliseconds and fails with `what`
after `within` seconds; it never waits once the condition holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Callable

import pytest

# Short enough not to slow a test down, long enough not to spin the two cores of CI.
_POLL_SECONDS = 0.02


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], within: float = 10, what: str = ""
) -> None:
    """Returns as soon as `condition()` holds; `condition` may be a coroutine function."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {within} s: {what or condition}")
        await asyncio.sleep(_POLL_SECONDS)


async def logged(caplog: pytest.LogCaptureFixture, text: str, within: float = 10) -> None:
    """Returns once a log record contains `text`: the bot's own account that it did something
    (or chose not to: "seen before: skipped"), the one event a test can wait for there."""
    await eventually(
        lambda: any(text in record.getMessage() for record in caplog.records),
        within,
        what=f"logged: {text}",
    )


async def listening(port: int, within: float = 30) -> None:
    """Returns once something accepts TCP connections on 127.0.0.1:`port` (a bot process that
    is starting its SMTP receiver, say)."""

    async def accepts() -> bool:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    await eventually(accepts, within, what=f"a server listening on port {port}")
