"""Questions from the floor: asked by participants of an open session, decided by its
moderators (approve, merge a duplicate, answered, reject with a reason), and voted for, one vote
per person and question whatever the language either reads it in.

A duplicate merged into another question gives it its votes (moved, once per person: who voted
for both counts once), so a question's count is its own rows in `floor_votes`, counted from
the primary key's index: the board is one query whatever the number of questions and votes,
and cheap enough to answer every vote of a plenary with.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import (
    Executable,
    Integer,
    bindparam,
    delete,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_once
from bot.delivery import outbox
from bot.floor import rooms
from bot.models import (
    Event,
    FloorQuestion,
    FloorVote,
    Participant,
    QuestionStatus,
    Role,
    Session,
    Texts,
)
from bot.notice import Notice
from bot.translation import store as translations
from bot.translation.reading import ReadText, read

MAX_TEXT = 500  # a question, not a speech
MAX_REASON = 300
# The room sees the first so many approved questions; the moderator so many of each kind.
ROOM_SHOWS = 20
MODERATOR_SHOWS = 10


@dataclass(frozen=True, kw_only=True)
class QuestionRejected(Notice):
    """A moderator did not take the asker's question, and says why."""

    kind: ClassVar[str] = "floor_question_rejected"
    session: Texts
    question: str
    reason: str


class Refusal(StrEnum):
    """Why a person may not ask or vote in a session now."""

    CLOSED = "closed"  # not open to questions now
    NOT_FOR_YOU = "not_for_you"  # the session's audience does not include them


def refusal(participant: Participant, session: Session, now: datetime) -> Refusal | None:
    if not rooms.may_take_part(participant, session):
        return Refusal.NOT_FOR_YOU
    if not rooms.is_open(session, now):
        return Refusal.CLOSED
    return None


def going_on_first(sessions: list[Session], now: datetime) -> list[Session]:
    """Open sessions with the one going on now first (the latest started), then those that
    open early for questions, soonest first: where a question lands when several are open."""
    started = sorted(
        (s for s in sessions if s.starts_at <= now), key=lambda s: s.starts_at, reverse=True
    )
    return started + [s for s in sessions if s.starts_at > now]


async def ask(
    db: AsyncSession,
    session: Session,
    participant: Participant,
    text: str,
    language: str | None,
    now: datetime,
    *,
    voice: tuple[str, str] | None = None,
    translation_provider: str | None = None,
) -> FloorQuestion:
    """A question waiting for a moderator (the caller checked `refusal`). A voice note is kept
    as `(platform, file id)`; with a translation provider, the text is queued for translation
    in this transaction, for the room to read it in each language once approved."""
    if translation_provider is not None and text.strip():
        await translations.request(db, text, participant.id, translation_provider, now)
    question = FloorQuestion(
        session_id=session.id,
        participant_id=participant.id,
        text=text,
        language=language,
        voice_platform=voice[0] if voice else None,
        voice_file=voice[1] if voice else None,
        named=False,
        status=QuestionStatus.PENDING,
        created_at=now,
    )
    db.add(question)
    await db.flush()
    return question


async def own_question(
    db: AsyncSession, question_id: int, participant: Participant
) -> FloorQuestion | None:
    """The asker's own question (None when it is someone else's, or gone)."""
    question = await db.get(FloorQuestion, question_id)
    if question is None or question.participant_id != participant.id:
        return None
    return question


async def move(db: AsyncSession, question: FloorQuestion, session: Session, now: datetime) -> bool:
    """The asker sends their question to another open session instead: only while it waits
    for a moderator, and only to a session they may take part in."""
    if question.status != QuestionStatus.PENDING or question.participant_id is None:
        return False
    asker = await db.get(Participant, question.participant_id)
    if asker is None or refusal(asker, session, now) is not None:
        return False
    question.session_id = session.id
    return True


class Voted(StrEnum):
    COUNTED = "counted"
    ALREADY = "already"  # pressing again keeps the vote: a double tap never takes it back
    CLOSED = "closed"  # the session is not open any more
    NOT_FOR_YOU = "not_for_you"
    GONE = "gone"  # answered, rejected, or no such question


@dataclass(frozen=True)
class VoteResult:
    outcome: Voted
    session: Session | None = None


async def _with_session(db: AsyncSession, question_id: int) -> tuple[FloorQuestion, Session] | None:
    """A question and its session in one query. FOR SHARE of the question: votes do not wait
    for each other, but a merge (FOR UPDATE) waits for the votes under way, and the votes after
    it find the question merged."""
    query = (
        select(FloorQuestion, Session)
        .join(Session, Session.id == FloorQuestion.session_id)
        .where(FloorQuestion.id == question_id)
        .with_for_update(read=True, of=FloorQuestion)
    )
    row = (await db.execute(query)).first()
    return (row[0], row[1]) if row is not None else None


