"""Where the project's own data lives (catalogs, migrations, bundled events)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
MIGRATIONS = ROOT / "migrations"
EVENTS = ROOT / "events"
