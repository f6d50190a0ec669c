"""Feedback after a session: one question (a rating from 1 to 5, then an optional comment) to
each participant a session marked `feedback: true` concerns, at a good moment.

The moment: the end of the session, unless the person may attend another session going on then
(one that overlaps its end, or starts less than NO_BREAK after it); then the end of that one,
and so on, never past the day's last session they may attend. Breaks, meals, socials and
logistics are good moments, not sessions to wait for. "May attend" is by audience (the
audiences of the person's role and badge), so a government representative is asked when the
session ends if a civil-society-only session follows it, while civil society is asked after
that one. See docs/floor.md.

Who was asked is a `FeedbackRequest` (unique per session and person); what they answered is a
`FeedbackAnswer` with no link to them, and a comment is a row of its own. The routine
(`queue_due`) creates the requests with one INSERT … SELECT per session and audience group and
queues their notices under unique keys: it may run any number of times, in any number of
processes, and asks each person once.
"""

from __future__ import annotations

import csv
import enum
import io
import logging
import secrets
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_once
from bot.delivery import outbox
from bot.models import (
    Audience,
    Event,
    FeedbackAnswer,
    FeedbackRequest,
    Participant,
    Role,
    Session,
    SessionKind,
    Texts,
)
from bot.models.base import UTCDateTime
from bot.notice import Notice
from bot.people.access import audiences_for
from bot.programme.meeting import day_bounds
from bot.reminders import concerns
from bot.translation import store as translation_store

log = logging.getLogger(__name__)

SCALE = (1, 2, 3, 4, 5)
# The sessions one sits in: a person in one of them is not disturbed by a question.
IN_THE_ROOM = frozenset({SessionKind.PLENARY, SessionKind.GROUP_SESSION, SessionKind.SMALL_TABLES})
# A session that starts less than this after the end of the last follows it "without a break"
# (time to change rooms, not to answer).
NO_BREAK = timedelta(minutes=10)
# A question not queued by then is not asked any more (the bot was down, a person linked late):
# feedback asked hours after a session is of little use. Its notice is given up past it too.
STALE = timedelta(hours=2)
# After a rating, what the person writes within this is a comment on the session.
COMMENT_WINDOW = timedelta(minutes=30)
COMMENT_LIMIT = 2000  # characters
# Sessions looked at by the routine: those begun within this (a session, its day, its window).
_LOOKBACK = timedelta(days=2)
_LARGEST_ID = 2**31 - 1  # an INTEGER column on PostgreSQL


@dataclass(frozen=True, kw_only=True)
class FeedbackAsked(Notice):
    """How was the session? With buttons 1–5 (`handlers.floor_feedback`)."""

    kind: ClassVar[str] = "feedback_asked"
    session_id: int
    title: Texts


def _key_prefix(session_id: int) -> str:
    return f"feedback:{session_id}:"


def key(session_id: int, participant_id: int) -> str:
    """The outbox key: one question per person and session."""
    return f"{_key_prefix(session_id)}{participant_id}"


# Every kind of person, by what decides the sessions they may attend: role and badge.
Group = tuple[Role, bool]
GROUPS: tuple[Group, ...] = tuple((role, badge) for role in Role for badge in (False, True))


def moment(
    session: Session, programme: Iterable[Session], audiences: Collection[Audience], zone: ZoneInfo
) -> datetime:
    """When to ask a person who may attend `audiences` about `session`: its end, or the end of
    the sessions they may attend that follow it without a break, the same day."""
    day = session.starts_at.astimezone(zone).date()
    following = [
        other
        for other in programme
        if other.id != session.id
        and other.kind in IN_THE_ROOM
        and other.audience in audiences
        and other.starts_at.astimezone(zone).date() == day
    ]
    end = session.over_at
    while True:
        later = [s.over_at for s in following if s.starts_at < end + NO_BREAK and s.over_at > end]
        if not later:
            return end
        end = max(later)


