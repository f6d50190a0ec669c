"""One message from arrival to replies: handled once, in its own transaction, in the reader's
language, by the handler the router picks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import inbox, metrics
from bot.chat import Incoming, Reply
from bot.clock import Clock
from bot.context import Context, HandlerResult
from bot.db import SessionFactory
from bot.models import ProcessedDelivery
from bot.paid_broadcasts import PaidBroadcasts
from bot.people import participants
from bot.programme import meeting
from bot.router import Router
from bot.text.i18n import _, choose_language, use_language

log = logging.getLogger(__name__)


@dataclass
class Dispatcher:
    """Runs one message through the router inside its own database transaction and language."""

    router: Router
    sessions: SessionFactory
    clock: Clock
    event_key: str | None = None
    # The configured translation provider's name: what people write is queued for translation.
    translation_provider: str | None = None
    # Urgent broadcasts at Telegram's paid rate, when the deployment allows them.
    paid_broadcasts: PaidBroadcasts | None = None
    # Where phones reach the calendar feeds (CALENDAR_PUBLIC_URL), for /calendar's address.
    calendar_url: str | None = None

    @metrics.timed_update
    async def handle(self, incoming: Incoming, *, keep_replies: bool = False) -> list[Reply]:
        """The replies to `incoming`; none when its delivery was handled before.

        `keep_replies` (for an update of the durable inbox, see bot.inbox) stores the replies
        with the delivery in the handler's transaction, until the adapter has sent them.
        """
        handler, extra = self.router.resolve(incoming)
        if handler is None:
            return []
        async with self.sessions() as db:
            if incoming.delivery_id is not None and not await _first_delivery(db, incoming):
                log.info(
                    "%s delivery %s seen before: skipped", incoming.platform, incoming.delivery_id
                )
                return []
            event = await meeting.recent_event(db, self.event_key)
            identity = await participants.identity_for(
                db, incoming.platform, incoming.sender, self.clock.now()
            )
            if identity.participant is None and incoming.sender.email and event is not None:
                await participants.link_by_email(db, identity, event.id, incoming.sender.email)
            language = choose_language(
                participants.explicit_language(identity),
                incoming.language_code,
                event.default_language if event else "en",
            )
            with use_language(language):
                context = Context(
                    incoming,
                    db,
                    self.clock,
                    self.router,
                    event,
                    identity,
                    language,
                    translation_provider=self.translation_provider,
                    paid_broadcasts=self.paid_broadcasts,
                    calendar_url=self.calendar_url,
                    **extra,
                )
                try:
                    result = await handler(context)
                    if identity.participant is not None and identity.participant.lite:
                        result = [reply.light() for reply in _replies(result)]  # data saver
                    if keep_replies and incoming.delivery_id is not None:
                        await inbox.keep_replies(
                            db, incoming.platform, incoming.delivery_id, _replies(result)
                        )
                    await db.commit()
                except Exception:
                    log.exception("handling %s failed", incoming.command or incoming.button)
                    await db.rollback()
                    return [Reply(_("Sorry, something went wrong on my side. Please try again."))]
        return _replies(result)

    async def set_reachable(self, platform: str, external_id: str, reachable: bool) -> None:
        async with self.sessions() as db:
            await participants.set_reachable(db, platform, external_id, reachable)
            await db.commit()


def _replies(result: HandlerResult) -> list[Reply]:
    return [result] if isinstance(result, Reply) else list(result)


# Built once: SQLAlchemy then reuses its compiled form without building the statement again (at
# a hundred updates a second, building the statements cost more CPU than running them).
_CLAIM = (
    update(inbox.DELIVERIES)
    .where(
        inbox.DELIVERIES.c.platform == bindparam("platform_"),
        inbox.DELIVERIES.c.delivery_id == bindparam("delivery_id_"),
        inbox.DELIVERIES.c.handled_at.is_(None),
    )
    .values(handled_at=bindparam("at", type_=inbox.DELIVERIES.c.handled_at.type))
)


async def _first_delivery(db: AsyncSession, incoming: Incoming) -> bool:
    """Mark a delivery handled in the message's own transaction; False when it was before.

    A delivery stored in the inbox is claimed; any other gets its row now. The mark commits
    with the handler's changes, so a crash mid-way lets the update be handled again (from the
    inbox, or when the platform redelivers it), and a handled update is never handled again,
    across restarts too. Stamped with real time (see `inbox.real_now`).
    """
    assert incoming.delivery_id is not None
    now = inbox.real_now()
    claimed = await db.execute(
        _CLAIM, {"platform_": incoming.platform, "delivery_id_": incoming.delivery_id, "at": now}
    )
    if int(getattr(claimed, "rowcount", 0) or 0) == 1:
        return True
    db.add(
        ProcessedDelivery(
            platform=incoming.platform,
            delivery_id=incoming.delivery_id,
            received_at=now,
            handled_at=now,
        )
    )
    try:
        await db.flush()
    except IntegrityError:
        await db.rollback()
        return False
    return True


async def forget_old_deliveries(db: AsyncSession, before: datetime) -> int:
    """Platforms redeliver for a day at most (Telegram keeps updates 24 hours). `before` is
    real time, as the rows' stamps are. Updates still waiting to be handled or answered stay."""
    result = await db.execute(
        delete(ProcessedDelivery).where(
            ProcessedDelivery.received_at < before,
            ProcessedDelivery.handled_at.is_not(None),
            ProcessedDelivery.replies.is_(None),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
