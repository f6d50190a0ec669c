"""An urgent broadcast: offered in the preview when the deployment allows Telegram's paid
rate (TELEGRAM_PAID_BROADCAST_STARS), with how much faster it leaves and what it costs at most."""

from __future__ import annotations

from datetime import timedelta

from bot import broadcasts
from bot.chat import Choice
from bot.context import EventContext
from bot.models import Broadcast
from bot.paid_broadcasts import cost, telegram_readers
from bot.text import formatting
from bot.text.i18n import _


async def offer(
    ctx: EventContext, draft: Broadcast, button: str
) -> tuple[list[str], Choice | None]:
    """The preview's lines about sending `draft` urgently and the button that does it (packed
    `button` data), or nothing when it is not offered: paid broadcasts not allowed, or so few
    Telegram readers that the free rate sends them within a second or two."""
    paid = ctx.paid_broadcasts
    if paid is None:
        return [], None
    people = await broadcasts.recipients(
        ctx.db, ctx.event, broadcasts.Audience.from_json(draft.audience)
    )
    readers = len(await telegram_readers(ctx.db, people))
    count = paid.paid_messages(readers)
    if readers <= 2 * paid.free_rate or not count:
        return [], None
    free, fast = paid.seconds(readers, count)
    stars = formatting.decimal(float(cost(count)))
    line = _(
        "⚡ Urgent: {count} of the {readers} Telegram messages at Telegram's paid rate, all gone "
        "in about {fast} instead of {slow}; at most {stars} Stars from the bot's balance (the "
        "limit for one broadcast is {cap})."
    ).format(
        count=formatting.number(count),
        readers=formatting.number(readers),
        fast=formatting.duration(timedelta(seconds=max(1.0, fast))),
        slow=formatting.duration(timedelta(seconds=free)),
        stars=stars,
        cap=formatting.number(paid.cap_stars),
    )
    label = _("⚡ Send urgently (at most {stars} Stars)").format(stars=stars)
    return ["", line], Choice(label, button)
