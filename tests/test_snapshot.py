"""/snapshot: the participation figures of the meeting report, in the organiser's language."""

from __future__ import annotations

import csv

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.models import Event, Role
from bot.people.csv_import import import_participants, read_csv
from tests.support.chat import ChatUser, link_to_new_participant
from tests.support.demo import DEMO_PEOPLE_FILE

PEOPLE = DEMO_PEOPLE_FILE


async def test_the_snapshot_of_the_demo_meeting(
    chat: ChatUser, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    text = PEOPLE.read_text(encoding="utf-8")
    async with sessions() as db:
        await import_participants(db, demo_event, read_csv(text), clock.now())
        await db.commit()
    await link_to_new_participant(chat, Role.ORGANISER, demo_event.id, language="fr")
    rows = list(csv.DictReader(text.splitlines()))
    civil = [r for r in rows if r["role"] not in ("government", "international")]
    women = sum(r["gender"] == "woman" for r in civil)
    men = sum(r["gender"] == "man" for r in civil)
    migrants = sum(r["migrant_background"] == "yes" for r in civil)

    reply = await chat.send("/snapshot")

    reply = reply.replace("\xa0", " ")
    assert f"{len(civil) + 1} participant·e·s de la société civile" in reply  # + the organiser
    assert f"{women}:{men} femmes:hommes" in reply
    assert f"{migrants} personnes migrantes, réfugiées ou de la diaspora" in reply
    assert "4 délégué·e·s jeunesse" in reply
    assert "Europe : 19" in reply
    assert "Amérique latine : 17 (dont Mexique : 8)" in reply
