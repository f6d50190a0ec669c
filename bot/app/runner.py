"""`coordbot run`: every configured platform in one process, until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import datetime, timedelta
from typing import Protocol

from bot.app import bookkeeping
from bot.app.scheduler import Scheduler
from bot.clock import SystemClock
from bot.config import MailSettings, Settings, SlackSettings, TelegramSettings
from bot.db import create_engine, session_factory, upgrade
from bot.delivery.leader import hold_scheduler_role
from bot.delivery.worker import Deliverer, DeliveryWorker
from bot.programme.meeting import current_event, meeting_clock
from bot.router import Dispatcher, forget_old_deliveries
from handlers import broadcast as broadcast_handlers
from handlers import build_notices, build_router

log = logging.getLogger(__name__)


class Platform(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class NothingToRun(Exception):
    pass


async def run(
    settings: Settings,
    telegram: TelegramSettings | None,
    slack: SlackSettings | None = None,
    at: datetime | None = None,
    mail: MailSettings | None = None,
) -> None:
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    async with sessions() as db:
        clock = meeting_clock(await current_event(db, settings.event), at)
        await forget_old_deliveries(db, SystemClock().now() - timedelta(days=2))
        await db.commit()
    router = build_router()
    dispatcher = Dispatcher(router, sessions, clock, settings.event)

    platforms: list[Platform] = []
    deliverers: dict[str, Deliverer] = {}
    if telegram is not None:
        from bot.platforms.telegram import PLATFORM, TelegramAdapter

        adapter = TelegramAdapter(telegram, dispatcher)
        platforms.append(adapter)
        deliverers[PLATFORM] = adapter
    if slack is not None:
        from bot.platforms import slack as slack_platform

        slack_adapter = slack_platform.SlackAdapter(slack, dispatcher)
        platforms.append(slack_adapter)
        deliverers[slack_platform.PLATFORM] = slack_adapter
    if not platforms:
        await engine.dispose()
        raise NothingToRun(
            "no chat platform is configured: set TELEGRAM_BOT_TOKEN (docs/telegram.md) or "
            "SLACK_BOT_TOKEN (docs/slack.md), or try the bot in the terminal with `coordbot chat`"
        )

    if mail is not None:  # mail in: after the chat platforms, which are what relays it
        from bot.mail.service import MailIntake, MailService

        platforms.append(MailService(MailIntake(sessions, clock, mail, settings.event)))

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stopping.set)
    started: list[Platform] = []
    worker = DeliveryWorker(
        sessions,
        clock,
        build_notices(),
        deliverers,
    )
    # Reminders start early enough to leave at the platform's rate, with a little to spare
    # (each message counts against the limit for a round trip more than its second).
    rate = (telegram.rate if telegram is not None else 30.0) * 0.95
    routine = bookkeeping.routine(sessions, clock, broadcast_handlers.progress, deliverers)
    scheduler = Scheduler(sessions, clock, settings.event, rate=rate, every=routine)
    background: list[asyncio.Task[None]] = []
    try:
        for platform in platforms:
            await platform.start()
            started.append(platform)
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
        await scheduler.stopped()
        for platform in reversed(started):
            await platform.stop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(number)
        await engine.dispose()
