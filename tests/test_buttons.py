"""Buttons: the data already on people's screens still works, every button's data fits in the
64 bytes Telegram keeps, organisers' buttons and forms are refused to anyone else, and what a
command needs (a programme, a registration) is answered once, by the router."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.buttons import LIMIT, Button, ButtonError
from bot.chat import Document, Form, Image, Incoming, Reply, Sender
from bot.clock import SimulatedClock
from bot.context import EVENT, PARTICIPANT
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.floor.speakers import Rule
from bot.mail.service import MailService
from bot.models import Event, Role, TableRound
from bot.programme.load import load_programme
from bot.reminders import OFFSETS
from bot.survey import flow
from bot.text.i18n import LANGUAGES
from bot.text.numbers import MAX_NUMBER
from bot.translation.reading import CHECK
from handlers import build_router
from handlers import floor_questions as fq
from handlers.account import LanguageButton
from handlers.agenda import AgendaButton
from handlers.broadcast import BroadcastButton
from handlers.checkin import CheckInButton, UndoCheckInButton
from handlers.floor_feedback import CommentButton, FeedbackButton
from handlers.floor_polls import PollAnswerButton, PollDoneButton, PollModeratorButton
from handlers.floor_speakers import (
    FloorAskButton,
    FloorCallButton,
    FloorCancelButton,
    FloorQueueButton,
    FloorRuleButton,
)
from handlers.groups import ProposalButton, RequestButton, SubscribeButton, UnsubscribeButton
from handlers.lite import FilesButton, LiteButton
from handlers.mail import (
    MailAgainButton,
    MailAgainYesButton,
    MailCancelButton,
    MailOriginalButton,
    MailReadButton,
    MailSetButton,
)
from handlers.notify import PLATFORM_NAMES, NotifyButton
from handlers.privacy import ForgetButton
from handlers.reminders import RemindButton
from handlers.survey import SurveyButton
from handlers.tables import JoinButton, LeaveButton, MoveButton, StayButton, TablesButton
from handlers.translation import OriginalButton, TranslateButton
from tests.support.chat import ChatUser, registered
from tests.support.demo import MEETING_ZONE, demo_spec
from tests.support.mail import port_of
from tests.support.outbox import Inboxes, deliver_all
from tests.test_mail_relay import list_mail, send
from tests.test_numbers import database_rows
from tests.test_survey import load_demo_survey

# Data exactly as the bot wrote it before buttons were typed (commit 0b06638), one or more per
# kind, with the value each stands for.
WRITTEN_BEFORE: list[tuple[str, Button]] = [
    ("lang:fr", LanguageButton("fr")),
    ("agenda:2017-12-02:2", AgendaButton("2017-12-02", 2)),
    ("forget:yes", ForgetButton("yes")),
    ("forget:no", ForgetButton("no")),
    ("tables:7", TablesButton(7)),
    ("join:7:3", JoinButton(7, 3)),
    ("move:12", MoveButton(12)),
    ("stay:", StayButton()),
    ("leave:7", LeaveButton(7)),
    ("subscribe:4", SubscribeButton(4)),
    ("unsubscribe:4", UnsubscribeButton(4)),
    ("request:yes:9", RequestButton("yes", 9)),
    ("request:no:9", RequestButton("no", 9)),
    ("proposal:yes:9", ProposalButton("yes", 9)),
    ("proposal:no:9", ProposalButton("no", 9)),
    ("remind:15", RemindButton("15")),
    ("remind:off", RemindButton("off")),
    ("notify:telegram", NotifyButton("telegram")),
    ("notify:auto", NotifyButton("auto")),
    ("translate:off", TranslateButton("off")),
    ("original:7:0123abcd", OriginalButton(7, "0123abcd")),
    ("broadcast:send:5", BroadcastButton("send", "5")),
    ("broadcast:cancel:5", BroadcastButton("cancel", "5")),
    ("broadcast:status:5", BroadcastButton("status", "5")),
    ("broadcast:atonce:5", BroadcastButton("atonce", "5")),
    ("lite:on", LiteButton("on")),
    ("files:123", FilesButton(123)),
    ("survey:go:3", SurveyButton("go", 3)),
    ("survey:b:3", SurveyButton("b", 3)),
    ("survey:a:3:0:5", SurveyButton("a", 3, 0, "5")),
    ("survey:t:3:4:0", SurveyButton("t", 3, 4, "0")),
    ("survey:d:3:4", SurveyButton("d", 3, 4)),
    ("survey:s:3:1", SurveyButton("s", 3, 1)),
    ("mail:set:on", MailSetButton("on")),
    ("mail:read:8", MailReadButton(8)),
    ("mail:original:8", MailOriginalButton(8)),
    ("mail:cancel:8", MailCancelButton(8)),
    ("mail:again:8", MailAgainButton(8)),
    ("mail:again-yes:8", MailAgainYesButton(8)),
    ("poll:a:12:3", PollAnswerButton(12, 3)),
    ("poll:d:12", PollDoneButton(12)),
    ("poll:m:12:close", PollModeratorButton(12, "close")),
    ("poll:m:12:results", PollModeratorButton(12, "results")),
    ("floor:ask:5", FloorAskButton(5)),
    ("floor:cancel:5", FloorCancelButton(5)),
    ("floor:queue:5", FloorQueueButton(5)),
    ("floor:call:5:12", FloorCallButton(5, 12)),
    ("floor:rule:5:first_time", FloorRuleButton(5, "first_time")),
    ("feedback:12:4", FeedbackButton(12, 4)),
    ("fbcomment:12", CommentButton(12)),
    ("fq:room:4", fq.RoomButton(4)),
    ("fq:vote:12", fq.VoteButton(12)),
    ("fq:orig:12", fq.OriginalQuestionButton(12)),
    ("fq:named:12", fq.NamedButton(12)),
    ("fq:move:12:5", fq.MoveButton(12, 5)),
    ("fq:mod:4", fq.ModerateButton(4)),
    ("fq:ok:12", fq.ApproveButton(12)),
    ("fq:done:12", fq.AnsweredButton(12)),
    ("fq:merge:12", fq.MergeButton(12)),
    ("fq:merge:12:9", fq.MergeButton(12, 9)),
    ("fq:no:12", fq.RejectButton(12)),
    ("fq:no:12:topic", fq.RejectButton(12, "topic")),
    ("fq:voice:12", fq.VoiceButton(12)),
    ("checkin:12", CheckInButton(12)),
    ("uncheckin:12", UndoCheckInButton(12)),
]

# The longest data of each kind: the largest ids, the longest words a field may hold.
LONGEST_WORD = str(MAX_NUMBER)
LONGEST: list[Button] = [
    LanguageButton(max(LANGUAGES, key=len)),
    AgendaButton(date.max.isoformat(), MAX_NUMBER),
    ForgetButton("yes"),
    TablesButton(MAX_NUMBER),
    JoinButton(MAX_NUMBER, MAX_NUMBER),
    MoveButton(MAX_NUMBER),
    StayButton(),
    LeaveButton(MAX_NUMBER),
    SubscribeButton(MAX_NUMBER),
    UnsubscribeButton(MAX_NUMBER),
    RequestButton("yes", MAX_NUMBER),
    ProposalButton("yes", MAX_NUMBER),
    RemindButton(max([*map(str, OFFSETS), "off"], key=len)),
    NotifyButton(max([*PLATFORM_NAMES, "auto"], key=len)),
    TranslateButton("off"),
    OriginalButton(MAX_NUMBER, "f" * CHECK),
    BroadcastButton("cancel", LONGEST_WORD),
    BroadcastButton("status", LONGEST_WORD),
    BroadcastButton("atonce", LONGEST_WORD),
    LiteButton("off"),
    FilesButton(MAX_NUMBER),
    SurveyButton("a", MAX_NUMBER, MAX_NUMBER, max([*flow.SCALE, LONGEST_WORD], key=len)),
    SurveyButton("t", MAX_NUMBER, MAX_NUMBER, LONGEST_WORD),
    MailSetButton("off"),
    MailReadButton(MAX_NUMBER),
    MailOriginalButton(MAX_NUMBER),
    MailCancelButton(MAX_NUMBER),
    MailAgainButton(MAX_NUMBER),
    MailAgainYesButton(MAX_NUMBER),
    PollAnswerButton(MAX_NUMBER, MAX_NUMBER),
    PollDoneButton(MAX_NUMBER),
    PollModeratorButton(MAX_NUMBER, "results"),
    FloorAskButton(MAX_NUMBER),
    FloorCancelButton(MAX_NUMBER),
    FloorQueueButton(MAX_NUMBER),
    FloorCallButton(MAX_NUMBER, MAX_NUMBER),
    FloorRuleButton(MAX_NUMBER, max(Rule, key=len)),
    FeedbackButton(MAX_NUMBER, MAX_NUMBER),
    CommentButton(MAX_NUMBER),
    fq.RoomButton(MAX_NUMBER),
    fq.VoteButton(MAX_NUMBER),
    fq.OriginalQuestionButton(MAX_NUMBER),
    fq.NamedButton(MAX_NUMBER),
    fq.MoveButton(MAX_NUMBER, MAX_NUMBER),
    fq.ModerateButton(MAX_NUMBER),
    fq.ApproveButton(MAX_NUMBER),
    fq.AnsweredButton(MAX_NUMBER),
    fq.MergeButton(MAX_NUMBER, MAX_NUMBER),
    fq.RejectButton(MAX_NUMBER, max(fq.REASONS, key=len)),
    fq.VoiceButton(MAX_NUMBER),
    CheckInButton(MAX_NUMBER),
    UndoCheckInButton(MAX_NUMBER),
]

# The demo's reference groups take no new members without approval after this.
AFTER_DEADLINE = datetime(2018, 1, 6, 9, 0, tzinfo=MEETING_ZONE)


@pytest.mark.parametrize(("data", "button"), WRITTEN_BEFORE, ids=[d for d, _b in WRITTEN_BEFORE])
def test_data_written_before_reads_as_the_same_button_and_is_written_the_same(
    data: str, button: Button
) -> None:
    assert type(button).unpack(data) == button
    assert button.pack() == data


def test_every_kind_of_button_has_data_written_before_and_a_longest_case() -> None:
    kinds = set(build_router().buttons)
    assert {type(button) for _data, button in WRITTEN_BEFORE} == kinds
    assert {type(button) for button in LONGEST} == kinds


@pytest.mark.parametrize("button", LONGEST, ids=[b.pack() for b in LONGEST])
def test_the_longest_data_of_each_button_fits_in_telegrams_64_bytes(button: Button) -> None:
    data = button.pack()
    assert len(data.encode("utf-8")) <= LIMIT == 64
    assert type(button).unpack(data) == button


def test_data_that_would_not_fit_or_not_read_back_is_refused_when_packed() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        NotifyButton("é" * 30).pack()  # 30 characters, 60 bytes, + "notify:"
    with pytest.raises(ValueError, match="does not pack"):
        JoinButton(-1, 3).pack()  # a number the reader would not take
    with pytest.raises(ValueError, match="reads back"):
        BroadcastButton("send:5", "6").pack()  # a colon inside a field that is not the last
    with pytest.raises(ButtonError):
        JoinButton.unpack("join:7")
    with pytest.raises(ButtonError):
        JoinButton.unpack("joint:7:3")


@pytest.fixture
async def round_id(dispatcher: Dispatcher, demo_event: Event) -> int:
    async with dispatcher.sessions() as db:
        found = await db.scalar(
            select(TableRound.id).where(
                TableRound.key == "d2-tables", TableRound.event_id == demo_event.id
            )
        )
    assert found is not None
    return found


async def _press(user: ChatUser, data: str) -> str:
    return await user.press_unseen(data, message_id="m1")


async def test_buttons_written_before_still_act(
    dispatcher: Dispatcher, demo_event: Event, round_id: int
) -> None:
    ana = await registered(dispatcher, demo_event.id, "Ana")
    assert "You have a seat at Act 3" in await _press(ana, f"join:{round_id}:3")
    assert "Act 3" in await _press(ana, f"tables:{round_id}")
    assert "You have left Act 3" in await _press(ana, f"leave:{round_id}")
    assert "keep your seat" in await _press(ana, "stay:")
    assert "15 minutes" in await _press(ana, "remind:15")
    assert "chat app you used last" in await _press(ana, "notify:auto")
    assert "Nothing was erased" in await _press(ana, "forget:no")
    assert "Friday, December 1, 2017" in await _press(ana, "agenda:2017-12-01:1")
    assert "je vous écris en français" in await _press(ana, "lang:fr")


async def _pending_organiser_buttons(
    dispatcher: Dispatcher, demo_event: Event, clock: SimulatedClock, receiver: MailService
) -> tuple[ChatUser, ChatUser, dict[str, str]]:
    """An organiser, a delegate, and the data of each organiser button that would change
    something if pressed, with the command its refusal names."""
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    ana = await registered(dispatcher, demo_event.id, "Ana")
    await asyncio.to_thread(send, port_of(receiver), list_mail())
    await deliver_all(dispatcher, Inboxes())
    clock.set(AFTER_DEADLINE)
    assert "⏳" in await ana.send("/subscribe firewalls")
    assert "Thank you" in await ana.send("/propose Climate mobility")
    pressed: dict[str, str] = {}
    await olga.send("/requests")
    pressed[_data(olga, "✅")] = "requests"
    pressed[_data(olga, "✖")] = "requests"
    await olga.send("/proposals")
    pressed[_data(olga, "✅")] = "proposals"
    await olga.send("/broadcast role government\nEN: The buses leave at 8:45.")
    pressed[_data(olga, "Send")] = "broadcast"
    pressed[_data(olga, "Cancel")] = "broadcast"
    await olga.send("/lists")
    pressed[_data(olga, "Re-send")] = "lists"
    await olga.press("Re-send")
    pressed[_data(olga, "Yes, send it again")] = "lists"
    return olga, ana, pressed


def _data(user: ChatUser, label: str) -> str:
    [data] = [choice.data for choice in user.choices if label in choice.label]
    return data


async def test_a_non_organiser_pressing_an_organisers_button_is_refused_and_nothing_changes(
    dispatcher: Dispatcher,
    demo_event: Event,
    clock: SimulatedClock,
    receiver: MailService,
    sessions: SessionFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    olga, ana, pressed = await _pending_organiser_buttons(dispatcher, demo_event, clock, receiver)
    before = await database_rows(sessions)
    for data, command in pressed.items():
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="bot.router"):
            assert await _press(ana, data) == f"Only organisers can use /{command}.", data
        assert [r.getMessage() for r in caplog.records if "refused" in r.getMessage()], data
    assert await database_rows(sessions) == before
    # The same data, pressed by the organiser, does act: the refusal was the role's.
    assert "Ana joins Firewalls" in await _press(olga, next(iter(pressed)))
    assert await database_rows(sessions) != before


async def test_a_non_organiser_submitting_the_broadcast_form_is_refused_and_nothing_changes(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    ana = await registered(dispatcher, demo_event.id, "Ana")
    values = (("audience", "everyone"), ("en", "The buses leave at 8:45."))

    async def submit(user: ChatUser) -> str:
        sender = Sender(user.external_id, user.external_id, None)
        incoming = Incoming("test", user.external_id, sender, form="broadcast", values=values)
        return await user.handle(incoming)

    before = await database_rows(sessions)
    assert await submit(ana) == "Only organisers can use /broadcast."
    assert await database_rows(sessions) == before
    assert "preview" in await submit(olga)


async def test_what_a_command_needs_is_answered_once_by_the_router(
    dispatcher: Dispatcher, sessions: SessionFactory, clock: SimulatedClock
) -> None:
    """Every command that needs a programme says there is none; then, with a programme, every
    command that needs a registration says so to a guest, in the reader's language."""
    router = build_router()
    needing = {
        name: command.needs
        for name, command in router.commands.items()
        if command.needs in (EVENT, PARTICIPANT) and not command.organisers_only
    }
    assert {"agenda", "tables", "join", "survey", "lists", "remind"} <= set(needing)
    guest = ChatUser(dispatcher, external_id="guest", language_code="fr")
    for name in needing:
        assert "Aucun programme n’a encore été publié" in await guest.send(f"/{name}"), name
    async with sessions() as db:
        await load_programme(db, demo_spec(), clock.now())
        await db.commit()
    for name, need in needing.items():
        reply = await guest.send(f"/{name}")
        if need is PARTICIPANT:
            assert reply.startswith("Seules les personnes inscrites peuvent faire cela."), name
        else:
            assert "Aucun programme" not in reply, name


