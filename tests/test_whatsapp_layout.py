"""WhatsApp's shapes: replies laid out within WhatsApp's limits, webhooks read back (no I/O)."""

from __future__ import annotations

from typing import Any

from bot.chat import Choice, Reply
from bot.platforms import whatsapp_layout as layout

NUMBER_ID = "106540352242922"


def _choices(*labels: str) -> tuple[tuple[Choice, ...], ...]:
    return (tuple(Choice(label, f"data:{number}") for number, label in enumerate(labels)),)


def test_our_markup_becomes_whatsapps_and_what_people_typed_stays_as_typed() -> None:
    text = (
        "<b>Opening plenary</b> <i>Room A</i> <code>/agenda</code> &lt;b&gt; &amp; "
        '<a href="https://example.org/map?a=1&amp;b=2">Map</a> '
        '<a href="https://example.org">https://example.org</a>'
    )
    assert layout.to_whatsapp(text) == (
        "*Opening plenary* _Room A_ `/agenda` <b> & Map (https://example.org/map?a=1&b=2) "
        "https://example.org"
    )


def test_a_long_text_is_split_in_messages_of_at_most_4096_characters() -> None:
    text = "\n".join(f"<b>Line {n}</b> " + "x" * 90 for n in range(200))
    sent = layout.messages(Reply(text))
    assert len(sent) >= 5
    assert all(len(m["text"]["body"]) <= layout.TEXT_LIMIT for m in sent)
    assert "".join(m["text"]["body"] for m in sent).count("*Line ") == 200


def test_three_short_choices_are_reply_buttons_on_the_text() -> None:
    [message] = layout.messages(Reply("Your language?", _choices("English", "Français", "Español")))
    interactive = message["interactive"]
    assert interactive["type"] == "button"
    assert interactive["body"]["text"] == "Your language?"
    assert [b["reply"]["title"] for b in interactive["action"]["buttons"]] == [
        "English",
        "Français",
        "Español",
    ]
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == [
        "data:0",
        "data:1",
        "data:2",
    ]


def test_more_choices_or_long_labels_become_a_list_and_more_than_ten_several() -> None:
    labels = [f"Act table {n}: Migrants' labour rights and decent work" for n in range(12)]
    first, second = layout.messages(Reply("Tables", _choices(*labels)))
    rows = first["interactive"]["action"]["sections"][0]["rows"]
    assert first["interactive"]["type"] == "list"
    assert len(rows) == 10
    assert all(len(row["title"]) <= layout.ROW_TITLE for row in rows)
    assert all(len(row["description"]) <= layout.ROW_DESCRIPTION for row in rows)
    assert rows[0]["title"].endswith("…")
    assert len(first["interactive"]["action"]["button"]) <= 20
    assert second["interactive"]["body"]["text"] == layout.CHOICES_BODY
    assert len(second["interactive"]["action"]["sections"][0]["rows"]) == 2

    [four] = layout.messages(Reply("Pick", _choices("A", "B", "C", "D")))
    assert four["interactive"]["type"] == "list"


def test_choices_after_a_text_longer_than_a_body_come_in_a_message_of_their_own() -> None:
    text, choices = layout.messages(Reply("y" * 2000, _choices("Yes", "No")))
    assert text["text"]["body"] == "y" * 2000
    assert choices["interactive"]["body"]["text"] == layout.CHOICES_BODY


def test_buttons_opening_a_private_chat_and_repeated_ones_are_left_out() -> None:
    choices = (
        (Choice("Open", open_private=True), Choice("Yes", "y"), Choice("Yes again", "y")),
        (Choice("No", "n"),),
    )
    [message] = layout.messages(Reply("?", choices))
    assert [b["reply"]["id"] for b in message["interactive"]["action"]["buttons"]] == ["y", "n"]


def test_labels_alike_once_cut_are_numbered_and_none_is_lost() -> None:
    sessions = [f"Small tables with governments, round {n}" for n in (1, 2)]
    [message] = layout.messages(Reply("Sessions", _choices(*sessions, "Agenda")))
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert [row["title"] for row in rows] == [
        "1. Small tables with go…",
        "2. Small tables with go…",
        "3. Agenda",
    ]
    assert rows[1]["description"] == "Small tables with governments, round 2"
    [twice] = layout.messages(Reply("?", _choices("Yes", "Yes")))  # same words, other data
    assert [row["id"] for row in twice["interactive"]["action"]["sections"][0]["rows"]] == [
        "data:0",
        "data:1",
    ]


