"""Outbox rows queued by the version before notices were typed (commit 0b06638) still leave,
with the same text, after an upgrade: one row of each kind in the exact shape that version
wrote, inserted raw, delivered by the real worker. A row no notice fits is given up, with its
reason, and the rest still leave."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

import bot
from bot.clock import SimulatedClock
from bot.dispatcher import Dispatcher
from bot.models import (
    ChatIdentity,
    Event,
    MailAttachment,
    MailMessage,
    MailStatus,
    OutboxMessage,
    OutboxStatus,
)
from bot.notice import Notice
from handlers import build_notices
from tests.support.chat import registered
from tests.support.outbox import Inboxes, deliver_all

FIREWALLS = {"en": "Firewalls", "fr": "Pare-feu", "es": "Cortafuegos"}


def _old_rows(clock: SimulatedClock, mail_id: int, mail_key: str, author_id: int) -> list[Any]:
    """(reader, kind, payload) as 0b06638's enqueue calls wrote them."""
    now = clock.now()
    starts = now + timedelta(minutes=15)
    return [
        (
            "Rem",
            "reminder",  # bot/reminders.py payload()
            {
                "session_id": 7,
                "title": {"en": "Opening plenary", "fr": "Plénière d’ouverture"},
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
                "timezone": "America/Mexico_City",
                "venue": {"en": "Main hall", "fr": "Grande salle"},
                "address": "Av. 1",
                "interpretation": ["en", "fr", "es"],
                "minutes": 15,
            },
        ),
        ("Bro", "broadcast", {"texts": {"en": "Buses leave at 8", "fr": "Les bus partent à 8 h"}}),
        (
            "Rep",
            "broadcast_report",
            {"broadcast": 3, "delivered": 1200, "unreachable": 4, "failed": 1},
        ),
        (
            "Pro",  # never queued (an edit in place), but rendered by the same registry
            "broadcast_progress",
            {
                "broadcast": 3,
                "status": "queued",
                "recipients": 3000,
                "pending": 1796,
                "delivered": 1200,
                "unreachable": 4,
                "failed": 0,
                "cancelled": 0,
            },
        ),
        ("Inv", "survey_invitation", {"survey": 2, "title": {"en": "Feedback", "fr": "Avis"}}),
        ("Sur", "survey_reminder", {"survey": 2, "title": {"en": "Feedback", "fr": "Avis"}}),
        ("Mai", "mail", {"mail": mail_id, "key": mail_key, "files": 3}),
        (
            "Chg",
            "programme_change",
            {
                "timezone": "America/Mexico_City",
                "changes": [
                    {
                        "kind": "moved",
                        "key": "s1",
                        "title": {"en": "Workshop A"},
                        "old_start": starts.isoformat(),
                        "new_start": (starts + timedelta(hours=2)).isoformat(),
                        "old_end": (starts + timedelta(hours=1)).isoformat(),
                        "new_end": (starts + timedelta(hours=3)).isoformat(),
                        "old_venue": "Room 1",
                        "new_venue": {"en": "Hall B", "fr": "Salle B"},
                    },
                    {
                        "kind": "removed",
                        "key": "s2",
                        "title": {"en": "Workshop B"},
                        "old_start": starts.isoformat(),
                        "new_start": None,
                        "old_end": None,
                        "new_end": None,
                        "old_venue": None,
                        "new_venue": None,
                    },
                ],
            },
        ),
        ("Tab", "table_promoted", {"act": 2, "table": FIREWALLS, "round": {"en": "Round 1"}}),
        ("Reu", "invitation_reuse", {"platform": "telegram"}),
        ("Pos", "group_post", {"group": FIREWALLS, "author_id": author_id, "text": "Hi <all>"}),
        ("Old", "group_post", {"author": "Olga", "group": FIREWALLS, "text": "Hi"}),  # older
        ("App", "group_request_approved", {"group": FIREWALLS}),
    ]


