"""The process's Prometheus metrics, in one place: what /metrics shows (bot/app/health.py).

Each place that counts calls one of these objects or helpers in one line. They live in
prometheus_client's default registry: one per process, as each process is scraped alone."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from prometheus_client import Counter, Gauge, Histogram

from bot.models import OutboxMessage, OutboxStatus

P = ParamSpec("P")
T = TypeVar("T")

SENDS = Counter(
    "coordbot_sends",
    "Outbox messages sent, by platform and outcome (delivered, retry, unreachable, given_up).",
    ["platform", "outcome"],
)
RATE_LIMITED = Counter(
    "coordbot_rate_limited",
    "Answers 429 (Too Many Requests) from a chat platform's API.",
    ["platform"],
)
UPDATE_SECONDS = Histogram(
    "coordbot_update_handling_seconds",
    "Time to handle one incoming update (a command, a button), database work included.",
    ["platform"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REMINDER_LATENESS = Histogram(
    "coordbot_reminder_lateness_seconds",
    "How long after its due time (session start minus the reader's /remind) a reminder left.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800),
)
TRANSLATIONS = Counter(
    "coordbot_translation_calls",
    "Calls to the translation provider, by provider and outcome (ok, failed, refused).",
    ["provider", "outcome"],
)
# Set from the database when /metrics is scraped (one GROUP BY), not kept up to date.
OUTBOX = Gauge("coordbot_outbox_messages", "Outbox rows by status.", ["status"])

_OUTCOMES = {
    OutboxStatus.DELIVERED: "delivered",
    OutboxStatus.PENDING: "retry",
    OutboxStatus.UNREACHABLE: "unreachable",
    OutboxStatus.FAILED: "given_up",
}


def recorded(row: OutboxMessage, platform: str, now: datetime) -> None:
    """An outbox message's sending, once recorded: its outcome, and a reminder's lateness."""
    outcome = _OUTCOMES.get(row.status)
    if outcome is None:
        return
    SENDS.labels(platform, outcome).inc()
    if row.status == OutboxStatus.DELIVERED and row.kind == "reminder":
        due = reminder_due(row.payload)
        if due is not None:
            REMINDER_LATENESS.observe(max((now - due).total_seconds(), 0.0))


def reminder_due(payload: dict[str, Any]) -> datetime | None:
    """When a reminder's payload says it was due (None for one that names no offset)."""
    try:
        starts_at = datetime.fromisoformat(payload["starts_at"])
        minutes = payload["minutes"]
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(minutes, int):
        return None
    return starts_at - timedelta(minutes=minutes)


def timed_update(
    handle: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """Times Dispatcher.handle(self, incoming, …) into UPDATE_SECONDS by the update's platform."""

    @functools.wraps(handle)
    async def timed(*args: P.args, **kwargs: P.kwargs) -> T:
        started = time.perf_counter()
        try:
            return await handle(*args, **kwargs)
        finally:
            platform = getattr(args[1], "platform", "unknown") if len(args) > 1 else "unknown"
            UPDATE_SECONDS.labels(platform).observe(time.perf_counter() - started)

    return timed
