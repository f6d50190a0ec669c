"""/healthz and /metrics of a real `coordbot run` process: what an operator's monitoring reads.
Healthy with the scheduler role and the database reachable; a message sent is counted; the
database gone, /healthz says so at once (503) rather than hang."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import broadcasts, metrics
from bot.app.health import HealthServer, HealthSettings
from bot.app.roles import Roles
from bot.clock import SystemClock
from bot.config import ConfigurationError
from bot.db import create_engine, session_factory
from bot.models import Event, OutboxMessage, OutboxStatus, Participant
from tests.support.databases import drop_postgres_database
from tests.support.demo import DEMO_FILE
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.population import add_telegram_participants
from tests.support.processes import environment, free_port, run, start, stop
from tests.support.waiting import eventually


@pytest.fixture
async def bot(
    empty_database: str, fake_telegram: FakeTelegram, tmp_path: Path
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """`coordbot run` with its health server; yields the server's base URL and the process."""
    port = free_port()
    env = environment(tmp_path / "unused.sqlite3", fake_telegram.url)
    env |= {"COORDBOT_DATABASE_URL": empty_database, "HEALTH_PORT": str(port)}
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    process = await start(env, "run")
    base = f"http://127.0.0.1:{port}"
    try:
        await eventually(lambda: _holds_scheduler(base), 60, what="healthy, with the scheduler")
        yield base, process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)


async def _get(url: str) -> tuple[int, str]:
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as client, client.get(url) as response:
        return response.status, await response.text()


async def _health(base: str) -> tuple[int, dict[str, Any]]:
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as client,
        client.get(f"{base}/healthz") as response,
    ):
        return response.status, await response.json()


async def _holds_scheduler(base: str) -> bool:
    try:
        status, body = await _health(base)
    except aiohttp.ClientConnectionError:  # not listening yet
        return False
    return status == 200 and "scheduler" in body["roles"]


async def _sample(base: str, name: str, labels: dict[str, str]) -> float:
    status, body = await _get(f"{base}/metrics")
    assert status == 200
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


async def _broadcast_to_one(url: str) -> None:
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with session_factory(engine)() as db:
            event = (await db.execute(select(Event))).scalar_one()
            [person] = await add_telegram_participants(db, event.id, 1, first_chat_id=70_000)
            author = await db.get_one(Participant, person)
            draft = await broadcasts.draft(
                db,
                event,
                author,
                broadcasts.Audience("everyone"),
                {"en": "Buses at 8:45."},
                now,
                now,
            )
            assert await broadcasts.confirm(db, draft, now) == 1
            await db.commit()
    finally:
        await engine.dispose()


async def test_healthz_and_metrics_of_a_running_bot(
    empty_database: str,
    fake_telegram: FakeTelegram,
    bot: tuple[str, asyncio.subprocess.Process],
) -> None:
    base, process = bot
    status, health = await _health(base)
    assert status == 200
    assert health["status"] == "ok" and health["database"] == "reachable"
    assert "scheduler" in health["roles"]
    assert health["outbox_lag_seconds"] == 0
    assert health["version"]
    delivered = {"platform": "telegram", "outcome": "delivered"}
    assert await _sample(base, "coordbot_sends_total", delivered) == 0

    await _broadcast_to_one(empty_database)
    # The broadcast, then its report to its author (who is also its one reader).
    await fake_telegram.messages(
        lambda call: call.method == "sendMessage" and "📊" in str(call.params.get("text")),
        1,
        within=30,
    )

    async def counted() -> bool:
        return await _sample(base, "coordbot_sends_total", delivered) == 2

    await eventually(counted, 10, what="both messages counted as delivered")
    assert await _sample(base, "coordbot_outbox_messages", {"status": "delivered"}) == 2
    assert await _sample(base, "coordbot_outbox_messages", {"status": "pending"}) == 0
    _status, text = await _get(f"{base}/metrics")
    assert "coordbot_update_handling_seconds" in text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    log = await stop(process)
    assert "health and metrics at http://127.0.0.1" in log


@pytest.mark.postgres
@pytest.mark.parametrize("empty_database", ["postgresql"], indirect=True)
async def test_healthz_answers_503_at_once_when_the_database_is_gone(
    empty_database: str, bot: tuple[str, asyncio.subprocess.Process]
) -> None:
    base, _process = bot
    drop_postgres_database(empty_database)  # the bot's connections are cut too (WITH FORCE)
    started = time.monotonic()
    status, health = await _health(base)
    assert status == 503
    assert health["database"] == "unreachable" and health["status"] == "unhealthy"
    assert time.monotonic() - started < 5


def test_health_server_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEALTH_PORT", raising=False)
    monkeypatch.delenv("HEALTH_LISTEN", raising=False)
    assert HealthSettings.from_env() == HealthSettings("127.0.0.1", 8081)
    monkeypatch.setenv("HEALTH_LISTEN", "0.0.0.0")
    monkeypatch.setenv("HEALTH_PORT", "9100")
    assert HealthSettings.from_env() == HealthSettings("0.0.0.0", 9100)
    monkeypatch.setenv("HEALTH_PORT", "0")
    assert HealthSettings.from_env() is None
    monkeypatch.setenv("HEALTH_PORT", "eighty")
    with pytest.raises(ConfigurationError, match="HEALTH_PORT"):
        HealthSettings.from_env()


def test_a_reminder_sent_late_is_measured() -> None:
    """Its lateness counts from when it was due: the session's start less the reader's /remind."""
    starts = datetime(2017, 12, 2, 9, 0, tzinfo=UTC)
    row = OutboxMessage(
        kind="reminder",
        status=OutboxStatus.DELIVERED,
        payload={"starts_at": starts.isoformat(), "minutes": 15},
    )
    late = {"platform": "telegram", "outcome": "delivered"}
    sent_before = REGISTRY.get_sample_value("coordbot_sends_total", late) or 0
    count_before = REGISTRY.get_sample_value("coordbot_reminder_lateness_seconds_count") or 0
    sum_before = REGISTRY.get_sample_value("coordbot_reminder_lateness_seconds_sum") or 0

    metrics.recorded(row, "telegram", starts - timedelta(minutes=14))

    assert REGISTRY.get_sample_value("coordbot_sends_total", late) == sent_before + 1
    assert REGISTRY.get_sample_value("coordbot_reminder_lateness_seconds_count") == count_before + 1
    assert REGISTRY.get_sample_value("coordbot_reminder_lateness_seconds_sum") == sum_before + 60


async def test_a_port_already_taken_is_said_in_the_log_and_the_bot_goes_on(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """Another program on HEALTH_PORT: one line names the setting to change; start returns."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = HealthServer(HealthSettings(port=port), engine, SystemClock(), Roles())
        await server.start()
        await server.stop()
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert f"health server: cannot listen on 127.0.0.1:{port}" in line
    assert "set HEALTH_PORT to a free port, or 0 for none" in line
