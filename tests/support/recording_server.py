"""What the fake servers share: they record what a client did, and a test waits for it.

Each fake (`fake_telegram`, `fake_slack`, `fake_imap`) records under one condition, notified
on every change, so a test waits for the event itself (a call, an ack, a command) rather than
sleeping or polling. `ApiServer` adds what the two HTTP APIs share: the calls of named methods,
failures queued per method, and an aiohttp server on a free local port.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")


@dataclass
class Call:
    """One call of an HTTP API method, with its parameters as the server read them."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    """The answer the next call of a method gets instead of success: an HTTP `status`, the
    API's error text, and the seconds to wait when the API says so (429)."""

    status: int
    error: str
    retry_after: int | None = None


@dataclass
class RecordingServer:
    _changed: asyncio.Condition | None = field(default=None, init=False, repr=False)

    def _start_recording(self) -> None:
        # Created on the test's event loop, when the server starts, not at construction.
        self._changed = asyncio.Condition()

    async def _record(self, change: Callable[[], None]) -> None:
        """Make `change` (append a call, an ack…) and wake whoever waits for one."""
        assert self._changed is not None, "the server is not started"
        async with self._changed:
            change()
            self._changed.notify_all()

    async def _until(
        self, found: Callable[[], list[T]], count: int, within: float, seen: Callable[[], str]
    ) -> list[T]:
        """What `found` returns once it holds at least `count` items; after `within` seconds,
        an AssertionError that says what was `seen` instead."""
        deadline = time.monotonic() + within
        assert self._changed is not None, "the server is not started"
        async with self._changed:
            while len(result := found()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(result)} found, expected {count}; {seen()}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)
        return result


@dataclass
class ApiServer(RecordingServer):
    """An HTTP API over real HTTP on 127.0.0.1: subclasses add their routes in `_routes`."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    url: str = ""
    _runner: web.AppRunner | None = field(default=None, init=False, repr=False)

    def _routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        self._start_recording()
        app = web.Application()
        self._routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # What tests do

    def of(self, *methods: str) -> list[Call]:
        return [call for call in self.calls if call.method in methods]

    async def wait_for(self, method: str, count: int = 1, within: float = 10) -> list[Call]:
        """The calls of `method` once there are at least `count` of them."""
        return await self.messages(lambda call: call.method == method, count, within)

    async def messages(
        self, wanted: Callable[[Call], bool], count: int = 1, within: float = 10
    ) -> list[Call]:
        """The calls that are `wanted`, once there are at least `count` of them."""
        return await self._until(
            lambda: [c for c in self.calls if wanted(c)], count, within, self._seen
        )

    def _seen(self) -> str:
        return f"calls: {[c.method for c in self.calls]}"

    # The server

    async def _record_call(self, method: str, params: dict[str, Any]) -> None:
        await self._record(lambda: self.calls.append(Call(method, params)))

    def _next_failure(self, method: str) -> Failure | None:
        """The failure a test queued for this call of `method`, taken off the queue."""
        pending = self.failures.get(method)
        return pending.pop(0) if pending else None
