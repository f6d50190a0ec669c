"""Database engines and sessions, for SQLite (the default) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.paths import MIGRATIONS

SessionFactory = async_sessionmaker[AsyncSession]


def insert_once(db: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` in the database's own dialect, which has `on_conflict_do_nothing`:
    a row both databases refuse to keep twice (a vote, an answer) is written once whoever races."""
    dialect = db.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def normalise_url(url: str | URL) -> URL:
    """Accept the URLs people write and pick the async driver we ship.

    `postgresql://…` and `postgres://…` mean psycopg 3; `sqlite:///file` means aiosqlite.
    """
    parsed = make_url(url) if isinstance(url, str) else url
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    raise ValueError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")


def _sqlite_connect(dbapi_connection: Any, _record: Any, foreign_keys: bool = True) -> None:
    # The sqlite3 module opens transactions lazily and breaks SAVEPOINT; let SQLAlchemy emit
    # BEGIN itself (the recipe of SQLAlchemy's SQLite dialect documentation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock at the start, so concurrent transactions queue for it
    # (busy_timeout) instead of failing when a read turns into a write (SQLITE_BUSY_SNAPSHOT).
    # SQLite writes one transaction at a time anyway; this makes them wait their turn.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str | URL, *, for_migrations: bool = False, **kwargs: Any) -> AsyncEngine:
    """An engine for the bot, or (`for_migrations`) one for Alembic: on SQLite, migrations copy
    tables to alter them, and dropping the old copy would cascade into every table that refers
    to it were foreign keys enforced; they are checked once the migration is done instead."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "postgresql":
        # Enough kept connections for the delivery worker's concurrent messages and the chats
        # served at the same time: opening a connection costs more than the message.
        kwargs.setdefault("pool_size", 24)
        kwargs.setdefault("max_overflow", 16)
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(
            engine.sync_engine,
            "connect",
            lambda connection, record: _sqlite_connect(
                connection, record, foreign_keys=not for_migrations
            ),
        )
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str | URL) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    # Dated file names keep revisions in the order they were written.
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["database_url"] = normalise_url(url)
    return config


def _run_alembic(url: str | URL, action: str, revision: str) -> None:
    getattr(command, action)(alembic_config(url), revision)


async def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database to `revision` (Alembic runs its own event loop in a thread)."""
    await asyncio.to_thread(_run_alembic, url, "upgrade", revision)


async def downgrade(url: str | URL, revision: str = "base") -> None:
    await asyncio.to_thread(_run_alembic, url, "downgrade", revision)
