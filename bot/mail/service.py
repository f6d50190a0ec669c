"""Mail coming in, as `coordbot run` serves it: the SMTP receiver and the IMAP poller, both
handing each raw message to `MailIntake.take`: checked on its headers, read in a worker
process, then stored and relayed in one short transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.clock import Clock
from bot.config import MailSettings
from bot.db import SessionFactory
from bot.mail import relay
from bot.mail.envelope import read_envelope
from bot.mail.failures import TryLater
from bot.mail.imap import ImapPoller
from bot.mail.reader import MailReader
from bot.mail.smtp import SmtpReceiver
from bot.programme.meeting import current_event

log = logging.getLogger(__name__)


class NoEvent(TryLater):
    pass


class MailIntake:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        settings: MailSettings,
        event_key: str | None,
        translation_provider: str | None = None,
    ) -> None:
        """`translation_provider`: the configured provider's name (None: list mail is relayed
        as written), as the dispatcher has it for what is written in chat."""
        self.sessions = sessions
        self.translation_provider = translation_provider
        self.clock = clock
        self.settings = settings
        self.event_key = event_key
        self.reader = MailReader(settings.read_seconds, settings.read_memory_mb << 20)

    async def take(self, raw: bytes) -> relay.Outcome:
        # Foreign mail is refused on a bounded read of its headers, in milliseconds; the rest is
        # read in the worker before any transaction, so that the write lock is held briefly.
        envelope = read_envelope(raw)
        refused = relay.refusal(self.settings, envelope.list_id, envelope.sender_address)
        if refused is not None:
            return relay.Outcome(refused=refused)
        if envelope.message_id and await self._archived_before(envelope.message_id):
            log.info("list mail %.200s seen before: not read again", envelope.message_id)
            return relay.Outcome(duplicates=1)
        log.info("reading list mail %.200s (%d bytes)", envelope.message_id or "-", len(raw))
        parsed = await self.reader.read(raw)
        async with self.sessions() as db:
            event = await current_event(db, self.event_key)
            if event is None:  # nothing to relay to yet: the sender keeps the mail and retries
                raise NoEvent("no programme is loaded")
            outcome = await relay.ingest(
                db,
                event,
                self.settings,
                raw,
                self.clock.now(),
                parsed,
                translation_provider=self.translation_provider,
            )
            await db.commit()
        if outcome.relayed:
            log.info(
                "list mail relayed (archive %s) to %d participants",
                ", ".join(map(str, outcome.relayed)),
                outcome.recipients,
            )
        return outcome

    async def _archived_before(self, message_id: str) -> bool:
        async with self.sessions() as db:
            event = await current_event(db, self.event_key)
            return event is not None and await relay.archived_before(db, event, message_id)

    async def taken(self, raw: bytes) -> bool:
        """For the IMAP poller: False when the mail is not the list's."""
        return (await self.take(raw)).refused is None


class MailService:
    """Started and stopped with the chat platforms by `coordbot run`."""

    def __init__(self, intake: MailIntake) -> None:
        settings = intake.settings
        self.intake = intake
        self.smtp = (
            SmtpReceiver(settings.smtp_listen, settings.smtp_port, intake.take)
            if settings.smtp_port is not None
            else None
        )
        self.imap = ImapPoller(settings.imap, intake.taken) if settings.imap else None
        self._stopping = asyncio.Event()
        self._polling: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.smtp is not None:
            await self.smtp.start()
        if self.imap is not None:
            self._polling = asyncio.create_task(self.imap.run(self._stopping))

    async def stop(self) -> None:
        self._stopping.set()
        if self.smtp is not None:
            await self.smtp.stop()
        if self._polling is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._polling, 10)
        self.intake.reader.close()
