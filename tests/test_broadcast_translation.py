"""A broadcast missing a reader's language, with a translation service: the organiser sees the
automatic translation before "Send", and each reader gets their language, the translation
with its line and button, or (by choice, /translate off, or the service down) the English
with a note."""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event, OutboxMessage, OutboxStatus, Role
from handlers import build_router
from tests.support.chat import ChatUser, registered
from tests.support.outbox import Inboxes, deliver_all
from tests.support.translator import FakeTranslator

EN = "The buses leave for the meeting at 8:45 tomorrow."
FR = "Les bus partent pour la réunion à 8 h 45 demain."
BUSES = f"/broadcast role government\nEN: {EN}\nFR: {FR}"
TRANSLATED_LINE = "Traducción automática del inglés · Ver el original"
NOT_IN_YOUR_LANGUAGE = "(Este mensaje no está disponible en su idioma.)"


def translating(sessions: SessionFactory, clock: SimulatedClock) -> Dispatcher:
    return Dispatcher(build_router(), sessions, clock, translation_provider=FakeTranslator.name)


async def people(
    dispatcher: Dispatcher, event: Event
) -> tuple[ChatUser, ChatUser, ChatUser, ChatUser]:
    """Olga organises (in English); Emma reads English, Fatou French, Carmen Spanish."""
    olga = await registered(dispatcher, event.id, "Olga", Role.ORGANISER, "en")
    emma = await registered(dispatcher, event.id, "Emma", Role.GOVERNMENT, "en")
    fatou = await registered(dispatcher, event.id, "Fatou", Role.GOVERNMENT, "fr")
    carmen = await registered(dispatcher, event.id, "Carmen", Role.GOVERNMENT, "es")
    return olga, emma, fatou, carmen


def labels(user: ChatUser) -> list[str]:
    return [choice.label for choice in user.choices]


async def press_send(user: ChatUser) -> str:
    """ "Send" itself, not "Send in English with a note"."""
    [send] = [choice.data for choice in user.choices if choice.label == "Send"]
    return await user.press_data(send)


