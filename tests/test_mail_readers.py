"""Who reads a list message in chat (/lists) and who is sent it (the relay) follow one rule:
every choice of list updates, every role, in the message's group or not."""

from __future__ import annotations

import itertools

from bot import groups
from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.mail import relay
from bot.models import (
    Event,
    GroupMembership,
    GroupMembershipStatus,
    MailMessage,
    MailStatus,
    Role,
)
from tests.support.factories import make_participant

CHOICES = (True, False, None)  # /mailinglist on, off, never said
MEMBERSHIP = (GroupMembershipStatus.MEMBER, GroupMembershipStatus.PENDING, None)


async def test_those_sent_a_list_message_are_those_who_may_read_it(
    sessions: SessionFactory, demo_event: Event, clock: SimulatedClock
) -> None:
    now = clock.now()
    async with sessions() as db:
        group = (await groups.all_groups(db, demo_event))[0]
        mail = MailMessage(
            event_id=demo_event.id,
            message_key=relay.message_key("<readers@example.org>"),
            message_id="<readers@example.org>",
            list_id="list.example.org",
            subject=f"[{group.key}] Comments",
            received_at=now,
            group_id=group.id,
            status=MailStatus.RELAYED,
        )
        db.add(mail)
        people = []
        for role, choice, membership in itertools.product(Role, CHOICES, MEMBERSHIP):
            person = await make_participant(db, demo_event.id, now, role=role)
            person.mailing_list = choice
            if membership is not None:
                db.add(
                    GroupMembership(
                        participant_id=person.id,
                        group_id=group.id,
                        status=membership,
                        created_at=now,
                    )
                )
            people.append(person)
        await db.flush()

        sent = set(await relay.recipients(db, mail))
        # Read with their own eyes, as a delegate (organisers' eyes read every message).
        readers = {person.id for person in people if await relay.readable(db, person, [mail], None)}

    assert sent == readers
    # 54 people: 18 said "on", 3 civil-society delegates never said (on by default), and 11
    # more are members of the group (pending requests do not count).
    assert len(sent) == 18 + 3 + 11
