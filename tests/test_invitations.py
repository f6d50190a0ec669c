"""Invitation codes: linking a chat account, refusing stolen and guessed codes."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot import invitations
from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.models import ChatIdentity, Event, Participant, Role
from bot.router import Dispatcher
from tests.support.chat import ChatUser
from tests.support.factories import make_participant


async def _invited(
    sessions: SessionFactory, event: Event, clock: SimulatedClock, **fields: str
) -> tuple[int, str]:
    async with sessions() as db:
        person = await make_participant(db, event.id, clock.now(), **fields)
        code = invitations.issue(person, clock.now())
        await db.commit()
        return person.id, code


def test_codes_are_unguessable_and_forgiving_to_type() -> None:
    codes = {invitations.new_code() for _ in range(1000)}
    assert len(codes) == 1000
    code = next(iter(codes))
    assert len(code) == 12 and not set(code) & set("0O1IL")
    assert invitations.normalise(invitations.grouped(code).lower()) == code
    assert invitations.normalise(f" {code[:6]} {code[6:]} ") == code
    assert invitations.normalise("hello") is None
    assert invitations.normalise("O" * 12) is None


async def test_start_with_a_code_links_the_account_and_greets_by_name_in_their_language(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    person_id, code = await _invited(sessions, demo_event, clock, name="Fatou Sow", language="fr")
    reply = await chat.send(f"/start {code}")
    assert "Bonjour Fatou Sow" in reply
    assert "déjà enregistrée" in await chat.send(f"/start {invitations.grouped(code)}")
    async with sessions() as db:
        identity = (await db.execute(select(ChatIdentity))).scalar_one()
        assert identity.participant_id == person_id


async def test_sending_the_code_alone_works_too(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    _id, code = await _invited(sessions, demo_event, clock, name="Li Wei", language="es")
    assert "¡Hola, Li Wei!" in await chat.send(invitations.grouped(code).lower())


async def test_a_stolen_code_cannot_link_a_second_account_of_the_same_platform(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    person_id, code = await _invited(sessions, demo_event, clock, name="Ana Pérez")
    owner = ChatUser(dispatcher, external_id="owner")
    thief = ChatUser(dispatcher, external_id="thief")
    assert "Hello Ana Pérez" in await owner.send(f"/start {code}")

    refused = await thief.send(f"/start {code}")
    assert "already linked to another Test account" in refused
    assert "Ana" not in refused
    assert "You are not registered" in await thief.send("/mydata")

    on_another_platform = ChatUser(dispatcher, external_id="owner", platform="console")
    assert "Hello Ana Pérez" in await on_another_platform.send(f"/start {code}")

    async with sessions() as db:  # the organiser unlinks the lost phone
        person = await db.get_one(Participant, person_id)
        from bot.participants import unlink_accounts

        await unlink_accounts(db, person, "test")
        await db.commit()
    assert "Hello Ana Pérez" in await thief.send(f"/start {code}")


async def test_ten_wrong_codes_in_an_hour_lock_the_chat_for_an_hour(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    _id, code = await _invited(sessions, demo_event, clock, name="Sam Okoye")
    for attempt in range(9):
        assert "not valid" in await chat.send(f"/start {invitations.new_code()}"), attempt
        clock.advance(timedelta(minutes=5))
    assert "Too many wrong codes" in await chat.send(f"/start {invitations.new_code()}")
    assert "Too many wrong codes" in await chat.send(f"/start {code}")  # even the right one
    clock.advance(timedelta(minutes=61))
    assert "Hello Sam Okoye" in await chat.send(f"/start {code}")


async def test_codes_in_a_group_are_refused_and_revoked_codes_do_not_work(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    person_id, code = await _invited(sessions, demo_event, clock, name="Noor Haddad")
    chat.private = False
    assert "private chat" in await chat.send(f"/start {code}")
    chat.private = True
    async with sessions() as db:
        invitations.revoke(await db.get_one(Participant, person_id))
        await db.commit()
    assert "not valid" in await chat.send(f"/start {code}")


async def test_invitations_file_and_qr_codes(tmp_path: Path) -> None:
    people = [
        Participant(
            id=7, name="Zoë Nguyễn", email="zoe@example.org", language="fr", role=Role.CIVIL_SOCIETY
        ),
        Participant(id=8, name="محمد الأحمد", email=None, language=None, role=Role.GOVERNMENT),
    ]
    issued = [invitations.Invitation(p, invitations.new_code()) for p in people]
    table = invitations.write_invitations(issued, tmp_path, "pv2017_bot")
    with table.open(encoding="utf-8") as written:
        rows = list(csv.DictReader(written))
    assert [r["name"] for r in rows] == ["Zoë Nguyễn", "محمد الأحمد"]
    assert rows[0]["telegram_link"] == f"https://t.me/pv2017_bot?start={issued[0].code}"
    assert invitations.normalise(rows[0]["code"]) == issued[0].code
    for row in rows:
        image = (tmp_path / row["qr_code"]).read_bytes()
        assert image.startswith(b"\x89PNG") and len(image) > 200
