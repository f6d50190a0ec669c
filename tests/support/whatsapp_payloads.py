"""The payloads of the fake WhatsApp Cloud API (`fake_whatsapp`): Meta's rules on what a business
sends to `/messages` (each broken rule a `Refusal` with Meta's error code), Meta's error bodies,
and the webhook bodies Meta posts to the business (a person's messages, message statuses).

Shapes and limits as Meta documents them (developers.facebook.com/docs/whatsapp/cloud-api:
messages reference, interactive message limits, template parameters, webhooks reference).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Meta's title of each error code, as the Graph API puts it in `error.message`.
TITLES = {
    100: "Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    130429: "Rate limit hit",
    131008: "Required parameter is missing",
    131009: "Parameter value is not valid",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131051: "Unsupported message type",
    131053: "Media upload error",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template name does not exist in the translation",
    132005: "Translated text too long",
    132018: "There was an issue with the parameters in your template",
}
WINDOW_DETAILS = (
    "Message failed to send because more than 24 hours have passed since the customer last "
    "replied to this number."
)
# What /media takes (Meta: images up to 5 MB, documents up to 100 MB, capped lower here).
IMAGE_TYPES = ("image/png", "image/jpeg")
DOCUMENT_TYPES = ("application/pdf", "text/csv", "text/plain")
IMAGE_LIMIT = 5 * 1024 * 1024
DOCUMENT_LIMIT = 20 * 1024 * 1024
TYPES = ("text", "interactive", "template", "image", "document")
# A template parameter may not hold a newline, a tab, or more than four spaces in a row.
_BAD_PARAMETER = re.compile(r"[\n\t]| {5,}")
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


class Refusal(Exception):
    """A call Meta refuses: its error `code`, the `details` it gives, the HTTP status."""

    def __init__(self, code: int, details: str, status: int = 400) -> None:
        super().__init__(f"{code}: {details}")
        self.code, self.details, self.status = code, details, status


def error_body(code: int, details: str) -> dict[str, Any]:
    """The Graph API's error answer."""
    title = TITLES.get(code, "Unknown error")
    error: dict[str, Any] = {
        "message": title if code == 190 else f"(#{code}) {title}",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "A" + secrets.token_urlsafe(16),
    }
    if code != 190:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


@dataclass(frozen=True)
class Approved:
    """The approved templates: (name, language code) → how many body parameters, and the body
    text (with {{1}}…) when known."""

    counts: Mapping[tuple[str, str], int]
    bodies: Mapping[tuple[str, str], str]

    def filled(self, name: str, language: str, parameters: list[str]) -> str | None:
        body = self.bodies.get((name, language))
        if body is None:
            return None
        return PLACEHOLDER.sub(lambda m: _nth(parameters, int(m.group(1))), body)


def _nth(parameters: list[str], number: int) -> str:
    return parameters[number - 1] if 0 < number <= len(parameters) else ""


# What the business sends


def check_message(body: dict[str, Any], media: Mapping[str, str], approved: Approved) -> None:
    """Refuses, as Meta does, a message that breaks a rule; `media` maps the media ids issued by
    /media to their mime type."""
    if body.get("messaging_product") != "whatsapp":
        raise Refusal(100, "The parameter messaging_product is required.")
    if not isinstance(body.get("to"), str) or not wa_id_of(body["to"]):
        raise Refusal(100, "The parameter to is required.")
    kind = body.get("type", "text")
    if kind not in TYPES:
        raise Refusal(100, f"Param type must be one of {{{', '.join(TYPES)}}}")
    content = body.get(kind)
    if not isinstance(content, dict):
        raise Refusal(100, f"The parameter {kind} is required.")
    if kind == "text":
        _length(content.get("body"), "text['body']", 1, 4096, 100)
    elif kind == "interactive":
        _check_interactive(content)
    elif kind == "template":
        _check_template(content, approved)
    else:
        _check_media(kind, content, media)


