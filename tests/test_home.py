"""/home: the organisers' figures, and everyone else's next sessions, tables and groups."""

from __future__ import annotations

from datetime import datetime

from bot.chat import Sender
from bot.clock import SimulatedClock
from bot.dispatcher import Dispatcher
from bot.models import Event, Participant, Role
from bot.people import participants
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.demo import MEETING_ZONE
from tests.support.factories import make_participant
from tests.support.outbox import Inboxes, deliver_all


async def _link_another_account(
    dispatcher: Dispatcher, participant_id: int, platform: str, external_id: str
) -> None:
    async with dispatcher.sessions() as db:
        person = await db.get_one(Participant, participant_id)
        account = await participants.identity_for(
            db, platform, Sender(external_id), dispatcher.clock.now()
        )
        participants.link(account, person)
        await db.commit()


async def _someone_without_an_account(dispatcher: Dispatcher, event: Event, role: Role) -> None:
    async with dispatcher.sessions() as db:
        await make_participant(db, event.id, dispatcher.clock.now(), role=role, name="Carl")
        await db.commit()


async def test_an_organiser_sees_accounts_table_fill_and_broadcast_delivery(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    ana = ChatUser(dispatcher, external_id="ana", platform="telegram")
    ana_id = await link_to_new_participant(ana, Role.CIVIL_SOCIETY, demo_event.id, name="Ana")
    await _link_another_account(dispatcher, ana_id, "slack", "U-ANA")
    bea = ChatUser(dispatcher, external_id="U-BEA", platform="slack")
    await link_to_new_participant(bea, Role.CIVIL_SOCIETY, demo_event.id, name="Bea")
    delegates = [await registered(dispatcher, demo_event.id, f"D{n}") for n in range(7)]
    minister = await registered(dispatcher, demo_event.id, "Minister", Role.GOVERNMENT)
    await registered(dispatcher, demo_event.id, "Ministra", Role.GOVERNMENT)
    await _someone_without_an_account(dispatcher, demo_event, Role.GOVERNMENT)
    dan = await registered(dispatcher, demo_event.id, "Dan")
    await dan.send("/forget")
    await dan.press("Yes, erase")

    for person in [ana, bea, *delegates, minister]:  # 9 delegates for 8 seats, and a minister
        await person.send("/join 9 d2-tables")  # Act 9: 8 civil society seats
    await olga.send("/broadcast role government\nEN: The buses leave at 8:45.")
    await olga.press("Send")
    await deliver_all(dispatcher, Inboxes(blocked={"Ministra"}))  # Carl has no account at all
    await olga.send("/broadcast everyone at 2017-12-02 18:00\nEN: Badges at the Westin.")
    await olga.press("Send")

    board = await olga.send("/home")
    assert "13 participants" in board  # Dan erased himself: not counted
    assert "With a linked account: Test: 10 · Slack: 2 · Telegram: 1" in board
    assert "With no linked account: 1" in board
    assert "Group sessions, part 1 (Acts 1–5): 0 of 60 seats · 0 waiting" in board
    assert "Small tables with governments – TEN ACTS: 9 of 113 seats · 1 waiting" in board
    assert "#2 sending — 0 delivered · 0 unreachable · 0 failed · 13 still to send" in board
    assert "#1 finished — 1 delivered · 2 unreachable · 0 failed" in board
    assert board.index("#2 sending") < board.index("#1 finished")
    assert not any(name in board for name in ("Ana", "Bea", "Carl", "Minister"))

    buttons = {choice.label: choice.data for choice in olga.choices}
    assert buttons["Progress of #2"] == "broadcast:status:2"
    assert "Progress of #1" not in buttons  # finished: nothing to follow
    assert "Sent 0 of 13" in await olga.press("Progress of #2")
    await olga.send("/home")
    assert "Act 3: Protection" in await olga.press("Small tables with governments")


async def test_a_delegate_sees_their_next_sessions_table_and_groups(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    ana = await registered(dispatcher, demo_event.id, "Ana")
    bea = await registered(dispatcher, demo_event.id, "Bea")
    await ana.send("/join 3 d2-tables")
    await ana.send("/subscribe firewalls")
    await bea.send("/join 5 d2-tables")
    await bea.send("/subscribe returns")

    board = await ana.send("/home")
    assert board.startswith("🏠 Hello Ana!")
    assert "Now · 7:30 – 8:15 AM Registration and coffee" in board  # 08:10 on the first day
    assert "8:30 – 9:50 AM Welcome and opening plenary" in board
    assert "9:50 – 11:00 AM Panel I: regional action" in board
    assert "Coffee break" not in board  # the next three only
    assert "/agenda shows the whole programme." in board
    assert "Small tables with governments – TEN ACTS · Sun, Dec 3, 10:30 AM – 12:30 PM" in board
    assert "Act 3: Protection — ✅ seated" in board
    assert "/join ACT [ROUND] moves you to another table" in board
    assert "✅ Firewalls" in board
    assert "/subscribe GROUP · /unsubscribe GROUP" in board
    for others in ("Bea", "Act 5", "Returns"):
        assert others not in board
    assert "Act 5" in await bea.send("/home") and "Act 3" not in await bea.send("/home")


async def test_waiting_lists_pending_requests_and_empty_parts_read_plainly(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    newcomer = await registered(dispatcher, demo_event.id, "Nia")
    board = await newcomer.send("/home")
    assert "You are not at any table. /tables shows them." in board
    assert "You are in no reference group yet. /groups lists them" in board

    seated = [await registered(dispatcher, demo_event.id, f"D{n}") for n in range(8)]
    for person in seated:
        await person.send("/join 9 d2-tables")  # Act 9: 8 civil society seats
    await newcomer.send("/join 9 d2-tables")
    clock.set(datetime(2018, 1, 6, 9, 0, tzinfo=MEETING_ZONE))  # after the groups' deadline
    await newcomer.send("/subscribe returns")
    board = await newcomer.send("/home")
    assert "Act 9: Rights, return and reintegration — ⏳ waiting list, number 1" in board
    assert "⏳ Returns, in particular safeguards — waiting for an organiser's approval" in board
    assert "The meeting is over." in board


async def test_a_government_representative_never_sees_civil_society_sessions(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    clock.set(datetime(2017, 12, 2, 13, 0, tzinfo=MEETING_ZONE))  # lunch, before the groups
    minister = await registered(dispatcher, demo_event.id, "Minister", Role.GOVERNMENT)
    delegate = await registered(dispatcher, demo_event.id, "Ana")
    board = await minister.send("/home")
    # Day 1 is for civil society only (concept note); governments join on Day 2.
    assert "Sun, Dec 3 · 8:30 – 9:00 AM Registration and coffee" in board
    hidden_day_one = ("12:50 – 2:00 PM Lunch", "Mobilizing Plenary I", "Badge collection")
    for hidden in ("Group sessions", "evening gathering", *hidden_day_one):
        assert hidden not in board
    assert "2:00 – 3:25 PM Group sessions, part 1" in await delegate.send("/home")


async def test_a_guest_learns_how_to_link_their_account(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    guest = ChatUser(dispatcher, external_id="stranger")
    board = await guest.send("/home")
    assert "not linked to a registration yet" in board
    assert "open the invitation link you received, or send me the 12-character code" in board
    assert "/agenda shows the programme open to everyone" in board
    assert [choice.data for choice in guest.choices] == ["lang:en", "lang:fr", "lang:es"]
    in_a_group = ChatUser(dispatcher, external_id="stranger", private=False)
    assert "only in a private chat" in await in_a_group.send("/home")


async def test_home_reads_in_french_and_spanish(dispatcher: Dispatcher, demo_event: Event) -> None:
    """Needs the French and Spanish catalogs with the dashboard's texts."""
    amadou = await registered(dispatcher, demo_event.id, "Amadou", language="fr")
    lucia = await registered(dispatcher, demo_event.id, "Lucía", language="es")
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER, "fr")
    for person in (amadou, lucia):
        await person.send("/join 3 d2-tables")
        await person.send("/subscribe firewalls")

    french = await amadou.send("/accueil")
    assert "Bonjour Amadou !" in french and "Vos prochaines séances" in french
    assert "En ce moment · 07:30 – 08:15 Accueil, inscription et café" in french
    assert "/programme affiche tout le programme." in french
    assert "Acte 3 : Protection — ✅ place confirmée" in french
    assert "✅ Pare-feu (« firewalls »)" in french and "Vos groupes de référence" in french

    spanish = await lucia.send("/inicio")
    assert "¡Hola, Lucía!" in spanish and "Sus próximas sesiones" in spanish
    assert "Ahora · 7:30–8:15 Registro y café" in spanish
    assert "Acto 3: Protección — ✅ lugar confirmado" in spanish
    assert "✅ Cortafuegos (firewalls)" in spanish and "Sus grupos de referencia" in spanish

    board = await olga.send("/home")
    assert "Tableau de bord de l’équipe d’organisation" in board and "3 participant·e·s" in board
    assert "Avec un compte lié : Test : 3" in board
    assert "Petites tables avec les gouvernements – DIX ACTES : 2 sur 113 places" in board
    assert "Aucune communication pour l’instant." in board

    guest = ChatUser(dispatcher, external_id="invitado", language_code="es")
    assert "código de 12 caracteres" in await guest.send("/home")
