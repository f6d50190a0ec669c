"""/agenda, /next and /session: the programme, as the reader may see it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from bot.buttons import Button
from bot.chat import Choice, Reply
from bot.context import EventContext
from bot.models import Audience, Event
from bot.programme import agenda
from bot.programme.meeting import local_day
from bot.text import formatting
from bot.text.i18n import _, localised, ngettext
from bot.text.markup import bold, escape, excerpt, italic
from bot.text.matching import fold
from bot.text.numbers import parse_number
from handlers import answers
from handlers.render import session_detail, session_line

PAGE_SIZE = 8


class AgendaButton(Button, prefix="agenda"):
    """A day and a page of the agenda, edited in place. A day or page that does not read is
    the day shown by default, or the first page (buttons of older versions)."""

    day: str
    page: int | None = None


# Relative days as people type them, in the three languages (accents optional).
_RELATIVE_DAYS = {
    "today": 0,
    "aujourdhui": 0,
    "auj": 0,
    "hoy": 0,
    "tomorrow": 1,
    "demain": 1,
    "manana": 1,
    "yesterday": -1,
    "hier": -1,
    "ayer": -1,
}
# "day 2", "jour 2", "día 2", "d2", "2": the word, then the number (bot.text.numbers reads it).
_DAY_NUMBER = re.compile(r"(?:(?:day|jour|d[ií]a|j|d)\s*)?(\S+)")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(words: tuple[str, ...], today: date, days: list[date]) -> date | None:
    """The day a reader asks for: today|tomorrow|YYYY-MM-DD|day N (in EN, FR or ES); N counts
    the `days` given (the meeting days)."""
    text = " ".join(words).strip()
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    folded = fold(text)
    if folded in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[folded])
    words_and_number = _DAY_NUMBER.fullmatch(text.lower())
    number = (
        parse_number(words_and_number.group(1), minimum=1, maximum=len(days))
        if words_and_number
        else None
    )
    return days[number - 1] if number is not None else None


def day_number_beyond(words: tuple[str, ...], days: list[date]) -> bool:
    """`day 6` when the meeting has fewer days: a number read well, but no such day."""
    words_and_number = _DAY_NUMBER.fullmatch(" ".join(words).strip().lower())
    number = parse_number(words_and_number.group(1), minimum=1) if words_and_number else None
    return number is not None and number > len(days)


def _default_day(today: date, days: list[date]) -> date:
    """Today during the meeting; before it the first day, after it the last."""
    upcoming = [day for day in days if day >= today]
    return upcoming[0] if upcoming else days[-1]


async def show_agenda(ctx: EventContext) -> Reply:
    audiences = ctx.audiences
    days = await agenda.programme_days(ctx.db, ctx.event, audiences)
    if not days.every:
        return answers.no_programme()
    today = local_day(ctx.event, ctx.clock.now())
    if not ctx.args:
        return await _agenda_page(ctx, days, _default_day(today, days.every), 1)
    day = parse_day(ctx.args, today, days.meeting)
    if day is None and day_number_beyond(ctx.args, days.meeting):
        return Reply(
            ngettext(
                "The meeting has {count} day: {days}.",
                "The meeting has {count} days: {days}.",
                len(days.meeting),
            ).format(count=len(days.meeting), days=formatting.days(days.meeting)),
            choices=_day_choices(days.every),
        )
    if day is None:
        return Reply(
            _(
                "I did not understand “{text}”. Try /agenda today, /agenda tomorrow, "
                "/agenda 2017-12-02 or /agenda day 2."
            ).format(text=excerpt(" ".join(ctx.args))),
            choices=_day_choices(days.every),
        )
    return await _agenda_page(ctx, days, day, 1)


async def agenda_button(ctx: EventContext, button: AgendaButton) -> Reply:
    day_text = button.day
    audiences = ctx.audiences
    days = await agenda.programme_days(ctx.db, ctx.event, audiences)
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        day = _default_day(local_day(ctx.event, ctx.clock.now()), days.every)
    page = button.page or 1
    return (await _agenda_page(ctx, days, day, page)).edited()


async def _agenda_page(ctx: EventContext, days: agenda.Days, day: date, page: int) -> Reply:
    audiences = ctx.audiences
    beside = _alongside(ctx.event, day, ctx.audiences)
    if day not in days.every:
        if day in days.meeting:
            text = _("Nothing on {day} is open to you. Your days are {days}.").format(
                day=formatting.day(day), days=formatting.days(days.every)
            )
            return Reply("\n\n".join([text, *beside]), choices=_day_choices(days.every))
        text = _("Nothing in the programme on {day}. The meeting days are {days}.").format(
            day=formatting.day(day), days=formatting.days(days.meeting)
        )
        practical = [d for d in days.every if d not in days.meeting]
        if practical:
            text += " " + _("Buses and other practical arrangements only: {days}.").format(
                days=formatting.days(practical)
            )
        return Reply("\n\n".join([text, *beside]), choices=_day_choices(days.every))
    result = await agenda.day_page(ctx.db, ctx.event, audiences, day, page, PAGE_SIZE)
    heading = "📅 " + bold(formatting.day(day))
    if day in days.meeting:
        position = _("Day {number} of {count}").format(
            number=days.meeting.index(day) + 1, count=len(days.meeting)
        )
    else:
        position = _("Not a meeting day: buses and other practical arrangements only.")
    if result.pages > 1:
        position += " · " + _("page {page} of {pages}").format(page=result.page, pages=result.pages)
    lines = [heading, position, ""]
    lines += [session_line(session, ctx.event) + "\n" for session in result.sessions]
    if result.page == 1:
        lines += [text + "\n" for text in beside]
    lines.append(
        _("Tap a number such as {example} for details.").format(
            example=f"/s{result.sessions[0].id}"
        )
    )
    return Reply("\n".join(lines), choices=_navigation(days.every, day, result))


def _alongside(event: Event, day: date, audiences: Sequence[Audience]) -> list[str]:
    """What happens alongside the meeting that day, said to be no session of it."""
    paragraphs = []
    for item in agenda.alongside(event, day, audiences):
        lines = [
            "📌 "
            + _("Alongside the meeting, not part of it: {title} ({days})").format(
                title=bold(escape(localised(item.title))),
                days=formatting.day_span(item.first_day, item.last_day),
            )
        ]
        if item.venue:
            venue = item.venue if isinstance(item.venue, str) else localised(item.venue)
            lines.append("📍 " + escape(venue))
        if item.description:
            lines.append(italic(escape(localised(item.description))))
        paragraphs.append("\n".join(lines))
    return paragraphs


def _navigation(days: list[date], day: date, page: agenda.Page) -> tuple[tuple[Choice, ...], ...]:
    rows: list[tuple[Choice, ...]] = []
    paging = []
    if page.page > 1:
        paging.append(Choice("‹ " + _("Earlier"), AgendaButton(str(day), page.page - 1).pack()))
    if page.page < page.pages:
        paging.append(Choice(_("Later") + " ›", AgendaButton(str(day), page.page + 1).pack()))
    if paging:
        rows.append(tuple(paging))
    index = days.index(day)
    moves = []
    if index > 0:
        moves.append(
            Choice(
                "« " + formatting.short_day(days[index - 1]),
                AgendaButton(str(days[index - 1]), 1).pack(),
            )
        )
    if index < len(days) - 1:
        moves.append(
            Choice(
                formatting.short_day(days[index + 1]) + " »",
                AgendaButton(str(days[index + 1]), 1).pack(),
            )
        )
    if moves:
        rows.append(tuple(moves))
    return tuple(rows)


def _day_choices(days: list[date]) -> tuple[tuple[Choice, ...], ...]:
    choices = [Choice(formatting.short_day(day), AgendaButton(str(day), 1).pack()) for day in days]
    return tuple(tuple(choices[i : i + 3]) for i in range(0, len(choices), 3))


async def show_next(ctx: EventContext) -> Reply:
    now = ctx.clock.now()
    found = await agenda.now_and_next(ctx.db, ctx.event, ctx.audiences, now)
    if found.first is None:
        return answers.no_programme()
    if not found.ongoing and not found.upcoming:
        return Reply(_("The meeting is over. Thank you for taking part!"))
    parts = []
    if found.ongoing:
        parts.append(bold(_("Now")))
        parts += [session_line(session, ctx.event) for session in found.ongoing]
    if found.upcoming:
        first = found.upcoming[0]
        when = formatting.relative(first.starts_at - now)
        if local_day(ctx.event, first.starts_at) != local_day(ctx.event, now):
            when = f"{formatting.day(local_day(ctx.event, first.starts_at))} ({when})"
        if parts:
            parts.append("")
        parts.append(bold(_("Next")) + " — " + when)
        parts += [session_line(session, ctx.event) for session in found.upcoming]
    return Reply("\n".join(parts))


async def show_session(ctx: EventContext) -> Reply:
    reference = ctx.match.group(1) if ctx.match else " ".join(ctx.args)
    if not reference:
        return Reply(
            _(
                "Which session? Send /session with its number, as in /session 3. "
                "/agenda shows the numbers."
            )
        )
    session = await agenda.find_session(ctx.db, ctx.event, ctx.audiences, reference)
    if session is None:
        hidden = await agenda.hidden_audience(ctx.db, ctx.event, ctx.audiences, reference)
        if hidden == Audience.CIVIL_SOCIETY:
            # Its number is on posters and in talk; say why it is closed, not that it is absent.
            return Reply(
                _(
                    "Session “{reference}” is for civil society only, so I cannot show it to "
                    "you. /agenda shows the sessions open to you."
                ).format(reference=excerpt(reference))
            )
        if hidden == Audience.BADGE_HOLDERS:
            return Reply(
                _(
                    "Session “{reference}” is only for holders of a badge for the government-led "
                    "Stocktaking, so I cannot show it to you. /agenda shows the sessions open to "
                    "you."
                ).format(reference=excerpt(reference))
            )
        return Reply(
            _("I cannot find the session “{reference}”. /agenda shows the session numbers.").format(
                reference=excerpt(reference)
            )
        )
    return Reply(session_detail(session, ctx.event))
