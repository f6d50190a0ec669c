"""Organisers' broadcasts: an audience, a text per language, now or later, and a report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar, Self

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.models import (
    Broadcast,
    BroadcastStatus,
    Event,
    GroupMembership,
    GroupMembershipStatus,
    MembershipStatus,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Role,
    TableMembership,
    Texts,
)
from bot.notice import ALWAYS, NOT_STORED, Notice
from bot.paid_broadcasts import PaidBroadcasts, telegram_readers
from bot.text.i18n import LANGUAGES
from bot.translation import store as translations
from bot.translation.reading import (
    NotYet,
    Reader,
    ReadText,
    Translating,
    current_reader,
    read,
    reading,
)

KINDS = ("everyone", "role", "region", "language", "table", "group")
# How often the author's progress message is edited while messages leave.
PROGRESS_EVERY = timedelta(seconds=3)


@dataclass(frozen=True, kw_only=True)
class BroadcastMessage(Notice):
    """An organiser's message, in each of the languages they wrote it in."""

    kind: ClassVar[str] = "broadcast"
    texts: Texts
    # A reader whose language is missing gets the English text automatically translated
    # (False: in English, with a note; rows queued before this field read as False).
    translate: bool = False
    # Sent at Telegram's paid rate (an urgent broadcast, within its cap of Stars).
    urgent: bool = False
    # Marked urgent by its author (`Broadcast.urgent`): it reaches readers in data-saver mode
    # at once, not in their digest. Not the paid rate above: one is about cost, this one about
    # the digest.
    at_once: bool = False

    def urgent_from(self) -> datetime | None:
        return ALWAYS if self.at_once else None


@dataclass(frozen=True, kw_only=True)
class BroadcastPreview(Notice):
    """To the author of a draft: the automatic translations of its English text into the
    languages it lacks, once made (the preview answer does not wait for them)."""

    kind: ClassVar[str] = "broadcast_preview"
    broadcast: int
    provider: str
    # When it leaves (not stored): a translation may be waited for until its deadline.
    sent_at: datetime | None = field(default=None, metadata=NOT_STORED)

    def leaving(self, now: datetime) -> Self:
        return replace(self, sent_at=now)

    def urgent_from(self) -> datetime | None:
        return ALWAYS  # its author is waiting for it, to send the draft


@dataclass(frozen=True, kw_only=True)
class BroadcastReport(Notice):
    """To the author, once nothing is left to send: how it went."""

    kind: ClassVar[str] = "broadcast_report"
    broadcast: int
    delivered: int
    unreachable: int
    failed: int


@dataclass(frozen=True, kw_only=True)
class BroadcastProgress(Notice):
    """How a broadcast goes (/broadcast status, and the author's message edited in place while
    it leaves): its status and how many messages are in each outbox state."""

    kind: ClassVar[str] = "broadcast_progress"
    broadcast: int
    status: BroadcastStatus
    recipients: int
    pending: int
    delivered: int
    unreachable: int
    failed: int
    cancelled: int


@dataclass(frozen=True)
class Audience:
    """`everyone`, or one role, region, language, table (its id) or reference group (its id)."""

    kind: str
    value: str | int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(data["kind"], data.get("value"))


def _condition(audience: Audience) -> ColumnElement[bool] | None:
    if audience.kind == "role":
        return Participant.role == Role(str(audience.value))
    if audience.kind == "region":
        return Participant.region == audience.value
    if audience.kind == "language":
        return Participant.language == audience.value
    if audience.kind == "table":
        return Participant.id.in_(
            select(TableMembership.participant_id).where(
                TableMembership.table_id == audience.value,
                TableMembership.status == MembershipStatus.SEATED,
            )
        )
    if audience.kind == "group":
        return Participant.id.in_(
            select(GroupMembership.participant_id).where(
                GroupMembership.group_id == audience.value,
                GroupMembership.status == GroupMembershipStatus.MEMBER,
            )
        )
    return None


async def recipients(db: AsyncSession, event: Event, audience: Audience) -> list[int]:
    query = select(Participant.id).where(
        Participant.event_id == event.id, Participant.erased_at.is_(None)
    )
    condition = _condition(audience)
    if condition is not None:
        query = query.where(condition)
    return list((await db.execute(query.order_by(Participant.id))).scalars())


def missing(texts: Texts) -> list[str]:
    """The meeting's languages a broadcast's author left out."""
    return [language for language in LANGUAGES if language not in texts]


async def draft(
    db: AsyncSession,
    event: Event,
    author: Participant,
    audience: Audience,
    texts: Texts,
    send_at: datetime,
    now: datetime,
    translation_provider: str | None = None,
) -> Broadcast:
    """A broadcast not sent yet; with a translation provider, the English text's translation
    into each missing language is asked for now, so the preview can show it before "Send"."""
    broadcast = Broadcast(
        event_id=event.id,
        author_id=author.id,
        audience=audience.as_json(),
        texts=texts,
        status=BroadcastStatus.DRAFT,
        recipients=len(await recipients(db, event, audience)),
        send_at=send_at,
        created_at=now,
    )
    db.add(broadcast)
    await db.flush()
    if translation_provider is not None and missing(texts):
        await translations.request(
            db, texts["en"], author.id, translation_provider, now, targets=missing(texts)
        )
    return broadcast


