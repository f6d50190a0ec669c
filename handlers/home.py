"""/home: the dashboard. Organisers get the meeting's figures; everyone else their next
sessions, tables and groups. Slack shows it in the App Home tab, one section per paragraph,
so paragraphs are separated by a blank line and never contain one."""

from __future__ import annotations

from datetime import datetime

from bot.chat import Choice, Reply
from bot.context import PARTICIPANT, Context, EventContext, ParticipantContext
from bot.models import (
    BroadcastStatus,
    Event,
    GroupMembershipStatus,
    MembershipStatus,
    Role,
    Session,
    TablePosition,
)
from bot.programme.meeting import local_day, zone
from bot.reports import dashboard, labels
from bot.text import formatting
from bot.text.i18n import _, current_language, localised, ngettext
from bot.text.markup import bold, escape
from handlers import floor_questions
from handlers.account import language_choices
from handlers.broadcast import BroadcastButton
from handlers.render import session_line, table_label
from handlers.tables import TablesButton

ORGANISER_COMMANDS = ("snapshot", "checkin", "broadcast", "requests", "proposals", "participant")


async def home(ctx: EventContext) -> Reply | list[Reply]:
    member = PARTICIPANT.get(ctx)
    if member is None:
        return _guest()
    if member.role == Role.ORGANISER:
        dashboard = await _organiser(member, member.event)
    else:
        dashboard = await _personal(member, member.event)
    # A moderator during their session: its question board first (live in Slack's App Home).
    board = await floor_questions.home_board(member)
    return [board, dashboard] if board is not None else dashboard


def _guest() -> Reply:
    paragraphs = [
        "👋 " + bold(_("Hello!")),
        _(
            "This chat account is not linked to a registration yet, so I cannot show you your "
            "sessions, tables and groups."
        ),
        _(
            "To link it, open the invitation link you received, or send me the 12-character "
            "code written in your invitation."
        ),
        _("Until then, /agenda shows the programme open to everyone."),
    ]
    return Reply("\n\n".join(paragraphs), choices=language_choices())


# Organisers


async def _organiser(ctx: Context, event: Event) -> Reply:
    figures = await dashboard.organiser_figures(ctx.db, event)
    paragraphs = [
        "📊 " + bold(_("Organiser dashboard")) + "\n" + escape(localised(event.name)),
        _participants(figures),
    ]
    if figures.rounds:
        paragraphs.append(_round_fills(figures.rounds))
    language = current_language()
    commands = [f"/{ctx.router.commands[name].name_in(language)}" for name in ORGANISER_COMMANDS]
    paragraphs += [_broadcasts(figures.broadcasts), " · ".join(commands)]
    round_buttons = [
        Choice(localised(fill.table_round.title), TablesButton(fill.table_round.id).pack())
        for fill in figures.rounds
    ]
    progress_buttons = [
        Choice(
            _("Progress of #{number}").format(number=sent.id),
            BroadcastButton("status", str(sent.id)).pack(),
        )
        for sent in figures.broadcasts
        if sent.status == BroadcastStatus.QUEUED
    ]
    rows: list[tuple[Choice, ...]] = [(choice,) for choice in round_buttons]
    if progress_buttons:
        rows.append(tuple(progress_buttons))
    return Reply("\n\n".join(paragraphs), choices=tuple(rows))


def _participants(figures: dashboard.OrganiserFigures) -> str:
    lines = [
        "👥 "
        + bold(
            ngettext("{count} participant", "{count} participants", figures.participants).format(
                count=formatting.number(figures.participants)
            )
        )
    ]
    by_count = sorted(figures.linked.items(), key=lambda item: (-item[1], item[0]))
    if by_count:
        platforms = " · ".join(
            _("{platform}: {count}").format(
                platform=labels.platform(platform), count=formatting.number(count)
            )
            for platform, count in by_count
        )
        lines.append(_("With a linked account: {platforms}").format(platforms=platforms))
    lines.append(
        _("With no linked account: {count}").format(count=formatting.number(figures.unlinked))
    )
    return "\n".join(lines)


def _round_fills(fills: list[dashboard.RoundFill]) -> str:
    lines = ["🪑 " + bold(_("Act tables"))]
    for fill in fills:
        lines.append(
            ngettext(
                "{round}: {taken} of {offered} seat · {waiting} waiting",
                "{round}: {taken} of {offered} seats · {waiting} waiting",
                fill.offered,
            ).format(
                round=escape(localised(fill.table_round.title)),
                taken=formatting.number(fill.taken),
                offered=formatting.number(fill.offered),
                waiting=formatting.number(fill.waiting),
            )
        )
    return "\n".join(lines)


