"""A group post to 10,000 members in three languages (a third each English, French, Spanish),
translated by a fake LibreTranslate over real HTTP that takes 0.3 s per request, on SQLite and
on PostgreSQL (when reachable):

  (a) the post with no provider configured: when the first and the last member get it;
  (b) the same post with the provider: the detect and translate calls made, and the delay it
      adds to the first and the last delivery;
  (c) the provider down (every call fails): the delay added, against `TRANSLATE_DEADLINE`.

All in real time, in one process: the real `DeliveryWorker.run` and the real scheduler with its
routine (the translation queue among it) every second, as `coordbot run` has them, with the
translator `coordbot run` builds (production retries and circuit). The deliverer only records
when each message arrives: no platform rate limit, so that what is measured is translation,
not Telegram's 30 messages a second. `make bench` runs it. Target: a translated post no more
than a few seconds later than an untranslated one, and (c) within the deadline (10 s).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot import groups
from bot.app.runner import delivery_worker, scheduler
from bot.chat import Reply
from bot.clock import SystemClock
from bot.db import SessionFactory, create_engine, session_factory, upgrade
from bot.models import (
    Event,
    Participant,
    ReferenceGroup,
    Role,
)
from bot.paths import EVENTS
from bot.programme.check import check_file
from bot.programme.load import load_programme
from bot.translation.provider import Translator
from bot.translation.reading import DEFAULT_DEADLINE, Translating
from bot.translation.resilient import Resilience
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_unreachable_reason,
)
from tests.support.fake_translation import FakeLibreTranslate, translator_for
from tests.support.population import add_telegram_participants, in_three_languages, join_group

DELAY = 0.3  # seconds the fake LibreTranslate takes per request
POST = "Hola a todos: la reunión del grupo es mañana a las 10:30, https://example.org/agenda"
PLATFORM = "telegram"


@dataclass
class Arrivals:
    """A deliverer that records when each chat got its message (no rate limit), and says when
    everyone has."""

    expected: int
    text: str  # the post, as written
    at: dict[str, float] = field(default_factory=dict)
    translated: int = 0
    noted: int = 0  # delivered as written with the note "translation not available"
    first_translated: float | None = None
    first_noted: float | None = None
    everyone: asyncio.Event = field(default_factory=asyncio.Event)

    async def deliver(self, external_id: str, reply: Reply) -> None:
        self.at.setdefault(external_id, time.monotonic())
        if "[en] " in reply.text or "[fr] " in reply.text:
            self.translated += 1
            if self.first_translated is None:
                self.first_translated = time.monotonic()
        # As written, followed by the one-line note "(Automatic translation is not available…)"
        as_written = reply.text.rsplit(self.text, 1)
        if len(as_written) == 2 and "(" in as_written[1]:
            self.noted += 1
            if self.first_noted is None:
                self.first_noted = time.monotonic()
        if len(self.at) >= self.expected:
            self.everyone.set()

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        pass


@dataclass(frozen=True)
class Outcome:
    post: float  # seconds /post took to queue the rows (and request the translations)
    first: float  # seconds from the post's commit to the first delivery
    last: float
    first_translated: float | None  # to the first reader in another language than Spanish
    first_noted: float | None  # to the first reader shown the original with the note
    delivered: int
    translated: int
    noted: int
    detect_calls: int
    translate_calls: int


async def populate(sessions: SessionFactory, members: int) -> tuple[int, int]:
    """The demo programme, `members` readers (a third each en/fr/es) in one group, and a
    Spanish author in it; returns (author id, group id)."""
    spec, problems = check_file(EVENTS / "puerto-vallarta-2017.yaml")
    assert spec is not None, problems
    now = datetime.now(UTC)
    async with sessions() as db:
        await load_programme(db, spec, now)
        event = (await db.execute(select(Event))).scalar_one()
        # The author first, with no chat account: their own post is not sent to them.
        author = Participant(
            event_id=event.id, name="Luis", role=Role.GOVERNMENT, language="es", created_at=now
        )
        db.add(author)
        await db.flush()
        readers = await add_telegram_participants(db, event.id, members)
        await in_three_languages(db, readers)
        await join_group(db, event.id, "firewalls", [author.id, *readers], now)
        group = (
            await db.execute(select(ReferenceGroup).where(ReferenceGroup.key == "firewalls"))
        ).scalar_one()
        await db.commit()
        return author.id, group.id


async def post_and_deliver(
    sessions: SessionFactory,
    author_id: int,
    group_id: int,
    members: int,
    text: str,
    translator: Translator | None,
    server: FakeLibreTranslate | None,
) -> Outcome:
    """Post `text` as `coordbot run` would, with the worker and the scheduler running, and wait
    until every member has it."""
    clock = SystemClock()
    arrivals = Arrivals(members, text)
    deliverers: Mapping[str, Arrivals] = {PLATFORM: arrivals}
    provider = translator.name if translator is not None else None
    translating = Translating(provider, DEFAULT_DEADLINE) if provider is not None else None
    worker = delivery_worker(sessions, clock, deliverers, translating)
    planner = scheduler(sessions, clock, deliverers, translator=translator)
    stopping = asyncio.Event()
    await planner.start()
    running = asyncio.create_task(worker.run(stopping))
    detects_before = len(server.of("detect")) if server else 0
    translates_before = len(server.of("translate")) if server else 0
    try:
        started = time.monotonic()
        async with sessions() as db:
            author = await db.get_one(Participant, author_id)
            group = await db.get_one(ReferenceGroup, group_id)
            result = await groups.post(db, author, group, text, clock.now(), provider)
            await db.commit()
        posted = time.monotonic()
        assert result.outcome == groups.PostOutcome.SENT, result
        await asyncio.wait_for(arrivals.everyone.wait(), timeout=240)
    finally:
        stopping.set()
        await running
        planner.stop()
        await planner.stopped()
    times = sorted(arrivals.at.values())
    return Outcome(
        post=posted - started,
        first=times[0] - posted,
        last=times[-1] - posted,
        first_translated=(
            arrivals.first_translated - posted if arrivals.first_translated is not None else None
        ),
        first_noted=arrivals.first_noted - posted if arrivals.first_noted is not None else None,
        delivered=len(times),
        translated=arrivals.translated,
        noted=arrivals.noted,
        detect_calls=(len(server.of("detect")) - detects_before) if server else 0,
        translate_calls=(len(server.of("translate")) - translates_before) if server else 0,
    )


async def bench(database: str, url: str, members: int) -> list[tuple[str, Outcome]]:
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        author_id, group_id = await populate(sessions, members)
        server = FakeLibreTranslate(delay=DELAY)
        await server.start()
        try:
            results = [
                (
                    "no provider",
                    await post_and_deliver(
                        sessions, author_id, group_id, members, f"{POST} (1)", None, None
                    ),
                )
            ]
            async with translator_for(server, Resilience()) as translator:
                results.append(
                    (
                        f"LibreTranslate, {DELAY} s a request",
                        await post_and_deliver(
                            sessions,
                            author_id,
                            group_id,
                            members,
                            f"{POST} (2)",
                            translator,
                            server,
                        ),
                    )
                )
            server.fail_next(1_000_000, 503)
            async with translator_for(server, Resilience()) as translator:
                results.append(
                    (
                        "LibreTranslate down (503)",
                        await post_and_deliver(
                            sessions,
                            author_id,
                            group_id,
                            members,
                            f"{POST} (3)",
                            translator,
                            server,
                        ),
                    )
                )
        finally:
            await server.stop()
    finally:
        await engine.dispose()
    print_table(database, members, results)
    return results


def print_table(database: str, members: int, results: list[tuple[str, Outcome]]) -> None:
    """Seconds from the post's commit; "+" columns: added to the same post with no provider
    ("1st other": the first reader in English or French, against the first reader at all)."""
    base = results[0][1]
    print(f"\n{database}: a Spanish group post to {members:,} members (en/fr/es a third each)")
    print(
        f"{'provider':<32} {'post':>6} {'detect':>6} {'transl.':>7} {'first':>7} "
        f"{'1st other':>9} {'last':>7} {'+first':>7} {'+other':>7} {'+last':>7} "
        f"{'translated':>10} {'noted':>6}"
    )
    for name, outcome in results:
        other = outcome.first_translated
        print(
            f"{name:<32} {outcome.post:>5.2f}s "
            f"{outcome.detect_calls:>6} {outcome.translate_calls:>7} "
            f"{outcome.first:>6.2f}s {(f'{other:.2f}s' if other else '-'):>9} "
            f"{outcome.last:>6.2f}s {outcome.first - base.first:>+6.2f}s "
            f"{(f'{other - base.first:+.2f}s' if other else '-'):>7} "
            f"{outcome.last - base.last:>+6.2f}s {outcome.translated:>10,} {outcome.noted:>6,}"
        )
    # Down, a message waits for nothing but the failure: the first one shown with the note,
    # against the first with no provider, is what the deadline bounds (the last moves with the
    # machine's load from one run to the next).
    down = results[-1][1]
    deadline = DEFAULT_DEADLINE.total_seconds()
    added = (down.first_noted if down.first_noted is not None else down.last) - base.first
    verdict = "within" if added <= deadline else "BEYOND"
    print(
        f"provider down: the first reader shown the note got it {added:+.2f} s after the first "
        f"with no provider, {verdict} the {deadline:.0f} s deadline"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    options = parser.parse_args()
    if options.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            await bench("SQLite", url, options.members)
    if options.only in (None, "postgresql"):
        reason = postgres_unreachable_reason()
        if reason:
            print(f"PostgreSQL skipped: {reason}")
            return
        url = create_postgres_database()
        try:
            await bench("PostgreSQL", url, options.members)
        finally:
            drop_postgres_database(url)


if __name__ == "__main__":
    asyncio.run(main())
