"""Act tables: rounds, seats per role, waiting lists, and who sits where.

Every change of a table's occupancy locks the table's row first (PostgreSQL: SELECT … FOR
UPDATE, tables in id order; SQLite: the write lock taken at BEGIN), so two people taking the
last seat at the same moment are served one after the other: one sits, one waits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from bot.delivery import outbox
from bot.models import (
    ActTable,
    Event,
    MembershipStatus,
    Participant,
    Role,
    SeatRole,
    Session,
    TableMembership,
    TablePosition,
    TableRound,
    Texts,
)
from bot.notice import Notice
from bot.people import access


@dataclass(frozen=True, kw_only=True)
class TablePromoted(Notice):
    """A seat freed up and the first on the waiting list now has it."""

    kind: ClassVar[str] = "table_promoted"
    act: int
    table: Texts
    round: Texts


@dataclass
class TableView:
    table: ActTable
    capacity: dict[SeatRole, int]
    seated: Counter[SeatRole] = field(default_factory=Counter)
    waiting: Counter[SeatRole] = field(default_factory=Counter)

    def seats_left(self, role: SeatRole) -> int:
        return max(0, self.capacity.get(role, 0) - self.seated[role])


def table_names(table: ActTable) -> list[str]:
    """The words a reader may name a table by: its Act in the three languages, its short name,
    its titles."""
    act = str(table.act)
    return [
        act,
        f"act {act}",
        f"acte {act}",
        f"acto {act}",
        table.short or "",
        *table.title.values(),
    ]


def round_names(table_round: TableRound, number: int) -> list[str]:
    """The words a reader may name a round by: its key, its `number` in the list shown, its
    titles."""
    return [table_round.key, str(number), f"r{number}", *table_round.title.values()]


def _visible(event: Event, role: Role | None) -> Select[TableRound]:
    """The query of the rounds a role may see, in the order they happen, with their tables."""
    return (
        select(TableRound)
        .join(Session, TableRound.session_id == Session.id)
        .where(TableRound.event_id == event.id, TableRound.audience.in_(access.audiences_for(role)))
        .order_by(Session.starts_at, TableRound.id)
        .options(selectinload(TableRound.tables).selectinload(ActTable.capacities))
    )


async def rounds(db: AsyncSession, event: Event, role: Role | None) -> list[TableRound]:
    """The rounds a role may see, in the order they happen."""
    return list((await db.execute(_visible(event, role))).scalars())


async def current_rounds(
    db: AsyncSession, event: Event, role: Role | None, now: datetime
) -> list[TableRound]:
    """The rounds a role may see that are not over yet (going on, or to come), in order; once
    every round is over, the last one (its tables can still be looked at). Empty when the role
    sees no round at all."""
    found = list((await db.execute(_visible(event, role).where(Session.not_over(now)))).scalars())
    return found or (await rounds(db, event, role))[-1:]


async def round_session(db: AsyncSession, table_round: TableRound) -> Session:
    return await db.get_one(Session, table_round.session_id)


async def sessions_of(db: AsyncSession, some: Sequence[TableRound]) -> dict[int, Session]:
    """The session of each round (by round id), in one query."""
    wanted = {r.session_id for r in some}
    if not wanted:
        return {}
    found = (await db.execute(select(Session).where(Session.id.in_(wanted)))).scalars()
    by_id = {session.id: session for session in found}
    return {r.id: by_id[r.session_id] for r in some}


async def views(db: AsyncSession, table_round: TableRound) -> list[TableView]:
    counts = await db.execute(
        select(
            TableMembership.table_id,
            TableMembership.seat_role,
            TableMembership.status,
            func.count(),
        )
        .where(TableMembership.round_id == table_round.id)
        .group_by(TableMembership.table_id, TableMembership.seat_role, TableMembership.status)
    )
    by_table = {
        table.id: TableView(table, {c.seat_role: c.seats for c in table.capacities})
        for table in table_round.tables
    }
    for table_id, seat, status, count in counts:
        view = by_table[table_id]
        (view.seated if status == MembershipStatus.SEATED else view.waiting)[seat] += count
    return list(by_table.values())


async def membership(
    db: AsyncSession, participant_id: int, round_id: int
) -> TableMembership | None:
    query = select(TableMembership).where(
        TableMembership.participant_id == participant_id, TableMembership.round_id == round_id
    )
    return (await db.execute(query)).scalar_one_or_none()


# A participant's membership of one round, with its table, round and session.
Seat = tuple[TableMembership, ActTable, TableRound, Session]


async def memberships(db: AsyncSession, participant_id: int) -> list[Seat]:
    rows = await db.execute(
        select(TableMembership, ActTable, TableRound, Session)
        .join(ActTable, TableMembership.table_id == ActTable.id)
        .join(TableRound, TableMembership.round_id == TableRound.id)
        .join(Session, TableRound.session_id == Session.id)
        .where(TableMembership.participant_id == participant_id)
        .order_by(Session.starts_at)
    )
    return [(m, t, r, s) for m, t, r, s in rows]


async def current_seats(db: AsyncSession, participant_id: int, now: datetime) -> list[Seat]:
    """The participant's seats (and waiting lists) in rounds not over yet; once every round
    is over, all of them. The same rule as `current_rounds`, for one person's seats."""
    seats = await memberships(db, participant_id)
    return [(m, t, r, s) for m, t, r, s in seats if s.over_at > now] or seats


