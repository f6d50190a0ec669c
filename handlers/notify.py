"""/notify: the chat platform on which reminders, broadcasts and other messages reach me."""

from __future__ import annotations

from collections.abc import Sequence

from bot.buttons import Button
from bot.chat import Choice, Reply
from bot.context import ParticipantContext
from bot.models import ChatIdentity
from bot.people import participants
from bot.platforms import DISPLAY_NAMES
from bot.text import formatting
from bot.text.i18n import _
from bot.text.matching import fold

# The platforms one may choose (the platform table's), by the name the bot uses for them and
# the name people know.
PLATFORM_NAMES = DISPLAY_NAMES
_AUTO = {"auto", "automatic", "automatique", "automatico", "default", "defaut", "last"}


def _choices(accounts: Sequence[ChatIdentity]) -> tuple[tuple[Choice, ...], ...]:
    linked = {account.platform for account in accounts}
    platforms = [
        Choice(label, NotifyButton(name).pack())
        for name, label in PLATFORM_NAMES.items()
        if name in linked
    ]
    return ((*platforms, Choice(_("Automatic"), NotifyButton("auto").pack())),)


def _current(chosen: str | None, accounts: Sequence[ChatIdentity]) -> str:
    if chosen is None:
        return _("My reminders and other messages reach you on the chat app you used last.")
    name = PLATFORM_NAMES.get(chosen, chosen)
    text = _("My reminders and other messages reach you on {platform}.").format(platform=name)
    if not any(account.platform == chosen and account.reachable for account in accounts):
        text += " " + _(
            "I cannot reach you on {platform} at the moment, so they go to the chat app you "
            "used last."
        ).format(platform=name)
    return text


async def notify(ctx: ParticipantContext) -> Reply:
    if not ctx.args:
        accounts = await participants.linked_accounts(ctx.db, ctx.participant)
        return Reply(
            _current(ctx.participant.notify_platform, accounts) + "\n" + _("Change it:"),
            choices=_choices(accounts),
        )
    return await _set(ctx, fold(" ".join(ctx.args)))


class NotifyButton(Button, prefix="notify"):
    """A platform's name, or "auto"; anything else asks again."""

    platform: str


async def notify_button(ctx: ParticipantContext, button: NotifyButton) -> Reply:
    return (await _set(ctx, button.platform)).edited()


async def _set(ctx: ParticipantContext, value: str) -> Reply:
    participant = ctx.participant
    if value not in PLATFORM_NAMES and value not in _AUTO:
        accounts = await participants.linked_accounts(ctx.db, participant)
        return Reply(
            _("Choose {platforms}, or auto for the chat app you used last.").format(
                platforms=formatting.join(list(PLATFORM_NAMES.values()), style="or")
            ),
            choices=_choices(accounts),
        )
    platform = value if value in PLATFORM_NAMES else None
    if not await participants.choose_notify_platform(ctx.db, participant, platform):
        return Reply(
            _(
                "You have no {platform} account linked yet: write to me once on {platform} (if "
                "I do not recognise you there, send me your invitation code), then choose again."
            ).format(platform=PLATFORM_NAMES[value])
        )
    accounts = await participants.linked_accounts(ctx.db, participant)
    return Reply("✅ " + _current(participant.notify_platform, accounts))
