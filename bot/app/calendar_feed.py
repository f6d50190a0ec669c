"""The calendar feeds phones subscribe to (/calendar): GET /calendar/TOKEN.ics on a small HTTP
server of its own (CALENDAR_LISTEN:CALENDAR_PORT), behind the operator's reverse proxy at
CALENDAR_PUBLIC_URL; started and stopped with `coordbot run`. docs/calendar.md.

A token is the only key: an unknown, replaced or erased one gets the same bare 404, and tokens
are never logged (the access log is off; a participant's id at most)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app.listening import listen
from bot.config import ConfigurationError, number_setting
from bot.db import session_factory
from bot.models import Event
from bot.programme import calendar
from handlers import calendar_file

log = logging.getLogger(__name__)

# A database slower than this to read one person's programme: 503, the phone tries again later.
READ_SECONDS = 10.0
# Feeds read and written at a time: beyond, requests wait their turn, so that a crowd of phones
# refreshing at once cannot hold up the chats the same process answers (each feed keeps the
# event loop and a thread busy for a few milliseconds; more at once only interleave them).
FEEDS_AT_ONCE = 2
# Request lines up to this long are read (and answered 404 when too long for a token) rather
# than refused by the HTTP parser.
MAX_LINE = 16 * 1024


@dataclass(frozen=True)
class CalendarSettings:
    # The https address phones reach (the reverse proxy's), without the path; None: the bot
    # sends the file only.
    public_url: str | None = None
    listen: str = "127.0.0.1"
    # 0: no feed server in this process (nor any without a public_url: nobody has an address)
    port: int = 8082

    @classmethod
    def from_env(cls) -> CalendarSettings:
        public_url = os.environ.get("CALENDAR_PUBLIC_URL", "").strip().rstrip("/") or None
        if public_url is not None and not public_url.lower().startswith(("https://", "http://")):
            raise ConfigurationError(
                "CALENDAR_PUBLIC_URL must be an address starting with https:// "
                "(where phones reach the calendar feeds, e.g. https://bot.example.org)."
            )
        return cls(
            public_url=public_url,
            listen=os.environ.get("CALENDAR_LISTEN", "").strip() or "127.0.0.1",
            port=number_setting("CALENDAR_PORT", 8082, minimum=0, maximum=65535),
        )


class CalendarFeed:
    """A Service of `coordbot run`: serves each participant's calendar until stopped."""

    def __init__(self, settings: CalendarSettings, engine: AsyncEngine) -> None:
        self.settings = settings
        self.sessions = session_factory(engine)
        self._runner: web.AppRunner | None = None
        self._turns = asyncio.Semaphore(FEEDS_AT_ONCE)

    async def start(self) -> None:
        app = web.Application(handler_args={"max_line_size": MAX_LINE})
        app.router.add_get("/calendar/{token}.ics", self.feed)  # HEAD too
        runner = await listen(
            app, self.settings.listen, self.settings.port, "calendar feeds", "CALENDAR_PORT"
        )
        if runner is None:
            return
        self._runner = runner
        log.warning(
            "calendar feeds at http://%s:%d/calendar/", self.settings.listen, self.settings.port
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def feed(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not calendar.well_formed(token):  # before any query
            return _not_found()
        async with self._turns:
            try:
                async with asyncio.timeout(READ_SECONDS):
                    found = await self._read(token)
            except Exception as error:  # the database is unusable: no detail for the client
                log.warning("calendar feed: the database does not answer: %s", _first_line(error))
                return web.Response(
                    status=503, text="Try again later.\n", headers={"Retry-After": "300"}
                )
            if found is None:
                return _not_found()
            mine, language = found
            # Serialised off the event loop, with the database session closed.
            body = await asyncio.to_thread(calendar_file.ics, mine, language)
        tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"ETag": tag, "Cache-Control": "private, max-age=0"}
        if tag in _tags(request.headers.get("If-None-Match", "")):
            return web.Response(status=304, headers=headers)
        log.info("calendar feed read for participant %d", mine.participant_id)
        return web.Response(
            body=body,
            headers=headers | {"Content-Type": "text/calendar; charset=utf-8"},
        )

    async def _read(self, token: str) -> tuple[calendar.MyCalendar, str] | None:
        async with self.sessions() as db:
            person = await calendar.subscriber(db, token)
            if person is None:
                return None
            event = await db.get_one(Event, person.event_id)
            mine = await calendar.calendar_of(db, event, person)
            return mine, await calendar.reading_language(db, person)


def _not_found() -> web.Response:
    return web.Response(status=404, text="Not found.\n")


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",")} - {""}


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