async def vote(
    db: AsyncSession, question_id: int, participant: Participant, now: datetime
) -> VoteResult:
    """One vote per person and question, written once however many times it is pressed and
    by however many at once (the primary key; ON CONFLICT DO NOTHING). A vote for a duplicate
    merged since counts for the question it was merged into."""
    found = await _with_session(db, question_id)
    if found is not None and found[0].status == QuestionStatus.MERGED:
        merged_into = found[0].merged_into_id
        found = await _with_session(db, merged_into) if merged_into else None
    if found is None or found[0].status != QuestionStatus.APPROVED:
        return VoteResult(Voted.GONE)
    question, session = found
    refused = refusal(participant, session, now)
    if refused is not None:
        return VoteResult(Voted(refused.value), session)
    values = {"question_id": question.id, "participant_id": participant.id, "created_at": now}
    insert = insert_once(db, FloorVote).values(values).on_conflict_do_nothing()
    counted = (await db.execute(insert.returning(FloorVote.question_id))).first() is not None
    return VoteResult(Voted.COUNTED if counted else Voted.ALREADY, session)


class Decided(StrEnum):
    DONE = "done"
    ALREADY = "already"  # decided by another moderator in the meantime
    GONE = "gone"  # no such question in this session


async def _deciding(
    db: AsyncSession, question_id: int, session_id: int | None = None
) -> FloorQuestion | None:
    question = await db.get(FloorQuestion, question_id, with_for_update=True)
    if question is None or (session_id is not None and question.session_id != session_id):
        return None
    return question


async def question_session(db: AsyncSession, question_id: int) -> Session | None:
    """The session a question was asked in: whose moderators may decide on it."""
    question = await db.get(FloorQuestion, question_id)
    return await db.get(Session, question.session_id) if question is not None else None


async def approve(db: AsyncSession, question_id: int, now: datetime) -> Decided:
    question = await _deciding(db, question_id)
    if question is None:
        return Decided.GONE
    if question.status != QuestionStatus.PENDING:
        return Decided.ALREADY
    question.status, question.decided_at = QuestionStatus.APPROVED, now
    return Decided.DONE


async def answered(db: AsyncSession, question_id: int, now: datetime) -> Decided:
    question = await _deciding(db, question_id)
    if question is None:
        return Decided.GONE
    if question.status not in (QuestionStatus.PENDING, QuestionStatus.APPROVED):
        return Decided.ALREADY
    question.status, question.decided_at = QuestionStatus.ANSWERED, now
    return Decided.DONE


async def merge(db: AsyncSession, question_id: int, into_id: int, now: datetime) -> Decided:
    """`question_id` is a duplicate of `into_id` (of the same session): its votes count for
    `into_id` from now on, and so do those of the duplicates merged into it before."""
    question = await _deciding(db, question_id)
    if question is None or question_id == into_id:
        return Decided.GONE
    target = await _deciding(db, into_id, question.session_id)
    if target is None:
        return Decided.GONE
    live = (QuestionStatus.PENDING, QuestionStatus.APPROVED)
    if question.status not in live or target.status not in live:
        return Decided.ALREADY
    question.status, question.decided_at = QuestionStatus.MERGED, now
    question.merged_into_id = target.id
    # Its votes go to the target: a person who voted for both keeps one vote there.
    moved = select(literal(target.id), FloorVote.participant_id, FloorVote.created_at).where(
        FloorVote.question_id == question.id
    )
    columns = ["question_id", "participant_id", "created_at"]
    insert = insert_once(db, FloorVote).from_select(columns, moved)
    await db.execute(insert.on_conflict_do_nothing())
    await db.execute(delete(FloorVote).where(FloorVote.question_id == question.id))
    await db.execute(
        update(FloorQuestion)
        .where(FloorQuestion.merged_into_id == question.id)
        .values(merged_into_id=target.id)
    )
    if target.status == QuestionStatus.PENDING:  # a duplicate worth merging is worth showing
        target.status, target.decided_at = QuestionStatus.APPROVED, now
    return Decided.DONE


async def reject(db: AsyncSession, question_id: int, reason: str, now: datetime) -> Decided:
    """Not taken, with a reason the asker is told in their language (a notice)."""
    question = await _deciding(db, question_id)
    if question is None:
        return Decided.GONE
    if question.status not in (QuestionStatus.PENDING, QuestionStatus.APPROVED):
        return Decided.ALREADY
    question.status, question.decided_at = QuestionStatus.REJECTED, now
    question.reason = reason[:MAX_REASON]
    if question.participant_id is not None:
        session = await db.get_one(Session, question.session_id)
        notice = QuestionRejected(
            session=session.title, question=question.text, reason=question.reason
        )
        await outbox.enqueue(
            db, f"floor-rejected:{question.id}", question.participant_id, notice, now
        )
    return Decided.DONE


@dataclass(frozen=True)
class Entry:
    """One question on a board. `asker` is the name only when they chose to be named; `region`
    and `role` are for moderators' eyes (the room's board leaves them empty)."""

    id: int
    text: str
    status: QuestionStatus
    votes: int
    created_at: datetime
    asker: str | None = None
    region: str | None = None
    role: Role | None = None
    voice: bool = False
    voted: bool = False  # by the person reading the board


