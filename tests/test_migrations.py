"""Migrations: up to head and back down to base, and the models match what they build."""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.db import create_engine, downgrade, upgrade
from bot.models import Base
from bot.paths import MIGRATIONS

REVISIONS = sorted((MIGRATIONS / "versions").glob("*.py"))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_to_head_matches_the_models_and_downgrade_removes_everything(
    empty_database: str,
) -> None:
    await upgrade(empty_database)
    engine = create_engine(empty_database)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == set(Base.metadata.tables) | {
                "alembic_version"
            }
            assert await connection.run_sync(_differences) == []
        await downgrade(empty_database, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) <= {"alembic_version"}
        await upgrade(empty_database)  # and the way up works again after the way down
    finally:
        await engine.dispose()


def _schema(connection: Connection) -> dict[str, object]:
    """Every table with its columns, indexes, unique and foreign keys, as the database has them."""
    inspector = inspect(connection)
    return {
        table: (
            sorted(
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ),
            sorted(str(sorted(_index(i).items())) for i in inspector.get_indexes(table)),
            sorted(str(sorted(u.items())) for u in inspector.get_unique_constraints(table)),
            sorted(str(sorted(f.items())) for f in inspector.get_foreign_keys(table)),
        )
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


def _index(index: Any) -> dict[str, object]:
    """An index as comparable text: a partial index's condition by its SQL, not its object."""
    options = {name: str(value) for name, value in index.get("dialect_options", {}).items()}
    return {**index, "dialect_options": options}


async def test_each_revision_goes_down_to_exactly_the_schema_it_came_up_from(
    empty_database: str,
) -> None:
    """Step by step, base to head: each downgrade restores the previous schema, and the
    upgrade after it builds the same schema again (pytest-alembic's up/down consistency)."""
    ids = [f"{n:04d}" for n in range(1, len(REVISIONS) + 1)]
    engine = create_engine(empty_database)

    async def schema() -> dict[str, object]:
        async with engine.connect() as connection:
            return await connection.run_sync(_schema)

    try:
        before = await schema()
        for revision in ids:
            await upgrade(empty_database, revision)
            after = await schema()
            await downgrade(empty_database, "-1")
            assert await schema() == before, f"downgrade of {revision}"
            await upgrade(empty_database, revision)
            assert await schema() == after, f"upgrade of {revision} after its downgrade"
            before = after
    finally:
        await engine.dispose()


@pytest.mark.parametrize("revision", REVISIONS, ids=lambda path: path.stem)
def test_every_revision_has_a_title_and_a_real_downgrade(revision: Path) -> None:
    module = ast.parse(revision.read_text(encoding="utf-8"))
    docstring = ast.get_docstring(module)
    assert docstring and docstring.splitlines()[0].strip(), "a revision needs a docstring title"
    functions = {node.name: node for node in module.body if isinstance(node, ast.FunctionDef)}
    body = functions["downgrade"].body
    assert not (len(body) == 1 and isinstance(body[0], ast.Pass)), "downgrade() must undo upgrade()"


SEED_AT_0003 = [
    "INSERT INTO events (id, key, name, timezone, languages, default_language, loaded_at) "
    "VALUES (1, 'e', '{\"en\": \"E\"}', 'UTC', '[\"en\"]', 'en', '2017-12-01 00:00:00')",
    "INSERT INTO sessions (id, event_id, key, title, description, starts_at, ends_at, kind, "
    "audience, interpretation) VALUES (1, 1, 's', '{\"en\": \"S\"}', '{}', "
    "'2017-12-03 10:30:00', '2017-12-03 12:30:00', 'small_tables', 'everyone', '[]')",
    "INSERT INTO table_rounds (id, event_id, key, session_id, title, audience) "
    "VALUES (1, 1, 'r', 1, '{\"en\": \"R\"}', 'everyone')",
    'INSERT INTO act_tables (id, round_id, act, title) VALUES (1, 1, 3, \'{"en": "P"}\')',
    "INSERT INTO table_capacities (table_id, seat_role, seats) VALUES (1, 'government', 6)",
    "INSERT INTO participants (id, event_id, name, role, created_at) "
    "VALUES (1, 1, 'Minister', 'government', '2017-12-01 00:00:00')",
    "INSERT INTO table_memberships (id, participant_id, table_id, round_id, status, position, "
    "created_at) VALUES (1, 1, 1, 1, 'seated', 'member', '2017-12-01 00:00:00')",
]


async def test_upgrading_keeps_the_data_and_fills_new_columns(empty_database: str) -> None:
    """Altering a table must not lose the rows that refer to it (SQLite copies tables)."""
    await upgrade(empty_database, "0003")
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            for statement in SEED_AT_0003:
                await connection.exec_driver_sql(statement)
        await upgrade(empty_database)
        async with engine.connect() as connection:
            capacities = await connection.exec_driver_sql("SELECT seats FROM table_capacities")
            assert capacities.scalars().all() == [6]
            seats = await connection.exec_driver_sql("SELECT seat_role FROM table_memberships")
            assert seats.scalars().all() == ["government"]
            closed = await connection.exec_driver_sql("SELECT closed FROM act_tables")
            assert [bool(value) for value in closed.scalars()] == [False]
    finally:
        await engine.dispose()


SEED_AT_0009 = [
    SEED_AT_0003[0],
    "INSERT INTO participants (id, event_id, name, organisation, role, created_at) VALUES "
    "(1, 1, 'Ana Ferreira', 'PICUM', 'civil_society', '2017-12-01 00:00:00'), "
    "(2, 1, 'Luis', NULL, 'civil_society', '2017-12-01 00:00:00')",
    "INSERT INTO chat_identities (id, platform, external_id, participant_id, reachable, "
    "locked_until, created_at, last_seen_at) VALUES "
    "(1, 'telegram', '501', 1, TRUE, NULL, '2017-12-01 09:00:00', '2017-12-01 09:00:00'), "
    "(2, 'slack', 'U9', NULL, TRUE, '2099-01-01 00:00:00', '2017-12-01 09:00:00', "
    "'2017-12-01 09:00:00')",
    "INSERT INTO outbox (id, key, participant_id, kind, payload, status, attempts, not_before, "
    'created_at) VALUES (1, \'group-post:x:2\', 2, \'group_post\', \'{"group": {"en": "G"}, '
    '"author": "Ana Ferreira", "organisation": "PICUM", "text": "Hi"}\', \'pending\', 0, '
    "'2017-12-01 09:00:00', '2017-12-01 09:00:00')",
]


async def test_0011_marks_used_invitations_keeps_lock_outs_and_names_no_author(
    empty_database: str,
) -> None:
    await upgrade(empty_database, "0009")
    engine = create_engine(empty_database)

    async def one(sql: str) -> object:
        async with engine.connect() as connection:
            return (await connection.exec_driver_sql(sql)).scalar_one()

    def payload(value: object) -> dict[str, object]:
        return dict(json.loads(value) if isinstance(value, str) else value)  # type: ignore[arg-type]

    try:
        async with engine.begin() as connection:
            for statement in SEED_AT_0009:
                await connection.exec_driver_sql(statement)
        await upgrade(empty_database)
        assert await one("SELECT count(*) FROM participants WHERE invitation_used_at IS NOT NULL")
        assert await one("SELECT invitation_used_at FROM participants WHERE id = 2") is None
        key = hashlib.sha256(b"slack:U9").hexdigest()
        assert await one(f"SELECT count(*) FROM invitation_lockouts WHERE account_key = '{key}'")
        post = payload(await one("SELECT payload FROM outbox"))
        assert post["author_id"] == 1 and "Ana" not in json.dumps(post) and post["text"] == "Hi"

        await downgrade(empty_database, "0009")
        post = payload(await one("SELECT payload FROM outbox"))
        assert (post["author"], post["organisation"]) == ("Ana Ferreira", "PICUM")
        assert await one("SELECT locked_until FROM chat_identities WHERE id = 2") is not None
    finally:
        await engine.dispose()
