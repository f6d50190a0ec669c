"""The retention period: each participant is told a week before it ends, in their language, once;
nothing is erased before it ends; after it, no trace of anyone is left in any column of any
table, and the meeting's figures are the same as before."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat import Sender
from bot.clock import SimulatedClock
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.floor import polls
from bot.inbox import store as store_updates
from bot.mail import relay
from bot.models import (
    CheckIn,
    CheckInMethod,
    Event,
    FloorQuestion,
    FloorVote,
    MembershipStatus,
    Participant,
    Role,
    SurveyResponse,
    TableMembership,
)
from bot.models.base import Base
from bot.people import participants, retention
from bot.reports import snapshot
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.demo import MEETING_ZONE
from tests.support.mail import LIST_ID, SETTINGS
from tests.support.outbox import Inboxes, deliver_all
from tests.support.processes import environment, run
from tests.test_floor_polls import POLL, button, last_reply, moderator_of
from tests.test_privacy import seat_and_subscribe
from tests.test_survey import answer_all, load_demo_survey

# Every distinctive string below holds this, so one scan finds any of them.
TOKEN = "purgetoken"
RETENTION_DAYS = 30
NOTICE = {"en": "will be erased on", "fr": "seront effacées le", "es": "se borrarán el"}


def _outside_mail() -> bytes:
    mail = EmailMessage()
    mail["From"] = "Outsider Purgetoken <outsider.purgetoken@example.net>"
    mail["To"] = "actioncommittee@lists.example.org"
    mail["Subject"] = "Our comments, from Outsider Purgetoken"
    mail["Date"] = format_datetime(datetime(2017, 12, 2, 7, 0, tzinfo=UTC))
    mail["Message-ID"] = "<comments-1@lists.example.org>"
    mail["List-Id"] = f"Action Committee <{LIST_ID}>"
    mail.set_content("Dear all,\n\nour comments are attached.\n\nOutsider Purgetoken, +1 555 0100")
    return bytes(mail)


async def _traces(db: AsyncSession) -> list[str]:
    """Every string, JSON and binary value of every table that holds the token: table.column."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [
            column
            for column in table.columns
            if isinstance(getattr(column.type, "impl", column.type), String | JSON | LargeBinary)
        ]
        if not columns:
            continue
        for row in (await db.execute(select(*columns))).all():
            for column, value in zip(columns, row, strict=True):
                if value is None:
                    continue
                if isinstance(value, bytes):
                    shown = value.decode("utf-8", "replace")
                elif isinstance(value, str):
                    shown = value
                else:
                    shown = json.dumps(value, ensure_ascii=False)
                if TOKEN in shown.lower():
                    found.append(f"{table.name}.{column.name}: {shown[:80]}")
    return found


async def _figures(db: AsyncSession, event: Event) -> dict[str, Any]:
    """The meeting's aggregate figures: the snapshot, attendance, the survey's answers, the
    polls' counts, the seats at each table, the floor's questions and votes."""
    seats = await db.execute(
        select(TableMembership.table_id, func.count())
        .where(TableMembership.status == MembershipStatus.SEATED)
        .group_by(TableMembership.table_id)
    )
    answers = (await db.execute(select(SurveyResponse.answers))).scalars()
    return {
        "snapshot": await snapshot.snapshot(db, event),
        "attendance": (await db.execute(select(func.count()).select_from(CheckIn))).scalar_one(),
        "survey": sorted(json.dumps(a, sort_keys=True) for a in answers),
        "polls": [
            (t.counts, t.respondents)
            for t in [await polls.tally(db, p) for p in await polls.polls_of(db, event.id)]
        ],
        "seats": dict(Counter(dict(seats.all()))),
        "questions": (
            await db.execute(select(func.count()).select_from(FloorQuestion))
        ).scalar_one(),
        "votes": (await db.execute(select(func.count()).select_from(FloorVote))).scalar_one(),
    }


