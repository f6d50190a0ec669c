"""The delivery worker: outcomes kept, failures retried with backoff, the blocked not retried,
the too-late not sent, one chat paced."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

from sqlalchemy import select

from bot.broadcasts import BroadcastMessage
from bot.chat import Reply
from bot.clock import SimulatedClock
from bot.delivery import outbox
from bot.delivery.worker import DeliveryWorker, Unreachable
from bot.dispatcher import Dispatcher
from bot.models import ChatIdentity, Event, OutboxMessage, OutboxStatus, Role
from handlers import build_notices
from tests.support.chat import ChatUser, link_to_new_participant


class Flaky:
    """Fails the first `failures` sends with a server error, then accepts."""

    def __init__(self, failures: int = 0, blocked: bool = False) -> None:
        self.failures = failures
        self.blocked = blocked
        self.sent: list[tuple[str, str, float]] = []
        self.edited: list[tuple[str, str, str]] = []

    async def deliver(self, external_id: str, reply: Reply) -> None:
        if self.blocked:
            raise Unreachable("Forbidden: bot was blocked by the user")
        if self.failures:
            self.failures -= 1
            raise ConnectionError("502 Bad Gateway")
        self.sent.append((external_id, reply.text, time.monotonic()))

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        self.edited.append((chat_id, message_id, reply.text))


async def _queue(
    dispatcher: Dispatcher,
    event: Event,
    clock: SimulatedClock,
    count: int = 1,
    expires_in: timedelta | None = None,
) -> int:
    user = ChatUser(dispatcher, external_id="ana")
    person = await link_to_new_participant(user, Role.CIVIL_SOCIETY, event.id, name="Ana")
    async with dispatcher.sessions() as db:
        deadline = clock.now() + expires_in if expires_in else None
        messages = [
            outbox.Message(
                f"test:{n}",
                person,
                BroadcastMessage(texts={"en": f"Hello {n}"}),
                expires_at=deadline,
            )
            for n in range(count)
        ]
        await outbox.enqueue_many(db, messages, clock.now())
        await db.commit()
    return person


def _worker(dispatcher: Dispatcher, deliverer: Flaky, interval: float = 1.0) -> DeliveryWorker:
    return DeliveryWorker(
        dispatcher.sessions,
        dispatcher.clock,
        build_notices(),
        {"test": deliverer},
        per_chat_interval=interval,
    )


async def _rows(dispatcher: Dispatcher) -> list[OutboxMessage]:
    async with dispatcher.sessions() as db:
        return list((await db.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def test_a_failed_send_is_retried_later_and_then_delivered(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    await _queue(dispatcher, demo_event, clock)
    flaky = Flaky(failures=1)
    worker = _worker(dispatcher, flaky)
    assert await worker.deliver_due() == 1
    [row] = await _rows(dispatcher)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert "502 Bad Gateway" in (row.error or "")
    assert timedelta(seconds=3) < row.not_before - clock.now() < timedelta(seconds=7)
    assert await worker.deliver_due() == 0  # not before its time
    clock.advance(timedelta(seconds=8))
    assert await worker.deliver_due() == 1
    [row] = await _rows(dispatcher)
    assert row.status == OutboxStatus.DELIVERED and row.platform == "test"
    assert flaky.sent[0][1] == "📢 Hello 0"


async def test_a_blocked_account_is_unreachable_and_not_retried(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    await _queue(dispatcher, demo_event, clock, count=2)
    worker = _worker(dispatcher, Flaky(blocked=True))
    await worker.deliver_due()
    rows = await _rows(dispatcher)
    assert rows[0].status == OutboxStatus.UNREACHABLE and "blocked" in (rows[0].error or "")
    async with dispatcher.sessions() as db:
        account = (await db.execute(select(ChatIdentity))).scalar_one()
        assert account.reachable is False
    clock.advance(timedelta(hours=1))
    assert await worker.deliver_due() == 0  # nobody left to reach: the rest stays unclaimed


async def test_a_message_past_its_deadline_is_not_sent(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    await _queue(dispatcher, demo_event, clock, expires_in=timedelta(minutes=1))
    flaky = Flaky(failures=10)
    worker = _worker(dispatcher, flaky)
    for _ in range(4):
        await worker.deliver_due()
        clock.advance(timedelta(seconds=40))
    [row] = await _rows(dispatcher)
    assert row.status == OutboxStatus.FAILED
    assert flaky.sent == []


async def test_messages_to_one_chat_are_spaced(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    await _queue(dispatcher, demo_event, clock, count=3)
    flaky = Flaky()
    await _worker(dispatcher, flaky, interval=0.3).deliver_due()
    times = [at for _chat, _text, at in flaky.sent]
    assert len(times) == 3
    assert all(later - earlier >= 0.29 for earlier, later in itertools.pairwise(times))


async def test_a_message_claimed_again_after_its_lease_is_sent_once(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    await _queue(dispatcher, demo_event, clock)
    deliverer = Flaky()
    slow, quick = _worker(dispatcher, deliverer), _worker(dispatcher, deliverer)
    [claimed] = await slow.claim()  # a worker stalled for longer than the lease…
    clock.advance(outbox.LEASE + timedelta(seconds=1))
    assert await quick.deliver_due() == 1  # …so another claims the message and sends it
    await slow.deliver_one(claimed)  # the stalled one wakes up
    assert len(deliverer.sent) == 1
    assert [row.status for row in await _rows(dispatcher)] == [OutboxStatus.DELIVERED]


async def test_a_process_that_lost_its_role_gives_its_claimed_messages_back_at_once(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    await _queue(dispatcher, demo_event, clock)
    deliverer = Flaky()
    losing, taking = _worker(dispatcher, deliverer), _worker(dispatcher, deliverer)
    [claimed] = await losing.claim()
    losing.deliverers = {}  # the platform's role went to another process (or this one stops)
    await losing.deliver_one(claimed)
    [row] = await _rows(dispatcher)
    assert row.status == OutboxStatus.PENDING and row.attempts == 0
    assert await taking.deliver_due() == 1  # at once, not after the lease
    assert len(deliverer.sent) == 1
