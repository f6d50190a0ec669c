"""Reference groups: subscribing (approved by organisers after the deadline), proposing new
groups, and posts that reach every other member through the outbox."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.models import (
    Event,
    GroupMembership,
    GroupMembershipStatus,
    GroupProposal,
    Participant,
    ProposalStatus,
    ReferenceGroup,
    Role,
    Texts,
)
from bot.notice import NOT_STORED, Notice
from bot.text.matching import fold
from bot.translation import store as translations
from bot.translation.reading import ReadText, read


def group_names(group: ReferenceGroup, number: int) -> list[str]:
    """The words a reader may name a group by: its `number` in the list shown, its key, its
    short name, its titles."""
    return [str(number), group.key, group.short or "", *group.title.values()]


@dataclass(frozen=True, kw_only=True)
class GroupPost(Notice):
    """A member's post, to every other member. The author by id, read when it leaves
    (`load_post`): no name is left in the outbox when the author erases their data (/forget)."""

    kind: ClassVar[str] = "group_post"
    group: Texts
    author_id: int | None = None
    text: str
    author: str | None = field(default=None, metadata=NOT_STORED)  # older rows: the name


@dataclass(frozen=True, kw_only=True)
class GroupRequestApproved(Notice):
    kind: ClassVar[str] = "group_request_approved"
    group: Texts


async def all_groups(db: AsyncSession, event: Event) -> list[ReferenceGroup]:
    query = select(ReferenceGroup).where(ReferenceGroup.event_id == event.id)
    return list((await db.execute(query.order_by(ReferenceGroup.id))).scalars())


async def statuses(db: AsyncSession, participant_id: int) -> dict[int, GroupMembershipStatus]:
    rows = await db.execute(
        select(GroupMembership.group_id, GroupMembership.status).where(
            GroupMembership.participant_id == participant_id
        )
    )
    return {group_id: status for group_id, status in rows}


class Subscription(StrEnum):
    MEMBER = "member"
    PENDING = "pending"  # after the deadline: an organiser decides
    ALREADY_MEMBER = "already_member"
    ALREADY_PENDING = "already_pending"


async def subscribe(
    db: AsyncSession, participant: Participant, group: ReferenceGroup, now: datetime
) -> Subscription:
    current = (
        await db.execute(
            select(GroupMembership).where(
                GroupMembership.participant_id == participant.id,
                GroupMembership.group_id == group.id,
            )
        )
    ).scalar_one_or_none()
    if current is not None:
        if current.status == GroupMembershipStatus.MEMBER:
            return Subscription.ALREADY_MEMBER
        return Subscription.ALREADY_PENDING
    late = group.interest_deadline is not None and now > group.interest_deadline
    status = GroupMembershipStatus.PENDING if late else GroupMembershipStatus.MEMBER
    db.add(
        GroupMembership(
            participant_id=participant.id, group_id=group.id, status=status, created_at=now
        )
    )
    await db.flush()
    return Subscription.PENDING if late else Subscription.MEMBER


async def unsubscribe(db: AsyncSession, participant_id: int, group_id: int) -> bool:
    result = await db.execute(
        delete(GroupMembership).where(
            GroupMembership.participant_id == participant_id, GroupMembership.group_id == group_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def pending_requests(
    db: AsyncSession, event: Event
) -> list[tuple[GroupMembership, Participant, ReferenceGroup]]:
    rows = await db.execute(
        select(GroupMembership, Participant, ReferenceGroup)
        .join(Participant, GroupMembership.participant_id == Participant.id)
        .join(ReferenceGroup, GroupMembership.group_id == ReferenceGroup.id)
        .where(
            ReferenceGroup.event_id == event.id,
            GroupMembership.status == GroupMembershipStatus.PENDING,
        )
        .order_by(GroupMembership.created_at)
    )
    return [(m, p, g) for m, p, g in rows]


async def decide_request(
    db: AsyncSession, membership_id: int, approve: bool, now: datetime
) -> tuple[Participant, ReferenceGroup] | None:
    membership = await db.get(GroupMembership, membership_id)
    if membership is None or membership.status != GroupMembershipStatus.PENDING:
        return None
    person = await db.get_one(Participant, membership.participant_id)
    group = await db.get_one(ReferenceGroup, membership.group_id)
    if approve:
        membership.status = GroupMembershipStatus.MEMBER
        await outbox.enqueue(
            db,
            f"group-approved:{membership.id}",
            person.id,
            GroupRequestApproved(group=group.title),
            now,
        )
    else:
        await db.delete(membership)
    return person, group


async def propose(
    db: AsyncSession,
    event: Event,
    participant: Participant,
    title: str,
    language: str,
    now: datetime,
    translation_provider: str | None = None,
) -> GroupProposal:
    """A group suggested by `participant`; with a translation provider, its title is
    translated in the background for the organisers who decide and the members to come."""
    if translation_provider is not None:
        await translations.request(db, title, participant.id, translation_provider, now)
    proposal = GroupProposal(
        event_id=event.id,
        participant_id=participant.id,
        title={language: title},
        status=ProposalStatus.PENDING,
        created_at=now,
    )
    db.add(proposal)
    await db.flush()
    return proposal


async def pending_proposals(db: AsyncSession, event: Event) -> list[GroupProposal]:
    query = select(GroupProposal).where(
        GroupProposal.event_id == event.id, GroupProposal.status == ProposalStatus.PENDING
    )
    return list((await db.execute(query.order_by(GroupProposal.id))).scalars())


async def decide_proposal(
    db: AsyncSession,
    proposal_id: int,
    approve: bool,
    now: datetime,
    translation_provider: str | None = None,
) -> tuple[GroupProposal, ReferenceGroup | None] | None:
    """Decline the proposal, or make it a group whose proposer is its first member, titled in
    every language its title was translated into by then (the rest read the original)."""
    proposal = await db.get(GroupProposal, proposal_id)
    if proposal is None or proposal.status != ProposalStatus.PENDING:
        return None
    if not approve:
        proposal.status = ProposalStatus.DECLINED
        return proposal, None
    proposal.status = ProposalStatus.APPROVED
    title = next(iter(proposal.title.values()))
    key = (re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-") or "group")[:48]
    existing = {g.key for g in await all_groups(db, await db.get_one(Event, proposal.event_id))}
    while key in existing:
        key += "-2"
    group = ReferenceGroup(
        event_id=proposal.event_id,
        key=key,
        title=await _titles(db, title, proposal.title, translation_provider),
        description={},
        announcement_only=False,
    )
    db.add(group)
    await db.flush()
    if proposal.participant_id is not None:
        db.add(
            GroupMembership(
                participant_id=proposal.participant_id,
                group_id=group.id,
                status=GroupMembershipStatus.MEMBER,
                created_at=now,
            )
        )
    return proposal, group


async def _titles(db: AsyncSession, title: str, given: Texts, provider: str | None) -> Texts:
    """A proposed title in the language it was written in (as detected, else the proposer's)
    and in each language it was translated into."""
    if provider is None:
        return given
    titles: dict[str, str] = {}
    for language in translations.LANGUAGES:
        found = await translations.find(db, title, language, provider)
        if found is not None and found.translated and found.source != language:
            titles[language] = found.translated
        if found is not None and found.source:
            titles[found.source] = title
    return titles or given


class PostOutcome(StrEnum):
    SENT = "sent"
    NOT_A_MEMBER = "not_a_member"
    ANNOUNCEMENTS_ONLY = "announcements_only"


@dataclass(frozen=True)
class PostResult:
    outcome: PostOutcome
    recipients: int = 0


async def post(
    db: AsyncSession,
    author: Participant,
    group: ReferenceGroup,
    text: str,
    now: datetime,
    translation_provider: str | None = None,
) -> PostResult:
    """Queue the post for every other member, in the same transaction; with a translation
    provider configured, its translations into the meeting's languages are asked for in that
    transaction too, and made in the background before it leaves."""
    organiser = author.role == Role.ORGANISER
    members = list(
        (
            await db.execute(
                select(GroupMembership.participant_id).where(
                    GroupMembership.group_id == group.id,
                    GroupMembership.status == GroupMembershipStatus.MEMBER,
                )
            )
        ).scalars()
    )
    if not organiser and author.id not in members:
        return PostResult(PostOutcome.NOT_A_MEMBER)
    if group.announcement_only and not organiser:
        return PostResult(PostOutcome.ANNOUNCEMENTS_ONLY)
    post_id = uuid.uuid4().hex
    # The author by id, read at delivery (`load_post`): no name is left in the outbox when
    # the author erases their data (/forget).
    post = GroupPost(group=group.title, author_id=author.id, text=text)
    recipients = [member for member in members if member != author.id]
    if translation_provider is not None and recipients:
        await translations.request(db, text, author.id, translation_provider, now)
    # In a few statements: a post to 10,000 members one row at a time held SQLite's write lock
    # for over ten seconds, past other writers' busy timeout.
    messages = [
        outbox.Message(f"group-post:{post_id}:{member}", member, post) for member in recipients
    ]
    await outbox.enqueue_many(db, messages, now)
    return PostResult(PostOutcome.SENT, len(recipients))


@dataclass(frozen=True)
class ShownPost:
    """A group post as its reader sees it: its author as they are when it leaves."""

    group: Texts
    author: str  # empty once they erased their data
    organisation: str
    text: ReadText  # as written, or translated into the reader's language


async def load_post(db: AsyncSession, post: GroupPost) -> ShownPost:
    """A group post's author as they are now (nameless once they erased their data), and its
    text in the reader's language when translated (raises `reading.NotYet` while the
    translation may still be waited for)."""
    text = await read(db, post.text)
    author = await db.get(Participant, post.author_id) if post.author_id is not None else None
    if author is None or author.erased_at is not None:
        return ShownPost(post.group, post.author or "", "", text)
    return ShownPost(post.group, author.name, author.organisation or "", text)
