"""Fixtures: every database test runs on SQLite and on PostgreSQL, each on a fresh schema."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import SimulatedClock
from bot.config import MailSettings
from bot.db import SessionFactory, create_engine, session_factory, upgrade
from bot.dispatcher import Dispatcher
from bot.mail.service import MailService
from bot.models import Event
from bot.platforms.slack import SlackAdapter
from bot.platforms.telegram import TelegramAdapter
from bot.platforms.telegram_settings import TelegramSettings
from bot.platforms.whatsapp import WhatsAppAdapter
from bot.platforms.whatsapp_settings import TEMPLATES_FILE
from bot.platforms.whatsapp_templates import load as load_templates
from bot.programme.load import load_programme
from bot.programme.meeting import current_event
from handlers import build_router
from tests.support.chat import ChatUser
from tests.support.databases import (
    copy_sqlite,
    create_postgres_database,
    drop_postgres_database,
    empty_all_tables,
    postgres_unreachable_reason,
)
from tests.support.demo import MEETING_ZONE, demo_spec
from tests.support.fake_slack import FakeSlack, serving_slack
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.fake_translation import FakeDeepL, FakeLibreTranslate
from tests.support.fake_whatsapp import FakeWhatsApp, serving_whatsapp
from tests.support.mail import SETTINGS as MAIL_SETTINGS
from tests.support.mail import serving
from tests.support.queries import Statements, counting

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    reason = postgres_unreachable_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(reason)
    url = create_postgres_database()
    try:
        asyncio.run(upgrade(url))
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, on each backend (a migration's, an upgrade's start)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    request.getfixturevalue("postgres_url")  # skips or fails when PostgreSQL is unreachable
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture
async def database(postgres_url: str) -> AsyncIterator[str]:
    """A PostgreSQL database of its own, upgraded, for tests of real `coordbot run`
    processes (they connect by URL); dropped after."""
    url = create_postgres_database()
    try:
        await upgrade(url)
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "coordbot.sqlite3"
    asyncio.run(upgrade(f"sqlite:///{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        return copy_sqlite(template, tmp_path / "coordbot.sqlite3")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        if engine.dialect.name == "postgresql":
            await empty_all_tables(engine)
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return session_factory(engine)


@pytest.fixture
def clock() -> SimulatedClock:
    """The meeting's first morning, 08:10 in Puerto Vallarta."""
    return SimulatedClock(datetime(2017, 12, 2, 8, 10, tzinfo=MEETING_ZONE))


@pytest.fixture
async def demo_event(sessions: SessionFactory, clock: SimulatedClock) -> Event:
    async with sessions() as db:
        await load_programme(db, demo_spec(), clock.now())
        await db.commit()
        event = await current_event(db)
        assert event is not None
        return event


@pytest.fixture
def dispatcher(sessions: SessionFactory, clock: SimulatedClock) -> Dispatcher:
    return Dispatcher(build_router(), sessions, clock)


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram Bot API server on a free local port."""
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """A fake Slack Web API server on a free local port."""
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def fake_whatsapp(clock: SimulatedClock) -> AsyncIterator[FakeWhatsApp]:
    """A fake WhatsApp Cloud API on the tests' clock (its 24-hour window), with the shipped
    templates approved and a pair interval short enough that tests do not wait 6 seconds."""
    server = FakeWhatsApp(
        clock=clock.now, templates=load_templates(TEMPLATES_FILE), pair_interval=0.2
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def whatsapp(
    fake_whatsapp: FakeWhatsApp, dispatcher: Dispatcher, demo_event: Event
) -> AsyncIterator[WhatsAppAdapter]:
    """The WhatsApp adapter serving its webhook, against `fake_whatsapp`."""
    async with serving_whatsapp(fake_whatsapp, dispatcher) as adapter:
        yield adapter


@pytest.fixture
async def fake_libretranslate() -> AsyncIterator[FakeLibreTranslate]:
    """A fake LibreTranslate server on a free local port (tests/support/fake_translation.py)."""
    server = FakeLibreTranslate()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def fake_deepl() -> AsyncIterator[FakeDeepL]:
    """A fake DeepL API server on a free local port."""
    server = FakeDeepL()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def chat(dispatcher: Dispatcher) -> ChatUser:
    return ChatUser(dispatcher)


@pytest.fixture
async def telegram(
    fake_telegram: FakeTelegram, dispatcher: Dispatcher, demo_event: Event
) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(TelegramSettings(token=TOKEN, api_url=fake_telegram.url), dispatcher)
    await adapter.start()
    yield adapter
    await adapter.stop()


@pytest.fixture
async def slack(
    fake_slack: FakeSlack, dispatcher: Dispatcher, demo_event: Event
) -> AsyncIterator[SlackAdapter]:
    fake_slack.add_user("U123", "Lucía Pérez", locale="es-ES")
    fake_slack.add_user("U456", "Amadou Diallo", locale="fr-FR")
    async with serving_slack(fake_slack, dispatcher) as adapter:
        yield adapter


@pytest.fixture
def mail_settings() -> MailSettings:
    """The list settings of the `receiver`; a test module overrides them to try others."""
    return MAIL_SETTINGS


@pytest.fixture
async def receiver(
    dispatcher: Dispatcher, mail_settings: MailSettings
) -> AsyncIterator[MailService]:
    async with serving(dispatcher, mail_settings) as service:
        yield service


@pytest.fixture
def count_queries(engine: AsyncEngine) -> Callable[[], AbstractContextManager[Statements]]:
    """`with count_queries() as queries: …` then `queries.count`: the SQL statements sent."""
    return lambda: counting(engine)
