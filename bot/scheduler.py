"""When reminders go out: APScheduler jobs rebuilt from the database.

One job per session and reminder offset, with a deterministic id. The jobs are rebuilt at start
and whenever the programme is loaded again (event.loaded_at moves). A job runs early enough that
its whole fan-out leaves by the due time at the configured sending rate.

After downtime: a reminder whose time passed while the bot was down is queued at once if its
session has not started yet; otherwise it is skipped and logged (docs/reminders.md).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import select

from bot import reminders
from bot.clock import Clock
from bot.db import SessionFactory
from bot.events import current_event
from bot.models import Session

log = logging.getLogger(__name__)

MARGIN = timedelta(seconds=5)
WATCH_SECONDS = 5


class ReminderScheduler:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        event_key: str | None = None,
        rate: float = 30.0,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.event_key = event_key
        self.rate = rate
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._loaded_at: datetime | None = None
        self._started = False

    def _real(self, instant: datetime) -> datetime:
        """The wall-clock time at which the (possibly simulated) clock shows `instant`."""
        return instant - (self.clock.now() - datetime.now(UTC))

    async def start(self) -> None:
        self.scheduler.start()
        await self.rebuild()
        self.scheduler.add_job(
            self._watch,
            "interval",
            seconds=WATCH_SECONDS,
            id="programme-watch",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
        )

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def _watch(self) -> None:
        async with self.sessions() as db:
            event = await current_event(db, self.event_key)
        if event is not None and event.loaded_at != self._loaded_at:
            log.info("the programme changed: rebuilding the reminder jobs")
            await self.rebuild()

    async def rebuild(self) -> dict[str, datetime]:
        """Replace every reminder job by those the database calls for; returns them (id → the
        simulated time at which each runs)."""
        now = self.clock.now()
        planned: dict[str, datetime] = {}
        async with self.sessions() as db:
            event = await current_event(db, self.event_key)
            if event is None:
                return planned
            self._loaded_at = event.loaded_at
            upcoming = (
                (
                    await db.execute(
                        select(Session).where(Session.event_id == event.id, Session.starts_at > now)
                    )
                )
                .scalars()
                .all()
            )
            for session in upcoming:
                for offset in reminders.OFFSETS:
                    recipients = await reminders.count(db, session, offset)
                    if not recipients:
                        continue
                    lead = timedelta(seconds=recipients / self.rate) + MARGIN
                    run_at = reminders.due(session, offset) - lead
                    planned[f"reminder:{session.id}:{offset}"] = max(run_at, now)
                    if run_at < now:
                        log.warning(
                            "reminder %s min before %r is late (was due %s): sent now, the "
                            "session has not started",
                            offset,
                            session.key,
                            reminders.due(session, offset).isoformat(),
                        )
        for job in self.scheduler.get_jobs():
            if job.id.startswith("reminder:") and job.id not in planned:
                job.remove()
        for job_id, run_at in planned.items():
            _kind, session_id, minutes = job_id.split(":")
            self.scheduler.add_job(
                self.fire,
                DateTrigger(self._real(run_at), timezone=UTC),
                id=job_id,
                args=(int(session_id), int(minutes)),
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
            )
        return planned

    async def fire(self, session_id: int, offset: int) -> int:
        async with self.sessions() as db:
            queued = await reminders.fan_out(db, session_id, offset, self.clock.now())
            await db.commit()
        log.info("queued %d reminders (%d min) for session %d", queued, offset, session_id)
        return queued
