"""A chat in the terminal, with the same handlers as every platform: try the bot with no token.

Buttons are shown as numbered choices; typing the number presses the button. A line ending with
a backslash goes on on the next line (for messages of several lines, such as a broadcast). When
standard input is not a terminal the lines are read as a script and echoed, so a session can be
replayed.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import bookkeeping
from bot.app.scheduler import Scheduler
from bot.chat import Choice, Document, Incoming, Reply, Sender, parse_command
from bot.config import Settings
from bot.db import create_engine, session_factory, upgrade
from bot.delivery.worker import DeliveryWorker
from bot.models import Event, Participant, Role
from bot.people import participants
from bot.programme import meeting
from bot.router import Dispatcher
from bot.text.i18n import _, use_language
from bot.text.markup import to_plain
from bot.text.numbers import parse_number
from handlers import broadcast as broadcast_handlers
from handlers import build_notices, build_router

PLATFORM = "console"
_QUIT = {"/quit", "/exit", "/q"}


class ConsoleChat:
    def __init__(
        self,
        dispatcher: Dispatcher,
        sender: Sender,
        *,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
    ) -> None:
        self.dispatcher = dispatcher
        self.worker = DeliveryWorker(
            dispatcher.sessions,
            dispatcher.clock,
            build_notices(),
            {PLATFORM: self},
        )
        # Not started: the console steps the scheduler's routine by hand after each line.
        self.scheduler = Scheduler(
            dispatcher.sessions,
            dispatcher.clock,
            every=bookkeeping.routine(
                dispatcher.sessions,
                dispatcher.clock,
                broadcast_handlers.progress,
                {PLATFORM: self},
            ),
        )
        self.sender = sender
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty()
        self.choices: list[Choice] = []
        self.shown = 0  # messages shown so far; the number is a message's id
        self.choices_shown_in: str | None = None
        self.files: Path | None = None

    def incoming(self, line: str) -> Incoming:
        number = parse_number(line, minimum=1, maximum=len(self.choices))
        if number is not None:
            return Incoming(
                PLATFORM,
                self.sender.external_id,
                self.sender,
                text=line,
                button=self.choices[number - 1].data,
                message_id=self.choices_shown_in,
            )
        parsed = parse_command(line)
        command, args = parsed if parsed else (None, ())
        return Incoming(
            PLATFORM, self.sender.external_id, self.sender, text=line, command=command, args=args
        )

    def show(self, reply: Reply) -> None:
        self.shown += 1
        self.stdout.write(to_plain(reply.text) + "\n")
        for file in reply.files():
            self.stdout.write(f"📎 {file.caption or file.name} → {self.keep(file)}\n")
        self.choices = [choice for row in reply.choices for choice in row]
        self.choices_shown_in = str(self.shown) if self.choices else None
        if self.choices:
            buttons = "  ".join(
                f"[{number}] {choice.label}" for number, choice in enumerate(self.choices, 1)
            )
            self.stdout.write(buttons + "\n")
        self.stdout.write("\n")
        self.stdout.flush()

    def keep(self, file: Document) -> Path:
        """A terminal shows no pictures or files: they are written to a folder, to open from
        there (the name is the sender's: only its last part is used)."""
        if self.files is None:
            self.files = Path(tempfile.mkdtemp(prefix="coordbot-files-"))
        path = self.files / f"{self.shown}-{Path(file.name).name or 'file'}"
        path.write_bytes(file.data)
        return path

    async def read_line(self) -> str | None:
        if self.interactive:
            try:
                return await asyncio.to_thread(input, "> ")
            except EOFError:
                return None
        line = await asyncio.to_thread(self.stdin.readline)
        if not line:
            return None
        self.stdout.write(f"> {line.rstrip()}\n")
        return line

    async def run(self) -> None:
        with use_language(self.sender.language_code or "en"):
            self.stdout.write(
                _(
                    "coordbot console: type /start or /help; type a number to press a button, "
                    "/quit to leave."
                )
                + "\n\n"
            )
        while (line := await self.read_line()) is not None:
            while line.rstrip().endswith("\\"):  # a trailing backslash continues the message
                more = await self.read_line()
                line = line.rstrip()[:-1] + "\n" + (more or "")
            line = line.strip()
            if not line:
                continue
            if line.lower() in _QUIT:
                break
            for reply in await self.dispatcher.handle(self.incoming(line)):
                self.show(reply)
            await self.deliver_due()

    async def deliver_due(self) -> None:
        """What the bot sends on its own after a line: the routine first (what it queues, such
        as survey reminders, leaves now), and once more after sending (a broadcast just
        finished: its progress message shows the end; its report leaves after the next line)."""
        await self.scheduler.run_every_once()
        if await self.worker.deliver_due():
            await self.scheduler.run_every_once()

    async def deliver(self, external_id: str, reply: Reply) -> None:
        """Messages the bot sends on its own, to this console's user or (a demo) to others
        who once used the console."""
        if external_id != self.sender.external_id:
            self.stdout.write(f"(→ {external_id}) ")
        self.stdout.write("📨 ")
        self.show(reply)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        """A terminal cannot rewrite what it printed: the new version is printed, marked."""
        self.stdout.write("✏️  ")
        self.show(reply)


ROLE_WORDS = {
    "delegate": Role.CIVIL_SOCIETY,
    "civil_society": Role.CIVIL_SOCIETY,
    "government": Role.GOVERNMENT,
    "international": Role.INTERNATIONAL,
    "un": Role.INTERNATIONAL,
    "organiser": Role.ORGANISER,
    "organizer": Role.ORGANISER,
    "facilitator": Role.FACILITATOR,
    "rapporteur": Role.RAPPORTEUR,
}


async def _console_participant(
    db: AsyncSession, event: Event, who: str, now: datetime
) -> Participant:
    """`--as`: a participant by id, e-mail or name, or the first participant with a role (one is
    created for the console when the registry has none)."""
    role = ROLE_WORDS.get(who.strip().lower())
    if role is None:
        found = await participants.find_participant(db, event.id, who)
        if found is None:
            raise LookupError(f"no single participant matches {who!r} (try an id or an e-mail)")
        return found
    query = (
        select(Participant)
        .where(Participant.event_id == event.id, Participant.role == role)
        .order_by(Participant.id)
        .limit(1)
    )
    found = (await db.execute(query)).scalar_one_or_none()
    if found is None:
        found = Participant(
            event_id=event.id, name=f"Console {role.value}", role=role, created_at=now
        )
        db.add(found)
    return found


async def run_console(
    settings: Settings, *, language: str | None, who: str | None, at: datetime | None
) -> None:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    try:
        await upgrade(settings.database_url)
        external_id, name = "guest", None
        async with sessions() as db:
            event = await meeting.current_event(db, settings.event)
            clock = meeting.meeting_clock(event, at)
            if who and who.strip().lower() != "guest":
                if event is None:
                    raise LookupError("load a programme first: coordbot programme load FILE")
                participant = await _console_participant(db, event, who, clock.now())
                await db.flush()
                external_id, name = f"participant-{participant.id}", participant.name
                identity = await participants.identity_for(
                    db, PLATFORM, Sender(external_id, name, language), clock.now()
                )
                participants.link(identity, participant)
            await db.commit()
        dispatcher = Dispatcher(build_router(), sessions, clock, settings.event)
        await ConsoleChat(dispatcher, Sender(external_id, name, language)).run()
    finally:
        await engine.dispose()
