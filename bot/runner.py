"""`coordbot run`: every configured platform in one process, until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.bookkeeping import after_delivery_pass
from bot.clock import Clock, SystemClock
from bot.config import MailSettings, Settings
from bot.db import SessionFactory, create_engine, session_factory, upgrade
from bot.delivery import DeliveryWorker
from bot.events import current_event, meeting_clock
from bot.leader import hold_scheduler_role
from bot.platforms import AdapterFactory, Deliverer
from bot.router import Dispatcher, Router, forget_old_deliveries
from bot.scheduler import ReminderScheduler
from handlers import build_router

log = logging.getLogger(__name__)


class Service(Protocol):
    """Started with the process and stopped with it: an adapter, the mail intake."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class NothingToRun(Exception):
    pass


def delivery_worker(
    sessions: SessionFactory, clock: Clock, router: Router, deliverers: Mapping[str, Deliverer]
) -> DeliveryWorker:
    """The worker that sends what the bot queued, through these adapters."""
    return DeliveryWorker(
        sessions,
        clock,
        router.notices,
        deliverers,
        after_pass=after_delivery_pass,
        loaders=router.loaders,
    )


async def run(
    settings: Settings,
    adapters: Sequence[AdapterFactory],
    at: datetime | None = None,
    mail: MailSettings | None = None,
) -> None:
    """Serve the platforms `adapters` builds (read from the platform table by the caller, so
    that settings are checked before anything starts)."""
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    async with sessions() as db:
        clock = meeting_clock(await current_event(db, settings.event), at)
        await forget_old_deliveries(db, SystemClock().now() - timedelta(days=2))
        await db.commit()
    router = build_router()
    dispatcher = Dispatcher(router, sessions, clock, settings.event)

    platforms = [build(dispatcher) for build in adapters]
    if not platforms:
        await engine.dispose()
        raise NothingToRun(
            "no chat platform is configured: set TELEGRAM_BOT_TOKEN (docs/telegram.md) or "
            "SLACK_BOT_TOKEN (docs/slack.md), or try the bot in the terminal with `coordbot chat`"
        )
    services: list[Service] = list(platforms)
    if mail is not None:  # mail in: after the chat platforms, which are what relays it
        from bot.mail.service import MailIntake, MailService

        services.append(MailService(MailIntake(sessions, clock, mail, settings.event)))

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stopping.set)
    started: list[Service] = []
    worker = delivery_worker(
        sessions, clock, router, {platform.name: platform for platform in platforms}
    )
    # Reminders start early enough to leave at the platforms' rate, with a little to spare
    # (each message counts against the limit for a round trip more than its second).
    rates = [platform.rate for platform in platforms if platform.rate is not None]
    rate = (min(rates) if rates else 30.0) * 0.95
    scheduler = ReminderScheduler(sessions, clock, settings.event, rate=rate)
    background: list[asyncio.Task[None]] = []
    try:
        for service in services:
            await service.start()
            started.append(service)
        background = [
            asyncio.create_task(worker.run(stopping)),
            asyncio.create_task(
                hold_scheduler_role(engine, stopping, scheduler.start, scheduler.stop)
            ),
        ]
        log.warning("coordbot is running; stop it with Ctrl-C or SIGTERM")
        await stopping.wait()
        log.warning("coordbot is stopping")
    finally:
        stopping.set()
        for outcome in await asyncio.gather(*background, return_exceptions=True):
            if isinstance(outcome, Exception):
                log.error("a background task failed", exc_info=outcome)
        for service in reversed(started):
            await service.stop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(number)
        await engine.dispose()
