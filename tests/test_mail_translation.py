"""List mail in one's language: an English list message, received by SMTP and translated over
real HTTP by the translator `coordbot run` builds (against the fake LibreTranslate), reaches a
Spanish delegate with its subject and text in Spanish, an English one as written; the service
is asked once per language however many read it; when it is down, everyone gets the message as
written with a note; attachments go either way; with no provider, nothing changes."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event, Role, TranslatedText
from bot.translation.service import TranslationService
from handlers import build_router
from tests.support.chat import ChatUser, registered
from tests.support.fake_translation import FakeLibreTranslate, translator_for
from tests.support.mail import SETTINGS, port_of, serving
from tests.support.outbox import Inboxes, deliver_all
from tests.test_mail_relay import list_mail, send

SUBJECT = "Proposal for the group meeting"
BODY = "Hello all, the meeting is tomorrow at 10:30. Thanks and regards, lucia@example.org"
LINE_ES = "Traducción automática del inglés · Ver el original"
NOTE = "(Automatic translation is not available at the moment: shown as written.)"


async def _readers(dispatcher: Dispatcher, event: Event) -> tuple[ChatUser, ChatUser]:
    """Luis reads Spanish, Emma English; both take the list (civil society)."""
    luis = await registered(dispatcher, event.id, "Luis", language="es")
    emma = await registered(dispatcher, event.id, "Emma", language="en")
    return luis, emma


async def _mail_in(dispatcher: Dispatcher, message_id: str = "<proposal@example.org>") -> None:
    """The list's server sends one English message with a small attachment."""
    mail = list_mail(subject=SUBJECT, body=BODY, message_id=message_id)
    mail.add_attachment(
        b"%PDF-1.4 small", maintype="application", subtype="pdf", filename="agenda.pdf"
    )
    async with serving(dispatcher, SETTINGS) as receiver:
        await asyncio.to_thread(send, port_of(receiver), mail)


def _targets(server: FakeLibreTranslate) -> list[str]:
    return sorted(str(call.params.get("target")) for call in server.of("translate"))


def _translating(
    translator: TranslationService, sessions: SessionFactory, clock: SimulatedClock
) -> Dispatcher:
    return Dispatcher(build_router(), sessions, clock, translation_provider=translator.name)


async def test_an_english_list_mail_reaches_a_spanish_delegate_in_spanish(
    sessions: SessionFactory,
    clock: SimulatedClock,
    demo_event: Event,
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    async with translator_for(fake_libretranslate) as translator:
        dispatcher = _translating(translator, sessions, clock)
        luis, emma = await _readers(dispatcher, demo_event)
        olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
        await _mail_in(dispatcher)
        inboxes = Inboxes()
        assert await deliver_all(dispatcher, inboxes, translator=translator) == 2

        [to_luis] = inboxes.received["Luis"]
        assert "Asunto: [es] Proposal for the group meeting" in to_luis
        assert "[es] Hello all, the meeting is tomorrow at 10:30. [es] Thanks" in to_luis
        assert "lucia@example.org" in to_luis  # the address intact
        assert LINE_ES in to_luis
        assert inboxes.files["Luis"] == ["agenda.pdf"]  # attachments still go
        [to_emma] = inboxes.received["Emma"]
        assert f"Subject: {SUBJECT}" in to_emma and f"\n\n{BODY}" in to_emma
        assert "[" not in to_emma and "Automatic translation" not in to_emma
        assert inboxes.replies["Emma"][0].choices == ()
        assert inboxes.files["Emma"] == ["agenda.pdf"]
        # "See the original" shows the whole message as written, subject included, and does
        # not send its files a second time.
        [original] = [choice for row in inboxes.replies["Luis"][0].choices for choice in row]
        assert original.label == "Ver el original"
        as_written = await luis.press_unseen(original.data)
        assert f"Asunto: {SUBJECT}" in as_written and f"\n\n{BODY}" in as_written
        assert "[es]" not in as_written and "Traducción automática" not in as_written
        assert "agenda.pdf" in as_written and not luis.last[0].documents

        # Subject and text, each into French and Spanish (English is their own): once per
        # language, not per reader; /lists and a re-send ask for nothing more.
        assert _targets(fake_libretranslate) == ["es", "es", "fr", "fr"]
        assert len(fake_libretranslate.of("detect")) == 2
        overview = await luis.send("/lists")
        assert "[es] Proposal for the group meeting" in overview  # the subject, translated
        assert "Asuntos traducidos automáticamente" in overview
        assert SUBJECT not in overview.replace("[es] " + SUBJECT, "")
        shown = await luis.press("Leer")
        assert "[es] Proposal for the group meeting" in shown and LINE_ES in shown
        overview = await emma.send("/lists")
        assert SUBJECT in overview and "[" not in overview and "automatically" not in overview
        shown = await emma.press("Read #")
        assert BODY in shown and "[" not in shown and "Automatic translation" not in shown
        await olga.send("/lists")
        await olga.press("Re-send #")
        assert "on its way again" in await olga.press("Yes, send it again")
        assert await deliver_all(dispatcher, inboxes, translator=translator) == 2
        assert "Asunto: [es] Proposal" in inboxes.received["Luis"][1]
        assert _targets(fake_libretranslate) == ["es", "es", "fr", "fr"]


async def test_the_service_down_the_list_mail_goes_as_written_with_a_note(
    sessions: SessionFactory,
    clock: SimulatedClock,
    demo_event: Event,
    fake_libretranslate: FakeLibreTranslate,
) -> None:
    fake_libretranslate.fail_next(100, 503)
    async with translator_for(fake_libretranslate) as translator:
        dispatcher = _translating(translator, sessions, clock)
        await _readers(dispatcher, demo_event)
        await _mail_in(dispatcher)
        inboxes = Inboxes()
        start = clock.now()
        assert await deliver_all(dispatcher, inboxes, translator=translator) == 2
    assert clock.now() == start  # nobody waited for a translation that could not come
    [to_luis] = inboxes.received["Luis"]
    assert SUBJECT in to_luis and BODY in to_luis and "[es]" not in to_luis
    assert "(Traducción automática no disponible por ahora" in to_luis
    assert inboxes.replies["Luis"][0].choices == ()
    assert inboxes.files["Luis"] == ["agenda.pdf"]
    [to_emma] = inboxes.received["Emma"]
    assert BODY in to_emma and to_emma.count(NOTE) == 1


async def test_with_no_provider_list_mail_is_relayed_as_written_and_nothing_is_stored(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    await _readers(dispatcher, demo_event)
    await _mail_in(dispatcher)
    inboxes = Inboxes()
    assert await deliver_all(dispatcher, inboxes) == 2
    [to_luis] = inboxes.received["Luis"]
    assert f"Asunto: {SUBJECT}" in to_luis and f"\n\n{BODY}" in to_luis
    assert "traducción" not in to_luis.lower() and inboxes.replies["Luis"][0].choices == ()
    assert inboxes.files["Luis"] == ["agenda.pdf"]
    async with sessions() as db:
        assert await db.scalar(select(func.count()).select_from(TranslatedText)) == 0
