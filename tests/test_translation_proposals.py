"""A proposed reference group in the organisers' and the members' languages: the organiser
deciding reads its title translated, with the original beside it; the group it becomes is
titled in each language, so members find and read it in theirs."""

from __future__ import annotations

from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.models import Event, Role
from bot.translation.queue import TranslationQueue
from tests.support.chat import registered
from tests.support.translator import FakeTranslator
from tests.test_translation_flow import translating

TITLE = "El grupo de los trabajadores migrantes"


async def test_a_spanish_proposal_reads_in_english_and_becomes_a_group_in_each_language(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    luis = await registered(dispatcher, demo_event.id, "Luis", language="es")
    fatou = await registered(dispatcher, demo_event.id, "Fatou", language="fr")
    assert "Gracias" in await luis.send(f"/proponer {TITLE}")

    # Not translated yet: the organiser reads it as written, at once.
    assert f"#1 {TITLE}\n" in await olga.send("/proposals") + "\n"
    translator = FakeTranslator()
    await TranslationQueue(sessions, clock, translator).run()
    assert translator.calls == {"detect": 1, "translate": 2}

    shown = await olga.send("/proposals")
    assert f"#1 [en] {TITLE} (Automatic translation from Spanish: “{TITLE}”)" in shown
    odile = await registered(dispatcher, demo_event.id, "Odile", Role.ORGANISER, language="fr")
    shown = await odile.send("/propositions")
    assert f"#1 [fr] {TITLE} (Traduction automatique de l’espagnol : « {TITLE} »)" in shown
    assert "now exists" in await olga.press("✅")

    # The group bears its title in each language: members find it and read it in theirs.
    assert f"[fr] {TITLE}" in await fatou.send("/groupes")
    assert "membre" in await fatou.send(f"/sabonner [fr] {TITLE}")
    groups_es = await luis.send("/grupos")
    assert "✅ " in groups_es and TITLE in groups_es and "[" not in groups_es
    assert f"[en] {TITLE}" in await olga.send("/groups")


async def test_translate_off_the_organiser_reads_proposals_as_written(
    sessions: SessionFactory, clock: SimulatedClock, demo_event: Event
) -> None:
    dispatcher = translating(sessions, clock)
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    luis = await registered(dispatcher, demo_event.id, "Luis", language="es")
    await luis.send(f"/proponer {TITLE}")
    await TranslationQueue(sessions, clock, FakeTranslator()).run()
    await olga.send("/translate off")
    shown = await olga.send("/proposals")
    assert f"#1 {TITLE}" in shown and "[en]" not in shown


async def test_without_a_provider_a_proposal_becomes_a_group_as_written(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    luis = await registered(dispatcher, demo_event.id, "Luis", language="es")
    await luis.send(f"/proponer {TITLE}")
    assert f"#1 {TITLE}" in await olga.send("/proposals")
    await olga.press("✅")
    assert TITLE in await olga.send("/groups")
