"""Urgent broadcasts at Telegram's paid rate (opt-in, off by default).

A bot sends at most about 30 messages a second for free: 10,000 people take over five
minutes. A bot with paid broadcasts enabled (in @BotFather, with Stars on its balance) may send
up to 1,000 a second by passing `allow_paid_broadcast`, for 0.1 Stars a message, taken from the
bot's balance. An organiser marks a broadcast urgent in its preview, which shows the cost; the
deployment sets the most one broadcast may spend (TELEGRAM_PAID_BROADCAST_STARS). Beyond that
cap, the rest go at the free rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ChatIdentity

# Telegram's price and rate for a message sent with allow_paid_broadcast.
STAR_PRICE = Decimal("0.1")
PAID_RATE = 1000
TELEGRAM = "telegram"


@dataclass(frozen=True)
class PaidBroadcasts:
    """The deployment allows urgent broadcasts, each spending at most `cap_stars` Stars."""

    cap_stars: int
    free_rate: float = 30.0  # what the bot sends a second without paying (TELEGRAM_RATE)

    def paid_messages(self, telegram_readers: int) -> int:
        """How many messages of an urgent broadcast to that many Telegram readers go paid."""
        return min(telegram_readers, int(self.cap_stars / STAR_PRICE))

    def seconds(self, readers: int, paid: int) -> tuple[float, float]:
        """How long a broadcast to `readers` on Telegram takes to leave: at the free rate, and
        with `paid` of them at the paid rate."""
        free = readers / self.free_rate
        return free, paid / PAID_RATE + (readers - paid) / self.free_rate


def cost(messages: int) -> Decimal:
    """The Stars that many paid messages cost at most (Telegram may count some as free)."""
    return STAR_PRICE * messages


async def telegram_readers(db: AsyncSession, people: Sequence[int]) -> list[int]:
    """Those of `people` with a reachable Telegram chat, in the order given: the ones an urgent
    broadcast pays to reach faster."""
    found: set[int] = set()
    for start in range(0, len(people), 5000):  # within every database's parameter limit
        chunk = people[start : start + 5000]
        rows = await db.execute(
            select(ChatIdentity.participant_id).where(
                ChatIdentity.platform == TELEGRAM,
                ChatIdentity.reachable.is_(True),
                ChatIdentity.participant_id.in_(chunk),
            )
        )
        found.update(pid for pid in rows.scalars() if pid is not None)
    return [pid for pid in people if pid in found]
