"""WhatsApp's shapes, without I/O: a neutral `Reply` laid out as Cloud API messages within
WhatsApp's rules, and the webhook's messages read back as `Incoming`.

Rules kept (Meta's documented limits): a text of at most 4,096 characters; at most 3 reply
buttons of 20 characters on a body of 1,024; else a list of at most 10 rows (titles of 24
characters, descriptions of 72) behind a button of 20. Formatting: ours is a small HTML subset
(bot/text/markup.py), WhatsApp's is `*bold*`, `_italic_` and `` `code` ``; links are shown as
their address, which WhatsApp makes tappable.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.chat import Choice, Incoming, Reply, Sender, parse_command
from bot.platforms.whatsapp_settings import PLATFORM
from bot.text import markup

TEXT_LIMIT = 4096
BODY_LIMIT = 1024  # the body of a message with buttons or a list
CAPTION_LIMIT = 1024
MAX_BUTTONS = 3
BUTTON_TITLE = 20
MAX_ROWS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
LIST_BUTTON = "☰"  # the list's own button: no words, so no language to guess
CHOICES_BODY = "👇"  # the body of a message of choices sent after a long text
MAX_DELIVERY_ID = 64  # ProcessedDelivery.delivery_id

# A person's WhatsApp id: their number's digits (Meta's business-scoped ids are letters and
# digits too); anything else is not a person we can answer.
_WA_ID = re.compile(r"[0-9A-Za-z._-]{1,64}")


def to_whatsapp(text: str) -> str:
    """Our markup as WhatsApp's: bold, italic and code by their marks, a link as its label
    followed by its address (or the address alone when they are the same), entities decoded."""
    return html.unescape(markup.rewrite(text, {"b": "*", "i": "_", "code": "`"}, _link))


def _link(label: str, href: str) -> str:
    shown, address = html.unescape(label).strip(), html.unescape(href)
    return html.escape(address if shown in ("", address) else f"{shown} ({address})")


def parts(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """A reply's text in WhatsApp's form, in messages of at most `limit` characters (cut in
    our markup first, where a cut never breaks a tag; the conversion never lengthens a part
    but for a link's address, hence the margin)."""
    result: list[str] = []
    for part in markup.split(text, limit):
        converted = to_whatsapp(part)
        while len(converted) > limit:
            result.append(converted[:limit])
            converted = converted[limit:]
        if converted.strip():
            result.append(converted)
    return result


def _shortened(label: str, limit: int) -> str:
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def buttons(body: str, choices: list[Choice]) -> dict[str, Any]:
    """Up to three reply buttons under `body`."""
    return {
        "type": "button",
        "body": {"text": body},
        "action": {
            "buttons": [
                {
                    "type": "reply",
                    "reply": {"id": choice.data, "title": _shortened(choice.label, BUTTON_TITLE)},
                }
                for choice in choices
            ]
        },
    }


def choice_list(body: str, choices: list[Choice]) -> dict[str, Any]:
    """Up to ten choices as a list: a long label is cut in the row's title and kept whole (as
    far as it goes) in its description. WhatsApp refuses two rows with the same title: when
    cutting makes two alike, every row is numbered."""
    labels = [" ".join(choice.label.split()) for choice in choices]
    titles = [_shortened(label, ROW_TITLE) for label in labels]
    if len(set(titles)) < len(titles):
        titles = [_shortened(f"{n}. {label}", ROW_TITLE) for n, label in enumerate(labels, 1)]
    rows = []
    for choice, label, title in zip(choices, labels, titles, strict=True):
        row = {"id": choice.data, "title": title}
        if title != label:
            row["description"] = _shortened(label, ROW_DESCRIPTION)
        rows.append(row)
    return {
        "type": "list",
        "body": {"text": body},
        "action": {"button": LIST_BUTTON, "sections": [{"rows": rows}]},
    }


def _unique(choices: list[Choice]) -> list[Choice]:
    """WhatsApp refuses two buttons with the same id: the first is kept (they do the same)."""
    seen: set[str] = set()
    kept = []
    for choice in choices:
        if choice.data not in seen:
            seen.add(choice.data)
            kept.append(choice)
    return kept


def messages(reply: Reply) -> list[dict[str, Any]]:
    """A reply as the Cloud API messages that carry it (without `to` and the media, which the
    adapter uploads): its text in parts, its choices on the last part when it is short enough,
    else in messages of their own. A button that opens a private chat is left out: on
    WhatsApp every chat with the bot is private."""
    texts = parts(reply.text)
    choices = _unique([c for row in reply.choices for c in row if not c.open_private and c.data])
    result: list[dict[str, Any]] = [
        {"type": "text", "text": {"body": text, "preview_url": False}} for text in texts
    ]
    if not choices:
        return result
    groups = [choices[start : start + MAX_ROWS] for start in range(0, len(choices), MAX_ROWS)]
    body = CHOICES_BODY
    if result and len(texts[-1]) <= BODY_LIMIT:
        body = texts[-1]
        result.pop()
    for group in groups:
        labels = [" ".join(c.label.split()) for c in group]
        fits_buttons = (
            len(group) <= MAX_BUTTONS
            and all(0 < len(label) <= BUTTON_TITLE for label in labels)
            and len(set(labels)) == len(labels)
        )
        interactive = buttons(body, group) if fits_buttons else choice_list(body, group)
        result.append({"type": "interactive", "interactive": interactive})
        body = CHOICES_BODY
    return result


def template(name: str, language: str, parameter: str) -> dict[str, Any]:
    """An approved template, with its one body parameter."""
    return {
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": parameter}]}],
        },
    }


