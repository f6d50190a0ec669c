"""The scheduler's routine: the running scheduler, not the delivery worker, reports a finished
broadcast and edits its progress message; a failing job is logged and runs again."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.app import bookkeeping
from bot.app.scheduler import Every, Scheduler
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.models import Event, Role
from handlers import broadcast as broadcast_handlers
from handlers import build_notices
from tests.support.chat import plain, registered
from tests.support.outbox import Inboxes


class Runs:
    """Each run of a job, as an event to wait on rather than a time to sleep."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = asyncio.Condition()

    def around(self, job: Every) -> Every:
        async def run() -> None:
            try:
                await job.run()
            finally:
                async with self.changed:
                    self.count += 1
                    self.changed.notify_all()

        return Every(job.name, job.seconds, run)

    async def after(self, count: int, within: float = 10) -> None:
        """Wait until the job has run `count` times in all."""
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: self.count >= count), within)


async def test_the_running_scheduler_reports_a_finished_broadcast_not_the_worker(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    for number in range(2):
        await registered(dispatcher, demo_event.id, f"Minister {number}", Role.GOVERNMENT)
    await olga.send("/broadcast role government\nEN: The buses leave at 8:45.")
    assert "Sent 0 of 2" in await olga.press("Send", message_id="preview-9")

    inboxes = Inboxes()
    sessions, clock = dispatcher.sessions, dispatcher.clock
    worker = DeliveryWorker(sessions, clock, build_notices(), {"test": inboxes})
    while await worker.deliver_due():
        pass
    assert inboxes.received["Minister 0"] == ["📢 The buses leave at 8:45."]
    # The worker only delivers: no report, no progress, however many passes it makes.
    assert await worker.deliver_due() == 0
    assert "Olga" not in inboxes.received and not inboxes.edited

    runs = Runs()
    routine = bookkeeping.routine(sessions, clock, broadcast_handlers.progress, {"test": inboxes})
    scheduler = Scheduler(
        sessions,
        clock,
        every=[runs.around(job) if job.name == "broadcasts" else job for job in routine],
    )
    await scheduler.start()
    try:
        await runs.after(1)  # the first run comes at once
    finally:
        scheduler.stop()
        await scheduler.stopped()
    [*_, last] = [plain(reply) for reply in inboxes.edited["Olga", "preview-9"]]
    assert "finished" in last and "Sent 2 of 2" in last
    assert await worker.deliver_due() == 1
    [report] = inboxes.received["Olga"]
    assert "#1" in report and "2 delivered" in report


async def test_a_failing_job_is_logged_and_runs_again(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    failures = iter([RuntimeError("the database went away")])

    async def flaky() -> None:
        if error := next(failures, None):
            raise error

    runs = Runs()
    scheduler = Scheduler(
        dispatcher.sessions, dispatcher.clock, every=[runs.around(Every("flaky", 0.05, flaky))]
    )
    with caplog.at_level(logging.ERROR, logger="bot.app.scheduler"):
        await scheduler.start()
        try:
            await runs.after(2)
        finally:
            scheduler.stop()
            await scheduler.stopped()
    assert "the scheduled job flaky failed" in caplog.text
    assert "the database went away" in caplog.text
