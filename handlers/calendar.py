"""/calendar: my programme as a calendar file, and a private address a phone subscribes to so
that it follows programme changes; /calendar reset replaces that address."""

from __future__ import annotations

import asyncio

from bot.chat import Document, Reply
from bot.context import ParticipantContext
from bot.programme import calendar
from bot.text.i18n import _
from bot.text.markup import escape
from handlers import calendar_file
from handlers.syntax import is_keyword


def feed_address(public_url: str, token: str) -> str:
    """The https address of a person's feed: CALENDAR_PUBLIC_URL/calendar/TOKEN.ics."""
    return f"{public_url.rstrip('/')}/calendar/{token}.ics"


async def show_calendar(ctx: ParticipantContext) -> Reply:
    if ctx.args and not (len(ctx.args) == 1 and is_keyword(ctx.args[0], "reset")):
        return Reply(
            _("Send /calendar for your calendar, or /calendar reset for a new private address.")
        )
    resetting = bool(ctx.args)
    make = calendar.new_token if resetting else calendar.token_of
    token = make(ctx.participant)
    mine = await calendar.calendar_of(ctx.db, ctx.event, ctx.participant)
    data = await asyncio.to_thread(calendar_file.ics, mine, ctx.language)
    lines = []
    if resetting:
        lines.append("✅ " + _("Your previous calendar address no longer works."))
    else:
        lines.append(
            _("Your programme as a calendar file: open it to add your sessions to your calendar.")
        )
    if ctx.calendar_url is None:
        lines.append(
            _(
                "Subscribing by address is not set up on this server: send /calendar again "
                "after a programme change for an up-to-date file."
            )
        )
    else:
        address = feed_address(ctx.calendar_url, token)
        webcal = "webcal://" + address.split("://", 1)[1]
        lines += [
            "",
            _("To follow programme changes, subscribe to your private address:"),
            escape(address),
            escape(webcal),
            _(
                "On a phone: tap the webcal:// address (iPhone), or add the https address in "
                "Google Calendar under “From URL” (Android)."
            ),
            _(
                "Keep it to yourself: anyone who has it sees your programme. /calendar reset "
                "gives you a new one."
            ),
        ]
    document = Document(data, calendar_file.file_name(mine))
    return Reply("\n".join(lines), documents=(document,))
