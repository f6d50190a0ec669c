"""The retention period: a notice a week before it ends, and the purge once it is over.

The period is the programme file's `retention_days` after the end of the event's last session.
A week before it ends, every participant not erased yet is told what will be erased and when
(`RetentionNotice`); once it is over, `purge` erases every participant as /forget does
(`privacy.erase_all`), and beyond it everything else the database holds about people
for that event, keeping the aggregate figures (docs/privacy.md, "Retention").
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.floor import polls
from bot.models import (
    Broadcast,
    ChatIdentity,
    Event,
    FloorQuestion,
    GroupProposal,
    LinkCode,
    MailAttachment,
    MailMessage,
    OutboxMessage,
    Participant,
    ProcessedDelivery,
    Session,
    TranslatedText,
)
from bot.models.base import Texts
from bot.notice import Notice
from bot.people import privacy

# How long before the end of the period each participant is told.
NOTICE_AHEAD = timedelta(days=7)
# However late the notice leaves (the bot was not running in the week before the end, or the
# period was set when it was nearly over), the routine erases no sooner than this after it:
# nobody's data goes without their being told first.
MINIMUM_NOTICE = timedelta(days=6)


@dataclass(frozen=True, kw_only=True)
class RetentionNotice(Notice):
    """To each participant, a week before the end of the retention period: their personal data
    will be erased on `erased_at` (shown as a date in the event's time zone)."""

    kind: ClassVar[str] = "retention_notice"
    event: Texts
    erased_at: datetime
    timezone: str


async def period_end(db: AsyncSession, event: Event) -> datetime | None:
    """When the retention period ends: the end of the last session plus `retention_days`; None
    when the programme sets no period or has no session."""
    if event.retention_days is None:
        return None
    rows = await db.execute(
        select(Session.starts_at, Session.ends_at).where(Session.event_id == event.id)
    )
    ends = [Session(starts_at=starts, ends_at=ends).over_at for starts, ends in rows]
    if not ends:
        return None
    return max(ends) + timedelta(days=event.retention_days)


async def notify_due(db: AsyncSession, now: datetime) -> int:
    """Queue the notice to every participant not erased of each event whose period ends within
    a week (once each: the outbox key), never before its last session is over. Returns how
    many were queued now."""
    queued = 0
    events = await db.execute(
        select(Event).where(Event.retention_days.is_not(None), Event.purged_at.is_(None))
    )
    for event in list(events.scalars()):
        end = await period_end(db, event)
        if end is None or now < end - NOTICE_AHEAD:
            continue
        assert event.retention_days is not None
        if now < end - timedelta(days=event.retention_days):  # the meeting is not over
            continue
        erased_at = await erasure_at(db, event, end, now)
        queued += await outbox.enqueue_selected(
            db,
            _NOTICE_KEY.format(event=event.id),
            Participant.id,
            and_(Participant.event_id == event.id, Participant.erased_at.is_(None)),
            RetentionNotice(event=event.name, erased_at=erased_at, timezone=event.timezone),
            now,
            not_before=now,
            expires_at=erased_at,
        )
    return queued


_NOTICE_KEY = "retention:{event}:"


async def erasure_at(db: AsyncSession, event: Event, end: datetime, now: datetime) -> datetime:
    """When the routine erases the participants: the end of the period, or `MINIMUM_NOTICE`
    after the first notice when that was queued late (or now, when none was queued yet)."""
    first = await db.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.key.startswith(_NOTICE_KEY.format(event=event.id), autoescape=True)
        )
    )
    return max(end, (first or now) + MINIMUM_NOTICE)


@dataclass(frozen=True)
class Purged:
    """What a purge erased (or, in a dry run, would erase), as counts."""

    participants: int = 0
    chat_accounts: int = 0
    link_codes: int = 0
    outbox_messages: int = 0
    written_texts: int = 0
    group_proposals: int = 0
    mail_messages: int = 0
    inbox_updates: int = 0

    def items(self) -> list[tuple[str, int]]:
        return [(field.name, getattr(self, field.name)) for field in fields(self)]


async def purge_due(db: AsyncSession, now: datetime) -> list[str]:
    """The purge of every event whose retention period is over and that is not purged yet (the
    scheduler's daily routine). Returns the keys of the events purged."""
    done = []
    events = await db.execute(
        select(Event).where(Event.retention_days.is_not(None), Event.purged_at.is_(None))
    )
    for event in list(events.scalars()):
        end = await period_end(db, event)
        if end is None or now < end:
            continue
        if await _anyone_left(db, event) and now < await erasure_at(db, event, end, now):
            continue  # told late: erased once they have had their week (`notify_due` tells)
        await purge(db, event, now)
        done.append(event.key)
    return done


async def _anyone_left(db: AsyncSession, event: Event) -> bool:
    query = select(Participant.id).where(
        Participant.event_id == event.id, Participant.erased_at.is_(None)
    )
    return await db.scalar(query.limit(1)) is not None


