"""A delegate's screens cost a fixed few SQL statements, however many people take part: the
same for 100 and for 1,000 participants filling every table and its waiting list."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import groups, inbox
from bot.chat import Incoming, Sender
from bot.dispatcher import Dispatcher
from bot.mail import relay
from bot.models import (
    Event,
    GroupMembership,
    GroupMembershipStatus,
    MailMessage,
    MailStatus,
    MembershipStatus,
    Role,
    TableMembership,
    TablePosition,
)
from bot.people import access
from bot.programme import meeting
from bot.tables import seating
from handlers import mail
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.population import add_telegram_participants
from tests.support.queries import Statements

CountQueries = Callable[[], AbstractContextManager[Statements]]
# The statements each screen sends on PostgreSQL, the reader's account included (the event is
# read once every few seconds: see `keep_the_event`).
COSTS = {
    # With the sessions the reader moderates now (a moderator's board comes first) and whether
    # they were checked in at the door today.
    "/home": 8,
    "/tables": 8,
    "/tables d2-tables": 8,
    "/join": 8,
    "/join 9": 4,
    "/join 9 d2-tables": 6,
    "/mytables": 4,
}


@pytest.fixture(autouse=True)
def keep_the_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """A message reads the event only when the one read last is older than `meeting.RECENT`
    seconds: made long here, so that the counts do not depend on the machine's speed."""
    monkeypatch.setattr(meeting, "RECENT", 3600.0)


async def _populate(dispatcher: Dispatcher, event: Event, count: int, after: timedelta) -> None:
    """`count` more civil-society delegates, each at a table of every round: seated while the
    table has room, else on its waiting list (in the order they came, `after` the clock)."""
    seat_role = access.seat_role(Role.CIVIL_SOCIETY)
    assert seat_role is not None
    async with dispatcher.sessions() as db:
        people = await add_telegram_participants(db, event.id, count)
        rounds = await seating.rounds(db, event, Role.CIVIL_SOCIETY)
        seated: Counter[int] = Counter()
        for table_round in rounds:
            for view in await seating.views(db, table_round):
                seated[view.table.id] = view.seated[seat_role]
        start = dispatcher.clock.now() + after
        rows = []
        for n, person in enumerate(people):
            for table_round in rounds:
                table = table_round.tables[n % len(table_round.tables)]
                room = {c.seat_role: c.seats for c in table.capacities}.get(seat_role, 0)
                sits = seated[table.id] < room
                seated[table.id] += sits
                rows.append(
                    {
                        "participant_id": person,
                        "table_id": table.id,
                        "round_id": table_round.id,
                        "status": MembershipStatus.SEATED if sits else MembershipStatus.WAITLISTED,
                        "seat_role": seat_role,
                        "position": TablePosition.MEMBER,
                        "created_at": start + timedelta(microseconds=n),
                    }
                )
        await db.execute(insert(TableMembership), rows)
        await db.commit()


# What each screen shows Delia (so that the count is that of the screen meant).
SHOWN = {
    "/home": "Your tables",
    "/tables": "✅ Act 1",
    "/tables d2-tables": "⭐ Act 1",
    "/join": "Join a table",
    "/join 9": "Act 9 meets in several rounds",
    "/join 9 d2-tables": "You are number 3 on the waiting list",
    "/mytables": "waiting list, number 3",
}


async def _costs(delegate: ChatUser, count_queries: CountQueries) -> dict[str, int]:
    costs = {}
    for screen in COSTS:
        with count_queries() as queries:
            shown = await delegate.send(screen)
        assert SHOWN[screen] in shown, (screen, shown)
        costs[screen] = queries.count
    return costs


async def test_a_delegates_screens_cost_the_same_few_queries_for_100_and_1000_participants(
    dispatcher: Dispatcher, demo_event: Event, engine: AsyncEngine, count_queries: CountQueries
) -> None:
    delia = await registered(dispatcher, demo_event.id, "Delia")
    assert "You have a seat" in await delia.send("/join 1 d1-groups-1")  # first on day 2 then
    await _populate(dispatcher, demo_event, 100, after=-timedelta(days=1))
    assert "waiting list" in await delia.send("/join 9 d2-tables")
    assert "number" in await delia.send("/mytables")

    with_100 = await _costs(delia, count_queries)
    await _populate(dispatcher, demo_event, 900, after=timedelta(hours=1))
    with_1000 = await _costs(delia, count_queries)

    assert with_1000 == with_100
    # SQLite's transactions start with a BEGIN IMMEDIATE of their own (bot.db): one more each.
    begin = 1 if engine.dialect.name == "sqlite" else 0
    assert with_1000 == {screen: count + begin for screen, count in COSTS.items()}


