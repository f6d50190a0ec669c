"""Check-in at the door: /checkin NAME, a scanned check-in or invitation QR code, and
/volunteer. Organisers and volunteers check people in; the role is checked on every message and
every button (a volunteer is no organiser, so the router's organiser guard does not apply)."""

from __future__ import annotations

import logging
from datetime import date

from bot.buttons import Button
from bot.chat import Choice, Reply
from bot.context import Context, EventContext
from bot.models import CheckInMethod, Participant
from bot.people import attendance, badges, invitations
from bot.programme import agenda
from bot.programme.meeting import local_day, zone
from bot.reports import labels
from bot.text import formatting
from bot.text.i18n import _, localised, ngettext
from bot.text.markup import bold, escape, excerpt
from bot.text.matching import Found
from handlers import answers
from handlers.syntax import is_keyword

log = logging.getLogger(__name__)

MAX_CHOICES = 8
LABEL_LENGTH = 60


class CheckInButton(Button, prefix="checkin"):
    """Check this participant in (one of several people a name matched)."""

    participant_id: int


class UndoCheckInButton(Button, prefix="uncheckin"):
    """Take back this participant's check-in of today (a mistake at the door)."""

    participant_id: int


def _checker(ctx: Context) -> Participant | None:
    """The organiser or volunteer writing, in a private chat; else None."""
    person = ctx.participant
    if ctx.incoming.private and attendance.checks_people_in(person):
        return person
    return None


def _refused(ctx: Context) -> Reply:
    # A pressed button is worth a warning (someone else's, or forged); a typed command is not.
    log.log(
        logging.WARNING if ctx.incoming.button else logging.INFO,
        "refused check-in (%s) to %s account %s",
        ctx.incoming.button or f"/{ctx.incoming.command or 'scan'}",
        ctx.incoming.platform,
        ctx.identity.id,
    )
    return Reply(_("Only organisers and volunteers check people in, in a private chat with me."))


# Scanning a QR code


async def scanned(ctx: Context, text: str) -> Reply | None:
    """What a scanned QR code typed in (`/start ci-…`, `ci-…`, an invitation code): a check-in
    code always gets its answer here; an invitation code only when an organiser or a volunteer
    scans someone else's (None: it links an account as before)."""
    if badges.parse(text) is not None:
        return await _scanned_checkin_code(ctx, text)
    checker = _checker(ctx)
    code = invitations.normalise(text)
    if checker is None or ctx.event is None or code is None:
        return None
    if len(code) != invitations.CODE_LENGTH:
        return None
    person = await attendance.by_invitation(ctx.db, ctx.event, code)
    if person is None or person.id == checker.id:
        return None
    return await _check_in(ctx, checker, person, CheckInMethod.QR_CODE)


async def _scanned_checkin_code(ctx: Context, text: str) -> Reply:
    checker = _checker(ctx)
    mine = ctx.participant is not None and ctx.participant.checkin_code == badges.parse(text)
    if checker is None or ctx.event is None:
        if mine:
            return Reply(
                "🎫 "
                + _(
                    "This is your own check-in code. Show it at the registration desk when you "
                    "arrive: the person there scans it, and you are counted as present."
                )
            )
        return Reply(
            "🎫 "
            + _(
                "This is someone’s check-in code: its owner shows it at the registration desk. "
                "Only organisers and volunteers check people in."
            )
        )
    person = await attendance.by_checkin_code(ctx.db, ctx.event, text)
    if person is None:
        return Reply(
            _("I do not know this check-in code. Check the person in by name: /checkin NAME")
        )
    return await _check_in(ctx, checker, person, CheckInMethod.QR_CODE)


# /checkin


