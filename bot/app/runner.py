"""The composition root: `coordbot run` (every configured platform in one process, until SIGTERM
or SIGINT) and `coordbot chat` (the console), each wiring the router, dispatcher, delivery worker
and adapters together."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.app import bookkeeping
from bot.app.calendar_feed import CalendarFeed, CalendarSettings
from bot.app.health import HealthServer, HealthSettings
from bot.app.platform_roles import hold_platform_roles, open_platform
from bot.app.roles import SCHEDULER, Roles
from bot.app.scheduler import Scheduler
from bot.chat import Sender
from bot.clock import Clock, SystemClock
from bot.config import MailSettings, Settings
from bot.db import SessionFactory, create_engine, session_factory, upgrade
from bot.delivery.leader import LOCK_KEY, hold_role
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher, forget_old_deliveries
from bot.paid_broadcasts import PaidBroadcasts
from bot.people import participants
from bot.platforms import Adapter, AdapterFactory, Deliverer
from bot.platforms.console import ConsoleChat
from bot.programme.meeting import current_event, meeting_clock
from bot.translation.provider import Translator
from bot.translation.reading import DEFAULT_DEADLINE, Translating
from handlers import broadcast as broadcast_handlers
from handlers import build_notices, build_router

log = logging.getLogger(__name__)


class Service(Protocol):
    """Started with the process and stopped with it: an adapter, the mail intake."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class NothingToRun(Exception):
    pass


def delivery_worker(
    sessions: SessionFactory,
    clock: Clock,
    deliverers: Mapping[str, Deliverer],
    translating: Translating | None = None,
) -> DeliveryWorker:
    """The worker that sends what the bot queued, through these adapters (waiting up to a
    deadline for what people wrote to be translated, when a provider is set)."""
    return DeliveryWorker(sessions, clock, build_notices(), deliverers, translating=translating)


def scheduler(
    sessions: SessionFactory,
    clock: Clock,
    adapters: Mapping[str, Deliverer],
    event_key: str | None = None,
    rate: float = 30.0,
    translator: Translator | None = None,
) -> Scheduler:
    """Session reminders and the routine (broadcasts' reports and progress, survey reminders,
    expired codes, translations), run by the process that holds the scheduler role."""
    routine = bookkeeping.routine(
        sessions, clock, broadcast_handlers.progress, adapters, translator
    )
    return Scheduler(sessions, clock, event_key, rate=rate, every=routine)