async def test_a_button_needing_a_registration_pressed_by_a_guest_is_stale(
    dispatcher: Dispatcher, demo_event: Event, round_id: int
) -> None:
    guest = ChatUser(dispatcher, external_id="guest")
    for data in (f"join:{round_id}:3", "remind:15", "notify:auto", "mail:set:on", "survey:go:1"):
        assert "This button no longer works" in await _press(guest, data), data


def test_an_edited_reply_keeps_its_pictures_documents_and_form() -> None:
    reply = Reply(
        "text",
        images=(Image(b"png", "a chart", "chart.png"),),
        documents=(Document(b"pdf", "minutes.pdf"),),
        form=Form("broadcast", "title", "submit", ()),
    )
    assert reply.edited() == Reply(
        "text", edit=True, images=reply.images, documents=reply.documents, form=reply.form
    )


async def test_a_non_organiser_using_an_organisers_subcommand_is_refused_and_nothing_changes(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory
) -> None:
    olga = await registered(dispatcher, demo_event.id, "Olga", Role.ORGANISER)
    ana = await registered(dispatcher, demo_event.id, "Ana", language="es")
    key = await load_demo_survey(dispatcher, demo_event)
    await ana.send("/ayuda")  # the account takes the display name it chats under
    before = await database_rows(sessions)
    for words in (f"open {key}", f"abrir {key}", f"close {key}", "status", "estado"):
        refused = f"Solo el equipo organizador puede usar /survey {words.split()[0]}."
        assert await ana.send(f"/encuesta {words}") == refused, words
    assert await database_rows(sessions) == before
    assert "No hay ninguna encuesta abierta" in await ana.send("/encuesta")  # still everyone's
    assert "is open" in await olga.send(f"/survey open {key}")
