"""Alembic environment: runs migrations over the async engine the bot itself uses."""

import asyncio

from alembic import context
from sqlalchemy import TypeDecorator, text
from sqlalchemy.engine import Connection

from bot.db import create_engine
from bot.models import Base

target_metadata = Base.metadata

# PostgreSQL advisory lock taken for the migration's transaction: "cbmigrat" in ASCII. Not
# "coordbot", which is the scheduler role's session lock (bot.delivery.leader.LOCK_KEY): a
# process starting beside one that holds that role would wait for it to exit.
MIGRATION_LOCK = int.from_bytes(b"cbmigrat", "big")


def _render_item(kind: str, obj: object, _context: object) -> str | bool:
    """Write our own column types as the plain SQLAlchemy type they store, so that revisions
    never import the models (which change after the revision is written)."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run() -> None:
    engine = create_engine(context.config.attributes["database_url"], for_migrations=True)
    try:
        async with engine.connect() as connection:
            # Processes started together (replicas) each migrate: one at a time, and the next
            # finds the schema at head. The transaction begun here holds the lock, and Alembic,
            # finding it begun, commits once at the end rather than after each revision (as it
            # would on SQLite, letting another process in between).
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            else:
                await connection.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock
            await connection.run_sync(_migrate)
            if connection.dialect.name == "sqlite":
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
asyncio.run(_run())
