"""`coordbot programme check`: every mistake of a programme file at once, each with its line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from pathlib import Path as FilePath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jsonschema import Draft202012Validator

from bot.models import Audience, SeatRole, SessionKind
from bot.programme.spec import (
    AlongsideSpec,
    ContactSpec,
    GroupSpec,
    ProgrammeSpec,
    RoundSpec,
    SessionSpec,
    TableSpec,
    VenueSpec,
)
from bot.specfile.problems import Problem, dotted, schema_message
from bot.specfile.source import Path, Source, SourceError, parse
from bot.text.i18n import _, localised

SCHEMA_FILE = FilePath(__file__).with_name("programme.schema.json")


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(data: dict[str, Any], section: str) -> list[dict[str, Any]]:
    """The well-formed entries of a list section (the schema reports the others)."""
    items = data.get(section)
    if not isinstance(items, list):
        return []
    return [item if isinstance(item, dict) else {} for item in items]


def _local(value: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(value.replace(" ", "T")).replace(tzinfo=zone)


class _Checker:
    def __init__(self, file: str, source: Source) -> None:
        self.file = file
        self.source = source
        self.problems: list[Problem] = []
        self.malformed: set[Path] = set()  # values the schema has already reported

    def add(self, path: Path, message: str) -> None:
        self.problems.append(Problem(self.file, self.source.line_of(path), dotted(path), message))

    def unique_ids(self, section: str, items: Iterable[dict[str, Any]]) -> set[str]:
        seen: set[str] = set()
        for index, item in enumerate(items):
            key = item.get("id")
            if not isinstance(key, str):
                continue
            if key in seen:
                self.add((section, index, "id"), _("id {id} is used twice").format(id=key))
            seen.add(key)
        return seen

    def run(self) -> ProgrammeSpec | None:
        for path in self.source.duplicates:
            self.add(path, _("this field is given twice"))
        data = self.source.data
        if not isinstance(data, dict):
            self.add((), _("the file must hold a mapping with event, venues and sessions"))
            return None
        errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path)))
        for error in errors:
            self.add(tuple(error.absolute_path), schema_message(error))
            self.malformed.add(tuple(error.absolute_path))
        # Go on with the checks the schema cannot make, on whatever it found well-formed, so
        # that one run reports every mistake.
        spec = self.semantics(data)
        return None if self.problems else spec

    def semantics(self, data: dict[str, Any]) -> ProgrammeSpec | None:
        event = data["event"]
        try:
            zone = ZoneInfo(event["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            self.add(
                ("event", "timezone"), _("unknown time zone {zone}").format(zone=event["timezone"])
            )
            zone = ZoneInfo("UTC")
        languages = event["languages"]
        default_language = event.get("default_language", languages[0])
        if default_language not in languages:
            self.add(("event", "default_language"), _("must be one of the event's languages"))

        venue_ids = self.unique_ids("venues", data["venues"])
        session_ids = self.unique_ids("sessions", data["sessions"])
        self.unique_ids("rounds", data.get("rounds", []))
        self.unique_ids("reference_groups", data.get("reference_groups", []))
        self.unique_ids("alongside", data.get("alongside", []))

        sessions = [
            self.session(index, item, zone, venue_ids)
            for index, item in enumerate(data["sessions"])
        ]
        rounds = [
            self.round(index, item, session_ids)
            for index, item in enumerate(data.get("rounds", []))
        ]
        alongside = [
            self.alongside(index, item, venue_ids)
            for index, item in enumerate(data.get("alongside", []))
        ]
        groups = [
            GroupSpec(
                key=item["id"],
                short=item.get("short"),
                title=item["title"],
                description=item.get("description", {}),
                interest_deadline=_local(item["interest_deadline"], zone)
                if "interest_deadline" in item
                else None,
            )
            for item in data.get("reference_groups", [])
        ]
        return ProgrammeSpec(
            key=event["id"],
            name=event["name"],
            timezone=event["timezone"],
            languages=languages,
            default_language=default_language,
            country=event.get("country"),
            venues=[_venue(v, default_language) for v in data["venues"]],
            sessions=[item for item in sessions if item is not None],
            rounds=[item for item in rounds if item is not None],
            groups=groups,
            alongside=[item for item in alongside if item is not None],
            retention_days=event.get("retention_days"),
            contacts=[
                ContactSpec(
                    name=item["name"],
                    role=item.get("role"),
                    phone=item.get("phone"),
                    email=item.get("email"),
                )
                for item in event.get("contacts", [])
            ],
        )

    def alongside(
        self, index: int, item: dict[str, Any], venue_ids: set[str]
    ) -> AlongsideSpec | None:
        path: Path = ("alongside", index)
        days = []
        for field in ("from", "to"):
            try:
                days.append(date.fromisoformat(item[field]))
            except (KeyError, TypeError, ValueError):
                if (*path, field) not in self.malformed and field in item:
                    value = item[field]
                    self.add((*path, field), _("{value} is not a real date").format(value=value))
        venue = item.get("venue")
        if isinstance(venue, str) and venue not in venue_ids:
            self.add((*path, "venue"), _("no venue has the id {id}").format(id=venue))
        if len(days) < 2:
            return None
        if days[1] < days[0]:
            self.add((*path, "to"), _("the last day is before the first"))
            return None
        return AlongsideSpec(
            key=item["id"],
            title=item["title"],
            description=item.get("description", {}),
            first_day=days[0],
            last_day=days[1],
            venue=venue,
            audience=Audience(item.get("audience", Audience.EVERYONE)),
        )

    def session(
        self, index: int, item: dict[str, Any], zone: ZoneInfo, venue_ids: set[str]
    ) -> SessionSpec | None:
        path: Path = ("sessions", index)
        start, end = item.get("start"), item.get("end")
        if not isinstance(start, str) or not isinstance(end, str | None):
            return None  # the schema has said what is missing
        starts_at = self.local_time(path, "start", start, zone)
        if end is None:
            ends_at = None
        elif len(end) != 5:
            ends_at = self.local_time(path, "end", end, zone)
        elif starts_at is not None:
            ends_at = self.local_time(path, "end", f"{starts_at.date()} {end}", zone)
        else:
            ends_at = None  # a time of day on a date already reported as wrong
        if starts_at and ends_at and ends_at <= starts_at:
            self.add((*path, "end"), _("the session ends before it starts"))
        venue = item.get("venue")
        if isinstance(venue, str) and venue not in venue_ids:
            self.add((*path, "venue"), _("no venue has the id {id}").format(id=venue))
        if self.problems or starts_at is None or (end is not None and ends_at is None):
            return None
        return SessionSpec(
            key=item["id"],
            title=item["title"],
            description=item.get("description", {}),
            starts_at=starts_at,
            ends_at=ends_at,
            venue=venue,
            kind=SessionKind(item["kind"]),
            audience=Audience(item.get("audience", Audience.EVERYONE)),
            interpretation=list(item.get("interpretation", [])),
            questions=bool(item.get("questions", False)),
            feedback=bool(item.get("feedback", False)),
            check_in=bool(item.get("check_in", False)),
        )

    def local_time(self, path: Path, field: str, value: str, zone: ZoneInfo) -> datetime | None:
        if (*path, field) in self.malformed:
            return None
        try:
            return _local(value, zone)
        except ValueError:
            self.add((*path, field), _("{value} is not a real date and time").format(value=value))
            return None

    def round(self, index: int, item: dict[str, Any], session_ids: set[str]) -> RoundSpec | None:
        path: Path = ("rounds", index)
        session = item.get("session")
        if isinstance(session, str) and session not in session_ids:
            self.add((*path, "session"), _("no session has the id {id}").format(id=session))
        acts: set[int] = set()
        for position, table in enumerate(_items(item, "tables")):
            act = table.get("act")
            if isinstance(act, int) and act in acts:
                self.add(
                    (*path, "tables", position, "act"),
                    _("Act {act} has two tables in this round").format(act=act),
                )
            if isinstance(act, int):
                acts.add(act)
        if self.problems:
            return None
        return RoundSpec(
            key=item["id"],
            session=item["session"],
            title=item["title"],
            audience=Audience(item["audience"]) if "audience" in item else None,
            tables=[
                TableSpec(
                    act=table["act"],
                    short=table.get("short"),
                    title=table["title"],
                    capacity={SeatRole(role): seats for role, seats in table["capacity"].items()},
                )
                for table in item["tables"]
            ],
        )


def check_text(text: str, file: str) -> tuple[ProgrammeSpec | None, list[Problem]]:
    try:
        source = parse(text)
    except SourceError as error:
        return None, [
            Problem(
                file, error.line, "", _("not valid YAML: {reason}").format(reason=error.message)
            )
        ]
    checker = _Checker(file, source)
    spec = checker.run()
    return spec, checker.problems


def check_file(path: FilePath) -> tuple[ProgrammeSpec | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [
            Problem(str(path), None, "", _("cannot read the file: {reason}").format(reason=error))
        ]
    return check_text(text, str(path))


def _venue(item: dict[str, Any], default_language: str) -> VenueSpec:
    """A venue's name is one string, or a map of names by language (`name: {en, fr, es}`)."""
    name = item["name"]
    names = dict(name) if isinstance(name, dict) else None
    single = localised(names, default_language) if names else str(name)
    return VenueSpec(item["id"], single, names, item.get("address"), item.get("map_url"))
