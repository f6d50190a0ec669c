"""The demo meeting the tests run against: its programme file, its time zone, its checked spec.

Test modules import these from here, not from `tests.conftest`: conftest is pytest's to load,
and importing it as a module runs it a second time under another name.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from bot.paths import EVENTS
from bot.programme.check import check_file
from bot.programme.spec import ProgrammeSpec

DEMO_FILE = EVENTS / "puerto-vallarta-2017.yaml"
DEMO_PEOPLE_FILE = EVENTS / "puerto-vallarta-2017-participants.csv"
MEETING_ZONE = ZoneInfo("America/Mexico_City")


@cache
def demo_spec() -> ProgrammeSpec:
    """The demo programme, checked once per test run."""
    spec, problems = check_file(DEMO_FILE)
    assert spec is not None, problems
    return spec
