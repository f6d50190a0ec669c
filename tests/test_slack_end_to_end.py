"""`coordbot run` serving Telegram and Slack at once, as a real process: an organiser composes a
broadcast in a Slack modal, and it reaches a delegate on Telegram in French and one on Slack in
Spanish."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from sqlalchemy import select

from bot.db import create_engine, session_factory
from bot.models import ChatIdentity, Event, Role
from tests.support.demo import DEMO_FILE
from tests.support.factories import make_participant
from tests.support.fake_slack import FakeSlack, button_value
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_translation import LIBRE_KEY, FakeLibreTranslate
from tests.support.processes import environment, free_port, run, start, stop
from tests.support.slack_requests import (
    block_action_body,
    event_body,
    message_im_event,
    selected,
    signed_headers,
    slash_command_body,
    view_submission_body,
)
from tests.support.slack_workspace import BOT_TOKEN, SIGNING_SECRET
from tests.support.waiting import eventually


async def register_people(database: Path) -> None:
    """An organiser and a delegate known by their e-mails (their Slack accounts are linked by
    it), and a French-reading delegate who already uses Telegram."""
    engine = create_engine(f"sqlite:///{database}")
    async with session_factory(engine)() as db:
        event = (await db.execute(select(Event))).scalar_one()
        now = event.loaded_at
        await make_participant(
            db, event.id, now, role=Role.ORGANISER, name="Olga", email="olga@example.org"
        )
        await make_participant(
            db, event.id, now, name="Luis", email="luis@example.org", language="es"
        )
        ana = await make_participant(db, event.id, now, name="Ana", language="fr")
        db.add(
            ChatIdentity(
                platform="telegram",
                external_id="42",
                participant_id=ana.id,
                created_at=now,
                last_seen_at=now,
            )
        )
        await db.commit()
    await engine.dispose()


async def _meeting(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_slack: FakeSlack, **settings: str
) -> dict[str, str]:
    """The environment of a `coordbot run` serving Telegram and Slack (over HTTP, on a port of
    its own) for the demo meeting with its people registered; `settings` added to it."""
    database = tmp_path / "coordbot.sqlite3"
    env = environment(database, fake_telegram.url) | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url + "/api/",
        "SLACK_PORT": str(free_port()),
        **settings,
    }
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    await register_people(database)
    fake_slack.add_user("UOLGA", "Olga", email="olga@example.org", locale="en-GB")
    fake_slack.add_user("ULUIS", "Luis", email="luis@example.org", locale="en-US")
    return env


def _poster(env: dict[str, str]) -> Callable[[str], Awaitable[None]]:
    """Posts a signed request to the bot's Slack endpoint, once the bot listens."""
    url = f"http://127.0.0.1:{env['SLACK_PORT']}/slack/events"

    async def post(body: str) -> None:
        async with aiohttp.ClientSession() as client:

            async def accepted() -> bool:
                try:
                    async with client.post(url, data=body, headers=signed_headers(body)) as r:
                        assert r.status == 200
                        return True
                except aiohttp.ClientConnectionError:
                    return False  # the bot does not listen yet

            await eventually(accepted, within=20, what="the bot listening on Slack's port")

    return post


