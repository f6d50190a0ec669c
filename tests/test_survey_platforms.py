"""The survey the same on every platform: answered with Telegram's buttons, results with
charts as photos on Telegram, as uploaded files on Slack, as PNG files from the console."""

from __future__ import annotations

import re
from pathlib import Path

from bot.dispatcher import Dispatcher
from bot.models import Event, Role
from bot.platforms.slack import SlackAdapter
from bot.platforms.telegram import TelegramAdapter
from tests.support.chat import ChatUser, link_to_new_participant, registered
from tests.support.demo import DEMO_FILE
from tests.support.fake_slack import FakeSlack
from tests.support.fake_telegram import FakeTelegram, button_press, text_message, user
from tests.support.slack_requests import slash_command_body
from tests.test_console import _coordbot
from tests.test_slack import signed_post
from tests.test_survey import SURVEY_FILE, answer_all, load_demo_survey

PNG = b"\x89PNG\r\n\x1a\n"


async def answered_by_three(dispatcher: Dispatcher, event: Event) -> ChatUser:
    """The demo survey open, and answered by three participants; returns the organiser."""
    key = await load_demo_survey(dispatcher, event)
    olga = await registered(dispatcher, event.id, "Olga", Role.ORGANISER)
    await olga.send(f"/survey open {key}")
    for number, language in enumerate(("en", "fr", "es")):
        person = await registered(dispatcher, event.id, f"P{number}", language=language)
        await answer_all(person, number + 2, await person.send("/survey"))
    return olga


async def test_on_telegram_buttons_answer_and_results_come_as_photos_with_their_figures(
    fake_telegram: FakeTelegram,
    telegram: TelegramAdapter,
    dispatcher: Dispatcher,
    demo_event: Event,
) -> None:
    await answered_by_three(dispatcher, demo_event)
    amina = ChatUser(dispatcher, external_id="42", platform="telegram")
    await link_to_new_participant(amina, Role.CIVIL_SOCIETY, demo_event.id, name="Amina")
    organiser = ChatUser(dispatcher, external_id="43", platform="telegram")
    await link_to_new_participant(organiser, Role.ORGANISER, demo_event.id, name="Oscar")

    await fake_telegram.push(text_message("/enquete"))
    [first] = await fake_telegram.wait_for("sendMessage")
    assert "question 1 sur" in first.params["text"]  # Amina's Telegram speaks French
    scale = [
        b["callback_data"]
        for row in first.params["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "5"
    ]
    await fake_telegram.push(button_press(scale[0], message_id=int(first.params["chat_id"])))
    [second] = await fake_telegram.wait_for("editMessageText")
    assert "question 2 sur" in second.params["text"]

    await fake_telegram.push(text_message("/results", sender=user(43, "en", "Oscar")))
    photos = await fake_telegram.wait_for("sendPhoto", 7, within=30)
    assert all(call.params["photo"].startswith(PNG) for call in photos)
    assert all(call.params["chat_id"] == "43" for call in photos)
    # A chart and its figures in one message: the caption holds the counts, in HTML.
    overall = photos[0].params
    assert overall["parse_mode"] == "HTML"
    assert "Overall, how useful was the meeting" in overall["caption"]
    assert re.search(r"Mean: \d\.?\d? out of 5", overall["caption"])
    await fake_telegram.messages(lambda call: "Anything else" in call.params.get("text", ""))
    texts = " ".join(fake_telegram.sent_texts())
    assert "finished: 3" in texts, texts


async def test_on_slack_each_chart_is_uploaded_into_the_organisers_direct_messages(
    fake_slack: FakeSlack, slack: SlackAdapter, dispatcher: Dispatcher, demo_event: Event
) -> None:
    await answered_by_three(dispatcher, demo_event)
    fake_slack.add_user("ULUZ", "Luz", locale="es-ES")
    luz = ChatUser(dispatcher, external_id="ULUZ", platform="slack")
    await link_to_new_participant(luz, Role.ORGANISER, demo_event.id, name="Luz")

    assert await signed_post(slack, slash_command_body("resultados", "ULUZ", "DLUZ")) == 200
    done = await fake_slack.wait_for("files.completeUploadExternal", 7, within=30)
    assert {call.params["channel_id"] for call in done} == {"DLUZ"}
    uploaded = [fake_slack.uploads[item["id"]] for call in done for item in call.params["files"]]
    assert len(uploaded) == 7 and all(png.startswith(PNG) for png in uploaded)
    titles = [item["title"] for call in done for item in call.params["files"]]
    assert titles[0].startswith("1. En general, ¿qué tan útil fue la reunión")
    texts = " ".join(str(c.params.get("text")) for c in fake_slack.of("chat.postMessage"))
    assert "Media:" in texts and "respuestas terminadas: 3" in texts


def test_in_the_console_the_survey_is_answered_by_number_and_charts_are_written_to_files(
    tmp_path: Path,
) -> None:
    database = tmp_path / "console.sqlite3"

    assert _coordbot(database, "programme", "load", str(DEMO_FILE)).returncode == 0
    loaded = _coordbot(database, "survey", "load", str(SURVEY_FILE))
    assert loaded.returncode == 0 and "Created survey evaluation" in loaded.stdout
    # Open it, answer by number: 5 (no "why?" then), 3, tick 1 and Done (6), the first option,
    # 4, 2, tick 2 and Done (7), a comment typed; then the results.
    answers = ["5", "3", "1", "6", "1", "4", "2", "2", "7", "Great meeting, thank you"]
    script = "\n".join(["/survey open evaluation", "/survey", *answers, "/results", "/quit"])
    chat = _coordbot(database, "chat", "--as", "organiser", stdin=script + "\n")
    assert chat.returncode == 0, chat.stderr
    assert "Traceback" not in chat.stderr
    assert "question 1 of 8" in chat.stdout and "question 8 of 8" in chat.stdout
    assert "Thank you! Your answers will shape the meeting report" in chat.stdout
    assert "finished: 1" in chat.stdout and "Great meeting, thank you" in chat.stdout
    pictures = [Path(line.rsplit(" → ", 1)[1]) for line in chat.stdout.splitlines() if "📎" in line]
    assert len(pictures) == 7
    assert all(path.read_bytes().startswith(PNG) for path in pictures)
