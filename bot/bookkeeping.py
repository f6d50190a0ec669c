"""What the delivery worker does after each pass, in one transaction: broadcasts' reports and
progress messages, and the survey's reminders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import broadcasts
from bot.delivery import Edit
from bot.survey import store as surveys


async def after_delivery_pass(
    db: AsyncSession, now: datetime, platforms: Sequence[str]
) -> list[Edit]:
    await surveys.remind_due(db, now)
    return await broadcasts.book_keeping(db, now, platforms)