async def confirm(
    db: AsyncSession,
    broadcast: Broadcast,
    now: datetime,
    translation_provider: str | None = None,
    urgent: PaidBroadcasts | None = None,
) -> int:
    """Queue one message per recipient (leaving at `send_at`); returns how many. With a
    translation provider, readers of a missing language get the English text translated;
    without, in English with a note. `urgent`: the first Telegram readers, as many as its cap
    pays for, get theirs at Telegram's paid rate."""
    if broadcast.status != BroadcastStatus.DRAFT:
        return 0
    event = await db.get_one(Event, broadcast.event_id)
    people = await recipients(db, event, Audience.from_json(broadcast.audience))
    lacking = missing(broadcast.texts)
    translate = translation_provider is not None and bool(lacking)
    if translation_provider is not None and lacking:  # asked at draft time: a no-op, unless
        # the draft was made before the provider was configured
        await translations.request(
            db, broadcast.texts["en"], broadcast.author_id, translation_provider, now, lacking
        )
    notice = BroadcastMessage(texts=broadcast.texts, translate=translate, at_once=broadcast.urgent)
    paid: set[int] = set()
    if urgent is not None:
        readers = await telegram_readers(db, people)
        paid = set(readers[: urgent.paid_messages(len(readers))])
    fast = replace(notice, urgent=True)
    await outbox.enqueue_many(
        db,
        [
            outbox.Message(
                f"broadcast:{broadcast.id}:{pid}",
                pid,
                fast if pid in paid else notice,
                broadcast_id=broadcast.id,
            )
            for pid in people
        ],
        now,
        not_before=max(broadcast.send_at, now),
    )
    broadcast.status = BroadcastStatus.QUEUED
    broadcast.recipients = len(people)
    return len(people)


@dataclass(frozen=True)
class ShownBroadcast:
    """A broadcast as its reader sees it: its texts, and for a reader of a language it lacks
    (when it is to be translated) the English text as read in theirs."""

    texts: Texts
    translated: ReadText | None = None
    urgent: bool = False


async def load_message(db: AsyncSession, notice: BroadcastMessage) -> ShownBroadcast:
    """What a broadcast shows its reader; raises `reading.NotYet` while the translation into
    the reader's language may still be waited for."""
    reader = current_reader()  # None: no provider, or the reader chose /translate off
    if not notice.translate or reader is None or reader.language in notice.texts:
        return ShownBroadcast(notice.texts, urgent=notice.urgent)
    return ShownBroadcast(notice.texts, await read(db, notice.texts["en"]), notice.urgent)


async def read_missing(
    db: AsyncSession, texts: Texts, translating: Translating, now: datetime, wait: bool
) -> dict[str, ReadText | None]:
    """The English text as read in each language missing from `texts`: translated, or the
    original when the translation failed, or None while it is on its way (with `wait`,
    `reading.NotYet` is raised instead, for the delivery worker to hold the notice)."""
    shown: dict[str, ReadText | None] = {}
    for language in missing(texts):
        with reading(Reader(language, now, translating)):
            try:
                shown[language] = await read(db, texts["en"])
            except NotYet:
                if wait:
                    raise
                shown[language] = None
    return shown


async def preview_when_translated(
    db: AsyncSession, broadcast: Broadcast, provider: str, now: datetime
) -> None:
    """Send the draft's author its translations once they are made (`BroadcastPreview`)."""
    if broadcast.author_id is not None:
        await outbox.enqueue(
            db,
            f"broadcast-preview:{broadcast.id}",
            broadcast.author_id,
            BroadcastPreview(broadcast=broadcast.id, provider=provider),
            now,
        )


@dataclass(frozen=True)
class ShownPreview:
    """The automatic translations of a draft, for its author: the broadcast's number, whether
    it can still be sent, and each missing language's text."""

    broadcast: int
    draft: bool
    translations: dict[str, ReadText | None]


async def load_preview(db: AsyncSession, notice: BroadcastPreview) -> ShownPreview:
    """The translations of a draft's English text, once made (raises `reading.NotYet` until
    then, or until the deadline)."""
    broadcast = await db.get_one(Broadcast, notice.broadcast)
    author = current_reader()  # the deadline the worker is given, else the default one
    translating = author.translating if author is not None else Translating(notice.provider)
    now = notice.sent_at or broadcast.created_at
    shown = await read_missing(db, broadcast.texts, translating, now, wait=True)
    return ShownPreview(broadcast.id, broadcast.status == BroadcastStatus.DRAFT, shown)


