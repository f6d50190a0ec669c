"""Nobody sees or does what is not theirs: every path to a civil-society-only session, and
every organiser command, tried by those it is closed to."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.models import ActTable, Event, Participant, Role, Session, TableRound
from bot.people import access
from tests.support.chat import ChatUser, link_to_new_participant
from tests.support.demo import MEETING_ZONE

CLOSED_ROLES = [None, Role.GOVERNMENT, Role.INTERNATIONAL]
ORGANISER_COMMANDS = [
    "/participant",
    "/participant find a",
    "/participant 1",
    "/participant 1 role organiser",
    "/participant 1 unlink",
    "/snapshot",
]


async def _session_id(sessions: SessionFactory, key: str) -> int:
    async with sessions() as db:
        return (await db.execute(select(Session.id).where(Session.key == key))).scalar_one()


@pytest.mark.parametrize("role", CLOSED_ROLES, ids=lambda r: r or "guest")
async def test_no_path_leads_a_closed_role_to_a_civil_society_session(
    chat: ChatUser,
    demo_event: Event,
    sessions: SessionFactory,
    clock: SimulatedClock,
    role: Role | None,
) -> None:
    if role is not None:
        await link_to_new_participant(chat, role, demo_event.id)
    number = await _session_id(sessions, "d1-group-sessions-1")

    assert "Group sessions" not in await chat.send("/agenda 2017-12-02")
    for day_page in ("agenda:2017-12-02:1", "agenda:2017-12-02:2"):
        assert "Group sessions" not in await chat.press_unseen(day_page, message_id=None)
    for attempt in (f"/session {number}", f"/s{number}", "/session d1-group-sessions-1"):
        reply = await chat.send(attempt)
        # Said to be closed to them (review H12), with nothing of the session shown.
        assert "civil society only" in reply and "Group sessions" not in reply
        assert "14:00" not in reply and "2:00" not in reply
    clock.set(datetime(2017, 12, 2, 14, 10, tzinfo=MEETING_ZONE))  # during the group sessions
    assert "Group sessions" not in await chat.send("/next")
    async with sessions() as db:
        rounds = await db.execute(
            select(TableRound).options(
                selectinload(TableRound.tables).selectinload(ActTable.capacities)
            )
        )
        for table_round in rounds.scalars():
            seats = {c.seat_role: c.seats for c in table_round.tables[0].capacities}
            allowed = access.may_join(role, table_round.audience, seats)
            assert allowed is (role is not None and table_round.key == "d2-tables")


async def test_civil_society_delegates_see_and_may_join_their_sessions(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory
) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id)
    number = await _session_id(sessions, "d1-group-sessions-1")
    assert "Group sessions" in await chat.send(f"/s{number}")


@pytest.mark.parametrize("role", [None, Role.CIVIL_SOCIETY, Role.GOVERNMENT, Role.FACILITATOR])
async def test_organiser_commands_refuse_everyone_else(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory, role: Role | None
) -> None:
    if role is not None:
        await link_to_new_participant(chat, role, demo_event.id)
    async with sessions() as db:
        before = [(p.id, p.role) for p in (await db.execute(select(Participant))).scalars()]
    for command in ORGANISER_COMMANDS:
        reply = await chat.send(command)
        assert reply == f"Only organisers can use /{command.split()[0][1:]}.", command
    async with sessions() as db:
        after = [(p.id, p.role) for p in (await db.execute(select(Participant))).scalars()]
    assert after == before


async def test_organisers_find_people_change_roles_and_unlink_accounts(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory
) -> None:
    await link_to_new_participant(chat, Role.ORGANISER, demo_event.id, name="Olga Organiser")
    delegate = ChatUser(chat.dispatcher, external_id="delegate-7")
    delegate_id = await link_to_new_participant(
        delegate, Role.CIVIL_SOCIETY, demo_event.id, name="Ana Pérez"
    )

    assert "/snapshot" in await chat.send("/help")
    assert "/snapshot" not in await delegate.send("/help")
    found = await chat.send("/participant find pérez")
    assert f"#{delegate_id} Ana Pérez" in found and "Test" in found
    assert "facilitator" in await chat.send(f"/participant {delegate_id} role facilitator")
    assert "Unknown role" in await chat.send(f"/participant {delegate_id} role king")
    # The role as the error message spells it, with its underscore, is understood.
    assert "now: civil-society delegate" in await chat.send(
        f"/participant {delegate_id} role civil_society"
    )
    assert "facilitator" in await chat.send(f"/participant {delegate_id} role Facilitator")
    assert "1 chat account unlinked" in await chat.send(f"/participant {delegate_id} unlink")
    async with sessions() as db:
        ana = await db.get_one(Participant, delegate_id)
        assert ana.role == Role.FACILITATOR
    assert "Hello Ana" not in await delegate.send("/start")  # a guest again


async def test_organiser_commands_in_a_group_send_the_organiser_to_a_private_chat(
    chat: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(chat, Role.ORGANISER, demo_event.id)
    chat.private = False
    reply = await chat.send("/snapshot")
    assert "private chat" in reply
    assert chat.choices[0].open_private