async def test_a_week_before_the_end_each_is_told_then_the_purge_leaves_no_trace(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    now = clock.now()
    async with sessions() as db:
        event = await db.get_one(Event, demo_event.id)
        event.retention_days = RETENTION_DAYS
        event.contacts = [{"name": "Contact Purgetoken", "phone": "+52 1 555 0199"}]
        await db.commit()
        end = await retention.period_end(db, event)
    assert end is not None

    # Zoë, in French, on two chat apps; Ana in Spanish; Olga, an organiser, in English.
    zoe = ChatUser(dispatcher, external_id="zoe-purgetoken-chat")
    zoe_id = await link_to_new_participant(
        zoe,
        Role.CIVIL_SOCIETY,
        demo_event.id,
        name="Zoë-Purgetoken",
        email="zoe.purgetoken@example.org",
        organisation="Purgetoken Collective",
        language="fr",
    )
    ana = ChatUser(dispatcher, external_id="ana-purgetoken-chat")
    ana_id = await link_to_new_participant(
        ana,
        Role.CIVIL_SOCIETY,
        demo_event.id,
        name="Ana-Purgetoken",
        email="ana.purgetoken@example.org",
        language="es",
    )
    olga = await registered(dispatcher, demo_event.id, "Olga-Purgetoken", Role.ORGANISER)
    mona = await moderator_of(dispatcher, demo_event, "Mona-Purgetoken", "d1-opening")
    for person in (zoe_id, ana_id):
        await seat_and_subscribe(sessions, person, now)
    async with sessions() as db:
        slack = await participants.identity_for(
            db, "slack", Sender("U-PURGETOKEN-SLACK", "Zoë Purgetoken", "fr"), now
        )
        participants.link(slack, await db.get_one(Participant, zoe_id))
        db.add(
            CheckIn(
                event_id=demo_event.id,
                participant_id=zoe_id,
                day=date(2017, 12, 2),
                method=CheckInMethod.QR_CODE,
                checked_in_by=(
                    await db.execute(
                        select(Participant.id).where(Participant.name == "Olga-Purgetoken")
                    )
                ).scalar_one(),
                checked_in_at=now,
            )
        )
        outcome = await relay.ingest(
            db, await db.get_one(Event, demo_event.id), SETTINGS, _outside_mail(), now
        )
        assert outcome.relayed, outcome
        await db.commit()
    # A raw update from Zoë's account still waiting in the durable inbox.
    update = {"message": {"from": {"id": "zoe-purgetoken-chat"}, "text": "/programme"}}
    await store_updates(sessions, "telegram", [("9001", json.dumps(update))])

    assert "1" in await zoe.send("/post firewalls Purgetoken notes from our table")
    assert "no verá su nombre" in await ana.send("/ask What about funding?")
    survey = await load_demo_survey(dispatcher, demo_event)
    await olga.send(f"/survey open {survey}")
    await answer_all(zoe, 3, await zoe.send("/survey"))
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)  # the survey's invitations, the post
    await mona.send(POLL)
    await deliver_all(dispatcher, inboxes)
    await zoe.press_unseen(button(last_reply(inboxes, zoe), "Climat"))
    clock.advance(timedelta(minutes=4))
    await deliver_all(dispatcher, inboxes)  # the poll closes, its counts kept
    async with sessions() as db:
        assert await _traces(db)  # the scan does see the people before the purge
        before = await _figures(db, await db.get_one(Event, demo_event.id))
    assert before["attendance"] == 1 and before["survey"] and before["questions"] == 1
    assert before["polls"] == [([0, 1, 0], 1)]

    # Eight days before the end: nothing yet. Six days before: one notice each, once.
    clock.set(end - timedelta(days=8))
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    assert not any(NOTICE["fr"] in text for text in inboxes.received[zoe.external_id])
    clock.set(end - timedelta(days=6))
    await deliver_all(dispatcher, inboxes)
    clock.advance(timedelta(hours=1))
    await deliver_all(dispatcher, inboxes)
    expected = {
        zoe.external_id: "fr",
        ana.external_id: "es",
        olga.external_id: "en",
        mona.external_id: "en",
    }
    for account, language in expected.items():
        told = [text for text in inboxes.received[account] if NOTICE[language] in text]
        assert len(told) == 1, (account, inboxes.received[account])
    zoe_told = next(t for t in inboxes.received[zoe.external_id] if NOTICE["fr"] in t)
    assert "/mesdonnees" in zoe_told and "/oublier" in zoe_told
    erased_on = end.astimezone(clock.now().tzinfo).date()
    assert str(erased_on.year) in zoe_told and str(erased_on.day) in zoe_told

    # A minute before the end, the purge does nothing, by hand or by the routine.
    clock.set(end - timedelta(minutes=1))
    await deliver_all(dispatcher, inboxes)
    async with sessions() as db:
        assert await retention.purge_due(db, clock.now()) == []
        assert (await db.get_one(Participant, zoe_id)).name == "Zoë-Purgetoken"
        assert (await db.get_one(Event, demo_event.id)).purged_at is None

    # Once it is over: no trace of anyone, the same figures; a second run changes nothing.
    clock.set(end + timedelta(minutes=1))
    await deliver_all(dispatcher, inboxes)
    async with sessions() as db:
        event = await db.get_one(Event, demo_event.id)
        assert event.purged_at is not None
        assert await _traces(db) == []
        assert await _figures(db, event) == before
        assert await retention.purge_due(db, clock.now()) == []
    assert "not registered" in await zoe.send("/mydata")


