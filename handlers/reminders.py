"""/remind: when (or whether) I am reminded before my sessions."""

from __future__ import annotations

from bot.buttons import Button
from bot.chat import Choice, Reply
from bot.context import ParticipantContext
from bot.reminders import OFFSETS
from bot.text.i18n import _
from bot.text.matching import fold
from bot.text.numbers import parse_number

_OFF = {"off", "non", "no", "0", "desactiver", "desactivar", "aucun", "ninguno"}


class RemindButton(Button, prefix="remind"):
    """Minutes before each session, or "off"; anything else asks again."""

    value: str


def _choices() -> tuple[tuple[Choice, ...], ...]:
    offsets = [
        Choice(_("{minutes} min").format(minutes=m), RemindButton(str(m)).pack()) for m in OFFSETS
    ]
    return ((*offsets, Choice(_("Off"), RemindButton("off").pack())),)


def _current(minutes: int | None) -> str:
    if minutes is None:
        return _("Reminders are off.")
    return _("I remind you {minutes} minutes before each of your sessions.").format(minutes=minutes)


async def remind(ctx: ParticipantContext) -> Reply:
    if not ctx.args:
        return Reply(
            _current(ctx.participant.reminder_minutes) + "\n" + _("Change it:"),
            choices=_choices(),
        )
    return _set(ctx, ctx.args[0])


async def remind_button(ctx: ParticipantContext, button: RemindButton) -> Reply:
    return _set(ctx, button.value).edited()


def _set(ctx: ParticipantContext, value: str) -> Reply:
    minutes = parse_number(value)
    if fold(value) in _OFF:
        ctx.participant.reminder_minutes = None
    elif minutes in OFFSETS:
        ctx.participant.reminder_minutes = minutes
    else:
        return Reply(_("Choose 10, 15, 30 or 60 minutes, or off."), choices=_choices())
    return Reply("✅ " + _current(ctx.participant.reminder_minutes))
