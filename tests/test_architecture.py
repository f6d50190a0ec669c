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
    modules: set[str] = set()
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


# The layers, top to bottom; a module may import its own layer and those below, never above.
# `router` (the dispatcher: who writes, in which language, which handler) sits between the
# handlers and the domain; the kernel (messages, time, settings, database, the outbox and its
# worker, text, notices and buttons, the adapter contract) knows no subject.
LAYERS = ("entry", "platforms", "handlers", "router", "domain", "kernel", "models")
ENTRY_MODULES = ("bot.__main__", "bot.app")
KERNEL_MODULES = (
    "bot.buttons",
    "bot.chat",
    "bot.clock",
    "bot.config",
    "bot.db",
    "bot.delivery",
    "bot.inbox",
    "bot.logs",
    "bot.metrics",
    "bot.notice",
    "bot.paths",
    "bot.specfile",
    "bot.text",
    "bot.translation",
)
# Arrows known to run up (importer, imported module or package), each with the reason it is
# tolerated; a new one fails the test.
KNOWN_UPWARD = {
    # A platform's settings build its adapter, importing it (and its SDK) inside the factory,
    # only when the platform is configured.
    ("bot.platforms.telegram_settings", "bot.platforms.telegram"),
    ("bot.platforms.slack_settings", "bot.platforms.slack"),
    ("bot.platforms.whatsapp_settings", "bot.platforms.whatsapp"),
}


def _runtime_imports(path: Path) -> set[str]:
    """The modules `path` imports when it runs, lazy imports included; those under
    `if TYPE_CHECKING:` are only read by mypy."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            node.body = []
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from bot import broadcasts` imports the module bot.broadcasts.
            named = [f"{node.module}.{alias.name}" for alias in node.names]
            submodules = [name for name in named if _is_our_module(name)]
            modules.update(submodules or [node.module])
    return modules


def _is_our_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _layer(module: str) -> str:
    if _within(module, "handlers"):
        return "handlers"
    if any(_within(module, entry) for entry in ENTRY_MODULES):
        return "entry"
    if module == "bot.platforms" or (
        _within(module, "bot.platforms") and module.endswith("_settings")
    ):
        # The adapter contract, the platform table and each platform's settings load no SDK:
        # the delivery worker and /notify read them.
        return "kernel"
    if _within(module, "bot.platforms"):
        return "platforms"
    if _within(module, "bot.models"):
        return "models"
    if any(_within(module, m) for m in ("bot.router", "bot.context", "bot.dispatcher")):
        return "router"
    if any(_within(module, kernel) for kernel in KERNEL_MODULES):
        return "kernel"
    return "domain"


def _our_imports() -> list[tuple[str, str]]:
    """Every (importer, imported) pair between our own modules, lazy imports included."""
    return [
        (_module_name(path), module)
        for package in ("bot", "handlers")
        for path in (ROOT / package).rglob("*.py")
        for module in _runtime_imports(path)
        if module.split(".")[0] in ("bot", "handlers")
    ]


def test_no_import_runs_up_a_layer() -> None:
    """entry → platforms → handlers → router → domain → kernel → models: the domain knows no
    handler or platform, the kernel no subject, the models nothing of what uses them."""
    upward = sorted(
        f"{importer} ({_layer(importer)}) imports {imported} ({_layer(imported)})"
        for importer, imported in _our_imports()
        if LAYERS.index(_layer(imported)) < LAYERS.index(_layer(importer))
        and not any(
            importer == known and _within(imported, package) for known, package in KNOWN_UPWARD
        )
    )
    assert upward == []


def test_the_layer_check_sees_the_imports_that_matter() -> None:
    """The check above would pass on an empty graph: it must see handlers using the domain,
    adapters using handlers through the router, and the domain using the models."""
    arrows = {(_layer(importer), _layer(imported)) for importer, imported in _our_imports()}
    assert {
        ("handlers", "domain"),
        ("handlers", "router"),
        ("router", "domain"),
        ("domain", "kernel"),
        ("kernel", "models"),
        ("domain", "models"),
        ("entry", "platforms"),
    } <= arrows
    assert _layer("handlers.tables") == "handlers"
    assert _layer("bot.platforms.telegram") == "platforms"
    assert _layer("bot.models.people") == "models"
    assert _layer("bot.app.cli") == "entry"
    assert _layer("bot.delivery.outbox") == "kernel"
    assert _layer("bot.tables.seating") == "domain"


def test_models_import_only_models() -> None:
    offenders = sorted(
        f"{importer} imports {imported}"
        for importer, imported in _our_imports()
        if _layer(importer) == "models" and _layer(imported) != "models"
    )
    assert offenders == []


def test_the_router_is_built_only_by_build_router() -> None:
    """No registry filled as a side effect of imports: no module of `handlers/` registers a
    command at import time, so `build_router()` is the one place that lists them."""
    registering = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "handlers").rglob("*.py")
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Expr | ast.Assign)
        and any(
            isinstance(call, ast.Call) and "router" in ast.unparse(call.func).lower()
            for call in ast.walk(node)
        )
    )
    assert registering == []
    assert {"start", "help", "language", "agenda", "next", "session"} <= set(
        build_router().commands
    )


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
