"""What the bot keeps about a person, and erasing it (/mydata, /forget)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.floor import feedback, polls, speakers
from bot.models import (
    ActTable,
    ChatIdentity,
    FloorBoard,
    FloorQuestion,
    GroupMembership,
    LinkCode,
    MembershipStatus,
    Participant,
    ReferenceGroup,
    SurveyParticipation,
    SurveyResponse,
    TableMembership,
    TableRound,
    TranslatedText,
)


@dataclass(frozen=True)
class TableSeat:
    round_title: dict[str, str]
    act: int
    table_title: dict[str, str]
    status: MembershipStatus


@dataclass(frozen=True)
class PersonalData:
    participant: Participant | None
    accounts: list[ChatIdentity]
    tables: list[TableSeat]
    groups: list[dict[str, str]]


async def personal_data(db: AsyncSession, identity: ChatIdentity) -> PersonalData:
    participant = identity.participant
    if participant is None:
        return PersonalData(None, [identity], [], [])
    accounts = (
        await db.execute(
            select(ChatIdentity)
            .where(ChatIdentity.participant_id == participant.id)
            .order_by(ChatIdentity.platform, ChatIdentity.id)
        )
    ).scalars()
    seats = await db.execute(
        select(TableRound.title, ActTable.act, ActTable.title, TableMembership.status)
        .join(ActTable, TableMembership.table_id == ActTable.id)
        .join(TableRound, ActTable.round_id == TableRound.id)
        .where(TableMembership.participant_id == participant.id)
        .order_by(TableRound.id)
    )
    groups = await db.execute(
        select(ReferenceGroup.title)
        .join(GroupMembership, GroupMembership.group_id == ReferenceGroup.id)
        .where(GroupMembership.participant_id == participant.id)
        .order_by(ReferenceGroup.id)
    )
    return PersonalData(
        participant,
        list(accounts),
        [TableSeat(r, act, t, status) for r, act, t, status in seats],
        list(groups.scalars()),
    )


async def erase(db: AsyncSession, identity: ChatIdentity, now: datetime) -> None:
    """/forget: erase the person behind a chat account (`erase_participant`), or the account
    alone when it is a guest's."""
    participant = identity.participant
    if participant is None:
        await db.delete(identity)
        return
    await erase_participant(db, participant, now)
    db.expunge(identity)


# What erasing leaves on a person's row (the rest are the categories of the figures).
ERASED: dict[str, object] = {
    "translate": None,
    "name": "",
    "email": None,
    "organisation": None,
    "language": None,
    "form_of_address": None,
    "reminder_minutes": None,
    "invitation_hash": None,
    "invitation_used_at": None,
    "invitation_used_on": None,
    # Secrets that would let someone act as them (a calendar address, a check-in code).
    "calendar_token": None,
    "checkin_code": None,
    "volunteer": False,
    "notify_platform": None,
    # Their settings go with them (nothing is sent to a nameless row anyway).
    "lite": False,
    "digest_hour": None,
    "pack_sent_at": None,
}


async def erase_participant(
    db: AsyncSession, participant: Participant, now: datetime, *, keep_seats: bool = False
) -> None:
    """Erase a person: name, contacts, language, invitation, memberships, every chat link, and
    what ties them to survey answers: /forget. The purge at the end of the retention period
    (`bot.people.retention`) erases the same for everyone at once (`erase_all`).

    The categories used only in aggregate figures (role, region, country, gender, background,
    youth, attendance) stay on a nameless row, so the meeting's figures do not change. Messages
    queued about them name them by id only (a group post's author), so no name stays behind.
    Wrong codes and lock-outs are kept by a hash of the chat account, not by its row, and
    outlive the erasure until their hour is over: /forget does not lift a lock-out.

    `keep_seats`: the purge keeps the seats taken at the tables on the nameless row, as it
    keeps check-ins, so that the distribution's counts stay; /forget removes them (the person
    leaves their tables).
    """
    await _erase_ties(db, [participant.id], keep_seats=keep_seats)
    for name, value in ERASED.items():
        setattr(participant, name, value)
    participant.erased_at = participant.erased_at or now  # a purge keeps the /forget date


async def erase_all(db: AsyncSession, people: Select[Any], now: datetime) -> None:
    """`erase_participant` with `keep_seats` for everyone `people` selects (their ids), in a
    few statements whatever their number: the purge at the end of the retention period (one
    person at a time took almost four minutes for 10,000). Objects already loaded in the
    session are not refreshed."""
    await _erase_ties(db, people, keep_seats=True)
    await db.execute(
        update(Participant)
        .where(Participant.id.in_(people))
        .values(**ERASED, erased_at=func.coalesce(Participant.erased_at, now))
        .execution_options(synchronize_session=False)
    )


async def _erase_ties(
    db: AsyncSession, people: Sequence[int] | Select[Any], *, keep_seats: bool
) -> None:
    """What ties `people` to the meeting beyond their own row (see `erase_participant`)."""
    seats = delete(TableMembership).where(TableMembership.participant_id.in_(people))
    if keep_seats:
        seats = seats.where(TableMembership.status != MembershipStatus.SEATED)
    await db.execute(seats)
    await db.execute(delete(GroupMembership).where(GroupMembership.participant_id.in_(people)))
    await speakers.forget(db, people)
    await db.execute(delete(ChatIdentity).where(ChatIdentity.participant_id.in_(people)))
    await db.execute(delete(LinkCode).where(LinkCode.participant_id.in_(people)))
    # Answers being given go; finished answer sets stay, tied to nobody, in the survey's counts.
    await db.execute(
        delete(SurveyParticipation).where(SurveyParticipation.participant_id.in_(people))
    )
    await db.execute(
        update(SurveyResponse)
        .where(SurveyResponse.participant_id.in_(people))
        .values(participant_id=None)
    )
    # Answers to polls still open go; a closed poll's stay on the nameless row, in its counts.
    await polls.forget(db, people)
    # Who was asked for feedback after a session goes; the ratings and comments, nobody's, stay.
    await feedback.forget(db, people)
    # Their questions from the floor stay on the boards, anonymous; their votes stay on the
    # nameless row, so that no count changes (docs/privacy.md); their boards' chats go.
    await db.execute(
        update(FloorQuestion)
        .where(FloorQuestion.participant_id.in_(people))
        .values(participant_id=None, named=False)
    )
    await db.execute(delete(FloorBoard).where(FloorBoard.participant_id.in_(people)))
    # Their texts kept for translation are tied to nobody (posts already queued still leave).
    await db.execute(
        update(TranslatedText).where(TranslatedText.author_id.in_(people)).values(author_id=None)
    )
