"""How the messages the bot sends on its own read (rendered at delivery, in the reader's
language, from the data queued with them)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.broadcasts import BroadcastReport, ShownBroadcast
from bot.chat import Reply
from bot.groups import GroupRequestApproved, ShownPost
from bot.models import Texts
from bot.people.invitations import InvitationReuse
from bot.people.retention import RetentionNotice
from bot.programme.load import ChangeKind, ProgrammeChange
from bot.reminders import Reminder
from bot.reports import labels
from bot.tables.seating import TablePromoted
from bot.text import formatting
from bot.text.i18n import _, current_language, localised, ngettext
from bot.text.markup import bold, escape, italic
from handlers import translation


def table_promoted(notice: TablePromoted) -> Reply:
    return Reply(
        "🎉 "
        + _("A seat freed up: you now have a seat at Act {act}: {table} ({round}).").format(
            act=notice.act,
            table=escape(localised(notice.table)),
            round=escape(localised(notice.round)),
        )
    )


def group_post(post: ShownPost) -> Reply:
    author = escape(post.author or _("a former participant"))
    if post.author and post.organisation:
        author += f" ({escape(post.organisation)})"
    heading = _("New in {group}, from {author}:").format(
        group=bold(escape(localised(post.group))), author=author
    )
    text, choices = translation.shown(post.text)  # translated, with a line saying so
    return Reply(f"📣 {heading}\n\n{text}", choices=choices)


def group_request_approved(notice: GroupRequestApproved) -> Reply:
    return Reply(
        "✅ "
        + _("Your request to join {group} was approved.").format(
            group=bold(escape(localised(notice.group)))
        )
    )


def invitation_reuse(notice: InvitationReuse) -> Reply:
    """To the person: someone sent their invitation code, already used, from another account."""
    return Reply(
        "⚠️ "
        + _(
            "Someone sent me your invitation code from a {platform} account that is not linked "
            "to you. It did not work: your registration stays yours. If it was you, send /link "
            "here to get a code for your other chat app. If it was not you, your code may have "
            "been seen by others: please tell an organiser."
        ).format(platform=escape(labels.platform(notice.platform)))
    )


def _when(timezone: str, start: datetime, end: datetime | None) -> str:
    tz = ZoneInfo(timezone)
    day = formatting.short_day(start.astimezone(tz).date())
    return f"{day}, {formatting.time_range(start, end, tz)}"


def _minutes_left(notice: Reminder) -> int:
    """How long until the session, counted from when the reminder leaves: a reminder that
    leaves early (the head of a large fan-out) or late (someone who linked after its time)
    still tells the truth. The minutes chosen with /remind when the time is unknown."""
    if notice.sent_at is None:
        return notice.minutes or 0
    left = notice.starts_at - notice.sent_at
    return max(1, round(left.total_seconds() / 60))


def _venue(name: str | Texts | None) -> str:
    """A venue's name as queued: one string, or its names by language (read in the reader's)."""
    return localised(name) if isinstance(name, dict) else (name or "")


def reminder(notice: Reminder) -> Reply:
    minutes = _minutes_left(notice)
    lines = [
        "⏰ "
        + ngettext("In {minutes} minute:", "In {minutes} minutes:", minutes).format(minutes=minutes)
        + " "
        + bold(escape(localised(notice.title))),
        "🕒 " + _when(notice.timezone, notice.starts_at, notice.ends_at),
    ]
    if notice.venue:
        address = f" — {escape(notice.address)}" if notice.address else ""
        lines.append(f"📍 {escape(_venue(notice.venue))}{address}")
    if notice.interpretation:
        names = [formatting.language_name(code) for code in notice.interpretation]
        lines.append(
            "🎧 " + _("Interpretation: {languages}").format(languages=formatting.join(names))
        )
    lines.append(f"/s{notice.session_id}")
    return Reply("\n".join(lines))


def programme_change(notice: ProgrammeChange) -> Reply:
    lines = ["📢 " + bold(_("The programme has changed:"))]
    for change in notice.changes:
        title = bold(escape(localised(change.title)))
        if change.kind == ChangeKind.REMOVED:
            lines.append("• " + _("{session} is cancelled.").format(session=title))
            continue
        if (change.old_start, change.old_end) != (change.new_start, change.new_end):
            assert change.old_start and change.new_start  # a moved session has both
            lines.append(
                "• "
                + _("{session} moved from {old} to {new}.").format(
                    session=title,
                    old=_when(notice.timezone, change.old_start, change.old_end),
                    new=_when(notice.timezone, change.new_start, change.new_end),
                )
            )
        if change.old_venue != change.new_venue:
            lines.append(
                "• "
                + _("{session} now takes place at {venue}.").format(
                    session=title, venue=escape(_venue(change.new_venue) or "—")
                )
            )
    return Reply("\n".join(lines))


def broadcast(shown: ShownBroadcast) -> Reply:
    """An organiser's text in the reader's language, else the English text automatically
    translated (when the broadcast says so and the reader wants it), else in English with a
    note."""
    texts = shown.texts
    text = texts.get(current_language())
    if text is None and shown.translated is not None:
        body, choices = translation.shown(shown.translated)  # with the line, or the note
        return Reply(f"📢 {body}", choices=choices, urgent=shown.urgent)
    if text is None:
        note = _("(This message is not available in your language.)")
        return Reply(f"📢 {escape(texts['en'])}\n\n{italic(note)}", urgent=shown.urgent)
    return Reply(f"📢 {escape(text)}", urgent=shown.urgent)


def broadcast_report(notice: BroadcastReport) -> Reply:
    return Reply(
        "📊 "
        + _(
            "Broadcast #{number} is finished: {delivered} delivered, {unreachable} unreachable, "
            "{failed} failed."
        ).format(
            number=notice.broadcast,
            delivered=formatting.number(notice.delivered),
            unreachable=formatting.number(notice.unreachable),
            failed=formatting.number(notice.failed),
        )
    )


def retention_notice(notice: RetentionNotice) -> Reply:
    """A week before the retention period ends: what will be erased, what stays, and the
    commands to see or erase it now (docs/privacy.md, "Retention")."""
    day = formatting.day(notice.erased_at.astimezone(ZoneInfo(notice.timezone)).date())
    lines = [
        "🗓️ "
        + _("Your personal data from {event} will be erased on {day}.").format(
            event=bold(escape(localised(notice.event))), day=bold(day)
        ),
        _(
            "What will be erased: your name, e-mail and organisation, your chat accounts, your "
            "reference groups, and what you wrote that is kept with your name (your posts in "
            "reference groups)."
        ),
        _(
            "What stays, tied to nobody: the meeting’s figures (how many people came and from "
            "where, attendance, seats at each table, the results of polls and of the survey) "
            "and survey answers that were never tied to you."
        ),
        _("/mydata shows what is kept about you; /forget erases it now."),
    ]
    return Reply("\n\n".join(lines))