# What 0b06638 delivered for these rows, as plain text (checked by running the test there).
EXPECTED = {
    "Rem": [
        "⏰ In 15 minutes: Opening plenary\n🕒 Sat, Dec 2, 8:25 – 9:25 AM\n📍 Main hall — Av. 1\n"
        "🎧 Interpretation: English, French, and Spanish\n/s7"
    ],
    "Bro": ["📢 Buses leave at 8"],
    "Rep": ["📊 Broadcast #3 is finished: 1,200 delivered, 4 unreachable, 1 failed."],
    "Pro": [
        "Broadcast #3 — sending\nSent 1,200 of 3,000\nUnreachable: 4 · failed: 0 · waiting: 1,796"
    ],
    "Inv": ["📝 Your opinion counts: please answer the survey “Feedback”. It takes a few minutes."],
    "Sur": ["⏰ A reminder: the survey “Feedback” is waiting for your answers. Thank you!"],
    "Mai": [
        "📬 Mailing list Civil society\nFrom: Olga <olga@example.org>\nSubject: Agenda\n"
        "Date: Sat, Dec 2, 2017, 7:10 AM\n\nHello all\n\n📎 a.pdf (1 KB)"
    ],
    "Chg": [
        "📢 The programme has changed:\n"
        "• Workshop A moved from Sat, Dec 2, 8:25 – 9:25 AM to Sat, Dec 2, 10:25 – 11:25 AM.\n"
        "• Workshop A now takes place at Hall B.\n• Workshop B is cancelled."
    ],
    "Tab": ["🎉 A seat freed up: you now have a seat at Act 2: Firewalls (Round 1)."],
    "Reu": [
        "⚠️ Someone sent me your invitation code from a Telegram account that is not linked to "
        "you. It did not work: your registration stays yours. If it was you, send /link here to "
        "get a code for your other chat app. If it was not you, your code may have been seen by "
        "others: please tell an organiser."
    ],
    "Pos": ["📣 New in Firewalls, from Ana (PICUM):\n\nHi <all>"],
    "Old": ["📣 New in Firewalls, from Olga:\n\nHi"],
    "App": ["✅ Your request to join Firewalls was approved."],
}


async def _person(dispatcher: Dispatcher, name: str) -> int:
    async with dispatcher.sessions() as db:
        query = select(ChatIdentity.participant_id).where(ChatIdentity.external_id == name)
        found = (await db.execute(query)).scalar_one()
        assert found is not None
        return found


async def _insert_raw(dispatcher: Dispatcher, rows: list[tuple[int, str, dict[str, Any]]]) -> None:
    now = dispatcher.clock.now()
    async with dispatcher.sessions() as db:
        await db.execute(
            insert(OutboxMessage),
            [
                {
                    "key": f"old:{number}",
                    "participant_id": person,
                    "kind": kind,
                    "payload": payload,
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "not_before": now,
                    "created_at": now,
                }
                for number, (person, kind, payload) in enumerate(rows)
            ],
        )
        await db.commit()


async def test_rows_queued_by_the_previous_version_leave_with_the_same_text(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock
) -> None:
    await registered(dispatcher, demo_event.id, "Ana", organisation="PICUM")
    key = uuid.uuid4().hex[:16]  # the relay's cache is per process: one message per test
    async with dispatcher.sessions() as db:
        mail = MailMessage(
            event_id=demo_event.id,
            message_key=key,
            message_id=f"<{key}@example.org>",
            list_id="cs.example.org",
            list_name="Civil society",
            sender_name="Olga",
            sender_address="olga@example.org",
            subject="Agenda",
            sent_at=clock.now() - timedelta(hours=1),
            received_at=clock.now(),
            text="Hello all",
            status=MailStatus.RELAYED,
        )
        db.add(mail)
        await db.flush()
        db.add(MailAttachment(mail_id=mail.id, name="a.pdf", content_type="x", size=10, data=b"x"))
        mail_id = mail.id
        await db.commit()
    rows = []
    for reader, kind, payload in _old_rows(clock, mail_id, key, await _person(dispatcher, "Ana")):
        await registered(dispatcher, demo_event.id, reader)
        rows.append((await _person(dispatcher, reader), kind, payload))
    await _insert_raw(dispatcher, rows)

    inboxes = Inboxes()
    assert await deliver_all(dispatcher, inboxes) == len(rows)
    assert {reader: inboxes.received[reader] for reader in EXPECTED} == EXPECTED
    assert inboxes.files["Mai"] == ["a.pdf"]  # the attachment, sent as a file


