"""Live polls in a session: launched by a moderator, answered with buttons by the session's
participants until the time limit, closed once by the routine, which queues the result.

Anonymous: only counts ever leave this module. While the poll is open an answer is kept with
the person (the primary key refuses a second one), so that it can be changed and erased by
/forget; at the close the figures are kept on the poll and the answers deleted.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_once
from bot.delivery import outbox
from bot.floor import rooms
from bot.models import Participant, Poll, PollAnswer, Session, Texts
from bot.notice import ALWAYS, Notice
from bot.reminders import concerned

MIN_CHOICES, MAX_CHOICES = 2, 6
DEFAULT_DURATION = timedelta(minutes=2)
SHORTEST, LONGEST = timedelta(seconds=30), timedelta(hours=1)
QUESTION_LENGTH, CHOICE_LENGTH = 300, 60  # a choice is a button's label
CLOSED_PER_PASS = 20


@dataclass(frozen=True, kw_only=True)
class PollOpened(Notice):
    """To each participant of the session: the question, with a button per choice."""

    kind: ClassVar[str] = "poll_opened"
    poll: int
    session: Texts
    question: Texts
    choices: list[Texts]
    multiple: bool
    closes_at: datetime
    timezone: str

    def urgent_from(self) -> datetime | None:
        return ALWAYS  # answered in the room, within minutes


@dataclass(frozen=True, kw_only=True)
class PollClosed(Notice):
    """To each participant of the session and the poll's author: the result (counts read by
    the loader, so that the notice stays small and every reader sees the same figures)."""

    kind: ClassVar[str] = "poll_closed"
    poll: int


class Problem(enum.StrEnum):
    """What is wrong with a poll as typed."""

    NO_QUESTION = "no_question"
    NO_ENGLISH = "no_english"  # the English text is the one every reader can fall back on
    TOO_FEW = "too_few"
    TOO_MANY = "too_many"
    COUNTS_DIFFER = "counts_differ"
    TOO_LONG = "too_long"
    EMPTY_CHOICE = "empty_choice"


def check(question: Texts, choices: dict[str, list[str]]) -> Problem | None:
    """The first problem of a poll's texts: the question by language, and the choices by
    language (each language's line gives both), or None."""
    if not question or any(not text.strip() for text in question.values()):
        return Problem.NO_QUESTION
    if "en" not in question:
        return Problem.NO_ENGLISH
    if len({len(choices.get(language, [])) for language in question}) > 1:
        return Problem.COUNTS_DIFFER
    count = len(choices.get("en", []))
    if count < MIN_CHOICES:
        return Problem.TOO_FEW
    if count > MAX_CHOICES:
        return Problem.TOO_MANY
    options = [option for language in question for option in choices[language]]
    if any(not option.strip() for option in options):
        return Problem.EMPTY_CHOICE
    too_long = any(len(text) > QUESTION_LENGTH for text in question.values())
    if too_long or any(len(option) > CHOICE_LENGTH for option in options):
        return Problem.TOO_LONG
    return None


def as_choices(choices: dict[str, list[str]]) -> list[Texts]:
    """`{"en": [a, b], "fr": [a', b']}` → `[{"en": a, "fr": a'}, {"en": b, "fr": b'}]`."""
    count = len(choices["en"])
    return [{lang: options[n].strip() for lang, options in choices.items()} for n in range(count)]


async def open_poll(db: AsyncSession, session: Session, now: datetime) -> Poll | None:
    """The poll of `session` taking answers now (the latest, if ever there were two)."""
    query = (
        select(Poll)
        .where(Poll.session_id == session.id, Poll.closed_at.is_(None), Poll.closes_at > now)
        .order_by(Poll.id.desc())
        .limit(1)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def latest(db: AsyncSession, session: Session) -> Poll | None:
    """The session's last poll, open or closed."""
    query = select(Poll).where(Poll.session_id == session.id).order_by(Poll.id.desc()).limit(1)
    return (await db.execute(query)).scalar_one_or_none()


async def launch(
    db: AsyncSession,
    session: Session,
    author: Participant,
    question: Texts,
    choices: list[Texts],
    multiple: bool,
    duration: timedelta,
    timezone: str,
    now: datetime,
) -> tuple[Poll, int]:
    """Open a poll and queue it to the session's participants; returns it and how many."""
    poll = Poll(
        session_id=session.id,
        created_by=author.id,
        question=question,
        choices=choices,
        multiple=multiple,
        opened_at=now,
        closes_at=now + duration,
    )
    db.add(poll)
    await db.flush()
    notice = PollOpened(
        poll=poll.id,
        session=session.title,
        question=question,
        choices=choices,
        multiple=multiple,
        closes_at=poll.closes_at,
        timezone=timezone,
    )
    readers = await concerned(db, session)
    # Past the close, the question is of no use: it is not sent late.
    messages = [
        outbox.Message(f"poll:{poll.id}:{pid}", pid, notice, expires_at=poll.closes_at)
        for pid in readers
    ]
    return poll, await outbox.enqueue_many(db, messages, now)


class Answered(enum.StrEnum):
    RECORDED = "recorded"
    TICKED = "ticked"
    UNTICKED = "unticked"
    CLOSED = "closed"  # past its time limit
    NOT_YOURS = "not_yours"  # the person takes no part in the session
    NO_SUCH_CHOICE = "no_such_choice"


def is_closed(poll: Poll, now: datetime) -> bool:
    return poll.closed_at is not None or now >= poll.closes_at


async def answer(
    db: AsyncSession, poll: Poll, participant: Participant, choice: int, now: datetime
) -> Answered:
    """A press on choice `choice`: the answer of a single-choice poll (replacing an earlier
    one), or a tick or untick in a multiple-choice poll."""
    session = await db.get_one(Session, poll.session_id)
    if not rooms.may_take_part(participant, session):
        return Answered.NOT_YOURS
    if is_closed(poll, now):
        return Answered.CLOSED
    if not 0 <= choice < len(poll.choices):
        return Answered.NO_SUCH_CHOICE
    # A shared lock on the poll: the close (an UPDATE of its row) waits for answers being
    # written, and an answer after it sees the poll closed, so none is left once it is counted.
    # Then one person's presses one after another (a double tap on two choices): a lock on
    # their row. SQLite writes one transaction at a time anyway.
    closed_at = select(Poll.closed_at).where(Poll.id == poll.id).with_for_update(read=True)
    if (await db.execute(closed_at)).scalar_one() is not None:
        return Answered.CLOSED
    await db.execute(
        select(Participant.id).where(Participant.id == participant.id).with_for_update()
    )
    mine = (PollAnswer.poll_id == poll.id, PollAnswer.participant_id == participant.id)
    if poll.multiple:
        removed = await db.execute(delete(PollAnswer).where(*mine, PollAnswer.choice == choice))
        if getattr(removed, "rowcount", 0):
            return Answered.UNTICKED
    else:
        await db.execute(delete(PollAnswer).where(*mine, PollAnswer.choice != choice))
    values = {"poll_id": poll.id, "participant_id": participant.id, "choice": choice}
    await db.execute(insert_once(db, PollAnswer).values(values).on_conflict_do_nothing())
    return Answered.TICKED if poll.multiple else Answered.RECORDED


async def choices_of(db: AsyncSession, poll: Poll, participant: Participant) -> list[int]:
    """The choices the person gave, in order."""
    query = select(PollAnswer.choice).where(
        PollAnswer.poll_id == poll.id, PollAnswer.participant_id == participant.id
    )
    return sorted((await db.execute(query)).scalars())


@dataclass(frozen=True)
class Tally:
    """A poll's figures: how many people answered, and how many chose each choice."""

    poll: int
    session_key: str
    session_title: Texts
    question: Texts
    choices: list[Texts]
    multiple: bool
    counts: list[int]
    respondents: int
    closed: bool


async def tally(db: AsyncSession, poll: Poll) -> Tally:
    """A closed poll's figures as kept at its close; an open one's counted in two aggregate
    queries, whatever the number of answers."""
    session = await db.get_one(Session, poll.session_id)
    if poll.counts is not None:
        return _tally(poll, session, poll.counts, poll.respondents or 0)
    rows = await db.execute(
        select(PollAnswer.choice, func.count())
        .where(PollAnswer.poll_id == poll.id)
        .group_by(PollAnswer.choice)
    )
    by_choice = {choice: count for choice, count in rows.all()}
    respondents = await db.execute(
        select(func.count(func.distinct(PollAnswer.participant_id))).where(
            PollAnswer.poll_id == poll.id
        )
    )
    counts = [int(by_choice.get(n, 0)) for n in range(len(poll.choices))]
    return _tally(poll, session, counts, int(respondents.scalar_one()))


def _tally(poll: Poll, session: Session, counts: list[int], respondents: int) -> Tally:
    return Tally(
        poll=poll.id,
        session_key=session.key,
        session_title=session.title,
        question=poll.question,
        choices=poll.choices,
        multiple=poll.multiple,
        counts=counts,
        respondents=respondents,
        closed=poll.closed_at is not None,
    )


def close_early(poll: Poll, now: datetime) -> bool:
    """/poll close: no answer is taken from now; the routine sends the result. False when it
    was past its time already."""
    if is_closed(poll, now):
        return False
    poll.closes_at = now
    return True


async def close_due(db: AsyncSession, now: datetime) -> list[int]:
    """Close the polls past their time limit, each once whoever runs this at the same time
    (the row condition on `closed_at`), and queue the result to the session's participants
    and the poll's author. Returns the polls closed."""
    due = (
        await db.execute(
            select(Poll.id)
            .where(Poll.closed_at.is_(None), Poll.closes_at <= now)
            .order_by(Poll.closes_at)
            .limit(CLOSED_PER_PASS)
        )
    ).scalars()
    closed = []
    for poll_id in list(due):
        result = await db.execute(
            update(Poll)
            .where(Poll.id == poll_id, Poll.closed_at.is_(None))
            .values(closed_at=now)
            .returning(Poll.session_id, Poll.created_by)
        )
        row = result.first()
        if row is None:  # another process closed it first
            continue
        await _keep_figures(db, poll_id)
        session = await db.get_one(Session, row.session_id)
        readers = set(await concerned(db, session))
        if row.created_by is not None:
            readers.add(row.created_by)
        notice = PollClosed(poll=poll_id)
        messages = [outbox.Message(f"poll-result:{poll_id}:{pid}", pid, notice) for pid in readers]
        await outbox.enqueue_many(db, sorted(messages, key=lambda m: m.participant_id), now)
        closed.append(poll_id)
    return closed


async def _keep_figures(db: AsyncSession, poll_id: int) -> None:
    """The figures kept on the closed poll, and its answers deleted: from now on nothing ties
    a person to a choice (the closing transaction holds the row, so no answer comes in between:
    `answer` refuses a poll past `closes_at`)."""
    poll = await db.get_one(Poll, poll_id)
    figures = await tally(db, poll)
    poll.counts, poll.respondents = figures.counts, figures.respondents
    await db.execute(delete(PollAnswer).where(PollAnswer.poll_id == poll_id))


async def tally_of(db: AsyncSession, poll_id: int) -> Tally | None:
    poll = await db.get(Poll, poll_id)
    return await tally(db, poll) if poll is not None else None


@dataclass(frozen=True)
class GivenAnswer:
    """For /mydata: one of the person's choices in a poll."""

    question: Texts
    choice: Texts
    closed: bool


async def answers_of(db: AsyncSession, participant_id: int) -> list[GivenAnswer]:
    query = (
        select(Poll, PollAnswer.choice)
        .join(PollAnswer, PollAnswer.poll_id == Poll.id)
        .where(PollAnswer.participant_id == participant_id)
        .order_by(Poll.id, PollAnswer.choice)
    )
    return [
        GivenAnswer(poll.question, poll.choices[choice], poll.closed_at is not None)
        for poll, choice in (await db.execute(query)).all()
        if 0 <= choice < len(poll.choices)
    ]


async def forget(db: AsyncSession, people: Sequence[int] | Select[Any]) -> None:
    """/forget: the person's answers, all to polls still open (a closed poll keeps only its
    figures), are deleted."""
    await db.execute(delete(PollAnswer).where(PollAnswer.participant_id.in_(people)))


async def polls_of(db: AsyncSession, event_id: int) -> Sequence[Poll]:
    """Every poll of an event, in the order they were launched (the export)."""
    query = (
        select(Poll)
        .join(Session, Session.id == Poll.session_id)
        .where(Session.event_id == event_id)
        .order_by(Poll.id)
    )
    return list((await db.execute(query)).scalars())
