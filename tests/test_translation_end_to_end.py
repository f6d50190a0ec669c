"""A group post translated over real HTTP, by the translator `coordbot run` builds, against fake
LibreTranslate and DeepL servers as strict as the real ones: each reader gets it in their
language, the service is asked once per language, and when it is down everyone still gets the
post, as written, with a note."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event
from handlers import build_router
from tests.support.chat import ChatUser, registered
from tests.support.fake_translation import FakeDeepL, FakeLibreTranslate, translator_for
from tests.support.outbox import Inboxes, deliver_all

POST = "Hola a todos: la reunión del grupo es mañana a las 10:30. Saludos, ana@example.org"
Server = FakeLibreTranslate | FakeDeepL


@pytest.fixture(params=["libretranslate", "deepl"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    fake: Server = FakeLibreTranslate() if request.param == "libretranslate" else FakeDeepL()
    await fake.start()
    yield fake
    await fake.stop()


async def _group(dispatcher: Dispatcher, event: Event) -> tuple[ChatUser, ...]:
    """Luis writes in Spanish; Emma reads English, Fatou French, Carmen Spanish."""
    people = [
        await registered(dispatcher, event.id, name, language=language)
        for name, language in (("Luis", "es"), ("Emma", "en"), ("Fatou", "fr"), ("Carmen", "es"))
    ]
    for person in people:
        await person.send("/subscribe firewalls")
    return tuple(people)


async def test_a_spanish_post_reaches_each_member_in_their_language_over_http(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event, server: Server
) -> None:
    async with translator_for(server) as translator:
        dispatcher = Dispatcher(
            build_router(), sessions, clock, translation_provider=translator.name
        )
        luis, _emma, fatou, _carmen = await _group(dispatcher, demo_event)
        await luis.send(f"/post firewalls {POST}")
        inboxes = Inboxes()
        assert await deliver_all(dispatcher, inboxes, translator=translator) == 3

    [to_emma] = inboxes.received["Emma"]
    assert "[en] Hola a todos: la reunión del grupo es mañana a las 10:30." in to_emma
    assert "[en] Saludos, ana@example.org" in to_emma  # the address intact
    assert to_emma.endswith("Automatic translation from Spanish · See the original")
    [to_fatou] = inboxes.received["Fatou"]
    assert "[fr] Hola a todos" in to_fatou
    assert to_fatou.endswith("Traduction automatique de l’espagnol · Voir l’original")
    [to_carmen] = inboxes.received["Carmen"]
    assert to_carmen.endswith(f"\n\n{POST}")
    [original] = [choice for row in inboxes.replies["Fatou"][0].choices for choice in row]
    assert await fatou.press_unseen(original.data) == POST
    # Once per language, not per reader: English and French (Spanish is the text's own). DeepL
    # detects with a translation that names no source: it is not one of them.
    targets = sorted(
        str(call.params.get("target") or call.params.get("target_lang")).lower()[:2]
        for call in server.of("translate")
        if call.params.get("source") or call.params.get("source_lang")
    )
    assert targets == ["en", "fr"]


async def test_the_service_down_everyone_gets_the_post_as_written_with_a_note(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event, server: Server
) -> None:
    server.fail_next(100, 503)
    async with translator_for(server) as translator:
        dispatcher = Dispatcher(
            build_router(), sessions, clock, translation_provider=translator.name
        )
        luis, *_ = await _group(dispatcher, demo_event)
        await luis.send(f"/post firewalls {POST}")
        inboxes = Inboxes()
        start = clock.now()
        assert await deliver_all(dispatcher, inboxes, translator=translator) == 3
    assert clock.now() == start  # nobody waited for a translation that could not come
    for name in ("Emma", "Fatou", "Carmen"):
        [received] = inboxes.received[name]
        assert POST in received and "[" not in received
    assert inboxes.received["Emma"][0].endswith(
        "(Automatic translation is not available at the moment: shown as written.)"
    )
