"""Several processes starting at once (compose's replicas) each migrate the database: the
upgrades queue behind one another instead of colliding."""

from __future__ import annotations

import asyncio
import os
import sys

from sqlalchemy import text

from bot.db import create_engine
from bot.delivery.leader import LOCK_KEY, role_key


async def _coordbot_upgrade(url: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "db",
        "upgrade",
        env={**os.environ, "COORDBOT_DATABASE_URL": url, "LANG": "C.UTF-8"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    return await process.wait(), stderr.decode()


async def test_three_upgrades_at_once_build_the_schema_once(empty_database: str) -> None:
    """Three processes, as Alembic is not made for threads of one process."""
    results = await asyncio.gather(*(_coordbot_upgrade(empty_database) for _ in range(3)))

    assert [code for code, _ in results] == [0, 0, 0], [stderr for _, stderr in results]

    engine = create_engine(empty_database)
    try:
        async with engine.connect() as connection:
            versions = (await connection.execute(text("SELECT * FROM alembic_version"))).all()
            events = (await connection.execute(text("SELECT count(*) FROM events"))).scalar()
    finally:
        await engine.dispose()
    assert len(versions) == 1
    assert events == 0


async def test_an_upgrade_does_not_wait_for_the_process_that_holds_the_scheduler_role(
    database: str,
) -> None:
    """A replica starting beside a running one migrates at once: the migration's lock is not
    one the running process holds for its roles (they were the same key, and the second
    process waited until the first exited)."""
    engine = create_engine(database)
    try:
        async with engine.connect() as holder:
            for key in [LOCK_KEY, role_key("whatsapp:x"), role_key("telegram:y")]:
                assert await holder.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
            code, stderr = await asyncio.wait_for(_coordbot_upgrade(database), 60)
            assert code == 0, stderr
    finally:
        await engine.dispose()