def _broadcasts(recent: list[dashboard.BroadcastDelivery]) -> str:
    heading = "📢 " + bold(_("Latest broadcasts"))
    if not recent:
        return heading + "\n" + _("No broadcast yet.")
    states = {
        BroadcastStatus.DRAFT: _("not sent (preview)"),
        BroadcastStatus.QUEUED: _("sending"),
        BroadcastStatus.DONE: _("finished"),
        BroadcastStatus.CANCELLED: _("cancelled"),
    }
    lines = [heading]
    for sent in recent:
        line = _(
            "#{number} {state} — {delivered} delivered · {unreachable} unreachable · "
            "{failed} failed"
        ).format(
            number=sent.id,
            state=states[sent.status],
            delivered=formatting.number(sent.delivered),
            unreachable=formatting.number(sent.unreachable),
            failed=formatting.number(sent.failed),
        )
        if sent.pending:
            line += " · " + _("{count} still to send").format(count=formatting.number(sent.pending))
        lines.append(line)
    return "\n".join(lines)


# Everyone else


async def _personal(ctx: ParticipantContext, event: Event) -> Reply:
    now = ctx.clock.now()
    view = await dashboard.personal_view(ctx.db, event, ctx.participant, now)
    greeting = "🏠 " + bold(_("Hello {name}!").format(name=escape(ctx.participant.name)))
    if view.checked_in_at is not None:
        greeting += "\n" + _("Checked in today at {time} ✓").format(
            time=formatting.time_of_day(view.checked_in_at, zone(event))
        )
    paragraphs = [
        greeting,
        _my_sessions(event, view.sessions, now),
        _my_seats(event, view.seats),
        _my_groups(view.groups),
    ]
    if ctx.participant.volunteer:
        command = ctx.router.commands["checkin"].name_in(current_language())
        paragraphs.append(
            "🚪 "
            + _(
                "You check people in at the door: scan their QR code with your phone’s camera, "
                "or send /{command} NAME."
            ).format(command=command)
        )
    return Reply("\n\n".join(paragraphs))


def _my_sessions(event: Event, sessions: list[Session], now: datetime) -> str:
    lines = ["🗓 " + bold(_("Your next sessions"))]
    if not sessions:
        return "\n".join([*lines, _("The meeting is over. Thank you for taking part!")])
    today = local_day(event, now)
    for session in sessions:
        day = local_day(event, session.starts_at)
        if session.starts_at <= now:
            lines.append(bold(_("Now")) + " · " + session_line(session, event))
        elif day != today:
            lines.append(formatting.short_day(day) + " · " + session_line(session, event))
        else:
            lines.append(session_line(session, event))
    lines.append(_("/agenda shows the whole programme."))
    return "\n".join(lines)


def _my_seats(event: Event, seats: list[dashboard.MySeat]) -> str:
    lines = ["🪑 " + bold(_("Your tables"))]
    if not seats:
        return "\n".join([*lines, _("You are not at any table. /tables shows them.")])
    positions = {
        TablePosition.FACILITATOR: _("facilitator"),
        TablePosition.RAPPORTEUR: _("rapporteur"),
    }
    for seat in seats:
        session = seat.session
        when = formatting.time_range(session.starts_at, session.ends_at, zone(event))
        day = formatting.short_day(local_day(event, session.starts_at))
        if seat.status == MembershipStatus.WAITLISTED:
            state = "⏳ " + _("waiting list, number {position}").format(
                position=seat.waiting_number
            )
        else:
            state = "✅ " + positions.get(seat.position, _("seated"))
        lines += [
            f"{bold(escape(localised(seat.table_round.title)))} · {day}, {when}",
            f"{table_label(seat.table)} — {state}",
        ]
    lines.append(_("/join ACT [ROUND] moves you to another table; /leave [ROUND] frees your seat."))
    return "\n".join(lines)


def _my_groups(groups: list[dashboard.MyGroup]) -> str:
    lines = ["👥 " + bold(_("Your reference groups"))]
    if not groups:
        return "\n".join(
            [
                *lines,
                _(
                    "You are in no reference group yet. /groups lists them; /subscribe GROUP "
                    "joins one."
                ),
            ]
        )
    for mine in groups:
        title = escape(localised(mine.group.title))
        if mine.status == GroupMembershipStatus.PENDING:
            lines.append(f"⏳ {title} — " + _("waiting for an organiser's approval"))
        else:
            lines.append(f"✅ {title}")
    lines.append(_("/subscribe GROUP · /unsubscribe GROUP · /post GROUP TEXT · /propose TITLE"))
    return "\n".join(lines)
