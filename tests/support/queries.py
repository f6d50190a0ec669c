"""Counting the SQL statements a piece of work sends (as Indico's `count_queries`): a screen
must cost a fixed few queries, never one per participant, round or seat."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class Statements:
    """The statements sent to the database while counting, in order."""

    sent: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.sent)


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[Statements]:
    """Record every statement the engine's connections execute inside the block (BEGIN
    IMMEDIATE on SQLite included: it is a round trip too)."""
    statements = Statements()

    def record(
        _connection: Any,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        statements.sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