async def checkin(ctx: EventContext) -> Reply:
    """/checkin [NAME | undo NAME | ci-CODE]."""
    checker = _checker(ctx)
    if checker is None:
        return _refused(ctx)
    if not ctx.args:
        return await _today(ctx)
    text = " ".join(ctx.args)
    if badges.parse(text) is not None:
        return await _scanned_checkin_code(ctx, text)
    undoing = is_keyword(ctx.args[0], "cancel") and len(ctx.args) > 1
    name = " ".join(ctx.args[1:]) if undoing else text
    found = await attendance.named(ctx.db, ctx.event, name)
    if found.item is None:
        return _choose(found, name, undoing)
    if undoing:
        return await _undo(ctx, found.item)
    return await _check_in(ctx, checker, found.item, CheckInMethod.NAME)


def _usage(ctx: Context) -> str:
    name = ctx.router.commands["checkin"].name_in(ctx.language)
    return "\n".join(
        [
            _("/{command} NAME — check someone in by name").format(command=name),
            _("/{command} undo NAME — take back a check-in made by mistake").format(command=name),
            _(
                "Or scan the check-in QR code of their pack (or their invitation QR code) with "
                "your phone’s camera: it opens this chat, and I check them in."
            ),
        ]
    )


async def _today(ctx: EventContext) -> Reply:
    now = ctx.clock.now()
    count = await attendance.day_count(ctx.db, ctx.event, local_day(ctx.event, now))
    lines = [
        "🚪 "
        + bold(
            ngettext(
                "{count} person checked in today", "{count} people checked in today", count.people
            ).format(count=formatting.number(count.people))
        )
    ]
    for at_session in count.sessions:
        lines.append(
            _("{session}: {count}").format(
                session=escape(localised(at_session.session.title)),
                count=formatting.number(at_session.people),
            )
        )
    return Reply("\n".join([*lines, "", _usage(ctx)]))


def _choose(found: Found[Participant], name: str, undoing: bool) -> Reply:
    """Several people match the name (or none, but some are close): one button each."""
    if not found.suggestions:
        return Reply(
            _("Nobody is called “{name}”. Check the spelling, or /participant find NAME.").format(
                name=excerpt(name)
            )
        )
    if found.ambiguous:
        question = _("Several people match “{name}”. Whom do you mean?")
    else:
        question = _("Nobody is called exactly “{name}”. Do you mean:")
    rows = []
    for person in found.suggestions[:MAX_CHOICES]:
        label = person.name + (f" — {person.organisation}" if person.organisation else "")
        if len(label) > LABEL_LENGTH:  # a button's label is plain text: cut, not escaped
            label = label[: LABEL_LENGTH - 1].rstrip() + "…"
        button = UndoCheckInButton(person.id) if undoing else CheckInButton(person.id)
        rows.append((Choice(label, button.pack()),))
    return Reply(question.format(name=excerpt(name)), choices=tuple(rows))


async def checkin_button(ctx: EventContext, button: CheckInButton) -> Reply:
    checker = _checker(ctx)
    if checker is None:
        return _refused(ctx)
    person = await attendance.participant(ctx.db, ctx.event, button.participant_id)
    if person is None:
        return answers.stale_button()
    return (await _check_in(ctx, checker, person, CheckInMethod.NAME)).edited()


async def undo_button(ctx: EventContext, button: UndoCheckInButton) -> Reply:
    if _checker(ctx) is None:
        return _refused(ctx)
    person = await attendance.participant(ctx.db, ctx.event, button.participant_id)
    if person is None:
        return answers.stale_button()
    return (await _undo(ctx, person)).edited()


# The answers


async def _check_in(
    ctx: Context, checker: Participant, person: Participant, method: CheckInMethod
) -> Reply:
    assert ctx.event is not None
    now = ctx.clock.now()
    result = await attendance.check_in(ctx.db, ctx.event, person, checker, method, now)
    when = _("at {time} ({day})").format(
        time=formatting.time_of_day(result.at, zone(ctx.event)), day=await _day(ctx, result.day)
    )
    name = bold(escape(person.name))
    if result.already:
        lines = [
            "ℹ️ " + _("{name} was already checked in today, {when}.").format(name=name, when=when)
        ]
    else:
        lines = ["✅ " + _("{name} is checked in {when}.").format(name=name, when=when)]
    lines.append(_about(person))
    if result.session is not None:
        title = escape(localised(result.session.title))
        if result.session_already:
            lines.append(_("Already counted at: {session}").format(session=title))
        else:
            lines.append(_("Also counted at: {session}").format(session=title))
    elif result.sessions_at_once:
        lines.append(_("Not counted at a session: several sessions check people in at this time."))
    undo = Choice(_("Undo"), UndoCheckInButton(person.id).pack())
    return Reply("\n".join(lines), choices=((undo,),))