def _earlier(seats: Sequence[Seat], this_start: datetime) -> list[int]:
    """Acts the participant sat at in rounds before the one starting at `this_start`: offered
    first (Day 1 → Day 2)."""
    return [
        table.act
        for seat, table, _round, session in seats
        if session.starts_at < this_start and seat.status == MembershipStatus.SEATED
    ]


async def position(db: AsyncSession, seat: TableMembership) -> int:
    """1 for the first on a waiting list."""
    return (await waiting_numbers(db, [seat]))[seat.id]


async def waiting_numbers(db: AsyncSession, seats: Sequence[TableMembership]) -> dict[int, int]:
    """Each seat's place on its waiting list (1 for the first), by membership id, in one query:
    those of the same table and seat role who waited before it (ties by id), plus one."""
    if not seats:
        return {}
    before = aliased(TableMembership)
    query = (
        select(TableMembership.id, func.count(before.id))
        .outerjoin(
            before,
            (before.table_id == TableMembership.table_id)
            & (before.seat_role == TableMembership.seat_role)
            & (before.status == MembershipStatus.WAITLISTED)
            & (
                (before.created_at < TableMembership.created_at)
                | (
                    (before.created_at == TableMembership.created_at)
                    & (before.id < TableMembership.id)
                )
            ),
        )
        .where(TableMembership.id.in_({seat.id for seat in seats}))
        .group_by(TableMembership.id)
    )
    return {seat_id: int(count) + 1 for seat_id, count in await db.execute(query)}


@dataclass(frozen=True)
class Board:
    """One round's tables as one reader sees them (/tables): when the round meets, each
    table's seats, the reader's own seat, and the Acts they worked on in earlier rounds (listed
    first). A fixed few queries, however many tables, seats and participants."""

    table_round: TableRound
    session: Session
    views: list[TableView]
    mine: TableMembership | None
    earlier: list[int]


async def board(
    db: AsyncSession, table_round: TableRound, participant: Participant | None
) -> Board:
    session = await round_session(db, table_round)
    seats = await memberships(db, participant.id) if participant is not None else []
    mine = next((seat for seat, *_rest in seats if seat.round_id == table_round.id), None)
    earlier = _earlier(seats, session.starts_at)
    shown = await views(db, table_round)
    shown.sort(key=lambda view: (view.table.act not in earlier, view.table.act))
    return Board(table_round, session, shown, mine, earlier)


async def _lock(db: AsyncSession, *table_ids: int) -> None:
    ids = sorted(set(table_ids))
    await db.execute(
        select(ActTable.id).where(ActTable.id.in_(ids)).order_by(ActTable.id).with_for_update()
    )


class Outcome(StrEnum):
    SEATED = "seated"
    WAITLISTED = "waitlisted"
    ALREADY_SEATED = "already_seated"
    ALREADY_WAITING = "already_waiting"
    MOVE_NEEDED = "move_needed"  # at another table of the round: ask before moving
    NOT_ALLOWED = "not_allowed"
    CLOSED = "closed"


@dataclass(frozen=True)
class JoinResult:
    outcome: Outcome
    position: int | None = None
    current: ActTable | None = None


