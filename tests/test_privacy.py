"""/mydata shows what is kept about me (and only me); /forget erases it, figures stay."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.models import (
    ActTable,
    ChatIdentity,
    Event,
    GroupMembership,
    GroupMembershipStatus,
    MembershipStatus,
    OutboxMessage,
    Participant,
    ReferenceGroup,
    Role,
    SeatRole,
    TableMembership,
)
from bot.reports import snapshot
from handlers import build_notices
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.outbox import Inboxes, deliver_all


async def seat_and_subscribe(sessions: SessionFactory, person_id: int, now: datetime) -> None:
    """A seat at an Act 3 table and membership of the firewalls group."""
    async with sessions() as db:
        table = (await db.execute(select(ActTable).where(ActTable.act == 3).limit(1))).scalar_one()
        group = (
            await db.execute(select(ReferenceGroup).where(ReferenceGroup.key == "firewalls"))
        ).scalar_one()
        db.add(
            TableMembership(
                participant_id=person_id,
                table_id=table.id,
                round_id=table.round_id,
                status=MembershipStatus.SEATED,
                seat_role=SeatRole.CIVIL_SOCIETY,
                created_at=now,
            )
        )
        db.add(
            GroupMembership(
                participant_id=person_id,
                group_id=group.id,
                status=GroupMembershipStatus.MEMBER,
                created_at=now,
            )
        )
        await db.commit()


async def test_mydata_shows_everything_kept_about_me_and_nothing_about_others(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    me = ChatUser(dispatcher, external_id="me")
    other = ChatUser(dispatcher, external_id="other")
    my_id = await link_to_new_participant(
        me, Role.CIVIL_SOCIETY, demo_event.id, name="Aïcha Diallo", email="aicha@example.org"
    )
    await link_to_new_participant(other, Role.CIVIL_SOCIETY, demo_event.id, name="Bruno Silva")
    await seat_and_subscribe(sessions, my_id, clock.now())

    reply = await me.send("/mydata")
    for expected in (
        "Aïcha Diallo",
        "aicha@example.org",
        "civil-society delegate",
        "Act 3",
        "Firewalls",
        "Chat account: Test",
        "15 minutes before",
        "Nothing of what is said at the tables is stored",
    ):
        assert expected in reply, expected
    assert "Bruno" not in reply


async def test_forget_erases_the_person_but_not_the_figures(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    me = ChatUser(dispatcher, external_id="me")
    my_id = await link_to_new_participant(
        me, Role.CIVIL_SOCIETY, demo_event.id, name="Aïcha Diallo", email="aicha@example.org"
    )
    async with sessions() as db:
        person = await db.get_one(Participant, my_id)
        person.region, person.gender, person.migrant_background = "africa", "woman", True
        await db.commit()
        before = await snapshot.snapshot(db, demo_event)
    await seat_and_subscribe(sessions, my_id, clock.now())

    await me.send("/forget")
    assert "No, keep it" in me.choices[1].label
    assert "Nothing was erased" in await me.press("No, keep it")
    await me.send("/forget")
    assert "erased" in await me.press("Yes, erase my data")

    async with sessions() as db:
        person = await db.get_one(Participant, my_id)
        assert (person.name, person.email, person.invitation_hash) == ("", None, None)
        assert person.erased_at is not None
        for model in (ChatIdentity, TableMembership, GroupMembership):
            assert (await db.execute(select(func.count()).select_from(model))).scalar_one() == 0
        after = await snapshot.snapshot(db, demo_event)
    assert (after.women, after.migrants, after.regions) == (
        before.women,
        before.migrants,
        before.regions,
    )
    assert "You are not registered" in await me.send("/mydata")


async def test_a_guest_can_forget_their_chat_account(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory
) -> None:
    assert "not registered" in await chat.send("/mydata")
    await chat.send("/forget")
    await chat.press("Yes")
    async with sessions() as db:
        assert (await db.execute(select(func.count()).select_from(ChatIdentity))).scalar_one() == 0


async def test_personal_commands_are_not_answered_in_a_group(
    chat: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(chat, Role.CIVIL_SOCIETY, demo_event.id, name="Aïcha Diallo")
    chat.private = False
    for command in ("/mydata", "/forget", "/next"):
        reply = await chat.send(command)
        assert "Aïcha" not in reply and "private chat" in reply


async def test_forget_leaves_no_name_in_the_outbox(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    ana = await registered(dispatcher, demo_event.id, "Ana Ferreira", organisation="PICUM")
    fatou = await registered(dispatcher, demo_event.id, "Fatou", language="fr")
    luis = await registered(dispatcher, demo_event.id, "Luis", language="es")
    for member in (ana, fatou, luis):
        await member.send("/subscribe firewalls")
    assert "Sent to 2 members" in await ana.send("/post firewalls See you at the break")
    inboxes = Inboxes()
    one_at_a_time = DeliveryWorker(
        sessions,
        dispatcher.clock,
        build_notices(),
        {"test": inboxes},
        batch=1,
    )
    assert await one_at_a_time.deliver_due() == 1  # one delivered, one waiting
    [delivered] = list(inboxes.received.values())
    assert "Ana Ferreira (PICUM)" in delivered[0]  # named while she is a participant

    await ana.send("/forget")
    assert "erased" in await ana.press("Yes, erase my data")
    async with sessions() as db:
        rows = (await db.execute(select(OutboxMessage.key, OutboxMessage.payload))).all()
    assert len(rows) == 2
    for key, payload in rows:
        kept = key + json.dumps(payload, ensure_ascii=False)
        assert "Ana" not in kept and "Ferreira" not in kept and "PICUM" not in kept

    assert await deliver_all(dispatcher, inboxes) == 1  # the post still reaches the other
    [later] = [texts[0] for texts in inboxes.received.values() if texts is not delivered]
    assert "See you at the break" in later
    assert "Ana" not in later and "PICUM" not in later
