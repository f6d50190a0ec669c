"""Which event a chat is about, and its local calendar."""

from __future__ import annotations

import weakref
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from bot.clock import Clock, SimulatedClock, SystemClock
from bot.models import Event


async def current_event(db: AsyncSession, key: str | None = None) -> Event | None:
    """The configured event (COORDBOT_EVENT), else the one loaded most recently."""
    query = select(Event)
    query = query.where(Event.key == key) if key else query.order_by(Event.loaded_at.desc())
    return (await db.execute(query.limit(1))).scalar_one_or_none()


# How long a process may answer from the event it read last: a programme loaded by another
# process is seen within this; one loaded in this process at once (see `forget_recent_events`).
RECENT = 2.0
# By database (engine) and key: when the event was read, and a detached copy of its columns.
_recent: weakref.WeakKeyDictionary[Engine, dict[str | None, tuple[float, Event | None]]] = (
    weakref.WeakKeyDictionary()
)


async def recent_event(db: AsyncSession, key: str | None = None) -> Event | None:
    """`current_event` as read at most `RECENT` seconds ago, for every incoming message: at a
    hundred messages a second, one query fewer each. The event is put in `db` without a query
    (it has no relationships, and only a programme load writes it)."""
    bind = db.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    by_key = _recent.setdefault(engine, {})
    now = monotonic()
    read_at, copy = by_key.get(key, (float("-inf"), None))
    if now - read_at > RECENT:
        found = await current_event(db, key)
        copy = _detached_copy(found) if found is not None else None
        by_key[key] = (now, copy)
        return found
    return None if copy is None else await db.merge(copy, load=False)


def _detached_copy(found: Event) -> Event:
    columns = inspect(Event).column_attrs
    copy = Event(**{column.key: getattr(found, column.key) for column in columns})
    make_transient_to_detached(copy)
    return copy


def forget_recent_events() -> None:
    _recent.clear()


@event.listens_for(Event, "after_insert")
@event.listens_for(Event, "after_update")
@event.listens_for(Event, "after_delete")
def _event_written(*_args: object) -> None:
    """A programme loaded (or an event removed) in this process is seen by its next message."""
    forget_recent_events()


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
