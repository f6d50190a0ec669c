"""Data-saver mode (/lite): a person's choice, and what is held for their digest.

In data-saver mode a person's messages carry no pictures (a chart's figures come as text), a
notice's files come on request, and notices that are not urgent wait for one daily digest at
their hour (bot/delivery/digest.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.models import OutboxMessage, Participant


async def switch(
    db: AsyncSession, person: Participant, on: bool, hour: int | None, now: datetime
) -> int:
    """Turn data-saver mode on (at `hour`, local time of the meeting, when given) or off. Off,
    what was held for the digest leaves at once; returns how many messages that is."""
    person.lite = on
    if hour is not None:
        person.digest_hour = hour
    if on:
        return 0
    return await outbox.release(db, person.id, now)


@dataclass(frozen=True)
class HeldNotice:
    """A notice sent to the person earlier: its kind and payload, to render it again."""

    kind: str
    payload: dict[str, Any]


async def addressed_to(db: AsyncSession, row_id: int, person: Participant) -> HeldNotice | None:
    """The notice of outbox row `row_id` when it was addressed to `person` (None otherwise: no
    one sees what was sent to someone else)."""
    row = await db.get(OutboxMessage, row_id)
    if row is None or row.participant_id != person.id:
        return None
    return HeldNotice(row.kind, row.payload)