async def _archive_list_mail(dispatcher: Dispatcher, event: Event, count: int) -> None:
    """`count` more relayed list messages, each for one of the reference groups in turn."""
    async with dispatcher.sessions() as db:
        every = await groups.all_groups(db, event)
        start = await db.scalar(select(func.count()).select_from(MailMessage)) or 0
        for n in range(start, start + count):
            db.add(
                MailMessage(
                    event_id=event.id,
                    message_key=relay.message_key(f"<m{n}@example.org>"),
                    message_id=f"<m{n}@example.org>",
                    list_id="list.example.org",
                    sender_address="someone@example.org",
                    subject=f"Message {n}",
                    received_at=dispatcher.clock.now() + timedelta(minutes=n),
                    group_id=every[n % len(every)].id,
                    status=MailStatus.RELAYED,
                )
            )
        await db.commit()


async def test_the_list_of_mail_costs_the_same_few_queries_for_10_and_50_messages(
    dispatcher: Dispatcher, demo_event: Event, engine: AsyncEngine, count_queries: CountQueries
) -> None:
    """Someone who does not take the list reads the messages of their group: which messages is
    asked once for all those shown, not once per message."""
    delia = ChatUser(dispatcher, external_id="delia")
    delia_id = await link_to_new_participant(delia, Role.CIVIL_SOCIETY, demo_event.id)
    await delia.send("/mailinglist off")
    async with dispatcher.sessions() as db:
        every = await groups.all_groups(db, demo_event)
        mine = every[0]
        db.add(
            GroupMembership(
                participant_id=delia_id,
                group_id=mine.id,
                status=GroupMembershipStatus.MEMBER,
                created_at=dispatcher.clock.now(),
            )
        )
        await db.commit()
    costs = []
    total = 0
    for count in (10, 40):  # 10, then 50 messages: /lists reads the latest 50
        await _archive_list_mail(dispatcher, demo_event, count)
        total += count
        with count_queries() as queries:
            shown = await delia.send("/lists")
        costs.append(queries.count)
        hers = [n for n in range(total) if n % len(every) == 0]  # her group's, latest first
        assert shown.count("Message ") == min(len(hers), mail.RECENT)
        assert f"Message {hers[-1]}" in shown
    begin = 1 if engine.dialect.name == "sqlite" else 0
    assert costs == [3 + begin, 3 + begin]


async def test_an_update_from_someone_new_costs_a_few_statements_from_inbox_to_finish(
    dispatcher: Dispatcher, demo_event: Event, engine: AsyncEngine, count_queries: CountQueries
) -> None:
    """The whole path of a Telegram /agenda from a person never seen: stored in the inbox,
    handled (their chat account created on first contact) with its replies kept, finished.
    Each statement is a round trip; at a hundred updates a second, each one counts."""
    newcomer = Sender("777000", "Nour", "fr")
    first = Sender("777001", "Ama", "en")  # the meeting's days are then known (kept in memory)
    assert await dispatcher.handle(Incoming("telegram", "777001", first, command="agenda"))
    with count_queries() as queries:
        assert await inbox.store(dispatcher.sessions, "telegram", [("5001", "{}")]) == ["5001"]
        stored = queries.count
        replies = await dispatcher.handle(
            Incoming("telegram", "777000", newcomer, command="agenda", delivery_id="5001"),
            keep_replies=True,
        )
        handled = queries.count - stored
        await inbox.Finishing(dispatcher.sessions, "telegram").finish("5001")
        finished = queries.count - stored - handled

    assert "📅" in replies[0].text
    # SQLite's transactions start with a BEGIN IMMEDIATE of their own (bot.db): one more each.
    begin = 1 if engine.dialect.name == "sqlite" else 0
    # Stored: INSERT … ON CONFLICT RETURNING. Handled: claim, account (looked for, then
    # created without a savepoint), the agenda's count and page, the replies kept. Finished:
    # one UPDATE. (Commits are not counted; it was 2, 9 and 2.)
    assert (stored, handled, finished) == (1 + begin, 6 + begin, 1 + begin)
