"""`coordbot export`: the meeting's data for its report, as CSV (for spreadsheets) and Markdown
(to paste into the report): participants, attendance, the tables, questions from the floor and
live polls, in the organiser's language.

No contact data (e-mail, chat accounts) unless asked for. Erased people are not listed; they
stay in every total, as the figures do after a purge. A CSV cell that a spreadsheet would read
as a formula (= + - @) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.floor import polls
from bot.models import (
    ChatIdentity,
    Event,
    FloorQuestion,
    FloorVote,
    Participant,
    QuestionStatus,
    Role,
    Session,
)
from bot.reports import attendance, labels
from bot.tables import annex
from bot.tables import seating as tables_domain
from bot.text.cells import safe_cell
from bot.text.formatting import day as day_name
from bot.text.i18n import _, current_language, localised
from bot.text.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Sheet:
    """One part of the export: written as `{stem}.csv` and as a section of the Markdown."""

    stem: str
    title: str
    header: list[str]
    rows: list[list[str]]


# As /mydata names them (bot/people/csv_import.GENDERS).
GENDERS = {"woman": _l("woman"), "man": _l("man"), "other": _l("other")}
STATUSES = {
    QuestionStatus.PENDING: _l("waiting for a moderator"),
    QuestionStatus.APPROVED: _l("on the board"),
    QuestionStatus.ANSWERED: _l("answered"),
    QuestionStatus.REJECTED: _l("declined"),
    QuestionStatus.MERGED: _l("merged with another question"),
}


async def export(db: AsyncSession, event: Event, *, contacts: bool) -> list[Sheet]:
    """Every sheet, in the language set by the caller (`use_language`)."""
    return [
        await participants_sheet(db, event, contacts=contacts),
        *await attendance_sheets(db, event),
        await tables_sheet(db, event),
        await questions_sheet(db, event),
        await polls_sheet(db, event),
    ]


def _yes(value: bool | None) -> str:
    return "" if value is None else (_("yes") if value else _("no"))


def _role(role: Role) -> str:
    return labels.role(role)


def _region(region: str | None) -> str:
    return labels.region(region) if region else ""


def _country(code: str | None) -> str:
    if not code:
        return ""
    return str(Locale.parse(current_language()).territories.get(code, code))


async def participants_sheet(db: AsyncSession, event: Event, *, contacts: bool) -> Sheet:
    people = list(
        (
            await db.execute(
                select(Participant)
                .where(Participant.event_id == event.id, Participant.erased_at.is_(None))
                .order_by(Participant.name, Participant.id)
            )
        ).scalars()
    )
    header = [
        _("Name"),
        _("Organisation"),
        _("Role"),
        _("Region"),
        _("Country"),
        _("Gender"),
        _("Migrant, refugee or diaspora background"),
        _("Youth"),
        _("Also at the government-led Stocktaking"),
    ]
    accounts: dict[int, list[str]] = {}
    if contacts:
        header += [_("E-mail"), _("Chat accounts")]
        for person_id, platform, external_id in await db.execute(
            select(ChatIdentity.participant_id, ChatIdentity.platform, ChatIdentity.external_id)
            .join(Participant, Participant.id == ChatIdentity.participant_id)
            .where(Participant.event_id == event.id)
            .order_by(ChatIdentity.platform)
        ):
            if person_id is not None:
                accounts.setdefault(person_id, []).append(f"{platform}: {external_id}")
    rows = []
    for person in people:
        row = [
            person.name,
            person.organisation or "",
            _role(person.role),
            _region(person.region),
            _country(person.country),
            str(GENDERS.get(person.gender, person.gender)) if person.gender else "",
            _yes(person.migrant_background),
            _yes(person.youth),
            _yes(person.government_conference),
        ]
        if contacts:
            row += [person.email or "", ", ".join(accounts.get(person.id, []))]
        rows.append(row)
    return Sheet("participants", _("Participants"), header, rows)


def _where(item: attendance.Attended) -> str:
    day = day_name(item.day)
    if item.session_title is None:
        return day
    return f"{day} — {localised(item.session_title)}"


async def attendance_sheets(db: AsyncSession, event: Event) -> list[Sheet]:
    """Who came, per person (erased people are not listed), and the totals of each day and
    session by the report's categories (erased people counted)."""
    check_ins = await attendance.check_ins(db, event)
    return [
        _attendance_per_person(check_ins),
        _attendance_totals(check_ins),
        _attendance_by_region(check_ins),
    ]


def _attendance_per_person(check_ins: list[attendance.Attended]) -> Sheet:
    rows = [
        [item.participant.name, _role(item.participant.role), _where(item)]
        for item in check_ins
        if item.participant.erased_at is None
    ]
    header = [_("Name"), _("Role"), _("Day or session")]
    return Sheet("attendance", _("Attendance, per person"), header, rows)


