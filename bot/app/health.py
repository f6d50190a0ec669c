"""/healthz and /metrics on a small HTTP server of their own (HEALTH_LISTEN:HEALTH_PORT), started
and stopped with `coordbot run`. Nothing personal and no secret is shown: counts, ages, roles."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import metrics
from bot.app.listening import listen
from bot.app.roles import Roles
from bot.clock import Clock
from bot.config import number_setting
from bot.db import session_factory
from bot.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

# A database that takes longer than this to answer one small query counts as unreachable: a
# load balancer or orchestrator needs an answer before its own timeout.
CHECK_SECONDS = 3.0


@dataclass(frozen=True)
class HealthSettings:
    listen: str = "127.0.0.1"
    port: int = 8081

    @classmethod
    def from_env(cls) -> HealthSettings | None:
        """None when HEALTH_PORT=0 (no health server)."""
        port = number_setting("HEALTH_PORT", 8081, minimum=0, maximum=65535)
        if port == 0:
            return None
        return cls(listen=os.environ.get("HEALTH_LISTEN", "").strip() or "127.0.0.1", port=port)


def bot_version() -> str:
    try:
        return version("coordbot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


class HealthServer:
    """A Service of `coordbot run`: answers /healthz and /metrics until stopped."""

    def __init__(
        self, settings: HealthSettings, engine: AsyncEngine, clock: Clock, roles: Roles
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.sessions = session_factory(engine)
        self.clock = clock
        self.roles = roles
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        runner = await listen(
            app, self.settings.listen, self.settings.port, "health server", "HEALTH_PORT"
        )
        if runner is None:
            return
        self._runner = runner
        log.warning(
            "health and metrics at http://%s:%d/healthz and /metrics",
            self.settings.listen,
            self.settings.port,
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def healthz(self, _request: web.Request) -> web.Response:
        body: dict[str, Any] = {
            "version": bot_version(),
            "roles": {name: at.isoformat() for name, at in sorted(self.roles.held().items())},
        }
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                lag = await self._outbox_lag()
        except Exception as error:  # any failure to answer is the database being unusable
            log.warning("health check: the database does not answer: %s", _first_line(error))
            body |= {"status": "unhealthy", "database": "unreachable", "outbox_lag_seconds": None}
            return web.json_response(body, status=503)
        body |= {"status": "ok", "database": "reachable", "outbox_lag_seconds": lag}
        return web.json_response(body)

    async def metrics(self, _request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                await self._count_outbox()
        except Exception as error:  # the other metrics are still worth reading
            log.warning("metrics: outbox not counted: %s", _first_line(error))
        response = web.Response(body=generate_latest())
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response

    async def _outbox_lag(self) -> float:
        """Seconds since the oldest due message that is still waiting was due (0: none)."""
        now = self.clock.now()
        async with self.sessions() as db:
            await db.execute(text("SELECT 1"))
            oldest: datetime | None = await db.scalar(
                select(func.min(OutboxMessage.not_before)).where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.not_before <= now,
                )
            )
        return round(max((now - oldest).total_seconds(), 0.0), 3) if oldest else 0.0

    async def _count_outbox(self) -> None:
        async with self.sessions() as db:
            rows = await db.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
            counts = {status: number for status, number in rows.tuples()}
        for status in OutboxStatus:
            metrics.OUTBOX.labels(status.value).set(counts.get(status, 0))


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