async def join(
    db: AsyncSession,
    participant: Participant,
    table: ActTable,
    now: datetime,
    *,
    move: bool = False,
    by_organiser: bool = False,
) -> JoinResult:
    """Seat `participant` at `table`, or put them on its waiting list.

    An organiser's assignment ignores closing and capacity and always moves.
    """
    table_round = await db.get_one(TableRound, table.round_id)
    seat_role = access.seat_role(participant.role)
    capacity = {c.seat_role: c.seats for c in table.capacities}
    if seat_role is None or not (
        by_organiser or access.may_join(participant.role, table_round.audience, capacity)
    ):
        return JoinResult(Outcome.NOT_ALLOWED)
    if table.closed and not by_organiser:
        return JoinResult(Outcome.CLOSED)
    current = await membership(db, participant.id, table_round.id)
    here = current is not None and current.table_id == table.id
    if here and current and current.status == MembershipStatus.SEATED:
        return JoinResult(Outcome.ALREADY_SEATED)
    if here and current and not by_organiser:
        return JoinResult(Outcome.ALREADY_WAITING, await position(db, current))
    # (an organiser seating someone from the waiting list goes on: removed, then seated)
    if current is not None and current.table_id != table.id and not (move or by_organiser):
        return JoinResult(Outcome.MOVE_NEEDED, current=await db.get_one(ActTable, current.table_id))

    await _lock(db, table.id, *([current.table_id] if current else []))
    if current is not None:
        await _remove(db, current, now)
    seated = (
        await db.execute(
            select(func.count()).where(
                TableMembership.table_id == table.id,
                TableMembership.seat_role == seat_role,
                TableMembership.status == MembershipStatus.SEATED,
            )
        )
    ).scalar_one()
    status = (
        MembershipStatus.SEATED
        if by_organiser or seated < capacity.get(seat_role, 0)
        else MembershipStatus.WAITLISTED
    )
    seat = TableMembership(
        participant_id=participant.id,
        table_id=table.id,
        round_id=table_round.id,
        status=status,
        seat_role=seat_role,
        position=TablePosition.MEMBER,
        created_at=now,
    )
    db.add(seat)
    await db.flush()
    if status == MembershipStatus.SEATED:
        return JoinResult(Outcome.SEATED)
    return JoinResult(Outcome.WAITLISTED, await position(db, seat))


async def leave(
    db: AsyncSession, participant_id: int, round_id: int, now: datetime
) -> ActTable | None:
    """Leave one's table (or waiting list) of a round; the seat goes to the first who waits."""
    current = await membership(db, participant_id, round_id)
    if current is None:
        return None
    await _lock(db, current.table_id)
    await _remove(db, current, now)
    return await db.get_one(ActTable, current.table_id)


async def _remove(db: AsyncSession, seat: TableMembership, now: datetime) -> None:
    """Delete a membership; a freed seat is given to the first on the waiting list for that role,
    who is told so through the outbox. The table's row must be locked by the caller."""
    freed = seat.status == MembershipStatus.SEATED
    table_id, seat_role = seat.table_id, seat.seat_role
    await db.execute(delete(TableMembership).where(TableMembership.id == seat.id))
    if not freed:
        return
    table = await db.get_one(ActTable, table_id)
    capacity = {c.seat_role: c.seats for c in table.capacities}.get(seat_role, 0)
    seated = (
        await db.execute(
            select(func.count()).where(
                TableMembership.table_id == table_id,
                TableMembership.seat_role == seat_role,
                TableMembership.status == MembershipStatus.SEATED,
            )
        )
    ).scalar_one()
    if seated >= capacity:
        return  # an organiser had overfilled the table: the freed seat was one too many
    first = (
        await db.execute(
            select(TableMembership)
            .where(
                TableMembership.table_id == table_id,
                TableMembership.seat_role == seat_role,
                TableMembership.status == MembershipStatus.WAITLISTED,
            )
            .order_by(TableMembership.created_at, TableMembership.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if first is None:
        return
    first.status = MembershipStatus.SEATED
    table_round = await db.get_one(TableRound, table.round_id)
    await outbox.enqueue(
        db,
        f"table-promoted:{first.id}",
        first.participant_id,
        TablePromoted(act=table.act, table=table.title, round=table_round.title),
        now,
    )


async def name_position(
    db: AsyncSession, participant: Participant, table: ActTable, role: TablePosition, now: datetime
) -> None:
    """Make `participant` the table's facilitator or rapporteur (seating them there); whoever
    held that position before stays at the table as a member."""
    await join(db, participant, table, now, by_organiser=True)
    seat = await membership(db, participant.id, table.round_id)
    assert seat is not None
    previous = await db.execute(
        select(TableMembership).where(
            TableMembership.table_id == table.id, TableMembership.position == role
        )
    )
    for holder in previous.scalars():
        holder.position = TablePosition.MEMBER
    seat.status = MembershipStatus.SEATED
    seat.position = role


async def roster(db: AsyncSession, table: ActTable) -> list[tuple[TableMembership, Participant]]:
    rows = await db.execute(
        select(TableMembership, Participant)
        .join(Participant, TableMembership.participant_id == Participant.id)
        .where(TableMembership.table_id == table.id)
        .order_by(TableMembership.status, TableMembership.created_at, TableMembership.id)
    )
    return [(seat, person) for seat, person in rows]
