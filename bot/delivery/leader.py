"""Roles that exactly one process holds when several run against one PostgreSQL: the scheduler,
and per platform the one that receives and sends (docs/delivery.md).

A role is a PostgreSQL session-level advisory lock held on a connection of its own: when the
holding process dies, its connection closes, the lock is released, and another process takes
it at its next try (every `retry` seconds). On SQLite there is one process, which holds every
role.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# Any fixed 64-bit number, the same in every process of the deployment.
LOCK_KEY = 0x636F6F7264626F74  # "coordbot"


class RoleRecord(Protocol):
    """Where a process records the roles it holds (bot.app.roles.Roles)."""

    def took(self, name: str) -> None: ...
    def lost(self, name: str) -> None: ...


def role_key(identity: str) -> int:
    """An advisory lock key for a role, the same in every process: a signed 64-bit number
    derived from `identity` (say "telegram:123456", the bot's id; never logged)."""
    digest = hashlib.sha256(f"coordbot:{identity}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def hold_role(
    engine: AsyncEngine,
    key: int,
    name: str,
    roles: RoleRecord,
    stopping: asyncio.Event,
    on_acquire: Callable[[], Awaitable[None]],
    on_release: Callable[[], Awaitable[None]],
    retry: float = 2.0,
) -> None:
    """Hold the role `name` (lock `key`) whenever this process can, until `stopping`: take it
    (record it, then `on_acquire`), keep it while the connection lives, and give it back
    (`on_release`, then record it) when stopping or when the connection is lost."""

    async def acquire() -> None:
        roles.took(name)
        await on_acquire()

    async def release() -> None:
        try:
            await on_release()
        finally:
            roles.lost(name)

    if engine.dialect.name != "postgresql":
        try:
            await acquire()
            await stopping.wait()
        except Exception:
            log.exception("the %s role failed", name)
            raise
        finally:
            await release()
        return
    while not stopping.is_set():
        try:
            async with engine.connect() as raw:
                connection = await raw.execution_options(isolation_level="AUTOCOMMIT")
                locked = await connection.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
                )
                if locked:
                    try:
                        await acquire()
                        while not stopping.is_set():  # keep the connection, and so the lock
                            await connection.scalar(text("SELECT 1"))
                            with contextlib.suppress(TimeoutError):
                                await asyncio.wait_for(stopping.wait(), retry)
                    finally:
                        await release()
                        with contextlib.suppress(DBAPIError, OperationalError):
                            await connection.execute(
                                text("SELECT pg_advisory_unlock(:key)"), {"key": key}
                            )
        except (DBAPIError, OperationalError, OSError) as error:
            log.warning("%s role: database connection lost (%s); retrying", name, error)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), retry)
