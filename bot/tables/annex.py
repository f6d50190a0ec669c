"""`coordbot tables export`: who sat where, as annex 1 of the meeting report lays it out
(Theme | States | Civil society), in CSV and Markdown."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import MembershipStatus, Participant, SeatRole, TableRound
from bot.tables import seating
from bot.text.cells import safe_cell
from bot.text.i18n import localised


@dataclass(frozen=True)
class Row:
    theme: str
    states: list[str]
    civil_society: list[str]


def _state(person: Participant, language: str) -> str:
    """A government seat is shown by country, as the report does; an international
    organisation by its name."""
    if person.country:
        return str(Locale.parse(language).territories.get(person.country, person.country))
    return person.organisation or person.name


async def distribution(db: AsyncSession, table_round: TableRound, language: str) -> list[Row]:
    rows = []
    for table in table_round.tables:
        seated = [
            (seat, person)
            for seat, person in await seating.roster(db, table)
            if seat.status == MembershipStatus.SEATED
        ]
        states = sorted(
            {_state(p, language) for s, p in seated if s.seat_role == SeatRole.GOVERNMENT}
        )
        civil = [p.name for s, p in seated if s.seat_role == SeatRole.CIVIL_SOCIETY]
        theme = f"ACT {table.act}: {localised(table.title, language)}"
        rows.append(Row(theme, states, civil))
    return rows


def _names(names: list[str]) -> str:
    """The delegates seated, by name: an erased person (no name left) is not listed."""
    return ", ".join(name for name in names if name)


def write(rows: list[Row], folder: Path, stem: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / f"{stem}.csv"
    with table.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Theme", "States", "Civil society"])
        for row in rows:
            cells = [row.theme, ", ".join(row.states), _names(row.civil_society)]
            writer.writerow([safe_cell(cell) for cell in cells])
    markdown = folder / f"{stem}.md"

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| Theme | States | Civil society |", "|---|---|---|"]
    lines += [
        f"| **{cell(row.theme)}** | {cell(', '.join(row.states))} | "
        f"{cell(_names(row.civil_society))} |"
        for row in rows
    ]
    markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return table, markdown
