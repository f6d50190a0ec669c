"""Which event a chat is about, and its local calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, SimulatedClock, SystemClock
from bot.models import Event


async def current_event(db: AsyncSession, key: str | None = None) -> Event | None:
    """The configured event (COORDBOT_EVENT), else the one loaded most recently."""
    query = select(Event)
    query = query.where(Event.key == key) if key else query.order_by(Event.loaded_at.desc())
    return (await db.execute(query.limit(1))).scalar_one_or_none()


def meeting_clock(event: Event | None, at: datetime | None) -> Clock:
    """The real clock, or with `at` (a local time of the event) a clock that starts then and
    runs on: to rehearse or demonstrate the bot on the meeting's days."""
    if at is None:
        return SystemClock()
    return SimulatedClock(at.replace(tzinfo=zone(event) if event else UTC), running=True)


def zone(event: Event) -> ZoneInfo:
    return ZoneInfo(event.timezone)


def local_day(event: Event, instant: datetime) -> date:
    return instant.astimezone(zone(event)).date()


def day_bounds(event: Event, day: date) -> tuple[datetime, datetime]:
    """The UTC instants at which a local day of the event starts and the next one starts."""
    tz = zone(event)
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start, end
