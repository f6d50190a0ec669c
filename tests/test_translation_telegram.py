"""A group post translated on Telegram (fake Bot API and fake LibreTranslate, both over real
HTTP): the French member's message is in French with the line and the button under it, and
pressing the button shows the original."""

from __future__ import annotations

from collections.abc import Callable

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event, Role
from bot.platforms.telegram import TelegramAdapter
from bot.platforms.telegram_settings import PLATFORM, TelegramSettings
from handlers import build_router
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.fake_telegram import TOKEN, Call, FakeTelegram, button_press, user
from tests.support.fake_translation import FakeLibreTranslate, translator_for
from tests.support.outbox import deliver_all

POST = "Hola a todos: la reunión del grupo es mañana a las 10:30."


def _to(telegram_id: int) -> Callable[[Call], bool]:
    def matches(call: Call) -> bool:
        return call.method == "sendMessage" and call.params["chat_id"] == str(telegram_id)

    return matches


async def spanish_post_to(
    dispatcher: Dispatcher, event: Event, reader: ChatUser, name: str
) -> None:
    """Luis, who writes Spanish, posts POST to the Firewalls group, of which `reader` (a
    French-reading participant called `name`, on the platform of its chat) is a member."""
    luis = await registered(dispatcher, event.id, "Luis", language="es")
    await link_to_new_participant(reader, Role.CIVIL_SOCIETY, event.id, name=name, language="fr")
    for member in (luis, reader):
        await member.send("/subscribe firewalls")
    await luis.send(f"/post firewalls {POST}")


async def test_a_french_member_reads_a_spanish_post_in_french_on_telegram(
    sessions: SessionFactory,
    clock: SimulatedClock,
    demo_event: Event,
    fake_telegram: FakeTelegram,
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    async with translator_for(fake_libretranslate) as translator:
        dispatcher = Dispatcher(
            build_router(), sessions, clock, translation_provider=translator.name
        )
        fatou = ChatUser(dispatcher, external_id="5001", platform=PLATFORM)
        await spanish_post_to(dispatcher, demo_event, fatou, "Fatou")

        adapter = TelegramAdapter(
            TelegramSettings(token=TOKEN, api_url=fake_telegram.url), dispatcher
        )
        await adapter.start()
        try:
            await deliver_all(dispatcher, adapter, PLATFORM, translator)
            [sent] = await fake_telegram.messages(_to(5001), 1)
            text = str(sent.params["text"])
            assert "[fr] Hola a todos: la reunión del grupo es mañana a las 10:30." in text
            assert "Traduction automatique de l’espagnol · Voir l’original" in text
            [[button]] = sent.params["reply_markup"]["inline_keyboard"]
            assert button["text"] == "Voir l’original"

            await fake_telegram.push(
                button_press(button["callback_data"], sender=user(5001, language_code="fr"))
            )
            shown = await fake_telegram.messages(_to(5001), 2)
            assert shown[1].params["text"] == POST
        finally:
            await adapter.stop()
