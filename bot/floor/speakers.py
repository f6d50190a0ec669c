"""The speakers' list of a session (/floor): who asks for the floor, the order in which the
moderator gives it, and the notices to the person called and to the one after them.

The order is one pure function, `order`, of the requests waiting (in arrival order) and of who
has already spoken in the session, under the session's rule (`Rule`, kept in FloorSettings).
The queue the moderator sees and "call the next speaker" both use it, so the screen shows
exactly who will be called. The categories it weighs (constituency, region, gender) are read
from the registry; the moderator's screen shows the first two, nobody else sees any.

Every change of a session's list locks the session's row first (PostgreSQL: SELECT … FOR
UPDATE; SQLite: the write lock taken at BEGIN), so that a person asking twice at once waits
once, and two moderators pressing "Call next" together call two people one after the other,
never the same one twice.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_once
from bot.delivery import outbox
from bot.floor import rooms
from bot.models import (
    Event,
    FloorSettings,
    Participant,
    Role,
    Session,
    SpeakerRequest,
    SpeakerStatus,
    Texts,
)
from bot.notice import ALWAYS, Notice


class Rule(enum.StrEnum):
    """How the moderator wants the speakers' list ordered (FloorSettings.speaker_rule)."""

    ARRIVAL = "arrival"  # first come, first heard
    CONSTITUENCY = "constituency"  # civil society, governments, international organisations
    REGION = "region"  # regions not heard yet first, never the same region twice running
    FIRST_TIME = "first_time"  # those who have not spoken yet before second turns
    GENDER = "gender"  # women and men alternating


DEFAULT_RULE = Rule.ARRIVAL


class Constituency(enum.StrEnum):
    CIVIL_SOCIETY = "civil_society"
    GOVERNMENTS = "governments"
    INTERNATIONAL = "international"


# Roles grouped as the floor counts them; organisers belong to no constituency (they fit
# anywhere, as an unknown category does).
_CONSTITUENCIES = {
    Role.CIVIL_SOCIETY: Constituency.CIVIL_SOCIETY,
    Role.FACILITATOR: Constituency.CIVIL_SOCIETY,
    Role.RAPPORTEUR: Constituency.CIVIL_SOCIETY,
    Role.GOVERNMENT: Constituency.GOVERNMENTS,
    Role.INTERNATIONAL: Constituency.INTERNATIONAL,
}


class Gender(enum.StrEnum):
    """The two categories the gender rule alternates; anyone else (not given, `other`) fits
    anywhere."""

    WOMAN = "woman"
    MAN = "man"


def constituency(role: Role | None) -> Constituency | None:
    return _CONSTITUENCIES.get(role) if role is not None else None


@dataclass(frozen=True)
class Speaker:
    """One request for the floor as the rule sees it: None for a category the registry does
    not hold (such a person fits anywhere: the rule neither holds them back nor moves them
    ahead of those who came first)."""

    request_id: int
    participant_id: int
    constituency: Constituency | None = None
    region: str | None = None
    gender: Gender | None = None

    @classmethod
    def of(cls, request_id: int, person: Participant) -> Speaker:
        region = person.region if person.region and person.region != "unknown" else None
        gender = Gender(person.gender) if person.gender in set(Gender) else None
        return cls(request_id, person.id, constituency(person.role), region, gender)


def order(rule: Rule, waiting: Sequence[Speaker], spoken: Sequence[Speaker]) -> list[Speaker]:
    """Everyone `waiting` (in arrival order) in the order the moderator will call them, given
    those who have `spoken` in the session (in the order they were called), if nobody else
    asks meanwhile. Each place is chosen as if the ones before had just spoken.

    - ARRIVAL: arrival order.
    - FIRST_TIME: those who have not spoken in the session, then the others; arrival order
      within each.
    - CONSTITUENCY, GENDER: the earliest whose category differs from the last speaker's whose
      category is known.
    - REGION: the earliest from a region not heard yet in the session; when none waits, the
      earliest from another region than the last speaker's.
    A category that is None fits anywhere (and the rule looks past that speaker to the last
    known one). In every rule, when nobody fits, the earliest: a list of one constituency, one
    region or one gender is in arrival order.
    """
    if rule == Rule.ARRIVAL:
        return list(waiting)
    if rule == Rule.FIRST_TIME:
        heard = {speaker.participant_id for speaker in spoken}
        first = [w for w in waiting if w.participant_id not in heard]
        return first + [w for w in waiting if w.participant_id in heard]
    category: Callable[[Speaker], Hashable | None] = _CATEGORY[rule]
    return _alternating(waiting, spoken, category, unheard_first=rule == Rule.REGION)


_CATEGORY: dict[Rule, Callable[[Speaker], Hashable | None]] = {
    Rule.CONSTITUENCY: lambda speaker: speaker.constituency,
    Rule.REGION: lambda speaker: speaker.region,
    Rule.GENDER: lambda speaker: speaker.gender,
}


