"""One person's calendar as an iCalendar file, in their language: the file /calendar sends and
the feed a phone subscribes to (bot/app/calendar_feed.py). Pure and synchronous: it runs off the
event loop (`asyncio.to_thread`), with no database session open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Timezone, vDuration
from icalendar import Event as VEvent

from bot.programme.calendar import MyCalendar
from bot.programme.mine import MySession
from bot.text import formatting
from bot.text.i18n import _, localised, use_language

PRODID = "-//coordbot//calendar//EN"
# How often a subscribed calendar should look again: programme changes reach phones within it.
REFRESH = timedelta(hours=1)
# Picks one text of a {language: text} mapping for the reader.
_Pick = Callable[[dict[str, str] | None], str]


def ics(calendar: MyCalendar, language: str) -> bytes:
    """The calendar's iCalendar text (UTF-8), its words in `language`."""
    with use_language(language):
        text: bytes = _build(calendar, language).to_ical()
    return text


def file_name(calendar: MyCalendar) -> str:
    return f"{calendar.event_key}.ics"


def _build(calendar: MyCalendar, language: str) -> Calendar:
    def pick(texts: dict[str, str] | None) -> str:
        """The reader's language, else the event's default, else English."""
        texts = texts or {}
        return texts.get(language) or texts.get(calendar.default_language) or localised(texts)

    zone = ZoneInfo(calendar.timezone)
    ical = Calendar()
    ical.add("prodid", PRODID)
    ical.add("version", "2.0")
    ical.add("calscale", "GREGORIAN")
    ical.add("method", "PUBLISH")
    ical.add("x-wr-calname", pick(calendar.event_name))
    ical.add("x-wr-timezone", calendar.timezone)
    ical.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    ical.add("x-published-ttl", vDuration(REFRESH))
    for entry in calendar.entries:
        ical.add_component(_event(calendar, entry, zone, pick))
    # A VTIMEZONE for the event's zone, which every DTSTART names (Calendar.add_missing_timezones
    # with its default years, made once: it was half the time of every feed).
    for tzid in sorted(ical.get_missing_tzids()):
        component = _vtimezone(tzid)
        if component is not None:
            ical.subcomponents.insert(len(ical.timezones), component)
    return ical


@lru_cache(maxsize=16)
def _vtimezone(tzid: str) -> Timezone | None:
    """Shared by every calendar of the zone, never changed: only read when written out."""
    try:
        return Timezone.from_tzid(tzid)
    except ValueError:  # a zone icalendar does not know: left out, as add_missing_timezones does
        return None


def _event(calendar: MyCalendar, entry: MySession, zone: ZoneInfo, pick: _Pick) -> VEvent:
    summary = pick(entry.title)
    if entry.seat is not None:
        summary = _("{session} – Act {act}").format(session=summary, act=entry.seat.act)
    lines = []
    if entry.seat is not None:
        table = _("Act {act}: {title}").format(act=entry.seat.act, title=pick(entry.seat.table))
        if entry.seat.waiting:
            lines.append(_("You are on the waiting list of {table}.").format(table=table))
        else:
            lines.append(_("Your table: {table}").format(table=table))
    if entry.interpretation:
        names = [formatting.language_name(code) for code in entry.interpretation]
        lines.append(_("Interpretation: {languages}").format(languages=formatting.join(names)))
    description = pick(entry.description)
    if description:
        lines.append(description)
    event = VEvent()
    # The session's id and the event's key: a reloaded programme keeps both, so a calendar
    # replaces its copy rather than adding a second one.
    event.add("uid", f"session-{entry.session_id}.{calendar.event_key}@coordbot")
    event.add("dtstamp", calendar.published_at)
    event.add("sequence", entry.revision)
    event.add("dtstart", entry.starts_at.astimezone(zone))
    event.add("dtend", entry.over_at.astimezone(zone))
    event.add("summary", summary)
    if entry.venue is not None:
        place = entry.venue
        name = pick(place.names) if place.names else place.name
        event.add("location", f"{name}, {place.address}" if place.address else name)
        if place.map_url:
            event.add("url", place.map_url)
            lines.append(_("Map: {url}").format(url=place.map_url))
    if lines:
        event.add("description", "\n\n".join(lines))
    if calendar.reminder_minutes is not None:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", -timedelta(minutes=calendar.reminder_minutes))
        event.add_component(alarm)
    return event