async def cancel(db: AsyncSession, broadcast: Broadcast, now: datetime) -> int:
    """Withdraw what has not left yet; returns how many messages were withdrawn."""
    if broadcast.status not in (BroadcastStatus.DRAFT, BroadcastStatus.QUEUED):
        return 0
    result = await db.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == broadcast.id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED, finished_at=now)
    )
    broadcast.status = BroadcastStatus.CANCELLED
    return int(getattr(result, "rowcount", 0) or 0)


async def latest(db: AsyncSession, event: Event) -> Broadcast | None:
    """The meeting's latest broadcast, whatever its state (a draft too)."""
    query = (
        select(Broadcast)
        .where(Broadcast.event_id == event.id)
        .order_by(Broadcast.id.desc())
        .limit(1)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def numbered(db: AsyncSession, event: Event, broadcast_id: int) -> Broadcast | None:
    """The broadcast #`broadcast_id` of this meeting (another meeting's is None)."""
    found = await db.get(Broadcast, broadcast_id)
    return found if found is not None and found.event_id == event.id else None


async def progress(db: AsyncSession, broadcast_id: int) -> Counter[OutboxStatus]:
    rows = await db.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(OutboxMessage.status)
    )
    return Counter({status: count for status, count in rows})


def show_progress_in(broadcast: Broadcast, platform: str, chat_id: str, message_id: str) -> None:
    """Keep the author's message `message_id` showing how the broadcast goes, edited in place."""
    broadcast.progress_platform = platform
    broadcast.progress_chat = chat_id
    broadcast.progress_message = message_id
    broadcast.progress_shown = None


def progress_notice(broadcast: Broadcast, counts: Counter[OutboxStatus]) -> BroadcastProgress:
    """What a progress message shows."""
    return BroadcastProgress(
        broadcast=broadcast.id,
        status=broadcast.status,
        recipients=broadcast.recipients,
        pending=counts[OutboxStatus.PENDING],
        delivered=counts[OutboxStatus.DELIVERED],
        unreachable=counts[OutboxStatus.UNREACHABLE],
        failed=counts[OutboxStatus.FAILED],
        cancelled=counts[OutboxStatus.CANCELLED],
    )


@dataclass(frozen=True)
class ProgressEdit:
    """The author's progress message to rewrite in place, in the author's language."""

    platform: str
    chat_id: str
    message_id: str
    author_id: int | None
    notice: BroadcastProgress


async def progress_due(
    db: AsyncSession, now: datetime, platforms: Sequence[str]
) -> list[ProgressEdit]:
    """The progress messages on `platforms` that are behind and are to be edited (every few
    seconds at most while messages leave, once more when they are done)."""
    shown_final = or_(
        Broadcast.progress_shown.like(f"{BroadcastStatus.DONE.value}:%"),
        Broadcast.progress_shown.like(f"{BroadcastStatus.CANCELLED.value}:%"),
    )
    query = (
        select(Broadcast)
        .where(
            Broadcast.progress_platform.in_(platforms),
            Broadcast.status != BroadcastStatus.DRAFT,
            or_(Broadcast.progress_shown.is_(None), ~shown_final),
        )
        .with_for_update(skip_locked=True)  # one process edits a given message
    )
    edits = []
    for broadcast in (await db.execute(query)).scalars():
        counts = await progress(db, broadcast.id)
        notice = progress_notice(broadcast, counts)
        # The state shown (status and counts), stored to edit only when it changes.
        values = notice.encode().values()
        state = ":".join(str(value) for value in values if value != broadcast.id)[:100]
        recent = broadcast.progress_shown_at and now - broadcast.progress_shown_at < PROGRESS_EVERY
        if state == broadcast.progress_shown or (
            recent and broadcast.status == BroadcastStatus.QUEUED
        ):
            continue
        broadcast.progress_shown, broadcast.progress_shown_at = state, now
        assert (
            broadcast.progress_chat and broadcast.progress_message and broadcast.progress_platform
        )
        edits.append(
            ProgressEdit(
                broadcast.progress_platform,
                broadcast.progress_chat,
                broadcast.progress_message,
                broadcast.author_id,
                notice,
            )
        )
    return edits


async def finish(db: AsyncSession, now: datetime) -> list[int]:
    """Broadcasts with nothing left to send are done; their authors get the report."""
    queued = (
        (await db.execute(select(Broadcast).where(Broadcast.status == BroadcastStatus.QUEUED)))
        .scalars()
        .all()
    )
    finished = []
    for broadcast in queued:
        counts = await progress(db, broadcast.id)
        if counts[OutboxStatus.PENDING]:
            continue
        broadcast.status = BroadcastStatus.DONE
        finished.append(broadcast.id)
        if broadcast.author_id is not None:
            await outbox.enqueue(
                db,
                f"broadcast-report:{broadcast.id}",
                broadcast.author_id,
                BroadcastReport(
                    broadcast=broadcast.id,
                    delivered=counts[OutboxStatus.DELIVERED],
                    unreachable=counts[OutboxStatus.UNREACHABLE],
                    failed=counts[OutboxStatus.FAILED],
                ),
                now,
            )
    return finished