def moments(
    session: Session, programme: Iterable[Session], zone: ZoneInfo
) -> dict[datetime, list[Group]]:
    """The moments of `session`'s question, each with the groups of people asked then."""
    programme = list(programme)
    by_moment: dict[datetime, list[Group]] = defaultdict(list)
    for role, badge in GROUPS:
        audiences = audiences_for(role, badge)
        if session.audience not in audiences:
            continue  # never concerned
        by_moment[moment(session, programme, audiences, zone)].append((role, badge))
    return dict(by_moment)


def _in_groups(groups: Sequence[Group]) -> ColumnElement[bool]:
    badge = Participant.government_conference
    return or_(
        *(
            and_(
                Participant.role == role,
                badge.is_(True) if holder else or_(badge.is_(None), badge.is_(False)),
            )
            for role, holder in groups
        )
    )


async def _programme_of_day(
    db: AsyncSession,
    event: Event,
    day: date,
    cache: dict[tuple[int, date], list[Session]],
) -> list[Session]:
    found = cache.get((event.id, day))
    if found is None:
        start, end = day_bounds(event, day)
        query = select(Session).where(
            Session.event_id == event.id, Session.starts_at >= start, Session.starts_at < end
        )
        found = cache[event.id, day] = list((await db.execute(query)).scalars())
    return found


async def queue_due(db: AsyncSession, now: datetime) -> int:
    """Ask everyone whose moment has come about each session marked for feedback, once: the
    requests by INSERT … SELECT (ON CONFLICT DO NOTHING), the notices under unique keys.
    Returns how many were asked now."""
    query = select(Session).where(
        Session.feedback.is_(True),
        Session.starts_at <= now,
        Session.starts_at > now - _LOOKBACK,
    )
    candidates = [s for s in (await db.execute(query)).scalars() if s.over_at <= now]
    if not candidates:
        return 0
    days: dict[tuple[int, date], list[Session]] = {}
    asked = 0
    for session in sorted(candidates, key=lambda s: (s.starts_at, s.id)):
        event = await db.get_one(Event, session.event_id)
        zone = ZoneInfo(event.timezone)
        day = session.starts_at.astimezone(zone).date()
        programme = await _programme_of_day(db, event, day, days)
        due = [
            (at, groups)
            for at, groups in sorted(moments(session, programme, zone).items())
            if at <= now < at + STALE
        ]
        new = sum([await _ask(db, session, groups, now) for _at, groups in due])
        if new:
            await _queue(db, session, now, max(at for at, _groups in due) + STALE)
            log.info("asked %d participants about session %d (%r)", new, session.id, session.key)
        asked += new
    return asked


async def _ask(db: AsyncSession, session: Session, groups: Sequence[Group], now: datetime) -> int:
    """Ask the people of `groups` whom `session` concerns and who were not asked yet: their
    requests, sent at `now`."""
    people = select(
        literal(session.id, Integer), Participant.id, literal(now, UTCDateTime())
    ).where(
        concerns(session),
        _in_groups(groups),
        ~exists().where(
            FeedbackRequest.session_id == session.id,
            FeedbackRequest.participant_id == Participant.id,
        ),
    )
    statement = (
        insert_once(db, FeedbackRequest)
        .from_select(["session_id", "participant_id", "sent_at"], people)
        .on_conflict_do_nothing()
        .returning(FeedbackRequest.participant_id)
    )
    return len((await db.execute(statement)).all())


async def _queue(db: AsyncSession, session: Session, now: datetime, until: datetime) -> int:
    """The question to everyone asked about `session` at `now`, one outbox row each under its
    unique key, by INSERT … SELECT (a row queued already is not queued again)."""
    return await outbox.enqueue_selected(
        db,
        _key_prefix(session.id),
        FeedbackRequest.participant_id,
        and_(FeedbackRequest.session_id == session.id, FeedbackRequest.sent_at == now),
        FeedbackAsked(session_id=session.id, title=session.title),
        now,
        not_before=now,
        expires_at=until,
    )