def template_parameters(template: dict[str, Any]) -> list[Any]:
    """The parameters of a template's body component."""
    components = template.get("components") or []
    if not isinstance(components, list):
        raise Refusal(100, "Param template['components'] must be an array.")
    return [
        parameter
        for component in components
        if isinstance(component, dict) and component.get("type") == "body"
        for parameter in component.get("parameters") or []
    ]


def wa_id_of(to: str) -> str:
    """The WhatsApp id of a recipient given as a phone number (+52 33…, digits kept)."""
    return re.sub(r"[\s+()-]", "", to) if re.fullmatch(r"\+?[\d\s()-]{6,24}", to) else ""


def _length(value: Any, where: str, low: int, high: int, code: int) -> str:
    if not isinstance(value, str):
        raise Refusal(100, f"The parameter {where} is required.")
    if not low <= len(value) <= high:
        raise Refusal(code, f"Param {where} must be between {low} and {high} characters long.")
    return value


def _optional_text(holder: Any, where: str, high: int) -> None:
    if isinstance(holder, dict) and holder.get("text") is not None:
        _length(holder.get("text"), f"{where}['text']", 1, high, 131009)


def _check_interactive(content: dict[str, Any]) -> None:
    kind = content.get("type")
    if kind not in ("button", "list"):
        raise Refusal(100, "Param interactive['type'] must be one of {button, list}")
    body_limit = 1024 if kind == "button" else 4096
    body = content.get("body")
    _length(
        body.get("text") if isinstance(body, dict) else None, "body['text']", 1, body_limit, 131009
    )
    _optional_text(content.get("footer"), "footer", 60)
    header = content.get("header")
    if isinstance(header, dict) and header.get("type") == "text":
        _length(header.get("text"), "header['text']", 1, 60, 131009)
    action = content.get("action")
    if not isinstance(action, dict):
        raise Refusal(100, "The parameter interactive['action'] is required.")
    if kind == "button":
        _check_buttons(action.get("buttons"))
    else:
        _check_list(action)


def _check_buttons(buttons: Any) -> None:
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise Refusal(
            131009, "Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3"
        )
    ids, titles = set(), set()
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) else None
        if not isinstance(reply, dict) or button.get("type") != "reply":
            raise Refusal(100, "Param interactive['action']['buttons'][]['type'] must be reply")
        ids.add(_length(reply.get("id"), "reply['id']", 1, 256, 131009))
        titles.add(_length(reply.get("title"), "reply['title']", 1, 20, 131009))
    if len(ids) < len(buttons) or len(titles) < len(buttons):
        raise Refusal(131009, "Button title and id must be unique among the buttons.")


def _check_list(action: dict[str, Any]) -> None:
    _length(action.get("button"), "action['button']", 1, 20, 131009)
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        raise Refusal(131009, "Invalid sections count. Min allowed sections: 1, Max: 10")
    ids: set[str] = set()
    count = 0
    for section in sections:
        if not isinstance(section, dict) or not isinstance(section.get("rows"), list):
            raise Refusal(100, "The parameter action['sections'][]['rows'] is required.")
        if section.get("title") is not None:
            _length(section.get("title"), "section['title']", 1, 24, 131009)
        elif len(sections) > 1:
            raise Refusal(131009, "Each section needs a title when there are several sections.")
        for row in section["rows"]:
            if not isinstance(row, dict):
                raise Refusal(100, "The parameter rows[] must be an object.")
            ids.add(_length(row.get("id"), "row['id']", 1, 200, 131009))
            _length(row.get("title"), "row['title']", 1, 24, 131009)
            if row.get("description") is not None:
                _length(row.get("description"), "row['description']", 0, 72, 131009)
            count += 1
    if not 1 <= count <= 10:
        raise Refusal(131009, "Invalid rows count. Min allowed rows: 1, Max allowed rows: 10")
    if len(ids) < count:
        raise Refusal(131009, "Row ids must be unique across the sections.")


