"""The printable pack (/pack): what one person's PDF shows, read as plain values so that it can
be laid out off the event loop, and the new pack sent after a programme change that concerns
them (once for several reloads in a row)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import ClassVar, Self

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.models import (
    Event,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Texts,
)
from bot.notice import NOT_STORED, Notice
from bot.people.badges import checkin_code, checkin_link
from bot.programme.mine import MySession, MyVenue, my_sessions

# How long after a programme change its new pack leaves: reloads in the meantime (an organiser
# fixing one time after another) are shown in the same pack.
PACK_BATCH = timedelta(minutes=10)
# Updated packs leave spread out at this rate, below what one delivery worker renders (about
# fifteen PDFs a second in Helvetica, five in DejaVu Sans, benchmarks/pocket.py): a change that
# concerns 10,000 holders must not put 10,000 PDFs ahead of a reminder due meanwhile (rows
# leave in the order they are due).
PACKS_PER_SECOND = 8
CHUNK = 1000  # people per query: far below any database's limit of bound values


@dataclass(frozen=True, kw_only=True)
class PackUpdated(Notice):
    """To each person who has made a pack, after a programme change that concerns them: the
    pack again, made when it leaves."""

    kind: ClassVar[str] = "pack_updated"
    participant: int
    # When it leaves (not stored): the pack shows the programme as it stands then.
    sent_at: datetime | None = field(default=None, metadata=NOT_STORED)

    def leaving(self, now: datetime) -> Self:
        return replace(self, sent_at=now)


@dataclass(frozen=True)
class PackContact:
    name: str
    role: Texts | None
    phone: str | None
    email: str | None


@dataclass(frozen=True)
class Pack:
    """Everything one person's pack shows, as plain values (no database object)."""

    event_key: str
    event_name: Texts
    timezone: str
    person: str
    sessions: list[MySession]
    venues: list[MyVenue]  # those of their sessions, in the order they first come
    contacts: list[PackContact]
    checkin_link: str  # what their check-in QR code holds


async def pack_of(db: AsyncSession, event: Event, participant: Participant, now: datetime) -> Pack:
    """Their pack as the programme stands now; records that they have one (the caller
    commits), so that a programme change sends them a new one."""
    sessions = await my_sessions(db, event, participant)
    venues: dict[str, MyVenue] = {}
    for session in sessions:
        if session.venue is not None:
            venues.setdefault(session.venue.key, session.venue)
    participant.pack_sent_at = now
    return Pack(
        event_key=event.key,
        event_name=dict(event.name),
        timezone=event.timezone,
        person=participant.name,
        sessions=sessions,
        venues=list(venues.values()),
        contacts=[_contact(item) for item in event.contacts or []],
        checkin_link=checkin_link(checkin_code(participant)),
    )


def _contact(item: dict[str, object]) -> PackContact:
    def text(key: str) -> str | None:
        value = item.get(key)
        return value if isinstance(value, str) and value else None

    role = item.get("role")
    return PackContact(
        text("name") or "",
        {str(k): str(v) for k, v in role.items()} if isinstance(role, dict) else None,
        text("phone"),
        text("email"),
    )


async def participant_for(db: AsyncSession, notice: PackUpdated) -> tuple[Event, Participant]:
    """The person and event a `PackUpdated` is for; LookupError when they are gone or erased."""
    person = await db.get(Participant, notice.participant)
    if person is None or person.erased_at is not None:
        raise LookupError(f"participant {notice.participant} no longer has a pack")
    return await db.get_one(Event, person.event_id), person


async def queue_updates(db: AsyncSession, concerned: Sequence[int], now: datetime) -> int:
    """A new pack, PACK_BATCH from now, to each of `concerned` who has made one, unless one is
    already on its way to them (it will show this change too). Returns how many were queued."""
    on_its_way = exists().where(
        OutboxMessage.participant_id == Participant.id,
        OutboxMessage.kind == PackUpdated.kind,
        OutboxMessage.status == OutboxStatus.PENDING,
    )
    queued = 0
    for start in range(0, len(concerned), CHUNK):
        holders = await db.execute(
            select(Participant.id).where(
                Participant.id.in_(concerned[start : start + CHUNK]),
                Participant.pack_sent_at.is_not(None),
                ~on_its_way,
            )
        )
        messages = [
            outbox.Message(
                f"pack-updated:{person}:{now:%Y%m%dT%H%M%S}",
                person,
                PackUpdated(participant=person),
                not_before=now + PACK_BATCH + timedelta(seconds=(queued + n) / PACKS_PER_SECOND),
            )
            for n, person in enumerate(holders.scalars())
        ]
        queued += await outbox.enqueue_many(db, messages, now)
    return queued