def test_every_notice_kind_is_registered_once() -> None:
    """A notice defined but not registered would only fail when its first row leaves."""
    for module in pkgutil.walk_packages(bot.__path__, "bot."):
        if not module.name.endswith("__main__"):  # runs the command line
            importlib.import_module(module.name)
    defined: list[type[Notice]] = []
    unseen = list(Notice.__subclasses__())
    while unseen:
        kind = unseen.pop()
        defined.append(kind)
        unseen += kind.__subclasses__()
    assert sorted(build_notices().kinds) == sorted(kind.kind for kind in defined)
    # BroadcastPreview: issue 18, item 2. Issue 20: PollOpened, PollClosed (polls); FloorGiven,
    # FloorNext (the speakers' list); FeedbackAsked; QuestionRejected. Issue 22: PackUpdated,
    # RetentionNotice, Digest.
    assert len(defined) == 22


def test_a_row_read_and_written_again_keeps_its_shape(clock: SimulatedClock) -> None:
    """What this version queues is what the previous one read: a row queued after an upgrade
    can still be sent by a process not yet upgraded (or after going back)."""
    notices = build_notices()
    for reader, kind, payload in _old_rows(clock, 1, "0123abcd", 5):
        encoded = notices.decode(kind, payload).encode()
        if reader == "Bro":  # the shape before `translate`, `urgent` and `at_once`: read as
            # False, written with them (a process not yet upgraded reads past keys it does not
            # know)
            assert encoded == {**payload, "translate": False, "urgent": False, "at_once": False}
        elif reader != "Old":  # the shape before author_id: read, never written
            assert encoded == payload, kind


@pytest.mark.parametrize(
    ("kind", "payload", "reason"),
    [
        ("table_promoted", {"act": "two", "table": FIREWALLS}, "table_promoted.act"),
        ("group_request_approved", ["not", "an", "object"], "not an object"),
        ("a_kind_never_known", {}, "a_kind_never_known"),
    ],
)
async def test_a_row_no_notice_fits_is_given_up_with_its_reason_and_the_rest_leave(
    dispatcher: Dispatcher,
    demo_event: Event,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    payload: Any,
    reason: str,
) -> None:
    await registered(dispatcher, demo_event.id, "Ana")
    await registered(dispatcher, demo_event.id, "Ben")
    ana, ben = await _person(dispatcher, "Ana"), await _person(dispatcher, "Ben")
    await _insert_raw(dispatcher, [(ana, kind, payload), (ben, "invitation_reuse", {})])

    inboxes = Inboxes()
    with caplog.at_level(logging.ERROR, logger="bot.delivery.worker"):
        assert await deliver_all(dispatcher, inboxes) == 2
    assert "Ana" not in inboxes.received and len(inboxes.received["Ben"]) == 1
    async with dispatcher.sessions() as db:
        given_up = (
            await db.execute(select(OutboxMessage).where(OutboxMessage.participant_id == ana))
        ).scalar_one()
    assert given_up.status == OutboxStatus.FAILED
    assert given_up.error is not None and given_up.error.startswith("cannot be read")
    assert reason in given_up.error
    assert any(reason in record.getMessage() for record in caplog.records)
