"""One person on Telegram and Slack: /notify chooses where the bot's own messages reach them,
delivery workers honour it (several processes too), and a verified e-mail links an account."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Unpack

import pytest
from sqlalchemy import select

from bot.broadcasts import BroadcastMessage
from bot.chat import Incoming, Sender
from bot.clock import SimulatedClock
from bot.delivery import outbox
from bot.delivery.worker import DeliveryWorker
from bot.dispatcher import Dispatcher
from bot.models import ChatIdentity, Event, OutboxMessage, OutboxStatus, Participant, Role
from bot.people import participants
from bot.text.i18n import _, use_language
from handlers import build_notices
from tests.support.chat import ChatUser, link_to_new_participant
from tests.support.factories import ParticipantFields, make_participant
from tests.support.outbox import Inboxes

# Long enough for a message to count as the account's latest use (it is recorded every 5 min).
LATER = timedelta(minutes=10)


async def _link(user: ChatUser, person: int) -> None:
    dispatcher = user.dispatcher
    async with dispatcher.sessions() as db:
        now = dispatcher.clock.now()
        identity = await participants.identity_for(db, user.platform, Sender(user.external_id), now)
        participants.link(identity, await db.get_one(Participant, person))
        await db.commit()


async def _on_both(
    dispatcher: Dispatcher, clock: SimulatedClock, event: Event, **fields: Unpack[ParticipantFields]
) -> tuple[dict[str, ChatUser], int]:
    """A participant with a Telegram account, then a Slack account, used last."""
    name = fields.setdefault("name", "Ana")
    accounts = {
        "telegram": ChatUser(dispatcher, external_id=f"tg-{name}", platform="telegram"),
        "slack": ChatUser(dispatcher, external_id=f"sl-{name}", platform="slack"),
    }
    person = await link_to_new_participant(
        accounts["telegram"], Role.CIVIL_SOCIETY, event.id, **fields
    )
    clock.advance(LATER)
    await _link(accounts["slack"], person)
    return accounts, person


async def _queue(
    dispatcher: Dispatcher, person: int, text: str, expires_at: datetime | None = None
) -> None:
    async with dispatcher.sessions() as db:
        message = outbox.Message(
            f"test:{text}",
            person,
            BroadcastMessage(texts={"en": text}),
            expires_at=expires_at,
        )
        await outbox.enqueue_many(db, [message], dispatcher.clock.now())
        await db.commit()


def _worker(dispatcher: Dispatcher, inboxes: dict[str, Inboxes]) -> DeliveryWorker:
    """A delivery worker serving the platforms of `inboxes`, as one process would."""
    return DeliveryWorker(dispatcher.sessions, dispatcher.clock, build_notices(), dict(inboxes))


async def _deliver(dispatcher: Dispatcher) -> dict[str, Inboxes]:
    """Deliver what is due through one worker serving Telegram and Slack; what each received."""
    inboxes = {"telegram": Inboxes(), "slack": Inboxes()}
    worker = _worker(dispatcher, inboxes)
    while await worker.deliver_due():
        pass
    return inboxes


async def _row(dispatcher: Dispatcher) -> OutboxMessage:
    async with dispatcher.sessions() as db:
        return (await db.execute(select(OutboxMessage))).scalar_one()


async def _chosen(dispatcher: Dispatcher, person: int) -> str | None:
    async with dispatcher.sessions() as db:
        return (await db.get_one(Participant, person)).notify_platform


def _in(language: str, message: str, **values: Any) -> str:
    with use_language(language):
        return _(message).format(**values)


async def test_by_default_messages_reach_the_account_used_last(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    accounts, ana = await _on_both(dispatcher, clock, demo_event)
    await _queue(dispatcher, ana, "One")
    inboxes = await _deliver(dispatcher)
    assert inboxes["slack"].received == {"sl-Ana": ["📢 One"]}
    assert inboxes["telegram"].received == {}

    clock.advance(LATER)
    await accounts["telegram"].send("/help")
    await _queue(dispatcher, ana, "Two")
    inboxes = await _deliver(dispatcher)
    assert inboxes["telegram"].received == {"tg-Ana": ["📢 Two"]}


async def test_the_chosen_platform_wins_while_it_can_be_reached(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    accounts, ana = await _on_both(dispatcher, clock, demo_event)
    clock.advance(LATER)
    reply = await accounts["telegram"].send("/notify slack")  # Telegram is now used last
    assert reply == "✅ My reminders and other messages reach you on Slack."
    await _queue(dispatcher, ana, "One")
    assert (await _deliver(dispatcher))["slack"].received == {"sl-Ana": ["📢 One"]}

    await dispatcher.set_reachable("slack", "sl-Ana", False)
    await _queue(dispatcher, ana, "Two")
    assert (await _deliver(dispatcher))["telegram"].received == {"tg-Ana": ["📢 Two"]}
    status = await accounts["telegram"].send("/notify")
    assert "I cannot reach you on Slack at the moment" in status

    reply = await accounts["telegram"].send("/notify auto")
    assert reply == "✅ My reminders and other messages reach you on the chat app you used last."
    assert await _chosen(dispatcher, ana) is None


async def test_buttons_offer_the_linked_platforms(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    accounts, ana = await _on_both(dispatcher, clock, demo_event)
    telegram = accounts["telegram"]
    status = await telegram.send("/notify")
    assert status.startswith("My reminders and other messages reach you on the chat app")
    assert [choice.label for choice in telegram.choices] == ["Telegram", "Slack", "Automatic"]
    assert "reach you on Telegram" in await telegram.press("Telegram")
    assert telegram.last[0].edit
    assert await _chosen(dispatcher, ana) == "telegram"


async def test_a_platform_without_a_linked_account_is_refused(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    ana = ChatUser(dispatcher, external_id="tg-Ana", platform="telegram")
    person = await link_to_new_participant(ana, Role.CIVIL_SOCIETY, demo_event.id, name="Ana")
    reply = await ana.send("/notify slack")
    assert reply.startswith("You have no Slack account linked yet: write to me once on Slack")
    assert await _chosen(dispatcher, person) is None
    await ana.send("/notify")
    assert [choice.label for choice in ana.choices] == ["Telegram", "Automatic"]
    assert "Choose Telegram, Slack, or WhatsApp" in await ana.send("/notify signal")
    await _queue(dispatcher, person, "Still here")
    assert (await _deliver(dispatcher))["telegram"].received == {"tg-Ana": ["📢 Still here"]}

    guest = ChatUser(dispatcher, external_id="guest", platform="telegram")
    assert "Only registered participants" in await guest.send("/notify slack")
    assert "only in a private chat" in await ChatUser(dispatcher, private=False).send("/notify")


async def test_replies_follow_the_participants_language(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    accounts, _fatou = await _on_both(dispatcher, clock, demo_event, name="Fatou", language="fr")
    status = await accounts["telegram"].send("/notifier")
    assert "Pour modifier ce réglage :" in status
    assert status.startswith(
        _in("fr", "My reminders and other messages reach you on the chat app you used last.")
    )
    reply = await accounts["slack"].send("/notifier slack")
    assert reply == "✅ " + _in(
        "fr", "My reminders and other messages reach you on {platform}.", platform="Slack"
    )

    ministra = ChatUser(dispatcher, external_id="tg-Ministra", platform="telegram")
    await link_to_new_participant(
        ministra, Role.GOVERNMENT, demo_event.id, name="Ministra", language="es"
    )
    assert "Para cambiar esta opción:" in await ministra.send("/notificar")
    refusal = _in(
        "es",
        "You have no {platform} account linked yet: write to me once on {platform} (if I do "
        "not recognise you there, send me your invitation code), then choose again.",
        platform="Slack",
    )
    assert await ministra.send("/notificar slack") == refusal


@pytest.mark.parametrize("chosen", ["slack", "telegram"])
async def test_a_worker_leaves_the_message_to_one_serving_the_chosen_platform(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock, chosen: str
) -> None:
    accounts, ana = await _on_both(dispatcher, clock, demo_event)
    other = "telegram" if chosen == "slack" else "slack"
    clock.advance(LATER)
    await accounts[other].send(f"/notify {chosen}")  # so the other platform is used last
    await _queue(dispatcher, ana, "Hello")
    inboxes = {"telegram": Inboxes(), "slack": Inboxes()}
    not_serving = _worker(dispatcher, {other: inboxes[other]})
    serving = _worker(dispatcher, {chosen: inboxes[chosen]})

    assert await not_serving.deliver_due() == 1
    row = await _row(dispatcher)
    assert row.status == OutboxStatus.PENDING and row.attempts == 0
    assert await serving.deliver_due() == 0  # handed over: out of every claim for a while
    clock.advance(outbox.HANDOVER)
    assert await serving.deliver_due() == 1
    row = await _row(dispatcher)
    assert row.status == OutboxStatus.DELIVERED and row.platform == chosen
    assert inboxes[chosen].received == {accounts[chosen].external_id: ["📢 Hello"]}
    assert inboxes[other].received == {}


async def test_a_worker_sends_on_its_own_platform_when_the_chosen_one_cannot_serve(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    accounts, ana = await _on_both(dispatcher, clock, demo_event)
    telegram = Inboxes()
    telegram_only = _worker(dispatcher, {"telegram": telegram})

    # No choice: each worker reaches the person on the platforms it serves.
    await _queue(dispatcher, ana, "One")
    await telegram_only.deliver_due()
    # Slack chosen, but the message could not come back before its deadline: better here.
    await accounts["telegram"].send("/notify slack")
    await _queue(dispatcher, ana, "Two", expires_at=clock.now() + timedelta(seconds=30))
    await telegram_only.deliver_due()
    # Slack chosen, but unreachable there.
    await dispatcher.set_reachable("slack", "sl-Ana", False)
    await _queue(dispatcher, ana, "Three")
    await telegram_only.deliver_due()

    assert telegram.received == {"tg-Ana": ["📢 One", "📢 Two", "📢 Three"]}


async def test_a_verified_email_links_a_new_account(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    async with dispatcher.sessions() as db:
        ana = await make_participant(db, demo_event.id, clock.now(), email="ana.lopez@example.org")
        await db.commit()
    sender = Sender("U-ANA", "Ana López", None, " Ana.Lopez@Example.ORG ")
    [reply] = await dispatcher.handle(Incoming("slack", "D-ANA", sender, command="notify"))
    assert "reach you on the chat app you used last" in reply.text
    async with dispatcher.sessions() as db:
        identity = (await db.execute(select(ChatIdentity))).scalar_one()
        assert identity.participant_id == ana.id


async def test_an_email_links_only_to_one_participant_and_never_takes_an_account(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    now = clock.now()
    async with dispatcher.sessions() as db:
        event = demo_event.id
        await make_participant(db, event, now, email="twin@example.org")
        await make_participant(db, event, now, email=" TWIN@example.org")
        gone = await make_participant(db, event, now, email="gone@example.org")
        gone.erased_at = now
        bea = await make_participant(db, event, now, email="bea@example.org")
        await make_participant(db, event, now, email="carla@example.org")

        async def account(external_id: str) -> ChatIdentity:
            return await participants.identity_for(db, "slack", Sender(external_id), now)

        assert (
            await participants.link_by_email(db, await account("U1"), event, "twin@example.org")
            is None
        )
        assert (
            await participants.link_by_email(db, await account("U2"), event, "gone@example.org")
            is None
        )
        assert (
            await participants.link_by_email(db, await account("U3"), event, "nobody@example.org")
            is None
        )
        bea_account = await account("U4")
        assert await participants.link_by_email(db, bea_account, event, "BEA@example.org") is bea
        await db.flush()
        # An account already linked stays with its participant.
        assert await participants.link_by_email(db, bea_account, event, "carla@example.org") is None
        # One Slack account per participant, as with invitation codes.
        assert (
            await participants.link_by_email(db, await account("U5"), event, "bea@example.org")
            is None
        )
        await db.commit()

        linked = select(ChatIdentity.external_id, ChatIdentity.participant_id).order_by(
            ChatIdentity.external_id
        )
        assert (await db.execute(linked)).all() == [
            ("U1", None),
            ("U2", None),
            ("U3", None),
            ("U4", bea.id),
            ("U5", None),
        ]
