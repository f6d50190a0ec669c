"""The SMTP receiver the mailing list delivers to (aiosmtpd, on the bot's own event loop).

Each message is taken inside the SMTP conversation, so that the list's server learns the
outcome: 250 when archived (or already seen, or kept as failed), 550 when it is not the list's
mail, 451 (try again later) while the database is down, so that nothing is lost meanwhile, and
554 when it cannot be stored at all, which no retry would change (bot.mail.failures). Lines up
to 64 KiB are taken (500 beyond), mail up to 30 MiB (552 beyond).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.mail.failures import worth_retrying
from bot.mail.relay import Outcome

log = logging.getLogger(__name__)

Take = Callable[[bytes], Awaitable[Outcome]]
# Larger mail is refused by the receiver (552) before it is read: a list message with
# attachments fits well within it.
SIZE_LIMIT = 30 * 1024 * 1024
# RFC 5321 allows 1,000 octets a line, and aiosmtpd refuses longer lines for good (500), but
# about one real mail in 70 has one (HTML written on one line): accept them up to this.
LINE_LIMIT = 64 * 1024


class _ListSMTP(SMTP):
    line_length_limit = LINE_LIMIT  # also the stream's buffer limit, read in SMTP.__init__


class _ListHandler:
    def __init__(self, take: Take) -> None:
        self.take = take

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            outcome = await self.take(raw)
        except Exception as error:
            if worth_retrying(error):
                log.exception("list mail from %s could not be stored now", session.peer)
                return "451 4.3.0 Could not store the message now, please try again later"
            log.exception("list mail from %s cannot be stored", session.peer)
            return "554 5.3.0 The message cannot be stored; trying again would not help"
        if outcome.refused is not None:
            log.info("mail from %s refused: %s", envelope.mail_from, outcome.refused)
            return f"550 5.7.1 Not accepted: {outcome.refused}"
        return "250 2.0.0 OK"


class SmtpReceiver:
    def __init__(self, listen: str, port: int, take: Take) -> None:
        self.listen = listen
        self.port = port
        self.handler = _ListHandler(take)
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _ListSMTP(
                self.handler,
                data_size_limit=SIZE_LIMIT,
                enable_SMTPUTF8=True,
                decode_data=False,
                hostname="coordbot",
                ident="coordbot list receiver",
                loop=loop,
            ),
            host=self.listen,
            port=self.port,
        )
        self.port = self._server.sockets[0].getsockname()[1]  # the real one when 0 was asked
        log.info("receiving list mail by SMTP on %s:%s", self.listen, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
