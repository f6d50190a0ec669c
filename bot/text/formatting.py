"""Dates, times, durations and lists as the reader's locale writes them (CLDR data via Babel)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_time,
    format_timedelta,
)
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent

from bot.text.i18n import _, current_language


def _uses_12_hour_clock(language: str) -> bool:
    return "h" in Locale.parse(language).time_formats["short"].pattern


def day(value: date) -> str:
    """`Saturday, December 2, 2017` / `samedi 2 décembre 2017` / `sábado, 2 de diciembre…`."""
    language = current_language()
    if language == "fr" and value.day == 1:
        # French writes the first of a month as an ordinal, which CLDR leaves out: `1er décembre`.
        pattern = Locale.parse(language).date_formats["full"].pattern.replace("d ", "d'er' ", 1)
        return str(format_date(value, pattern, locale=language))
    return str(format_date(value, "full", locale=language))


def short_day(value: date) -> str:
    """`Sat, Dec 2` / `sam. 2 déc.` / `sáb, 2 de dic` — for buttons."""
    return str(format_skeleton("MMMEd", value, locale=current_language()))


def day_span(first: date, last: date) -> str:
    """`December 4 – 6` / `4–6 décembre` / `4–6 de diciembre`."""
    return str(format_interval(first, last, "MMMMd", locale=current_language()))


def time_of_day(value: datetime, zone: ZoneInfo) -> str:
    return str(format_time(value, "short", tzinfo=zone, locale=current_language()))


def time_range(start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
    """`8:30 – 9:50 AM` / `08:30 – 09:50` / `8:30–9:50`, in the event's time zone; `from 6:00 PM`
    for a session whose end the programme does not give."""
    return _time_range(start, end, zone, current_language())


# Every /agenda writes the times of its sessions again; the programme has few, and Babel takes
# a while for each (a few per cent of the CPU of an /agenda).
@lru_cache(maxsize=4096)
def _time_range(start: datetime, end: datetime | None, zone: ZoneInfo, language: str) -> str:
    if end is None:
        return _("from {time}").format(time=time_of_day(start, zone))
    skeleton = "hm" if _uses_12_hour_clock(language) else "Hm"
    return str(format_interval(start, end, skeleton, tzinfo=zone, locale=language))


def moment(value: datetime, zone: ZoneInfo) -> str:
    """`Sun, Dec 3, 2017, 10:12 AM` / `dim. 3 déc. 2017, 10:12` / `dom, 3 dic 2017, 10:12`."""
    local_day = format_skeleton("yMMMEd", value, tzinfo=zone, locale=current_language())
    return f"{local_day}, {time_of_day(value, zone)}"


def size(count: int) -> str:
    """A file's size: `850 KB`, `2.9 MB` / `2,9 Mo` (units as the reader's language writes)."""
    if count < 1_000_000:
        return _("{size} KB").format(size=number(max(1, round(count / 1000))))
    return _("{size} MB").format(size=decimal(count / 1_000_000))


def relative(delta: timedelta) -> str:
    """`in 20 minutes` / `dans 20 minutes` / `dentro de 20 minutos`."""
    return str(
        format_timedelta(delta, add_direction=True, threshold=1.5, locale=current_language())
    )


def duration(delta: timedelta) -> str:
    """`5 minutes` / `5 minutes` / `5 minutos`: how long, rounded as people say it."""
    return str(format_timedelta(delta, threshold=1.5, locale=current_language()))


def number(value: int) -> str:
    """`1,200` / `1 200` / `1200` as the reader's locale writes numbers."""
    return str(format_decimal(value, locale=current_language()))


def decimal(value: float, digits: int = 1) -> str:
    """`3.7` in English, `3,7` in French and Spanish."""
    return str(format_decimal(round(value, digits), locale=current_language()))


def share(count: int, total: int) -> str:
    """`45%` / `45 %` / `45 %`: count as a share of total; a dash when there is no total."""
    return str(format_percent(count / total, locale=current_language())) if total else "–"


def join(items: Sequence[str], style: Literal["standard", "or"] = "standard") -> str:
    """`English, French and Spanish` / `anglais, français et espagnol` (`style="or"`:
    `Telegram, Slack ou WhatsApp`)."""
    return str(format_list(list(items), style, locale=current_language())) if items else ""


def days(values: Sequence[date]) -> str:
    """A list of full dates. When a date has commas of its own (`sábado, 2 de diciembre de 2017`,
    `Saturday, December 2, 2017`) the items are set apart with semicolons, as style guides ask."""
    items = [day(value) for value in values]
    if len(items) < 2 or not any("," in item for item in items):
        return join(items)
    patterns = Locale.parse(current_language()).list_patterns["standard"]
    end = patterns["end"].replace(", ", "; ")
    if len(items) == 2:
        return str(patterns["2"]).format(*items)
    text = items[-1]
    for item in reversed(items[:-1]):
        text = (end if text == items[-1] else "{0}; {1}").format(item, text)
    return text


def language_name(code: str) -> str:
    """The name of a language in the reader's language (`French`, `français`, `francés`)."""
    return str(Locale.parse(current_language()).languages.get(code, code))


def native_language_name(code: str) -> str:
    """The name of a language in itself, for choosing one: `English`, `Français`, `Español`."""
    name = str(Locale.parse(code).languages.get(code, code))
    return name[:1].upper() + name[1:]
