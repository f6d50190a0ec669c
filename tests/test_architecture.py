"""The shape the project keeps: handlers know no platform, and commands are registered in one
place."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import JSON, Enum, String

from bot.models import Base
from bot.models.base import CleanJSON, CleanString
from bot.paths import ROOT
from handlers import build_router

PLATFORM_SDKS = ("telegram", "slack_bolt", "slack_sdk")


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_handlers_never_import_a_platform_sdk() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            module for module in _imported_modules(path) if module.split(".")[0] in PLATFORM_SDKS
        )
        for path in (ROOT / "handlers").rglob("*.py")
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}


def test_handlers_never_import_sqlalchemy() -> None:
    """Queries and the rules they encode live in the domain (bot/): a handler asks it for what
    a screen shows and passes `ctx.db` along, so a rule is written once and tested there."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            module for module in _imported_modules(path) if module.split(".")[0] == "sqlalchemy"
        )
        for path in (ROOT / "handlers").rglob("*.py")
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}


def test_only_adapters_import_a_platform_sdk() -> None:
    for path in (ROOT / "bot").rglob("*.py"):
        if path.parent.name == "platforms":
            continue
        sdks = [m for m in _imported_modules(path) if m.split(".")[0] in PLATFORM_SDKS]
        assert sdks == [], f"{path.relative_to(ROOT)} imports {sdks}"


def test_building_the_router_twice_gives_two_independent_routers() -> None:
    """No registry filled as a side effect of imports: build_router() is the one place."""
    first, second = build_router(), build_router()
    assert first is not second
    assert list(first.commands) == list(second.commands)
    assert {"start", "help", "language", "agenda", "next", "session"} <= set(first.commands)


def test_every_command_has_help_text() -> None:
    for command in build_router().commands.values():
        assert str(command.help).strip(), command.name


def test_every_text_a_model_stores_goes_through_the_cleaning_column_types() -> None:
    """A NUL byte or an over-long name from outside must not reach a column raw: PostgreSQL
    refuses such a row, and the mail or update that brought it would be tried forever."""
    raw = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, String | JSON) and not isinstance(column.type, Enum)
    ]
    assert raw == []
    cleaned = [
        column
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, CleanString | CleanJSON)
    ]
    assert len(cleaned) > 50


def _imported_names(path: Path) -> set[str]:
    """Modules imported, and each `from X import Y` also as `X.Y` (Y may be a module)."""
    names = _imported_modules(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_delivery_worker_delivers_and_the_domain_knows_no_worker() -> None:
    """When the routine runs (broadcasts' reports, survey reminders, expired codes) is the
    scheduler's business (`bot/app/bookkeeping.py`), not the delivery worker's."""
    routine = {
        "bot.app.bookkeeping",
        "bot.broadcasts",
        "bot.people.invitations",
        "bot.survey.store",
    }
    assert _imported_names(ROOT / "bot" / "delivery" / "worker.py") & routine == set()
    for domain in ("broadcasts.py", "people/invitations.py", "survey/store.py"):
        assert "bot.delivery.worker" not in _imported_names(ROOT / "bot" / domain), domain
