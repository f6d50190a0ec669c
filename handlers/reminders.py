"""/remind: when (or whether) I am reminded before my sessions."""

from __future__ import annotations

from bot.chat import Choice, Reply
from bot.reminders import OFFSETS
from bot.router import Context
from bot.text.i18n import _
from bot.text.matching import fold
from bot.text.numbers import parse_number
from handlers import answers

_OFF = {"off", "non", "no", "0", "desactiver", "desactivar", "aucun", "ninguno"}


def _choices() -> tuple[tuple[Choice, ...], ...]:
    offsets = [Choice(_("{minutes} min").format(minutes=m), f"remind:{m}") for m in OFFSETS]
    return ((*offsets, Choice(_("Off"), "remind:off")),)


def _current(minutes: int | None) -> str:
    if minutes is None:
        return _("Reminders are off.")
    return _("I remind you {minutes} minutes before each of your sessions.").format(minutes=minutes)


async def remind(ctx: Context) -> Reply:
    if ctx.participant is None:
        return answers.registered_only()
    if not ctx.args:
        return Reply(
            _current(ctx.participant.reminder_minutes) + "\n" + _("Change it:"),
            choices=_choices(),
        )
    return _set(ctx, ctx.args[0])


async def remind_button(ctx: Context) -> Reply:
    if ctx.participant is None:
        return answers.stale_button()
    reply = _set(ctx, ctx.payload)
    return Reply(reply.text, reply.choices, edit=True)


def _set(ctx: Context, value: str) -> Reply:
    assert ctx.participant is not None
    minutes = parse_number(value)
    if fold(value) in _OFF:
        ctx.participant.reminder_minutes = None
    elif minutes in OFFSETS:
        ctx.participant.reminder_minutes = minutes
    else:
        return Reply(_("Choose 10, 15, 30 or 60 minutes, or off."), choices=_choices())
    return Reply("✅ " + _current(ctx.participant.reminder_minutes))
