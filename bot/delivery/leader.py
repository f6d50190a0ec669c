"""Which process holds the scheduler role when several run against one PostgreSQL.

The role is a PostgreSQL session-level advisory lock held on a connection of its own: when the
holding process dies, its connection closes, the lock is released, and another process takes
it at its next try (every `retry` seconds). On SQLite there is one process, which holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# Any fixed 64-bit number, the same in every process of the deployment.
LOCK_KEY = 0x636F6F7264626F74  # "coordbot"


async def hold_scheduler_role(
    engine: AsyncEngine,
    stopping: asyncio.Event,
    on_acquire: Callable[[], Awaitable[None]],
    on_release: Callable[[], None],
    retry: float = 2.0,
) -> None:
    if engine.dialect.name != "postgresql":
        try:
            await on_acquire()
            await stopping.wait()
        except Exception:
            log.exception("the scheduler failed")
            raise
        finally:
            on_release()
        return
    while not stopping.is_set():
        try:
            async with engine.connect() as raw:
                connection = await raw.execution_options(isolation_level="AUTOCOMMIT")
                locked = await connection.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
                )
                if locked:
                    await on_acquire()
                    try:
                        while not stopping.is_set():  # keep the connection, and so the lock
                            await connection.scalar(text("SELECT 1"))
                            with contextlib.suppress(TimeoutError):
                                await asyncio.wait_for(stopping.wait(), retry)
                    finally:
                        on_release()
                        with contextlib.suppress(DBAPIError, OperationalError):
                            await connection.execute(
                                text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY}
                            )
        except (DBAPIError, OperationalError, OSError) as error:
            log.warning("scheduler role: database connection lost (%s); retrying", error)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), retry)
