"""What people write, read in one's own language: a group post translated once per language in
the background, each reader getting it right, on time, and as written when translation fails,
is too slow, is turned off, or is not configured."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.models import (
    Event,
    OutboxMessage,
    OutboxStatus,
    TranslatedText,
    Translation,
)
from bot.translation.queue import TranslationQueue
from bot.translation.reading import Translating
from handlers import build_notices, build_router
from tests.support.chat import ChatUser, registered
from tests.support.outbox import Inboxes, deliver_all
from tests.support.population import add_telegram_participants, in_three_languages, join_group
from tests.support.translator import FakeTranslator

POST = "Hola a todos: la reunión del grupo es mañana a las 10:30, https://example.org/agenda"
NOTE = "Automatic translation is not available at the moment: shown as written."
NOTE_ES = "Traducción automática no disponible por ahora: se muestra tal como se escribió."


def translating(sessions: SessionFactory, clock: SimulatedClock) -> Dispatcher:
    return Dispatcher(build_router(), sessions, clock, translation_provider=FakeTranslator.name)


async def members(
    dispatcher: Dispatcher, event: Event
) -> tuple[ChatUser, ChatUser, ChatUser, ChatUser]:
    """Luis writes in Spanish; Emma reads English, Fatou French, Carmen Spanish."""
    luis = await registered(dispatcher, event.id, "Luis", language="es")
    emma = await registered(dispatcher, event.id, "Emma", language="en")
    fatou = await registered(dispatcher, event.id, "Fatou", language="fr")
    carmen = await registered(dispatcher, event.id, "Carmen", language="es")
    for member in (luis, emma, fatou, carmen):
        await member.send("/subscribe firewalls")
    return luis, emma, fatou, carmen


async def test_a_spanish_post_reaches_each_member_in_their_language(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    luis, emma, fatou, _ = await members(dispatcher, demo_event)
    translator = FakeTranslator()
    assert "Enviado a 3 miembros" in await luis.send(f"/post firewalls {POST}")
    inboxes = Inboxes()
    assert await deliver_all(dispatcher, inboxes, translator=translator) == 3

    [to_emma] = inboxes.received["Emma"]
    assert to_emma.endswith(
        f"\n\n[en] {POST}\n\nAutomatic translation from Spanish · See the original"
    )
    [to_fatou] = inboxes.received["Fatou"]
    assert to_fatou.startswith("📣 Nouveau message dans le groupe Pare-feu")
    assert f"\n\n[fr] {POST}\n\n" in to_fatou
    assert to_fatou.endswith("Traduction automatique de l’espagnol · Voir l’original")
    [to_carmen] = inboxes.received["Carmen"]
    assert to_carmen.endswith(f"\n\n{POST}")  # already in her language: untouched
    assert not inboxes.replies["Carmen"][0].choices
    assert translator.calls == {"detect": 1, "translate": 2}

    # The button under the translation shows the original, in full.
    [button] = [choice for row in inboxes.replies["Fatou"][0].choices for choice in row]
    assert button.label == "Voir l’original"
    assert await fatou.press_unseen(button.data) == POST
    # Ids are easy to guess: without the start of the text's hash, no original is shown.
    text_id = button.data.split(":")[1]
    assert "no longer works" in await emma.press_unseen(f"original:{text_id}:00000000")

    # /mydata says which of the author's texts were translated, and into what.
    mine = await luis.send("/misdatos")
    assert "Traducido automáticamente (inglés y francés): Hola a todos" in mine

    # A re-send of the same text costs nothing: it is translated already.
    await luis.send(f"/post firewalls {POST}")
    await deliver_all(dispatcher, inboxes, translator=translator)
    assert inboxes.received["Emma"][1] == to_emma
    assert translator.calls == {"detect": 1, "translate": 2}


async def test_a_thousand_readers_in_three_languages_cost_two_translations(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    luis = await registered(dispatcher, demo_event.id, "Luis", language="es")
    await luis.send("/subscribe firewalls")
    async with sessions() as db:
        readers = await add_telegram_participants(db, demo_event.id, 1000)
        await in_three_languages(db, readers)
        await join_group(db, demo_event.id, "firewalls", readers, clock.now())
        await db.commit()
    translator = FakeTranslator()
    assert "Enviado a 1000 miembros" in await luis.send(f"/post firewalls {POST}")
    inboxes = Inboxes()
    assert await deliver_all(dispatcher, inboxes, "telegram", translator) == 1000
    assert translator.calls == {"detect": 1, "translate": 2}
    texts = [text for received in inboxes.received.values() for text in received]
    assert sum(f"[en] {POST}" in text for text in texts) == 333
    assert sum(f"[fr] {POST}" in text for text in texts) == 334
    assert sum(text.endswith(f"\n\n{POST}") for text in texts) == 333


async def test_the_service_down_everyone_gets_the_original_with_a_note_at_once(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    luis, *_ = await members(dispatcher, demo_event)
    translator = FakeTranslator()
    translator.failing = True
    await luis.send(f"/post firewalls {POST}")
    inboxes = Inboxes()
    start = clock.now()
    assert await deliver_all(dispatcher, inboxes, translator=translator) == 3
    assert clock.now() == start  # no waiting: the failure is known in the first pass
    [to_emma] = inboxes.received["Emma"]
    assert to_emma.endswith(f"\n\n{POST}\n\n({NOTE})")
    [to_fatou] = inboxes.received["Fatou"]
    assert f"\n\n{POST}\n\n(" in to_fatou and "indisponible" in to_fatou
    assert not inboxes.replies["Fatou"][0].choices
    [to_carmen] = inboxes.received["Carmen"]
    assert to_carmen.endswith(f"\n\n{POST}\n\n({NOTE_ES})")


async def test_a_slow_service_delays_a_message_no_longer_than_the_deadline(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    luis, *_ = await members(dispatcher, demo_event)
    translator = FakeTranslator()
    translator.answering.clear()  # the service takes its time
    await luis.send(f"/post firewalls {POST}")
    inboxes = Inboxes()
    worker = DeliveryWorker(
        sessions,
        clock,
        build_notices(),
        {"test": inboxes},
        translating=Translating(translator.name, timedelta(seconds=10)),
    )
    queue = TranslationQueue(sessions, clock, translator)
    job = asyncio.create_task(queue.run())
    await translator.waiting.wait()  # the detection is under way

    assert await worker.deliver_due() == 3
    assert not inboxes.received  # each waits a moment for its translation
    clock.advance(timedelta(seconds=5))
    assert await worker.deliver_due() == 3
    assert not inboxes.received
    clock.advance(timedelta(seconds=6))  # past the deadline: as written, with the note
    assert await worker.deliver_due() == 3
    assert inboxes.received["Emma"][0].endswith(f"\n\n{POST}\n\n({NOTE})")
    assert inboxes.received["Carmen"][0].endswith(f"\n\n{POST}\n\n({NOTE_ES})")
    async with sessions() as db:
        rows = (await db.execute(select(OutboxMessage))).scalars().all()
        assert {row.status for row in rows} == {OutboxStatus.DELIVERED}
        assert {row.attempts for row in rows} == {1}  # the waits counted no attempt

    translator.answering.set()  # the translation arrives late: stored, nothing sent again
    await job
    assert await worker.deliver_due() == 0
    assert len(inboxes.received["Emma"]) == 1


async def test_translate_off_reads_what_others_write_as_written(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    luis, emma, fatou, _ = await members(dispatcher, demo_event)
    shown = await emma.send("/translate")
    assert "translated into your language" in shown
    assert "as they wrote it" in await emma.press("Turn off")
    assert "tels qu’ils l’ont écrit" in await fatou.send("/traduction non")
    await fatou.send("/traduction")
    assert [choice.label for choice in fatou.choices] == ["Activer"]
    await luis.send(f"/post firewalls {POST}")
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes, translator=FakeTranslator())
    assert inboxes.received["Emma"][0].endswith(f"\n\n{POST}")  # no note either
    assert inboxes.received["Fatou"][0].endswith(f"\n\n{POST}")
    assert "translated into your language" in await emma.send("/translate on")


async def test_without_a_provider_posts_leave_as_today(
    dispatcher: Dispatcher, sessions: SessionFactory, demo_event: Event
) -> None:
    luis, emma, *_ = await members(dispatcher, demo_event)
    assert "not available in this meeting" in await emma.send("/translate on")
    assert not emma.choices
    await luis.send(f"/post firewalls {POST}")
    inboxes = Inboxes()
    assert await deliver_all(dispatcher, inboxes) == 3
    assert inboxes.received["Emma"][0].endswith(f"\n\n{POST}")
    assert not inboxes.replies["Emma"][0].choices
    async with sessions() as db:  # nothing of what people write is kept for translation
        assert (await db.execute(select(func.count(TranslatedText.id)))).scalar_one() == 0
        assert (await db.execute(select(func.count(Translation.id)))).scalar_one() == 0


async def test_forget_unties_the_translated_texts_from_their_author(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    luis, *_ = await members(dispatcher, demo_event)
    await luis.send(f"/post firewalls {POST}")
    await deliver_all(dispatcher, Inboxes(), translator=FakeTranslator())
    async with sessions() as db:
        assert (await db.execute(select(TranslatedText.author_id))).scalar_one() is not None
    await luis.send("/olvidar")
    assert "Listo" in await luis.press("Sí, borrar")
    async with sessions() as db:
        assert (await db.execute(select(TranslatedText.author_id))).scalar_one() is None


class OtherTranslator(FakeTranslator):
    name = "other"


async def test_another_provider_makes_its_own_translations_of_a_known_text(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    luis, *_ = await members(dispatcher, demo_event)
    await luis.send(f"/post firewalls {POST}")
    await deliver_all(dispatcher, Inboxes(), translator=FakeTranslator())

    other = OtherTranslator()
    switched = Dispatcher(build_router(), sessions, clock, translation_provider=other.name)
    luis.dispatcher = switched
    await luis.send(f"/post firewalls {POST}")
    inboxes = Inboxes()
    await deliver_all(switched, inboxes, translator=other)
    assert other.calls == {"translate": 2}  # the language is the text's, known already
    assert inboxes.received["Emma"][0].endswith(
        "Automatic translation from Spanish · See the original"
    )
