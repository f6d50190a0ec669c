"""What is not open to the reader cannot be probed by its name or number: a round of Act tables
for civil society only (to a government account or a guest), a survey not opened yet. It is
answered exactly as one that does not exist."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.dispatcher import Dispatcher
from bot.models import Event, Role, Survey
from tests.support.chat import ChatUser, registered
from tests.test_survey import load_demo_survey

HIDDEN = "d1-groups-1"  # civil society only; Act 1 meets there and in d2-tables
MISSING = "d9-groups-9"
NO_BUTTON = "This button no longer works. Send /help to see what I can do."
PROBES = [
    "/table 1 {round}",
    "/table 1 {round} roster",
    "/table drivers {round} close",
    "/table 6 {round}",
    "/tables {round}",
    "/join 1 {round}",
    "/leave {round}",
]


async def _answer(user: ChatUser, text: str, name: str) -> tuple[str, list[tuple[str, str]]]:
    reply = await user.send(text.format(round=name))
    choices = [(choice.label, choice.data) for choice in user.choices]
    return reply.replace(name, "ROUND"), choices


@pytest.mark.parametrize("role", [Role.GOVERNMENT, Role.INTERNATIONAL, None])
async def test_a_hidden_round_is_answered_as_one_that_does_not_exist(
    dispatcher: Dispatcher, demo_event: Event, role: Role | None
) -> None:
    if role is None:
        user = ChatUser(dispatcher, external_id="guest")
    else:
        user = await registered(dispatcher, demo_event.id, "Minister", role)
    for probe in PROBES:
        hidden = await _answer(user, probe, HIDDEN)
        missing = await _answer(user, probe, MISSING)
        assert hidden == missing, probe
    # Act 1 meets in one round they may see: no hint that it meets in another one too
    assert await user.send("/table 1") == await user.send("/table 1 d2-tables")
    assert HIDDEN not in await user.send("/table 1")


async def test_organisers_still_reach_every_round(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    organiser = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    assert "Drivers of human mobility" in await organiser.send(f"/table 1 {HIDDEN}")
    assert "several rounds" in await organiser.send("/table 1")


async def test_a_survey_not_open_yet_is_answered_as_one_that_does_not_exist(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    await load_demo_survey(dispatcher, demo_event)  # loaded, not opened
    async with dispatcher.sessions() as db:
        draft = await db.scalar(select(Survey.id).where(Survey.event_id == demo_event.id))
    assert draft is not None
    delegate = await registered(dispatcher, demo_event.id, "Amina")
    for action in ("go", "b", "a"):
        seen = await delegate.press_unseen(f"survey:{action}:{draft}:0:1", message_id="m1")
        unknown = await delegate.press_unseen(
            f"survey:{action}:{draft + 1000}:0:1", message_id="m1"
        )
        assert seen == unknown == NO_BUTTON