async def test_coordbot_purge_dry_run_changes_nothing_then_erases(
    dispatcher: Dispatcher,
    demo_event: Event,
    sessions: SessionFactory,
    database_url: str,
    tmp_path: Path,
) -> None:
    async with sessions() as db:
        (await db.get_one(Event, demo_event.id)).retention_days = 90  # over since 2018
        await db.commit()
    await link_to_new_participant(
        ChatUser(dispatcher, external_id="amir-purgetoken"),
        Role.CIVIL_SOCIETY,
        demo_event.id,
        name="Amir Purgetoken",
        email="amir.purgetoken@example.org",
    )
    env = {**environment(tmp_path / "unused.sqlite3"), "COORDBOT_DATABASE_URL": database_url}

    async with sessions() as db:  # the period runs till 2117: nothing is erased yet
        (await db.get_one(Event, demo_event.id)).retention_days = 36500
        await db.commit()
    code, out, err = await run(env, "purge")
    assert code == 0, err
    assert "The retention period ends on" in out and "2117" in out
    async with sessions() as db:
        (await db.get_one(Event, demo_event.id)).retention_days = 90
        await db.commit()
        assert len(await _traces(db)) == 4

    code, out, err = await run(env, "purge", "--dry-run")
    assert code == 0, err
    assert "Dry run: nothing was erased" in out and "participants erased: 1" in out
    assert "chat accounts: 1" in out
    async with sessions() as db:
        assert len(await _traces(db)) == 4  # name, e-mail, account and its name: untouched

    code, out, err = await run(env, "purge", "--event", "nowhere")
    assert code != 0 and "no event 'nowhere'" in err

    code, out, err = await run(env, "purge")
    assert code == 0, err
    assert "Erased:" in out and "participants erased: 1" in out
    async with sessions() as db:
        assert await _traces(db) == []
        assert (await db.get_one(Event, demo_event.id)).purged_at is not None

    code, out, err = await run(env, "purge")
    assert code == 0, err
    assert "already erased" in out


async def test_told_late_they_still_have_six_days_before_the_routine_erases_them(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    """The bot did not run in the week before the end: the notice leaves late, with a later
    date, and the routine erases nobody before it."""
    async with sessions() as db:
        event = await db.get_one(Event, demo_event.id)
        event.retention_days = RETENTION_DAYS
        await db.commit()
        end = await retention.period_end(db, event)
    assert end is not None
    ana = ChatUser(dispatcher, external_id="ana-late")
    ana_id = await link_to_new_participant(
        ana, Role.CIVIL_SOCIETY, demo_event.id, name="Ana Late", language="es"
    )

    clock.set(end + timedelta(days=2))
    inboxes = Inboxes()
    await deliver_all(dispatcher, inboxes)
    [told] = [text for text in inboxes.received[ana.external_id] if NOTICE["es"] in text]
    erased_on = (clock.now() + retention.MINIMUM_NOTICE).astimezone(MEETING_ZONE)
    assert f"{erased_on.day} de" in told and str(erased_on.year) in told

    clock.advance(retention.MINIMUM_NOTICE - timedelta(minutes=1))
    await deliver_all(dispatcher, inboxes)
    async with sessions() as db:
        assert (await db.get_one(Participant, ana_id)).name == "Ana Late"
    clock.advance(timedelta(hours=1))
    await deliver_all(dispatcher, inboxes)
    async with sessions() as db:
        assert (await db.get_one(Participant, ana_id)).erased_at is not None
