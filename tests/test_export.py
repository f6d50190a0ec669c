"""`coordbot export`: the meeting's data for its report, read back as a spreadsheet would; no
contact data unless asked for; formulas neutralised; after a purge, figures with no names."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import (
    ActTable,
    CheckIn,
    CheckInMethod,
    Event,
    MembershipStatus,
    Participant,
    Role,
    SeatRole,
    Session,
    TableMembership,
)
from bot.people import retention
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.processes import environment, run

HOSTILE = '=HYPERLINK("http://evil.example","click")'


def read(folder: Path, stem: str) -> list[list[str]]:
    with (folder / f"{stem}.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def everything(folder: Path) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(folder.iterdir()))


async def test_the_export_for_the_report_with_and_without_contacts_and_after_a_purge(
    dispatcher: Dispatcher,
    demo_event: Event,
    sessions: SessionFactory,
    clock: SimulatedClock,
    database_url: str,
    tmp_path: Path,
) -> None:
    now = clock.now()
    zoe = ChatUser(dispatcher, external_id="zoe-chat")
    zoe_id = await link_to_new_participant(
        zoe,
        Role.CIVIL_SOCIETY,
        demo_event.id,
        name="Zoë Export",
        email="zoe@example.org",
        organisation="Red de Migrantes",
        country="MX",
    )
    hostile = ChatUser(dispatcher, external_id="hostile-chat")
    hostile_id = await link_to_new_participant(
        hostile, Role.CIVIL_SOCIETY, demo_event.id, name=HOSTILE, email="evil@example.org"
    )
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    async with sessions() as db:
        for person_id, gender in ((zoe_id, "woman"), (hostile_id, "man")):
            person = await db.get_one(Participant, person_id)
            person.region, person.gender = "latin_america", gender
        opening = (
            await db.execute(select(Session).where(Session.key == "d1-opening"))
        ).scalar_one()
        for person_id, session_id in ((zoe_id, None), (hostile_id, None), (zoe_id, opening.id)):
            db.add(
                CheckIn(
                    event_id=demo_event.id,
                    participant_id=person_id,
                    day=date(2017, 12, 2),
                    session_id=session_id,
                    method=CheckInMethod.NAME,
                    checked_in_at=now,
                )
            )
        table = (await db.execute(select(ActTable).where(ActTable.act == 3).limit(1))).scalar_one()
        db.add(
            TableMembership(
                participant_id=zoe_id,
                table_id=table.id,
                round_id=table.round_id,
                status=MembershipStatus.SEATED,
                seat_role=SeatRole.CIVIL_SOCIETY,
                created_at=now,
            )
        )
        await db.commit()
    await zoe.send("/ask Who pays for the returns?")
    await olga.send("/questions")
    await olga.press("✅")
    env = {**environment(tmp_path / "unused.sqlite3"), "COORDBOT_DATABASE_URL": database_url}

    plain = tmp_path / "plain"
    code, out, err = await run(env, "export", "--out", str(plain), "--language", "en")
    assert code == 0, err
    assert "report.md" in out
    people = read(plain, "participants")
    assert people[0][:3] == ["Name", "Organisation", "Role"]
    rows = {row[0]: row for row in people[1:]}
    assert rows["Zoë Export"][1:5] == [
        "Red de Migrantes",
        "civil-society delegate",
        "Latin America",
        "Mexico",
    ]
    assert "'" + HOSTILE in rows  # a spreadsheet shows it as text, never runs it
    assert "E-mail" not in people[0]
    assert "zoe@example.org" not in everything(plain) and "zoe-chat" not in everything(plain)
    totals = {row[0]: row for row in read(plain, "attendance-totals")[1:]}
    day = next(row for where, row in totals.items() if "—" not in where)
    assert day[1:3] == ["2", "2"] and day[5:7] == ["1", "1"]  # total, civil society; women, men
    session = next(row for where, row in totals.items() if "Welcome and opening plenary" in where)
    assert session[1] == "1"
    assert read(plain, "attendance")[1][:2] == ["Zoë Export", "civil-society delegate"]
    regions = read(plain, "attendance-regions")
    latin_america = regions[0].index("Latin America")
    assert [row[latin_america] for row in regions[1:]] == ["2", "1"]  # the day, the opening
    questions = read(plain, "questions")
    assert questions[1][1:] == ["Who pays for the returns?", "0", "on the board", "anonymous"]
    tables = read(plain, "tables")
    assert any("Zoë Export" in row[3] and row[4] == "1" for row in tables[1:])
    report = (plain / "report.md").read_text(encoding="utf-8")
    assert "## Participants" in report and "| Zoë Export |" in report

    # In French, with the contacts.
    full = tmp_path / "full"
    code, _out, err = await run(env, "export", "--out", str(full), "--contacts", "--language", "fr")
    assert code == 0, err
    people = read(full, "participants")
    assert "Nom" in people[0]
    contact = {row[0]: row for row in people[1:]}["Zoë Export"]
    assert "zoe@example.org" in contact and "test: zoe-chat" in contact
    assert "## Participant·e·s" in (full / "report.md").read_text(encoding="utf-8")

    # After a purge: the same figures, no names.
    async with sessions() as db:
        await retention.purge(db, await db.get_one(Event, demo_event.id), now)
        await db.commit()
    after = tmp_path / "after"
    code, _out, err = await run(env, "export", "--out", str(after), "--contacts")
    assert code == 0, err
    assert read(after, "participants")[1:] == []
    assert read(after, "attendance")[1:] == []
    assert {row[0]: row for row in read(after, "attendance-totals")[1:]} == totals
    assert read(after, "attendance-regions") == regions
    for gone in ("Zoë", "HYPERLINK", "zoe@example.org", "Olga"):
        assert gone not in everything(after), gone
    assert any(row[4] == "1" for row in read(after, "tables")[1:])