@dataclass(frozen=True)
class Board:
    session: Session
    approved: list[Entry]
    pending: list[Entry]  # the moderators' board only

    @property
    def state(self) -> str:
        """A short digest of what the board shows: a moderator's message is edited only when
        it changes."""
        parts = [f"{e.id}:{e.status.value}:{e.votes}" for e in self.pending + self.approved]
        return hashlib.sha256(",".join(parts).encode()).hexdigest()[:32]


def _board_statement() -> Executable:
    """The board's statement, built once (`bindparam`): built on every vote, SQLAlchemy
    spent more time making them and their cache keys than the database running them."""
    session_id = bindparam("session_id", type_=Integer)
    counts = (
        select(FloorVote.question_id.label("target"), func.count().label("n"))
        .join(FloorQuestion, FloorQuestion.id == FloorVote.question_id)
        .where(FloorQuestion.session_id == session_id)
        .group_by(FloorVote.question_id)
        .subquery()
    )
    votes = func.coalesce(counts.c.n, 0)
    questions = (
        select(
            FloorQuestion.id,
            FloorQuestion.text,
            FloorQuestion.status,
            FloorQuestion.created_at,
            FloorQuestion.named,
            FloorQuestion.voice_file.is_not(None),
            votes,
            Participant.name,
            Participant.region,
            Participant.role,
            # Whether the reader voted for it (a merge moves votes to the question they count for).
            exists().where(
                FloorVote.question_id == FloorQuestion.id,
                FloorVote.participant_id == bindparam("reader_id", type_=Integer),
            ),
        )
        .outerjoin(counts, counts.c.target == FloorQuestion.id)
        .outerjoin(Participant, Participant.id == FloorQuestion.participant_id)
        .where(
            FloorQuestion.session_id == session_id,
            FloorQuestion.status.in_(bindparam("statuses", expanding=True)),
        )
        .order_by(votes.desc(), FloorQuestion.created_at, FloorQuestion.id)
    )
    return questions


_BOARD = _board_statement()


async def board(
    db: AsyncSession,
    session: Session,
    *,
    moderator: bool = False,
    reader: Participant | None = None,
) -> Board:
    """The approved questions by votes then age (and, for a moderator, those waiting, oldest
    first), with their counts and whether the reader voted for each, in one query whatever
    their number."""
    statuses = [QuestionStatus.APPROVED] + ([QuestionStatus.PENDING] if moderator else [])
    values = {
        "session_id": session.id,
        "statuses": statuses,
        "reader_id": reader.id if reader is not None else 0,  # 0: nobody's id
    }
    # Columns, not objects: read on every vote.
    rows = (await db.execute(_BOARD, values)).all()
    approved: list[Entry] = []
    pending: list[Entry] = []
    for id_, text, status, created_at, named, voice, count, name, region, role, mine in rows:
        entry = Entry(
            id=id_,
            text=text,
            status=status,
            votes=count,
            created_at=created_at,
            asker=name if named and name else None,
            region=region if moderator else None,
            role=role if moderator else None,
            voice=bool(voice),
            voted=bool(mine),
        )
        (approved if status == QuestionStatus.APPROVED else pending).append(entry)
    pending.sort(key=lambda e: (e.created_at, e.id))
    shows = MODERATOR_SHOWS if moderator else ROOM_SHOWS
    return Board(session, approved[:shows], pending[:shows])


async def voice_note(db: AsyncSession, question_id: int) -> FloorQuestion | None:
    question = await db.get(FloorQuestion, question_id)
    return question if question is not None and question.voice_file else None


async def of_participant(db: AsyncSession, participant_id: int) -> list[FloorQuestion]:
    """A person's own questions (/mydata)."""
    query = select(FloorQuestion).where(FloorQuestion.participant_id == participant_id)
    return list((await db.execute(query.order_by(FloorQuestion.id))).scalars())


async def votes_of(db: AsyncSession, participant_id: int) -> int:
    """How many questions a person voted for (/mydata)."""
    query = select(func.count()).where(FloorVote.participant_id == participant_id)
    return (await db.execute(query)).scalar_one()


async def session_of(db: AsyncSession, event: Event, session_id: int) -> Session | None:
    session = await db.get(Session, session_id)
    return session if session is not None and session.event_id == event.id else None


async def room_text(db: AsyncSession, question_id: int) -> str | None:
    """A question's text as asked, when the room may see it (on the board, or merged into a
    question on it); None for one waiting for a moderator or not taken."""
    question = await db.get(FloorQuestion, question_id)
    shown = (QuestionStatus.APPROVED, QuestionStatus.ANSWERED, QuestionStatus.MERGED)
    return question.text if question is not None and question.status in shown else None


async def read_texts(db: AsyncSession, board: Board) -> dict[int, ReadText]:
    """Each question of the board for the current reader (`bot.translation.reading`):
    translated when it is, else as asked. One short query per question shown (at most
    ROOM_SHOWS), none when translation is off."""
    return {
        entry.id: await read(db, entry.text) if entry.text else ReadText("")
        for entry in board.pending + board.approved
    }
