"""An outage of the translation service never slows the bot: retries with backoff on passing
trouble, Retry-After honoured, a timeout per attempt and a deadline per call, bounded
concurrency, and a circuit that opens after repeated failures and closes when the service is
back. Over real HTTP against the fake LibreTranslate."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from bot.translation.libretranslate import LibreTranslate
from bot.translation.provider import TranslationUnavailable
from bot.translation.resilient import Resilience, ResilientTranslator
from bot.translation.service import TranslationService
from tests.support.fake_translation import QUICK, FakeLibreTranslate, translator_for

TEXT = "Hola. Gracias."
DONE = "[en] Hola. [en] Gracias."


class ManualClock:
    """The circuit's clock, moved by the test: no waiting out 30 seconds."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _open(translator: ResilientTranslator) -> bool:
    """Read afresh each time (mypy would take the first assert's answer for the next)."""
    return translator.circuit.is_open


def _with_clock(
    server: FakeLibreTranslate, resilience: Resilience, clock: ManualClock
) -> tuple[TranslationService, ResilientTranslator]:
    """The service as build_translator makes it, with the circuit on the test's clock."""
    provider = LibreTranslate(server.url, server.api_key)
    resilient = ResilientTranslator(provider, resilience, clock)
    return TranslationService(resilient), resilient


async def test_server_errors_are_retried_with_growing_waits(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    fake_libretranslate.fail_next(2, 503)
    async with translator_for(fake_libretranslate) as translator:
        assert await translator.translate(TEXT, "es", "en") == DONE
    first, second, third = fake_libretranslate.of("translate")
    assert second.at - first.at >= QUICK.backoff
    assert third.at - second.at >= 2 * QUICK.backoff


async def test_too_many_requests_waits_as_long_as_the_server_asks(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    fake_libretranslate.fail_next(1, 429, retry_after=1)
    async with translator_for(fake_libretranslate) as translator:
        assert await translator.translate(TEXT, "es", "en") == DONE
    first, second = fake_libretranslate.of("translate")
    assert second.at - first.at >= 1


async def test_a_wait_longer_than_the_cap_fails_the_call_at_once(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    fake_libretranslate.fail_next(1, 429, retry_after=60)
    started = time.monotonic()
    async with translator_for(fake_libretranslate) as translator:
        with pytest.raises(TranslationUnavailable, match="429"):
            await translator.translate(TEXT, "es", "en")
    assert time.monotonic() - started < QUICK.max_retry_after
    assert len(fake_libretranslate.of("translate")) == 1


async def test_errors_that_stay_give_up_after_the_attempts(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    fake_libretranslate.fail_next(10, 500)
    async with translator_for(fake_libretranslate) as translator:
        with pytest.raises(TranslationUnavailable, match="500"):
            await translator.translate(TEXT, "es", "en")
    assert len(fake_libretranslate.of("translate")) == QUICK.attempts


async def test_a_slow_server_times_out_within_the_call_deadline(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    fake_libretranslate.delay = 1.0
    quick = dataclasses.replace(QUICK, attempt_timeout=0.1, call_deadline=0.4)
    started = time.monotonic()
    async with translator_for(fake_libretranslate, quick) as translator:
        with pytest.raises(TranslationUnavailable, match=r"timed out|no answer"):
            await translator.translate(TEXT, "es", "en")
    assert time.monotonic() - started < fake_libretranslate.delay
    # Tried again after the first timeout, within the deadline.
    assert len(fake_libretranslate.of("translate")) >= 2


async def test_no_more_requests_at_once_than_the_concurrency(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    fake_libretranslate.delay = 0.05
    two = dataclasses.replace(QUICK, concurrency=2)
    async with translator_for(fake_libretranslate, two) as translator:
        results = await asyncio.gather(
            *(translator.translate(f"Hola {n}.", "es", "fr") for n in range(8))
        )
    assert results == [f"[fr] Hola {n}." for n in range(8)]
    assert fake_libretranslate.most_in_flight == 2


async def test_the_circuit_opens_after_repeated_failures_and_closes_when_back(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    clock = ManualClock()
    once = dataclasses.replace(QUICK, attempts=1)
    service, resilient = _with_clock(fake_libretranslate, once, clock)
    try:
        fake_libretranslate.fail_next(100, 502)
        for _ in range(once.failures_to_open):
            with pytest.raises(TranslationUnavailable, match="502"):
                await service.translate(TEXT, "es", "en")
        assert _open(resilient)
        # Open: calls fail at once, the service is not asked.
        with pytest.raises(TranslationUnavailable, match="paused"):
            await service.translate(TEXT, "es", "en")
        assert len(fake_libretranslate.of("translate")) == once.failures_to_open

        # After the pause, one trial; still failing, the circuit opens again.
        clock.now += once.open_seconds
        with pytest.raises(TranslationUnavailable, match="502"):
            await service.translate(TEXT, "es", "en")
        with pytest.raises(TranslationUnavailable, match="paused"):
            await service.translate(TEXT, "es", "en")
        assert len(fake_libretranslate.of("translate")) == once.failures_to_open + 1

        # The service is back: the next trial succeeds and closes the circuit.
        fake_libretranslate.failures.clear()
        clock.now += once.open_seconds
        assert await service.translate(TEXT, "es", "en") == DONE
        assert not _open(resilient)
        assert await service.translate(TEXT, "es", "fr") == "[fr] Hola. [fr] Gracias."
    finally:
        await service.close()


async def test_while_the_trial_runs_other_calls_fail_at_once(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    clock = ManualClock()
    once = dataclasses.replace(QUICK, attempts=1)
    service, resilient = _with_clock(fake_libretranslate, once, clock)
    try:
        fake_libretranslate.fail_next(once.failures_to_open, 503)
        for _ in range(once.failures_to_open):
            with pytest.raises(TranslationUnavailable):
                await service.translate(TEXT, "es", "en")
        clock.now += once.open_seconds
        fake_libretranslate.delay = 0.2
        trial = asyncio.create_task(service.translate(TEXT, "es", "en"))
        await fake_libretranslate.wait_for("translate", once.failures_to_open + 1)
        with pytest.raises(TranslationUnavailable, match="paused"):
            await service.translate(TEXT, "es", "fr")
        assert await trial == DONE
        assert not _open(resilient)
    finally:
        await service.close()


async def test_requests_the_service_refuses_do_not_open_the_circuit(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    async with translator_for(fake_libretranslate) as translator:
        for _ in range(QUICK.failures_to_open + 1):
            with pytest.raises(TranslationUnavailable, match="400"):
                await translator.translate(TEXT, "es", "xx")
        assert await translator.translate(TEXT, "es", "en") == DONE


async def test_waiting_for_a_free_slot_past_the_deadline_is_not_the_services_fault(
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    clock = ManualClock()
    short = dataclasses.replace(QUICK, concurrency=1, call_deadline=0.1)
    service, resilient = _with_clock(fake_libretranslate, short, clock)
    try:
        async with resilient._slots:  # every slot busy with other texts
            for _ in range(short.failures_to_open):
                with pytest.raises(TranslationUnavailable, match="no free slot"):
                    await service.translate(TEXT, "es", "en")
        assert not _open(resilient)
        assert fake_libretranslate.calls == []
        assert await service.translate(TEXT, "es", "en") == DONE
    finally:
        await service.close()