def _about(person: Participant) -> str:
    """Role · organisation · country: enough for the desk to see it is the right person."""
    role = labels.persons_role(person)
    parts = [role[:1].upper() + role[1:]]  # a line of its own
    if person.organisation:
        parts.append(escape(person.organisation))
    if person.country:
        parts.append(labels.country(person.country))
    return " · ".join(parts)


async def _day(ctx: Context, day: date) -> str:
    assert ctx.event is not None
    days = (await agenda.programme_days(ctx.db, ctx.event, ctx.audiences)).meeting
    if day in days:
        return _("day {number}").format(number=days.index(day) + 1)
    return formatting.short_day(day)


async def _undo(ctx: Context, person: Participant) -> Reply:
    assert ctx.event is not None
    if await attendance.undo(ctx.db, ctx.event, person, ctx.clock.now()):
        return Reply(
            "↩️ " + _("{name}’s check-in of today is taken back.").format(name=escape(person.name))
        )
    return Reply(_("{name} is not checked in today.").format(name=escape(person.name)))


# /volunteer


async def volunteer(ctx: EventContext) -> Reply:
    """/volunteer [NAME | remove NAME]: who may check people in besides the organisers."""
    if not ctx.args:
        return await _volunteers(ctx)
    removing = is_keyword(ctx.args[0], "remove") and len(ctx.args) > 1
    name = " ".join(ctx.args[1:]) if removing else " ".join(ctx.args)
    found = await attendance.named(ctx.db, ctx.event, name)
    person = found.item
    if person is None:
        if not found.suggestions:
            return Reply(
                _(
                    "Nobody is called “{name}”. Check the spelling, or /participant find NAME."
                ).format(name=excerpt(name))
            )
        names = "\n".join(f"#{p.id} {escape(p.name)}" for p in found.suggestions[:MAX_CHOICES])
        command = ctx.router.commands["volunteer"].name_in(ctx.language)
        return Reply(
            _("Several people match “{name}”: write /{command} #ID with one of these.").format(
                name=excerpt(name), command=command
            )
            + "\n"
            + names
        )
    person.volunteer = not removing
    if removing:
        text = _("{name} no longer checks people in.")
    else:
        text = _("{name} is now a volunteer: they can check people in with /checkin.")
    return Reply(text.format(name=bold(escape(person.name))))


async def _volunteers(ctx: EventContext) -> Reply:
    people = await attendance.volunteers(ctx.db, ctx.event)
    command = ctx.router.commands["volunteer"].name_in(ctx.language)
    lines = [bold(_("Volunteers (they check people in, as organisers do)"))]
    lines += [f"• {escape(p.name)}" for p in people] or [_("None yet.")]
    lines += [
        "",
        _("/{command} NAME — add one; /{command} remove NAME — remove one").format(command=command),
    ]
    return Reply("\n".join(lines))


# /mydata


async def kept_lines(ctx: Context, person: Participant) -> list[str]:
    """What /mydata lists of check-ins: whether they check people in, and their own check-ins."""
    lines = [_("Volunteer at the door: yes")] if person.volunteer else []
    if ctx.event is None:
        return lines
    for kept in await attendance.check_ins_of(ctx.db, person):
        at = formatting.moment(kept.checked_in_at, zone(ctx.event))
        if kept.session_title is None:
            lines.append(_("Checked in: {moment}").format(moment=at))
        else:
            lines.append(
                _("Checked in at {session}: {moment}").format(
                    session=escape(localised(kept.session_title)), moment=at
                )
            )
    return lines