async def run(
    settings: Settings,
    adapters: Sequence[AdapterFactory],
    at: datetime | None = None,
    mail: MailSettings | None = None,
    translator: Translator | None = None,
    translation_deadline: timedelta = DEFAULT_DEADLINE,
    paid_broadcasts: PaidBroadcasts | None = None,
    health: HealthSettings | None = None,
    calendar: CalendarSettings | None = None,
) -> None:
    """Serve the platforms `adapters` builds (read from the platform table by the caller, so
    that settings are checked before anything starts). With a `translator` (tcore's
    `build_translator(settings)`), what people write is translated before it leaves, waiting
    at most `translation_deadline`; without one, it leaves as written."""
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    async with sessions() as db:
        clock = meeting_clock(await current_event(db, settings.event), at)
        await forget_old_deliveries(db, SystemClock().now() - timedelta(days=2))
        await db.commit()
    router = build_router()
    provider = translator.name if translator is not None else None
    translating = Translating(provider, translation_deadline) if provider is not None else None
    dispatcher = Dispatcher(
        router,
        sessions,
        clock,
        settings.event,
        translation_provider=provider,
        paid_broadcasts=paid_broadcasts,
        calendar_url=calendar.public_url if calendar is not None else None,
    )

    platforms = [build(dispatcher) for build in adapters]
    if not platforms:
        await engine.dispose()
        raise NothingToRun(
            "no chat platform is configured: set TELEGRAM_BOT_TOKEN (docs/telegram.md), "
            "SLACK_BOT_TOKEN (docs/slack.md) or WHATSAPP_ACCESS_TOKEN (docs/whatsapp.md), or try "
            "the bot in the terminal with `coordbot chat`"
        )
    services: list[Service] = list(platforms)
    if mail is not None:  # mail in: after the chat platforms, which are what relays it
        from bot.mail.service import MailIntake, MailService

        intake = MailIntake(sessions, clock, mail, settings.event, translation_provider=provider)
        services.append(MailService(intake))

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stopping.set)
    started: list[Service] = []
    # The worker sends through the platforms whose role this process holds (all of them on
    # SQLite, or for the one process holding them on PostgreSQL): one pace per bot.
    serving: dict[str, Deliverer] = {}
    worker = delivery_worker(sessions, clock, serving, translating)
    # Reminders start early enough to leave at the platforms' rate, with a little to spare
    # (each message counts against the limit for a round trip more than its second).
    rates = [platform.rate for platform in platforms if platform.rate is not None]
    rate = (min(rates) if rates else 30.0) * 0.95
    # Progress messages are edited by the process serving their platform (`show_progress`),
    # not by the scheduler's holder: an edit counts against the bot's limit too.
    planner = scheduler(sessions, clock, {}, settings.event, rate, translator)
    roles = Roles()
    # The feeds /calendar subscribes phones to: only where a public address leads to them.
    if calendar is not None and calendar.public_url is not None and calendar.port:
        services.insert(0, CalendarFeed(calendar, engine))
    if health is not None:  # /healthz and /metrics (bot/app/health.py)
        services.insert(0, HealthServer(health, engine, clock, roles))

    async def leave_scheduler_role() -> None:
        planner.stop()

    background: list[asyncio.Task[None]] = []
    try:
        for service in services:
            if service in platforms:
                await open_platform(platforms[platforms.index(service)])
            else:
                await service.start()
            started.append(service)
        background = [
            asyncio.create_task(worker.run(stopping)),
            asyncio.create_task(
                hold_role(
                    engine,
                    LOCK_KEY,
                    SCHEDULER,
                    roles,
                    stopping,
                    planner.start,
                    leave_scheduler_role,
                )
            ),
            asyncio.create_task(hold_platform_roles(engine, platforms, roles, stopping, serving)),
            asyncio.create_task(
                bookkeeping.show_progress(
                    sessions,
                    clock,
                    broadcast_handlers.progress,
                    serving,
                    stopping,
                    translator.name if translator is not None else None,
                )
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
        await planner.stopped()  # no routine run left holding a connection
        for service in reversed(started):
            await service.stop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(number)
        await engine.dispose()


async def run_console(
    settings: Settings,
    *,
    language: str | None,
    who: str | None,
    at: datetime | None,
    translator: Translator | None = None,
    translation_deadline: timedelta = DEFAULT_DEADLINE,
) -> None:
    """`coordbot chat`: the console as a guest, or as the participant `who` names (raises
    LookupError when nobody matches); with a `translator`, what people write is translated as
    `run` translates it."""
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    try:
        await upgrade(settings.database_url)
        external_id, name = "guest", None
        async with sessions() as db:
            event = await current_event(db, settings.event)
            clock = meeting_clock(event, at)
            if who and who.strip().lower() != "guest":
                if event is None:
                    raise LookupError("load a programme first: coordbot programme load FILE")
                participant = await participants.chat_as(db, event, who, clock.now())
                await db.flush()
                external_id, name = f"participant-{participant.id}", participant.name
                identity = await participants.identity_for(
                    db, ConsoleChat.name, Sender(external_id, name, language), clock.now()
                )
                participants.link(identity, participant)
            await db.commit()
        provider = translator.name if translator is not None else None
        translating = Translating(provider, translation_deadline) if provider else None
        dispatcher = Dispatcher(
            build_router(), sessions, clock, settings.event, translation_provider=provider
        )
        console = ConsoleChat(dispatcher, Sender(external_id, name, language))
        adapters: dict[str, Adapter] = {console.name: console}  # an adapter like the others
        worker = delivery_worker(sessions, clock, adapters, translating)
        # Stepped after each line, never started.
        routine = scheduler(sessions, clock, adapters, settings.event, translator=translator)

        async def after_each_line() -> None:
            """What the bot sends on its own after a line: the routine first (what it queues,
            such as survey reminders, leaves now), and once more after sending (a broadcast
            just finished: its progress message shows the end)."""
            await routine.run_every_once()
            if await worker.deliver_due():
                await routine.run_every_once()

        await console.run(after_each_line=after_each_line)
    finally:
        await engine.dispose()
