"""Data-saver mode: /lite on|off [HOUR], the daily digest as it reads, and the button that
sends a notice's files on request (bot/people/data_saver.py, bot/delivery/digest.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.buttons import Button
from bot.chat import Choice, Reply
from bot.context import Context, ParticipantContext
from bot.delivery.digest import DigestParts, hour_of
from bot.models import Participant
from bot.notice import Notices, UndecodableNotice
from bot.people import data_saver
from bot.text import formatting
from bot.text.i18n import _, ngettext
from bot.text.markup import bold, excerpt, italic, split
from bot.text.matching import fold
from handlers import answers

# The words of /lite, /econome and /ahorro (accents folded away: "sí" is "si"); not "0" and
# "1" as /translate takes them: a number is an hour here.
_ON = {"on", "yes", "oui", "si", "activer", "activar"}
_OFF = {"off", "no", "non", "desactiver", "desactivar"}
# 19, 19h, 19:00, 19h00, 7pm, 7 pm.
_HOUR = re.compile(r"^([0-9]{1,2})(?:[:h.]([0-9]{2})?)?$")
_TWELVE = re.compile(r"^([0-9]{1,2})(?::00)?(am|pm)$")
# A digest is kept within one message of this many characters: each notice gets its share.
DIGEST_LENGTH = 3500
SECTION_LEAST = 200  # characters at least per notice, however many there are
FILE_BUTTONS = 5  # "Send the files" buttons a digest keeps, one per notice that had files


def parse_hour(word: str) -> int | None:
    """The hour a person typed (0–23: `20`, `20:00`, `20h`, `8pm`), or None."""
    word = word.strip().lower()
    twelve = _TWELVE.match(word.replace(" ", ""))
    if twelve:
        hour = int(twelve.group(1))
        if not 1 <= hour <= 12:
            return None
        return hour % 12 + (12 if twelve.group(2) == "pm" else 0)
    match = _HOUR.match(word)
    if match is None or (match.group(2) not in (None, "00")):
        return None
    hour = int(match.group(1))
    return hour if 0 <= hour <= 23 else None


def _hour_shown(ctx: Context, hour: int) -> str:
    zone = ZoneInfo(ctx.event.timezone if ctx.event is not None else "UTC")
    today = ctx.clock.now().astimezone(zone).date()
    return formatting.time_of_day(datetime.combine(today, time(hour), zone), zone)


def kept(ctx: Context, person: Participant) -> str:
    """/mydata's value: off, or on with the digest's hour."""
    if not person.lite:
        return _("off")
    hour = _hour_shown(ctx, hour_of(person.digest_hour))
    return _("on, one digest a day at {hour}").format(hour=hour)


def _hour(ctx: ParticipantContext) -> int:
    return hour_of(ctx.participant.digest_hour)


def _current(ctx: ParticipantContext) -> str:
    at = _hour_shown(ctx, _hour(ctx))
    if ctx.participant.lite:
        return _(
            "Data saver: on. No pictures (charts come as text), attachments on request, and "
            "one digest a day at {hour} instead of each message as it comes; urgent messages "
            "still come at once."
        ).format(hour=at)
    return _(
        "Data saver: off. Messages reach you as they come. With /lite on, they would come in "
        "one digest a day at {hour}, without pictures."
    ).format(hour=at)


def _state(ctx: ParticipantContext, prefix: str = "") -> Reply:
    """The current choice, and the button that switches it."""
    on = ctx.participant.lite
    label = _("Turn the data saver off") if on else _("Turn the data saver on")
    button = Choice(label, LiteButton("off" if on else "on").pack())
    return Reply(prefix + _current(ctx), choices=((button,),))


def _usage(word: str) -> Reply:
    return Reply(
        _(
            "I did not understand “{word}”. Send /lite on or /lite off, with an hour if you "
            "wish, from 0 to 23: /lite on 20 (or 20:00, 8pm)."
        ).format(word=excerpt(word, 24))
    )


async def lite(ctx: ParticipantContext) -> Reply:
    """/lite [on|off] [HOUR]: data-saver mode, and the hour of its daily digest."""
    choice: bool | None = None
    hour: int | None = None
    for word in ctx.args:
        folded = fold(word)
        if folded in _ON and choice is None:
            choice = True
        elif folded in _OFF and choice is None:
            choice = False
        elif hour is None and (parsed := parse_hour(word)) is not None:
            hour = parsed
        else:
            return _usage(word)
    if choice is None and hour is None:
        return _state(ctx)
    on = ctx.participant.lite if choice is None else choice
    released = await data_saver.switch(ctx.db, ctx.participant, on, hour, ctx.clock.now())
    return _state(ctx, "✅ " + _released(released))


def _released(count: int) -> str:
    if not count:
        return ""
    return (
        ngettext(
            "{count} message held for your digest is on its way.",
            "{count} messages held for your digest are on their way.",
            count,
        ).format(count=formatting.number(count))
        + "\n"
    )


class LiteButton(Button, prefix="lite"):
    """ "on" or "off"."""

    choice: str


async def lite_button(ctx: ParticipantContext, button: LiteButton) -> Reply:
    if button.choice not in ("on", "off"):
        return answers.stale_button()
    on = button.choice == "on"
    released = await data_saver.switch(ctx.db, ctx.participant, on, None, ctx.clock.now())
    return _state(ctx, _released(released)).edited()


# Attachments on request.


class FilesButton(Button, prefix="files"):
    """Send the files of the notice of outbox row `row` (only to the person it was sent to)."""

    row: int


def files_as_links(reply: Reply, row: int) -> Reply:
    """A notice for a reader in data-saver mode: its files not sent, a button that sends them
    (the notice's text names each one with its size)."""
    if not reply.documents:
        return reply
    return replace(reply, documents=(), choices=(*reply.choices, (_files_choice(reply, row),)))


def _files_choice(reply: Reply, row: int) -> Choice:
    size = formatting.size(sum(len(document.data) for document in reply.documents))
    label = ngettext(
        "📎 Send {count} attachment ({size})",
        "📎 Send the {count} attachments ({size})",
        len(reply.documents),
    ).format(count=len(reply.documents), size=size)
    return Choice(label, FilesButton(row).pack())


_NOTICES: list[Notices] = []


def _notices() -> Notices:
    """The notices' registry (built once, on the first press)."""
    if not _NOTICES:
        from handlers import build_notices  # the registry is built beside the router

        _NOTICES.append(build_notices())
    return _NOTICES[0]


async def files_button(ctx: ParticipantContext, button: FilesButton) -> Reply:
    """The files of a notice sent to the presser; nothing for anyone else."""
    held = await data_saver.addressed_to(ctx.db, button.row, ctx.participant)
    if held is None:
        return answers.stale_button()
    notices = _notices()
    try:
        notice = notices.decode(held.kind, held.payload)
    except UndecodableNotice:
        return answers.stale_button()
    documents = (await notices.render(ctx.db, notice, ctx.language)).documents
    if not documents:
        return Reply(_("These files can no longer be sent."))
    return Reply(_("📎 The attachments you asked for:"), documents=documents)


# The digest.


def digest(shown: DigestParts) -> Reply:
    """The `digest` notice: the messages held in data-saver mode, one section each, within one
    message (each cut to its share when there are many); the buttons of the messages are left
    out (they would be too many, and most would be stale), except one to send each one's files."""
    count = len(shown.parts)
    heading = [
        "📰 " + bold(_("Your digest of {day}").format(day=formatting.day(shown.day))),
        italic(
            ngettext(
                "{count} message held in data-saver mode:",
                "{count} messages held in data-saver mode:",
                count,
            ).format(count=formatting.number(count))
        ),
    ]
    share = max(SECTION_LEAST, DIGEST_LENGTH // max(count, 1))
    sections = []
    files: list[tuple[Choice, ...]] = []
    for number, part in enumerate(shown.parts, 1):
        text = part.reply.light().text
        pieces = split(text, share)
        section = pieces[0] + ("\n…" if len(pieces) > 1 else "")
        sections.append(f"{bold(str(number))}. {section}")
        if part.reply.documents and len(files) < FILE_BUTTONS:
            files.append((_files_choice(part.reply, part.row),))
    return Reply("\n\n".join(["\n".join(heading), *sections]), choices=tuple(files))
