"""The outbox: messages the bot sends on its own, queued in the transaction of their cause.

A delivery worker claims due rows for a short lease, sends them through the platform adapter,
and records the outcome. A crash between sending and recording means the lease runs out and
the row is sent again: delivery is at least once, and each cause queues its message once.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    String,
    case,
    cast,
    exists,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from bot.db import insert_once
from bot.models import ChatIdentity, Event, OutboxMessage, OutboxStatus, Participant
from bot.models.base import UTCDateTime
from bot.notice import Notice
from bot.text.i18n import choose_language

LEASE = timedelta(seconds=30)  # far longer than a claimed batch takes to leave at 30/s
# How long a row left for a process serving another platform stays out of everyone's claims.
HANDOVER = timedelta(minutes=1)


@dataclass(frozen=True)
class Message:
    key: str
    participant_id: int
    notice: Notice
    expires_at: datetime | None = None
    broadcast_id: int | None = None
    # When it may leave, when not the fan-out's (`enqueue_many`'s `not_before`).
    not_before: datetime | None = None


async def enqueue(
    db: AsyncSession,
    key: str,
    participant_id: int,
    notice: Notice,
    now: datetime,
    not_before: datetime | None = None,
) -> None:
    """Queue one message; a second message with the same key is silently not queued."""
    await enqueue_many(db, [Message(key, participant_id, notice)], now, not_before)


async def enqueue_many(
    db: AsyncSession,
    messages: Sequence[Message],
    now: datetime,
    not_before: datetime | None = None,
    batch: int = 1000,
) -> int:
    """Queue many messages in few statements (a post to a large group, a broadcast); returns
    how many were new (a message whose key is already queued is not queued again)."""
    return len(await enqueue_new(db, messages, now, not_before, batch))


async def enqueue_new(
    db: AsyncSession,
    messages: Sequence[Message],
    now: datetime,
    not_before: datetime | None = None,
    batch: int = 1000,
) -> set[str]:
    """`enqueue_many`, returning the keys of the messages queued now."""
    payloads: dict[int, dict[str, object]] = {}  # a fan-out shares one notice: encoded once
    for message in messages:
        if id(message.notice) not in payloads:
            payloads[id(message.notice)] = message.notice.encode()
    rows = [
        {
            "key": message.key,
            "participant_id": message.participant_id,
            "kind": message.notice.kind,
            "payload": payloads[id(message.notice)],
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "not_before": message.not_before or not_before or now,
            "created_at": now,
            "expires_at": message.expires_at,
            "broadcast_id": message.broadcast_id,
        }
        for message in messages
    ]
    queued: set[str] = set()
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        # Rows as parameters (SQLAlchemy's "insertmanyvalues"), not as a VALUES clause: the
        # statement is compiled once and cached, where a clause of a thousand rows took 0.2 s
        # to compile each time (half of a programme reload that concerns 10,000 people).
        statement = insert_once(db, OutboxMessage).on_conflict_do_nothing()
        result = await db.execute(statement.returning(OutboxMessage.key), chunk)
        queued.update(result.scalars())
    return queued


async def enqueue_selected(
    db: AsyncSession,
    key_prefix: str,
    participant_id: QueryableAttribute[int],
    where: ColumnElement[bool],
    notice: Notice,
    now: datetime,
    not_before: datetime,
    expires_at: datetime | None,
) -> int:
    """Queue `notice` to every participant a query selects (`participant_id` of the rows
    `where` keeps), each under the key `key_prefix` + their id, by one INSERT … SELECT: the
    database builds the rows, far quicker than sending them (a reminder to thousands, a
    session's feedback question). A key already queued is not queued again; returns how many
    were new."""
    rows = select(
        literal(key_prefix, String) + cast(participant_id, String),
        participant_id,
        literal(notice.kind, String),
        literal(notice.encode(), JSON),
        literal(OutboxStatus.PENDING.value, String),
        literal(0, Integer),
        literal(not_before, UTCDateTime()),
        literal(now, UTCDateTime()),
        literal(expires_at, UTCDateTime()),
    ).where(where)
    columns = (
        OutboxMessage.key,
        OutboxMessage.participant_id,
        OutboxMessage.kind,
        OutboxMessage.payload,
        OutboxMessage.status,
        OutboxMessage.attempts,
        OutboxMessage.not_before,
        OutboxMessage.created_at,
        OutboxMessage.expires_at,
    )
    statement = insert_once(db, OutboxMessage).from_select(columns, rows).on_conflict_do_nothing()
    return len((await db.execute(statement.returning(OutboxMessage.id))).all())


async def claim(db: AsyncSession, now: datetime, limit: int = 50) -> list[OutboxMessage]:
    """Due messages, leased to this worker, oldest first.

    On PostgreSQL several workers claim side by side (SKIP LOCKED); SQLite has one writer. The
    query reads only the (status, not_before) index, whatever the size of the queue.
    """
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.not_before <= now,
        )
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await db.execute(query)).scalars())
    for row in rows:
        row.attempts += 1
        row.not_before = now + LEASE
    return rows


async def recipient_account(
    db: AsyncSession, participant_id: int, platforms: Sequence[str]
) -> ChatIdentity | None:
    """Where to reach a person among `platforms`: on the platform they chose (/notify) when
    they have a reachable account there, else on the reachable account they used last."""
    chosen_first = case((ChatIdentity.platform == Participant.notify_platform, 0), else_=1)
    query = (
        select(ChatIdentity)
        .join(ChatIdentity.participant)
        .where(
            ChatIdentity.participant_id == participant_id,
            ChatIdentity.reachable.is_(True),
            ChatIdentity.platform.in_(platforms),
        )
        .order_by(chosen_first, ChatIdentity.last_seen_at.desc(), ChatIdentity.id.desc())
        .limit(1)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def reader_language(
    db: AsyncSession, participant_id: int, account: ChatIdentity | None
) -> str:
    """The reader's language: their choice, else their chat app's, else the event's."""
    person = await db.get_one(Participant, participant_id)
    event = await db.get_one(Event, person.event_id)
    return choose_language(
        person.language,
        account.platform_language if account else None,
        event.default_language,
    )


async def reachable_elsewhere(
    db: AsyncSession, participant_id: int, platforms: Sequence[str], on: str | None = None
) -> bool:
    """Whether the person has a reachable account on a platform other than `platforms` (on
    the platform `on`, if given)."""
    conditions = [
        ChatIdentity.participant_id == participant_id,
        ChatIdentity.reachable.is_(True),
        ChatIdentity.platform.not_in(platforms),
    ]
    if on is not None:
        conditions.append(ChatIdentity.platform == on)
    return bool((await db.execute(select(exists().where(*conditions)))).scalar())


async def for_another_worker(
    db: AsyncSession,
    row: OutboxMessage,
    account: ChatIdentity | None,
    platforms: Sequence[str],
    now: datetime,
) -> bool:
    """Whether a process serving other platforms should send the row rather than this one,
    which found `account` among `platforms`: when the person is reachable only elsewhere, or
    on the platform they chose, which this process does not serve. In that last case, a row
    that could not come back before its deadline goes out here instead: a reminder on the
    wrong app beats none when the other process is down."""
    if account is None:
        return await reachable_elsewhere(db, row.participant_id, platforms)
    chosen = (await db.get_one(Participant, row.participant_id)).notify_platform
    if chosen is None or chosen in platforms:  # then `account` is the right one
        return False
    if row.expires_at is not None and now + HANDOVER >= row.expires_at:
        return False
    return await reachable_elsewhere(db, row.participant_id, platforms, on=chosen)


def leave_for_another_worker(row: OutboxMessage, now: datetime) -> None:
    """Give the row back (this process does not serve the person's platform)."""
    row.attempts -= 1
    row.not_before = now + HANDOVER


def give_back(row: OutboxMessage, now: datetime) -> None:
    """Give the row back at once (this process no longer sends: the one that took its role
    over will): no attempt counted."""
    row.attempts -= 1
    row.not_before = now


# How long a message waiting for its translation is left before it is looked at again.
MOMENT = timedelta(seconds=1)


def leave_for_a_moment(row: OutboxMessage, now: datetime) -> None:
    """Give the row back for a moment (its translation is on its way): no attempt counted."""
    row.attempts -= 1
    row.not_before = now + MOMENT


def delivered(
    row: OutboxMessage, platform: str, now: datetime, message_id: str | None = None
) -> None:
    row.status, row.platform, row.finished_at, row.error = (
        OutboxStatus.DELIVERED,
        platform,
        now,
        None,
    )
    row.platform_message_id = message_id


# How long a row held back by a platform's rule waits before it is looked at again, when the
# person has no other app: their next message there wakes it sooner (`wake`).
HOLD = timedelta(hours=1)


def hold(row: OutboxMessage, platform: str, reason: str, now: datetime, *, elsewhere: bool) -> None:
    """`platform` may not send the row now: at once to the person's other app (`elsewhere`),
    else when they next write there (or in an hour, to look again). No attempt counted."""
    row.attempts -= 1
    row.held_for, row.error = platform, reason[:500] or "held back by the platform's rule"
    row.not_before = now if elsewhere else now + HOLD


async def passed_over(db: AsyncSession, row: OutboxMessage) -> list[str]:
    """The platform holding the row back, when the person can be reached on another one."""
    if row.held_for is None or row.held_for == DIGEST:
        return []
    if await reachable_elsewhere(db, row.participant_id, [row.held_for]):
        return [row.held_for]
    return []


async def wake(db: AsyncSession, platform: str, external_id: str, now: datetime) -> int:
    """The person behind this account just wrote: what `platform` held back for them is due
    now. Returns how many rows."""
    person = select(ChatIdentity.participant_id).where(
        ChatIdentity.platform == platform, ChatIdentity.external_id == external_id
    )
    woken = await db.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.held_for == platform,
            OutboxMessage.not_before > now,
            OutboxMessage.participant_id.in_(person.scalar_subquery()),
        )
        .values(not_before=now)
    )
    return int(getattr(woken, "rowcount", 0) or 0)


