"""The fake WhatsApp Cloud API, talked to with plain aiohttp: it is as strict as Meta documents
its platform, so a bot that passes against it follows Meta's rules."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.clock import SimulatedClock
from bot.platforms.whatsapp_settings import TEMPLATES_FILE
from bot.platforms.whatsapp_templates import load
from tests.support.fake_whatsapp import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    FakeWhatsApp,
)

AMINA = "5213312345678"
LUCIA = "34612345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


class StandInBot:
    """What the bot's webhook does, and no more: Meta's subscription check, and every POST's
    signature checked over the raw bytes with the app secret (401 when it does not match)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/whatsapp", self._verify)
        app.router.add_post("/whatsapp", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/whatsapp"

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _verify(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("hub.mode") == "subscribe" and query.get("hub.verify_token") == VERIFY_TOKEN:
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403)

    async def _receive(self, request: web.Request) -> web.Response:
        raw = await request.read()
        expected = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        given = request.headers.get("X-Hub-Signature-256", "")
        if not hmac.compare_digest(given, expected):
            return web.Response(status=401)
        self.bodies.append(json.loads(raw))
        return web.Response(text="ok")


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))


@pytest.fixture
async def bot() -> AsyncIterator[StandInBot]:
    stand_in = StandInBot()
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def fake(clock: SimulatedClock, bot: StandInBot) -> AsyncIterator[FakeWhatsApp]:
    server = FakeWhatsApp(clock=clock.now, templates=load(TEMPLATES_FILE), pair_interval=0.2)
    await server.start()
    server.webhook_url = bot.url
    yield server
    await server.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def send(
    http: aiohttp.ClientSession,
    fake: FakeWhatsApp,
    message: dict[str, Any],
    to: str = AMINA,
    token: str | None = ACCESS_TOKEN,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> tuple[int, dict[str, Any]]:
    """POSTs a message as the bot would; Meta's HTTP status and JSON answer."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}
    url = f"{fake.url}/v23.0/{phone_number_id}/messages"
    async with http.post(url, json=body, headers=headers) as response:
        return response.status, await response.json()


def text(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": body}}


def buttons(*titles: str, ids: list[str] | None = None) -> dict[str, Any]:
    ids = ids or [f"b{n}" for n in range(len(titles))]
    replies = [
        {"type": "reply", "reply": {"id": id_, "title": title}}
        for id_, title in zip(ids, titles, strict=True)
    ]
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Which session?"},
            "action": {"buttons": replies},
        },
    }


def rows_list(*sections: list[str], titled: bool = True) -> dict[str, Any]:
    built = [
        {
            **({"title": f"Day {n + 1}"} if titled else {}),
            "rows": [{"id": f"{n}-{title}", "title": title} for title in rows],
        }
        for n, rows in enumerate(sections)
    ]
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "The programme"},
            "action": {"button": "Sessions", "sections": built},
        },
    }


def template(
    *parameters: str, name: str = "coordbot_reminder", language: str = "en"
) -> dict[str, Any]:
    components = [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}]
    return {
        "type": "template",
        "template": {"name": name, "language": {"code": language}, "components": components},
    }


def code(answer: dict[str, Any]) -> int:
    return int(answer["error"]["code"])


# Access


async def test_a_wrong_or_missing_token_is_refused_with_401_and_code_190(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    for token in ("EAAG-someone-elses-token", None):
        status, answer = await send(http, fake, text("hello"), token=token)
        assert (status, code(answer)) == (401, 190)
        assert answer["error"]["type"] == "OAuthException"
    assert fake.accepted == []


async def test_another_phone_number_id_is_refused_with_code_100(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    status, answer = await send(http, fake, text("hello"), phone_number_id="999999999")
    assert (status, code(answer)) == (400, 100)


# The 24-hour window


async def test_free_form_needs_the_person_to_have_written_within_24_hours(
    fake: FakeWhatsApp, http: aiohttp.ClientSession, bot: StandInBot, clock: SimulatedClock
) -> None:
    status, answer = await send(http, fake, text("Welcome"))
    assert (status, code(answer)) == (400, 131047)
    assert "24 hours" in answer["error"]["error_data"]["details"]

    wamid, bot_status = await fake.send_text(AMINA, "hola")
    assert (
        bot_status == 200
        and bot.bodies[-1]["entry"][0]["changes"][0]["value"]["messages"][0]["id"] == wamid
    )
    status, answer = await send(http, fake, text("Welcome"))
    assert status == 200
    assert answer["contacts"] == [{"input": AMINA, "wa_id": AMINA}]
    assert answer["messages"][0]["id"].startswith("wamid.")

    clock.advance(timedelta(hours=24, seconds=1))
    status, answer = await send(http, fake, text("Still there?"))
    assert (status, code(answer)) == (400, 131047)
    assert fake.texts_to(AMINA) == ["Welcome"]


async def test_an_approved_template_goes_outside_the_window_and_reads_filled_in(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    status, answer = await send(http, fake, template("Plénière dans 15 minutes", language="fr"))
    assert status == 200, answer
    assert fake.texts_to(AMINA) == [
        "Rappel de la réunion\u00a0: Plénière dans 15 minutes\n\n"
        "Répondez /programme pour voir votre programme."
    ]


# Templates


async def test_an_unknown_template_or_language_is_refused_with_132001(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    for message in (template("x", name="coordbot_other"), template("x", language="de")):
        status, answer = await send(http, fake, message)
        assert (status, code(answer)) == (400, 132001)


async def test_a_wrong_number_of_template_parameters_is_refused_with_132000(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    for parameters in ((), ("one", "two")):
        status, answer = await send(http, fake, template(*parameters))
        assert (status, code(answer)) == (400, 132000)


async def test_a_newline_tab_or_five_spaces_in_a_parameter_is_refused_with_132018(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    for parameter in ("Room A\nat 9", "Room A\tat 9", "Room A     at 9"):
        status, answer = await send(http, fake, template(parameter))
        assert (status, code(answer)) == (400, 132018)
    status, _ = await send(http, fake, template("Room A    at 9"))  # four spaces are allowed
    assert status == 200


async def test_a_body_over_1024_characters_once_filled_is_refused_with_132005(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    status, answer = await send(http, fake, template("x" * 1000))
    assert (status, code(answer)) == (400, 132005)


# Texts and interactive messages


async def test_a_text_must_hold_1_to_4096_characters(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    await fake.send_text(AMINA, "hi")
    for body in ("x" * 4097, ""):
        status, answer = await send(http, fake, text(body))
        assert (status, code(answer)) == (400, 100)
    status, _ = await send(http, fake, text("x" * 4096))
    assert status == 200


async def test_four_buttons_are_refused_with_131009(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    await fake.send_text(AMINA, "hi")
    status, answer = await send(http, fake, buttons("A", "B", "C", "D"))
    assert (status, code(answer)) == (400, 131009)
    status, _ = await send(http, fake, buttons("A", "B", "C"))
    assert status == 200


async def test_a_button_title_of_21_characters_or_twice_the_same_is_refused(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    await fake.send_text(AMINA, "hi")
    for message in (
        buttons("x" * 21),
        buttons("Yes", "Yes"),
        buttons("Yes", "No", ids=["same", "same"]),
        buttons("Yes", ids=["i" * 257]),
    ):
        status, answer = await send(http, fake, message)
        assert (status, code(answer)) == (400, 131009)
    status, _ = await send(http, fake, buttons("x" * 20))
    assert status == 200


async def test_eleven_list_rows_are_refused_with_131009(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    await fake.send_text(AMINA, "hi")
    status, answer = await send(
        http, fake, rows_list([f"S{n}" for n in range(6)], [f"T{n}" for n in range(5)])
    )
    assert (status, code(answer)) == (400, 131009)
    status, _ = await send(
        http, fake, rows_list([f"S{n}" for n in range(5)], [f"T{n}" for n in range(5)])
    )
    assert status == 200


async def test_list_rows_and_sections_follow_metas_limits(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    await fake.send_text(AMINA, "hi")
    too_long_row = rows_list(["x" * 25])
    untitled_sections = rows_list(["a"], ["b"], titled=False)
    long_description = rows_list(["a"])
    long_description["interactive"]["action"]["sections"][0]["rows"][0]["description"] = "d" * 73
    long_button = rows_list(["a"])
    long_button["interactive"]["action"]["button"] = "b" * 21
    for message in (too_long_row, untitled_sections, long_description, long_button):
        status, answer = await send(http, fake, message)
        assert (status, code(answer)) == (400, 131009)
    status, _ = await send(http, fake, rows_list(["x" * 24], ["y"]))
    assert status == 200


async def test_buttons_and_rows_are_read_and_pressed_back(
    fake: FakeWhatsApp, http: aiohttp.ClientSession, bot: StandInBot
) -> None:
    await fake.send_text(AMINA, "hi")
    await send(http, fake, buttons("Yes", "No", ids=["go", "stay"]))
    await send(http, fake, rows_list(["Plenary"]))
    with_buttons, with_rows = await fake.wait_sent(AMINA, count=2)
    assert fake.buttons_of(with_buttons) == [("go", "Yes"), ("stay", "No")]
    assert fake.buttons_of(with_rows) == [("0-Plenary", "Plenary")]

    _, status = await fake.press_button(AMINA, "go", "Yes")
    assert status == 200
    message = bot.bodies[-1]["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "go", "title": "Yes"},
    }
    assert message["context"]["id"] == with_buttons.wamid
    await fake.choose_row(AMINA, "0-Plenary", "Plenary")
    message = bot.bodies[-1]["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["interactive"]["list_reply"] == {"id": "0-Plenary", "title": "Plenary"}
    assert message["context"]["id"] == with_rows.wamid


# Rate limits


async def test_the_pair_rate_limit_refuses_131056_after_the_burst(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    fake.pair_interval = 0.5  # the burst must go out well within one interval
    await fake.send_text(AMINA, "hi")
    for n in range(3):
        status, _ = await send(http, fake, text(f"burst {n}"))
        assert status == 200
    status, answer = await send(http, fake, text("one too many"))
    assert (status, code(answer)) == (400, 131056)
    status, _ = await send(http, fake, template("x"), to=LUCIA)  # another person is not held
    assert status == 200

    await asyncio.sleep(fake.pair_wait(AMINA))
    status, _ = await send(http, fake, text("after the interval"))
    assert status == 200
    assert fake.texts_to(AMINA)[-1] == "after the interval"


async def test_more_than_rate_messages_a_second_are_refused_with_130429(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    fake.rate = 5
    answers = [await send(http, fake, template("x"), to=f"3361234567{n}") for n in range(6)]
    assert [status for status, _ in answers] == [200] * 5 + [400]
    assert code(answers[-1][1]) == 130429


async def test_a_queued_failure_answers_the_next_call(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    fake.fail_next(131000, status=500, message="Something went wrong")
    status, answer = await send(http, fake, template("x"))
    assert (status, code(answer)) == (500, 131000)
    assert fake.refused[-1][1] == 131000
    status, _ = await send(http, fake, template("x"))
    assert status == 200


# Media


async def upload(
    http: aiohttp.ClientSession, fake: FakeWhatsApp, data: bytes, mime: str, name: str
) -> tuple[int, dict[str, Any]]:
    form = aiohttp.FormData()
    form.add_field("messaging_product", "whatsapp")
    form.add_field("type", mime)
    form.add_field("file", io.BytesIO(data), filename=name, content_type=mime)
    url = f"{fake.url}/v23.0/{PHONE_NUMBER_ID}/media"
    headers = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    async with http.post(url, data=form, headers=headers) as response:
        return response.status, await response.json()


async def test_an_uploaded_png_is_sent_by_its_media_id(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    status, answer = await upload(http, fake, PNG, "image/png", "chart.png")
    assert status == 200
    assert fake.uploads[answer["id"]].data == PNG
    await fake.send_text(AMINA, "hi")
    image = {"type": "image", "image": {"id": answer["id"], "caption": "Attendance"}}
    status, _ = await send(http, fake, image)
    assert status == 200
    assert fake.texts_to(AMINA) == ["Attendance"]

    unknown = {"type": "image", "image": {"id": "123456789"}}
    status, answer = await send(http, fake, unknown)
    assert (status, code(answer)) == (400, 100)
    status, _ = await send(
        http, fake, {"type": "document", "document": {"link": "https://x.org/a.pdf"}}
    )
    assert status == 200


async def test_an_upload_of_another_type_or_too_large_is_refused_with_131053(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    status, answer = await upload(http, fake, b"GIF89a", "image/gif", "a.gif")
    assert (status, code(answer)) == (400, 131053)
    big = PNG + b"\0" * (5 * 1024 * 1024)
    status, answer = await upload(http, fake, big, "image/png", "big.png")
    assert (status, code(answer)) == (400, 131053)
    status, _ = await upload(http, fake, b"a,b\n1,2\n", "text/csv", "list.csv")
    assert status == 200


# Webhooks


async def test_the_subscription_check_answers_the_challenge(
    fake: FakeWhatsApp, bot: StandInBot
) -> None:
    assert await fake.verify(VERIFY_TOKEN, "7281") == (200, "7281")
    assert (await fake.verify("not-the-token"))[0] == 403


async def test_webhooks_are_signed_with_the_app_secret_and_a_bad_signature_is_not(
    fake: FakeWhatsApp, bot: StandInBot
) -> None:
    wamid, status = await fake.send_text(AMINA, "¿Dónde es la plenaria?", name="Lucía")
    assert status == 200
    value = bot.bodies[-1]["entry"][0]["changes"][0]["value"]
    assert value["contacts"] == [{"profile": {"name": "Lucía"}, "wa_id": AMINA}]
    assert value["messages"][0]["text"] == {"body": "¿Dónde es la plenaria?"}
    assert value["messages"][0]["id"] == wamid
    assert value["metadata"]["phone_number_id"] == PHONE_NUMBER_ID
    assert fake.last_body is not None and b"\\u00bf" in fake.last_body  # escaped, as Meta does

    assert await fake.replay() == 200
    assert bot.bodies[-1] == bot.bodies[-2]
    assert await fake.post_raw(fake.last_body, "sha256=" + "0" * 64) == 401
    assert await fake.post_raw(fake.last_body, None) == 401


async def test_statuses_follow_an_accepted_message_signed(
    fake: FakeWhatsApp, http: aiohttp.ClientSession, bot: StandInBot
) -> None:
    await fake.send_text(AMINA, "hi")
    _, answer = await send(http, fake, text("Welcome"))
    wamid = answer["messages"][0]["id"]
    await fake.wait_status(wamid, "delivered")
    assert await fake.read(wamid) == 200
    statuses = [
        status
        for body in bot.bodies
        for status in body["entry"][0]["changes"][0]["value"].get("statuses", [])
    ]
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    assert {s["recipient_id"] for s in statuses} == {AMINA}
    assert all(w.status == 200 for w in fake.webhooks)


async def test_an_unreachable_person_gets_the_send_accepted_then_failed_131026(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    fake.unreachable.add(LUCIA)
    status, answer = await send(http, fake, template("x"), to=LUCIA)
    assert status == 200
    webhook = await fake.wait_status(answer["messages"][0]["id"], "failed")
    [failed] = webhook.body["entry"][0]["changes"][0]["value"]["statuses"]
    assert failed["errors"][0]["code"] == 131026


async def test_the_bot_marks_a_message_read(
    fake: FakeWhatsApp, http: aiohttp.ClientSession
) -> None:
    wamid, _ = await fake.send_text(AMINA, "hi")
    url = f"{fake.url}/v23.0/{PHONE_NUMBER_ID}/messages"
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
    headers = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    async with http.post(url, json=body, headers=headers) as response:
        assert (response.status, await response.json()) == (200, {"success": True})
    assert fake.reads == [wamid]


async def test_images_voice_notes_reactions_and_unsupported_messages_arrive_as_meta_sends_them(
    fake: FakeWhatsApp, bot: StandInBot
) -> None:
    await fake.send_image(AMINA, caption="Room B is full")
    await fake.send_audio(AMINA)
    await fake.send_unsupported(AMINA)
    await fake.send_reaction(AMINA, "wamid.HBgLsomething", "🙏")
    messages = [b["entry"][0]["changes"][0]["value"]["messages"][0] for b in bot.bodies]
    assert [m["type"] for m in messages] == ["image", "audio", "unsupported", "reaction"]
    assert messages[0]["image"]["caption"] == "Room B is full"
    assert messages[1]["audio"]["voice"] is True
    assert messages[2]["errors"][0]["code"] == 131051
    assert messages[3]["reaction"] == {"message_id": "wamid.HBgLsomething", "emoji": "🙏"}
    assert all(m["from"] == AMINA and m["timestamp"].isdigit() for m in messages)
