"""How the messages the bot sends on its own read (rendered at delivery, in the reader's
language, from the data queued with them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.chat import Reply
from bot.text import formatting
from bot.text.i18n import _, current_language, localised, ngettext
from bot.text.markup import bold, escape, italic


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
    author = escape(payload.get("author") or _("a former participant"))
    if payload.get("author") and payload.get("organisation"):
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


def _when(payload: dict[str, Any], start_key: str, end_key: str) -> str:
    tz = ZoneInfo(payload["timezone"])
    start = datetime.fromisoformat(payload[start_key])
    end = datetime.fromisoformat(payload[end_key]) if payload.get(end_key) else None
    day = formatting.short_day(start.astimezone(tz).date())
    return f"{day}, {formatting.time_range(start, end, tz)}"


def _minutes_left(payload: dict[str, Any]) -> int:
    """How long until the session, counted from when the reminder leaves: a reminder that
    leaves early (the head of a large fan-out) or late (someone who linked after its time)
    still tells the truth. The minutes chosen with /remind when the time is unknown."""
    if "sent_at" not in payload:
        return int(payload["minutes"])
    left = datetime.fromisoformat(payload["starts_at"]) - datetime.fromisoformat(payload["sent_at"])
    return max(1, round(left.total_seconds() / 60))


def _venue(name: str | dict[str, str] | None) -> str:
    """A venue's name as queued: one string, or its names by language (read in the reader's)."""
    return localised(name) if isinstance(name, dict) else (name or "")


def reminder(payload: dict[str, Any]) -> Reply:
    minutes = _minutes_left(payload)
    lines = [
        "⏰ "
        + ngettext("In {minutes} minute:", "In {minutes} minutes:", minutes).format(minutes=minutes)
        + " "
        + bold(escape(localised(payload["title"]))),
        "🕒 " + _when(payload, "starts_at", "ends_at"),
    ]
    if payload.get("venue"):
        address = f" — {escape(payload['address'])}" if payload.get("address") else ""
        lines.append(f"📍 {escape(_venue(payload['venue']))}{address}")
    if payload.get("interpretation"):
        names = [formatting.language_name(code) for code in payload["interpretation"]]
        lines.append(
            "🎧 " + _("Interpretation: {languages}").format(languages=formatting.join(names))
        )
    lines.append(f"/s{payload['session_id']}")
    return Reply("\n".join(lines))


def programme_change(payload: dict[str, Any]) -> Reply:
    lines = ["📢 " + bold(_("The programme has changed:"))]
    for change in payload["changes"]:
        title = bold(escape(localised(change["title"])))
        if change["kind"] == "removed":
            lines.append("• " + _("{session} is cancelled.").format(session=title))
            continue
        if (change["old_start"], change["old_end"]) != (change["new_start"], change["new_end"]):
            lines.append(
                "• "
                + _("{session} moved from {old} to {new}.").format(
                    session=title,
                    old=_when(change | {"timezone": payload["timezone"]}, "old_start", "old_end"),
                    new=_when(change | {"timezone": payload["timezone"]}, "new_start", "new_end"),
                )
            )
        if change["old_venue"] != change["new_venue"]:
            lines.append(
                "• "
                + _("{session} now takes place at {venue}.").format(
                    session=title, venue=escape(_venue(change["new_venue"]) or "—")
                )
            )
    return Reply("\n".join(lines))


def broadcast(payload: dict[str, Any]) -> Reply:
    """An organiser's text in the reader's language, or in English with a note."""
    texts: dict[str, str] = payload["texts"]
    text = texts.get(current_language())
    if text is None:
        note = _("(This message is not available in your language.)")
        return Reply(f"📢 {escape(texts['en'])}\n\n{italic(note)}")
    return Reply(f"📢 {escape(text)}")


def broadcast_report(payload: dict[str, Any]) -> Reply:
    return Reply(
        "📊 "
        + _(
            "Broadcast #{number} is finished: {delivered} delivered, {unreachable} unreachable, "
            "{failed} failed."
        ).format(
            number=payload["broadcast"],
            delivered=formatting.number(payload["delivered"]),
            unreachable=formatting.number(payload["unreachable"]),
            failed=formatting.number(payload["failed"]),
        )
    )
