"""What runs when, in the one process that holds the scheduler role (`bot/delivery/leader.py`).

Two sorts of APScheduler jobs: session reminders, planned from the database, and interval jobs
(`Every`), the routine that has no moment of its own (`bot/app/bookkeeping.py`: broadcasts'
reports and progress, survey reminders, forgetting expired codes).

Session reminders:
One job per upcoming session and reminder offset, with a deterministic id, whoever is linked
at the time: it runs early enough that a fan-out to everyone the session may ever concern (the
participants registered in its roles, its seats) leaves by the due time at the sending rate.
The jobs are rebuilt at start and whenever the programme is loaded again (event.loaded_at
moves). Who is reminded is read when reminders are queued; every few seconds a catch-up pass
queues the reminders now due to whoever became concerned since (linked, took a seat, changed
role or /remind), late but before the session starts.

After downtime: a reminder whose time passed while the bot was down is queued at once if its
session has not started yet; otherwise it is skipped (docs/delivery.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import select

from bot import reminders
from bot.clock import Clock
from bot.db import SessionFactory
from bot.models import Session
from bot.programme.meeting import current_event

log = logging.getLogger(__name__)
T = TypeVar("T")


class _CancelledAtShutdown(logging.Filter):
    """APScheduler's asyncio executor cancels the runs it has not started yet when it shuts
    down, and logs each as "Error running job" with a traceback. A run that has started handles
    its own cancellation (`Scheduler._run`), so a cancelled run seen there is a shutdown, not a
    failure: it is not logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, asyncio.CancelledError)


class _StillRunning(logging.Filter):
    """An interval job still running when its next second comes (a translation call takes a
    while) is skipped by design (one run at a time): APScheduler warns of it each second."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


logging.getLogger("apscheduler.executors.default").addFilter(_CancelledAtShutdown())
logging.getLogger("apscheduler.scheduler").addFilter(_StillRunning())

MARGIN = reminders.MARGIN
WATCH_SECONDS = 5


@dataclass(frozen=True)
class Every:
    """A job run every `seconds` of real time, one run at a time; a failing run is logged and
    the next one comes as planned."""

    name: str
    seconds: float
    run: Callable[[], Awaitable[object]]


class Scheduler:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        event_key: str | None = None,
        rate: float = 30.0,
        every: Sequence[Every] = (),
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.event_key = event_key
        self.rate = rate
        self.every = tuple(every)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._loaded_at: datetime | None = None
        self._started = False
        self._stopping = False
        # Job runs in flight: stopping waits for them, so that no transaction of theirs is cut
        # off when the engine is closed (an SQLite connection left open keeps the process alive).
        self._running: set[asyncio.Task[Any]] = set()

    def _real(self, instant: datetime) -> datetime:
        """The wall-clock time at which the (possibly simulated) clock shows `instant`."""
        return instant - (self.clock.now() - datetime.now(UTC))

    async def start(self) -> None:
        self._stopping = False  # the role may come back after a lost connection
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
        for job in self.every:
            self.scheduler.add_job(
                self._run,
                "interval",
                seconds=job.seconds,
                id=job.name,
                args=(job,),
                replace_existing=True,
                next_run_time=datetime.now(UTC),  # at once: a new holder catches up first
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,  # a busy loop delays a run, never drops it
            )

    async def run_every_once(self) -> None:
        """Each interval job once, in order (what a second of the running scheduler does):
        for the console, which runs no scheduler, and for tests, which wait on no clock."""
        for job in self.every:
            await job.run()

    async def _to_the_end(self, work: Awaitable[T], what: str) -> T:
        """`work` in a task of its own, which APScheduler's shutdown (it cancels the runs in
        flight) cannot cut short: a stop lets it end, and `stopped` waits for it. Cut mid-way,
        a transaction's connection is rolled back while cancelled, which SQLAlchemy's pool logs
        as an error with a traceback."""
        task = asyncio.ensure_future(work)
        self._running.add(task)
        task.add_done_callback(lambda ended: self._ended(ended, what))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not self._stopping:
                task.cancel()
                raise
            log.info("stopping during %s: it ends first", what)
            raise

    def _ended(self, task: asyncio.Future[Any], what: str) -> None:
        self._running.discard(task)
        # A run that failed after the stop has nobody awaiting it: said here.
        if self._stopping and not task.cancelled() and task.exception() is not None:
            log.error("%s failed while stopping", what, exc_info=task.exception())

    async def _run(self, job: Every) -> None:
        if not self.scheduler.running:  # launched just before the stop: the engine may be closing
            return
        try:
            await self._to_the_end(job.run(), job.name)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
        except Exception:  # the next run comes as planned
            if not self._stopping:  # else `_ended` says it
                log.exception("the scheduled job %s failed", job.name)

    def stop(self) -> None:
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def stopped(self, within: float = 10.0) -> None:
        """After `stop`: wait for the job runs still in flight to end (at most `within`)."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=within)

    async def _watch(self) -> None:
        try:
            await self._to_the_end(self._watch_once(), "watching the programme")
        except asyncio.CancelledError:
            if not self._stopping:
                raise

    async def _watch_once(self) -> None:
        async with self.sessions() as db:
            event = await current_event(db, self.event_key)
        if event is None:
            return
        if event.loaded_at != self._loaded_at:
            log.info("the programme changed: rebuilding the reminder jobs")
            await self.rebuild()
        await self.catch_up(event.id)

    async def catch_up(self, event_id: int) -> int:
        """Queue the reminders now due that nobody queued yet (people newly concerned)."""
        async with self.sessions() as db:
            queued = await reminders.queue_due(db, event_id, self.clock.now(), self.rate)
            await db.commit()
        return sum(item.count for item in queued)

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
            upcoming = list(
                (
                    await db.execute(
                        select(Session).where(Session.event_id == event.id, Session.starts_at > now)
                    )
                ).scalars()
            )
            bounds = await reminders.upper_bounds(db, upcoming)
        for session in upcoming:
            if not bounds[session.id]:  # a break, a social event: nobody is reminded
                continue
            for offset in sorted(reminders.OFFSETS):
                run_at = reminders.due(session, offset) - reminders.lead(
                    bounds[session.id], self.rate
                )
                planned[f"reminder:{session.id}:{offset}"] = max(run_at, now)
                if run_at <= now:  # one job now queues every offset already due
                    break
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
        try:
            return await self._to_the_end(self._fire(session_id, offset), "queuing reminders")
        except asyncio.CancelledError:  # stopping: the queuing ends, `stopped` waits for it
            if not self._stopping:
                raise
            return 0

    async def _fire(self, session_id: int, offset: int) -> int:
        async with self.sessions() as db:
            session = await db.get(Session, session_id)
            queued: list[reminders.Queued] = []
            if session is not None:
                queued = await reminders.queue_due(
                    db,
                    session.event_id,
                    self.clock.now(),
                    self.rate,
                    session_ids=[session_id],
                    also_due=[(session_id, offset)],
                )
            await db.commit()
        number = sum(item.count for item in queued if item.offset == offset)
        log.info("queued %d reminders (%d min) for session %d", number, offset, session_id)
        return number