async def purge(db: AsyncSession, event: Event, now: datetime, *, dry_run: bool = False) -> Purged:
    """Erase every participant of `event` as /forget does, and what else names people there:
    their chat accounts (guests' too, when not seen since the period ended), the outbox, the
    texts they wrote, group proposals, mailing-list senders and bodies, raw platform updates
    from their accounts, broadcasts' progress chats, voice questions, the organisers' contacts.
    Seats, check-ins, votes, survey answers and poll counts stay on nameless rows. The caller
    checks that the period is over. Running it again erases nothing more."""
    people = select(Participant.id).where(Participant.event_id == event.id)
    end = await period_end(db, event) or now
    accounts = list(
        (
            await db.execute(
                select(ChatIdentity.external_id).where(
                    or_(ChatIdentity.participant_id.in_(people), _stale_guest(end))
                )
            )
        ).scalars()
    )
    updates = await _updates_from(db, set(accounts))
    counts = Purged(
        participants=await _count(
            db, Participant, and_(Participant.event_id == event.id, Participant.erased_at.is_(None))
        ),
        chat_accounts=len(accounts),
        link_codes=await _count(db, LinkCode, LinkCode.participant_id.in_(people)),
        outbox_messages=await _count(db, OutboxMessage, OutboxMessage.participant_id.in_(people)),
        written_texts=await _count(db, TranslatedText, _written_texts(people, end)),
        group_proposals=await _count(db, GroupProposal, GroupProposal.event_id == event.id),
        mail_messages=await _count(
            db,
            MailMessage,
            and_(MailMessage.event_id == event.id, MailMessage.sender_address != ""),
        ),
        inbox_updates=len(updates),
    )
    if dry_run:
        return counts
    # Polls past their time are closed first, so that their answers become counts.
    await polls.close_due(db, now)
    await db.execute(delete(TranslatedText).where(_written_texts(people, end)))
    await privacy.erase_all(db, people, now)
    # Guests' accounts (the linked ones went with their participant).
    await db.execute(delete(ChatIdentity).where(_stale_guest(end)))
    for delivery in updates:
        await db.delete(delivery)
    await db.execute(delete(OutboxMessage).where(OutboxMessage.participant_id.in_(people)))
    await db.execute(delete(GroupProposal).where(GroupProposal.event_id == event.id))
    await _scrub_mail(db, event)
    await db.execute(
        update(Broadcast)
        .where(Broadcast.event_id == event.id)
        .values(progress_platform=None, progress_chat=None, progress_message=None)
    )
    sessions = select(Session.id).where(Session.event_id == event.id)
    # A voice note is the person's voice: the question keeps its text (if any) and counts.
    await db.execute(
        update(FloorQuestion)
        .where(FloorQuestion.session_id.in_(sessions), FloorQuestion.voice_file.is_not(None))
        .values(voice_file=None, voice_platform=None)
    )
    event.contacts = None
    event.purged_at = now
    return counts


def _stale_guest(end: datetime) -> ColumnElement[bool]:
    """A chat account never linked, not seen since the period ended."""
    return and_(ChatIdentity.participant_id.is_(None), ChatIdentity.last_seen_at <= end)


def _written_texts(people: Select[Any], end: datetime) -> ColumnElement[bool]:
    """Texts kept for translation that the event's people wrote (group posts), and every text
    with no author kept until the period ended: list mail, survey and feedback answers, and the
    posts of people who used /forget. They are a cache: survey answers and comments stay where
    they are counted, shown as written."""
    return or_(
        TranslatedText.author_id.in_(people),
        and_(TranslatedText.author_id.is_(None), TranslatedText.created_at <= end),
    )


async def _count(db: AsyncSession, model: type[object], where: ColumnElement[bool]) -> int:
    return int(
        (await db.execute(select(func.count()).select_from(model).where(where))).scalar_one()
    )


async def _updates_from(db: AsyncSession, external_ids: set[str]) -> list[ProcessedDelivery]:
    """Raw platform updates, or replies to send, still kept (handled ones keep only an id and a
    time) that come from or go to one of these accounts."""
    if not external_ids:
        return []
    kept = await db.execute(
        select(ProcessedDelivery).where(
            or_(ProcessedDelivery.payload.is_not(None), ProcessedDelivery.replies.is_not(None))
        )
    )
    return [
        row
        for row in kept.scalars()
        if any(account in f"{row.payload or ''}{row.replies or ''}" for account in external_ids)
    ]


async def _scrub_mail(db: AsyncSession, event: Event) -> None:
    """Mailing-list senders are outside people: their names, addresses and what they wrote (a
    signature names them) go; the row stays, for its count and so it is not relayed twice."""
    mails = select(MailMessage.id).where(MailMessage.event_id == event.id)
    await db.execute(delete(MailAttachment).where(MailAttachment.mail_id.in_(mails)))
    await db.execute(
        update(MailMessage)
        .where(MailMessage.event_id == event.id)
        .values(
            sender_name="",
            sender_address="",
            message_id="",
            subject="",
            text="",
            raw=None,
            reason=None,
        )
    )
