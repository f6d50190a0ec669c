"""Invitation codes: linking a chat account, refusing stolen and guessed codes."""

from __future__ import annotations

import asyncio
import csv
from datetime import timedelta
from pathlib import Path
from typing import Unpack

from sqlalchemy import func, select, text

from bot.chat import Sender
from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import ChatIdentity, Event, Participant, Role
from bot.people import invitations, participants
from tests.support.chat import ChatUser, registered
from tests.support.factories import ParticipantFields, make_participant
from tests.support.outbox import Inboxes, deliver_all


async def _invited(
    sessions: SessionFactory,
    event: Event,
    clock: SimulatedClock,
    **fields: Unpack[ParticipantFields],
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
    assert invitations.normalise("thursday") is None  # a linking code has a digit
    assert invitations.codes_in(f"Hi! my code: {code[:4]} {code[4:8]} {code[8:]}.") == [code]
    assert invitations.codes_in("see you at 10:30 in room B") == []


async def test_start_with_a_code_links_the_account_and_greets_by_name_in_their_language(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    person_id, code = await _invited(sessions, demo_event, clock, name="Fatou Sow", language="fr")
    reply = await chat.send(f"/start {code}")
    assert "Bonjour Fatou Sow" in reply
    assert "déjà associée" in await chat.send(f"/start {invitations.grouped(code)}")
    async with sessions() as db:
        identity = (await db.execute(select(ChatIdentity))).scalar_one()
        assert identity.participant_id == person_id


async def test_sending_the_code_alone_works_too(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    _id, code = await _invited(sessions, demo_event, clock, name="Li Wei", language="es")
    assert "¡Hola, Li Wei!" in await chat.send(invitations.grouped(code).lower())


async def test_a_used_code_links_nobody_else_on_any_platform_and_warns_its_owner(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    person_id, code = await _invited(sessions, demo_event, clock, name="Ana Pérez")
    owner = ChatUser(dispatcher, external_id="owner")
    thief = ChatUser(dispatcher, external_id="thief")
    elsewhere = ChatUser(dispatcher, external_id="owner", platform="console")
    assert "Hello Ana Pérez" in await owner.send(f"/start {code}")

    for stranger in (thief, elsewhere):  # another account, here and on another platform
        refused = await stranger.send(f"/start {code}")
        assert "already in use" in refused and "/link" in refused
        assert "Ana" not in refused
        assert "You are not registered" in await stranger.send("/mydata")
    async with sessions() as db:
        linked = select(ChatIdentity.platform).where(ChatIdentity.participant_id == person_id)
        assert list((await db.execute(linked)).scalars()) == ["test"]

    # The owner is told, once, on their linked account.
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [warning] = inboxes.received["owner"]
    assert "Someone sent me your invitation code" in warning and "tell an organiser" in warning

    async with sessions() as db:  # the organiser unlinks the lost phone
        await participants.unlink_accounts(db, await db.get_one(Participant, person_id), "test")
        await db.commit()
    assert "already in use" in await thief.send(f"/start {code}")  # a used code stays used
    async with sessions() as db:  # and gives a new invitation
        new_code = invitations.issue(await db.get_one(Participant, person_id), clock.now())
        await db.commit()
    newcomer = ChatUser(dispatcher, external_id="new-phone")
    assert "Hello Ana Pérez" in await newcomer.send(f"/start {new_code}")
    assert "already in use" in await thief.send(f"/start {new_code}")


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


async def test_a_lock_out_outlives_forget_and_is_forgotten_after_its_hour(
    chat: ChatUser,
    dispatcher: Dispatcher,
    demo_event: Event,
    sessions: SessionFactory,
    clock: SimulatedClock,
) -> None:
    _id, code = await _invited(sessions, demo_event, clock, name="Sam Okoye")
    for _attempt in range(10):
        await chat.send(f"/start {invitations.new_code()}")
    assert "Too many wrong codes" in await chat.send(f"/start {code}")
    await chat.send("/forget")
    assert "erased" in await chat.press("Yes, erase my data")
    assert "Too many wrong codes" in await chat.send(f"/start {code}")  # still locked out
    async with sessions() as db:
        assert (await db.execute(select(func.count(ChatIdentity.id)))).scalar_one() == 1

    clock.advance(timedelta(minutes=61))
    await deliver_all(dispatcher, Inboxes())  # the worker's book-keeping forgets them
    async with sessions() as db:  # nothing of the lock-out is kept after its hour
        for table in ("invitation_failures", "invitation_lockouts"):
            assert (await db.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one() == 0
    assert "Hello Sam Okoye" in await chat.send(f"/start {code}")


async def test_a_code_shown_in_a_group_is_void_and_the_group_is_told_without_names(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    _noor, noor_code = await _invited(sessions, demo_event, clock, name="Noor Haddad")
    _omar, omar_code = await _invited(sessions, demo_event, clock, name="Omar Said")
    member = ChatUser(dispatcher, external_id="member", private=False)
    other = ChatUser(dispatcher, external_id="other")

    told = await member.send(f"/start {noor_code}")
    assert "can no longer be used" in told and "ask an organiser" in told
    assert "Noor" not in told
    assert "not valid" in await other.send(f"/start {noor_code}")  # another member, privately

    told = await member.send(invitations.grouped(omar_code))  # the code alone, in a group
    assert "can no longer be used" in told and "Omar" not in told
    assert "not valid" in await other.send(invitations.grouped(omar_code))
    assert await member.send("good morning everyone") == ""  # talk in a group is not answered
    # /start with any code answers the same, live or not: a group cannot test codes.
    assert told == await member.send(f"/start {invitations.new_code()}")
    assert "can no longer be used" not in await member.send("/start hello")


async def test_a_revoked_code_does_not_work(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    person_id, code = await _invited(sessions, demo_event, clock, name="Noor Haddad")
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


async def test_an_organiser_gives_a_new_invitation_in_the_chat(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    person_id, code = await _invited(sessions, demo_event, clock, name="Li Wei")
    lost_phone = ChatUser(dispatcher, external_id="lost")
    assert "Hello Li Wei" in await lost_phone.send(f"/start {code}")
    delegate = await registered(dispatcher, demo_event.id, "Kim")
    assert "Only organisers" in await delegate.send(f"/participant {person_id} invite")
    olga = await registered(dispatcher, demo_event.id, "Olga", role=Role.ORGANISER)
    unlinked = await olga.send(f"/participant {person_id} unlink")
    assert "1 chat account unlinked" in unlinked and "/link" in unlinked
    given = await olga.send(f"/participant {person_id} invite")
    assert "New invitation for Li Wei" in given
    new_code = invitations.normalise(given.split(": ")[1].split()[0])
    assert new_code is not None
    new_phone = ChatUser(dispatcher, external_id="new")
    assert "not valid" in await new_phone.send(f"/start {code}")  # replaced
    assert "Hello Li Wei" in await new_phone.send(f"/start {new_code}")


async def test_accounts_racing_with_one_code_link_one_of_them(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    person_id, code = await _invited(sessions, demo_event, clock, name="Ana Pérez")
    racing = [
        (platform, f"{platform}-{number}")
        for platform in ("telegram", "slack")
        for number in range(4)
    ]
    ready = asyncio.Barrier(len(racing))

    async def send_code(platform: str, external_id: str) -> invitations.Outcome:
        async with sessions() as db:
            identity = await participants.identity_for(
                db, platform, Sender(external_id), clock.now()
            )
            await db.commit()
            await ready.wait()  # every account is ready before anyone sends the code
            result = await invitations.redeem(db, identity, code, clock.now())
            await db.commit()
            return result.outcome

    racers = [asyncio.create_task(send_code(platform, account)) for platform, account in racing]
    outcomes = sorted(await asyncio.gather(*racers))
    assert outcomes.count(invitations.Outcome.LINKED) == 1
    assert outcomes.count(invitations.Outcome.IN_USE) == 7
    async with sessions() as db:
        linked = select(func.count()).where(ChatIdentity.participant_id == person_id)
        assert (await db.execute(linked)).scalar_one() == 1