def _alternating(
    waiting: Sequence[Speaker],
    spoken: Sequence[Speaker],
    category: Callable[[Speaker], Hashable | None],
    unheard_first: bool,
) -> list[Speaker]:
    """The rules that alternate categories, place by place. Those of one category are called
    in arrival order, so each place is the earliest among the first waiting of each category
    that fits: a few comparisons a place (the categories are few), not a pass over the list."""
    lines: dict[Hashable | None, deque[int]] = {}
    for number, speaker in enumerate(waiting):
        lines.setdefault(category(speaker), deque()).append(number)
    heard = {c for c in map(category, spoken) if c is not None}
    last = next((c for c in map(category, reversed(spoken)) if c is not None), None)
    result: list[Speaker] = []
    while len(result) < len(waiting):
        firsts = {c: line[0] for c, line in lines.items() if line}
        if unheard_first and any(c is not None and c not in heard for c in firsts):
            fits = [n for c, n in firsts.items() if c is None or c not in heard]
        else:
            fits = [n for c, n in firsts.items() if c is None or c != last]
        chosen = min(fits) if fits else min(firsts.values())
        kind = category(waiting[chosen])
        lines[kind].popleft()
        result.append(waiting[chosen])
        if kind is not None:
            heard.add(kind)
            last = kind
    return result


@dataclass(frozen=True, kw_only=True)
class FloorGiven(Notice):
    """The moderator gave the person the floor."""

    kind: ClassVar[str] = "floor_given"
    session: Texts

    def urgent_from(self) -> datetime | None:
        return ALWAYS  # the person is in the room, waiting for it


@dataclass(frozen=True, kw_only=True)
class FloorNext(Notice):
    """The person comes next on the speakers' list, after the one just called."""

    kind: ClassVar[str] = "floor_next"
    session: Texts

    def urgent_from(self) -> datetime | None:
        return ALWAYS  # the person is in the room, waiting for it


@dataclass(frozen=True)
class Entry:
    """A request for the floor and the person behind it."""

    request: SpeakerRequest
    person: Participant


@dataclass(frozen=True)
class Queue:
    """A session's speakers' list as its moderator sees it: those waiting in the order they
    will be called, and the one who has the floor (the last called). Two queries, whatever
    the length of the list."""

    session: Session
    rule: Rule
    waiting: list[Entry]
    speaking: Entry | None
    spoken: int  # how many times the floor was given in the session

    def place(self, participant_id: int) -> int | None:
        """1 for the next to speak; None when the person is not waiting."""
        for number, entry in enumerate(self.waiting, 1):
            if entry.person.id == participant_id:
                return number
        return None


async def rule_of(db: AsyncSession, session: Session) -> Rule:
    stored = await db.scalar(
        select(FloorSettings.speaker_rule).where(FloorSettings.session_id == session.id)
    )
    return Rule(stored) if stored in set(Rule) else DEFAULT_RULE


async def set_rule(db: AsyncSession, session: Session, rule: Rule) -> None:
    statement = insert_once(db, FloorSettings).values(session_id=session.id, speaker_rule=rule)
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=[FloorSettings.session_id], set_={"speaker_rule": rule.value}
        )
    )


async def queue(db: AsyncSession, session: Session) -> Queue:
    rule = await rule_of(db, session)
    rows = await db.execute(
        select(SpeakerRequest, Participant)
        .join(Participant, SpeakerRequest.participant_id == Participant.id)
        .where(
            SpeakerRequest.session_id == session.id,
            SpeakerRequest.status.in_((SpeakerStatus.WAITING, SpeakerStatus.CALLED)),
        )
        .order_by(SpeakerRequest.created_at, SpeakerRequest.id)
    )
    entries = [Entry(request, person) for request, person in rows]
    waiting = [e for e in entries if e.request.status == SpeakerStatus.WAITING]
    called = sorted(
        (e for e in entries if e.request.status == SpeakerStatus.CALLED),
        key=lambda e: (e.request.called_at or e.request.created_at, e.request.id),
    )
    by_request = {e.request.id: e for e in waiting}
    ordered = order(
        rule,
        [Speaker.of(e.request.id, e.person) for e in waiting],
        [Speaker.of(e.request.id, e.person) for e in called],
    )
    return Queue(
        session,
        rule,
        [by_request[speaker.request_id] for speaker in ordered],
        called[-1] if called else None,
        len(called),
    )


async def _lock(db: AsyncSession, session: Session) -> None:
    await db.execute(select(Session.id).where(Session.id == session.id).with_for_update())


class Asked(enum.StrEnum):
    ADDED = "added"
    ALREADY = "already"  # already waiting in this session
    NOT_ALLOWED = "not_allowed"  # the session is not for them
    CLOSED = "closed"  # the session takes no requests for the floor now


@dataclass(frozen=True)
class Request:
    outcome: Asked
    place: int | None = None  # in the list as it stands now (the rule may move it later)


