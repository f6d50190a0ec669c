"""Importing participants from CSV: Unicode names, row-numbered rejections, updates by e-mail."""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.models import Event, Participant, Role
from bot.people.csv_import import ImportReport, import_participants, read_csv
from tests.support.demo import DEMO_PEOPLE_FILE

HEADER = "name,email,organisation,role,region,country,language,gender,migrant_background,youth\n"


async def _import(
    sessions: SessionFactory, event: Event, text: str, clock: SimulatedClock
) -> ImportReport:
    async with sessions() as db:
        report = await import_participants(db, event, read_csv(text), clock.now())
        await db.commit()
    return report


async def test_the_demo_participants_import_in_the_reports_proportions(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    text = DEMO_PEOPLE_FILE.read_text(encoding="utf-8")
    report = await _import(sessions, demo_event, text, clock)
    assert report.rejected == []
    assert 75 <= report.created <= 85
    async with sessions() as db:
        people = list((await db.execute(select(Participant))).scalars())
    civil_society = [p for p in people if p.role not in (Role.GOVERNMENT, Role.INTERNATIONAL)]
    europe = [p for p in civil_society if p.region == "europe"]
    assert len(europe) == 19
    assert any(any(ord(ch) > 0x0500 for ch in p.name) for p in people)  # non-Latin scripts


async def test_bad_rows_are_rejected_with_their_row_number_and_reason(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    text = HEADER + (
        "Zoë Nguyễn,zoe@example.org,Réseau Migrants,civil_society,europe,FR,fr,woman,yes,\n"
        "Bad Role,bad@example.org,,president,europe,FR,fr,,,\n"
        "Twice,zoe@example.org,,civil_society,europe,FR,fr,,,\n"
        "Lang,lang@example.org,,government,europe,FR,de,,,\n"
        "محمد الأحمد,m@example.org,,civil_society,mena,LB,,man,yes,no\n"
    )
    report = await _import(sessions, demo_event, text, clock)
    assert report.created == 2
    assert [(r.row, r.reason) for r in report.rejected] == [
        (3, "unknown role president"),
        (4, "duplicate or invalid e-mail zoe@example.org"),
        (5, "unknown language de"),
    ]
    async with sessions() as db:
        names = set((await db.execute(select(Participant.name))).scalars())
    assert names == {"Zoë Nguyễn", "محمد الأحمد"}


async def test_importing_again_updates_by_email(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    await _import(
        sessions, demo_event, HEADER + "Ana,ana@example.org,,civil_society,,,es,,,\n", clock
    )
    report = await _import(
        sessions,
        demo_event,
        HEADER + "Ana Pérez,ANA@example.org,PICUM,facilitator,,,es,,,\n",
        clock,
    )
    assert (report.created, report.updated) == (0, 1)
    async with sessions() as db:
        ana = (await db.execute(select(Participant))).scalar_one()
    assert (ana.name, ana.role, ana.organisation) == ("Ana Pérez", Role.FACILITATOR, "PICUM")