class Rated(enum.StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"  # a second press, or after another answer: nothing recorded
    NOT_ASKED = "not_asked"  # a session the person was never asked about: nothing recorded


async def rate(
    db: AsyncSession, session_id: int, participant_id: int, rating: int, now: datetime
) -> Rated:
    """Record one rating of the session, with no link to the person, if they were asked and
    have not answered yet; the request is marked answered in the same statement that checks
    it, so two presses racing record one rating."""
    if rating not in SCALE:
        raise ValueError(f"a rating is 1 to 5, not {rating}")
    marked = await db.execute(
        sql_update(FeedbackRequest)
        .where(
            FeedbackRequest.session_id == session_id,
            FeedbackRequest.participant_id == participant_id,
            FeedbackRequest.answered_at.is_(None),
        )
        .values(answered_at=now)
    )
    if getattr(marked, "rowcount", 0) == 1:
        await _keep(db, session_id, rating, None)
        return Rated.RECORDED
    asked = await db.execute(
        select(FeedbackRequest.id).where(
            FeedbackRequest.session_id == session_id,
            FeedbackRequest.participant_id == participant_id,
        )
    )
    return Rated.ALREADY if asked.first() is not None else Rated.NOT_ASKED


async def _keep(db: AsyncSession, session_id: int, rating: int | None, text: str | None) -> None:
    """One answer row under a random id: sequential ids would tell the order answers came in,
    and so join a rating to the comment after it, and both to the request answered then."""
    for _attempt in range(8):
        stored = await db.execute(
            insert_once(db, FeedbackAnswer)
            .values(id=_random_id(), session_id=session_id, rating=rating, comment=text)
            .on_conflict_do_nothing()
            .returning(FeedbackAnswer.id)
        )
        if stored.first() is not None:
            return
    raise RuntimeError("no free id for a feedback answer")  # 8 collisions in 2^31: never


def _random_id() -> int:
    return secrets.randbelow(_LARGEST_ID) + 1


async def commenting(
    db: AsyncSession, participant_id: int, now: datetime, session_id: int | None = None
) -> Session | None:
    """The session the person rated within COMMENT_WINDOW (the last one, or `session_id`):
    what they write now is a comment on it."""
    query = (
        select(Session)
        .join(FeedbackRequest, FeedbackRequest.session_id == Session.id)
        .where(
            FeedbackRequest.participant_id == participant_id,
            FeedbackRequest.answered_at > now - COMMENT_WINDOW,
        )
        .order_by(FeedbackRequest.answered_at.desc(), FeedbackRequest.id.desc())
        .limit(1)
    )
    if session_id is not None:
        query = query.where(FeedbackRequest.session_id == session_id)
    return (await db.execute(query)).scalar_one_or_none()


async def comment(
    db: AsyncSession, session: Session, text: str, now: datetime, provider: str | None
) -> None:
    """Keep a comment as its own row (no rating, no person); with a translation provider, ask
    for its translation with no author, as the survey does for its free-text answers."""
    await _keep(db, session.id, None, text)
    if provider is not None:
        await translation_store.request(db, text, None, provider, now)


@dataclass(frozen=True)
class SessionFeedback:
    """What organisers see of one session's feedback."""

    session_id: int
    key: str
    title: Texts
    starts_at: datetime
    asked: int
    answered: int  # requests answered (a person who later used /forget is no longer counted)
    counts: dict[int, int] = field(default_factory=dict)  # rating → how many
    comments: list[str] = field(default_factory=list)

    @property
    def ratings(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        if not self.ratings:
            return None
        return sum(rating * count for rating, count in self.counts.items()) / self.ratings


async def results(db: AsyncSession, event_id: int) -> list[SessionFeedback]:
    """Each session asked about or with answers, in programme order: four queries, whatever
    the number of sessions and answers."""
    sessions = list(
        (
            await db.execute(
                select(Session)
                .where(
                    Session.event_id == event_id,
                    # Also a session whose `feedback: true` a later programme took away.
                    or_(
                        Session.feedback.is_(True),
                        Session.id.in_(select(FeedbackRequest.session_id)),
                        Session.id.in_(select(FeedbackAnswer.session_id)),
                    ),
                )
                .order_by(Session.starts_at, Session.id)
            )
        ).scalars()
    )
    if not sessions:
        return []
    ids = [s.id for s in sessions]
    requests = {
        session_id: (int(asked), int(answered))
        for session_id, asked, answered in await db.execute(
            select(
                FeedbackRequest.session_id,
                func.count(),
                func.count(FeedbackRequest.answered_at),
            )
            .where(FeedbackRequest.session_id.in_(ids))
            .group_by(FeedbackRequest.session_id)
        )
    }
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for session_id, rating, number in await db.execute(
        select(FeedbackAnswer.session_id, FeedbackAnswer.rating, func.count())
        .where(FeedbackAnswer.session_id.in_(ids), FeedbackAnswer.rating.is_not(None))
        .group_by(FeedbackAnswer.session_id, FeedbackAnswer.rating)
    ):
        if rating in SCALE:
            counts[session_id][int(rating)] = int(number)
    comments: dict[int, list[str]] = defaultdict(list)
    for session_id, text in await db.execute(
        select(FeedbackAnswer.session_id, FeedbackAnswer.comment)
        .where(FeedbackAnswer.session_id.in_(ids), FeedbackAnswer.comment.is_not(None))
        .order_by(FeedbackAnswer.id)  # random: a stable order that tells nothing
    ):
        if text is not None:
            comments[session_id].append(text)
    return [
        SessionFeedback(
            s.id,
            s.key,
            s.title,
            s.starts_at,
            *requests.get(s.id, (0, 0)),
            counts={rating: counts[s.id].get(rating, 0) for rating in SCALE},
            comments=comments[s.id],
        )
        for s in sessions
        if s.id in requests or counts.get(s.id) or comments.get(s.id)
    ]


def csv_text(sessions: Sequence[SessionFeedback], titles: Mapping[int, str]) -> str:
    """One row per session: its key, its title (`titles`, by session, in the export's
    language), how many were asked, the ratings, their mean and the count of each rating."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["session", "title", "asked", "ratings", "mean"]
    writer.writerow(header + [f"rating_{rating}" for rating in SCALE] + ["comments"])
    for s in sessions:
        mean = "" if s.mean is None else f"{s.mean:.2f}"
        row: list[object] = [s.key, titles.get(s.session_id, ""), s.asked, s.ratings, mean]
        writer.writerow(row + [s.counts.get(rating, 0) for rating in SCALE] + [len(s.comments)])
    return out.getvalue()


@dataclass(frozen=True)
class AskedAbout:
    """A feedback question sent to a person (for /mydata): not their answer, which is nobody's."""

    title: Texts
    sent_at: datetime
    answered: bool


async def requests_of(db: AsyncSession, participant_id: int) -> list[AskedAbout]:
    query = (
        select(Session.title, FeedbackRequest.sent_at, FeedbackRequest.answered_at)
        .join(Session, Session.id == FeedbackRequest.session_id)
        .where(FeedbackRequest.participant_id == participant_id)
        .order_by(FeedbackRequest.sent_at, FeedbackRequest.id)
    )
    return [
        AskedAbout(title, sent_at, answered_at is not None)
        for title, sent_at, answered_at in await db.execute(query)
    ]


async def forget(db: AsyncSession, people: Sequence[int] | Select[Any]) -> None:
    """/forget: who was asked, and whether they answered, goes; the answers stay, nobody's."""
    await db.execute(delete(FeedbackRequest).where(FeedbackRequest.participant_id.in_(people)))
