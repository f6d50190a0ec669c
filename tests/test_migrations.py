"""Migrations: up to head and back down to base, and the models match what they build."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.db import create_engine, downgrade, upgrade
from bot.models import Base
from bot.paths import MIGRATIONS
from tests.support.databases import create_postgres_database, drop_postgres_database

REVISIONS = sorted((MIGRATIONS / "versions").glob("*.py"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    request.getfixturevalue("postgres_url")  # skips or fails when PostgreSQL is unreachable
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


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


@pytest.mark.parametrize("revision", REVISIONS, ids=lambda path: path.stem)
def test_every_revision_has_a_title_and_a_real_downgrade(revision: Path) -> None:
    module = ast.parse(revision.read_text(encoding="utf-8"))
    docstring = ast.get_docstring(module)
    assert docstring and docstring.splitlines()[0].strip(), "a revision needs a docstring title"
    functions = {node.name: node for node in module.body if isinstance(node, ast.FunctionDef)}
    body = functions["downgrade"].body
    assert not (len(body) == 1 and isinstance(body[0], ast.Pass)), "downgrade() must undo upgrade()"
