"""Act tables by command: seats per role, one table per round, waiting lists, organisers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.clock import SimulatedClock
from bot.dispatcher import Dispatcher
from bot.models import Event, Role
from bot.tables import annex, seating
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.demo import MEETING_ZONE
from tests.support.outbox import Inboxes, deliver_all


@pytest.fixture
async def amina(dispatcher: Dispatcher, demo_event: Event) -> ChatUser:
    return await registered(dispatcher, demo_event.id, "Amina")


async def test_tables_show_the_seats_left_for_my_role(amina: ChatUser, demo_event: Event) -> None:
    reply = await amina.send("/tables")
    assert "Group sessions, part 1" in reply  # the next round, on the first morning
    assert "Act 3: Protection — 12 seats left for you" in reply
    day_two = await amina.send("/tables small tables")
    assert "Act 3: Protection — 10 seats left for you" in day_two  # annex 1


async def test_governments_see_only_the_rounds_open_to_them(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    minister = await registered(dispatcher, demo_event.id, "Minister", Role.GOVERNMENT)
    reply = await minister.send("/tables")
    assert "Small tables with governments" in reply and "6 seats left for you" in reply
    assert "round" in await minister.send("/tables group sessions")
    assert "not open to you" not in await minister.send("/join 3")
    refused = await minister.send("/join 4 d1-groups-1")
    assert "I do not know the round" in refused  # a closed round does not exist for them


async def test_joining_an_act_that_meets_in_two_rounds_asks_which(amina: ChatUser) -> None:
    assert "several rounds" in await amina.send("/join 3")
    assert "You have a seat at Act 3: Protection" in await amina.press("Small tables")
    assert "already have a seat" in await amina.send("/join protection d2-tables")


async def test_one_table_per_round_and_moving_asks_first(amina: ChatUser) -> None:
    await amina.send("/join 3 d2-tables")
    assert "Move to Act 5" in await amina.send("/join 5 d2-tables")
    assert "keep your seat" in await amina.press("No, stay")
    assert "Move to Act 5" in await amina.send("/join 5 d2-tables")
    assert "You have a seat at Act 5" in await amina.press("Yes, move")
    mine = await amina.send("/mytables")
    assert "Act 5" in mine and "Act 3" not in mine


async def test_names_in_three_languages_and_did_you_mean(amina: ChatUser) -> None:
    assert "Act 3" in await amina.send("/join protección d2-tables")
    assert "Did you mean" in await amina.send("/join protecion d2-tables")
    assert [choice.label for choice in amina.choices] == ["Act 3: Protection · Sun, Dec 3"]
    typo = await amina.send("/join govrnance d2-tables")
    assert "I do not know the table" in typo and "Did you mean" in typo
    assert any("Governance" in choice.label for choice in amina.choices)


async def test_an_act_named_in_the_wrong_round_is_offered_where_it_meets(
    amina: ChatUser,
) -> None:
    reply = await amina.send("/join 9 d1-groups-1")  # Act 9 meets in part 2 and on day 2
    assert "Act 9 has no table in “Group sessions, part 1 (Acts 1–5)”. Its tables:" in reply
    assert [choice.label for choice in amina.choices] == [
        "Act 9: Return and reintegration · Sat, Dec 2",
        "Act 9: Rights, return and reintegration · Sun, Dec 3",
    ]
    assert "You have a seat at Act 9" in await amina.press("Sun, Dec 3")


async def test_a_full_table_waitlists_in_order_and_promotes_when_seats_free(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    people = [
        await registered(dispatcher, demo_event.id, f"D{n:02}", language=("fr" if n == 9 else None))
        for n in range(11)
    ]
    for person in people[:8]:  # Act 9: 8 civil society seats
        assert "You have a seat" in await person.send("/join 9 d2-tables")
    assert "number 1 on its waiting list" in await people[8].send("/join 9 d2-tables")
    assert "en position 2" in await people[9].send("/join 9 d2-tables")
    assert "number 3" in await people[10].send("/join 9 d2-tables")
    assert "liste d’attente, position 2" in await people[9].send("/mytables")

    await people[0].send("/leave")
    await people[1].send("/leave d2-tables")
    inboxes = Inboxes()
    assert await deliver_all(dispatcher, inboxes) == 2
    assert inboxes.received["D08"] == [
        "🎉 A seat freed up: you now have a seat at Act 9: Rights, return and reintegration "
        "(Small tables with governments – TEN ACTS)."
    ]
    [to_d09] = inboxes.received["D09"]
    assert "Droits, retour et réintégration" in to_d09 and "place" in to_d09
    assert "waiting list, number 1" in await people[10].send("/mytables")
    assert await deliver_all(dispatcher, inboxes) == 0  # each promotion is told once


async def test_day_one_act_is_offered_first_on_day_two(
    amina: ChatUser, clock: SimulatedClock
) -> None:
    await amina.send("/join 4 d1-groups-1")
    day_two = await amina.send("/tables d2-tables")
    first_table = next(line for line in day_two.splitlines() if "Act " in line)
    assert first_table.startswith("⭐ Act 4")


async def test_organisers_manage_tables_and_facilitators_see_their_roster(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    fatou = await registered(dispatcher, demo_event.id, "Fatou")
    bob = await registered(dispatcher, demo_event.id, "Bob")
    assert "now has a seat" in await olga.send("/table 7 d2-tables assign Bob")
    assert "facilitator" in await olga.send("/table 7 d2-tables facilitator Fatou")
    roster = await fatou.send("/table 7 d2-tables")
    assert "Civil society 2/5" in roster and "Fatou — facilitator" in roster and "Bob" in roster
    assert "Only organisers" in await bob.send("/table 7 d2-tables")
    assert "Only organisers" in await fatou.send("/table 7 d2-tables close")
    assert "closed" in await olga.send("/table 7 d2-tables close")
    newcomer = await registered(dispatcher, demo_event.id, "Nia")
    assert "is closed" in await newcomer.send("/join 7 d2-tables")
    await olga.send("/table 7 d2-tables reopen")
    assert "You have a seat" in await newcomer.send("/join 7 d2-tables")
    assert "has left" in await olga.send("/table 7 d2-tables remove Bob")
    clock.set(datetime(2017, 12, 3, 10, 0, tzinfo=MEETING_ZONE))
    assert "Bob" not in await olga.send("/table 7")


async def test_the_distribution_export_reads_like_annex_1(
    dispatcher: Dispatcher, demo_event: Event, tmp_path: Path
) -> None:
    for name, role, country in [
        ("Ana", Role.CIVIL_SOCIETY, None),
        ("Minister", Role.GOVERNMENT, "SE"),
        ("Envoy", Role.GOVERNMENT, "MX"),
        ("Bea", Role.CIVIL_SOCIETY, None),
    ]:
        user = ChatUser(dispatcher, external_id=name)
        await link_to_new_participant(user, role, demo_event.id, name=name, country=country)
        await user.send("/join 1 d2-tables")
    async with dispatcher.sessions() as db:
        [table_round] = [
            r for r in await seating.rounds(db, demo_event, Role.ORGANISER) if r.key == "d2-tables"
        ]
        rows = await annex.distribution(db, table_round, "en")
    csv_file, markdown = annex.write(rows, tmp_path, "annex")
    assert csv_file.read_text(encoding="utf-8").splitlines()[:2] == [
        "Theme,States,Civil society",
        'ACT 1: Drivers of human mobility,"Mexico, Sweden","Ana, Bea"',
    ]
    assert "| **ACT 1: Drivers of human mobility** | Mexico, Sweden | Ana, Bea |" in (
        markdown.read_text(encoding="utf-8")
    )
