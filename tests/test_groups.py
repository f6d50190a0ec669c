"""Reference groups: subscribing before and after the deadline, proposals, posts to members."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import SimulatedClock
from bot.dispatcher import Dispatcher
from bot.models import Event, Role
from tests.support.chat import registered
from tests.support.factories import make_group
from tests.support.outbox import Inboxes, deliver_all


async def test_groups_are_listed_with_mine_marked(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    ana = await registered(dispatcher, demo_event.id, "Ana")
    assert "You are now a member of Firewalls" in await ana.send("/subscribe firewalls")
    listing = await ana.send("/groups")
    assert "✅ 2. Firewalls" in listing
    assert "interest by Friday, January 5, 2018" in listing
    assert "already a member" in await ana.send("/subscribe 2")


async def test_names_in_any_language_and_did_you_mean(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    ana = await registered(dispatcher, demo_event.id, "Ana")
    assert "member of Returns" in await ana.send("/subscribe retornos")
    assert "member of Firewalls" in await ana.send("/subscribe pare-feu")
    typo = await ana.send("/subscribe vulnerabilty")
    assert "Did you mean" in typo
    [suggestion] = ana.choices
    assert "vulnerable" in suggestion.label
    assert "✅" in await ana.press(suggestion.label)


async def test_after_the_deadline_an_organiser_approves(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    async with dispatcher.sessions() as db:  # its deadline passed yesterday
        yesterday = clock.now() - timedelta(days=1)
        await make_group(db, demo_event.id, title="Night shelters", interest_deadline=yesterday)
        await db.commit()
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    ana = await registered(dispatcher, demo_event.id, "Ana", language="fr")
    assert "⏳" in await ana.send("/subscribe night shelters")
    assert "Seule l’équipe d’organisation peut utiliser /requests" in await ana.send("/requests")
    pending = await olga.send("/requests")
    assert "Ana → Night shelters" in pending
    assert "Ana joins Night shelters" in await olga.press("✅")
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    assert inboxes.received["Ana"] and "acceptée" in inboxes.received["Ana"][0]
    assert "✅" in await ana.send("/groups")


async def test_a_post_reaches_every_other_member_in_their_language(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    ana = await registered(dispatcher, demo_event.id, "Ana", organisation="PICUM")
    fatou = await registered(dispatcher, demo_event.id, "Fatou", language="fr")
    luis = await registered(dispatcher, demo_event.id, "Luis", language="es")
    outsider = await registered(dispatcher, demo_event.id, "Kim")
    for member in (ana, fatou, luis):
        await member.send("/subscribe firewalls")

    assert "Only members" in await outsider.send("/post firewalls hello")
    sent = await ana.send("/post firewalls Meeting on <Tuesday>\nat 10 & online")
    assert "Sent to 2 members" in sent
    inboxes = Inboxes()
    assert await deliver_all(dispatcher, inboxes) == 2
    [to_fatou] = inboxes.received["Fatou"]
    assert to_fatou.startswith("📣 Nouveau message dans le groupe Pare-feu")
    assert "Ana (PICUM)" in to_fatou
    assert to_fatou.endswith("\n\nMeeting on <Tuesday>\nat 10 & online")  # as written
    [to_luis] = inboxes.received["Luis"]
    assert (
        to_luis.startswith("📣 Nuevo mensaje en el grupo Cortafuegos") and "Ana (PICUM)" in to_luis
    )
    assert "Ana" not in inboxes.received and "Kim" not in inboxes.received


async def test_announcement_only_groups_and_proposals(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    ana = await registered(dispatcher, demo_event.id, "Ana")
    await ana.send("/subscribe returns")
    assert "Only organisers can use /group" in await ana.send("/group returns announce on")
    assert "Only organisers can now post" in await olga.send("/group returns announce on")
    assert "Only organisers post in" in await ana.send("/post returns hello")
    assert "Sent to 1 member of" in await olga.send("/post returns Deadline moved")

    assert "Thank you" in await ana.send("/propose Climate mobility")
    assert "Climate mobility" in await olga.send("/proposals")
    assert "now exists" in await olga.press("✅")
    assert "Climate mobility" in await ana.send("/groups")
    assert "already a member" in await ana.send("/subscribe climate mobility")
