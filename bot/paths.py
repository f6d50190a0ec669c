"""Where the project's own data lives (catalogs, migrations, demo files): inside the installed
package, where the wheel puts them (pyproject.toml, force-include), else beside the package in a
checkout (an editable install)."""

from importlib.resources import files
from pathlib import Path

PACKAGE = Path(str(files("bot")))
ROOT = PACKAGE.parent  # the checkout, when running from one


def _data(in_package: str, in_checkout: str) -> Path:
    packaged = PACKAGE / in_package
    return packaged if packaged.is_dir() else ROOT / in_checkout


LOCALES = _data("locales", "locales")
MIGRATIONS = _data("migrations", "migrations")
EVENTS = _data("demo", "events")  # the demo meeting: `coordbot demo path`
