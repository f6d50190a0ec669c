"""The programme as one reader may see it: days, pages of a day, what is on now and next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Audience, Event, Session, SessionKind, Texts
from bot.programme.meeting import day_bounds, local_day
from bot.text.numbers import parse_number


def _visible(event: Event, audiences: Sequence[Audience]) -> list[ColumnElement[bool]]:
    return [Session.event_id == event.id, Session.audience.in_(audiences)]


# What makes a day a day of the meeting; a day with only buses, breaks or a reception is not one.
_MEETING_KINDS = (SessionKind.PLENARY, SessionKind.GROUP_SESSION, SessionKind.SMALL_TABLES)


@dataclass(frozen=True)
class Days:
    every: list[date]  # the local days on which the reader has something in the programme
    # The days of the whole meeting, with a plenary, a group session or tables: "Day 2 of 2" for
    # a government reader too, whose first day is the meeting's second.
    meeting: list[date]


# The days of a programme change only when it is loaded again, which moves event.loaded_at: the
# key below is read from the database with every message, so every process sees a reload.
_days_cache: dict[tuple[int, datetime, tuple[Audience, ...]], Days] = {}


async def programme_days(db: AsyncSession, event: Event, audiences: Sequence[Audience]) -> Days:
    """The reader's days, and among them the days of the meeting itself."""
    key = (event.id, event.loaded_at, tuple(audiences))
    if key not in _days_cache:
        query = select(Session.starts_at, Session.kind, Session.audience)
        rows = (await db.execute(query.where(Session.event_id == event.id).distinct())).all()
        every = sorted(
            {local_day(event, start) for start, _k, seen_by in rows if seen_by in audiences}
        )
        meeting = sorted(
            {local_day(event, start) for start, kind, _a in rows if kind in _MEETING_KINDS}
        ) or sorted({local_day(event, start) for start, _k, _a in rows})
        if len(_days_cache) > 256:
            _days_cache.clear()
        _days_cache[key] = Days(every, meeting)
    return _days_cache[key]


async def days(db: AsyncSession, event: Event, audiences: Sequence[Audience]) -> list[date]:
    """The local days on which the reader has something in the programme."""
    return (await programme_days(db, event, audiences)).every


@dataclass(frozen=True)
class Page:
    sessions: list[Session]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


async def day_page(
    db: AsyncSession,
    event: Event,
    audiences: Sequence[Audience],
    day: date,
    page: int,
    page_size: int,
) -> Page:
    start, end = day_bounds(event, day)
    day_of = {"event_id_": event.id, "audiences": list(audiences), "start": start, "end": end}
    total = (await db.execute(_DAY_COUNT, day_of)).scalar_one()
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    rows = await db.execute(
        _DAY_PAGE, {**day_of, "skip": (page - 1) * page_size, "most": page_size}
    )
    return Page(list(rows.scalars()), total, page, page_size)


# The agenda's two statements, built once (they run for every /agenda): SQLAlchemy reuses their
# compiled form.
_DAY = (
    Session.event_id == bindparam("event_id_"),
    Session.audience.in_(bindparam("audiences", expanding=True)),
    Session.starts_at >= bindparam("start"),
    Session.starts_at < bindparam("end"),
)
_DAY_COUNT = select(func.count()).where(*_DAY)
_DAY_PAGE = (
    select(Session)
    .where(*_DAY)
    .order_by(Session.starts_at, Session.ends_at.asc().nulls_last(), Session.id)
    .offset(bindparam("skip"))
    .limit(bindparam("most"))
)


@dataclass(frozen=True)
class NowAndNext:
    ongoing: list[Session]
    upcoming: list[Session]
    first: Session | None  # the very first session, to say when the meeting starts


async def now_and_next(
    db: AsyncSession, event: Event, audiences: Sequence[Audience], now: datetime
) -> NowAndNext:
    """What is on at `now`, and the session(s) starting next (several when they start together)."""
    visible = _visible(event, audiences)
    ongoing_query = (
        select(Session)
        .where(*visible, Session.starts_at <= now, Session.not_over(now))
        .order_by(Session.starts_at, Session.id)
    )
    next_start = (
        select(func.min(Session.starts_at)).where(*visible, Session.starts_at > now)
    ).scalar_subquery()
    upcoming_query = (
        select(Session).where(*visible, Session.starts_at == next_start).order_by(Session.id)
    )
    first_query = select(Session).where(*visible).order_by(Session.starts_at).limit(1)
    return NowAndNext(
        ongoing=list((await db.execute(ongoing_query)).scalars()),
        upcoming=list((await db.execute(upcoming_query)).scalars()),
        first=(await db.execute(first_query)).scalar_one_or_none(),
    )


async def find_session(
    db: AsyncSession, event: Event, audiences: Sequence[Audience], reference: str
) -> Session | None:
    """A session by its number (as the agenda shows it) or its id in the programme file.

    A session the reader may not see is not found: it does not exist for them."""
    reference = reference.strip().lower().removeprefix("/")
    number = parse_number(reference.removeprefix("s"))  # 12, s12 (as in /s12)
    query = select(Session).where(*_visible(event, audiences))
    if number is not None:
        query = query.where(Session.id == number)
    else:
        query = query.where(Session.key == reference)
    return (await db.execute(query)).scalar_one_or_none()


async def hidden_audience(
    db: AsyncSession, event: Event, audiences: Sequence[Audience], reference: str
) -> Audience | None:
    """The audience of a session that exists but that the reader may not see (None otherwise)."""
    every = await find_session(db, event, tuple(Audience), reference)
    if every is None or every.audience in audiences:
        return None
    return every.audience


@dataclass(frozen=True)
class Alongside:
    """Something on some days alongside the meeting, not a session of it (Event.alongside)."""

    title: Texts
    description: Texts
    first_day: date
    last_day: date
    venue: Texts | str | None


def alongside(event: Event, day: date, audiences: Sequence[Audience]) -> list[Alongside]:
    """What happens alongside the meeting on `day` that the reader may see."""
    found = []
    for item in event.alongside or []:
        first, last = date.fromisoformat(item["first_day"]), date.fromisoformat(item["last_day"])
        if Audience(item["audience"]) in audiences and first <= day <= last:
            found.append(
                Alongside(item["title"], item["description"], first, last, item.get("venue"))
            )
    return found
