"""The dashboard (/home, and Slack's App Home): the meeting's figures for organisers, and for
everyone else what is next for them.

Every count is made by the database (GROUP BY), so a dashboard costs a handful of queries
however many people take part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import broadcasts
from bot.models import (
    ActTable,
    Broadcast,
    BroadcastStatus,
    ChatIdentity,
    Event,
    GroupMembership,
    GroupMembershipStatus,
    MembershipStatus,
    OutboxStatus,
    Participant,
    ReferenceGroup,
    Role,
    Session,
    TableMembership,
    TablePosition,
    TableRound,
)
from bot.people import access, attendance
from bot.tables import seating

RECENT_BROADCASTS = 3
NEXT_SESSIONS = 3


@dataclass(frozen=True)
class RoundFill:
    """The tables of one round: seats taken of the seats offered, and how many wait."""

    table_round: TableRound
    taken: int
    offered: int
    waiting: int


@dataclass(frozen=True)
class BroadcastDelivery:
    id: int
    status: BroadcastStatus
    recipients: int
    delivered: int
    unreachable: int
    failed: int
    pending: int


@dataclass(frozen=True)
class OrganiserFigures:
    participants: int  # erased ones left out
    linked: dict[str, int]  # platform → participants with at least one account there
    unlinked: int  # participants with no chat account anywhere
    rounds: list[RoundFill]
    broadcasts: list[BroadcastDelivery]  # the latest first


async def organiser_figures(db: AsyncSession, event: Event) -> OrganiserFigures:
    total, anywhere = await _linked_anywhere(db, event)
    return OrganiserFigures(
        participants=total,
        linked=await _linked_per_platform(db, event),
        unlinked=total - anywhere,
        rounds=await _round_fills(db, event),
        broadcasts=await _recent_broadcasts(db, event),
    )


async def _linked_anywhere(db: AsyncSession, event: Event) -> tuple[int, int]:
    """Participants, and those of them with a chat account on any platform."""
    query = (
        select(
            func.count(distinct(Participant.id)), func.count(distinct(ChatIdentity.participant_id))
        )
        .select_from(Participant)
        .outerjoin(ChatIdentity, ChatIdentity.participant_id == Participant.id)
        .where(Participant.event_id == event.id, Participant.erased_at.is_(None))
    )
    total, linked = (await db.execute(query)).one()
    return int(total), int(linked)


async def _linked_per_platform(db: AsyncSession, event: Event) -> dict[str, int]:
    # DISTINCT: a person with two accounts on one platform counts once there.
    query = (
        select(ChatIdentity.platform, func.count(distinct(ChatIdentity.participant_id)))
        .join(Participant, ChatIdentity.participant_id == Participant.id)
        .where(Participant.event_id == event.id, Participant.erased_at.is_(None))
        .group_by(ChatIdentity.platform)
    )
    return {platform: int(count) for platform, count in await db.execute(query)}


async def _round_fills(db: AsyncSession, event: Event) -> list[RoundFill]:
    every_round = await seating.rounds(db, event, Role.ORGANISER)
    round_of = {table.id: r.id for r in every_round for table in r.tables}
    taken: dict[int, int] = dict.fromkeys(round_of.values(), 0)
    waiting = dict(taken)
    if round_of:
        # Grouped by table, not round: the (table_id, status) index answers it alone.
        counts = await db.execute(
            select(TableMembership.table_id, TableMembership.status, func.count())
            .where(TableMembership.table_id.in_(round_of))
            .group_by(TableMembership.table_id, TableMembership.status)
        )
        for table_id, status, count in counts:
            tally = taken if status == MembershipStatus.SEATED else waiting
            tally[round_of[table_id]] += int(count)
    return [
        RoundFill(
            table_round=r,
            taken=taken[r.id],
            offered=sum(c.seats for table in r.tables for c in table.capacities),
            waiting=waiting[r.id],
        )
        for r in every_round
    ]


async def _recent_broadcasts(db: AsyncSession, event: Event) -> list[BroadcastDelivery]:
    # Drafts are previews nobody confirmed: nothing of them left.
    query = (
        select(Broadcast)
        .where(Broadcast.event_id == event.id, Broadcast.status != BroadcastStatus.DRAFT)
        .order_by(Broadcast.id.desc())
        .limit(RECENT_BROADCASTS)
    )
    recent = []
    for found in (await db.execute(query)).scalars():
        counts = await broadcasts.progress(db, found.id)
        recent.append(
            BroadcastDelivery(
                id=found.id,
                status=found.status,
                recipients=found.recipients,
                delivered=counts[OutboxStatus.DELIVERED],
                unreachable=counts[OutboxStatus.UNREACHABLE],
                failed=counts[OutboxStatus.FAILED],
                pending=counts[OutboxStatus.PENDING],
            )
        )
    return recent


@dataclass(frozen=True)
class MySeat:
    """My place in one round: seated (in some position), or on a waiting list."""

    table_round: TableRound
    session: Session
    table: ActTable
    status: MembershipStatus
    position: TablePosition
    waiting_number: int | None  # 1 for the first on the waiting list


@dataclass(frozen=True)
class MyGroup:
    group: ReferenceGroup
    status: GroupMembershipStatus


@dataclass(frozen=True)
class PersonalView:
    sessions: list[Session]  # going on or to come, with their venue
    seats: list[MySeat]
    groups: list[MyGroup]
    checked_in_at: datetime | None = None  # at the door today (None: not yet, or no meeting)


async def personal_view(
    db: AsyncSession, event: Event, participant: Participant, now: datetime
) -> PersonalView:
    return PersonalView(
        sessions=await _next_sessions(db, event, participant, now),
        seats=await _my_seats(db, participant),
        groups=await _my_groups(db, event, participant),
        checked_in_at=await attendance.checked_in_today(db, event, participant, now),
    )


async def _next_sessions(
    db: AsyncSession, event: Event, participant: Participant, now: datetime
) -> list[Session]:
    """The next sessions the participant may see; one going on now counts (it is not over)."""
    query = (
        select(Session)
        .where(
            Session.event_id == event.id,
            Session.audience.in_(access.audiences_of(participant)),
            Session.not_over(now),
        )
        .order_by(Session.starts_at, Session.id)
        .limit(NEXT_SESSIONS)
    )
    return list((await db.execute(query)).scalars())


async def _my_seats(db: AsyncSession, participant: Participant) -> list[MySeat]:
    mine = await seating.memberships(db, participant.id)
    waiting = await seating.waiting_numbers(
        db, [seat for seat, *_rest in mine if seat.status == MembershipStatus.WAITLISTED]
    )
    return [
        MySeat(
            table_round=table_round,
            session=session,
            table=table,
            status=seat.status,
            position=seat.position,
            waiting_number=waiting.get(seat.id),
        )
        for seat, table, table_round, session in mine
    ]


async def _my_groups(db: AsyncSession, event: Event, participant: Participant) -> list[MyGroup]:
    rows = await db.execute(
        select(ReferenceGroup, GroupMembership.status)
        .join(GroupMembership, GroupMembership.group_id == ReferenceGroup.id)
        .where(
            ReferenceGroup.event_id == event.id,
            GroupMembership.participant_id == participant.id,
        )
        .order_by(ReferenceGroup.id)
    )
    return [MyGroup(group, status) for group, status in rows]
