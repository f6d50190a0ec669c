"""No webhook body, however strange, stops the WhatsApp adapter: too large, not JSON, nested
without end, of shapes Meta never sends, texts with NUL bytes and thousands of entities, a
hundred people in one body, forged buttons. Each gets a short answer or none, never a
traceback, and the bot answers the next message as ever."""

from __future__ import annotations

import json
from typing import Any

from bot.platforms.whatsapp import MAX_BODY, WhatsAppAdapter
from tests.support import whatsapp_payloads as payloads
from tests.support.fake_whatsapp import (
    DISPLAY_PHONE_NUMBER,
    PHONE_NUMBER_ID,
    WABA_ID,
    FakeWhatsApp,
)

AMINA = "5213312345678"


def body_of(*messages: dict[str, Any], wa_id: str = AMINA) -> dict[str, Any]:
    meta = payloads.metadata(DISPLAY_PHONE_NUMBER, PHONE_NUMBER_ID)
    value = payloads.incoming(meta, wa_id, "Amina", messages[0])
    value["messages"] = list(messages)
    return payloads.envelope(WABA_ID, value)


def text(body: str, wamid: str, wa_id: str = AMINA) -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": wamid,
        "timestamp": "1512224000",
        "type": "text",
        "text": {"body": body},
    }


async def post(fake: FakeWhatsApp, raw: bytes) -> int:
    """`raw` as Meta would post it: signed with the app secret."""
    return await fake.post_raw(raw, fake.sign(raw))


async def still_answers(fake: FakeWhatsApp, count: int) -> None:
    """The bot answers a plain command after what came before (its `count`-th message)."""
    await fake.send_text(AMINA, "/help")
    await fake.wait_sent(AMINA, count)
    assert "/agenda" in fake.texts_to(AMINA)[-1]


async def test_bodies_that_are_no_webhook_are_refused_in_one_short_answer(
    whatsapp: WhatsAppAdapter, fake_whatsapp: FakeWhatsApp
) -> None:
    assert await post(fake_whatsapp, b"x" * (MAX_BODY + 1)) == 413
    assert await post(fake_whatsapp, b"\xff\xfe not utf-8") == 400
    assert await post(fake_whatsapp, b"[" * 100_000 + b"]" * 100_000) == 400
    assert await post(fake_whatsapp, b"{not json") == 400
    # Signed, but of shapes Meta never sends: taken (200), and nothing done with them.
    strange: object
    for strange in (
        [],
        {"object": "whatsapp_business_account", "entry": "x"},
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": 3}]}]},
        body_of({"from": "+52 (33) 1234", "id": "wamid.X", "type": "text"}),
        body_of({"from": AMINA, "id": ["wamid.X"], "type": "text"}),
    ):
        assert await post(fake_whatsapp, json.dumps(strange).encode()) == 200
    await still_answers(fake_whatsapp, 1)
    assert len(fake_whatsapp.accepted) == 1  # the answer to /help alone


async def test_texts_with_nul_bytes_entities_and_4096_characters_get_a_short_answer(
    whatsapp: WhatsAppAdapter, fake_whatsapp: FakeWhatsApp
) -> None:
    fake_whatsapp.wrote(AMINA)
    for number, hostile in enumerate(
        (
            "\x00agenda\x00",
            "&<>" * 1365,
            "\u202eadnega\u202c 👩🏽‍🌾" * 300,
            "*bold* _it_ ~strike~ ```code``` <b>tag</b> <a href='x'>",
            "/" + "a" * 4095,
        )
    ):
        await post(fake_whatsapp, json.dumps(body_of(text(hostile, f"wamid.H{number}"))).encode())
    answers = await fake_whatsapp.wait_sent(AMINA, 5)
    assert all(len(a.body.get("text", {}).get("body", "")) < 500 for a in answers)
    assert not fake_whatsapp.refused
    await still_answers(fake_whatsapp, 6)


async def test_a_hundred_people_in_one_body_are_each_answered_once(
    whatsapp: WhatsAppAdapter, fake_whatsapp: FakeWhatsApp
) -> None:
    people = [f"52133100{number:05d}" for number in range(100)]
    for person in people:
        fake_whatsapp.wrote(person)
    raw = json.dumps(
        body_of(*[text("/help", f"wamid.P{n}", wa_id=person) for n, person in enumerate(people)])
    ).encode()
    assert await post(fake_whatsapp, raw) == 200
    assert await post(fake_whatsapp, raw) == 200  # sent again: nobody answered twice
    await fake_whatsapp.wait_sent(count=100, within=30)
    await still_answers(fake_whatsapp, 1)
    assert sorted(sent.to for sent in fake_whatsapp.accepted if sent.to != AMINA) == people


async def test_a_forged_or_stale_button_gets_an_answer_and_changes_nothing(
    whatsapp: WhatsAppAdapter, fake_whatsapp: FakeWhatsApp
) -> None:
    fake_whatsapp.wrote(AMINA)
    for number, data in enumerate(("poll:999:1", "lang:xx", "", "x" * 256, "notify:telegram")):
        press = {
            "from": AMINA,
            "id": f"wamid.B{number}",
            "timestamp": "1512224000",
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": data, "title": "?"}},
        }
        assert await post(fake_whatsapp, json.dumps(body_of(press)).encode()) == 200
    await fake_whatsapp.wait_sent(AMINA, 4)  # the empty id asks nothing
    assert not fake_whatsapp.refused
    await still_answers(fake_whatsapp, 5)
