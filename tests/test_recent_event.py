"""Every message reads the meeting's event from memory when it was read less than a couple of
seconds ago (one query fewer per message): a programme loaded in this process is seen by the
next message, one loaded by another process within those seconds."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import update

from bot.chat import Incoming, Sender
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event
from bot.programme import meeting
from bot.programme.load import load_programme
from tests.support.demo import demo_spec


class Seconds:
    """The monotonic clock `meeting` reads, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def seconds(monkeypatch: pytest.MonkeyPatch) -> Seconds:
    clock = Seconds()
    monkeypatch.setattr(meeting, "monotonic", clock)
    return clock


async def _help(dispatcher: Dispatcher, number: int) -> str:
    """/help from a newcomer whose app tells no language: answered in the event's language."""
    sender = Sender(str(900 + number), f"New {number}", None)
    replies = await dispatcher.handle(
        Incoming("telegram", sender.external_id, sender, command="help")
    )
    return replies[0].text


async def test_an_event_changed_by_another_process_is_seen_within_a_couple_of_seconds(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, seconds: Seconds
) -> None:
    english = await _help(dispatcher, 1)
    async with sessions() as db:  # as another process would: no ORM object of this one
        await db.execute(
            update(Event).where(Event.id == demo_event.id).values(default_language="fr")
        )
        await db.commit()
    assert await _help(dispatcher, 2) == english  # the event read a moment ago
    seconds.now += meeting.RECENT + 0.1
    french = await _help(dispatcher, 3)
    assert french != english
    assert await _help(dispatcher, 4) == french


async def test_a_programme_loaded_in_this_process_is_seen_by_the_next_message(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, seconds: Seconds
) -> None:
    english = await _help(dispatcher, 1)
    async with sessions() as db:
        spec = dataclasses.replace(demo_spec(), default_language="es")
        await load_programme(db, spec, dispatcher.clock.now())
        await db.commit()
    spanish = await _help(dispatcher, 2)  # the clock has not moved
    assert spanish != english
    assert spanish == await _help(dispatcher, 3)
