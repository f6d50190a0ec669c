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
CHUNK = 1000  # readers per statement: far below any database's limit of bound values


@dataclass(frozen=True, kw_only=True)
class Digest(Notice):
    """A reader's held notices (their outbox rows), sent together at their digest hour."""

    kind: ClassVar[str] = "digest"
    day: str  # the local date, ISO
    rows: list[int]

    def urgent_from(self) -> datetime | None:
        return ALWAYS  # it is the digest: never held for the next one


def hour_of(chosen: int | None) -> int:
    """A reader's digest hour: the one they chose (`Participant.digest_hour`), else 19:00."""
    return DEFAULT_HOUR if chosen is None else chosen


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
    # Columns, not rows: this runs twice a minute, for every reader with something held.
    people = await db.execute(
        select(Participant.id, Participant.lite, Participant.digest_hour, Event.timezone)
        .join(Event, Event.id == Participant.event_id)
        .where(Participant.id.in_(waiting))
    )
    due: dict[int, datetime] = {}
    for person, lite, hour, timezone in people.all():
        if not lite:  # left data-saver mode by another way than /lite off
            await outbox.release(db, person, now)
            continue
        today = moment(now, ZoneInfo(timezone), hour_of(hour))
        if now >= today:
            due[person] = today
    readers = list(due)
    sent = 0
    for start in range(0, len(readers), CHUNK):
        chunk = readers[start : start + CHUNK]
        sent += await _send(db, {person: due[person] for person in chunk}, now)
    return sent


async def _send(db: AsyncSession, due: dict[int, datetime], now: datetime) -> int:
    """The digests of `due` (reader: today's digest moment), in a few statements whatever
    their number (one reader at a time, 10,000 digests took 53 s); returns how many."""
    keys = {person: f"digest:{person}:{today.date().isoformat()}" for person, today in due.items()}
    sent_today = set(
        (
            await db.execute(
                select(OutboxMessage.key).where(OutboxMessage.key.in_(list(keys.values())))
            )
        ).scalars()
    )
    readers = [person for person in due if keys[person] not in sent_today]  # the rest: tomorrow
    if not readers:
        return 0
    held = await db.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.participant_id,
            OutboxMessage.created_at,
            OutboxMessage.expires_at,
        )
        .where(
            OutboxMessage.participant_id.in_(readers),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.held_for == outbox.DIGEST,
        )
        .order_by(OutboxMessage.participant_id, OutboxMessage.created_at, OutboxMessage.id)
        .with_for_update(skip_locked=True)
    )
    kept: dict[int, list[int]] = {}
    expired = []
    for row, person, created_at, expires_at in held.all():
        if created_at >= due[person]:
            continue  # held after today's moment: tomorrow's digest
        if expires_at is not None and now >= expires_at:  # pointless now (a session begun)
            expired.append(row)
        else:
            kept.setdefault(person, []).append(row)
    await outbox.given_up(db, expired, "expired before the digest", now)
    messages = [
        outbox.Message(keys[person], person, Digest(day=due[person].date().isoformat(), rows=rows))
        for person, rows in kept.items()
    ]
    queued = await outbox.enqueue_new(db, messages, now)
    # A digest another process sent just now keeps its key: these rows wait for tomorrow's.
    await outbox.gathered(
        db, [row for person, rows in kept.items() if keys[person] in queued for row in rows], now
    )
    return len(queued)


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
