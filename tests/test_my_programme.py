"""One person's own programme (bot/programme/mine.py), which the calendar and the pack print."""

from __future__ import annotations

from sqlalchemy import select

from bot.dispatcher import Dispatcher
from bot.models import Audience, Event, Participant, Role, Session
from bot.programme.mine import my_programme
from tests.support.chat import ChatUser, link_to_new_participant


async def _programme_of(dispatcher: Dispatcher, event: Event, name: str) -> list[tuple[str, int]]:
    """(session key, act of their table or 0) for each item of their programme."""
    async with dispatcher.sessions() as db:
        person = (
            await db.execute(select(Participant).where(Participant.name == name))
        ).scalar_one()
        items = await my_programme(db, event, person)
        return [(item.session.key, item.seat[1].act if item.seat else 0) for item in items]


async def test_a_delegate_has_the_sessions_open_to_her_with_her_seat_in_time_order(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    ana = ChatUser(dispatcher, external_id="ana")
    await link_to_new_participant(ana, Role.CIVIL_SOCIETY, demo_event.id, name="Ana")
    await ana.send("/join 1 d2-tables")
    minister = ChatUser(dispatcher, external_id="minister")
    await link_to_new_participant(minister, Role.GOVERNMENT, demo_event.id, name="Minister")

    mine = await _programme_of(dispatcher, demo_event, "Ana")
    theirs = await _programme_of(dispatcher, demo_event, "Minister")

    async with dispatcher.sessions() as db:
        sessions = {s.key: s for s in (await db.execute(select(Session))).scalars()}
    civil_only = {key for key, s in sessions.items() if s.audience == Audience.CIVIL_SOCIETY}
    assert civil_only and civil_only <= {key for key, _act in mine}
    assert not civil_only & {key for key, _act in theirs}
    assert [act for _key, act in mine if act] == [1]
    starts = [sessions[key].starts_at for key, _act in mine]
    assert starts == sorted(starts)
