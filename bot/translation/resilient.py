"""A translator wrapped so that an outage never slows the bot: every call has a timeout and an
overall deadline, at most a few run at once, the service's passing trouble (429, 5xx, a
timeout, a dropped connection) is retried with exponential backoff, and after repeated
failures a circuit opens: calls then fail at once, until one trial call after a pause shows
the service back.

Translation runs in the background (tflow's job of the scheduler's routine), so these numbers
bound how long a translation may keep a worker, not how long a person waits: the delivery
worker never waits past TRANSLATE_DEADLINE and sends the original instead."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot import metrics
from bot.translation.errors import (
    NoFreeSlot,
    ServiceRefused,
    ServiceTimedOut,
    ServiceUnreachable,
)
from bot.translation.provider import TranslationUnavailable, Translator
from bot.translation.split import TextLimit

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Resilience:
    """The numbers, and why these defaults."""

    # One request: LibreTranslate on a small CPU takes 1-3 s for a long paragraph; past 8 s it
    # is stuck rather than slow.
    attempt_timeout: float = 8.0
    # One call, retries and waits included: a translation later than this is of little use to
    # readers (the delivery deadline is 10 s by default) and keeps a worker busy.
    call_deadline: float = 20.0
    attempts: int = 3
    # Waits between attempts: 0.5 s, 1 s, 2 s… at most `max_backoff`.
    backoff: float = 0.5
    max_backoff: float = 4.0
    # A 429's Retry-After is honoured up to this; longer, the call fails (the circuit counts
    # it) rather than hold a worker for a minute.
    max_retry_after: float = 10.0
    # In flight at once: a self-hosted LibreTranslate has a few worker threads; DeepL's rate
    # limits are per account. TRANSLATE_CONCURRENCY changes it.
    concurrency: int = 4
    # Consecutive failed calls that open the circuit, and how long it stays open before one
    # trial call: five calls in a row failing after their retries is an outage, and 30 s
    # spares the service while it restarts.
    failures_to_open: int = 5
    open_seconds: float = 30.0


class Circuit:
    """Closed → open after `failures_to_open` failed calls in a row → after `open_seconds`,
    one trial call (others still fail at once) → closed if it succeeds, open again if not."""

    def __init__(self, failures_to_open: int, open_seconds: float, clock: Callable[[], float]):
        self._failures_to_open = failures_to_open
        self._open_seconds = open_seconds
        self._clock = clock
        self._failures = 0
        self._open_until: float | None = None
        self._trial_running = False

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def enter(self) -> None:
        """Let a call through, or raise TranslationUnavailable at once."""
        if self._open_until is None:
            return
        if self._clock() < self._open_until or self._trial_running:
            raise TranslationUnavailable("translation is paused after repeated failures")
        self._trial_running = True

    def succeeded(self) -> None:
        if self._open_until is not None:
            log.info("translation service back: circuit closed")
        self._failures = 0
        self._open_until = None
        self._trial_running = False

    def failed(self) -> None:
        self._failures += 1
        if self._trial_running or self._failures >= self._failures_to_open:
            if self._open_until is None:
                log.warning(
                    "translation service failed %d times: paused for %g s",
                    self._failures,
                    self._open_seconds,
                )
            self._open_until = self._clock() + self._open_seconds
        self._trial_running = False

    def released(self) -> None:
        """A call that neither succeeded nor failed the service (a request it refused, such
        as a language it lacks, or a cancelled call): a trial may run again."""
        self._trial_running = False


def _transient(error: TranslationUnavailable) -> bool:
    if isinstance(error, ServiceRefused):
        return error.transient
    return isinstance(error, ServiceTimedOut | ServiceUnreachable)


def _service_fault(error: TranslationUnavailable) -> bool:
    if isinstance(error, ServiceRefused):
        return error.service_fault
    return not isinstance(error, NoFreeSlot)


class ResilientTranslator:
    """`inner` with timeouts, retries, bounded concurrency and a circuit; a Translator too."""

    def __init__(
        self,
        inner: Translator,
        resilience: Resilience | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.inner = inner
        self.name = inner.name
        self.resilience = resilience or Resilience()
        self.circuit = Circuit(
            self.resilience.failures_to_open, self.resilience.open_seconds, clock
        )
        self._slots = asyncio.Semaphore(self.resilience.concurrency)

    @property
    def limit(self) -> TextLimit | None:
        limit = getattr(self.inner, "limit", None)
        return limit if isinstance(limit, TextLimit) else None

    async def detect(self, text: str) -> str | None:
        return await self._call(lambda: self.inner.detect(text))

    async def translate(self, text: str, source: str, target: str) -> str:
        return await self._call(lambda: self.inner.translate(text, source, target))

    async def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            await close()

    async def _call(self, request: Callable[[], Awaitable[T]]) -> T:
        self.circuit.enter()
        try:
            result = await self._with_retries(request)
        except TranslationUnavailable as error:
            fault = _service_fault(error)
            metrics.TRANSLATIONS.labels(self.name, "failed" if fault else "refused").inc()
            if fault:
                self.circuit.failed()
            else:
                self.circuit.released()
            raise
        except BaseException:
            self.circuit.released()
            raise
        metrics.TRANSLATIONS.labels(self.name, "ok").inc()
        self.circuit.succeeded()
        return result

    async def _with_retries(self, request: Callable[[], Awaitable[T]]) -> T:
        policy = self.resilience
        deadline = time.monotonic() + policy.call_deadline
        attempt = 0
        while True:
            attempt += 1
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise ServiceTimedOut(f"{self.name}: no answer within {policy.call_deadline} s")
                return await self._attempt(request, deadline)
            except TranslationUnavailable as error:
                if not _transient(error) or attempt >= policy.attempts:
                    raise
                wait = self._wait_before(attempt, error)
                if wait is None or time.monotonic() + wait >= deadline:
                    raise
                log.info("%s: %s; trying again in %.2f s", self.name, error, wait)
                await asyncio.sleep(wait)

    async def _attempt(self, request: Callable[[], Awaitable[T]], deadline: float) -> T:
        """One request, in a slot, within the attempt's timeout and the call's deadline."""
        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                await self._slots.acquire()
        except TimeoutError as error:
            raise NoFreeSlot(f"{self.name}: no free slot before the deadline") from error
        try:
            # The attempt's timeout starts once a slot is free: waiting for one is not the
            # service's slowness (the deadline still bounds the whole call).
            left = max(deadline - time.monotonic(), 0)
            async with asyncio.timeout(min(self.resilience.attempt_timeout, left)):
                return await request()
        except TimeoutError as error:
            raise ServiceTimedOut(f"{self.name}: attempt timed out") from error
        finally:
            self._slots.release()

    def _wait_before(self, attempt: int, error: TranslationUnavailable) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, None to give up now."""
        policy = self.resilience
        if isinstance(error, ServiceRefused) and error.retry_after is not None:
            if error.retry_after > policy.max_retry_after:
                return None
            return error.retry_after
        return min(policy.backoff * 2.0 ** (attempt - 1), policy.max_backoff)