def _webhook(value: dict[str, Any], number: str = NUMBER_ID) -> dict[str, Any]:
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": number}, **value}
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


def _message(kind: str, content: dict[str, Any], wamid: str = "wamid.A1") -> dict[str, Any]:
    return {
        "from": "5215512345678",
        "id": wamid,
        "timestamp": "1512200000",
        "type": kind,
        **content,
    }


def _read(message: dict[str, Any]) -> Any:
    contacts = [{"profile": {"name": "Lucía"}, "wa_id": "5215512345678"}]
    arrived, _ = layout.read_webhook(
        _webhook({"contacts": contacts, "messages": [message]}), NUMBER_ID
    )
    [one] = arrived
    return layout.incoming(one, lambda word: word in {"agenda", "programa"})


def test_a_command_comes_with_or_without_its_slash_and_a_code_as_text() -> None:
    agenda = _read(_message("text", {"text": {"body": "programa mañana"}}))
    assert (agenda.command, agenda.args, agenda.sender.display_name) == (
        "programa",
        ("mañana",),
        "Lucía",
    )
    assert agenda.sender.language_code is None  # a phone number's country is no language
    code = _read(_message("text", {"text": {"body": "K7QM-3XPA"}}))
    assert (code.command, code.text) == (None, "K7QM-3XPA")


def test_a_button_or_a_list_row_pressed_is_its_data() -> None:
    pressed = _read(
        _message(
            "interactive",
            {
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": "lang:es", "title": "Español"},
                }
            },
        )
    )
    assert pressed.button == "lang:es"
    assert pressed.message_id is None  # nothing to edit on WhatsApp
    row = _read(
        _message(
            "interactive",
            {"interactive": {"type": "list_reply", "list_reply": {"id": "t:4", "title": "x"}}},
        )
    )
    assert row.button == "t:4"


def test_reactions_ask_nothing_and_pictures_get_an_answer() -> None:
    assert (
        _read(_message("reaction", {"reaction": {"message_id": "wamid.X", "emoji": "👍"}})) is None
    )
    picture = _read(_message("image", {"image": {"id": "1", "mime_type": "image/jpeg"}}))
    assert picture is not None and picture.text == "" and picture.command is None


def test_another_number_and_other_shapes_are_left_out() -> None:
    message = _message("text", {"text": {"body": "hola"}})
    assert layout.read_webhook(_webhook({"messages": [message]}, "999"), NUMBER_ID) == ([], [])
    bodies: list[object] = [None, [], {"object": "page"}, {"object": "whatsapp_business_account"}]
    for body in bodies:
        assert layout.read_webhook(body, NUMBER_ID) == ([], [])
    broken = _webhook({"messages": [{"from": "1", "type": "text"}, "x", {"id": "w", "type": 5}]})
    assert layout.read_webhook(broken, NUMBER_ID) == ([], [])


def test_receipts_are_read_with_their_error() -> None:
    statuses = [
        {"id": "wamid.S", "status": "read", "timestamp": "1512200100", "recipient_id": "52155"},
        {
            "id": "wamid.F",
            "status": "failed",
            "timestamp": "x",
            "recipient_id": "52155",
            "errors": [{"code": 131047, "title": "Re-engagement message"}],
        },
    ]
    _, [read, failed] = layout.read_webhook(_webhook({"statuses": statuses}), NUMBER_ID)
    assert (read.message_id, read.status, read.timestamp) == ("wamid.S", "read", 1512200100)
    assert (failed.status, failed.error_code, failed.timestamp) == ("failed", 131047, 0)


def test_a_long_message_id_is_hashed_to_fit_the_inbox() -> None:
    long_id = "wamid." + "H" * 120
    assert len(layout.delivery_id(long_id)) <= layout.MAX_DELIVERY_ID
    assert layout.delivery_id(long_id) == layout.delivery_id(long_id)
    assert layout.delivery_id("wamid.short") == "wamid.short"