def _attendance_totals(check_ins: list[attendance.Attended]) -> Sheet:
    totals: dict[str, Counter[str]] = {}
    for item in check_ins:
        count = totals.setdefault(_where(item), Counter())
        person = item.participant
        count["total"] += 1
        count["civil"] += int(person.role not in (Role.GOVERNMENT, Role.INTERNATIONAL))
        count["government"] += int(person.role == Role.GOVERNMENT)
        count["international"] += int(person.role == Role.INTERNATIONAL)
        count["women"] += int(person.gender == "woman")
        count["men"] += int(person.gender == "man")
        count["youth"] += int(bool(person.youth))
        count["migrants"] += int(bool(person.migrant_background))
    keys = ["total", "civil", "government", "international", "women", "men", "youth", "migrants"]
    header = [
        _("Day or session"),
        _("Total"),
        _("Civil society"),
        _("Governments"),
        _("UN or international organisations"),
        _("Women"),
        _("Men"),
        _("Youth"),
        _("Migrant, refugee or diaspora background"),
    ]
    rows = [[where] + [str(count[key]) for key in keys] for where, count in totals.items()]
    return Sheet("attendance-totals", _("Attendance, totals"), header, rows)


def _attendance_by_region(check_ins: list[attendance.Attended]) -> Sheet:
    """The civil-society side of each day and session by region, as the snapshot counts it."""
    regions = labels.REGION_KEYS
    counts: dict[str, Counter[str]] = {}
    for item in check_ins:
        count = counts.setdefault(_where(item), Counter())
        if item.participant.role not in (Role.GOVERNMENT, Role.INTERNATIONAL):
            region = item.participant.region
            count[region if region in regions else "unknown"] += 1
    header = [_("Day or session")] + [labels.region(region) for region in regions]
    rows = [[where] + [str(count[r]) for r in regions] for where, count in counts.items()]
    return Sheet("attendance-regions", _("Attendance of civil society, by region"), header, rows)


async def tables_sheet(db: AsyncSession, event: Event) -> Sheet:
    """The distribution annex of every round (`bot.tables.annex`): the States by country, the
    civil-society delegates by name, and how many sat there (erased people only counted)."""
    rows = []
    for table_round in await tables_domain.rounds(db, event, Role.ORGANISER):
        for row in await annex.distribution(db, table_round, current_language()):
            named = [name for name in row.civil_society if name]
            rows.append(
                [
                    localised(table_round.title),
                    row.theme,
                    ", ".join(row.states),
                    ", ".join(named),
                    str(len(row.civil_society)),
                ]
            )
    header = [_("Round"), _("Theme"), _("States"), _("Civil society"), _("Civil-society seats")]
    return Sheet("tables", _("Tables"), header, rows)


async def questions_sheet(db: AsyncSession, event: Event) -> Sheet:
    """Questions from the floor: the author only when they chose to be named (as the room saw
    it), otherwise "anonymous"."""
    votes = (
        select(FloorVote.question_id, func.count().label("votes"))
        .group_by(FloorVote.question_id)
        .subquery()
    )
    found = await db.execute(
        select(Session.title, FloorQuestion, Participant.name, votes.c.votes)
        .join(Session, Session.id == FloorQuestion.session_id)
        .outerjoin(Participant, Participant.id == FloorQuestion.participant_id)
        .outerjoin(votes, votes.c.question_id == FloorQuestion.id)
        .where(Session.event_id == event.id)
        .order_by(Session.starts_at, FloorQuestion.id)
    )
    rows = [
        [
            localised(title),
            question.text,
            str(count or 0),
            str(STATUSES[question.status]),
            name if question.named and name else _("anonymous"),
        ]
        for title, question, name, count in found.all()
    ]
    header = [_("Session"), _("Question"), _("Votes"), _("Status"), _("Asked by")]
    return Sheet("questions", _("Questions from the floor"), header, rows)


async def polls_sheet(db: AsyncSession, event: Event) -> Sheet:
    rows = []
    for poll in await polls.polls_of(db, event.id):
        tally = await polls.tally(db, poll)
        for choice, count in zip(tally.choices, tally.counts, strict=True):
            rows.append(
                [
                    localised(tally.session_title),
                    localised(tally.question),
                    localised(choice),
                    str(count),
                    str(tally.respondents),
                ]
            )
    header = [_("Session"), _("Question"), _("Choice"), _("Count"), _("People who answered")]
    return Sheet("polls", _("Live polls"), header, rows)


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write(sheets: Sequence[Sheet], folder: Path, title: str) -> list[Path]:
    """Each sheet as `{stem}.csv` (UTF-8, a header row), and all of them in `report.md`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    lines = [f"# {title}"]
    for sheet in sheets:
        path = folder / f"{sheet.stem}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([safe_cell(cell) for cell in sheet.header])
            writer.writerows([safe_cell(cell) for cell in row] for row in sheet.rows)
        written.append(path)
        lines += ["", f"## {sheet.title}", ""]
        if not sheet.rows:
            lines.append(_("Nothing to show."))
            continue
        lines.append("| " + " | ".join(_markdown_cell(c) for c in sheet.header) + " |")
        lines.append("|" + "---|" * len(sheet.header))
        lines += ["| " + " | ".join(_markdown_cell(c) for c in row) + " |" for row in sheet.rows]
    report = folder / "report.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    written.append(report)
    return written
