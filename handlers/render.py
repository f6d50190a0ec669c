"""How sessions and Act tables read on a phone screen, in the reader's language."""

from __future__ import annotations

from bot.models import ActTable, Audience, Event, Session, Venue
from bot.programme.meeting import local_day, zone
from bot.text import formatting
from bot.text.i18n import _, localised
from bot.text.markup import bold, escape, italic


def table_label(table: ActTable) -> str:
    return _("Act {act}: {title}").format(act=table.act, title=escape(localised(table.title)))


def session_command(session: Session) -> str:
    """The tappable command that opens a session's details, e.g. /s12."""
    return f"/s{session.id}"


def venue_name(venue: Venue) -> str:
    """The venue's name in the reader's language, when the programme gives it per language."""
    return localised(venue.names) if venue.names else venue.name


def session_line(session: Session, event: Event) -> str:
    """Two short lines: the time and title, then the venue and the command for details."""
    when = formatting.time_range(session.starts_at, session.ends_at, zone(event))
    title = escape(localised(session.title))
    place = f"📍 {escape(venue_name(session.venue))} · " if session.venue else ""
    return f"{bold(when)} {title}\n{place}{session_command(session)}"


def audience_label(audience: Audience) -> str:
    if audience == Audience.CIVIL_SOCIETY:
        return _("Civil society only")
    if audience == Audience.BADGE_HOLDERS:
        return _("Only for holders of a badge for the government-led Stocktaking")
    if audience == Audience.ORGANISERS:
        return _("Organisers only")
    return _("Open to all participants")


def session_detail(session: Session, event: Event) -> str:
    tz = zone(event)
    lines = [
        bold(escape(localised(session.title))),
        "🕒 "
        + _("{day}, {time}").format(
            day=formatting.day(local_day(event, session.starts_at)),
            time=formatting.time_range(session.starts_at, session.ends_at, tz),
        ),
    ]
    if session.venue:
        address = f" — {escape(session.venue.address)}" if session.venue.address else ""
        lines.append(f"📍 {escape(venue_name(session.venue))}{address}")
    lines.append(f"👥 {audience_label(session.audience)}")
    if session.interpretation:
        names = [formatting.language_name(code) for code in session.interpretation]
        lines.append(
            "🎧 " + _("Interpretation: {languages}").format(languages=formatting.join(names))
        )
    description = localised(session.description)
    if description:
        lines.append("")
        lines.append(italic(escape(description)))
    return "\n".join(lines)