# `held_for` of a row kept for the reader's daily digest (data-saver mode, /lite): the same
# hold as a platform's rule, but it is the digest (bot/delivery/digest.py) that sends it.
DIGEST = "digest"
# How long a row held for the digest waits before the worker looks at it again (when it does
# not become urgent sooner): if the reader is still in data-saver mode, it is held again.
DIGEST_RECHECK = timedelta(days=1)


def hold_for_digest(row: OutboxMessage, urgent_from: datetime | None, now: datetime) -> None:
    """Keep the row for the reader's digest; looked at again when it becomes urgent (a change
    to a session that will start soon), or after a day. No attempt counted."""
    row.attempts -= 1
    row.held_for, row.error = DIGEST, None
    row.not_before = now + DIGEST_RECHECK
    if urgent_from is not None and urgent_from > now:
        row.not_before = min(row.not_before, urgent_from)


async def gathered(db: AsyncSession, rows: Sequence[int], now: datetime) -> None:
    """These rows left in their readers' digests (`held_for` stays `digest`: how it went)."""
    await _finish(db, rows, OutboxStatus.DELIVERED, None, now)


async def given_up(db: AsyncSession, rows: Sequence[int], reason: str, now: datetime) -> None:
    """`give_up` for rows not loaded, in few statements."""
    await _finish(db, rows, OutboxStatus.FAILED, reason, now)


