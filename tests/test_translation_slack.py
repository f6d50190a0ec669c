"""A group post translated on Slack (slack-bolt's real HTTP stack against the fake Slack Web
API, and the fake LibreTranslate, all over real HTTP): the French member's direct message is
in French with the line and the "Voir l’original" button under it, and pressing the button,
signed as Slack signs it, shows the original."""

from __future__ import annotations

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event
from bot.platforms.slack_settings import PLATFORM
from handlers import build_router
from tests.support.chat import ChatUser
from tests.support.fake_slack import FakeSlack, serving_slack
from tests.support.fake_translation import FakeLibreTranslate, translator_for
from tests.support.outbox import deliver_all
from tests.support.slack_requests import block_action_body
from tests.test_slack import signed_post, texts_to
from tests.test_translation_telegram import POST, spanish_post_to


async def test_a_french_member_reads_a_spanish_post_in_french_on_slack(
    sessions: SessionFactory,
    clock: SimulatedClock,
    demo_event: Event,
    fake_slack: FakeSlack,
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    async with translator_for(fake_libretranslate) as translator:
        dispatcher = Dispatcher(
            build_router(), sessions, clock, translation_provider=translator.name
        )
        amadou = ChatUser(dispatcher, external_id="U456", platform=PLATFORM)
        await spanish_post_to(dispatcher, demo_event, amadou, "Amadou")

        fake_slack.add_user("U456", "Amadou Diallo", locale="fr-FR")
        async with serving_slack(fake_slack, dispatcher) as adapter:
            await deliver_all(dispatcher, adapter, PLATFORM, translator)
            [sent] = await fake_slack.wait_for("chat.postMessage")
            text = str(sent.params["text"])
            assert f"[fr] {POST}" in text
            assert "Traduction automatique de l’espagnol · Voir l’original" in text
            [button] = [
                element
                for block in sent.params["blocks"]
                if block["type"] == "actions"
                for element in block["elements"]
            ]
            assert button["text"]["text"] == "Voir l’original"

            press = block_action_body(
                "choice-0-0", button["value"], user_id="U456", channel_id=sent.params["channel"]
            )
            assert await signed_post(adapter, press) == 200
            await fake_slack.wait_for("chat.postMessage", 2)
            assert texts_to(fake_slack, sent.params["channel"])[-1] == POST
