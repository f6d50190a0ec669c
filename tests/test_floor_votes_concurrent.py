"""Many people voting at the same moment, each press in its own transaction on its own
connection, some pressing twice or three times at once: every vote counted once, none lost.

PostgreSQL only: SQLite has one writer at a time, so nothing races there."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.db import SessionFactory, create_engine, session_factory, upgrade
from bot.floor import questions
from bot.floor.questions import Voted
from bot.models import FloorVote, Participant, Role, Session
from bot.programme.load import load_programme
from bot.programme.meeting import current_event
from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.demo import MEETING_ZONE, demo_spec
from tests.support.factories import make_participant

pytestmark = pytest.mark.postgres

VOTERS = 200
PRESSES = 3  # each voter's presses race each other too
CONNECTIONS = 20  # the machine's PostgreSQL is shared: the presses queue for these
NOW = datetime(2017, 12, 2, 8, 40, tzinfo=MEETING_ZONE)  # d1-opening is on


@pytest.fixture
async def sessions(postgres_url: str) -> AsyncIterator[SessionFactory]:
    url = create_postgres_database()
    engine = create_engine(url, pool_size=CONNECTIONS, max_overflow=0)
    try:
        await upgrade(url)
        yield session_factory(engine)
    finally:
        await engine.dispose()
        drop_postgres_database(url)


async def _plenary(sessions: SessionFactory) -> tuple[int, int, int, list[int]]:
    """d1-opening with two approved questions, the second then merged into the first, and the
    voters (ids)."""
    async with sessions() as db:
        await load_programme(db, demo_spec(), NOW)
        event = await current_event(db)
        assert event is not None
        session = (
            await db.execute(select(Session).where(Session.key == "d1-opening"))
        ).scalar_one()
        asker = await make_participant(db, event.id, NOW)
        first = await questions.ask(db, session, asker, "First?", "en", NOW)
        duplicate = await questions.ask(db, session, asker, "Premier ?", "fr", NOW)
        for question in (first, duplicate):
            assert await questions.approve(db, question.id, NOW) == questions.Decided.DONE
        voters = [
            await make_participant(db, event.id, NOW, role=Role.CIVIL_SOCIETY)
            for _ in range(VOTERS)
        ]
        await db.commit()
        return session.id, first.id, duplicate.id, [v.id for v in voters]


async def _press(
    sessions: SessionFactory, voter_id: int, question_id: int, ready: asyncio.Barrier
) -> Voted:
    await ready.wait()
    async with sessions() as db:
        voter = await db.get_one(Participant, voter_id)
        result = await questions.vote(db, question_id, voter, NOW)
        await db.commit()
        return result.outcome


async def test_two_hundred_voters_pressing_at_once_count_once_each(
    sessions: SessionFactory,
) -> None:
    session_id, first, duplicate, voters = await _plenary(sessions)
    # Every voter presses the first question three times at once; every other one also the
    # duplicate, before it is merged.
    presses = [(v, first) for v in voters for _ in range(PRESSES)]
    presses += [(v, duplicate) for v in voters[::2] for _ in range(PRESSES)]
    ready = asyncio.Barrier(len(presses))
    outcomes = await asyncio.gather(
        *(_press(sessions, voter, question, ready) for voter, question in presses)
    )

    counted = Counter(outcomes)
    assert counted[Voted.COUNTED] == VOTERS + VOTERS // 2
    assert counted[Voted.ALREADY] == len(presses) - counted[Voted.COUNTED]
    async with sessions() as db:
        rows = (await db.execute(select(func.count()).select_from(FloorVote))).scalar_one()
        assert rows == VOTERS + VOTERS // 2
        session = await db.get_one(Session, session_id)
        before = await questions.board(db, session, moderator=True)
        assert {e.id: e.votes for e in before.approved} == {first: VOTERS, duplicate: VOTERS // 2}
        assert await questions.merge(db, duplicate, first, NOW) == questions.Decided.DONE
        await db.commit()
        after = await questions.board(db, session, moderator=True)
    # Those who voted for both count once: the distinct voters.
    assert [(e.id, e.votes) for e in after.approved] == [(first, VOTERS)]
