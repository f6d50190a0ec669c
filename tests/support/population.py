"""Many participants at once, each with a Telegram account (for load tests and benchmarks)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    ChatIdentity,
    GroupMembership,
    GroupMembershipStatus,
    Participant,
    ReferenceGroup,
    Role,
)


async def add_telegram_participants(
    db: AsyncSession,
    event_id: int,
    count: int,
    *,
    role: Role = Role.CIVIL_SOCIETY,
    reminder_minutes: int | None = None,
    first_chat_id: int = 1_000_000,
    batch: int = 5000,
    platform: str = "telegram",
    seen_at: datetime | None = None,
) -> list[int]:
    """Participants P0… with a reachable account each on `platform` (Telegram unless said;
    chat id first_chat_id + id), last seen `seen_at` (now unless said)."""
    now = datetime.now(UTC)
    ids: list[int] = []
    for start in range(0, count, batch):
        people = [
            {
                "event_id": event_id,
                "name": f"P{start + n}",
                "role": role,
                "language": "en",
                "reminder_minutes": reminder_minutes,
                "created_at": now,
            }
            for n in range(min(batch, count - start))
        ]
        new = list(
            (await db.execute(insert(Participant).returning(Participant.id), people)).scalars()
        )
        await db.execute(
            insert(ChatIdentity),
            [
                {
                    "platform": platform,
                    "external_id": str(first_chat_id + pid),
                    "participant_id": pid,
                    "reachable": True,
                    "created_at": now,
                    "last_seen_at": seen_at or now,
                }
                for pid in new
            ],
        )
        ids += new
    return ids


async def in_three_languages(db: AsyncSession, readers: list[int]) -> None:
    """A third of `readers` read French, a third Spanish, the rest English."""
    for language, part in (("fr", readers[::3]), ("es", readers[1::3])):
        await db.execute(
            update(Participant).where(Participant.id.in_(part)).values(language=language)
        )


async def join_group(
    db: AsyncSession, event_id: int, group_key: str, people: list[int], now: datetime
) -> None:
    """Make `people` members of the event's reference group `group_key`, in one statement."""
    group = (
        await db.execute(
            select(ReferenceGroup).where(
                ReferenceGroup.event_id == event_id, ReferenceGroup.key == group_key
            )
        )
    ).scalar_one()
    await db.execute(
        insert(GroupMembership),
        [
            {
                "participant_id": person,
                "group_id": group.id,
                "status": GroupMembershipStatus.MEMBER,
                "created_at": now,
            }
            for person in people
        ],
    )
