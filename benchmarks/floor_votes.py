"""A plenary voting at scale: 5,000 participants press 20,000 👍 buttons on the demo's opening
plenary, through the real Dispatcher (each press its own transaction: the account read, the
vote written once, the room's board answered), many at once, on PostgreSQL.

Prints the votes a second, that none was lost and none counted twice (the votes in the
database against the distinct (person, question) pairs pressed), and how long the moderator's
live board took to show the final counts after the last press (its routine passes every second,
as in `coordbot run`). `python -m benchmarks.floor_votes`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import time
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select

from bot.app.bookkeeping import SECONDS, FloorBoards
from bot.chat import Incoming, Reply, Sender
from bot.clock import SimulatedClock
from bot.db import SessionFactory, create_engine, session_factory, upgrade
from bot.dispatcher import Dispatcher
from bot.floor import questions, rooms
from bot.models import FloorVote, Participant, Role
from bot.programme.load import load_programme
from bot.programme.meeting import current_event
from handlers import build_router
from handlers.floor_questions import ModerateButton, VoteButton
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_unreachable_reason,
)
from tests.support.demo import MEETING_ZONE, demo_spec
from tests.support.population import add_telegram_participants

AT = datetime(2017, 12, 2, 8, 40, tzinfo=MEETING_ZONE)  # d1-opening is on
FIRST_CHAT = 1_000_000  # add_telegram_participants: chat id = this + participant id
MODERATOR_CHAT = "moderator"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Board:
    """The moderator's chat: every edit of the live board, with when it came."""

    def __init__(self) -> None:
        self.edits: list[tuple[float, str]] = []
        self.edited = asyncio.Event()

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        self.edits.append((time.monotonic(), reply.text))
        self.edited.set()


async def prepare(sessions: SessionFactory, people: int, asked: int) -> tuple[list[int], list[int]]:
    """The demo programme, `people` civil-society participants with Telegram accounts (one
    of them an organiser, the moderator) and `asked` approved questions in d1-opening."""
    async with sessions() as db:
        await load_programme(db, demo_spec(), AT)
        event = await current_event(db)
        assert event is not None
        ids = await add_telegram_participants(db, event.id, people, first_chat_id=FIRST_CHAT)
        session = await rooms.by_key(db, event, "d1-opening")
        assert session is not None
        asker = await db.get_one(Participant, ids[0])
        question_ids = []
        for n in range(asked):
            question = await questions.ask(db, session, asker, f"Question {n}?", "en", AT)
            await questions.approve(db, question.id, AT)
            question_ids.append(question.id)
        moderator = await db.get_one(Participant, ids[-1])
        moderator.role = Role.ORGANISER
        await db.commit()
        return ids, question_ids


def incoming(chat: str, data: str, message_id: str = "board") -> Incoming:
    return Incoming("telegram", chat, Sender(chat, None, "en"), button=data, message_id=message_id)


async def run(url: str, people: int, presses: int, asked: int, concurrency: int) -> None:
    engine = create_engine(url, pool_size=concurrency + 4, max_overflow=0)
    sessions = session_factory(engine)
    clock = SimulatedClock(AT)
    ids, question_ids = await prepare(sessions, people, asked)
    dispatcher = Dispatcher(build_router(), sessions, clock)
    moderator_chat = str(FIRST_CHAT + ids[-1])
    async with sessions() as db:
        event = await current_event(db)
        assert event is not None
        session = await rooms.by_key(db, event, "d1-opening")
        assert session is not None
    # The moderator presses 🔄 on their board: from then on it is kept up to date.
    await dispatcher.handle(incoming(moderator_chat, ModerateButton(session.id).pack()))
    board = Board()
    boards = FloorBoards(sessions, clock, {"telegram": board})
    await boards.show()  # the first edit: the board as it is before the votes

    # Every voter but the moderator presses 👍 four times on average, a tenth of the presses
    # again on a question they pressed already (a double tap, a second look).
    rng = random.Random(20)
    voters = ids[:-1]
    pairs: list[tuple[int, int]] = []
    for _ in range(presses):
        if pairs and rng.random() < 0.1:
            pairs.append(rng.choice(pairs))
        else:
            weights = [1 / (n + 1) for n in range(len(question_ids))]
            pairs.append((rng.choice(voters), rng.choices(question_ids, weights)[0]))
    expected = len(set(pairs))
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    for pair in pairs:
        queue.put_nowait(pair)
    latencies: list[float] = []

    async def voter() -> None:
        while not queue.empty():
            person, question = queue.get_nowait()
            started = time.monotonic()
            await dispatcher.handle(
                incoming(str(FIRST_CHAT + person), VoteButton(question).pack(), f"m{person}")
            )
            latencies.append(time.monotonic() - started)

    stopping = asyncio.Event()

    async def live_board() -> None:  # as `bookkeeping.show_progress`, every second
        while not stopping.is_set():
            await boards.show()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), SECONDS)

    watcher = asyncio.create_task(live_board())
    start = time.monotonic()
    await asyncio.gather(*(voter() for _ in range(concurrency)))
    last_press = time.monotonic()
    elapsed = last_press - start

    async with sessions() as db:
        stored = (await db.execute(select(func.count()).select_from(FloorVote))).scalar_one()
        final = await questions.board(db, session, moderator=True)
    per_question = Counter(question for _person, question in set(pairs))
    board_right = all(entry.votes == per_question[entry.id] for entry in final.approved)
    wanted = [f"#{entry.id} 👍 {entry.votes} " for entry in final.approved]

    def showing_final() -> float | None:
        """When the board first showed every final count (None: not yet)."""
        return next((when for when, text in board.edits if all(w in text for w in wanted)), None)

    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            while showing_final() is None:
                board.edited.clear()
                await board.edited.wait()
    shown_at = showing_final()
    stopping.set()
    await watcher
    gaps = [b - a for (a, _), (b, _) in zip(board.edits, board.edits[1:], strict=False)]
    print(
        f"{presses} presses by {len(voters)} voters on {asked} questions, {concurrency} at a time"
    )
    print(f"  {presses / elapsed:.0f} presses/s ({elapsed:.1f} s in all)")
    print(
        f"  press → answer: p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
    )
    print(
        f"  votes stored {stored}, distinct (person, question) pairs pressed {expected}: "
        f"lost {max(0, expected - stored)}, twice {max(0, stored - expected)}; the board's "
        f"{len(final.approved)} counts shown match the presses: {'yes' if board_right else 'NO'}"
    )
    if shown_at is not None:
        print(
            f"  the moderator's board showed the final counts {shown_at - last_press:.2f} s "
            "after the last press"
        )
    else:
        print("  the moderator's board did NOT show the final counts within 10 s")
    if gaps:
        print(
            f"  board edits during the run: {len(board.edits)}, every "
            f"{statistics.median(gaps):.2f} s (median), {max(gaps):.2f} s at most"
        )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--presses", type=int, default=20000)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    reason = postgres_unreachable_reason()
    if reason:
        print(f"skipped: {reason}")
        return
    url = create_postgres_database()
    try:
        asyncio.run(upgrade(url))
        asyncio.run(run(url, args.people, args.presses, args.questions, args.concurrency))
    finally:
        drop_postgres_database(url)


if __name__ == "__main__":
    main()
