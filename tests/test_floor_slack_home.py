"""Slack's App Home shows a moderator the live question board of the session they moderate,
over slack-bolt's real HTTP stack against the fake Slack Web API: published when they open
it, and published again when a question comes or a vote changes the counts."""

from __future__ import annotations

from typing import Any

from bot.dispatcher import Dispatcher
from bot.models import Event, Role
from bot.platforms.slack import SlackAdapter
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.fake_slack import FakeSlack
from tests.support.outbox import deliver_all
from tests.support.slack_requests import app_home_opened_event, event_body
from tests.test_slack import signed_post


def _home_text(call: Any) -> str:
    view = call.params["view"]
    assert call.params["user_id"] == "U123" and view["type"] == "home"
    return " ".join(block["text"]["text"] for block in view["blocks"] if "text" in block)


async def _open_home_after_a_question(
    fake_slack: FakeSlack, slack: SlackAdapter, dispatcher: Dispatcher, event: Event, role: Role
) -> tuple[ChatUser, str]:
    """Lucía (Slack U123, Spanish, with `role`) opens her App Home after Ana asked a question
    in d1-opening (the `clock` fixture says 08:10 on Day 1: it takes questions). Returns Ana
    and what the published Home tab says."""
    lucia = ChatUser(dispatcher, external_id="U123", platform="slack")
    await link_to_new_participant(lucia, role, event.id, language="es")
    ana = await registered(dispatcher, event.id, "Ana", language="fr")
    await ana.send("/ask Qui finance les retours ?")
    await signed_post(slack, event_body(app_home_opened_event("U123"), event_id="Ev0101"))
    [opened] = await fake_slack.wait_for("views.publish")
    return ana, _home_text(opened)


async def test_the_app_home_shows_a_moderator_the_live_question_board(
    fake_slack: FakeSlack, slack: SlackAdapter, dispatcher: Dispatcher, demo_event: Event
) -> None:
    ana, home = await _open_home_after_a_question(
        fake_slack, slack, dispatcher, demo_event, Role.ORGANISER
    )
    assert "Moderación" in home and "Qui finance les retours" in home
    assert "Ana" not in home  # anonymous: the moderator sees categories, not the name

    # Approved by another moderator and voted for: the App Home follows, not opened again.
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    await olga.send("/questions")
    await olga.press("✅")
    await deliver_all(dispatcher, slack, platform="slack")
    await ana.send("/questions")
    await ana.press_data(next(c.data for c in ana.choices if c.data.startswith("fq:v")))
    await deliver_all(dispatcher, slack, platform="slack")
    published = fake_slack.of("views.publish")
    assert "👍 1" in _home_text(published[-1])

    count = len(published)
    await deliver_all(dispatcher, slack, platform="slack")  # nothing changed: nothing published
    assert len(fake_slack.of("views.publish")) == count


async def test_the_app_home_of_someone_who_moderates_nothing_has_no_board(
    fake_slack: FakeSlack, slack: SlackAdapter, dispatcher: Dispatcher, demo_event: Event
) -> None:
    _ana, home = await _open_home_after_a_question(
        fake_slack, slack, dispatcher, demo_event, Role.CIVIL_SOCIETY
    )
    assert "Moderación" not in home and "Qui finance" not in home