async def ask(
    db: AsyncSession, session: Session, participant: Participant, now: datetime
) -> Request:
    """Put `participant` on the session's speakers' list, once: asking again while waiting
    says where they stand. One who has spoken may ask again for a second turn."""
    if not rooms.may_take_part(participant, session):
        return Request(Asked.NOT_ALLOWED)
    if not rooms.is_open(session, now):
        return Request(Asked.CLOSED)
    await _lock(db, session)
    waiting = await db.scalar(
        select(SpeakerRequest.id).where(
            SpeakerRequest.session_id == session.id,
            SpeakerRequest.participant_id == participant.id,
            SpeakerRequest.status == SpeakerStatus.WAITING,
        )
    )
    outcome = Asked.ALREADY if waiting is not None else Asked.ADDED
    if waiting is None:
        db.add(
            SpeakerRequest(
                session_id=session.id,
                participant_id=participant.id,
                status=SpeakerStatus.WAITING,
                created_at=now,
            )
        )
        await db.flush()
    return Request(outcome, (await queue(db, session)).place(participant.id))


async def withdraw(
    db: AsyncSession, participant: Participant, session: Session | None = None
) -> list[Session]:
    """Take `participant` off the speakers' list of `session` (None: of every session); the
    sessions they were waiting in. A request called meanwhile stays called."""
    query = (
        select(SpeakerRequest, Session)
        .join(Session, SpeakerRequest.session_id == Session.id)
        .where(
            SpeakerRequest.participant_id == participant.id,
            SpeakerRequest.status == SpeakerStatus.WAITING,
        )
        .order_by(Session.starts_at, Session.id)
    )
    if session is not None:
        query = query.where(SpeakerRequest.session_id == session.id)
    left = []
    for request, its_session in (await db.execute(query)).all():
        # Row by row under the row's own condition: a moderator calling them at this very
        # moment wins, and the request stays called.
        if await _change(db, request, SpeakerStatus.WITHDRAWN):
            left.append(its_session)
    return left


async def _change(
    db: AsyncSession, request: SpeakerRequest, status: SpeakerStatus, at: datetime | None = None
) -> bool:
    """Move a waiting request to `status`, under the condition that it is still waiting:
    False when someone else (a moderator calling, the person withdrawing) moved it first."""
    values: dict[str, object] = {"status": status}
    if at is not None:
        values["called_at"] = at
    changed = await db.execute(
        update(SpeakerRequest)
        .where(SpeakerRequest.id == request.id, SpeakerRequest.status == SpeakerStatus.WAITING)
        .values(values)
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(changed, "rowcount", 0))


class CallOutcome(enum.StrEnum):
    CALLED = "called"
    EMPTY = "empty"  # nobody is waiting
    GONE = "gone"  # the request the moderator saw is no longer waiting (called, withdrawn)


@dataclass(frozen=True)
class Call:
    outcome: CallOutcome
    queue: Queue  # the list after the call
    called: Entry | None = None


async def call_next(
    db: AsyncSession, session: Session, now: datetime, request_id: int | None = None
) -> Call:
    """Give the floor to the first in the list, or to the request `request_id` (the one the
    moderator saw first when they pressed), and tell them and the one after them."""
    await _lock(db, session)
    before = await queue(db, session)
    if request_id is None:
        chosen = before.waiting[0] if before.waiting else None
    else:
        chosen = next((e for e in before.waiting if e.request.id == request_id), None)
    if chosen is None:
        return Call(CallOutcome.GONE if request_id is not None else CallOutcome.EMPTY, before)
    if not await _change(db, chosen.request, SpeakerStatus.CALLED, now):
        return Call(CallOutcome.GONE, await queue(db, session))
    after = await queue(db, session)
    await outbox.enqueue(
        db,
        f"floor-given:{chosen.request.id}",
        chosen.person.id,
        FloorGiven(session=session.title),
        now,
    )
    if after.waiting:
        await outbox.enqueue(
            db,
            f"floor-next:{chosen.request.id}",  # once per call, whoever comes next then
            after.waiting[0].person.id,
            FloorNext(session=session.title),
            now,
        )
    return Call(CallOutcome.CALLED, after, chosen)


async def by_id(db: AsyncSession, event: Event, session_id: int | None) -> Session | None:
    """A session of the event by its id (a button's), or None."""
    if session_id is None:
        return None
    found = await db.get(Session, session_id)
    return found if found is not None and found.event_id == event.id else None


@dataclass(frozen=True)
class Kept:
    """One of a person's requests for the floor, as /mydata lists it."""

    session: Texts
    status: SpeakerStatus
    created_at: datetime


async def kept_for(db: AsyncSession, participant_id: int) -> list[Kept]:
    rows = await db.execute(
        select(Session.title, SpeakerRequest.status, SpeakerRequest.created_at)
        .join(Session, SpeakerRequest.session_id == Session.id)
        .where(SpeakerRequest.participant_id == participant_id)
        .order_by(SpeakerRequest.created_at, SpeakerRequest.id)
    )
    return [Kept(title, status, created_at) for title, status, created_at in rows]


async def forget(db: AsyncSession, people: Sequence[int] | Select[Any]) -> None:
    """/forget: every request for the floor goes (a session's history of who spoke with it)."""
    await db.execute(delete(SpeakerRequest).where(SpeakerRequest.participant_id.in_(people)))
