"""/broadcast: audience, preview, confirmation, per-language texts, progress, report, cancel."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import SimulatedClock
from bot.dispatcher import Dispatcher
from bot.models import Event, Role
from tests.support.chat import plain, registered
from tests.support.outbox import Inboxes, deliver_all

BUSES = "/broadcast role government\nEN: The buses leave at 8:45.\nFR: Les bus partent à 8 h 45."


async def test_a_broadcast_reaches_its_audience_in_each_language(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    await registered(dispatcher, demo_event.id, "Minister", Role.GOVERNMENT, "fr")
    await registered(dispatcher, demo_event.id, "Ministra", Role.GOVERNMENT, "es")
    await registered(dispatcher, demo_event.id, "Ana", Role.CIVIL_SOCIETY)

    preview = await olga.send(BUSES)
    assert "Recipients: 2" in preview and "Leaves: now" in preview
    assert "ES: (missing" in preview
    inboxes = Inboxes()
    assert await deliver_all(dispatcher, inboxes) == 0  # nothing leaves before "Send"

    assert "queued for 2 recipients" in await olga.press("Send")
    await deliver_all(dispatcher, inboxes)
    assert inboxes.received["Minister"] == ["📢 Les bus partent à 8 h 45."]
    [spanish] = inboxes.received["Ministra"]
    assert spanish.startswith("📢 The buses leave at 8:45.") and "idioma" in spanish
    assert "Ana" not in inboxes.received
    [report] = inboxes.received["Olga"]
    assert "#1" in report and "2 delivered" in report and "0 unreachable" in report
    status = await olga.send("/broadcast status")
    assert "finished" in status and "Sent 2 of 2" in status


async def test_a_scheduled_broadcast_waits_and_can_be_cancelled(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    await registered(dispatcher, demo_event.id, "Ana", Role.CIVIL_SOCIETY)
    preview = await olga.send("/broadcast everyone at 2017-12-02 18:00\nEN: Badges at the Westin.")
    assert "Recipients: 2" in preview and "6:00 PM" in preview.replace("\u202f", " ")
    await olga.press("Send")
    inboxes = Inboxes()
    assert await deliver_all(dispatcher, inboxes) == 0  # not before 18:00
    assert "2 messages will not leave" in await olga.send("/broadcast cancel 1")
    clock.advance(timedelta(hours=12))
    assert await deliver_all(dispatcher, inboxes) == 0
    assert "cancelled" in await olga.send("/broadcast status 1")


async def test_broadcasts_are_for_organisers_and_need_english(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    ana = await registered(dispatcher, demo_event.id, "Ana", Role.CIVIL_SOCIETY)
    assert "Only organisers can use /broadcast" in await ana.send(BUSES)
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    assert "English text is required" in await olga.send("/broadcast everyone\nFR: Bonjour")
    assert "Unknown role" in await olga.send("/broadcast role king\nEN: Hi")
    await ana.send("/subscribe firewalls")
    assert "Recipients: 1" in await olga.send("/broadcast group firewalls\nEN: Hi")
    assert "Recipients: 0" in await olga.send("/broadcast language es\nEN: Hi")


async def test_the_authors_message_shows_the_progress_in_place_until_the_end(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER, "fr")
    for number in range(3):
        await registered(dispatcher, demo_event.id, f"Minister {number}", Role.GOVERNMENT)
    await olga.send("/broadcast role government\nEN: The buses leave at 8:45.")
    queued = await olga.press("Envoyer", message_id="preview-9")
    assert "Envoyés : 0 sur 3" in queued
    assert [choice.label for choice in olga.choices] == ["Actualiser", "Annuler"]

    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    versions = [plain(reply) for reply in inboxes.edited["Olga", "preview-9"]]
    assert len(versions) >= 1 and list(inboxes.edited) == [("Olga", "preview-9")]
    assert "terminée" in versions[-1] and "Envoyés : 3 sur 3" in versions[-1]
    assert inboxes.edited["Olga", "preview-9"][-1].choices == ()  # nothing left to cancel
    await deliver_all(dispatcher, inboxes)
    assert len(inboxes.edited["Olga", "preview-9"]) == len(versions)  # the end is shown once
