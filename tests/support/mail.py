"""The list and the SMTP receiver the mail tests deliver to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.config import MailSettings
from bot.dispatcher import Dispatcher
from bot.mail.service import MailIntake, MailService

LIST_ID = "actioncommittee.lists.example.org"
SETTINGS = MailSettings(list_ids=(LIST_ID,), smtp_port=0, attachment_limit=100_000)


@asynccontextmanager
async def serving(dispatcher: Dispatcher, settings: MailSettings) -> AsyncIterator[MailService]:
    """The bot's mail service, receiving by SMTP on a free port (`port_of`)."""
    intake = MailIntake(
        dispatcher.sessions,
        dispatcher.clock,
        settings,
        None,
        translation_provider=dispatcher.translation_provider,
    )
    service = MailService(intake)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def port_of(service: MailService) -> int:
    assert service.smtp is not None
    return service.smtp.port
