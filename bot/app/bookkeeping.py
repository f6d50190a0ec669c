"""What the delivery worker does after each pass, in one transaction: broadcasts' reports and
progress messages, the survey's reminders, and forgetting wrong codes and lock-outs past their
hour and expired linking codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import broadcasts
from bot.delivery.worker import Edit
from bot.people import invitations
from bot.survey import store as surveys


async def after_delivery_pass(
    db: AsyncSession, now: datetime, platforms: Sequence[str]
) -> list[Edit]:
    await surveys.remind_due(db, now)
    await invitations.purge(db, now)
    return await broadcasts.book_keeping(db, now, platforms)
