"""How the messages the bot sends on its own read (rendered at delivery, in the reader's
language, from the data queued with them)."""

from __future__ import annotations

from typing import Any

from bot.chat import Reply
from bot.i18n import _, localised
from bot.markup import bold, escape


def table_promoted(payload: dict[str, Any]) -> Reply:
    return Reply(
        "🎉 "
        + _("A seat freed up: you now have a seat at Act {act}: {table} ({round}).").format(
            act=payload["act"],
            table=escape(localised(payload["table"])),
            round=escape(localised(payload["round"])),
        )
    )


def group_post(payload: dict[str, Any]) -> Reply:
    author = escape(payload["author"])
    if payload.get("organisation"):
        author += f" ({escape(payload['organisation'])})"
    heading = _("New in {group}, from {author}:").format(
        group=bold(escape(localised(payload["group"]))), author=author
    )
    return Reply(f"📣 {heading}\n\n{escape(payload['text'])}")


def group_request_approved(payload: dict[str, Any]) -> Reply:
    return Reply(
        "✅ "
        + _("Your request to join {group} was approved.").format(
            group=bold(escape(localised(payload["group"])))
        )
    )
