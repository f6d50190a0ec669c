"""The answers many handlers give in the same words: one text each, kept here."""

from __future__ import annotations

from bot.chat import Reply
from bot.text.i18n import _


def no_programme() -> Reply:
    return Reply(_("No programme has been published yet. Please come back later."))


def stale_button() -> Reply:
    """A button from an older screen or version, or one whose data does not decode."""
    return Reply(_("This button no longer works. Send /help to see what I can do."))


def registered_only() -> Reply:
    return Reply(
        _(
            "Only registered participants can do this. Open the invitation link you "
            "received, or send me its code."
        )
    )