async def test_a_broadcast_composed_in_a_slack_modal_reaches_telegram_and_slack(
    fake_telegram: FakeTelegram, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    env = await _meeting(tmp_path, fake_telegram, fake_slack)
    post = _poster(env)

    bot = await start(env, "--verbose", "run", "--at", "2017-12-02 08:10")
    try:
        await fake_telegram.wait_for("getMe", within=30)
        # Luis writes to the bot once: his Slack account is linked by its e-mail.
        await post(event_body(message_im_event("agenda", user="ULUIS", channel="DLUIS"), "Ev1"))
        await fake_slack.messages(lambda c: c.params.get("channel") == "DLUIS", within=30)

        await post(slash_command_body("broadcast", user_id="UOLGA", channel_id="C0001"))
        [opened] = await fake_slack.wait_for("views.open", within=30)
        modal = opened.params["view"]
        options = modal["blocks"][0]["element"]["options"]
        assert {"everyone", "role civil_society", "language fr"} <= {o["value"] for o in options}
        values = {
            "audience": selected("role civil_society"),
            "en": "The buses leave at 8:45.",
            "fr": "Les bus partent à 8 h 45.",
            "es": "Los autobuses salen a las 8:45.",
            "at": None,
        }
        await post(
            view_submission_body("form:broadcast", values, "UOLGA", modal["private_metadata"])
        )
        preview = (
            await fake_slack.messages(
                lambda c: "Recipients: 2" in str(c.params.get("text")), within=30
            )
        )[0]
        send = button_value(preview, "broadcast:send:")
        await post(
            block_action_body(
                "choice-0-0", send, "UOLGA", preview.params["channel"], "1700000000.000100"
            )
        )

        [french] = await fake_telegram.messages(
            lambda c: c.method == "sendMessage" and c.params.get("chat_id") == "42", within=30
        )
        assert french.params["text"] == "📢 Les bus partent à 8 h 45."
        [spanish] = await fake_slack.messages(
            lambda c: c.params.get("channel") == "DLUIS" and "autobuses" in str(c.params["text"]),
            within=30,
        )
        assert spanish.params["text"] == "📢 Los autobuses salen a las 8:45."
        progress = await fake_slack.messages(
            lambda c: c.method == "chat.update" and "Sent 2 of 2" in str(c.params.get("text")),
            within=30,
        )
        assert progress[-1].params["ts"] == "1700000000.000100"
    finally:
        log = await stop(bot)
    assert BOT_TOKEN not in log and SIGNING_SECRET not in log


async def test_a_broadcast_in_english_only_reaches_a_spanish_reader_on_slack_translated(
    fake_telegram: FakeTelegram,
    fake_slack: FakeSlack,
    fake_libretranslate: FakeLibreTranslate,
    tmp_path: Path,
) -> None:
    """With TRANSLATE_URL: the organiser writes English only; the preview, then the notice that
    follows it, show the Spanish translation; after "Send", Luis on Slack reads it in Spanish
    with the line and the "Ver el original" button."""
    env = await _meeting(
        tmp_path,
        fake_telegram,
        fake_slack,
        TRANSLATE_URL=fake_libretranslate.url,
        TRANSLATE_API_KEY=LIBRE_KEY,
    )
    post = _poster(env)

    english = "The buses leave for the meeting at 8:45 tomorrow."
    bot = await start(env, "--verbose", "run", "--at", "2017-12-02 08:10")
    try:
        await fake_telegram.wait_for("getMe", within=30)
        await post(event_body(message_im_event("agenda", user="ULUIS", channel="DLUIS"), "Ev1"))
        await fake_slack.messages(lambda c: c.params.get("channel") == "DLUIS", within=30)

        await post(slash_command_body("broadcast", user_id="UOLGA", channel_id="C0001"))
        [opened] = await fake_slack.wait_for("views.open", within=30)
        modal = opened.params["view"]
        values = {
            "audience": selected("role civil_society"),
            "en": english,
            "fr": "Les bus partent pour la réunion à 8 h 45 demain.",
            "es": None,
            "at": None,
        }
        await post(
            view_submission_body("form:broadcast", values, "UOLGA", modal["private_metadata"])
        )
        [preview] = await fake_slack.messages(
            lambda c: "Recipients: 2" in str(c.params.get("text")), within=30
        )
        assert "an automatic translation of the English text" in preview.params["text"]
        [shown] = await fake_slack.messages(
            lambda c: "automatic translations" in str(c.params.get("text")), within=30
        )
        assert f"[es] {english}" in shown.params["text"]
        send = button_value(shown, "broadcast:send:")
        await post(
            block_action_body(
                "choice-0-0", send, "UOLGA", shown.params["channel"], "1700000000.000200"
            )
        )

        [spanish] = await fake_slack.messages(
            lambda c: c.params.get("channel") == "DLUIS" and "[es]" in str(c.params["text"]),
            within=30,
        )
        assert spanish.params["text"].startswith(f"📢 [es] {english}")
        assert "Traducción automática del inglés · Ver el original" in spanish.params["text"]
        assert button_value(spanish, "original:")
        [french] = await fake_telegram.messages(
            lambda c: c.method == "sendMessage" and c.params.get("chat_id") == "42", within=30
        )
        assert french.params["text"] == "📢 Les bus partent pour la réunion à 8 h 45 demain."
    finally:
        log = await stop(bot)
    assert LIBRE_KEY not in log