async def test_the_preview_shows_the_translation_and_send_delivers_it(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    olga, _, _, carmen = await people(dispatcher, demo_event)
    translator = FakeTranslator()

    preview = await olga.send(BUSES)  # answered at once: the translation is on its way
    assert "ES: (missing: these readers get an automatic translation of the English text)" in (
        preview
    )
    assert "ES — automatic translation: on its way" in preview
    assert "FR: " + FR in preview
    at_once = "🔔 Urgent: also to those in data-saver mode at once"  # the data saver's
    assert labels(olga) == ["Send", "Send in English with a note", at_once, "Cancel"]

    inboxes = Inboxes()  # the translation made, the preview notice brings it to Olga
    assert await deliver_all(dispatcher, inboxes, translator=translator) == 1
    [shown] = inboxes.received["Olga"]
    assert "Broadcast #1: automatic translations" in shown
    assert f"ES — automatic translation: [es] {EN}" in shown
    assert [c.label for row in inboxes.replies["Olga"][0].choices for c in row] == labels(olga)
    assert translator.calls == {"detect": 1, "translate": 1}  # Spanish only: French is there

    # The same text previewed again shows the translation at once, and queues nothing.
    again = await olga.send(BUSES)
    assert f"ES — automatic translation: [es] {EN}" in again
    assert await deliver_all(dispatcher, inboxes, translator=translator) == 0

    assert "queued for 3 recipients" in await press_send(olga)
    await deliver_all(dispatcher, inboxes, translator=translator)
    assert inboxes.received["Emma"] == [f"📢 {EN}"]
    assert inboxes.received["Fatou"] == [f"📢 {FR}"]
    [to_carmen] = inboxes.received["Carmen"]
    assert to_carmen == f"📢 [es] {EN}\n\n{TRANSLATED_LINE}"
    [button] = [c for row in inboxes.replies["Carmen"][0].choices for c in row]
    assert button.label == "Ver el original"
    assert await carmen.press_unseen(button.data) == EN
    assert translator.calls == {"detect": 1, "translate": 1}  # translated once, for all
    assert not inboxes.replies["Emma"][0].choices and not inboxes.replies["Fatou"][0].choices


async def test_english_with_a_note_is_still_a_choice(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    olga, *_ = await people(dispatcher, demo_event)
    translator = FakeTranslator()
    await olga.send(BUSES)
    assert "queued for 3 recipients" in await olga.press("Send in English with a note")
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes, translator=translator)
    assert inboxes.received["Carmen"] == [f"📢 {EN}\n\n{NOT_IN_YOUR_LANGUAGE}"]
    assert not inboxes.replies["Carmen"][0].choices
    assert inboxes.received["Fatou"] == [f"📢 {FR}"]
    # The preview notice came before it (its buttons no longer offered: the draft is sent).
    [preview] = [text for text in inboxes.received["Olga"] if "automatic translations" in text]
    assert f"[es] {EN}" in preview


async def test_a_delegate_cannot_press_the_new_button(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    olga, emma, *_ = await people(dispatcher, demo_event)
    await olga.send(BUSES)
    [english] = [c.data for c in olga.choices if c.label == "Send in English with a note"]
    assert "Only organisers" in await emma.press_unseen(english)
    async with sessions() as db:  # nothing queued for the readers
        rows = (await db.execute(select(OutboxMessage.key))).scalars().all()
        assert not [key for key in rows if key.startswith("broadcast:")]
    assert "not sent (preview)" in await olga.send("/broadcast status 1")
    # A button of a later version, or forged: an action this one does not know sends nothing.
    assert "no longer works" in await olga.press_unseen(english.replace("english", "urgent"))
    assert "not sent (preview)" in await olga.send("/broadcast status 1")


async def test_a_reader_with_translate_off_gets_english_with_the_note(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    olga, _, _, carmen = await people(dispatcher, demo_event)
    await carmen.send("/traduccion no")
    await olga.send(BUSES)
    await press_send(olga)
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes, translator=FakeTranslator())
    assert inboxes.received["Carmen"] == [f"📢 {EN}\n\n{NOT_IN_YOUR_LANGUAGE}"]


async def test_the_service_down_readers_get_english_with_the_note_on_time(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    olga, *_ = await people(dispatcher, demo_event)
    translator = FakeTranslator()
    translator.failing = True
    await olga.send(BUSES)
    await press_send(olga)  # before the preview notice: it loses its buttons
    inboxes = Inboxes()
    start = clock.now()
    assert await deliver_all(dispatcher, inboxes, translator=translator) == 5  # and 1 report
    assert clock.now() == start  # no waiting: the failure is known in the first pass
    [to_carmen] = inboxes.received["Carmen"]
    assert to_carmen.startswith(f"📢 {EN}\n\n(Traducción automática no disponible")
    assert not inboxes.replies["Carmen"][0].choices
    [preview, _report] = inboxes.replies["Olga"]
    assert "the automatic translation failed" in inboxes.received["Olga"][0]
    assert not preview.choices  # already sent: nothing to choose any more
    async with sessions() as db:
        statuses = (await db.execute(select(OutboxMessage.status))).scalars().all()
        assert set(statuses) == {OutboxStatus.DELIVERED}


async def test_without_a_provider_the_preview_and_delivery_are_as_today(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    olga, _, _, _ = await people(dispatcher, demo_event)
    preview = await olga.send(BUSES)
    assert "ES: (missing: these readers get English, with a note)" in preview
    assert "automatic" not in preview
    assert labels(olga) == ["Send", "Cancel", "🔔 Urgent: also to those in data-saver mode at once"]
    await press_send(olga)
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    assert inboxes.received["Carmen"] == [f"📢 {EN}\n\n{NOT_IN_YOUR_LANGUAGE}"]