def _check_template(template: dict[str, Any], approved: Approved) -> None:
    name = template.get("name")
    language = template.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    if not isinstance(name, str) or not isinstance(code, str):
        raise Refusal(100, "The parameters template['name'] and template['language'] are required.")
    expected = approved.counts.get((name, code))
    if expected is None:
        raise Refusal(132001, f"template name ({name}) does not exist in {code}")
    parameters = template_parameters(template)
    texts = []
    for parameter in parameters:
        if not isinstance(parameter, dict) or parameter.get("type") != "text":
            raise Refusal(100, "Param body parameters[]['type'] must be text")
        text = parameter.get("text")
        if not isinstance(text, str) or not text:
            raise Refusal(131008, "Parameter of type text is missing text value")
        texts.append(text)
    if len(texts) != expected:
        raise Refusal(
            132000,
            f"body: number of localizable_params ({len(texts)}) does not match the expected "
            f"number of params ({expected})",
        )
    if any(_BAD_PARAMETER.search(text) for text in texts):
        raise Refusal(
            132018,
            "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
        )
    filled = approved.filled(name, code, texts)
    if filled is not None and len(filled) > 1024:
        raise Refusal(132005, "Body text with its parameters exceeds 1024 characters")


def _check_media(kind: str, content: dict[str, Any], media: Mapping[str, str]) -> None:
    media_id, link = content.get("id"), content.get("link")
    if (media_id is None) == (link is None):
        raise Refusal(100, f"Param {kind} must have exactly one of id or link")
    if media_id is not None:
        mime = media.get(str(media_id))
        if mime is None or (kind == "image") != (mime in IMAGE_TYPES):
            raise Refusal(
                100, f"Param {kind}['id'] is not a valid whatsapp business account media ID"
            )
    elif not isinstance(link, str) or not link.startswith("https://"):
        raise Refusal(100, f"Param {kind}['link'] must be a valid https URL")
    if content.get("caption") is not None:
        _length(content.get("caption"), f"{kind}['caption']", 0, 1024, 100)
    if kind == "image" and "filename" in content:
        raise Refusal(100, "Param image['filename'] is not a valid parameter")


# What Meta posts to the business (webhooks)


def envelope(waba_id: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"value": value, "field": "messages"}]}],
    }


def metadata(display_phone_number: str, phone_number_id: str) -> dict[str, Any]:
    return {"display_phone_number": display_phone_number, "phone_number_id": phone_number_id}


def incoming(
    meta: dict[str, Any], wa_id: str, name: str, message: dict[str, Any]
) -> dict[str, Any]:
    """The `value` of a person's message."""
    return {
        "messaging_product": "whatsapp",
        "metadata": meta,
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [message],
    }


def status(
    meta: dict[str, Any],
    wamid: str,
    state: str,
    recipient: str,
    timestamp: str,
    origin: str,
    code: int = 131026,
) -> dict[str, Any]:
    """The `value` of a message's status: sent, delivered, read, or failed (undeliverable, or
    the error `code`: Meta reports some refusals only here, after accepting the message)."""
    entry: dict[str, Any] = {
        "id": wamid,
        "status": state,
        "timestamp": timestamp,
        "recipient_id": recipient,
    }
    if state == "failed":
        entry["errors"] = [
            {
                "code": code,
                "title": TITLES.get(code, "error"),
                "message": TITLES.get(code, "error"),
                "error_data": {"details": TITLES.get(code, "error")},
            }
        ]
    elif state in ("sent", "delivered"):
        conversation: dict[str, Any] = {"id": secrets.token_hex(16), "origin": {"type": origin}}
        if state == "sent":
            conversation["expiration_timestamp"] = str(int(timestamp) + 24 * 3600)
        entry["conversation"] = conversation
        entry["pricing"] = {
            "billable": origin != "service",
            "pricing_model": "PMP",
            "category": origin,
        }
    return {"messaging_product": "whatsapp", "metadata": meta, "statuses": [entry]}


def unsupported_errors() -> list[dict[str, Any]]:
    return [
        {
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
        }
    ]


def new_wamid() -> str:
    """A message id in Meta's form (wamid. and base64)."""
    return "wamid.HBgL" + secrets.token_urlsafe(30)