async def _finish(
    db: AsyncSession, rows: Sequence[int], status: OutboxStatus, error: str | None, now: datetime
) -> None:
    for start in range(0, len(rows), 1000):
        await db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(rows[start : start + 1000]))
            .values(status=status, finished_at=now, error=error)
            .execution_options(synchronize_session=False)
        )


async def release(db: AsyncSession, participant_id: int, now: datetime) -> int:
    """What was held for the person's digest is due now (they left data-saver mode). Returns
    how many rows."""
    released = await db.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.held_for == DIGEST,
            OutboxMessage.participant_id == participant_id,
        )
        .values(not_before=now, held_for=None)
    )
    return int(getattr(released, "rowcount", 0) or 0)


# Receipts in the order a message goes through them: a late `delivered` never hides a `read`.
RECEIPTS = ("sent", "delivered", "read")


async def record_receipt(
    db: AsyncSession,
    platform: str,
    message_id: str,
    receipt: str,
    at: datetime,
    *,
    error: str | None = None,
    send_again: bool = False,
) -> OutboxMessage | None:
    """A platform's receipt for a message it took: recorded on its row (none: a reply, not an
    outbox message). `failed` with `send_again`: the platform refused it after all (WhatsApp's
    window closed): the row is due again, to be sent as the rule allows."""
    row = (
        await db.execute(
            select(OutboxMessage).where(
                OutboxMessage.platform_message_id == message_id,
                OutboxMessage.platform == platform,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if receipt in RECEIPTS and row.receipt in RECEIPTS:
        if RECEIPTS.index(receipt) <= RECEIPTS.index(row.receipt):
            return row
    elif row.receipt == "failed" and receipt in RECEIPTS:
        return row
    row.receipt, row.receipt_at = receipt, at
    if error is not None:
        row.error = error[:500]
    if send_again and row.status == OutboxStatus.DELIVERED:
        row.status, row.finished_at, row.platform_message_id = OutboxStatus.PENDING, None, None
        row.receipt, row.not_before = None, at
    return row


def unreachable(row: OutboxMessage, reason: str, now: datetime) -> None:
    row.status, row.finished_at, row.error = OutboxStatus.UNREACHABLE, now, reason


def expired(row: OutboxMessage, now: datetime) -> bool:
    return row.expires_at is not None and now >= row.expires_at


def give_up(row: OutboxMessage, reason: str, now: datetime) -> None:
    row.status, row.finished_at, row.error = OutboxStatus.FAILED, now, reason


def retry_later(row: OutboxMessage, reason: str, now: datetime, max_attempts: int = 8) -> None:
    """Exponential backoff with jitter (about 5 s, 10 s, 20 s … 10 min), so that retries after
    an outage do not all come back at once; give up after `max_attempts` or past the row's
    deadline."""
    row.error = reason
    delay = min(600.0, 5.0 * 2 ** (row.attempts - 1)) * random.uniform(0.8, 1.2)
    retry_at = now + timedelta(seconds=delay)
    if row.attempts >= max_attempts or (row.expires_at is not None and retry_at >= row.expires_at):
        give_up(row, reason, now)
    else:
        row.not_before = retry_at