# What arrives


@dataclass(frozen=True)
class Arrived:
    """One message of a webhook: who sent it, and the message as Meta gave it."""

    wa_id: str
    name: str | None
    message: dict[str, Any]

    @property
    def message_id(self) -> str:
        return str(self.message["id"])


@dataclass(frozen=True)
class Status:
    """A receipt for a message the bot sent: `sent`, `delivered`, `read` or `failed`."""

    message_id: str
    status: str
    recipient: str | None
    timestamp: int
    error_code: int | None
    error_title: str | None


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _string(value: object, limit: int = 256) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _wa_id(value: object) -> str | None:
    return value if isinstance(value, str) and _WA_ID.fullmatch(value) else None


def read_webhook(body: object, phone_number_id: str) -> tuple[list[Arrived], list[Status]]:
    """The messages and receipts of a webhook body for our number; anything of another shape
    (or for another number of the same business account) is left out."""
    arrived: list[Arrived] = []
    statuses: list[Status] = []
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account":
        return arrived, statuses
    for entry in _dicts(body.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            if not isinstance(metadata, dict) or metadata.get("phone_number_id") != phone_number_id:
                continue
            names = {}
            for contact in _dicts(value.get("contacts")):
                profile = contact.get("profile")
                wa_id = _wa_id(contact.get("wa_id"))
                if wa_id and isinstance(profile, dict):
                    names[wa_id] = _string(profile.get("name"), 200)
            for message in _dicts(value.get("messages")):
                sender = _wa_id(message.get("from"))
                if sender and _string(message.get("id")) and isinstance(message.get("type"), str):
                    arrived.append(Arrived(sender, names.get(sender), message))
            for status in _dicts(value.get("statuses")):
                statuses.append(_status(status))
    return arrived, [status for status in statuses if status.message_id]


def _status(status: dict[str, Any]) -> Status:
    errors = _dicts(status.get("errors"))
    code = errors[0].get("code") if errors else None
    try:
        timestamp = int(status.get("timestamp") or 0)
    except (TypeError, ValueError):
        timestamp = 0
    return Status(
        _string(status.get("id")) or "",
        _string(status.get("status"), 16) or "",
        _wa_id(status.get("recipient_id")),
        timestamp,
        code if isinstance(code, int) else None,
        _string(errors[0].get("title"), 200) if errors else None,
    )


def delivery_id(message_id: str) -> str:
    """The inbox id of a message (Meta's `wamid.…`, hashed when too long for the column)."""
    if len(message_id) <= MAX_DELIVERY_ID:
        return message_id
    return "wamid:" + hashlib.sha256(message_id.encode()).hexdigest()[:40]


def incoming(arrived: Arrived, is_command: Callable[[str], bool]) -> Incoming | None:
    """A message as the router reads it, or None for what asks nothing of us (a reaction, a
    message deleted). A button's or a list row's id is the choice's data; a text whose first
    word names a command is that command, with or without its slash (`agenda tomorrow`).
    Pictures, voice notes and the like come as empty text: the bot says what it answers."""
    message = arrived.message
    kind = message.get("type")
    sender = Sender(arrived.wa_id, arrived.name)
    delivery = delivery_id(arrived.message_id)
    if kind == "interactive":
        interactive = message.get("interactive")
        if not isinstance(interactive, dict):
            return None
        picked = interactive.get("button_reply") or interactive.get("list_reply")
        data = _string(picked.get("id")) if isinstance(picked, dict) else None
        if data is None:
            return None
        return Incoming(PLATFORM, arrived.wa_id, sender, button=data, delivery_id=delivery)
    if kind in ("reaction", "system", "request_welcome"):
        return None
    text = ""
    if kind == "text" and isinstance(message.get("text"), dict):
        text = _string(message["text"].get("body"), TEXT_LIMIT) or ""
    elif kind == "button" and isinstance(message.get("button"), dict):  # a template's button
        text = _string(message["button"].get("text"), TEXT_LIMIT) or ""
    words = text.strip().lstrip("/").split(maxsplit=1)
    if words and is_command(words[0]):
        text = "/" + text.strip().lstrip("/")
    parsed = parse_command(text)
    command, args = parsed if parsed else (None, ())
    return Incoming(
        PLATFORM,
        arrived.wa_id,
        sender,
        text=text,
        command=command,
        args=args,
        delivery_id=delivery,
    )
