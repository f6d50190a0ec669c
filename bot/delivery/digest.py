"""The daily digest of a reader in data-saver mode (/lite): the notices the delivery worker
held for them (`held_for = "digest"`, `outbox.hold_for_digest`) leave together, as one
message, at their digest hour (the meeting's local time).

The scheduler-role holder's routine looks for readers whose hour has come (`send_due`) and
queues one `Digest` notice each under the key `digest:{participant}:{local date}`: once a day,
however often the routine runs. The rows it gathers are marked delivered in the same
transaction; expired ones are given up. The worker renders the digest like any notice: its
loader (`DigestParts`) renders each gathered notice in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat import Reply
from bot.delivery import outbox
from bot.models import Event, OutboxMessage, OutboxStatus, Participant
from bot.notice import ALWAYS, Notice, Notices, UndecodableNotice
from bot.text.i18n import current_language

# The digest hour of a reader who did not choose one (local time of the meeting).
DEFAULT_HOUR = 19


@dataclass(frozen=True, kw_only=True)
class Digest(Notice):
    """A reader's held notices (their outbox rows), sent together at their digest hour."""

    kind: ClassVar[str] = "digest"
    day: str  # the local date, ISO
    rows: list[int]

    def urgent_from(self) -> datetime | None:
        return ALWAYS  # it is the digest: never held for the next one


def hour_of(person: Participant) -> int:
    return DEFAULT_HOUR if person.digest_hour is None else person.digest_hour


def moment(now: datetime, zone: ZoneInfo, hour: int) -> datetime:
    """Today's digest moment (local date of `now` in the meeting's zone) at `hour`."""
    local = now.astimezone(zone)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


async def send_due(db: AsyncSession, now: datetime) -> int:
    """Queue the digest of each reader whose hour has come today, with what was held for them
    before that moment (what comes after waits for the next day's); returns how many digests."""
    waiting = (
        select(OutboxMessage.participant_id)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.held_for == outbox.DIGEST
        )
        .distinct()
    )
    people = await db.execute(
        select(Participant, Event.timezone)
        .join(Event, Event.id == Participant.event_id)
        .where(Participant.id.in_(waiting))
    )
    sent = 0
    for person, timezone in people.all():
        if not person.lite:  # left data-saver mode by another way than /lite off
            await outbox.release(db, person.id, now)
            continue
        due = moment(now, ZoneInfo(timezone), hour_of(person))
        if now >= due and await _send(db, person.id, due.date(), due, now):
            sent += 1
    return sent


async def _send(db: AsyncSession, person: int, day: date, due: datetime, now: datetime) -> bool:
    key = f"digest:{person}:{day.isoformat()}"
    if await db.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return False  # sent today already: what is held waits for tomorrow's
    rows = (
        await db.execute(
            select(OutboxMessage)
            .where(
                OutboxMessage.participant_id == person,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.held_for == outbox.DIGEST,
                OutboxMessage.created_at < due,
            )
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .with_for_update(skip_locked=True)
        )
    ).scalars()
    kept = []
    for row in rows:
        if outbox.expired(row, now):  # pointless now (a reminder of a session begun)
            outbox.give_up(row, "expired before the digest", now)
        else:
            kept.append(row)
    if not kept:
        return False
    notice = Digest(day=day.isoformat(), rows=[row.id for row in kept])
    if not await outbox.enqueue_many(db, [outbox.Message(key, person, notice)], now):
        return False  # another process sent it just now: these wait for tomorrow's
    for row in kept:
        outbox.gathered(row, now)
    return True


@dataclass(frozen=True)
class HeldPart:
    """One notice of a digest: its outbox row and its message in the reader's language."""

    row: int
    reply: Reply


@dataclass(frozen=True)
class DigestParts:
    """What a digest shows: its local date and each notice it holds, rendered."""

    day: date
    parts: list[HeldPart]


class DigestLoader:
    """The `digest` loader: each held notice rendered by the registry, in the language in
    force (the worker renders in the reader's). A row this version cannot read any more is left
    out rather than losing the whole digest."""

    def __init__(self, notices: Notices) -> None:
        self.notices = notices

    async def load(self, db: AsyncSession, notice: Digest) -> DigestParts:
        rows = (
            await db.execute(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(notice.rows))
                .order_by(OutboxMessage.created_at, OutboxMessage.id)
            )
        ).scalars()
        parts = []
        for row in rows:
            try:
                held = self.notices.decode(row.kind, row.payload).leaving(row.created_at)
            except UndecodableNotice:
                continue
            parts.append(HeldPart(row.id, await self.notices.render(db, held, current_language())))
        return DigestParts(date.fromisoformat(notice.day), parts)
